// The simulator against an answer computable by hand (docs/simulation.md "Known answers"): an M/M/1
// queue. Every department but the seal makers answers at once (mode sync), so the seal clock
// measures that department alone — through the real machine, SLA clocks and calendar.
import t from 'tap';
import { simulate } from '../../gateway/simulation/index.ts';
import { OFFICE_HOURS, environment, only, window } from './known-answer-support.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(300_000);

t.test('M/M/1: the seal window is met with probability 1 − e^(−(μ−λ)·w)', async (t) => {
  // Poisson arrivals only in office hours (λ = 1.5 an office hour), one clerk with exponential
  // service (μ = 2 an hour), work only in office hours: in office time this is an M/M/1 queue, whose
  // time in system is exponential with rate μ − λ. The seal window is 0.5 working day = 3.5 office
  // hours (a 7-hour day), so P(on time) = 1 − e^(−0.5 × 3.5) = 82.6%. Three months, five seeds:
  // about 3,300 jobs; the queue's autocorrelation makes the run-to-run spread a few points, so the
  // tolerance is ±3 points on the pooled rate.
  const hourly = Array.from({ length: 24 }, (_, h) => (OFFICE_HOURS.includes(h) ? 1 : 0));
  let onTime = 0;
  let finished = 0;
  let util = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const report = simulate({
      scenario: only('seal-engraving', { clerks: 1, serviceTime: { kind: 'exponential', meanMinutes: 30 } }, {
        seed,
        period: { from: '2026-03-01', to: '2026-05-31' },
        arrivals: { kind: 'profile', perWorkingDay: 1.5 * 7, nonWorkingDayShare: 0, hourly },
      }),
      environment,
    });
    const seal = window(report, 'seal-engraving');
    onTime += seal.onTime;
    finished += seal.finished;
    util += report.departments.find((d) => d.step === 'seal-engraving')!.utilisationPercent! / 5;
    t.equal(report.applications.completed, report.applications.submitted, `seed ${seed}: every application completes`);
  }
  const expected = 1 - Math.exp(-0.5 * 3.5);
  t.ok(finished > 3_000, `enough jobs (${finished})`);
  t.ok(Math.abs(onTime / finished - expected) < 0.03, `on time ${((100 * onTime) / finished).toFixed(1)}% vs ${(100 * expected).toFixed(1)}% by hand`);
  t.ok(Math.abs(util - 75) < 3, `utilisation ${util.toFixed(1)}% vs ρ = λ/μ = 75%`);
});
