// Simulated departments: what the six department systems would answer, and when, given their
// capacity. Each department is a queue in front of `clerks` servers that work only in staffed time
// (its sessions on the working days of the calendar), optionally limited to a quota of jobs started
// per hour, half-day (office session) or working day — "the seal maker engraves 40 sets per
// half-day". A request is accepted on receipt (the 202 of an asynchronous department: the reform's
// 0.5-day windows start there), waits its turn, takes its drawn service time of staffed work, and is
// then completed or sent back for correction — delivered by callback, or, when the callback is lost,
// learnt by the gateway's next poll. Calls may fail (fault rate, outages) and are then retried by
// whoever drives this model, as the gateway's executor would.
//
// This is the ONLY model of the departments, and it models departments only: the application's
// rules (what is requested when, windows, clocks, corrections, retries) stay in the real machine and
// executor. Both drivers use it: the in-memory loop (engine.ts) and the real executor on a store
// (test/simulation/executor-driver.ts), through the DepartmentAdapter interface the gateway's executor calls.

import type { SimulatedDepartment, StepId } from '../../contracts/index.ts';
import { DEPARTMENT_FAILURES, type CallOutcome } from '../../services/index.ts';
import { SHANGHAI_OFFSET_MS, createWorkingCalendar, type CalendarYearDocument, type WorkingCalendar } from '../calendar/index.ts';
import { Agenda } from './heap.ts';
import { draw, sampleMinutes, stream } from './random.ts';
import { Histogram } from './statistics.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A busy department answers 429 with this Retry-After (the executor waits at least that long). */
export const BUSY_RETRY_AFTER_MS = 60_000;

/** A staffed session, "HH:MM" to "HH:MM" (local time). */
export interface Session {
  start: string;
  end: string;
}

export interface DepartmentSetup {
  step: StepId;
  spec: SimulatedDepartment;
  /** Staffed sessions of a working day. */
  sessions: readonly Session[];
}

export interface Job {
  reference: string;
  applicationId: string;
  step: StepId;
  generation: number;
  arrivedAt: number;
  /** Staffed ms of work (drawn on arrival). */
  serviceMs: number;
  reject: boolean;
  /** The callback of this job is lost: only a poll learns the outcome. */
  lost: boolean;
  startedAt: number | null;
  finishAt: number | null;
  finished: boolean;
}

/** A job that finished at `at`: its callback, unless lost. */
export interface Finished {
  at: number;
  job: Job;
}

interface Department {
  setup: DepartmentSetup;
  calendar: WorkingCalendar;
  /** FIFO of waiting jobs (head index: shift() is O(n)). */
  queue: Job[];
  head: number;
  busy: number;
  /** The quota period in force and the jobs started in it. */
  periodKey: number | null;
  periodUsed: number;
  wakeAt: number | null;
  stats: {
    received: number;
    served: number;
    rejected: number;
    failedCalls: number;
    maxQueue: number;
    wait: Histogram;
    /** Service ms of jobs started in the period. */
    serviceMsInPeriod: number;
    /** By local day number: service ms started that day, longest queue that day. */
    daily: Map<number, { serviceMs: number; maxQueue: number }>;
  };
}

type Internal = { at: number; seq: number; kind: 'finish'; job: Job; dept: Department } | { at: number; seq: number; kind: 'wake'; dept: Department };

export interface SimulatedDepartmentsOptions {
  seed: number;
  departments: readonly DepartmentSetup[];
  years: readonly CalendarYearDocument[];
  /** The office calendar (SLA clocks): waits are reported in its working time. */
  office: WorkingCalendar;
  period: { start: number; end: number };
  /** Called when a job starts (its finish time is known from then on). */
  onStart?: (job: Job) => void;
}

export const localDay = (at: number): number => Math.floor((at + SHANGHAI_OFFSET_MS) / DAY_MS);
export const dayStart = (day: number): number => day * DAY_MS - SHANGHAI_OFFSET_MS;

export function createSimulatedDepartments(options: SimulatedDepartmentsOptions) {
  const { seed } = options;
  const agenda = new Agenda<Internal>();
  let seq = 0;
  const byStep = new Map<StepId, Department>();
  for (const setup of options.departments) {
    byStep.set(setup.step, {
      setup,
      calendar: createWorkingCalendar({ years: options.years, officeHours: { default: [...setup.sessions] } }),
      queue: [],
      head: 0,
      busy: 0,
      periodKey: null,
      periodUsed: 0,
      wakeAt: null,
      stats: { received: 0, served: 0, rejected: 0, failedCalls: 0, maxQueue: 0, wait: new Histogram(36_000), serviceMsInPeriod: 0, daily: new Map() },
    });
  }
  const jobs = new Map<string, Job>();
  /** Calls made so far per (application, step, generation, op): names each call's fault draw. */
  const callCounts = new Map<string, number>();

  const department = (step: StepId): Department => {
    const d = byStep.get(step);
    if (!d) throw new Error(`no simulated department for ${step}`);
    return d;
  };

  /** The first staffed instant at or after `at`. */
  const nextStaffed = (d: Department, at: number): number => d.calendar.addWorkingTime(new Date(at), 1).at.getTime() - 1;

  function periodOf(d: Department, at: number): { key: number; next: number } | null {
    const quota = d.setup.spec.quota;
    if (!quota) return null;
    const local = at + SHANGHAI_OFFSET_MS;
    if (quota.per === 'hour') {
      const key = Math.floor(local / HOUR_MS);
      return { key, next: (key + 1) * HOUR_MS - SHANGHAI_OFFSET_MS };
    }
    const day = Math.floor(local / DAY_MS);
    if (quota.per === 'day') return { key: day, next: dayStart(day + 1) };
    const tod = local - day * DAY_MS;
    const sessions = d.setup.sessions;
    const index = sessions.findIndex((s) => tod >= clock(s.start) && tod < clock(s.end));
    // Only asked at a staffed instant, so a session holds it.
    const session = sessions[Math.max(0, index)]!;
    return { key: day * 16 + Math.max(0, index), next: dayStart(day) + clock(session.end) };
  }

  function daily(d: Department, at: number) {
    const day = localDay(at);
    let entry = d.stats.daily.get(day);
    if (!entry) d.stats.daily.set(day, (entry = { serviceMs: 0, maxQueue: 0 }));
    return entry;
  }

  function wake(d: Department, at: number) {
    if (d.wakeAt !== null && d.wakeAt <= at) return;
    d.wakeAt = at;
    agenda.push({ at, seq: ++seq, kind: 'wake', dept: d });
  }

  /** Starts as many waiting jobs as clerks, staffed time and quota allow at `now`. */
  function dispatch(d: Department, now: number) {
    const { clerks } = d.setup.spec;
    while (d.head < d.queue.length && (clerks === 'unlimited' || d.busy < clerks)) {
      const staffed = nextStaffed(d, now);
      if (staffed > now) return wake(d, staffed);
      const period = periodOf(d, now);
      if (period) {
        if (period.key !== d.periodKey) {
          d.periodKey = period.key;
          d.periodUsed = 0;
        }
        if (d.periodUsed >= d.setup.spec.quota!.max) return wake(d, nextStaffed(d, period.next));
        d.periodUsed++;
      }
      const job = d.queue[d.head]!;
      d.queue[d.head++] = undefined as never;
      if (d.head > 1024 && d.head * 2 > d.queue.length) {
        d.queue = d.queue.slice(d.head);
        d.head = 0;
      }
      start(d, job, now);
    }
  }

  function start(d: Department, job: Job, now: number) {
    d.busy++;
    job.startedAt = now;
    job.finishAt = d.calendar.addWorkingTime(new Date(now), Math.round(job.serviceMs)).at.getTime();
    const wait = options.office.workingTimeBetween(new Date(job.arrivedAt), new Date(now)).ms;
    d.stats.wait.add(wait);
    if (now >= options.period.start && now < options.period.end) d.stats.serviceMsInPeriod += job.serviceMs;
    daily(d, now).serviceMs += job.serviceMs;
    agenda.push({ at: job.finishAt, seq: ++seq, kind: 'finish', job, dept: d });
    options.onStart?.(job);
  }

  function enqueue(d: Department, job: Job, now: number) {
    d.queue.push(job);
    const waiting = d.queue.length - d.head;
    if (waiting > d.stats.maxQueue) d.stats.maxQueue = waiting;
    const today = daily(d, now);
    if (waiting > today.maxQueue) today.maxQueue = waiting;
    dispatch(d, now);
  }

  function fault(d: Department, job: { applicationId: string; step: StepId; generation: number }, op: 'submit' | 'poll', now: number): CallOutcome | null {
    const faults = d.setup.spec.faults;
    const name = `${job.applicationId}|${job.step}|${job.generation}|${op}`;
    const call = (callCounts.get(name) ?? 0) + 1;
    callCounts.set(name, call);
    const failed = (code: keyof typeof DEPARTMENT_FAILURES, status: number | null, retryAfterMs: number | null): CallOutcome => {
      d.stats.failedCalls++;
      return { kind: 'failed', transient: true, retryAfterMs, code, message: DEPARTMENT_FAILURES[code].message, status };
    };
    if (faults.outages.some((o) => now >= Date.parse(o.from) && now < Date.parse(o.to))) return failed('DEPARTMENT_UNREACHABLE', null, null);
    if (faults.rate > 0 && draw(seed, 'fault', name, call) < faults.rate) {
      if (faults.kind === 'timeout') return failed('DEPARTMENT_TIMEOUT', null, null);
      if (faults.kind === 'busy') return failed('DEPARTMENT_RATE_LIMITED', 429, BUSY_RETRY_AFTER_MS);
      return failed('DEPARTMENT_UNAVAILABLE', 503, null);
    }
    return null;
  }

  const referenceOf = (applicationId: string, step: StepId, generation: number) => `SIM-${step}-${applicationId}-${generation}`;

  function answer(job: Job, now: number): CallOutcome {
    if (job.finished && job.finishAt !== null && job.finishAt <= now) {
      return job.reject
        ? { kind: 'rejected', reference: job.reference, reasons: [{ path: 'simulated', message: 'sent back for correction (simulated)' }] }
        : { kind: 'completed', reference: job.reference, result: { simulated: true } };
    }
    return { kind: 'accepted', reference: job.reference, milestone: null };
  }

  return {
    /** A department request (the executor's adapter.submit): accepted, or answered at once by a sync department, or failed. */
    submit(applicationId: string, step: StepId, generation: number, now: number): CallOutcome {
      const d = department(step);
      const failed = fault(d, { applicationId, step, generation }, 'submit', now);
      if (failed) return failed;
      const reference = referenceOf(applicationId, step, generation);
      const existing = jobs.get(reference);
      // The same request again (same idempotency key): the department answers what it answered.
      if (existing) return answer(existing, now);
      const spec = d.setup.spec;
      const job: Job = {
        reference,
        applicationId,
        step,
        generation,
        arrivedAt: now,
        serviceMs: spec.mode === 'sync' ? 0 : sampleMinutes(spec.serviceTime, stream(seed, 'service', reference)) * MINUTE_MS,
        reject: spec.rejectionRate > 0 && draw(seed, 'reject', reference) < spec.rejectionRate,
        lost: spec.faults.lostCallbackRate > 0 && draw(seed, 'lost', reference) < spec.faults.lostCallbackRate,
        startedAt: null,
        finishAt: null,
        finished: false,
      };
      jobs.set(reference, job);
      d.stats.received++;
      if (spec.mode === 'sync') {
        job.startedAt = job.finishAt = now;
        job.finished = true;
        d.stats.served++;
        if (job.reject) d.stats.rejected++;
        return answer(job, now);
      }
      enqueue(d, job, now);
      return { kind: 'accepted', reference, milestone: null };
    },

    /** A poll of an accepted request (the executor's adapter.poll). */
    poll(reference: string, now: number): CallOutcome {
      const job = jobs.get(reference);
      if (!job) return { kind: 'failed', transient: false, retryAfterMs: null, code: 'DEPARTMENT_REQUEST_REFUSED', message: 'unknown reference', status: 404 };
      const failed = fault(department(job.step), job, 'poll', now);
      return failed ?? answer(job, now);
    },

    job: (applicationId: string, step: StepId, generation: number): Job | undefined => jobs.get(referenceOf(applicationId, step, generation)),

    nextAt: (): number | null => agenda.peek()?.at ?? null,

    /** Runs the departments' own events due at `now` (finishes, clerks coming back); returns the finished jobs. */
    advance(now: number): Finished[] {
      const finished: Finished[] = [];
      const woken = new Set<Department>();
      for (let next = agenda.peek(); next && next.at <= now; next = agenda.peek()) {
        agenda.pop();
        const d = next.dept;
        if (next.kind === 'wake') {
          if (d.wakeAt === next.at) d.wakeAt = null;
        } else {
          d.busy--;
          next.job.finished = true;
          d.stats.served++;
          if (next.job.reject) d.stats.rejected++;
          finished.push({ at: next.at, job: next.job });
        }
        woken.add(d);
      }
      for (const d of woken) dispatch(d, now);
      return finished;
    },

    /** Waiting and in-service jobs per department now. */
    sample(): { queue: Partial<Record<StepId, number>>; inService: Partial<Record<StepId, number>> } {
      const queue: Partial<Record<StepId, number>> = {};
      const inService: Partial<Record<StepId, number>> = {};
      for (const [step, d] of byStep) {
        queue[step] = d.queue.length - d.head;
        inService[step] = d.busy;
      }
      return { queue, inService };
    },

    /** Forgets an application's jobs (it has ended; nothing will ask about them again). */
    forget(applicationId: string, steps: readonly StepId[], generations: (step: StepId) => number) {
      for (const step of steps) {
        for (let g = 1; g <= generations(step); g++) {
          const reference = referenceOf(applicationId, step, g);
          const job = jobs.get(reference);
          if (job?.finished) jobs.delete(reference);
          for (const op of ['submit', 'poll']) callCounts.delete(`${applicationId}|${step}|${g}|${op}`);
        }
      }
    },

    /** Per department: staffed ms in [from, to) (for utilisation). */
    staffedMs(step: StepId, from: number, to: number): number {
      return department(step).calendar.workingTimeBetween(new Date(from), new Date(to)).ms;
    },

    stats: (step: StepId) => department(step).stats,
    busy: (step: StepId) => department(step).busy,
    waiting: (step: StepId) => department(step).queue.length - department(step).head,
  };
}

export type SimulatedDepartments = ReturnType<typeof createSimulatedDepartments>;

/** "HH:MM" → ms since midnight */
function clock(hhmm: string): number {
  return (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))) * MINUTE_MS;
}
