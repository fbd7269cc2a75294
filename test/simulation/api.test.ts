// The ops API of the simulator over real HTTP (gateway/routes/simulations.ts): who may do what, clear
// refusals, the limits, one run at a time in a worker thread, and the worker's report is the
// simulator's own (the same scenario and seed run in this process give the same report).
import t from 'tap';
import type { SimulationJob, SimulationReport } from '../../contracts/index.ts';
import { loadShippedYears } from '../../gateway/calendar/index.ts';
import { simulate } from '../../gateway/simulation/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(300_000);

const STEPS = ['business-licence', 'seal-engraving', 'tax-invoice', 'social-insurance', 'bank-account', 'postal-delivery'] as const;
const week = {
  name: 'api-week',
  seed: 3,
  period: { from: '2026-11-02', to: '2026-11-08' },
  arrivals: { kind: 'profile', perWorkingDay: 40 },
  departments: Object.fromEntries(
    STEPS.map((s) => [s, s === 'seal-engraving' ? { clerks: 1, quota: { per: 'half-day', max: 15 }, serviceTime: { kind: 'lognormal', medianMinutes: 10, p90Minutes: 20 } } : { clerks: 2, serviceTime: { kind: 'exponential', meanMinutes: 8 } }]),
  ),
};

/** Reads the job until it is no longer running (the worker answers in seconds; polled, not timed). */
async function finished(h: Harness, id: string, role: 'viewer' | 'admin' = 'viewer'): Promise<SimulationJob> {
  for (let i = 0; i < 1_200; i++) {
    const r = await h.anonymous('GET', `/v1/ops/simulations/${id}`, undefined, { authorization: `Bearer ${h.opsTokens[role]}` });
    if (r.status !== 200) throw new Error(`GET job: ${r.status} ${r.text}`);
    const job = r.body as SimulationJob;
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the simulation did not finish');
}

t.test('viewers list the shipped scenarios; only admins run one', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const viewer = { authorization: `Bearer ${h.opsTokens.viewer}` };
  const list = await h.anonymous('GET', '/v1/ops/simulations/scenarios', undefined, viewer);
  t.equal(list.status, 200);
  t.same((list.body as Array<{ name: string }>).map((s) => s.name), ['normal-month', 'seal-maker-half-capacity', 'spring-festival-2027']);
  const refused = await h.anonymous('POST', '/v1/ops/simulations', { scenario: 'normal-month' }, viewer);
  t.equal(refused.status, 403);
  t.match(refused.body, { code: 'OPS_FORBIDDEN' });
  const operator = await h.anonymous('POST', '/v1/ops/simulations', { scenario: 'normal-month' }, { authorization: `Bearer ${h.opsTokens.operator}` });
  t.equal(operator.status, 403, 'an operator may not either');
  t.equal((await h.anonymous('POST', '/v1/ops/simulations', { scenario: 'normal-month' })).status, 401, 'nor anyone without a credential');
});

t.test('a wrong scenario is refused with the fields to fix, in the caller\'s language; a too large one with 422', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const wrong = await h.http('POST', '/v1/ops/simulations', { scenario: { ...week, period: { from: '2026-11-08', to: '2026-11-02' } } }, { 'accept-language': 'zh-CN' });
  t.equal(wrong.status, 400);
  t.match(wrong.body, { code: 'SIMULATION_INVALID', details: [{ path: 'scenario.period.to', code: 'simulation.period_order', message: /结束日期不能早于开始日期/ }] });
  const unknown = await h.http('POST', '/v1/ops/simulations', { scenario: 'no-such-month' });
  t.match(unknown.body, { code: 'SIMULATION_INVALID', details: [{ path: 'scenario', message: /GET \/v1\/ops\/simulations\/scenarios/ }] });
  const notObject = await h.http('POST', '/v1/ops/simulations', { scenario: '../../package' });
  t.equal(notObject.status, 400, 'a name is a slug, never a path');
  const badTarget = await h.http('POST', '/v1/ops/simulations', { scenario: 'normal-month', advise: { clock: 'overall', onTimePercent: 101 } });
  t.match(badTarget.body, { code: 'SIMULATION_INVALID', details: [{ path: 'advise.onTimePercent' }] });
  const huge = await h.http('POST', '/v1/ops/simulations', { scenario: { ...week, period: { from: '2026-10-01', to: '2026-12-31' }, arrivals: { kind: 'profile', perWorkingDay: 1_000 } } });
  t.equal(huge.status, 422);
  t.match(huge.body, { code: 'SIMULATION_TOO_LARGE', message: /at most 20000/ });
  const replay = await h.http('POST', '/v1/ops/simulations', { scenario: { ...week, arrivals: { kind: 'replay', month: '2026-01' } } });
  t.match(replay.body, { code: 'SIMULATION_INVALID', details: [{ path: 'scenario.arrivals.month', code: 'simulation.replay_empty' }] }, 'nothing recorded to replay');
});

t.test('an admin runs a scenario in a worker: 202, one at a time, the report as the simulator computes it, audited', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const started = await h.http('POST', '/v1/ops/simulations', { scenario: week, seed: 11, advise: { clock: 'seal-engraving', onTimePercent: 95 } });
  t.equal(started.status, 202, started.text);
  const job = started.body as SimulationJob;
  t.match(job, { state: 'running', scenario: 'api-week', startedBy: 'test-admin' });
  t.equal(started.headers.location, `/v1/ops/simulations/${job.id}`);
  const second = await h.http('POST', '/v1/ops/simulations', { scenario: week });
  t.equal(second.status, 429, 'one simulation at a time');
  t.match(second.body, { code: 'SIMULATION_BUSY', message: new RegExp(job.id) });

  const done = await finished(h, job.id);
  t.equal(done.state, 'done', JSON.stringify(done.error));
  const report = done.report!;
  const here = simulate({ scenario: week, seed: 11, advise: { clock: 'seal-engraving', onTimePercent: 95 }, environment: { years: loadShippedYears() } });
  const strip = (r: SimulationReport) => ({ ...r, run: { ...r.run, wallMs: 0 } });
  t.same(strip(report), strip(here), 'the worker ran the simulator with the gateway\'s calendar');
  t.ok(report.applications.submitted > 100);
  t.ok(report.advice, 'with the capacity advice');

  const again = await h.http('POST', '/v1/ops/simulations', { scenario: 'no-such-month' });
  t.equal(again.status, 400);
  const audit = (await h.http('GET', '/v1/ops/audit?actor=test-admin')).body as { items: Array<{ action: string; outcome: { status: number } }> };
  const runs = audit.items.filter((e) => e.action === 'simulation.run').map((e) => e.outcome.status);
  t.same(runs.sort(), [202, 400, 429], 'every attempt is audited with its outcome');
  t.equal((await h.http('GET', '/v1/ops/simulations/00000000-0000-4000-8000-000000000000')).status, 404);
});
