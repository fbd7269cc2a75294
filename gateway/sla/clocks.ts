// SLA clocks: pure arithmetic over clock rows on the working-day calendar.
//
// A clock measures working time (office hours only, per the calendar) from its start to its stop,
// excluding paused intervals. Each running clock has ONE pending timer row ("sla:<clock>") due at
// its next threshold — at-risk (by default 75% of the window used), then the deadline. When the
// timer fires the gateway calls `checkClock`, which moves the state on and schedules the next one.
// A breach is recorded and escalated; it never stops the step.

import type { SlaState, StepId } from '../../contracts/index.ts';
import type { NewEffect, NewEvent, SlaClockRow } from '../store/types.ts';

/** The calendar operations the clocks need (implemented by gateway/calendar). */
export interface WorkingTime {
  readonly workingDayMs: number;
  addWorkingTime(from: Date, workingMs: number): { at: Date; provisional: boolean };
  /** The deadline N working days on, under the configured half-day rule (same as GET /v1/calendar/deadline). */
  addWorkingDays(from: Date, days: number): { at: Date; provisional: boolean };
  workingTimeBetween(from: Date, to: Date): { ms: number; provisional: boolean };
}

export interface ClockPolicy {
  calendar: WorkingTime;
  /** Fraction of the window after which a clock is at risk (default 0.75). */
  atRiskFraction: number;
}

export interface ClockChange {
  clock: SlaClockRow;
  effects: NewEffect[];
  cancelKeys: string[];
  events: NewEvent[];
}

export const timerKey = (clock: string): string => `sla:${clock}`;
const stepOf = (clock: string): StepId | null => (clock === 'overall' ? null : (clock as StepId));

export function newClock(applicationId: string, clock: string, windowWorkingDays: number, department: string | null, policy: ClockPolicy): SlaClockRow {
  return {
    applicationId,
    clock,
    windowMs: Math.round(windowWorkingDays * policy.calendar.workingDayMs),
    state: 'not_started',
    startedAt: null,
    runningSince: null,
    consumedMs: 0,
    pausedReasons: [],
    deadline: null,
    provisional: false,
    atRiskAt: null,
    breachedAt: null,
    finishedAt: null,
    durationMs: null,
    department,
  };
}

/** Working ms used so far (running part included). */
export function consumedAt(row: SlaClockRow, now: Date, policy: ClockPolicy): { ms: number; provisional: boolean } {
  if (!row.runningSince) return { ms: row.consumedMs, provisional: row.provisional };
  const running = policy.calendar.workingTimeBetween(new Date(row.runningSince), now);
  return { ms: row.consumedMs + running.ms, provisional: row.provisional || running.provisional };
}

/** Recomputes deadline, at-risk instant and the next timer for a running clock from `from`. */
function plan(row: SlaClockRow, from: Date, policy: ClockPolicy): ClockChange {
  const remaining = row.windowMs - row.consumedMs;
  // A fresh window uses the calendar's own "N working days" rule, so the deadline an applicant sees
  // is the one GET /v1/calendar/deadline gives; after a pause, the remaining working time is counted.
  const deadline =
    row.consumedMs === 0
      ? policy.calendar.addWorkingDays(from, row.windowMs / policy.calendar.workingDayMs)
      : policy.calendar.addWorkingTime(from, Math.max(0, remaining));
  const atRisk = policy.calendar.addWorkingTime(from, Math.max(0, Math.round(row.windowMs * policy.atRiskFraction) - row.consumedMs));
  const next: SlaClockRow = {
    ...row,
    deadline: deadline.at.toISOString(),
    atRiskAt: atRisk.at.toISOString(),
    provisional: deadline.provisional,
  };
  const due = next.state === 'on_track' ? next.atRiskAt! : next.state === 'at_risk' ? next.deadline! : null;
  return {
    clock: next,
    effects: due
      ? [{ kind: 'timer', step: stepOf(row.clock), key: timerKey(row.clock), payload: { event: { type: 'sla.check', clock: row.clock } }, dueAt: due }]
      : [],
    cancelKeys: [],
    events: [],
  };
}

export function startClock(row: SlaClockRow, now: Date, policy: ClockPolicy): ClockChange {
  if (row.startedAt) return { clock: row, effects: [], cancelKeys: [], events: [] };
  const started: SlaClockRow = { ...row, state: 'on_track', startedAt: now.toISOString(), runningSince: now.toISOString(), consumedMs: 0 };
  const change = plan(started, now, policy);
  change.events.push({
    type: 'sla.started',
    step: stepOf(row.clock),
    at: now.toISOString(),
    data: { clock: row.clock, deadline: change.clock.deadline, provisional: change.clock.provisional },
  });
  return change;
}

/** Fired by the clock's timer (or after a calendar change): moves on_track → at_risk → breached. */
export function checkClock(row: SlaClockRow, now: Date, policy: ClockPolicy): ClockChange {
  if (!row.startedAt || row.finishedAt || !row.runningSince) return { clock: row, effects: [], cancelKeys: [], events: [] };
  const used = consumedAt(row, now, policy);
  let next: SlaClockRow = { ...row };
  const events: NewEvent[] = [];
  const step = stepOf(row.clock);
  if (used.ms >= Math.round(row.windowMs * policy.atRiskFraction) && next.state === 'on_track') {
    next.state = 'at_risk';
    events.push({ type: 'sla.at_risk', step, at: now.toISOString(), data: { clock: row.clock, deadline: row.deadline } });
  }
  if (used.ms >= row.windowMs && !next.breachedAt) {
    next = { ...next, state: 'breached', breachedAt: row.deadline ?? now.toISOString() };
    events.push({ type: 'sla.breached', step, at: now.toISOString(), data: { clock: row.clock, deadline: row.deadline, escalated: true } });
  }
  // Re-plan from the running start so deadlines stay exact whatever time the timer actually fired.
  const change = plan(next, new Date(next.runningSince!), policy);
  change.events.push(...events);
  return change;
}

export function pauseClock(row: SlaClockRow, reason: string, now: Date, policy: ClockPolicy): ClockChange {
  if (row.finishedAt || row.pausedReasons.includes(reason)) return { clock: row, effects: [], cancelKeys: [], events: [] };
  const wasRunning = row.runningSince !== null;
  const used = consumedAt(row, now, policy);
  const next: SlaClockRow = {
    ...row,
    pausedReasons: [...row.pausedReasons, reason],
    consumedMs: used.ms,
    runningSince: null,
    state: row.breachedAt ? 'breached' : row.startedAt ? 'paused' : row.state,
  };
  return {
    clock: next,
    effects: [],
    cancelKeys: [timerKey(row.clock)],
    events: wasRunning ? [{ type: 'sla.paused', step: stepOf(row.clock), at: now.toISOString(), data: { clock: row.clock, reason } }] : [],
  };
}

export function resumeClock(row: SlaClockRow, reason: string, now: Date, policy: ClockPolicy): ClockChange {
  if (row.finishedAt || !row.pausedReasons.includes(reason)) return { clock: row, effects: [], cancelKeys: [], events: [] };
  const pausedReasons = row.pausedReasons.filter((r) => r !== reason);
  if (pausedReasons.length > 0 || !row.startedAt) return { clock: { ...row, pausedReasons }, effects: [], cancelKeys: [], events: [] };
  const threshold = Math.round(row.windowMs * policy.atRiskFraction);
  const state: SlaState = row.breachedAt ? 'breached' : row.consumedMs >= threshold ? 'at_risk' : 'on_track';
  const change = plan({ ...row, pausedReasons, runningSince: now.toISOString(), state }, now, policy);
  change.events.push({ type: 'sla.resumed', step: stepOf(row.clock), at: now.toISOString(), data: { clock: row.clock, deadline: change.clock.deadline } });
  return change;
}

export function stopClock(row: SlaClockRow, now: Date, policy: ClockPolicy): ClockChange {
  if (row.finishedAt) return { clock: row, effects: [], cancelKeys: [], events: [] };
  // A step that finished before its window opened (e.g. a department that answered at once
  // instead of accepting first) used no window time.
  const started = row.startedAt ? row : { ...row, startedAt: now.toISOString(), runningSince: now.toISOString(), deadline: now.toISOString() };
  const used = consumedAt(started, now, policy);
  const breached = started.breachedAt !== null || used.ms > row.windowMs;
  const next: SlaClockRow = {
    ...started,
    consumedMs: used.ms,
    runningSince: null,
    finishedAt: now.toISOString(),
    durationMs: used.ms,
    state: breached ? 'breached' : 'met',
    breachedAt: started.breachedAt ?? (breached ? started.deadline : null),
    provisional: used.provisional,
  };
  return {
    clock: next,
    effects: [],
    cancelKeys: [timerKey(row.clock)],
    events: [{ type: breached ? 'sla.finished_late' : 'sla.met', step: stepOf(row.clock), at: now.toISOString(), data: { clock: row.clock, workingMs: used.ms } }],
  };
}

/** Withdrawal: the clock stops without an outcome; reports leave it out. */
export function cancelClock(row: SlaClockRow, now: Date, policy: ClockPolicy): ClockChange {
  if (row.finishedAt) return { clock: row, effects: [], cancelKeys: [], events: [] };
  const used = consumedAt(row, now, policy);
  return {
    clock: { ...row, state: 'cancelled', consumedMs: used.ms, runningSince: null, finishedAt: now.toISOString(), durationMs: used.ms },
    effects: [],
    cancelKeys: [timerKey(row.clock)],
    events: [],
  };
}

/** Recomputes a running clock's deadline (after ops load a calendar year). */
export function replanClock(row: SlaClockRow, policy: ClockPolicy): ClockChange {
  if (!row.runningSince || row.finishedAt) return { clock: row, effects: [], cancelKeys: [], events: [] };
  return plan(row, new Date(row.runningSince), policy);
}
