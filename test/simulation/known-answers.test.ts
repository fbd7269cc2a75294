// The simulator against answers computable by hand (docs/simulation.md "Known answers"; the M/M/1
// queue is in mm1.test.ts): capacity exactly at demand, a job across the National Day holiday, and determinism.
// Every department but the one under test answers at once (mode sync), so the application's clocks
// measure that department alone — through the real machine, SLA clocks and calendar.
import t from 'tap';
import { adviseCapacity, prepareScenario, runSimulation, simulate } from '../../gateway/simulation/index.ts';
import { OFFICE_HOURS, environment, only, window } from './known-answer-support.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(300_000);

/** Every working day of November 2026's first week, arrivals at 09:00, 09:30, … 16:30 (not at lunch), `extra` more at 16:59. */
function everyHalfHour(extra: number): string[] {
  const at: string[] = [];
  for (const day of ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06']) {
    for (const h of OFFICE_HOURS) for (const m of ['00', '30']) at.push(`${day}T${String(h).padStart(2, '0')}:${m}:00+08:00`);
    for (let i = 0; i < extra; i++) at.push(`${day}T16:59:00+08:00`);
  }
  return at;
}

t.test('capacity exactly at demand: no queue, 100% utilisation, everything within its window', async (t) => {
  // One clerk, 30 minutes a job, 14 jobs arriving a day on the half hour: the clerk finishes each job
  // as the next arrives.
  const seal = { clerks: 1, serviceTime: { kind: 'fixed', minutes: 30 } };
  const report = simulate({ scenario: only('seal-engraving', seal, { arrivals: { kind: 'times', at: everyHalfHour(0) } }), environment });
  const dept = report.departments.find((d) => d.step === 'seal-engraving')!;
  t.equal(report.applications.submitted, 70);
  t.equal(dept.served, 70);
  t.equal(dept.utilisationPercent, 100, 'busy all staffed time');
  t.equal(dept.meanWaitWorkingHours, 0, 'nobody waits');
  const w = window(report, 'seal-engraving');
  t.equal(w.onTimePercent, 100);
  t.equal(w.medianWorkingHours, 0.5);
  t.equal(w.maxWorkingHours, 0.5);
  t.equal(report.overall.onTimePercent, 100);

  // Two more a day than capacity: the backlog grows by an hour of work a day, never shrinks, and
  // the seal window (3.5 office hours) breaks once the backlog passes it.
  const over = simulate({ scenario: only('seal-engraving', seal, { arrivals: { kind: 'times', at: everyHalfHour(2) } }), environment });
  const overSeal = window(over, 'seal-engraving');
  const backlog = over.departments.find((d) => d.step === 'seal-engraving')!.daily.slice(0, 7).map((d) => d.maxQueue);
  t.ok(overSeal.onTimePercent! < 100, `late seals (${overSeal.onTimePercent}%)`);
  t.ok(overSeal.firstBreachDay !== null && overSeal.firstBreachDay > '2026-11-02', `the first late seal comes after the backlog builds (${overSeal.firstBreachDay})`);
  t.ok(over.departments.find((d) => d.step === 'seal-engraving')!.meanWaitWorkingHours! > 0, 'jobs wait');
  t.ok(backlog.every((q, i) => i === 0 || q >= backlog[i - 1]! || q === 0), `the longest queue never falls on a working day: ${backlog.join(',')}`);
});

t.test('a holiday week: the clock stops over National Day and resumes on the first working day', async (t) => {
  // Submitted Wednesday 30 September 2026 at 16:00; two hours of seal work. One hour is done before
  // the office closes; 1–7 October are holidays; the second hour runs on Thursday 8 October from
  // 09:00. Two working hours, on time against 3.5, although eight calendar days passed.
  const scenario = only('seal-engraving', { clerks: 1, serviceTime: { kind: 'fixed', minutes: 120 } }, {
    period: { from: '2026-09-28', to: '2026-10-09' },
    arrivals: { kind: 'times', at: ['2026-09-30T16:00:00+08:00'] },
  });
  const { report, clocks } = runSimulation(prepareScenario(scenario, environment), { keepClocks: true });
  const seal = window(report, 'seal-engraving');
  t.equal(seal.finished, 1);
  t.equal(seal.onTime, 1);
  t.equal(seal.medianWorkingHours, 2);
  t.equal(report.overall.medianWorkingHours, 2);
  const rows = clocks!.get('sim-00001')!;
  t.equal(rows.find((c) => c.clock === 'seal-engraving')!.finishedAt, '2026-10-08T02:00:00.000Z', 'done at 10:00 on 8 October');
  t.equal(rows.find((c) => c.clock === 'seal-engraving')!.startedAt, '2026-09-30T08:00:00.000Z', 'started at 16:00 on 30 September');
  t.equal(rows.find((c) => c.clock === 'overall')!.finishedAt, '2026-10-08T02:00:00.000Z', 'the company is open at the same moment');
});

t.test('the same scenario and seed give the same report; another seed another one', async (t) => {
  const scenario = only('seal-engraving', { clerks: 2, serviceTime: { kind: 'lognormal', medianMinutes: 20, p90Minutes: 60 }, rejectionRate: 0.1, faults: { rate: 0.05, lostCallbackRate: 0.1 } }, {
    arrivals: { kind: 'profile', perWorkingDay: 30 },
  });
  const strip = (r: ReturnType<typeof simulate>) => ({ ...r, run: { ...r.run, wallMs: 0 } });
  const a = strip(simulate({ scenario, environment, seed: 7 }));
  const b = strip(simulate({ scenario, environment, seed: 7 }));
  const c = strip(simulate({ scenario, environment, seed: 8 }));
  t.ok(a.applications.submitted > 100);
  t.same(a, b, 'identical');
  t.notSame(a.applications.submitted === c.applications.submitted && a.windows, c.windows, 'another seed, other arrivals and times');
});

t.test('capacity advice finds the least clerks by hand: two for sixteen half-hour jobs a day', async (t) => {
  // Sixteen 30-minute jobs a working day need 8 clerk-hours in a 7-hour day: one clerk falls behind
  // (previous test), two keep every seal within 0.5 h. The advice must say 2 and name the seal makers.
  const seal = { clerks: 1, serviceTime: { kind: 'fixed', minutes: 30 } };
  const resolved = prepareScenario(only('seal-engraving', seal, { arrivals: { kind: 'times', at: everyHalfHour(2) } }), environment);
  const advice = adviseCapacity(resolved, { clock: 'seal-engraving', onTimePercent: 100 });
  t.equal(advice.met, true);
  t.equal(advice.complete, true);
  t.equal(advice.bottleneck, 'seal-engraving');
  t.same(advice.departments.find((d) => d.step === 'seal-engraving'), { step: 'seal-engraving', lever: 'clerks', current: 1, advised: 2 });
  t.equal(advice.onTimePercent, 100);
  t.ok(advice.departments.filter((d) => d.step !== 'seal-engraving').every((d) => d.lever === null), 'the other departments answer at once: nothing to vary');
});
