// What a run measured, turned into the report (contracts/simulation.ts SimulationReport). Clock
// outcomes are counted as the monthly report counts them (gateway/sla/reports.ts): a finished,
// non-cancelled clock is on time when it never breached; hours are working hours, percentiles
// nearest-rank. Memory is bounded: histograms and per-day counters, never a row per application.

import { DEPARTMENT_NAMES, type SimulationReport, type SimulationWindow, type StepId } from '../../contracts/index.ts';
import type { SlaClockRow } from '../store/types.ts';
import { dayStart, localDay, type SimulatedDepartments } from './departments.ts';
import type { ResolvedScenario } from './scenario.ts';
import { Histogram, hours, percent, round2 } from './statistics.ts';

const DAY_MS = 86_400_000;

interface WindowCounter {
  started: number;
  finished: number;
  onTime: number;
  durations: Histogram;
  /** By local day number of the window's start. */
  daily: Map<number, { finished: number; onTime: number }>;
  firstBreach: number | null;
}

const dayString = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function createCollector(resolved: ResolvedScenario) {
  const clocks = ['overall', ...resolved.steps.map((s) => s.id)];
  const counters = new Map<string, WindowCounter>(
    clocks.map((c) => [c, { started: 0, finished: 0, onTime: 0, durations: new Histogram(36_000), daily: new Map(), firstBreach: null }]),
  );
  let provisional = false;
  let lastDay = localDay(resolved.period.end - 1);
  const series = { at: [] as string[], queue: {} as Record<string, number[]>, inService: {} as Record<string, number[]> };
  for (const s of resolved.steps) {
    series.queue[s.id] = [];
    series.inService[s.id] = [];
  }

  return {
    /** A clock row changed (prev → next). */
    clock(prev: SlaClockRow | undefined, next: SlaClockRow): void {
      const counter = counters.get(next.clock);
      if (!counter) return;
      if (next.provisional) provisional = true;
      if (next.startedAt && !prev?.startedAt) counter.started++;
      if (next.finishedAt && !prev?.finishedAt && next.state !== 'cancelled') {
        counter.finished++;
        const onTime = next.breachedAt === null;
        if (onTime) counter.onTime++;
        counter.durations.add(next.durationMs ?? 0);
        const day = localDay(Date.parse(next.startedAt ?? next.finishedAt));
        if (day > lastDay) lastDay = day;
        let d = counter.daily.get(day);
        if (!d) counter.daily.set(day, (d = { finished: 0, onTime: 0 }));
        d.finished++;
        if (onTime) d.onTime++;
        else if (counter.firstBreach === null || day < counter.firstBreach) counter.firstBreach = day;
      }
    },

    sample(at: number, departments: SimulatedDepartments): void {
      const { queue, inService } = departments.sample();
      series.at.push(new Date(at).toISOString());
      for (const s of resolved.steps) {
        series.queue[s.id]!.push(queue[s.id] ?? 0);
        series.inService[s.id]!.push(inService[s.id] ?? 0);
      }
    },

    report(input: {
      departments: SimulatedDepartments;
      /** Clock rows of applications still in flight at the end. */
      open: Iterable<SlaClockRow>;
      applications: SimulationReport['applications'];
      end: number;
      drained: boolean;
      transitions: number;
      departmentCalls: number;
      wallMs: number;
    }): SimulationReport {
      const { scenario } = resolved;
      const firstDay = localDay(resolved.period.start);
      const days: string[] = [];
      for (let d = firstDay; d <= lastDay; d++) days.push(dayString(d));
      const openCount = new Map<string, { open: number; breached: number }>();
      for (const row of input.open) {
        if (!row.startedAt || row.finishedAt) continue;
        const c = openCount.get(row.clock) ?? { open: 0, breached: 0 };
        c.open++;
        if (row.breachedAt) c.breached++;
        openCount.set(row.clock, c);
      }
      const target = scenario.target;
      const windowOf = (clock: string): SimulationWindow => {
        const counter = counters.get(clock)!;
        const daily = days.map((day, i) => {
          const d = counter.daily.get(firstDay + i);
          return { day, finished: d?.finished ?? 0, onTimePercent: d ? percent(d.onTime, d.finished) : null };
        });
        const broken = daily.find((d) => d.finished >= target.minPerDay && d.onTimePercent !== null && d.onTimePercent < target.onTimePercent);
        const step = resolved.steps.find((s) => s.id === clock);
        return {
          clock: clock as SimulationWindow['clock'],
          windowWorkingDays: step ? step.windowWorkingDays : 3,
          started: counter.started,
          finished: counter.finished,
          onTime: counter.onTime,
          onTimePercent: percent(counter.onTime, counter.finished),
          medianWorkingHours: hours(counter.durations.percentile(0.5)),
          p90WorkingHours: hours(counter.durations.percentile(0.9)),
          maxWorkingHours: hours(counter.durations.max()),
          open: openCount.get(clock)?.open ?? 0,
          openBreached: openCount.get(clock)?.breached ?? 0,
          firstBreachDay: counter.firstBreach === null ? null : dayString(counter.firstBreach),
          firstBreakDay: broken?.day ?? null,
          daily,
        };
      };
      const windows = resolved.steps.map((s) => windowOf(s.id));
      const overall = windowOf('overall');

      const departments = resolved.steps.map((s) => {
        const spec = scenario.departments[s.id]!;
        const stats = input.departments.stats(s.id);
        const clerks = spec.mode === 'sync' ? 'unlimited' : spec.clerks;
        const capacityMs = (from: number, to: number) => (clerks === 'unlimited' ? 0 : clerks * input.departments.staffedMs(s.id, from, to));
        const periodCapacity = capacityMs(resolved.period.start, resolved.period.end);
        return {
          step: s.id,
          department: DEPARTMENT_NAMES[s.id],
          clerks,
          quota: spec.quota ? { per: spec.quota.per, max: spec.quota.max } : null,
          received: stats.received,
          served: stats.served,
          rejected: stats.rejected,
          failedCalls: stats.failedCalls,
          utilisationPercent: periodCapacity > 0 ? round2((stats.serviceMsInPeriod / periodCapacity) * 100) : null,
          maxQueue: stats.maxQueue,
          meanWaitWorkingHours: hours(stats.wait.mean()),
          p90WaitWorkingHours: hours(stats.wait.percentile(0.9)),
          daily: days.map((day, i) => {
            const d = stats.daily.get(firstDay + i);
            const capacity = capacityMs(dayStart(firstDay + i), dayStart(firstDay + i + 1));
            return { day, utilisationPercent: capacity > 0 ? round2(((d?.serviceMs ?? 0) / capacity) * 100) : null, maxQueue: d?.maxQueue ?? 0 };
          }),
        };
      });

      // The window that breaks first: the earliest break day (then the lower on-time rate).
      const breaking = [overall, ...windows].filter((w) => w.firstBreakDay !== null);
      breaking.sort((a, b) => a.firstBreakDay!.localeCompare(b.firstBreakDay!) || (a.onTimePercent ?? 0) - (b.onTimePercent ?? 0));
      return {
        scenario: scenario.name,
        seed: scenario.seed,
        period: { ...scenario.period },
        end: new Date(input.end).toISOString(),
        drained: input.drained,
        calendar: { years: resolved.years.map((y) => y.year).sort((a, b) => a - b), assumedYears: resolved.assumedYears, ignoredAssumedYears: resolved.ignoredAssumedYears, provisional },
        applications: input.applications,
        overall,
        windows,
        departments,
        firstToBreak: breaking[0]?.clock ?? null,
        bottleneck: bottleneckOf(windows, departments, target.onTimePercent),
        series,
        days,
        run: { transitions: input.transitions, departmentCalls: input.departmentCalls, wallMs: Math.round(input.wallMs) },
      };
    },
  };
}

export type Collector = ReturnType<typeof createCollector>;

/**
 * The department holding the promise back: the one whose own window misses the target by most; if
 * every window meets it, the busiest department (highest utilisation) — the next to break.
 */
export function bottleneckOf(windows: readonly SimulationWindow[], departments: ReadonlyArray<{ step: StepId; utilisationPercent: number | null }>, targetPercent: number): StepId | null {
  const missing = windows.filter((w) => w.onTimePercent !== null && w.onTimePercent < targetPercent).sort((a, b) => a.onTimePercent! - b.onTimePercent!);
  if (missing.length > 0) return missing[0]!.clock as StepId;
  const busiest = departments.filter((d) => d.utilisationPercent !== null).sort((a, b) => b.utilisationPercent! - a.utilisationPercent!);
  return busiest[0]?.step ?? null;
}
