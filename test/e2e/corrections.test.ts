// Requests for correction (补正) and withdrawal, over HTTP through the mock departments.
//
//   - a department rejects → the application needs correction, the status carries the department's
//     reasons, the overall 3-working-day clock is paused (and on a fake clock its deadline moves
//     later by exactly the paused working time);
//   - the applicant sends only the corrected section → that step alone is sent again under a new
//     idempotency key (`<id>:<step>:2`), the other departments are not disturbed, the application
//     completes; corrections nobody waits for, or invalid ones, are refused with stable codes;
//   - withdrawal is refused while the licence request is with the regulator (it may still issue the
//     licence) and once it is issued; while the licence waits on a correction it is allowed and stops
//     every further department call.
import t from 'tap';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const at = (local: string) => new Date(`${local}+08:00`);
type Status = Awaited<ReturnType<Harness['status']>>;
type Step = Status['steps'][number] & { rejection: Array<{ path: string; message: string }> | null; sla: { state: string; deadline: string | null } };
const stepOf = (status: Status, step: StepId) => status.steps.find((s) => s.step === step)! as Step;
const overall = (status: Status) => status.sla as { state: string; deadline: string | null };

/** The department requests and effects of one application, by step. */
function traffic(h: Harness, id: string, step: StepId) {
  const department = h.mocks.departments[step];
  return {
    keys: department.requests().filter((r) => r.applicationId === id).map((r) => r.idempotencyKey),
    requests: department.requests().filter((r) => r.applicationId === id),
    effects: department.effects().filter((e) => e.applicationId === id),
  };
}

const NAME_TAKEN = [{ path: 'companyName', message: '名称重复：该企业名称已被登记，请更换名称 (the name is taken; choose another)' }];

t.test('the licence office rejects a taken name; the applicant corrects only the name; the application completes', async (t) => {
  const h = await startHarness(t, {
    seed: 3,
    behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: NAME_TAKEN } } },
  });
  const id = (await h.submit({ companyName: '三门峡重复科技有限公司' })).body.id as string;
  const rejected = await h.waitFor(id, (s) => s.state === 'needs_correction');
  t.equal(stepOf(rejected, 'business-licence').state, 'needs_correction');
  t.same(stepOf(rejected, 'business-licence').rejection, NAME_TAKEN, "the department's reasons are in the status");
  for (const step of CORE_STEP_IDS.slice(1)) t.equal(stepOf(rejected, step).state, 'waiting', `${step} waits for the licence`);
  t.equal(overall(rejected).state, 'paused', 'the 3-working-day clock is paused while the applicant corrects');
  const paused = (await h.http('GET', '/v1/ops/applications?sla=paused')).body as { items: Array<{ applicationId: string }> };
  t.ok(paused.items.some((i) => i.applicationId === id), 'ops see it paused');

  // Invalid corrections are refused with paths under fields., and change nothing.
  const invalid: Array<[unknown, string[]]> = [
    [{ fields: { companyName: 'ab' } }, ['fields.companyName']],
    [{ fields: { registeredCapitalYuan: 5 } }, ['fields.shareholders']], // checked against the merged form
    [{ fields: { address: { divisionCode: '110101', detail: '北京市东城区某街 1 号' } } }, ['fields.address.divisionCode']],
    [{ fields: { legalRepresentative: { name: '张伟', idNumber: '411202198506123015', mobile: '13838800001' } } }, ['fields.legalRepresentative.idNumber']],
    [{ fields: { tax: { taxpayerType: 'small_scale', invoices: [] } } }, ['fields.tax.invoices']],
    [{ fields: {} }, ['fields']],
    [{ fields: { nickname: 'x' } }, ['fields', 'fields.nickname']], // an unknown field is named
    [{ companyName: '三门峡新启科技有限公司' }, ['companyName', 'fields']],
  ];
  for (const [body, paths] of invalid) {
    const reply = await h.http('POST', `/v1/applications/${id}/corrections`, body);
    t.equal(reply.status, 400, `${JSON.stringify(body)} → 400`);
    t.match(reply.body, { code: 'CORRECTION_INVALID', message: String });
    t.same([...new Set((reply.body as { details: Array<{ path: string }> }).details.map((d) => d.path))].sort(), paths, `paths ${paths.join(', ')}`);
  }
  t.match(await h.http('POST', `/v1/applications/${id}/corrections`, '{"fields":'), { status: 400, body: { code: 'BODY_NOT_JSON' } });
  t.match(await h.http('POST', '/v1/applications/no-such-application/corrections', { fields: { companyName: '三门峡新启科技有限公司' } }), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });
  t.same(await h.status(id), rejected, 'refused corrections changed nothing');
  t.equal(traffic(h, id, 'business-licence').requests.length, 1);

  const corrected = await h.http('POST', `/v1/applications/${id}/corrections`, { fields: { companyName: '三门峡新启科技有限公司' }, note: '已更换名称' });
  t.equal(corrected.status, 202);
  const afterCorrection = corrected.body as Status;
  t.equal(afterCorrection.companyName, '三门峡新启科技有限公司');
  t.not(afterCorrection.state, 'needs_correction');
  t.not(overall(afterCorrection).state, 'paused', 'the clock runs again');

  const done = await h.waitFor(id, (s) => s.state === 'completed');
  t.equal(overall(done).state, 'met');
  const licence = traffic(h, id, 'business-licence');
  t.same(licence.keys, [`${id}:business-licence:1`, `${id}:business-licence:2`], 'the licence request was sent again under a new key');
  t.equal(licence.requests[1]!.data.companyName, '三门峡新启科技有限公司', 'with the corrected name');
  t.equal(licence.requests[1]!.data.registeredCapitalYuan, 1_000_000, 'and the rest of the form as it was');
  t.equal(licence.effects.length, 1, 'one licence issued');
  t.equal(licence.effects[0]!.idempotencyKey, `${id}:business-licence:2`);
  for (const step of CORE_STEP_IDS.slice(1)) {
    const { keys, effects } = traffic(h, id, step);
    t.same(keys, [`${id}:${step}:1`], `${step}: one request`);
    t.equal(effects.length, 1, `${step}: one effect`);
  }
  const types = (await h.gateway.store.listEvents(id, 0, 1000)).map((e) => `${e.type}${e.step ? `:${e.step}` : ''}`);
  t.ok(types.includes('step.rejected:business-licence'));
  t.ok(types.includes('sla.paused') && types.includes('sla.resumed'), 'the pause and the resumption are published');

  const late = await h.http('POST', `/v1/applications/${id}/corrections`, { fields: { companyName: '三门峡再改名科技有限公司' } });
  t.equal(late.status, 409);
  t.match(late.body, { code: 'CORRECTION_NOT_EXPECTED' });
  t.equal((await h.status(id)).companyName, '三门峡新启科技有限公司', 'a refused correction does not change the form');
});

t.test('a tax rejection pauses the overall clock; its deadline moves later by exactly the paused working time', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00', // Monday
    behaviour: {
      'tax-invoice': {
        reject: { when: 'always', reasons: [{ path: 'tax.invoices', message: '首次申领发票数量超过核定限额 (too many invoices)' }] },
        callbackDelayMs: 10,
      },
    },
  });
  const id = (await h.submit()).body.id as string;
  const submitted = await h.status(id);
  // 3 working days of 7 office hours from Monday 09:00: Wednesday 17:00 (same as the calculator says).
  t.equal(overall(submitted).deadline, at('2026-12-02T17:00:00').toISOString());
  const calculator = (await h.http('GET', `/v1/calendar/deadline?from=${encodeURIComponent('2026-11-30T09:00:00+08:00')}&workingDays=3`)).body as { deadline: string };
  t.equal(calculator.deadline, overall(submitted).deadline);

  // Two office hours later the departments answer; the tax bureau rejects.
  h.fakeClock!.set(at('2026-11-30T11:00:00'));
  await h.settle();
  const rejected = await h.status(id);
  t.equal(rejected.state, 'needs_correction');
  t.equal(stepOf(rejected, 'tax-invoice').state, 'needs_correction');
  t.same(stepOf(rejected, 'tax-invoice').rejection, [{ path: 'tax.invoices', message: '首次申领发票数量超过核定限额 (too many invoices)' }]);
  for (const step of ['business-licence', 'seal-engraving', 'social-insurance', 'bank-account'] as const) t.equal(stepOf(rejected, step).state, 'done', `${step} went on regardless`);
  t.equal(stepOf(rejected, 'postal-delivery').state, 'waiting', 'the post waits for the invoices');
  t.equal(overall(rejected).state, 'paused');

  // Time passes while the applicant thinks: it does not count against the departments.
  h.fakeClock!.set(at('2026-12-01T10:00:00')); // Tuesday: 11–12 and 13–17 on Monday + 9–10 on Tuesday = 6 working hours paused
  await h.settle();
  t.equal(overall(await h.status(id)).state, 'paused', 'still paused (no timer fired while paused)');
  t.match(await h.http('POST', `/v1/applications/${id}/withdrawal`, {}), { status: 409, body: { code: 'WITHDRAWAL_NOT_ALLOWED' } }, 'after the licence no withdrawal');

  h.mocks.departments['tax-invoice'].setBehaviour({ callbackDelayMs: 10 });
  const corrected = await h.http('POST', `/v1/applications/${id}/corrections`, { fields: { tax: { taxpayerType: 'small_scale', invoices: [{ kind: 'e_invoice', quantity: 5 }] } } });
  t.equal(corrected.status, 202);
  const resumed = corrected.body as Status;
  t.equal(overall(resumed).state, 'on_track');
  // 2 h used of 21 h; 19 h left from Tuesday 10:00 → Tue 6 h, Wed 7 h, Thu 09–12 + 13–16 → Thursday 16:00,
  // i.e. Wednesday 17:00 plus the 6 paused working hours.
  t.equal(overall(resumed).deadline, at('2026-12-03T16:00:00').toISOString());

  await h.settle();
  const done = await h.status(id);
  t.equal(done.state, 'completed');
  t.equal(overall(done).state, 'met');
  const tax = traffic(h, id, 'tax-invoice');
  t.same(tax.keys, [`${id}:tax-invoice:1`, `${id}:tax-invoice:2`]);
  t.same((tax.requests[1]!.data.tax as { invoices: unknown }).invoices, [{ kind: 'e_invoice', quantity: 5 }], 'the corrected section was sent');
  t.same(tax.effects.map((e) => e.idempotencyKey), [`${id}:tax-invoice:2`]);
  for (const step of ['business-licence', 'seal-engraving', 'social-insurance', 'bank-account', 'postal-delivery'] as const) {
    const { keys, effects } = traffic(h, id, step);
    t.same(keys, [`${id}:${step}:1`], `${step}: requested once`);
    t.equal(effects.length, 1, `${step}: one effect`);
  }
});

t.test('withdrawal while the regulator holds the licence request is refused (try again later), and the licence it then issues is kept', async (t) => {
  // Regression: a withdrawal used to be accepted while the licence request was in flight; the
  // regulator then issued the licence and the gateway dropped the answer — a company nobody knew of.
  const h = await startHarness(t, { seed: 9, behaviour: { 'business-licence': { mode: 'async', callbackDelayMs: 400 } } });
  const id = (await h.submit()).body.id as string;
  await h.waitFor(id, (s) => stepOf(s, 'business-licence').reference !== null);
  const refused = await h.http('POST', `/v1/applications/${id}/withdrawal`, { reason: '股东决定暂缓开办' });
  t.equal(refused.status, 409);
  t.match(refused.body, { code: 'WITHDRAWAL_LICENCE_IN_PROGRESS', message: /market regulator/ });
  t.equal(refused.headers['retry-after'], '60', 'when to try again');
  t.equal((await h.status(id)).state, 'in_progress', 'nothing changed');

  // The regulator issues the licence: the gateway records it and goes on.
  const licensed = await h.waitFor(id, (s) => stepOf(s, 'business-licence').state === 'done');
  t.match(stepOf(licensed, 'business-licence').result, { creditCode: /^[0-9A-HJ-NPQRTUWXY]{18}$/ }, 'the credit code is known');
  const after = await h.http('POST', `/v1/applications/${id}/withdrawal`);
  t.match(after, { status: 409, body: { code: 'WITHDRAWAL_NOT_ALLOWED', message: /licence/ } }, 'once issued: no withdrawal at all');
  const done = await h.waitFor(id, (s) => s.state === 'completed');
  t.equal(done.state, 'completed', 'the application goes on to completion');
  t.match(await h.http('POST', '/v1/applications/no-such-application/withdrawal', {}), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });
});

t.test('withdrawal while the licence waits on a correction: allowed, every step cancelled, no department called again', async (t) => {
  const h = await startHarness(t, {
    seed: 9,
    behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: NAME_TAKEN } } },
  });
  const id = (await h.submit({ companyName: '三门峡重复科技有限公司' })).body.id as string;
  await h.waitFor(id, (s) => s.state === 'needs_correction');
  const withdrawn = await h.http('POST', `/v1/applications/${id}/withdrawal`, { reason: '股东决定暂缓开办' });
  t.equal(withdrawn.status, 200);
  const status = withdrawn.body as Status;
  t.equal(status.state, 'withdrawn');
  t.ok(status.steps.every((s) => s.state === 'cancelled'), 'every step is cancelled');
  t.equal(overall(status).state, 'cancelled', 'the overall clock stopped without an outcome');
  await h.gateway.executor.drain();
  t.same(await h.status(id), status, 'still withdrawn, nothing moved');
  t.equal(traffic(h, id, 'business-licence').requests.length, 1);
  for (const step of CORE_STEP_IDS.slice(1)) t.equal(traffic(h, id, step).requests.length, 0, `${step} was never called`);
  const events = await h.gateway.store.listEvents(id, 0, 1000);
  t.match(events.find((e) => e.type === 'application.withdrawn'), { data: { reason: '股东决定暂缓开办' } });
  t.match(await h.http('POST', `/v1/applications/${id}/withdrawal`, {}), { status: 409, body: { code: 'WITHDRAWAL_NOT_ALLOWED' } }, 'not twice');
  t.match(await h.http('POST', `/v1/applications/${id}/corrections`, { fields: { companyName: '三门峡新启科技有限公司' } }), { status: 409, body: { code: 'CORRECTION_NOT_EXPECTED' } });
});

// On withdrawal every open clock is cancelled (state `cancelled`, left out of reports), so a
// withdrawn application's licence window never goes at risk, breaches or gets escalated.
t.test('withdrawal stops the step SLA clocks: a withdrawn application never breaches', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00',
    behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: NAME_TAKEN } } },
  });
  const id = (await h.submit({ companyName: '三门峡重复科技有限公司' })).body.id as string;
  await h.settle();
  t.equal((await h.http('POST', `/v1/applications/${id}/withdrawal`)).status, 200);
  h.fakeClock!.set(at('2026-12-01T09:00:00')); // a working day later: the licence window would have ended
  await h.settle();
  const status = await h.status(id);
  t.not(stepOf(status, 'business-licence').sla.state, 'breached', 'the licence clock did not breach');
  t.not(overall(status).state, 'met', 'a withdrawn application did not "meet" the 3-day promise');
  const types = (await h.gateway.store.listEvents(id, 0, 1000)).map((e) => e.type);
  t.notOk(types.includes('sla.breached'), 'no breach was escalated');
  const breached = (await h.http('GET', '/v1/ops/applications?sla=breached&step=business-licence')).body as { items: unknown[] };
  t.same(breached.items, [], 'ops see no breach');
});
