// SLA on the fake clock: a slow seal maker goes at-risk, then breaches; ops endpoints, metrics and
// the status document all say so; the step keeps going and the application still completes.
import t from 'tap';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, DEPARTMENT_HEADER, signCallback } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const at = (local: string) => new Date(`${local}+08:00`);

async function sendCallback(h: Harness, step: 'seal-engraving', body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(h.clock.now().getTime() / 1000));
  return h.http('POST', `/v1/departments/${step}/callbacks`, raw, {
    [DEPARTMENT_HEADER]: step,
    [TIMESTAMP_HEADER]: ts,
    [SIGNATURE_HEADER]: signCallback(h.secrets[step], ts, raw),
  });
}

t.test('a slow seal maker: on track → at risk at 75% → breached at the deadline → met late, all visible', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00', // an ordinary Monday
    // The seal maker accepts (codes assigned) and never calls back on its own.
    behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 } },
  });
  const id = (await h.submit()).body.id as string;
  await h.settle({ skip: ['seal-engraving'] });
  let status = await h.status(id);
  const seal = () => status.steps.find((s) => s.step === 'seal-engraving')! as unknown as { state: string; sla: { state: string; deadline: string; startedAt: string }; reference: string };
  t.equal(seal().state, 'in_progress');
  t.equal(seal().sla.state, 'on_track');
  // Codes assigned at 09:00; 0.5 working day = 3.5 office hours → 12:00 + 30 min after lunch.
  t.equal(seal().sla.deadline, at('2026-11-30T13:30:00').toISOString());

  h.fakeClock!.set(at('2026-11-30T11:37:00'));
  await h.settle({ skip: ['seal-engraving'] });
  status = await h.status(id);
  t.equal(seal().sla.state, 'on_track', 'just before 75% of the window');

  h.fakeClock!.set(at('2026-11-30T11:38:00'));
  await h.settle({ skip: ['seal-engraving'] });
  status = await h.status(id);
  t.equal(seal().sla.state, 'at_risk', 'past 75% (2 h 37.5 min of office time)');
  const overview = (await h.http('GET', '/v1/ops/sla')).body as { atRisk: Array<{ applicationId: string; clock: string }>; counts: Record<string, Record<string, number>> };
  t.ok(overview.atRisk.some((c) => c.applicationId === id && c.clock === 'seal-engraving'), '/v1/ops/sla lists it at risk');
  t.equal(overview.counts['seal-engraving']!.at_risk, 1);
  const atRiskList = (await h.http('GET', '/v1/ops/applications?sla=at_risk&step=seal-engraving')).body as { items: Array<{ applicationId: string }> };
  t.same(atRiskList.items.map((i) => i.applicationId), [id]);

  h.fakeClock!.set(at('2026-11-30T13:31:00'));
  await h.settle({ skip: ['seal-engraving'] });
  status = await h.status(id);
  t.equal(seal().sla.state, 'breached');
  t.equal(seal().state, 'in_progress', 'a breach does not fail the step');
  t.equal(status.state, 'in_progress');
  const breached = (await h.http('GET', '/v1/ops/applications?sla=breached&step=seal-engraving')).body as { items: Array<{ applicationId: string; breachedAt: string }> };
  t.equal(breached.items[0]?.applicationId, id);
  t.equal(breached.items[0]?.breachedAt, at('2026-11-30T13:30:00').toISOString(), 'breached at the deadline instant');
  const metrics = (await h.http('GET', '/metrics')).text;
  t.match(metrics, /qlt_sla_breaches_total\{clock="seal-engraving"\} 1/);
  t.match(metrics, /qlt_sla_transitions_total\{clock="seal-engraving",state="at_risk"\} 1/);
  t.ok(h.logs.some((l) => l.msg === 'SLA breached' && l.applicationId === id && l.escalated === true), 'escalated in the log');

  // The seal is finally engraved at 14:00; the rest of the journey follows.
  h.fakeClock!.set(at('2026-11-30T14:00:00'));
  const reply = await sendCallback(h, 'seal-engraving', {
    eventId: 'evt-late-seal-0001',
    applicationId: id,
    idempotencyKey: `${id}:seal-engraving:1`,
    reference: seal().reference,
    outcome: 'completed',
    result: {
      maker: { id: 'SM0001', name: '三门峡市湖滨区诚信刻章有限公司' },
      seals: [{ kind: 'company', sealCode: '4112020000017' }],
      filingNumber: 'BA411202202611300001',
      engravedAt: at('2026-11-30T14:00:00').toISOString(),
    },
  });
  t.equal(reply.status, 200);
  await h.settle({ skip: ['seal-engraving'] });
  status = await h.status(id);
  t.equal(status.state, 'completed');
  t.equal(seal().sla.state, 'breached', 'finished late stays a breach');
  t.equal((status.sla as { state: string }).state, 'met', 'the 3-day promise was kept');

  const report = (await h.http('GET', '/v1/ops/reports/monthly?month=2026-11')).body as { departments: Array<{ step: string; handled: number; breaches: number; onTimePercent: number | null; medianWorkingHours: number }> };
  const sealRow = report.departments.find((d) => d.step === 'seal-engraving')!;
  t.equal(sealRow.handled, 1);
  t.equal(sealRow.breaches, 1);
  t.equal(sealRow.onTimePercent, 0);
  t.equal(sealRow.medianWorkingHours, 4, '09:00→14:00 less the lunch hour = 4 working hours');
  const csv = await h.http('GET', '/v1/ops/reports/monthly?month=2026-11', undefined, { accept: 'text/csv' });
  t.match(String(csv.headers['content-type']), /text\/csv/);
  t.match(csv.text.split('\n')[0]!, /^month,step,department,handled,on_time,on_time_percent,median_working_hours,p90_working_hours,breaches,open/);
  t.match(csv.text, /2026-11,seal-engraving,.*,1,0,0,4,4,1,0/);
  t.match((await h.http('GET', '/metrics')).text, /qlt_step_duration_working_hours_count\{step="seal-engraving"\} 1/);
});

t.test('a timer row is still correct after a restart of the gateway (durable timers, fired once)', async (t) => {
  const { createGateway } = await import('../../gateway/runtime.ts');
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-27T16:30:00+08:00', // Friday 16:30: the seal window runs over the weekend
    behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 } },
  });
  const id = (await h.submit()).body.id as string;
  await h.settle({ skip: ['seal-engraving'] });
  let status = await h.status(id);
  const sealSla = () => (status.steps.find((s) => s.step === 'seal-engraving') as unknown as { sla: { state: string; deadline: string } }).sla;
  t.equal(sealSla().deadline, at('2026-11-30T12:00:00').toISOString(), 'Friday 16:30 + 0.5 day = Monday 12:00');
  // A second gateway process on the same store (as after a restart) sees and fires the same timer.
  const second = await createGateway(h.gateway.deps.config, { clock: h.fakeClock!, runExecutor: false });
  t.teardown(() => second.close());
  h.fakeClock!.set(at('2026-11-30T12:00:01'));
  const fired = await second.executor.drain();
  t.ok(fired >= 1, 'the restarted gateway fired the due timer');
  t.equal(await h.gateway.executor.drain(), 0, 'and it is not fired again');
  status = await h.status(id);
  t.equal(sealSla().state, 'breached');
});
