// Ops aggregations (docs/operations.md "SLA" and "The console"): the per-department performance rows
// of the SLA board and the monthly report, and the trend, shaped from the aggregates the store
// computes in SQL (store/ops-queries.ts). Pure: no I/O, no clock of its own.

import { DEPARTMENT_NAMES, isPoorRating, type DepartmentPerformance, type MonthlyReport, type RatingSummary, type RatingTarget, type ReportTrend, type StepId } from '../../contracts/index.ts';
import type { FinishedClockStats, MonthlyClockStats, OpenClockStats } from '../store/types.ts';

export { ClockSummary, DepartmentPerformance, MonthlyReport, SlaOverview } from '../../contracts/index.ts';

const HOUR_MS = 3_600_000;

/** Nearest-rank percentile (p in 0..1) of an ascending list; null when empty (the store's SQL uses the same rule). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
const hours = (ms: number | null) => round2(ms === null ? null : ms / HOUR_MS);
const percent = (part: number, whole: number) => (whole === 0 ? null : round2((part / whole) * 100));

/** One row per step, zeros included, from the finished and the open aggregates of the period. */
export function departmentPerformance(steps: readonly StepId[], finished: readonly FinishedClockStats[], open: readonly OpenClockStats[]): DepartmentPerformance[] {
  return steps.map((step) => {
    const done = finished.find((f) => f.clock === step);
    const stillOpen = open.find((o) => o.clock === step);
    const handled = done?.handled ?? 0;
    const onTime = done?.onTime ?? 0;
    return {
      step,
      department: DEPARTMENT_NAMES[step],
      handled,
      onTime,
      onTimePercent: percent(onTime, handled),
      medianWorkingHours: hours(done?.medianMs ?? null),
      p90WorkingHours: hours(done?.p90Ms ?? null),
      breaches: handled - onTime + (stillOpen?.breached ?? 0),
      open: stillOpen?.open ?? 0,
    };
  });
}

/** [start, end) of a calendar month in Asia/Shanghai, as UTC instants. */
export function shanghaiMonthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1) - 8 * HOUR_MS);
  const to = new Date(Date.UTC(m === 12 ? y + 1 : y, m === 12 ? 0 : m, 1) - 8 * HOUR_MS);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** The month (YYYY-MM) `offset` months from `month`. */
export function addMonths(month: string, offset: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + offset;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The Asia/Shanghai month of an instant. */
export function shanghaiMonthOf(at: Date): string {
  return new Date(at.getTime() + 8 * HOUR_MS).toISOString().slice(0, 7);
}

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
  finished: readonly FinishedClockStats[],
  open: readonly OpenClockStats[],
  now: Date,
  ratingCounts: ReadonlyArray<{ target: string; level: number; count: number }> = [],
): MonthlyReport {
  const overall = finished.find((f) => f.clock === 'overall');
  const overallOpen = open.find((o) => o.clock === 'overall');
  const completed = overall?.handled ?? 0;
  const onTime = overall?.onTime ?? 0;
  return {
    month,
    generatedAt: now.toISOString(),
    departments: departmentPerformance(steps, finished, open),
    overall: {
      completed,
      onTime,
      onTimePercent: percent(onTime, completed),
      medianWorkingHours: hours(overall?.medianMs ?? null),
      p90WorkingHours: hours(overall?.p90Ms ?? null),
      breaches: completed - onTime + (overallOpen?.breached ?? 0),
      open: overallOpen?.open ?? 0,
    },
    ratings: ratingSummaries(steps, ratingCounts),
  };
}

/** Per clock ('overall' and each step), one value per month, oldest first; months with nothing are zeros and nulls. */
export function reportTrend(months: readonly string[], steps: readonly StepId[], rows: readonly MonthlyClockStats[]): ReportTrend {
  return {
    months: [...months],
    series: ['overall', ...steps].map((clock) => {
      const of = (month: string) => rows.find((r) => r.clock === clock && r.month === month);
      return {
        clock,
        handled: months.map((m) => of(m)?.handled ?? 0),
        onTimePercent: months.map((m) => percent(of(m)?.onTime ?? 0, of(m)?.handled ?? 0)),
        breaches: months.map((m) => (of(m) ? of(m)!.handled - of(m)!.onTime : 0)),
        medianWorkingHours: months.map((m) => hours(of(m)?.medianMs ?? null)),
      };
    }),
  };
}
