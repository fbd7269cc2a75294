// The in-memory loop (gateway/simulation/engine.ts) is the real system, fast: the same scenario run
// through the REAL executor and the SQLite store on a fake clock (executor-driver.ts) gives the same
// SLA clock rows, field for field, for every application — with every poll made, and with the
// loop's one shortcut (polls that could only say "still processing" are skipped).
import t from 'tap';
import type { SimulationScenarioInput } from '../../contracts/index.ts';
import { loadShippedYears } from '../../gateway/calendar/index.ts';
import { prepareScenario, runSimulation } from '../../gateway/simulation/index.ts';
import { createSqliteStore } from '../../gateway/store/index.ts';
import type { SlaClockRow } from '../../gateway/store/types.ts';
import { runThroughExecutor } from './executor-driver.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(600_000);


const scenario: SimulationScenarioInput = {
  name: 'equivalence',
  seed: 5,
  period: { from: '2026-11-05', to: '2026-11-10' },
  arrivals: { kind: 'profile', perWorkingDay: 25, nonWorkingDayShare: 0.2 },
  gateway: { pollIntervalMs: 2 * 3_600_000 },
  departments: {
    'business-licence': { clerks: 2, serviceTime: { kind: 'lognormal', medianMinutes: 15, p90Minutes: 40 } },
    // Below demand at times: queues, waits across nights and the weekend, late seals; a lost callback is learnt by a poll.
    'seal-engraving': { clerks: 1, quota: { per: 'half-day', max: 10 }, serviceTime: { kind: 'exponential', meanMinutes: 15 }, faults: { lostCallbackRate: 0.25 } },
    'tax-invoice': { clerks: 1, serviceTime: { kind: 'exponential', meanMinutes: 12 } },
    'social-insurance': { clerks: 'unlimited', mode: 'sync', serviceTime: { kind: 'fixed', minutes: 0 } },
    'bank-account': { clerks: 2, hours: [{ start: '08:30', end: '12:00' }, { start: '13:00', end: '17:30' }], serviceTime: { kind: 'lognormal', medianMinutes: 20, p90Minutes: 45 } },
    'postal-delivery': { clerks: 'unlimited', serviceTime: { kind: 'lognormal', medianMinutes: 120, p90Minutes: 300 } },
  },
};

const FIELDS = ['clock', 'state', 'startedAt', 'finishedAt', 'deadline', 'atRiskAt', 'breachedAt', 'durationMs', 'consumedMs', 'provisional'] as const;
const essence = (rows: readonly SlaClockRow[]) =>
  [...rows].sort((a, b) => a.clock.localeCompare(b.clock)).map((row) => Object.fromEntries(FIELDS.map((f) => [f, row[f]])));

t.test('the loop and the real executor on SQLite give the same clocks', async (t) => {
  const environment = { years: loadShippedYears() };
  const resolved = prepareScenario(scenario, environment);
  t.ok(resolved.arrivals.length > 100, `${resolved.arrivals.length} applications`);

  const store = createSqliteStore({ file: ':memory:' });
  await store.migrate();
  t.teardown(() => store.close());
  const { applications } = await runThroughExecutor(resolved, store);

  const everyPoll = runSimulation(prepareScenario(scenario, environment), { keepClocks: true, elidePolls: false });
  const shortcut = runSimulation(prepareScenario(scenario, environment), { keepClocks: true });
  let late = 0;
  let differ = 0;
  let differShortcut = 0;
  for (const id of applications) {
    const real = essence(await store.listClocks({ applicationId: id }));
    late += real.filter((c) => c.breachedAt !== null).length;
    if (JSON.stringify(real) !== JSON.stringify(essence(everyPoll.clocks!.get(id) ?? []))) {
      if (differ++ === 0) t.same(essence(everyPoll.clocks!.get(id) ?? []), real, `${id}: the first difference (every poll made)`);
    }
    if (JSON.stringify(real) !== JSON.stringify(essence(shortcut.clocks!.get(id) ?? []))) {
      if (differShortcut++ === 0) t.same(essence(shortcut.clocks!.get(id) ?? []), real, `${id}: the first difference (polls skipped)`);
    }
  }
  t.equal(applications.length, resolved.arrivals.length);
  t.equal(everyPoll.clocks!.size, applications.length, 'the loop simulated the same applications');
  t.ok(late > 10, `the scenario has late clocks to agree on (${late})`);
  t.equal(differ, 0, 'every clock row equal, with every poll made');
  t.equal(differShortcut, 0, 'every clock row equal, with the loop skipping no-op polls');
  t.ok(shortcut.report.run.transitions < everyPoll.report.run.transitions, `skipping polls saves transitions (${shortcut.report.run.transitions} vs ${everyPoll.report.run.transitions})`);
});
