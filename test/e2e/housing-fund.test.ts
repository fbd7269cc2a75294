// The optional seventh step, 住房公积金 (housing provident fund), enabled by configuration: it runs in
// parallel with the other departments once the licence is issued, and its result is part of the
// application. It only needs the company and the fund details: no personal data.
import t from 'tap';
import { CORE_STEP_IDS, STEP_IDS, type StepId } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

type Status = Awaited<ReturnType<Harness['status']>>;
const stepOf = (status: Status, step: StepId) =>
  status.steps.find((s) => s.step === step)! as Status['steps'][number] & { startedAt: string; finishedAt: string; problem: string | null; result: Record<string, unknown> };

t.test('with the housing-fund step enabled, it runs in parallel after the licence and the application completes with it', async (t) => {
  const h = await startHarness(t, { seed: 17, steps: [...CORE_STEP_IDS, 'housing-provident-fund'] });
  const submitted = await h.submit({ housingFund: { depositRatePercent: 10, employeeCount: 12 } });
  t.equal(submitted.status, 202);
  const id = submitted.body.id as string;
  const done = await h.waitFor(id, (s) => s.state === 'completed');
  t.same(done.steps.map((s) => s.step), [...STEP_IDS], 'the status lists the seventh step after the six');
  const fund = stepOf(done, 'housing-provident-fund');
  t.equal(fund.state, 'done');
  t.match(fund.result, { unitAccountNumber: /^\d{12}$/, registeredAt: String }, 'with the fund centre’s unit account');
  const licence = stepOf(done, 'business-licence');
  t.ok(fund.startedAt >= licence.finishedAt, 'it waited for the licence');
  // Parallel: it did not wait for the asynchronous seal maker or tax bureau (who take ≥ 200 ms).
  t.ok(fund.startedAt < stepOf(done, 'seal-engraving').finishedAt, 'it started before the seals were finished');
  t.ok(fund.startedAt < stepOf(done, 'tax-invoice').finishedAt, 'and before the invoices were issued');
  t.ok(done.completedAt! >= fund.finishedAt, 'the application completed after it');

  const department = h.mocks.departments['housing-provident-fund'];
  const requests = department.requests().filter((r) => r.applicationId === id);
  t.equal(requests.length, 1);
  t.equal(requests[0]!.idempotencyKey, `${id}:housing-provident-fund:1`);
  t.same(requests[0]!.data.housingFund, { depositRatePercent: 10, employeeCount: 12 });
  t.equal(requests[0]!.data.creditCode, licence.result.creditCode, 'keyed by the credit code');
  t.notMatch(JSON.stringify(requests[0]!.data), /idNumber|mobile|shareholders/, 'no personal data');
  t.equal(department.effects().filter((e) => e.applicationId === id).length, 1);
  t.same(fund.result, department.effects()[0]!.result);
  const departments = (await h.http('GET', '/v1/ops/departments')).body as { departments: Array<{ step: string }> };
  t.ok(departments.departments.some((d) => d.step === 'housing-provident-fund'), 'ops see the seventh department');
});

t.test('without the housing-fund step, the same form runs the six core steps only', async (t) => {
  const h = await startHarness(t, { seed: 18 });
  const id = (await h.submit()).body.id as string; // the fixture carries housingFund
  const done = await h.waitFor(id, (s) => s.state === 'completed');
  t.same(done.steps.map((s) => s.step), [...CORE_STEP_IDS]);
  t.match(await h.http('POST', `/v1/ops/applications/${id}/steps/housing-provident-fund/retry`), { status: 404, body: { code: 'STEP_UNKNOWN' } });
});

t.test('enabled step, no housingFund in the form: the submission is refused at path housingFund', async (t) => {
  const h = await startHarness(t, { seed: 19, steps: [...CORE_STEP_IDS, 'housing-provident-fund'] });
  const refused = await h.submit({ housingFund: undefined });
  t.equal(refused.status, 400);
  t.match(refused.body, { code: 'APPLICATION_INVALID', details: [{ path: 'housingFund', message: /housingFund/ }] });
  t.equal((refused.body.details as unknown[]).length, 1, 'only that field');
  t.same(await h.gateway.store.listApplications({}), [], 'nothing was written');
  t.equal(h.mocks.departments['business-licence'].requests().length, 0, 'no department was called');
  const invalid = await h.submit({ housingFund: { depositRatePercent: 4 } });
  t.match(invalid.body, { code: 'APPLICATION_INVALID', details: [{ path: 'housingFund.depositRatePercent' }] });
  // Without the step, the same form without housingFund is fine.
  const core = await startHarness(t, { seed: 20 });
  t.equal((await core.submit({ housingFund: undefined })).status, 202);
});
