// Invalid applications over HTTP: every kind of mistake an applicant (or a broken client) can make
// is refused with a 4xx, a stable code, a message and the exact path of the offending field —
// never a 500 — and nothing is written. Then ~200 seeded random mutations of a valid form: the
// answer is always 202 or 400, and a 400 names the mutated field (or its parent/child).
import t from 'tap';
import { residentIdCheckChar } from '../../contracts/index.ts';
import { FIXTURE_IDS, companyShareholder, makeApplication, personShareholder, residentId } from '../fixtures/application.ts';
import { startHarness, type Harness } from '../support/harness.ts';

interface ErrorReply {
  code: string;
  message: string;
  details?: Array<{ path: string; message: string }>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// The cases break the form's types on purpose, so they edit a loosely typed JSON document.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A valid form as plain JSON, with `edit` applied to it. */
function form(edit: (f: Loose) => void = () => {}): Loose {
  const f = JSON.parse(JSON.stringify(makeApplication())) as Loose;
  edit(f);
  return f;
}

/** Replaces the last character of an identifier with a different valid one (a typing error). */
const wrongLast = (id: string, alphabet: string): string => id.slice(0, -1) + [...alphabet].find((c) => c !== id.at(-1))!;

interface Case {
  name: string;
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** The exact set of detail paths; omitted when the error has no details. */
  paths?: string[];
  message?: RegExp;
}

const badLegalRepId = wrongLast(FIXTURE_IDS.legalRepresentative, '0123456789X');
const feb30 = residentId('41120219850230301'); // 1985-02-30 does not exist; the check character is right
const badCompanyCode = wrongLast(FIXTURE_IDS.companyShareholder, '0123456789ABCDEFGHJKLMNPQRTUWXY');

const FIELD_CASES: Case[] = [
  // missing fields
  { name: 'missing companyName', body: form((f) => delete f.companyName), status: 400, code: 'APPLICATION_INVALID', paths: ['companyName'] },
  { name: 'missing legal representative id number', body: form((f) => delete f.legalRepresentative.idNumber), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative.idNumber'] },
  { name: 'missing tax section', body: form((f) => delete f.tax), status: 400, code: 'APPLICATION_INVALID', paths: ['tax'] },
  { name: 'missing shareholder contribution', body: form((f) => delete f.shareholders[0].contribution), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders.0.contribution'] },
  { name: 'delivery by post without postcode', body: makeApplication({ delivery: { postcode: undefined } }), status: 400, code: 'APPLICATION_INVALID', paths: ['delivery.postcode'] },
  // wrong types
  { name: 'companyName is a number', body: form((f) => (f.companyName = 12345)), status: 400, code: 'APPLICATION_INVALID', paths: ['companyName'] },
  { name: 'capital is a string', body: form((f) => (f.registeredCapitalYuan = '1000000')), status: 400, code: 'APPLICATION_INVALID', paths: ['registeredCapitalYuan'] },
  { name: 'capital is fractional', body: form((f) => (f.registeredCapitalYuan = 1_000_000.5)), status: 400, code: 'APPLICATION_INVALID', paths: ['registeredCapitalYuan'] },
  { name: 'employee count is a string', body: form((f) => (f.socialInsurance.employeeCount = '8')), status: 400, code: 'APPLICATION_INVALID', paths: ['socialInsurance.employeeCount'] },
  { name: 'address is an array', body: form((f) => (f.address = [])), status: 400, code: 'APPLICATION_INVALID', paths: ['address'] },
  { name: 'legal representative is an array', body: form((f) => (f.legalRepresentative = ['张伟'])), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative'] },
  { name: 'shareholders is an object', body: form((f) => (f.shareholders = { 0: f.shareholders[0] })), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders'] },
  { name: 'seal kinds is a string', body: form((f) => (f.sealOrder.kinds = 'company')), status: 400, code: 'APPLICATION_INVALID', paths: ['sealOrder.kinds'] },
  // identity numbers (GB 11643), mobiles, credit codes (GB 32100)
  { name: 'wrong ID number check character', body: makeApplication({ legalRepresentative: { idNumber: badLegalRepId } }), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative.idNumber'], message: /check character/ },
  { name: 'impossible birth date in ID number', body: makeApplication({ legalRepresentative: { idNumber: feb30 } }), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative.idNumber'], message: /birth date/ },
  { name: 'ID number too short', body: makeApplication({ legalRepresentative: { idNumber: '4112021985061230' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative.idNumber'] },
  {
    name: 'second shareholder has a wrong ID number',
    body: makeApplication({ shareholders: [{ kind: 'person', name: '张伟', idNumber: FIXTURE_IDS.legalRepresentative, contribution: { amountYuan: 700_000 } }, personShareholder({ idNumber: wrongLast(FIXTURE_IDS.secondShareholder, '0123456789X') })] }),
    status: 400,
    code: 'APPLICATION_INVALID',
    paths: ['shareholders.1.idNumber'],
  },
  { name: 'mobile number of 11 digits not starting 13–19', body: makeApplication({ legalRepresentative: { mobile: '12345678901' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['legalRepresentative.mobile'] },
  { name: 'delivery mobile too short', body: makeApplication({ delivery: { mobile: '1383880000' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['delivery.mobile'] },
  {
    name: 'company shareholder with a wrong credit code',
    body: makeApplication({ shareholders: [{ kind: 'person', name: '张伟', idNumber: FIXTURE_IDS.legalRepresentative, contribution: { amountYuan: 700_000 } }, companyShareholder({ creditCode: badCompanyCode })] }),
    status: 400,
    code: 'APPLICATION_INVALID',
    paths: ['shareholders.1.creditCode'],
    message: /check character/,
  },
  {
    name: 'company shareholder credit code with a forbidden letter',
    body: makeApplication({ shareholders: [{ kind: 'person', name: '张伟', idNumber: FIXTURE_IDS.legalRepresentative, contribution: { amountYuan: 700_000 } }, companyShareholder({ creditCode: '91411202MA45R7KI9W' })] }),
    status: 400,
    code: 'APPLICATION_INVALID',
    paths: ['shareholders.1.creditCode'],
  },
  // cross-field and deployment rules
  { name: 'contributions do not sum to the capital', body: makeApplication({ registeredCapitalYuan: 999_999 }), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders'], message: /1000000 yuan but the registered capital is 999999/ },
  { name: 'one-person company with two shareholders', body: makeApplication({ entityType: 'one_person_llc' }), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders'] },
  { name: 'no shareholders', body: makeApplication({ shareholders: [] }), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders'] },
  { name: 'address outside 三门峡 (Beijing 110101)', body: makeApplication({ address: { divisionCode: '110101' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['address.divisionCode'], message: /411200/ },
  { name: 'address detail too short', body: makeApplication({ address: { detail: '88号' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['address.detail'] },
  { name: 'company name only blanks around 3 characters', body: makeApplication({ companyName: '   三门峡  ' }), status: 400, code: 'APPLICATION_INVALID', paths: ['companyName'] },
  // seals, tax, social insurance, bank, delivery, housing fund
  { name: 'duplicate seal kinds', body: makeApplication({ sealOrder: { kinds: ['company', 'finance', 'finance'] } }), status: 400, code: 'APPLICATION_INVALID', paths: ['sealOrder.kinds'], message: /once/ },
  { name: 'no company seal', body: makeApplication({ sealOrder: { kinds: ['finance', 'invoice'] } }), status: 400, code: 'APPLICATION_INVALID', paths: ['sealOrder.kinds'], message: /company seal/ },
  { name: 'unknown seal kind', body: makeApplication({ sealOrder: { kinds: ['company', 'secret'] } as never }), status: 400, code: 'APPLICATION_INVALID', paths: ['sealOrder.kinds.1'] },
  { name: 'bad seal maker id', body: makeApplication({ sealOrder: { makerId: 'MAKER-1' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['sealOrder.makerId'], message: /SM0001/ },
  { name: 'no invoices asked for', body: makeApplication({ tax: { invoices: [] } }), status: 400, code: 'APPLICATION_INVALID', paths: ['tax.invoices'] },
  { name: 'the same invoice kind twice', body: makeApplication({ tax: { invoices: [{ kind: 'e_invoice', quantity: 1 }, { kind: 'e_invoice', quantity: 2 }] } }), status: 400, code: 'APPLICATION_INVALID', paths: ['tax.invoices'] },
  { name: 'zero invoices of a kind', body: makeApplication({ tax: { invoices: [{ kind: 'e_invoice', quantity: 0 }] } }), status: 400, code: 'APPLICATION_INVALID', paths: ['tax.invoices.0.quantity'] },
  { name: 'startMonth 2026-13', body: makeApplication({ socialInsurance: { startMonth: '2026-13' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['socialInsurance.startMonth'] },
  { name: 'startMonth not YYYY-MM', body: makeApplication({ socialInsurance: { startMonth: '2026/02' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['socialInsurance.startMonth'] },
  { name: 'bank code in lower case', body: makeApplication({ bank: { bankCode: 'icbc' } }), status: 400, code: 'APPLICATION_INVALID', paths: ['bank.bankCode'] },
  { name: 'unknown delivery method', body: form((f) => (f.delivery.method = 'drone')), status: 400, code: 'APPLICATION_INVALID', paths: ['delivery.method'] },
  { name: 'housing fund rate above 12%', body: makeApplication({ housingFund: { depositRatePercent: 20 } }), status: 400, code: 'APPLICATION_INVALID', paths: ['housingFund.depositRatePercent'] },
  { name: 'unknown entityType', body: makeApplication({ entityType: 'corporation' as never }), status: 400, code: 'APPLICATION_INVALID', paths: ['entityType'] },
  { name: 'unknown shareholder kind', body: form((f) => (f.shareholders[1].kind = 'trust')), status: 400, code: 'APPLICATION_INVALID', paths: ['shareholders.1.kind'] },
  {
    name: 'several mistakes at once are all reported',
    body: makeApplication({ companyName: 'ab', bank: { bankCode: 'x' }, sealOrder: { makerId: 'x' } }),
    status: 400,
    code: 'APPLICATION_INVALID',
    paths: ['bank.bankCode', 'companyName', 'sealOrder.makerId'],
  },
];

const BODY_CASES: Case[] = [
  { name: 'null body', body: 'null', status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'array body', body: JSON.stringify([makeApplication()]), status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'a JSON string', body: '"an application"', status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'a JSON number', body: '42', status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'empty body with Content-Type: application/json', body: '', status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'no body at all', body: undefined, status: 400, code: 'APPLICATION_INVALID', paths: ['(body)'] },
  { name: 'not JSON', body: '{oops', status: 400, code: 'BODY_NOT_JSON' },
  // PostgreSQL's jsonb cannot store U+0000: refused up front on every store, naming the field.
  { name: 'a NUL character in a text field', body: JSON.stringify(makeApplication({ address: { detail: '湖滨区\u0000黄河路 88 号' } })), status: 400, code: 'REQUEST_INVALID', paths: ['address.detail'] },
  { name: 'JSON cut off', body: JSON.stringify(makeApplication()).slice(0, 120), status: 400, code: 'BODY_NOT_JSON' },
  { name: 'text/plain', body: JSON.stringify(makeApplication()), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form-urlencoded', body: 'companyName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'body over 1 MiB', body: JSON.stringify(makeApplication({ businessScope: '软'.repeat(400_000) })), status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

async function post(h: Harness, c: Pick<Case, 'body' | 'headers'>) {
  return h.http('POST', '/v1/applications', c.body, c.headers);
}

t.test('invalid applications are refused with a stable code and exact field paths, and nothing is written', async (t) => {
  // A fake clock keeps the executor still: nothing but the HTTP layer runs.
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const checkError = (c: Case, reply: { status: number; body: unknown; text: string }) => {
    t.equal(reply.status, c.status, `${c.name}: HTTP ${c.status}`);
    const body = reply.body as ErrorReply;
    t.equal(body.code, c.code, `${c.name}: code ${c.code}`);
    t.type(body.message, 'string');
    t.ok(body.message.length > 10, `${c.name}: a message a person can act on`);
    if (c.paths) {
      const paths = [...new Set((body.details ?? []).map((d) => d.path))].sort();
      t.same(paths, [...c.paths].sort(), `${c.name}: details name ${c.paths.join(', ')}`);
      t.ok((body.details ?? []).every((d) => typeof d.message === 'string' && d.message.length > 0), `${c.name}: every detail has a message`);
      if (c.message) t.ok((body.details ?? []).some((d) => c.message!.test(d.message)), `${c.name}: message matches ${String(c.message)}`);
    } else {
      t.notOk(body.details?.length, `${c.name}: no field details`);
    }
  };

  t.ok(residentIdCheckChar('41120219850230301'), 'the impossible-date fixture has a computable check character');

  for (const c of [...FIELD_CASES, ...BODY_CASES]) checkError(c, await post(h, c));

  t.same(await h.gateway.store.listApplications({}), [], 'no application was written');
  const listed = await h.http('GET', '/v1/ops/applications?state=in_progress');
  t.equal(listed.status, 200);
  t.same(listed.body, { items: [], nextCursor: null }, 'ops see no application in progress');
  t.equal(await h.gateway.store.countPendingEffects(), 0, 'no department call was queued');

  // The same valid form is accepted (the refusals were about the mistakes, not the harness).
  const ok = await post(h, { body: makeApplication() });
  t.equal(ok.status, 202);
  const charset = await post(h, { body: JSON.stringify(makeApplication({ companyName: '三门峡字符集科技有限公司' })), headers: { 'content-type': 'application/json; charset=utf-8' } });
  t.equal(charset.status, 202, 'application/json with a charset parameter is JSON');
  t.equal((await h.gateway.store.listApplications({})).length, 2);
});

/** mulberry32: a small seeded PRNG, so a failing mutation can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every node below the root, as a path of keys/indices. */
function nodePaths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...nodePaths(v, [...prefix, i])]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...nodePaths(v, [...prefix, k])]);
  return [];
}

const WRONG_VALUES: Json[] = [null, 0, -1, 1.5, 1e300, '', 'x', '软'.repeat(300), true, false, [], {}, [1, 2], { a: 1 }, '2026-13', '   '];

t.test('200 random mutations of a valid form: always 202 or 400, a 400 names the mutated field, never a 5xx', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const random = rng(20261130);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let accepted = 0;
  const statuses: Record<number, number> = {};
  for (let i = 0; i < 200; i++) {
    const body = JSON.parse(JSON.stringify(makeApplication())) as Json;
    const path = pick(nodePaths(body));
    const parent = path.slice(0, -1).reduce<Loose>((node, key) => node[key], body);
    const key = path.at(-1)!;
    const remove = random() < 0.35;
    let description: string;
    if (remove) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      description = `delete ${path.join('.')}`;
    } else {
      const value = pick(WRONG_VALUES);
      parent[key] = value;
      description = `${path.join('.')} = ${JSON.stringify(value).slice(0, 20)}`;
    }
    const reply = await post(h, { body });
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    if (reply.status === 202) {
      accepted++;
      continue;
    }
    if (reply.status !== 400) {
      t.fail(`mutation #${i} (${description}) answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      continue;
    }
    const error = reply.body as ErrorReply;
    const mutated = path.join('.');
    const related = (error.details ?? []).some(
      (d) => d.path === mutated || d.path.startsWith(`${mutated}.`) || mutated.startsWith(`${d.path}.`),
    );
    if (error.code !== 'APPLICATION_INVALID' || !related) {
      t.fail(`mutation #${i} (${description}): ${reply.text.slice(0, 300)}`);
    }
  }
  t.pass(`statuses: ${JSON.stringify(statuses)}`);
  t.ok((statuses[400] ?? 0) > 100, 'most mutations are invalid');
  t.notOk(Object.keys(statuses).some((s) => Number(s) >= 500), 'no 5xx');
  t.equal((await h.gateway.store.listApplications({ limit: 1000 })).length, accepted, 'exactly the accepted mutations were written');
});
