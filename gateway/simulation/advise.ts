// Capacity advice: the least capacity per department that meets a target such as "95% of seals
// within their 0.5 working day" or "95% of companies open within 3 working days", found by running
// the simulation again with other capacities. Every run uses the same seed and the same submissions,
// and each job keeps its drawn service time (random.ts: common random numbers), so two runs differ
// only by the capacity changed and the on-time rate moves (almost always) monotonically with it:
// bisection finds the least value that meets the target.
//
// A department's lever is its quota when it has one (a seal maker's sets per half-day: usually what
// binds) — with its clerks scaled in proportion, since a quota without the hands to use it is no
// capacity — else its clerks; a department with unlimited clerks, or one that answers at once, has none.
//
// - Target on a step's own window: only that department's capacity matters (the others only shift
//   when its requests arrive): bisect its lever.
// - Target on the overall promise: raise the bottleneck — the department whose own window is furthest
//   below the target, else the busiest — step by step until the target is met; then lower each
//   department in turn (least busy first) to the least value that still meets it.

import type { SimulationAdvice, SimulationReport, SimulationTarget, StepId } from '../../contracts/index.ts';
import { SIMULATION_LIMITS } from '../../contracts/index.ts';
import { runSimulation } from './engine.ts';
import { bottleneckOf } from './report.ts';
import type { ResolvedScenario } from './scenario.ts';

export interface AdviceOptions {
  /** Most simulation runs (default 60). */
  maxRuns?: number;
  /** performance.now() after which the search stops and reports what it has (complete: false). */
  deadline?: number;
}

type Lever = 'clerks' | 'quota';

function leverOf(resolved: ResolvedScenario, step: StepId): { lever: Lever; value: number; max: number } | null {
  const spec = resolved.scenario.departments[step];
  if (!spec || spec.mode === 'sync') return null;
  if (spec.quota) return { lever: 'quota', value: spec.quota.max, max: 100_000 };
  if (spec.clerks === 'unlimited') return null;
  return { lever: 'clerks', value: spec.clerks, max: SIMULATION_LIMITS.maxClerks };
}

/** The scenario with one department's lever set to `value` (everything else, submissions included, unchanged). */
function withCapacity(resolved: ResolvedScenario, capacities: ReadonlyMap<StepId, number>): ResolvedScenario {
  const departments = { ...resolved.scenario.departments };
  for (const [step, value] of capacities) {
    const spec = departments[step]!;
    if (!spec.quota) departments[step] = { ...spec, clerks: value };
    else {
      // A quota is only capacity if there are hands to use it: the clerks scale with it (never below
      // the scenario's), e.g. 80 sets per half-day needs twice the engravers of 40.
      const original = resolved.scenario.departments[step]!;
      const clerks = typeof original.clerks === 'number' ? Math.max(original.clerks, Math.ceil((original.clerks * value) / original.quota!.max)) : original.clerks;
      departments[step] = { ...spec, quota: { ...spec.quota, max: value }, clerks };
    }
  }
  return { ...resolved, scenario: { ...resolved.scenario, departments } };
}

const onTimeOf = (report: SimulationReport, clock: SimulationTarget['clock']): number | null =>
  clock === 'overall' ? report.overall.onTimePercent : (report.windows.find((w) => w.clock === clock)?.onTimePercent ?? null);

export function adviseCapacity(resolved: ResolvedScenario, target: SimulationTarget, options: AdviceOptions = {}): SimulationAdvice {
  const maxRuns = options.maxRuns ?? 60;
  const steps = resolved.steps.map((s) => s.id);
  const levers = new Map(steps.flatMap((s) => {
    const l = leverOf(resolved, s);
    return l ? [[s, l] as const] : [];
  }));
  const current = new Map([...levers].map(([s, l]) => [s, l.value]));
  let runs = 0;
  let complete = true;
  const cache = new Map<string, SimulationReport>();
  const outOfBudget = () => runs >= maxRuns || (options.deadline !== undefined && performance.now() > options.deadline);

  /** Runs (or recalls) the scenario with these capacities; null when the budget is spent. */
  function run(capacities: ReadonlyMap<StepId, number>): SimulationReport | null {
    const key = JSON.stringify([...capacities].sort());
    const known = cache.get(key);
    if (known) return known;
    if (outOfBudget()) {
      complete = false;
      return null;
    }
    runs++;
    const report = runSimulation(withCapacity(resolved, capacities), options.deadline !== undefined ? { deadline: options.deadline } : {}).report;
    cache.set(key, report);
    return report;
  }
  const meets = (report: SimulationReport | null) => {
    const value = report ? onTimeOf(report, target.clock) : null;
    return value !== null && value >= target.onTimePercent;
  };
  /** Least value of `step`'s lever in [lo, hi] meeting the target (hi is known to meet it), others as in `base`. */
  function least(step: StepId, lo: number, hi: number, base: ReadonlyMap<StepId, number>): number {
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const report = run(new Map(base).set(step, mid));
      if (report === null) return hi;
      if (meets(report)) hi = mid;
      else lo = mid + 1;
    }
    return hi;
  }

  const baseline = run(current)!;
  let advised = new Map(current);
  let bottleneck: StepId | null = null;

  if (target.clock !== 'overall') {
    const step = target.clock;
    const lever = levers.get(step);
    if (lever) {
      if (!meets(baseline)) bottleneck = step;
      // Find a capacity that meets the target (doubling), then bisect below it.
      let lo = 1;
      let hi = lever.value;
      if (!meets(baseline)) {
        lo = lever.value + 1;
        hi = lever.value;
        let found = false;
        while (!found && hi < lever.max) {
          hi = Math.min(lever.max, hi * 2);
          const report = run(new Map(advised).set(step, hi));
          if (report === null) break;
          if (meets(report)) found = true;
          else lo = hi + 1;
        }
        if (!found) {
          advised.set(step, hi);
          return result();
        }
      }
      advised.set(step, least(step, lo, hi, advised));
    }
    return result();
  }

  // The overall promise: raise the bottleneck until the target is met …
  let report: SimulationReport | null = baseline;
  const raised: StepId[] = [];
  while (report && !meets(report)) {
    const candidates = report.departments.filter((d) => levers.has(d.step) && advised.get(d.step)! < levers.get(d.step)!.max);
    const step = bottleneckOf(
      report.windows.filter((w) => candidates.some((d) => d.step === w.clock)),
      candidates,
      target.onTimePercent,
    );
    if (!step) break;
    bottleneck ??= step;
    raised.push(step);
    const value = advised.get(step)!;
    advised = new Map(advised).set(step, Math.min(levers.get(step)!.max, value + Math.max(1, Math.ceil(value / 4))));
    report = run(advised);
  }
  if (!meets(report)) return result();
  // … then lower each department, least busy first, while the target still holds.
  const byLoad = [...levers.keys()].sort((a, b) => (utilisation(report!, a) ?? 0) - (utilisation(report!, b) ?? 0));
  for (const step of byLoad) advised.set(step, least(step, 1, advised.get(step)!, advised));
  bottleneck ??= bottleneckOf(baseline.windows, baseline.departments, target.onTimePercent);
  return result();

  function result(): SimulationAdvice {
    const final = run(advised);
    return {
      target,
      met: meets(final),
      complete: complete && final !== null,
      runs,
      onTimePercent: final ? onTimeOf(final, target.clock) : null,
      bottleneck,
      departments: steps.map((step) => {
        const lever = levers.get(step);
        return { step, lever: lever?.lever ?? null, current: lever?.value ?? null, advised: lever ? advised.get(step)! : null };
      }),
    };
  }
}

const utilisation = (report: SimulationReport, step: StepId) => report.departments.find((d) => d.step === step)?.utilisationPercent ?? null;
