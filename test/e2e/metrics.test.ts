// The monitoring gauges of GET /metrics over real HTTP, on the fake clock: open SLA clocks by clock
// and state, due work and executor lag, readiness, windows, error codes — and a store that fails
// costs its gauges, not the scrape. (Which names the alert rules and the dashboard may use:
// test/monitoring/monitoring.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createSqliteStore, type Store } from '../../gateway/store/index.ts';
import { startHarness } from '../support/harness.ts';
import { metricValue, metrics, sendCallback } from './helpers.ts';

const at = (local: string) => new Date(`${local}+08:00`);
/** The sample line itself, so a 0 that is present is told apart from a series that is missing. */
const sample = (name: string, labels: Record<string, string>, value: number) =>
  `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}} ${value}`;
const hasLine = (text: string, line: string) => text.split('\n').includes(line);
const open = (text: string, clock: string, state: string) => metricValue(text, 'qlt_sla_open_clocks', { clock, state });

t.test('open SLA clocks, due work and executor lag follow one application on the fake clock', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00', // an ordinary Monday
    behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 } },
  });
  let m = await metrics(h);
  t.equal(metricValue(m, 'qlt_ready'), 1, 'ready');
  for (const state of ['on_track', 'at_risk', 'breached', 'paused']) {
    t.ok(hasLine(m, sample('qlt_sla_open_clocks', { clock: 'seal-engraving', state }, 0)), `every clock and state is a series, 0 included (${state})`);
  }
  t.ok(hasLine(m, sample('qlt_sla_breaches_total', { clock: 'overall' }, 0)), 'breach counters exist at 0 before any breach');
  t.ok(hasLine(m, sample('qlt_executor_due_effects', { kind: 'timer' }, 0)));
  t.equal(metricValue(m, 'qlt_sla_window_working_hours', { clock: 'overall' }), 21, '3 working days of 7 office hours');
  t.equal(metricValue(m, 'qlt_sla_window_working_hours', { clock: 'seal-engraving' }), 3.5);
  t.equal(metricValue(m, 'qlt_sla_window_working_hours', { clock: 'business-licence' }), 7);

  const id = (await h.submit()).body.id as string;
  m = await metrics(h);
  t.equal(metricValue(m, 'qlt_executor_due_effects', { kind: 'department_call' }), 1, 'the licence call is due and nobody has claimed it');
  t.equal(metricValue(m, 'qlt_executor_oldest_due_seconds', { kind: 'department_call' }), 0);
  t.equal(open(m, 'overall', 'on_track'), 1);
  t.equal(open(m, 'business-licence', 'on_track'), 1);

  h.fakeClock!.advance(90_000);
  m = await metrics(h);
  t.equal(metricValue(m, 'qlt_executor_oldest_due_seconds', { kind: 'department_call' }), 90, 'no executor ran for 90 s: the lag is 90 s');

  await h.settle({ skip: ['seal-engraving'] });
  m = await metrics(h);
  t.equal(metricValue(m, 'qlt_executor_due_effects'), 0, 'executed: nothing due');
  t.equal(metricValue(m, 'qlt_executor_oldest_due_seconds'), 0);
  t.equal(open(m, 'business-licence', 'on_track'), 0, 'the licence step finished');
  t.equal(open(m, 'seal-engraving', 'on_track'), 1, 'the seal window runs');

  // The seal window opened at 09:01:30: at risk at 11:39:00, breached at 13:31:30 (docs/operations.md).
  h.fakeClock!.set(at('2026-11-30T11:39:00'));
  await h.settle({ skip: ['seal-engraving'] });
  m = await metrics(h);
  t.equal(open(m, 'seal-engraving', 'at_risk'), 1, 'past 75% of the window');
  t.equal(open(m, 'seal-engraving', 'on_track'), 0);

  h.fakeClock!.set(at('2026-11-30T13:31:30'));
  await h.settle({ skip: ['seal-engraving'] });
  m = await metrics(h);
  t.equal(open(m, 'seal-engraving', 'breached'), 1, 'past the deadline and still open');
  t.equal(open(m, 'seal-engraving', 'at_risk'), 0);
  t.equal(metricValue(m, 'qlt_sla_breaches_total', { clock: 'seal-engraving' }), 1);
  t.equal(open(m, 'overall', 'on_track'), 1, 'the 3-day promise is on track');

  h.fakeClock!.set(at('2026-11-30T14:00:00'));
  const seal = (await h.status(id)).steps.find((s) => s.step === 'seal-engraving') as unknown as { reference: string };
  const reply = await sendCallback(h, 'seal-engraving', {
    eventId: 'evt-metrics-seal-0001',
    applicationId: id,
    idempotencyKey: `${id}:seal-engraving:1`,
    reference: seal.reference,
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
  t.equal((await h.status(id)).state, 'completed');
  m = await metrics(h);
  t.equal(metricValue(m, 'qlt_sla_open_clocks'), 0, 'no open clock is left');
  t.ok(hasLine(m, sample('qlt_sla_open_clocks', { clock: 'seal-engraving', state: 'breached' }, 0)), 'a finished breach leaves the gauge (at 0), not the counter');
  t.equal(metricValue(m, 'qlt_sla_breaches_total', { clock: 'seal-engraving' }), 1);
  t.equal(metricValue(m, 'qlt_applications', { state: 'completed' }), 1);
});

t.test('department errors carry their code', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00',
    behaviour: { 'business-licence': { errorRate: 1, errorKinds: ['500'] } },
  });
  const id = (await h.submit()).body.id as string;
  await h.settle();
  let m = await metrics(h);
  t.equal(metricValue(m, 'qlt_department_call_errors_total', { step: 'business-licence', kind: 'transient_failure', code: 'DEPARTMENT_UNAVAILABLE' }), 1);
  t.equal(metricValue(m, 'qlt_executor_due_effects'), 0, 'the retry waits for its backoff: not due yet');

  h.mocks.departments['business-licence'].setBehaviour({ errorRate: 0 });
  h.fakeClock!.advance(1_000);
  await h.settle();
  t.equal((await h.status(id)).state, 'completed');
  m = await metrics(h);
  t.equal(metricValue(m, 'qlt_department_call_errors_total'), 1, 'the retry succeeded, and nothing else failed');
  t.equal(metricValue(m, 'qlt_department_call_seconds_count', { step: 'business-licence' }), 2);
});

t.test('a store that fails costs its gauges and readiness, not the scrape', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const real = createSqliteStore({ file: join(dir, 'gateway.db') });
  const faults = { ping: false, aggregates: false };
  const failing: Store = Object.create(real) as Store;
  failing.ping = async () => {
    if (faults.ping) throw new Error('connection refused');
    return real.ping();
  };
  failing.countDueEffects = async (now) => {
    if (faults.aggregates) throw new Error('statement timeout');
    return real.countDueEffects(now);
  };
  const h = await startHarness(t, { store: failing, fakeClockAt: '2026-11-30T09:00:00+08:00' });
  await h.submit();

  faults.ping = true;
  let scrape = await h.http('GET', '/metrics');
  t.equal(scrape.status, 200, 'the scrape still answers');
  t.equal(metricValue(scrape.text, 'qlt_ready'), 0, 'not ready');
  t.notMatch(scrape.text, /^qlt_sla_open_clocks\{/m, 'no stale store gauges');
  t.notMatch(scrape.text, /^qlt_applications\{/m);
  t.match(scrape.text, /^qlt_process_resident_memory_bytes \d/m, 'process metrics are there');
  t.match(scrape.text, /^qlt_department_circuit_state\{step="business-licence"\} 0$/m, 'and the breakers');
  t.equal((await h.http('GET', '/ready')).status, 503, 'GET /ready agrees');

  faults.ping = false;
  faults.aggregates = true;
  scrape = await h.http('GET', '/metrics');
  t.equal(scrape.status, 200);
  t.equal(metricValue(scrape.text, 'qlt_ready'), 0, 'a failing aggregate also says not ready');
  t.notMatch(scrape.text, /^qlt_executor_due_effects\{/m);
  t.notMatch(scrape.text, /^qlt_sla_open_clocks\{/m, 'and no half-updated scrape: the other gauges are left out too');
  t.ok(h.logs.some((l) => l.msg === 'metrics: the store failed; its gauges are left out of this scrape' && l.level === 40), 'logged as a warning');

  faults.aggregates = false;
  scrape = await h.http('GET', '/metrics');
  t.equal(metricValue(scrape.text, 'qlt_ready'), 1, 'ready again');
  t.equal(metricValue(scrape.text, 'qlt_sla_open_clocks', { clock: 'overall', state: 'on_track' }), 1, 'the gauges are back');
  t.equal(metricValue(scrape.text, 'qlt_executor_due_effects', { kind: 'department_call' }), 1);
});
