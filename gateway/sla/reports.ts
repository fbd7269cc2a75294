// Aggregations for ops: live SLA overview and the monthly per-department report (pure functions
// over clock rows; the routes fetch the rows).

import { z } from 'zod';
import { DEPARTMENT_NAMES, RatingSummary, SlaState, StepId, isPoorRating, type RatingTarget } from '../../contracts/index.ts';
import type { SlaClockRow } from '../store/types.ts';

const HOUR_MS = 3_600_000;

/** Nearest-rank percentile (p in 0..1) of an ascending list; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

export const DepartmentPerformance = z
  .object({
    step: StepId,
    department: z.string(),
    handled: z.number().int().describe('Steps finished in the period'),
    onTime: z.number().int(),
    onTimePercent: z.number().nullable(),
    medianWorkingHours: z.number().nullable(),
    p90WorkingHours: z.number().nullable(),
    breaches: z.number().int().describe('Finished steps that missed their window, plus open steps already past it'),
    open: z.number().int().describe('Steps still running at the time of the report'),
  })
  .meta({ id: 'DepartmentPerformance' });
export type DepartmentPerformance = z.infer<typeof DepartmentPerformance>;

export function departmentPerformance(steps: readonly StepId[], finished: readonly SlaClockRow[], open: readonly SlaClockRow[]): DepartmentPerformance[] {
  return steps.map((step) => {
    const done = finished.filter((c) => c.clock === step && c.state !== 'cancelled');
    const hours = done.map((c) => (c.durationMs ?? 0) / HOUR_MS).sort((a, b) => a - b);
    const onTime = done.filter((c) => c.breachedAt === null).length;
    const stillOpen = open.filter((c) => c.clock === step);
    return {
      step,
      department: DEPARTMENT_NAMES[step],
      handled: done.length,
      onTime,
      onTimePercent: done.length ? round2((onTime / done.length) * 100) : null,
      medianWorkingHours: round2(percentile(hours, 0.5)),
      p90WorkingHours: round2(percentile(hours, 0.9)),
      breaches: done.length - onTime + stillOpen.filter((c) => c.breachedAt !== null).length,
      open: stillOpen.length,
    };
  });
}

export const ClockSummary = z
  .object({
    applicationId: z.string(),
    clock: z.string().describe('"overall" or a step id'),
    state: SlaState,
    deadline: z.string().nullable(),
    provisional: z.boolean(),
    breachedAt: z.string().nullable(),
  })
  .meta({ id: 'ClockSummary' });

export const SlaOverview = z
  .object({
    generatedAt: z.string(),
    counts: z.record(z.string(), z.record(z.string(), z.number().int())).describe('Open clocks by clock ("overall" or step) and SLA state'),
    departments: z.array(DepartmentPerformance).describe('Steps finished in the last 30 days, per department'),
    atRisk: z.array(ClockSummary).describe('Open clocks at risk, soonest deadline first'),
    breached: z.array(ClockSummary).describe('Open clocks past their deadline, oldest deadline first'),
  })
  .meta({ id: 'SlaOverview' });
export type SlaOverview = z.infer<typeof SlaOverview>;

const summary = (c: SlaClockRow) => ({
  applicationId: c.applicationId,
  clock: c.clock,
  state: c.state,
  deadline: c.deadline,
  provisional: c.provisional,
  breachedAt: c.breachedAt,
});
const byDeadline = (a: SlaClockRow, b: SlaClockRow) => (a.deadline ?? '').localeCompare(b.deadline ?? '');

export function slaOverview(steps: readonly StepId[], open: readonly SlaClockRow[], recentlyFinished: readonly SlaClockRow[], now: Date, listLimit = 100): SlaOverview {
  const counts: Record<string, Record<string, number>> = {};
  for (const clock of ['overall', ...steps]) counts[clock] = { on_track: 0, at_risk: 0, breached: 0, paused: 0 };
  for (const c of open) {
    const bucket = (counts[c.clock] ??= {});
    bucket[c.state] = (bucket[c.state] ?? 0) + 1;
  }
  return {
    generatedAt: now.toISOString(),
    counts,
    departments: departmentPerformance(steps, recentlyFinished, open),
    atRisk: open.filter((c) => c.state === 'at_risk').sort(byDeadline).slice(0, listLimit).map(summary),
    breached: open.filter((c) => c.state === 'breached').sort(byDeadline).slice(0, listLimit).map(summary),
  };
}

/** [start, end) of a calendar month in Asia/Shanghai, as UTC instants. */
export function shanghaiMonthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1) - 8 * HOUR_MS);
  const to = new Date(Date.UTC(m === 12 ? y + 1 : y, m === 12 ? 0 : m, 1) - 8 * HOUR_MS);
  return { from: from.toISOString(), to: to.toISOString() };
}

export const MonthlyReport = z
  .object({
    month: z.string(),
    generatedAt: z.string(),
    departments: z.array(DepartmentPerformance),
    overall: z.object({ completed: z.number().int(), onTimePercent: z.number().nullable(), medianWorkingHours: z.number().nullable(), p90WorkingHours: z.number().nullable() }),
    ratings: z.array(RatingSummary).describe('好差评 given in the month: the whole service ("overall") and each department'),
  })
  .meta({ id: 'MonthlyReport' });
export type MonthlyReport = z.infer<typeof MonthlyReport>;

/** Ratings of one period per target ("overall" first, then the steps), from counts per level. */
export function ratingSummaries(steps: readonly StepId[], counts: ReadonlyArray<{ target: string; level: number; count: number }>): RatingSummary[] {
  const targets: RatingTarget[] = ['overall', ...steps];
  return targets.map((target) => {
    const byLevel = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
    for (const c of counts) if (c.target === target && c.level >= 1 && c.level <= 5) byLevel[String(c.level) as keyof typeof byLevel] += c.count;
    const levels = Object.entries(byLevel).map(([level, n]) => ({ level: Number(level), n }));
    const count = levels.reduce((sum, l) => sum + l.n, 0);
    const poor = levels.filter((l) => isPoorRating(l.level)).reduce((sum, l) => sum + l.n, 0);
    return {
      target,
      count,
      average: count ? round2(levels.reduce((sum, l) => sum + l.level * l.n, 0) / count) : null,
      byLevel,
      poor,
      satisfiedPercent: count ? round2(((count - poor) / count) * 100) : null,
    };
  });
}

export function monthlyReport(
  month: string,
  steps: readonly StepId[],
  finished: readonly SlaClockRow[],
  open: readonly SlaClockRow[],
  now: Date,
  ratingCounts: ReadonlyArray<{ target: string; level: number; count: number }> = [],
): MonthlyReport {
  const overall = finished.filter((c) => c.clock === 'overall' && c.state !== 'cancelled');
  const hours = overall.map((c) => (c.durationMs ?? 0) / HOUR_MS).sort((a, b) => a - b);
  const onTime = overall.filter((c) => c.breachedAt === null).length;
  return {
    month,
    generatedAt: now.toISOString(),
    departments: departmentPerformance(steps, finished, open),
    overall: {
      completed: overall.length,
      onTimePercent: overall.length ? round2((onTime / overall.length) * 100) : null,
      medianWorkingHours: round2(percentile(hours, 0.5)),
      p90WorkingHours: round2(percentile(hours, 0.9)),
    },
    ratings: ratingSummaries(steps, ratingCounts),
  };
}
