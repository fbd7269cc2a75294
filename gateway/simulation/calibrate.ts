// Calibration: a scenario fitted to a month of the store's real history, so that "what if" starts from
// "what was". Read from the same rows the gateway keeps for everyone else:
//
//   - submissions (applications.submitted_at) → the month's arrival instants (a replay) and its
//     profile: submissions per working day, the share on days off, the weight of each hour;
//   - each application's event log (step.requested / accepted / completed / rejected, with the request
//     generation) → per department: the office working time from a request to its answer (a service
//     time sample), the share of requests sent back, whether it answers at once (sync);
//     step.rejected → the next request of that step → how long applicants take to correct, and how
//     many withdraw instead; step.needs_attention → the next request → how long ops take to retry;
//   - the SLA clock rows of the month's applications — the rows the monthly report reads — through
//     the report's own aggregation (gateway/sla/reports.ts), for the recorded on-time rates a replay
//     is compared with.
//
// What the history cannot tell apart is waiting from working: a request's time is the department's
// whole turnaround. So a calibrated department has "unlimited" clerks and the observed turnaround as
// its service time — it reproduces the month as it was. To ask a capacity question, give it clerks
// (or a quota) and a service time per job (docs/simulation.md "Calibration").

import { CORE_STEP_IDS, type SimulationDistribution, type SimulationScenario, type StepId } from '../../contracts/index.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { departmentPerformance, percentile, shanghaiMonthRange, type DepartmentPerformance } from '../sla/reports.ts';
import type { ApplicationQuery, ApplicationRow, ClockQuery, EventRecord, FinishedClockStats, OpenClockStats, SlaClockRow } from '../store/types.ts';
import { SHANGHAI_OFFSET_MS } from '../calendar/index.ts';
import { Z90 } from './random.ts';
import { parseScenario } from './scenario.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The store ports calibration reads (the Store implements them). */
export interface CalibrationSource {
  listApplications(query: ApplicationQuery): Promise<ApplicationRow[]>;
  listEvents(applicationId: string, afterSeq: number, limit: number): Promise<EventRecord[]>;
  listClocks(query: ClockQuery): Promise<SlaClockRow[]>;
}

export interface DistributionFit {
  samples: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
  meanMinutes: number | null;
  /** Lognormal by maximum likelihood (of the positive samples), and its Kolmogorov–Smirnov distance to them. */
  lognormal: { medianMinutes: number; p90Minutes: number; ks: number } | null;
}

export interface Calibration {
  month: string;
  scenario: SimulationScenario;
  fit: {
    applications: number;
    arrivals: { perWorkingDay: number; nonWorkingDayShare: number; hourly: number[] };
    departments: Array<{ step: StepId; requests: number; rejected: number; rejectionRate: number; sync: boolean; service: DistributionFit }>;
    corrections: { episodes: number; corrected: number; share: number | null; delay: DistributionFit };
    opsRetry: DistributionFit;
  };
  /** On-time rates of the month's applications as recorded (the monthly report's aggregation). */
  recorded: { overallOnTimePercent: number | null; completed: number; departments: DepartmentPerformance[] };
}

export interface CalibrateOptions {
  /** The office calendar (the gateway's): working time is measured on it. */
  office: WorkingCalendar;
  /** The steps the deployment runs (default the six core ones). */
  steps?: readonly StepId[];
  /** empirical (default): resample the observed times; lognormal: the fitted curve. */
  distribution?: 'empirical' | 'lognormal';
  /** replay (default): the month's own submission instants; profile: the fitted arrival profile. */
  arrivals?: 'replay' | 'profile';
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26; error < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export function fitDistribution(minutes: readonly number[]): DistributionFit {
  const sorted = [...minutes].sort((a, b) => a - b);
  const positive = sorted.filter((m) => m > 0);
  let lognormal: DistributionFit['lognormal'] = null;
  if (positive.length >= 2) {
    const logs = positive.map(Math.log);
    const mu = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sigma = Math.sqrt(logs.reduce((a, b) => a + (b - mu) ** 2, 0) / (logs.length - 1));
    if (sigma > 1e-9) {
      let ks = 0;
      positive.forEach((x, i) => {
        const f = phi((Math.log(x) - mu) / sigma);
        ks = Math.max(ks, Math.abs((i + 1) / positive.length - f), Math.abs(f - i / positive.length));
      });
      lognormal = { medianMinutes: round(Math.exp(mu)), p90Minutes: round(Math.exp(mu + Z90 * sigma)), ks: round(ks) };
    }
  }
  return {
    samples: sorted.length,
    medianMinutes: quantile(sorted, 0.5) === null ? null : round(quantile(sorted, 0.5)!),
    p90Minutes: quantile(sorted, 0.9) === null ? null : round(quantile(sorted, 0.9)!),
    meanMinutes: sorted.length ? round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : null,
    lognormal,
  };
}

/** At most `max` samples, spread evenly over the sorted list (deterministic). */
function thin(minutes: readonly number[], max = 10_000): number[] {
  const sorted = [...minutes].sort((a, b) => a - b).map((m) => round(m));
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.floor((i * sorted.length) / max)]!);
}

function distributionOf(minutes: readonly number[], fit: DistributionFit, kind: 'empirical' | 'lognormal'): SimulationDistribution | null {
  if (minutes.length === 0) return null;
  if (kind === 'lognormal' && fit.lognormal) return { kind: 'lognormal', medianMinutes: fit.lognormal.medianMinutes, p90Minutes: fit.lognormal.p90Minutes };
  if (minutes.every((m) => m === minutes[0])) return { kind: 'fixed', minutes: round(minutes[0]!) };
  return { kind: 'empirical', minutes: thin(minutes) };
}

const dayOf = (ms: number) => new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);

export async function calibrate(source: CalibrationSource, month: string, options: CalibrateOptions): Promise<Calibration> {
  const steps = [...(options.steps ?? CORE_STEP_IDS)];
  const kind = options.distribution ?? 'empirical';
  const range = shanghaiMonthRange(month);
  const applications = await source.listApplications({ submittedFrom: range.from, submittedTo: range.to });
  const working = (from: string, to: string) => options.office.workingTimeBetween(new Date(from), new Date(to)).ms / MINUTE_MS;

  const service = new Map<StepId, number[]>(steps.map((s) => [s, []]));
  const perStep = new Map<StepId, { requests: number; rejected: number; accepted: number }>(steps.map((s) => [s, { requests: 0, rejected: 0, accepted: 0 }]));
  const correctionDelays: number[] = [];
  const opsDelays: number[] = [];
  let episodes = 0;
  let corrected = 0;
  const finished: SlaClockRow[] = [];
  const open: SlaClockRow[] = [];

  for (const application of applications) {
    const events: EventRecord[] = [];
    for (let after = 0; ; ) {
      const page = await source.listEvents(application.id, after, 1_000);
      events.push(...page);
      if (page.length < 1_000) break;
      after = page.at(-1)!.seq;
    }
    // Per step: when the current request went out, and what is waiting on the applicant or on ops.
    const requestedAt = new Map<StepId, string>();
    const rejectedAt = new Map<StepId, string>();
    const attentionAt = new Map<StepId, string>();
    let waitingOnApplicant = false;
    for (const event of events) {
      const step = event.step as StepId | null;
      if (event.type === 'application.withdrawn' && waitingOnApplicant) waitingOnApplicant = false;
      if (!step || !perStep.has(step)) continue;
      const counts = perStep.get(step)!;
      switch (event.type) {
        case 'step.requested': {
          counts.requests++;
          const rejected = rejectedAt.get(step);
          if (rejected) {
            correctionDelays.push((Date.parse(event.at) - Date.parse(rejected)) / MINUTE_MS);
            rejectedAt.delete(step);
            if (waitingOnApplicant) {
              corrected++;
              waitingOnApplicant = false;
            }
          }
          const attention = attentionAt.get(step);
          if (attention) {
            opsDelays.push(working(attention, event.at));
            attentionAt.delete(step);
          }
          requestedAt.set(step, event.at);
          break;
        }
        case 'step.accepted':
          if (requestedAt.has(step)) counts.accepted++;
          break;
        case 'step.completed':
        case 'step.rejected': {
          const from = requestedAt.get(step);
          if (from) service.get(step)!.push(working(from, event.at));
          requestedAt.delete(step);
          if (event.type === 'step.rejected') {
            counts.rejected++;
            rejectedAt.set(step, event.at);
            if (!waitingOnApplicant) {
              episodes++;
              waitingOnApplicant = true;
            }
          }
          break;
        }
        case 'step.needs_attention':
          attentionAt.set(step, event.at);
          requestedAt.delete(step);
          break;
      }
    }
    for (const row of await source.listClocks({ applicationId: application.id })) {
      if (row.finishedAt) finished.push(row);
      else if (row.startedAt) open.push(row);
    }
  }

  // Arrivals: the month's instants, and the profile they follow.
  const submitted = applications.map((a) => Date.parse(a.submittedAt));
  const monthStart = Date.parse(range.from);
  const monthEnd = Date.parse(range.to);
  let workingDays = 0;
  let daysOff = 0;
  for (let t = monthStart; t < monthEnd; t += DAY_MS) {
    if (options.office.isWorkingDay(dayOf(t))) workingDays++;
    else daysOff++;
  }
  const onWorkingDays = submitted.filter((t) => options.office.isWorkingDay(dayOf(t))).length;
  const perWorkingDay = workingDays ? onWorkingDays / workingDays : 0;
  const perDayOff = daysOff ? (submitted.length - onWorkingDays) / daysOff : 0;
  const hourly = Array.from({ length: 24 }, () => 0);
  for (const t of submitted) hourly[Math.floor(((t + SHANGHAI_OFFSET_MS) % DAY_MS) / HOUR_MS)]!++;

  const fits = steps.map((step) => {
    const counts = perStep.get(step)!;
    const minutes = service.get(step)!;
    return {
      step,
      requests: counts.requests,
      rejected: counts.rejected,
      rejectionRate: counts.requests ? round(counts.rejected / counts.requests, 4) : 0,
      // A department that never accepted first (and took no time) answers at once.
      sync: counts.requests > 0 && counts.accepted === 0 && minutes.every((m) => m === 0),
      service: fitDistribution(minutes),
    };
  });
  const correctionFit = fitDistribution(correctionDelays);
  const opsFit = fitDistribution(opsDelays);

  const departments = Object.fromEntries(
    fits.map((f) => [
      f.step,
      {
        clerks: 'unlimited',
        mode: f.sync ? 'sync' : 'async',
        serviceTime: distributionOf(service.get(f.step)!, f.service, kind) ?? { kind: 'fixed', minutes: 0 },
        rejectionRate: f.rejectionRate,
      },
    ]),
  );
  const lastDay = dayOf(monthEnd - 1);
  const document = {
    name: `calibrated-${month}`,
    description: `Fitted from the store's history of ${month}: ${applications.length} applications; departments reproduce their observed turnaround (unlimited clerks). ${(options.arrivals ?? 'replay') === 'replay' ? 'Submissions replay the month.' : 'Submissions follow the fitted profile.'}`,
    seed: 1,
    period: { from: `${month}-01`, to: lastDay },
    arrivals:
      (options.arrivals ?? 'replay') === 'replay'
        ? { kind: 'times', at: submitted.map((t) => new Date(t).toISOString()) }
        : {
            kind: 'profile',
            perWorkingDay: round(perWorkingDay, 2),
            nonWorkingDayShare: perWorkingDay > 0 ? round(Math.min(5, perDayOff / perWorkingDay), 3) : 0,
            ...(hourly.some((h) => h > 0) ? { hourly } : {}),
          },
    departments,
    optionalSteps: steps.filter((s) => !(CORE_STEP_IDS as readonly string[]).includes(s)),
    corrections: {
      share: episodes ? round(corrected / episodes, 4) : 0.9,
      ...(correctionDelays.length ? { delay: distributionOf(correctionDelays, correctionFit, kind)! } : {}),
    },
    ...(opsDelays.length ? { ops: { retryAfter: distributionOf(opsDelays, opsFit, kind)! } } : {}),
  };
  const overall = finished.filter((c) => c.clock === 'overall' && c.state !== 'cancelled');
  return {
    month,
    scenario: parseScenario(document),
    fit: {
      applications: applications.length,
      arrivals: { perWorkingDay: round(perWorkingDay, 2), nonWorkingDayShare: perWorkingDay > 0 ? round(perDayOff / perWorkingDay, 3) : 0, hourly },
      departments: fits,
      corrections: { episodes, corrected, share: episodes ? round(corrected / episodes, 4) : null, delay: correctionFit },
      opsRetry: opsFit,
    },
    recorded: {
      overallOnTimePercent: overall.length ? Math.round((overall.filter((c) => c.breachedAt === null).length / overall.length) * 10_000) / 100 : null,
      completed: overall.length,
      departments: departmentPerformance(steps, finishedStats(finished), openStats(open)),
    },
  };
}

const byClock = (rows: readonly SlaClockRow[]): Map<string, SlaClockRow[]> => {
  const groups = new Map<string, SlaClockRow[]>();
  for (const row of rows) {
    const group = groups.get(row.clock);
    if (group) group.push(row);
    else groups.set(row.clock, [row]);
  }
  return groups;
};

/** The store's finished-clock aggregate (store/ops-queries.ts), from rows: cancelled left out, nearest-rank percentiles. */
function finishedStats(rows: readonly SlaClockRow[]): FinishedClockStats[] {
  return [...byClock(rows.filter((r) => r.state !== 'cancelled'))].map(([clock, done]) => {
    const durations = done.map((r) => r.durationMs ?? 0).sort((a, b) => a - b);
    return { clock, handled: done.length, onTime: done.filter((r) => r.breachedAt === null).length, medianMs: percentile(durations, 0.5), p90Ms: percentile(durations, 0.9) };
  });
}

/** The store's open-clock aggregate, from rows. */
function openStats(rows: readonly SlaClockRow[]): OpenClockStats[] {
  return [...byClock(rows)].map(([clock, open]) => ({ clock, open: open.length, breached: open.filter((r) => r.breachedAt !== null).length }));
}
