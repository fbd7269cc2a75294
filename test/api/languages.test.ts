// Two languages over HTTP: Accept-Language picks Chinese or English for every error (message and
// details), the codes stay the same; and GET /v1/forms/application describes the deployment's form
// in that language.
import t from 'tap';
import { makeApplication } from '../fixtures/application.ts';
import { startHarness } from '../support/harness.ts';

const FAKE_NOW = '2026-11-30T09:00:00+08:00';
const CJK = /[\u3400-\u9fff]/;

interface ErrorReply {
  code: string;
  message: string;
  details?: Array<{ path: string; code: string; message: string }>;
}

t.test('errors answer in the negotiated language with the same codes', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const bad = makeApplication({ companyName: 'ab', legalRepresentative: { idNumber: '411202198506123015' }, registeredCapitalYuan: 999_999 });
  const en = await h.http('POST', '/v1/applications', bad);
  const zh = await h.http('POST', '/v1/applications', bad, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
  const [e, c] = [en.body as ErrorReply, zh.body as ErrorReply];
  t.equal(e.code, 'APPLICATION_INVALID');
  t.equal(c.code, 'APPLICATION_INVALID');
  t.equal(en.headers['content-language'], 'en');
  t.equal(zh.headers['content-language'], 'zh-CN');
  t.match(String(zh.headers.vary), /accept-language/i);
  t.match(e.message, /correct the fields/);
  t.match(c.message, /请按提示逐项更正/);
  t.same(c.details!.map((d) => [d.path, d.code]), e.details!.map((d) => [d.path, d.code]), 'the same paths and codes');
  t.same(e.details!.map((d) => d.code).sort(), ['company_name.too_short', 'resident_id.check_character', 'shareholders.sum_mismatch']);
  for (const d of c.details!) t.match(d.message, CJK, `${d.path}: Chinese`);
  t.match(c.details!.find((d) => d.code === 'shareholders.sum_mismatch')!.message, /股东认缴出资合计 1000000 元，与注册资本 999999 元不一致/);

  const cases: Array<[string, string, Record<string, string>, RegExp]> = [
    ['GET', '/v1/applications/none', { 'accept-language': 'zh' }, /没有该编号的申请/],
    ['GET', '/no/such/route', { 'accept-language': 'zh-TW' }, /没有该接口/],
    ['GET', '/v1/applications/none', { 'accept-language': 'fr, en;q=0.5' }, /No application has this id/],
    ['GET', '/v1/applications/none', {}, /No application has this id/],
    ['GET', '/v1/ops/reports/monthly?month=2026-13', { 'accept-language': 'zh-CN' }, /请求内容不正确/],
  ];
  for (const [method, path, headers, expected] of cases) {
    const reply = await h.http(method as 'GET', path, undefined, headers);
    t.match((reply.body as ErrorReply).message, expected, `${path} with ${JSON.stringify(headers)}`);
  }
  const month = await h.http('GET', '/v1/ops/reports/monthly?month=2026-13', undefined, { 'accept-language': 'zh-CN' });
  t.same((month.body as ErrorReply).details, [{ path: 'querystring.month', code: 'month.format', message: '月份格式应为“YYYY-MM”，例如“2026-02”' }]);
  const body = await h.http('POST', '/v1/applications', '{"a":', { 'accept-language': 'zh-CN' });
  t.match(body.body, { code: 'BODY_NOT_JSON', message: /不是有效的 JSON/ });
  const key = await h.http('POST', '/v1/applications', makeApplication(), { 'accept-language': 'zh-CN', 'idempotency-key': 'short' });
  t.match(key.body, { code: 'IDEMPOTENCY_KEY_INVALID', details: [{ path: 'headers.idempotency-key', code: 'idempotency_key.format' }] });
});

t.test('GET /v1/forms/application describes the form in Chinese or English', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const zh = await h.http('GET', '/v1/forms/application', undefined, { 'accept-language': 'zh-CN' });
  t.equal(zh.status, 200);
  t.equal(zh.headers['content-language'], 'zh-CN');
  const form = zh.body as { language: string; sections: Array<{ id: string; title: string; fields: Array<{ path: string; label: string; type: string; values?: Array<{ value: string; label: string }> }> }> };
  t.equal(form.language, 'zh-CN');
  t.same(form.sections.map((s) => s.title), ['企业基本信息', '法定代表人', '股东及出资', '印章', '税务与发票', '社保', '银行开户', '领取方式']);
  const division = form.sections[0]!.fields.find((f) => f.path === 'address.divisionCode')!;
  t.equal(division.type, 'choice');
  t.same(division.values!.map((v) => v.label), ['三门峡市', '湖滨区', '陕州区', '渑池县', '卢氏县', '义马市', '灵宝市'], "the registered address: this city's districts");
  const seals = form.sections.find((s) => s.id === 'sealOrder')!.fields.find((f) => f.path === 'sealOrder.kinds')!;
  t.same(seals.values!.map((v) => v.label), ['公章', '财务章', '发票章', '合同章', '法人章']);
  const en = await h.http('GET', '/v1/forms/application');
  t.equal((en.body as typeof form).sections[0]!.title, 'The company');

  const withFund = await startHarness(t, { fakeClockAt: FAKE_NOW, steps: ['business-licence', 'seal-engraving', 'tax-invoice', 'social-insurance', 'bank-account', 'postal-delivery', 'housing-provident-fund'] });
  const fund = (await withFund.http('GET', '/v1/forms/application', undefined, { 'accept-language': 'zh' })).body as typeof form;
  t.equal(fund.sections.at(-1)!.title, '住房公积金', 'the housing fund section where the step is enabled');
});
