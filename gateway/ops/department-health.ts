// Department health for the console (GET /v1/ops/departments): per department its request rate,
// errors by kind and code, latency, breaker state, open work, capacity use this half day, secret
// rotation and escalation contacts.
//
// Rates, errors and latency come from the same sources as GET /metrics (the prom-client counters and
// histogram of this process): a sample is kept every minute, and the answer is the difference between
// now and the oldest sample in the window — this instance's view, like the breaker; Grafana sums the
// replicas (docs/operations.md "Monitoring"). Capacity use and open work come from the shared store.

import { DEPARTMENT_NAMES, type DepartmentHealth, type StepId } from '../../contracts/index.ts';
import type { CalendarService } from '../calendar-service.ts';
import { monthDayKey, seasonContains } from '../calendar/office-hours.ts';
import type { Clock } from '../clock.ts';
import type { GatewayConfig } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import { EFFECT_KEYS } from '../orchestration/interpret.ts';
import type { Store } from '../store/types.ts';
import type { DepartmentAdapter } from '../../services/index.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;

interface Sample {
  at: number;
  /** step → calls (all operations and outcomes) */
  calls: Map<string, number>;
  /** step → failed calls */
  failed: Map<string, number>;
  /** step|kind|code → count */
  errors: Map<string, number>;
  /** step → le → cumulative count (latency buckets, seconds) */
  buckets: Map<string, Map<number, number>>;
}

async function sample(metrics: Metrics, at: number): Promise<Sample> {
  const calls = new Map<string, number>();
  const failed = new Map<string, number>();
  const buckets = new Map<string, Map<number, number>>();
  for (const v of (await metrics.departmentCalls.get()).values) {
    const step = String(v.labels.step);
    if (v.metricName?.endsWith('_count')) {
      calls.set(step, (calls.get(step) ?? 0) + v.value);
      if (String(v.labels.outcome).endsWith('failure')) failed.set(step, (failed.get(step) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_bucket')) {
      const raw = (v.labels as Record<string, string | number>).le;
      const le = raw === '+Inf' ? Infinity : Number(raw);
      const byLe = buckets.get(step) ?? new Map<number, number>();
      byLe.set(le, (byLe.get(le) ?? 0) + v.value);
      buckets.set(step, byLe);
    }
  }
  const errors = new Map<string, number>();
  for (const v of (await metrics.departmentErrors.get()).values) errors.set(`${v.labels.step}|${v.labels.kind}|${v.labels.code}`, v.value);
  return { at, calls, failed, errors, buckets };
}

/** histogram_quantile over bucket differences: linear within the bucket, as Prometheus does. */
function quantile(q: number, now: Map<number, number> | undefined, base: Map<number, number> | undefined): number | null {
  if (!now) return null;
  const les = [...now.keys()].sort((a, b) => a - b);
  const counts = les.map((le) => (now.get(le) ?? 0) - (base?.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < les.length; i++) {
    if (counts[i]! >= rank) {
      const upper = les[i]!;
      const lower = i === 0 ? 0 : les[i - 1]!;
      if (upper === Infinity) return lower;
      const below = i === 0 ? 0 : counts[i - 1]!;
      const inBucket = counts[i]! - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return null;
}

export interface DepartmentHealthDeps {
  metrics: Metrics;
  store: Pick<Store, 'countOpenClocks' | 'countRequestsSent'>;
  calendar: Pick<CalendarService, 'calendar'>;
  clock: Clock;
  config: Pick<GatewayConfig, 'departments' | 'departmentContacts' | 'departmentCapacity'>;
  adapters: Partial<Record<StepId, Pick<DepartmentAdapter, 'breakerState'>>>;
  steps: readonly StepId[];
  /** The window rates cover (default 15 minutes). */
  windowMs?: number;
}

export function createDepartmentHealth(deps: DepartmentHealthDeps) {
  const windowMs = deps.windowMs ?? 15 * MINUTE_MS;
  const samples: Sample[] = [];
  let started = false;
  let timer: NodeJS.Timeout | undefined;

  async function keep(): Promise<void> {
    const now = Date.now();
    samples.push(await sample(deps.metrics, now));
    while (samples.length > 1 && samples[1]!.at <= now - windowMs) samples.shift();
  }

  /** The current half day: from the start of the office session under way (or the last one) to the next one. */
  function halfDay(now: Date): { from: Date; to: Date } {
    const local = now.getTime() + SHANGHAI_MS;
    const midnight = local - (local % DAY_MS);
    const hours = deps.calendar.calendar.officeHours;
    const mmdd = new Date(midnight).toISOString().slice(5, 10);
    const sessions = hours.seasons?.find((s) => seasonContains(s, monthDayKey(mmdd)))?.sessions ?? hours.default;
    const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    // Session i's half day runs from its start to the next session's start; the first from midnight, the last to midnight.
    const bounds = [0, ...sessions.slice(1).map((s) => minutes(s.start) * MINUTE_MS), DAY_MS];
    const tod = local - midnight;
    let i = 0;
    while (i < bounds.length - 2 && tod >= bounds[i + 1]!) i++;
    return { from: new Date(midnight + bounds[i]! - SHANGHAI_MS), to: new Date(midnight + bounds[i + 1]! - SHANGHAI_MS) };
  }

  return {
    /** Starts keeping a sample a minute (call once; the timer does not hold the process open). */
    start(): void {
      if (started) return;
      started = true;
      void keep();
      timer = setInterval(() => void keep(), MINUTE_MS).unref();
    },
    stop(): void {
      clearInterval(timer);
    },
    async report(): Promise<DepartmentHealth[]> {
      const wall = Date.now();
      const current = await sample(deps.metrics, wall);
      const base = samples.find((s) => s.at >= wall - windowMs) ?? samples[0];
      const minutes = Math.max(1 / 60, (wall - (base?.at ?? wall)) / MINUTE_MS);
      const now = deps.clock.now();
      const window = halfDay(now);
      const [open, sent] = await Promise.all([
        deps.store.countOpenClocks(),
        deps.store.countRequestsSent(window.from.toISOString(), new Date(Math.max(window.to.getTime(), now.getTime() + 1)).toISOString(), deps.steps.map((s) => EFFECT_KEYS.call(s))),
      ]);
      return deps.steps.map((step) => {
        const calls = (current.calls.get(step) ?? 0) - (base?.calls.get(step) ?? 0);
        const failed = (current.failed.get(step) ?? 0) - (base?.failed.get(step) ?? 0);
        const errorsByKind = [...current.errors.entries()]
          .filter(([key]) => key.startsWith(`${step}|`))
          .map(([key, value]) => {
            const [, kind, code] = key.split('|') as [string, string, string];
            return { kind, code, count: value - (base?.errors.get(key) ?? 0) };
          })
          .filter((e) => e.count > 0)
          .sort((a, b) => b.count - a.count);
        const p = (q: number) => {
          const seconds = quantile(q, current.buckets.get(step), base?.buckets.get(step));
          return seconds === null ? null : Math.round(seconds * 1000);
        };
        const department = deps.config.departments[step];
        return {
          step,
          department: DEPARTMENT_NAMES[step],
          url: department?.url ?? '',
          circuit: deps.adapters[step]?.breakerState() ?? 'closed',
          windowMinutes: Math.round(minutes * 10) / 10,
          requestsPerMinute: Math.round((calls / minutes) * 100) / 100,
          errorRatePercent: calls > 0 ? Math.round((failed / calls) * 10_000) / 100 : null,
          errorsByKind,
          latencyMs: { p50: p(0.5), p90: p(0.9) },
          openWork: open.filter((o) => o.clock === step).reduce((sum, o) => sum + o.count, 0),
          capacity: {
            windowStart: window.from.toISOString(),
            sent: sent.find((s) => s.step === step)?.count ?? 0,
            perHalfDay: deps.config.departmentCapacity[step]?.perHalfDay ?? null,
          },
          secrets: { rotating: Boolean(department?.previousSecret) },
          contacts: deps.config.departmentContacts[step]?.length ?? 0,
        };
      });
    },
  };
}

export type DepartmentHealthReporter = ReturnType<typeof createDepartmentHealth>;
