// startMockDepartments: one server per step, and a whole company opened across the six of them,
// each step's request built from the results of the steps before it.
import t from 'tap';
import {
  CORE_STEP_IDS,
  isValidCreditCode,
  isValidS10TrackingNumber,
  STEP_CONTRACTS,
  STEP_IDS,
  type StepId,
} from '../../contracts/index.ts';
import { startMockDepartment, startMockDepartments } from '../../mocks/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import { call, makeEnvelope, registerMock, requestDataFor, SECRET, send, startReceiver, type Upstream } from './helpers.ts';

const secrets = Object.fromEntries(STEP_IDS.map((step) => [step, `${SECRET}-${step}`])) as Record<StepId, string>;

t.test('the six core departments, each on its own port', async (t) => {
  const mocks = await startMockDepartments({ secrets, host: '127.0.0.1' });
  t.teardown(() => mocks.close());
  t.same(Object.keys(mocks.departments).sort(), [...CORE_STEP_IDS].sort(), 'housing fund is optional');
  const urls = Object.values(mocks.urls);
  t.equal(new Set(urls).size, CORE_STEP_IDS.length, 'distinct ports');
  for (const step of CORE_STEP_IDS) {
    t.match(mocks.urls[step], /^http:\/\/127\.0\.0\.1:\d+$/);
    t.same((await call(`${mocks.urls[step]}/health`)).json, { status: 'ok', step });
    t.equal(mocks.departments[step].step, step);
  }
  await mocks.close();
  await t.rejects(call(`${mocks.urls['business-licence']}/health`), 'closed');
});

t.test('steps, behaviour and seed', async (t) => {
  const run = async () => {
    const mocks = await startMockDepartments({
      steps: ['business-licence', 'housing-provident-fund'],
      secrets,
      seed: 2026,
      clock: () => new Date('2026-03-02T01:00:00Z'),
      behaviour: { 'business-licence': { mode: 'async', callbackDelayMs: 0 } },
    });
    t.teardown(() => mocks.close());
    for (const department of Object.values(mocks.departments)) registerMock(department.url, secrets[department.step], () => new Date('2026-03-02T01:00:00Z'));
    return mocks;
  };
  const first = await run();
  t.same(Object.keys(first.departments).sort(), ['business-licence', 'housing-provident-fund']);
  t.equal(first.departments['business-licence'].behaviour().mode, 'async');
  t.equal(first.departments['housing-provident-fund'].behaviour().mode, 'sync');
  const second = await run();
  const envelope = makeEnvelope('housing-provident-fund', { applicationId: 'app-seed', idempotencyKey: 'app-seed:housing-provident-fund:1' });
  t.same((await send(second.departments['housing-provident-fund'], envelope)).json, (await send(first.departments['housing-provident-fund'], envelope)).json, 'the same seed gives the same answers');
});

t.test('a missing secret or a repeated step is refused before anything starts', async (t) => {
  await t.rejects(startMockDepartments({ steps: ['tax-invoice'], secrets: {} }), /no secret for tax-invoice/);
  await t.rejects(startMockDepartments({ steps: ['tax-invoice', 'tax-invoice'], secrets }), /once/);
  await t.rejects(startMockDepartment({ step: 'tax-invoice', secret: SECRET, behaviour: { errorRate: 3 } }), 'an invalid behaviour is refused at start');
});

t.test('a whole company opened across the six departments', async (t) => {
  const receiver = await startReceiver(t);
  const mocks = await startMockDepartments({
    secrets,
    behaviour: { 'seal-engraving': { callbackDelayMs: 20 }, 'tax-invoice': { callbackDelayMs: 20 } },
  });
  t.teardown(() => mocks.close());
  for (const department of Object.values(mocks.departments)) registerMock(department.url, secrets[department.step]);
  const form = makeApplicationForm({ address: { divisionCode: '411282' } });
  const applicationId = 'app-e2e-0001';
  const envelopeFor = (step: StepId, upstream?: Upstream) =>
    makeEnvelope(step, {
      applicationId,
      idempotencyKey: `${applicationId}:${step}:1`,
      callbackUrl: receiver.callbackUrl(step),
      data: upstream ? requestDataFor(step, form, upstream) : requestDataFor(step, form),
    });

  const licence = await send(mocks.departments['business-licence'], envelopeFor('business-licence'));
  const { creditCode, eLicenceUrl, licenceNumber } = STEP_CONTRACTS['business-licence'].result.parse(licence.json.result);
  t.ok(isValidCreditCode(creditCode));
  t.equal(creditCode.slice(2, 8), '411282', '灵宝市');

  const upstream: Upstream = { creditCode, eLicenceUrl, licenceNumber, sealFilingNumber: 'pending' };
  const [seal, tax, social] = await Promise.all([
    send(mocks.departments['seal-engraving'], envelopeFor('seal-engraving', upstream)),
    send(mocks.departments['tax-invoice'], envelopeFor('tax-invoice', upstream)),
    send(mocks.departments['social-insurance'], envelopeFor('social-insurance', upstream)),
  ]);
  t.same([seal.status, tax.status, social.status], [202, 202, 200], 'seals and invoices are asynchronous');
  await receiver.waitFor(2);
  const byStep = Object.fromEntries(receiver.received.map((c) => [String(c.headers['x-department-id']), c.body]));
  const sealResult = STEP_CONTRACTS['seal-engraving'].result.parse(byStep['seal-engraving']!.result);
  const taxResult = STEP_CONTRACTS['tax-invoice'].result.parse(byStep['tax-invoice']!.result);
  t.equal(taxResult.taxRegistrationNumber, creditCode);
  t.ok(sealResult.seals.every((s) => s.sealCode.startsWith('411282')));

  upstream.sealFilingNumber = sealResult.filingNumber;
  const bank = await send(mocks.departments['bank-account'], envelopeFor('bank-account', upstream));
  t.equal(bank.status, 200);
  const postal = await send(mocks.departments['postal-delivery'], envelopeFor('postal-delivery', upstream));
  t.ok(isValidS10TrackingNumber(postal.json.result.trackingNumber));

  for (const step of CORE_STEP_IDS) {
    const effects = mocks.departments[step].effects();
    t.same(effects.map((e) => [e.applicationId, e.idempotencyKey]), [[applicationId, `${applicationId}:${step}:1`]], `${step}: exactly one effect`);
  }
});
