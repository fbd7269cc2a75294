// Every mock department answers contract-valid results carrying valid, realistic identifiers.
import t from 'tap';
import {
  isValidCreditCode,
  isValidS10TrackingNumber,
  SANMENXIA_DIVISIONS,
  SealEngravingMilestone,
  STEP_CONTRACTS,
  STEP_IDS,
  TaxInvoiceMilestone,
  type StepId,
} from '../../contracts/index.ts';
import { SEAL_MAKERS } from '../../mocks/index.ts';
import { isValidIso7064Mod1110 } from '../../mocks/kit/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import { call, fakeClock, gatewaySignature, makeEnvelope, requestDataFor, send, startMockFor, UPSTREAM } from './helpers.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

t.test('every step answers a valid request with a contract-valid result (sync mode)', async (t) => {
  for (const step of STEP_IDS) {
    const mock = await startMockFor(t, step, { behaviour: { mode: 'sync' }, seed: 7 });
    const answer = await send(mock, makeEnvelope(step));
    t.equal(answer.status, 200, `${step}: 200`);
    t.equal(answer.json.outcome, 'completed');
    t.match(answer.json.reference, /^[A-Z]{3,4}\d{8}\d{6}[0-9A-Y]{4}$/, `${step}: a department reference`);
    const parsed = STEP_CONTRACTS[step].result.safeParse(answer.json.result);
    t.ok(parsed.success, `${step}: result validates against its contract`);
    t.equal(mock.effects().length, 1, `${step}: one effect`);
  }
});

t.test('business licence: a credit code for the address division, a registration number, an e-licence', async (t) => {
  const mock = await startMockFor(t, 'business-licence', { seed: 1 });
  for (const divisionCode of Object.keys(SANMENXIA_DIVISIONS)) {
    const form = makeApplicationForm({ address: { divisionCode } });
    const { json } = await send(mock, makeEnvelope('business-licence', { data: requestDataFor('business-licence', form) }));
    const { creditCode, licenceNumber, eLicenceUrl, registeredAt } = json.result;
    t.ok(isValidCreditCode(creditCode), `${creditCode} passes GB 11714 and GB 32100`);
    t.equal(creditCode.slice(2, 8), divisionCode, 'positions 3–8 are the address division');
    t.equal(creditCode[0], '9', 'registered by the market regulator');
    t.equal(creditCode[1], '1', 'an enterprise');
    t.match(creditCode.slice(8, 10), 'MA', 'a post-2015 organisation code');
    t.match(licenceNumber, new RegExp(`^${divisionCode}\\d{9}$`), 'a 15-digit registration number from the division');
    t.ok(isValidIso7064Mod1110(licenceNumber), 'its ISO 7064 MOD 11,10 check digit is right');
    t.equal(eLicenceUrl, `https://e-licence.example.gov.cn/${creditCode}`);
    t.match(registeredAt, ISO);
  }
  const codes = new Set(mock.effects().map((e) => e.result.creditCode));
  t.equal(codes.size, Object.keys(SANMENXIA_DIVISIONS).length, 'every company gets its own code');
});

t.test('seal engraving: accepted with seal codes (赋码), completed when engraved and filed', async (t) => {
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 20 } });
  const envelope = makeEnvelope('seal-engraving');
  const accepted = await send(mock, envelope);
  t.equal(accepted.status, 202);
  t.equal(accepted.json.outcome, 'accepted');
  const milestone = SealEngravingMilestone.parse(accepted.json.milestone);
  const kinds = requestDataFor('seal-engraving').sealOrder.kinds;
  t.same(milestone.sealCodes.map((s) => s.kind), kinds, 'one code per seal ordered');
  t.equal(new Set(milestone.sealCodes.map((s) => s.sealCode)).size, kinds.length, 'codes are distinct');
  for (const { sealCode } of milestone.sealCodes) {
    t.match(sealCode, /^\d{13}$/);
    t.equal(sealCode.slice(0, 6), UPSTREAM.creditCode.slice(2, 8), 'a seal code starts with the company division');
  }
  await mock.settled();
  const polled = await call(`${mock.url}/requests/${accepted.json.reference}`);
  t.equal(polled.status, 200);
  t.equal(polled.json.outcome, 'completed');
  const result = STEP_CONTRACTS['seal-engraving'].result.parse(polled.json.result);
  t.same(result.seals, milestone.sealCodes, 'the engraved seals carry the codes assigned on acceptance');
  t.same(result.maker, { id: 'SM0001', name: SEAL_MAKERS[0]!.name });
  t.match(result.filingNumber, /^BA411202\d{12}$/);
  t.ok(Date.parse(result.engravedAt) >= Date.parse(milestone.codesAssignedAt));
});

t.test('seal engraving: every licensed maker, and an unlicensed one refused at the door', async (t) => {
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { mode: 'sync' } });
  for (const maker of SEAL_MAKERS) {
    const form = makeApplicationForm({ sealOrder: { makerId: maker.id } });
    const { json } = await send(mock, makeEnvelope('seal-engraving', { data: requestDataFor('seal-engraving', form) }));
    t.same(json.result.maker, { id: maker.id, name: maker.name }, maker.id);
  }
  const refused = await send(mock, makeEnvelope('seal-engraving', { data: requestDataFor('seal-engraving', makeApplicationForm({ sealOrder: { makerId: 'SM0099' } })) }));
  t.equal(refused.status, 422);
  t.equal(refused.json.outcome, 'rejected');
  t.same(refused.json.reasons.map((r: { path: string }) => r.path), ['sealOrder.makerId']);
  t.equal(mock.effects().length, SEAL_MAKERS.length, 'a refusal is no effect');
});

t.test('seal engraving: the maker must make the material, and the city pays only for what it covers', async (t) => {
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { mode: 'sync' } });
  const refusal = async (sealOrder: NonNullable<Parameters<typeof makeApplicationForm>[0]>['sealOrder']) => {
    const { status, json } = await send(mock, makeEnvelope('seal-engraving', { data: requestDataFor('seal-engraving', makeApplicationForm({ sealOrder })) }));
    return status === 422 ? (json.reasons as Array<{ path: string }>).map((r) => r.path) : [];
  };
  // SM0002 makes photosensitive and copper seals, not rubber ones (contracts/reference/seal-makers.json).
  t.same(await refusal({ makerId: 'SM0002', material: 'rubber', payment: 'applicant' }), ['sealOrder.material'], 'a material the maker does not make');
  t.same(await refusal({ makerId: 'SM0002', material: 'copper', payment: 'government' }), ['sealOrder.payment'], 'copper is not paid by the city');
  t.same(await refusal({ kinds: ['company', 'contract'], payment: 'government' }), ['sealOrder.payment'], 'a contract seal is not paid by the city');
  t.same(await refusal({ makerId: 'SM0002', material: 'copper', payment: 'applicant' }), [], 'paid by the applicant, copper is fine');
});

t.test('tax invoice: registered under the credit code, then the first invoices', async (t) => {
  const mock = await startMockFor(t, 'tax-invoice', { behaviour: { callbackDelayMs: 10 } });
  const form = makeApplicationForm({
    tax: {
      taxpayerType: 'general',
      invoices: [
        { kind: 'vat_special', quantity: 25 },
        { kind: 'vat_ordinary', quantity: 50 },
        { kind: 'e_invoice', quantity: 100 },
      ],
    },
  });
  const accepted = await send(mock, makeEnvelope('tax-invoice', { data: requestDataFor('tax-invoice', form) }));
  t.equal(accepted.status, 202);
  const milestone = TaxInvoiceMilestone.parse(accepted.json.milestone);
  t.equal(milestone.taxRegistrationNumber, UPSTREAM.creditCode, 'the credit code is the taxpayer number');
  await mock.settled();
  const { json } = await call(`${mock.url}/requests/${accepted.json.reference}`);
  const result = STEP_CONTRACTS['tax-invoice'].result.parse(json.result);
  t.equal(result.taxRegistrationNumber, UPSTREAM.creditCode);
  const byKind = Object.fromEntries(result.invoices.map((i) => [i.kind, i]));
  t.match(byKind.vat_special!.invoiceCode, /^4112\d{6}$/, 'a VAT special invoice code: 10 digits, region first');
  t.match(byKind.vat_ordinary!.invoiceCode, /^04112\d{5}04$/, 'an ordinary invoice code: 12 digits');
  t.match(byKind.e_invoice!.invoiceCode, /^04112\d{5}11$/, 'an electronic invoice code: 12 digits');
  for (const invoice of result.invoices) t.match(invoice.firstNumber, /^[1-9]\d{7}$/, 'an 8-digit first number');
  t.same(result.invoices.map((i) => i.quantity), [25, 50, 100]);
});

t.test('social insurance, bank account, housing fund', async (t) => {
  const social = await startMockFor(t, 'social-insurance');
  const s = await send(social, makeEnvelope('social-insurance'));
  t.equal(s.status, 200);
  t.match(s.json.result.registrationNumber, /^411202\d{8}$/);

  const bank = await startMockFor(t, 'bank-account');
  const lengths: Record<string, number> = { ICBC: 19, BOC: 12, ABC: 15, CITIC: 16 };
  for (const [bankCode, length] of Object.entries(lengths)) {
    const form = makeApplicationForm({ bank: { bankCode, branch: `${bankCode} 三门峡分行` } });
    const { json } = await send(bank, makeEnvelope('bank-account', { data: requestDataFor('bank-account', form) }));
    t.match(json.result.accountNumber, new RegExp(`^[1-9]\\d{${length - 1}}$`), `${bankCode}: ${length} digits`);
    t.equal(json.result.bankCode, bankCode);
    t.equal(json.result.branch, `${bankCode} 三门峡分行`);
  }

  const fund = await startMockFor(t, 'housing-provident-fund');
  const f = await send(fund, makeEnvelope('housing-provident-fund'));
  t.match(f.json.result.unitAccountNumber, /^4112\d{8}$/);
});

t.test('postal delivery: an S10 tracking number by post, a pickup code at the hall', async (t) => {
  const mock = await startMockFor(t, 'postal-delivery', { seed: 3 });
  for (let i = 0; i < 20; i++) {
    const { json } = await send(mock, makeEnvelope('postal-delivery'));
    t.equal(json.result.method, 'post');
    t.ok(isValidS10TrackingNumber(json.result.trackingNumber), `${json.result.trackingNumber} is a valid UPU S10 identifier`);
    t.match(json.result.trackingNumber, /^E[A-Z]\d{9}CN$/, 'EMS');
  }
  const pickup = await send(mock, makeEnvelope('postal-delivery', { data: requestDataFor('postal-delivery', makeApplicationForm({ delivery: { method: 'pickup' } })) }));
  t.equal(pickup.json.result.method, 'pickup');
  t.match(pickup.json.result.pickupCode, /^\d{6}$/);
  t.equal(pickup.json.result.hall, '三门峡市政务服务中心', 'the default hall');
});

t.test('a seed and a clock make the answers reproducible', async (t) => {
  const answers: unknown[] = [];
  for (const _ of [1, 2]) {
    const clock = fakeClock();
    const mock = await startMockFor(t, 'business-licence', { seed: 42, clock: clock.now });
    const envelope = makeEnvelope('business-licence', { applicationId: 'app-seeded', idempotencyKey: 'app-seeded:business-licence:1' });
    answers.push((await send(mock, envelope)).json);
  }
  t.same(answers[0], answers[1]);
  t.equal((answers[0] as { result: { registeredAt: string } }).result.registeredAt, '2026-03-02T01:00:00.000Z', 'time comes from the injected clock');
});

t.test('an invalid request is refused with DEPARTMENT_REQUEST_INVALID and field details', async (t) => {
  const mock = await startMockFor(t, 'tax-invoice');
  const steps = (json: { details: { path: string }[] }) => json.details.map((d) => d.path).sort();

  const badData = makeEnvelope('tax-invoice', { data: { ...requestDataFor('tax-invoice'), creditCode: '91411202MA45R7K290', tax: { taxpayerType: 'x', invoices: [] } } });
  const a = await send(mock, badData);
  t.equal(a.status, 400);
  t.equal(a.json.code, 'DEPARTMENT_REQUEST_INVALID');
  t.same(steps(a.json), ['data.creditCode', 'data.tax.invoices', 'data.tax.taxpayerType']);

  const noKey = makeEnvelope('tax-invoice');
  const b = await call(`${mock.url}/requests`, { body: noKey });
  t.equal(b.status, 400);
  t.same(steps(b.json), ['headers.idempotency-key']);

  const c = await send(mock, noKey, { 'idempotency-key': 'another-key-123' });
  t.same(steps(c.json), ['headers.idempotency-key'], 'the header must repeat the body key');

  const d = await send(mock, { ...makeEnvelope('tax-invoice'), step: 'bank-account' });
  t.same(steps(d.json), ['step'], 'a department handles its own step only');

  const e = await send(mock, { ...makeEnvelope('tax-invoice'), callbackUrl: 'not a url', idempotencyKey: 'short' }, { 'idempotency-key': 'short' });
  t.same(steps(e.json), ['callbackUrl', 'idempotencyKey']);

  const f = await call(`${mock.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-12345678' }, body: undefined });
  t.equal(f.status, 400);

  const cutOff = '{"applicationId":';
  const g = await (await import('undici')).request(`${mock.url}/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...gatewaySignature(`${mock.url}/requests`, cutOff) },
    body: cutOff,
  });
  t.equal(g.statusCode, 400);
  t.equal(((await g.body.json()) as { code: string }).code, 'DEPARTMENT_REQUEST_INVALID', 'a body that is not JSON');

  t.same(mock.requests(), [], 'refused requests are not received requests');
  t.same(mock.effects(), []);

  const h = await call(`${mock.url}/nowhere`);
  t.equal(h.status, 404);
  t.equal(h.json.code, 'NOT_FOUND');

  const unknownReference = await call(`${mock.url}/requests/SWDJ2026010100000199XX`);
  t.equal(unknownReference.status, 404);
  t.equal(unknownReference.json.code, 'DEPARTMENT_REFERENCE_UNKNOWN');
});

t.test('every step has a mock', async (t) => {
  const { MOCK_STEPS } = await import('../../mocks/index.ts');
  t.same(Object.keys(MOCK_STEPS).sort(), [...STEP_IDS].sort());
  for (const step of STEP_IDS) t.equal(MOCK_STEPS[step as StepId].step, step);
});
