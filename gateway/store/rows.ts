// Rows in, rows out: one mapper per table, through the dialect (a time is text in SQLite and a Date
// in PostgreSQL; JSON is text or an object; a boolean is 0/1 or true/false), so both databases give
// the store's callers identical values.

import type { Conn, Dialect } from './database.ts';
import type { ApplicationRow, Effect, EventRecord, Json, SlaClockRow } from './types.ts';

type Row = Record<string, unknown>;

/** An application row joined with its form (applicationColumns). */
export function toApplication(d: Dialect, row: Row): ApplicationRow {
  return {
    id: row.id as string,
    idempotencyKey: row.idempotency_key as string | null,
    bodyHash: row.body_hash as string,
    form: d.readJson(row.form),
    snapshot: d.readJson(row.snapshot),
    snapshotVersion: row.snapshot_version as number,
    state: row.state as ApplicationRow['state'],
    submittedAt: d.readTime(row.submitted_at),
    updatedAt: d.readTime(row.updated_at),
    completedAt: d.readTimeOrNull(row.completed_at),
    revision: row.revision as number,
    creditCode: (row.credit_code as string | null) ?? null,
  };
}

export function toEffect(d: Dialect, row: Row): Effect {
  return {
    id: String(row.id),
    applicationId: row.application_id as string,
    kind: row.kind as Effect['kind'],
    step: row.step as Effect['step'],
    key: row.key as string,
    payload: d.readJson(row.payload),
    dueAt: d.readTime(row.due_at),
    attempts: row.attempts as number,
    leaseOwner: row.lease_owner as string | null,
    leaseUntil: d.readTimeOrNull(row.lease_until),
    lastError: row.last_error as string | null,
    createdAt: d.readTime(row.created_at),
  };
}

export function toEvent(d: Dialect, row: Row): EventRecord {
  return {
    seq: d.readNumber(row.seq),
    applicationId: row.application_id as string,
    type: row.type as string,
    step: row.step as EventRecord['step'],
    at: d.readTime(row.at),
    data: d.readJson<Json>(row.data),
  };
}

export function toClock(d: Dialect, row: Row): SlaClockRow {
  return {
    applicationId: row.application_id as string,
    clock: row.clock as string,
    windowMs: row.window_ms as number,
    state: row.state as SlaClockRow['state'],
    startedAt: d.readTimeOrNull(row.started_at),
    runningSince: d.readTimeOrNull(row.running_since),
    consumedMs: row.consumed_ms as number,
    pausedReasons: d.readTextList(row.paused_reasons),
    deadline: d.readTimeOrNull(row.deadline),
    provisional: d.readBool(row.provisional),
    atRiskAt: d.readTimeOrNull(row.at_risk_at),
    breachedAt: d.readTimeOrNull(row.breached_at),
    finishedAt: d.readTimeOrNull(row.finished_at),
    durationMs: row.duration_ms as number | null,
    department: row.department as string | null,
  };
}

/** A clock row as column values (times already normalised by the caller). */
export function clockValues(d: Dialect, c: SlaClockRow) {
  return {
    application_id: c.applicationId,
    clock: c.clock,
    window_ms: c.windowMs,
    state: c.state,
    started_at: c.startedAt,
    running_since: c.runningSince,
    consumed_ms: c.consumedMs,
    paused_reasons: d.textList(c.pausedReasons),
    deadline: c.deadline,
    provisional: d.bool(c.provisional),
    at_risk_at: c.atRiskAt,
    breached_at: c.breachedAt,
    finished_at: c.finishedAt,
    duration_ms: c.durationMs,
    department: c.department,
  };
}

/** Applications joined with their forms: every read of an application row goes through this. */
export function selectApplications(conn: Conn) {
  return conn
    .selectFrom('applications')
    .innerJoin('application_forms', 'application_forms.application_id', 'applications.id')
    .selectAll('applications')
    .select('application_forms.form');
}
