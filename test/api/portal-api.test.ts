// The portal's API through real HTTP, in Chinese and in English: reference data, the name pre-check,
// drafts (per account, submitted once), the application's form, ratings (好差评) and their follow-up
// by the service centre.

import t from 'tap';
import {
  BankList,
  DivisionList,
  Draft,
  EntityTypeList,
  InvoiceKindList,
  SEAL_MAKERS,
  SealMakerAnswer,
  ServiceHallList,
  WorkingTime,
} from '../../contracts/index.ts';
import { FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { lastSignInCode } from '../support/portal.ts';

const FAKE_NOW = '2026-11-30T09:00:00+08:00';
const ZH = { 'accept-language': 'zh-CN' };
const EN = { 'accept-language': 'en' };

async function signIn(h: Harness, mobile: string): Promise<Record<string, string>> {
  t.equal((await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile })).status, 202);
  const session = await h.anonymous('POST', '/v1/applicant/sessions', { mobile, code: lastSignInCode(h, mobile) });
  return { authorization: `Bearer ${(session.body as { token: string }).token}` };
}

t.test('reference data: every list, as its contract says, in both languages', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const lists = [
    ['/v1/reference/divisions', DivisionList],
    ['/v1/reference/entity-types', EntityTypeList],
    ['/v1/reference/invoice-kinds', InvoiceKindList],
    ['/v1/reference/seal-makers', SealMakerAnswer],
    ['/v1/reference/banks', BankList],
    ['/v1/reference/service-halls', ServiceHallList],
    ['/v1/reference/working-time', WorkingTime],
  ] as const;
  for (const [path, schema] of lists) {
    const zh = await h.anonymous('GET', path, undefined, ZH);
    const en = await h.anonymous('GET', path, undefined, EN);
    t.equal(zh.status, 200, path);
    t.ok(schema.safeParse(zh.body).success, `${path}: zh as the contract says`);
    t.ok(schema.safeParse(en.body).success, `${path}: en as the contract says`);
    t.equal(zh.headers['content-language'], 'zh-CN');
    t.equal(en.headers['content-language'], 'en');
    t.match(String(zh.headers.vary), /accept-language/i, `${path}: caches keep the languages apart`);
  }
  const types = async (headers: Record<string, string>) => ((await h.anonymous('GET', '/v1/reference/entity-types', undefined, headers)).body as { entityTypes: Array<{ value: string; label: string }> }).entityTypes;
  t.match((await types(ZH)).find((e) => e.value === 'limited_liability_company'), { label: '有限责任公司' });
  t.match((await types(EN)).find((e) => e.value === 'limited_liability_company'), { label: 'Limited liability company' });
  const makers = (await h.anonymous('GET', '/v1/reference/seal-makers', undefined, ZH)).body as { makers: Array<{ id: string; materials: Array<{ label: string; priceYuan: number }> }>; payment: Array<{ value: string; description: string }> };
  t.same(makers.makers.map((m) => m.id), SEAL_MAKERS.map((m) => m.id), 'the same list the seal department accepts');
  t.ok(makers.makers.every((m) => m.materials.every((x) => x.label && x.priceYuan >= 0)), 'materials with their names and prices');
  t.match(makers.payment.find((p) => p.value === 'government')?.description, /政府/);
  const divisions = (await h.anonymous('GET', '/v1/reference/divisions')).body as { divisions: Array<{ code: string }> };
  t.ok(divisions.divisions.some((d) => d.code === '411202'), 'the city’s districts');
  const time = (await h.anonymous('GET', '/v1/reference/working-time', undefined, ZH)).body as { rules: string[] };
  t.match(time.rules.join(''), /工作日/);
});

t.test('name pre-check: available, duplicate, forbidden word; codes stable, words in the negotiated language', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const check = (name: string, headers = ZH, extra: Record<string, unknown> = {}) =>
    h.anonymous('POST', '/v1/name-checks', { name, entityType: 'limited_liability_company', divisionCode: '411202', ...extra }, headers);
  const free = await check('三门峡黄河示范科技有限公司');
  t.match(free, { status: 200, body: { available: true, reasons: [] } });
  const taken = await check('三门峡黄河智联科技有限公司');
  t.match(taken.body, { available: false, reasons: [{ code: 'duplicate' }] });
  const forbiddenZh = await check('三门峡中国科技有限公司');
  const forbiddenEn = await check('三门峡中国科技有限公司', EN);
  t.match(forbiddenZh.body, { available: false, reasons: [{ code: 'forbidden_word', term: '中国' }] });
  t.match(forbiddenEn.body, { available: false, reasons: [{ code: 'forbidden_word', term: '中国' }] });
  const zhMessage = (forbiddenZh.body as { reasons: Array<{ message: string }> }).reasons[0]!.message;
  const enMessage = (forbiddenEn.body as { reasons: Array<{ message: string }> }).reasons[0]!.message;
  t.match(zhMessage, /[\u4e00-\u9fff]{4}/, 'Chinese words');
  t.match(enMessage, /^[\x20-\x7e“”‘’]*中国[\x20-\x7e“”‘’]*$/, 'English words (the term quoted as written)');
  const outside = await check('三门峡黄河示范科技有限公司', ZH, { divisionCode: '110101' });
  t.match(outside, { status: 400, body: { code: 'REQUEST_INVALID', details: [{ path: 'divisionCode' }] } });
  t.equal((await check('三门', ZH)).status, 400, 'too short a name is refused like on the form');
});

t.test('drafts: per account, saved whole, submitted once by their Idempotency-Key', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  t.equal((await h.anonymous('GET', '/v1/applicant/drafts')).status, 401, 'signed in only');
  const me = await signIn(h, FIXTURE_MOBILE);
  const other = await signIn(h, '13900000002');
  const created = await h.anonymous('POST', '/v1/applicant/drafts', { form: { companyName: '三门峡黄河' } }, me);
  t.equal(created.status, 201);
  const draft = Draft.parse(created.body);
  t.equal(draft.companyName, '三门峡黄河');
  t.equal((await h.anonymous('GET', `/v1/applicant/drafts/${draft.id}`, undefined, other)).status, 404, 'another account cannot read it');
  t.equal((await h.anonymous('PUT', `/v1/applicant/drafts/${draft.id}`, { form: {} }, other)).status, 404, 'nor change it');
  const form = makeApplication({ housingFund: undefined });
  const saved = await h.anonymous('PUT', `/v1/applicant/drafts/${draft.id}`, { form }, me);
  t.match(saved, { status: 200, body: { companyName: form.companyName, form: { companyName: form.companyName } } });
  t.same(((await h.anonymous('GET', '/v1/applicant/drafts', undefined, me)).body as { items: Array<{ id: string }> }).items.map((d) => d.id), [draft.id]);
  t.same(((await h.anonymous('GET', '/v1/applicant/drafts', undefined, other)).body as { items: unknown[] }).items, []);

  const first = await h.anonymous('POST', '/v1/applications', form, { ...me, 'idempotency-key': draft.idempotencyKey });
  const second = await h.anonymous('POST', '/v1/applications', form, { ...me, 'idempotency-key': draft.idempotencyKey });
  t.equal(first.status, 202);
  t.equal((second.body as { id: string }).id, (first.body as { id: string }).id, 'submitted twice: one application');
  const id = (first.body as { id: string }).id;
  t.match((await h.anonymous('GET', `/v1/applicant/drafts/${draft.id}`, undefined, me)).body, { submittedApplicationId: id });
  const late = await h.anonymous('PUT', `/v1/applicant/drafts/${draft.id}`, { form }, me);
  t.match(late, { status: 409, body: { code: 'DRAFT_ALREADY_SUBMITTED' } });
  t.match((late.body as { message: string }).message, new RegExp(id), 'the message names the application');
  const lateZh = await h.anonymous('PUT', `/v1/applicant/drafts/${draft.id}`, { form }, { ...me, ...ZH });
  t.match((lateZh.body as { message: string }).message, /已提交/);
  t.same(((await h.anonymous('GET', '/v1/applicant/drafts', undefined, me)).body as { items: unknown[] }).items, [], 'a submitted draft leaves the list');
  const changed = await h.anonymous('POST', '/v1/applications', { ...form, companyName: '三门峡另一家科技有限公司' }, { ...me, 'idempotency-key': draft.idempotencyKey });
  t.match(changed, { status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } }, 'the same draft with another form is refused');

  // The application's form, to correct from: the owner reads it, another account does not.
  t.match((await h.anonymous('GET', `/v1/applications/${id}/form`, undefined, me)).body, { companyName: form.companyName });
  t.equal((await h.anonymous('GET', `/v1/applications/${id}/form`, undefined, other)).status, 404);
  t.equal((await h.anonymous('DELETE', `/v1/applicant/drafts/${draft.id}`, undefined, other)).status, 404);
});

t.test('好差评: once the application is over, once each; a 差评 goes to ops and is followed up', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const me = await signIn(h, FIXTURE_MOBILE);
  const submitted = await h.anonymous('POST', '/v1/applications', makeApplication({ housingFund: undefined }), me);
  const id = (submitted.body as { id: string }).id;
  const rate = (body: unknown, headers: Record<string, string> = {}) => h.anonymous('POST', `/v1/applications/${id}/ratings`, body, { ...me, ...headers });
  t.match(await rate({ ratings: [{ target: 'overall', level: 5 }] }), { status: 409, body: { code: 'RATING_NOT_OPEN' } }, 'not before it is over');
  await h.settle();
  t.match((await h.anonymous('GET', `/v1/applications/${id}`, undefined, me)).body, { state: 'completed' });
  const scope = (await h.anonymous('GET', `/v1/applications/${id}/ratings`, undefined, me)).body as { open: boolean; targets: string[] };
  t.equal(scope.open, true);
  t.ok(scope.targets.includes('overall') && scope.targets.includes('seal-engraving'));
  t.match(await rate({ ratings: [{ target: 'housing-provident-fund', level: 5 }] }), { status: 400, body: { details: [{ path: 'ratings.0.target' }] } }, 'a department that did not work on it');
  t.equal((await rate({ ratings: [{ target: 'overall', level: 6 }] })).status, 400, 'five levels');
  const given = await rate({ ratings: [{ target: 'overall', level: 4 }, { target: 'tax-invoice', level: 1, comment: '发票领取等待太久' }] }, ZH);
  t.equal(given.status, 201);
  t.match((given.body as { ratings: Array<{ target: string; levelLabel: string; poor: boolean }> }).ratings, [
    { target: 'overall', levelLabel: '满意', poor: false },
    { target: 'tax-invoice', levelLabel: '非常不满意', poor: true },
  ]);
  t.match(await rate({ ratings: [{ target: 'overall', level: 5 }] }), { status: 409, body: { code: 'RATING_ALREADY_GIVEN' } }, 'once');

  const poor = (await h.http('GET', '/v1/ops/ratings?poor=true&followedUp=false', undefined, EN)).body as { items: Array<{ applicationId: string; target: string; levelLabel: string }> };
  t.match(poor.items, [{ applicationId: id, target: 'tax-invoice', levelLabel: 'Very dissatisfied' }], 'the 差评 is waiting for a follow-up');
  const viewer = await h.http('POST', `/v1/ops/ratings/${id}/tax-invoice/follow-up`, { note: '已电话回访' }, { authorization: `Bearer ${h.opsTokens.viewer}` });
  t.equal(viewer.status, 403, 'a viewer cannot record a follow-up');
  const followed = await h.http('POST', `/v1/ops/ratings/${id}/tax-invoice/follow-up`, { note: '已电话回访，发票窗口已增加人手' }, { authorization: `Bearer ${h.opsTokens.operator}` });
  t.match(followed, { status: 200, body: { followUp: { by: 'test-operator', note: '已电话回访，发票窗口已增加人手' } } });
  t.same(((await h.http('GET', '/v1/ops/ratings?poor=true&followedUp=false')).body as { items: unknown[] }).items, [], 'nothing left to follow up');
  const report = (await h.http('GET', '/v1/ops/reports/monthly?month=2026-11')).body as { ratings: Array<{ target: string; count: number; poor: number }> };
  t.match(report.ratings.find((r) => r.target === 'tax-invoice'), { count: 1, poor: 1 }, 'in the monthly report');
  t.match(report.ratings.find((r) => r.target === 'overall'), { count: 1, poor: 0 });
});
