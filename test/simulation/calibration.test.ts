// Calibration round trip: record a month through the real executor and SQLite store on a fake clock
// (executor-driver.ts: the gateway minus HTTP, with departments that queue), fit a scenario to the
// store's history (gateway/simulation/calibrate.ts, reading the rows the monthly report reads),
// replay the month through the simulator, and compare on-time percentages with what was recorded.
//
// Tolerance: 5 percentage points per window and overall. The calibrated departments resample each
// request's observed turnaround (their queueing included) independently of the others, so a replay
// reproduces the month's distribution of turnarounds, not each request's own: the difference is
// sampling noise of a few hundred clocks (a binomial standard error of 2–3 points at 80 %), and for
// the overall promise the correlation between one application's steps, which resampling loses.
// Everything is seeded: the figures (recorded 74.4 %, replayed 70.2 % overall) are the same every run.
import t from 'tap';
import type { SimulationScenarioInput } from '../../contracts/index.ts';
import { loadShippedYears } from '../../gateway/calendar/index.ts';
import { calibrate, prepareScenario, resolveScenario, runSimulation } from '../../gateway/simulation/index.ts';
import { createSqliteStore } from '../../gateway/store/index.ts';
import { runThroughExecutor } from './executor-driver.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(600_000);

const TOLERANCE_POINTS = 5;

const recordedMonth: SimulationScenarioInput = {
  name: 'recorded-november',
  seed: 9,
  period: { from: '2026-11-01', to: '2026-11-30' },
  arrivals: { kind: 'profile', perWorkingDay: 10, nonWorkingDayShare: 0.2 },
  gateway: { pollIntervalMs: 4 * 3_600_000 },
  departments: {
    'business-licence': { clerks: 1, serviceTime: { kind: 'lognormal', medianMinutes: 20, p90Minutes: 60 } },
    // Near capacity: a queue, waits over nights and weekends, some late seals.
    'seal-engraving': { clerks: 1, quota: { per: 'half-day', max: 6 }, serviceTime: { kind: 'exponential', meanMinutes: 20 } },
    'tax-invoice': { clerks: 1, serviceTime: { kind: 'exponential', meanMinutes: 25 } },
    'social-insurance': { clerks: 'unlimited', mode: 'sync', serviceTime: { kind: 'fixed', minutes: 0 } },
    'bank-account': { clerks: 1, serviceTime: { kind: 'lognormal', medianMinutes: 20, p90Minutes: 50 } },
    // Slow deliveries: some companies miss the 3-day promise.
    'postal-delivery': { clerks: 'unlimited', serviceTime: { kind: 'lognormal', medianMinutes: 480, p90Minutes: 1_300 } },
  },
};

t.test('a recorded month, fitted and replayed, reproduces its on-time percentages', async (t) => {
  const environment = { years: loadShippedYears() };
  const resolved = prepareScenario(recordedMonth, environment);
  const store = createSqliteStore({ file: ':memory:' });
  await store.migrate();
  t.teardown(() => store.close());
  const { applications } = await runThroughExecutor(resolved, store);

  const calibration = await calibrate(store, '2026-11', { office: resolved.office });
  t.equal(calibration.fit.applications, applications.length, 'every submission of the month is read');
  t.equal(calibration.scenario.arrivals.kind, 'times');
  const seal = calibration.fit.departments.find((d) => d.step === 'seal-engraving')!;
  t.equal(seal.requests, applications.length, 'one seal request per application');
  t.notOk(seal.sync, 'the seal makers answer later');
  t.ok(calibration.fit.departments.find((d) => d.step === 'social-insurance')!.sync, 'social insurance answers at once');
  const recorded = calibration.recorded;
  t.ok(recorded.overallOnTimePercent !== null && recorded.overallOnTimePercent < 99 && recorded.overallOnTimePercent > 30, `the month had late companies (${recorded.overallOnTimePercent}% on time)`);

  const replay = runSimulation(resolveScenario(calibration.scenario, environment)).report;
  t.equal(replay.applications.submitted, applications.length, 'the replay submits the same applications');
  const overallGap = Math.abs(replay.overall.onTimePercent! - recorded.overallOnTimePercent!);
  t.ok(overallGap <= TOLERANCE_POINTS, `overall: replayed ${replay.overall.onTimePercent}% vs recorded ${recorded.overallOnTimePercent}%`);
  for (const department of recorded.departments) {
    if (department.handled < 50 || department.onTimePercent === null) continue;
    const replayed = replay.windows.find((w) => w.clock === department.step)!;
    const gap = Math.abs(replayed.onTimePercent! - department.onTimePercent);
    t.ok(gap <= TOLERANCE_POINTS, `${department.step}: replayed ${replayed.onTimePercent}% vs recorded ${department.onTimePercent}%`);
  }
});
