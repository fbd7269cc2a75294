// The embedded store: one SQLite file through better-sqlite3 (docs/design.md "Storage"). The default
// for `npm start` and most tests; PostgreSQL (postgres-store.ts) when DATABASE_URL is set. Both
// pass the same conformance suite (test/store/conformance.ts).
//
// Concurrency. better-sqlite3 is synchronous, so each method runs to completion on the event loop
// and nothing in this process interleaves with it. Every read-decide-write runs in ONE
// `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so two processes sharing the
// file cannot both read and then collide on write: the second waits up to busy_timeout).
// apply()'s decide() is synchronous and pure, so it can run inside that transaction.
//
// Durability. WAL with synchronous=FULL: every commit is fsynced before it returns. NORMAL would
// be faster but may lose the last commits on power loss (not on a process crash), and the gateway
// acknowledges departments' callbacks and applicants' submissions after commit: a lost
// acknowledged callback is a step nobody will ever report again. See
// https://www.sqlite.org/pragma.html#pragma_synchronous and https://www.sqlite.org/wal.html.
//
// Times are TEXT in the fixed-width UTC toISOString() form so that text order is time order;
// JSON is TEXT. Statements are prepared once and cached by their SQL text.

import Database from 'better-sqlite3';
import {
  DEFAULT_SNAPSHOT_VERSION,
  DEFAULT_STATE,
  addMs,
  applicationChanges,
  assertClockOwner,
  assertTransition,
  emptyStateCounts,
  keysToClear,
  readMigrations,
  toIso,
  toIsoOrNull,
  uniqueClocks,
  uniqueEffects,
} from './common.ts';
import { OPEN_CLOCK_STATES } from './types.ts';
import type {
  ApplicationQuery,
  ApplicationRow,
  ApplyOptions,
  ApplyOutcome,
  ClockQuery,
  DueEffectCount,
  Effect,
  EventRecord,
  Json,
  NewApplication,
  OpenClockCount,
  SlaClockRow,
  Store,
  Transition,
} from './types.ts';

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:' (one connection, nothing shared, nothing kept). */
  file: string;
  /** The clock for times the store stamps itself (updatedAt, createdAt, lease checks); defaults to the wall clock. */
  now?: () => Date;
  /** How long to wait for another connection's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

interface ApplicationDbRow {
  id: string;
  idempotency_key: string | null;
  body_hash: string;
  form: string;
  snapshot: string;
  snapshot_version: number;
  state: string;
  submitted_at: string;
  updated_at: string;
  completed_at: string | null;
  revision: number;
}

interface EffectDbRow {
  id: number;
  application_id: string;
  kind: string;
  step: string | null;
  key: string;
  payload: string;
  due_at: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  state: string;
  created_at: string;
}

interface EventDbRow {
  seq: number;
  application_id: string;
  type: string;
  step: string | null;
  at: string;
  data: string;
}

interface ClockDbRow {
  application_id: string;
  clock: string;
  window_ms: number;
  state: string;
  started_at: string | null;
  running_since: string | null;
  consumed_ms: number;
  paused_reasons: string;
  deadline: string | null;
  provisional: number;
  at_risk_at: string | null;
  breached_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  department: string | null;
}

const toApplication = (row: ApplicationDbRow): ApplicationRow => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  bodyHash: row.body_hash,
  form: JSON.parse(row.form) as ApplicationRow['form'],
  snapshot: JSON.parse(row.snapshot) as Json,
  snapshotVersion: row.snapshot_version,
  state: row.state as ApplicationRow['state'],
  submittedAt: row.submitted_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
  revision: row.revision,
});

const toEffect = (row: EffectDbRow): Effect => ({
  id: String(row.id),
  applicationId: row.application_id,
  kind: row.kind as Effect['kind'],
  step: row.step as Effect['step'],
  key: row.key,
  payload: JSON.parse(row.payload) as Json,
  dueAt: row.due_at,
  attempts: row.attempts,
  leaseOwner: row.lease_owner,
  leaseUntil: row.lease_until,
  lastError: row.last_error,
  createdAt: row.created_at,
});

const toEvent = (row: EventDbRow): EventRecord => ({
  seq: row.seq,
  applicationId: row.application_id,
  type: row.type,
  step: row.step as EventRecord['step'],
  at: row.at,
  data: JSON.parse(row.data) as Json,
});

const toClock = (row: ClockDbRow): SlaClockRow => ({
  applicationId: row.application_id,
  clock: row.clock,
  windowMs: row.window_ms,
  state: row.state as SlaClockRow['state'],
  startedAt: row.started_at,
  runningSince: row.running_since,
  consumedMs: row.consumed_ms,
  pausedReasons: JSON.parse(row.paused_reasons) as string[],
  deadline: row.deadline,
  provisional: row.provisional === 1,
  atRiskAt: row.at_risk_at,
  breachedAt: row.breached_at,
  finishedAt: row.finished_at,
  durationMs: row.duration_ms,
  department: row.department,
});

/** Effect ids are integers in this store; anything else names no effect. */
const effectRowId = (id: string): number | undefined => (/^\d{1,15}$/.test(id) ? Number(id) : undefined);

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const now = options.now ?? (() => new Date());
  const stamp = () => toIso(now());
  const db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');

  // Statements can only be prepared once their tables exist (after migrate()), so they are
  // prepared on first use and kept.
  const statements = new Map<string, Database.Statement>();
  const sql = (text: string): Database.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  const loadClocks = (applicationId: string): SlaClockRow[] =>
    (sql('SELECT * FROM sla_clocks WHERE application_id = ? ORDER BY clock').all(applicationId) as ClockDbRow[]).map(toClock);

  /** Writes the outbox, clocks and events of a transition (the application row is written by the caller). */
  const writeTransitionRows = (applicationId: string, transition: Transition, writtenAt: string): void => {
    const effects = uniqueEffects(transition.newEffects);
    const clear = sql("DELETE FROM effects WHERE application_id = ? AND key = ? AND state = 'pending'");
    for (const key of keysToClear(transition, effects)) clear.run(applicationId, key);
    const insertEffect = sql(
      'INSERT INTO effects (application_id, kind, step, key, payload, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of effects) insertEffect.run(applicationId, e.kind, e.step, e.key, JSON.stringify(e.payload), e.dueAt, writtenAt);

    const upsertClock = sql(`
      INSERT INTO sla_clocks (application_id, clock, window_ms, state, started_at, running_since, consumed_ms, paused_reasons,
                              deadline, provisional, at_risk_at, breached_at, finished_at, duration_ms, department)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (application_id, clock) DO UPDATE SET
        window_ms = excluded.window_ms, state = excluded.state, started_at = excluded.started_at,
        running_since = excluded.running_since, consumed_ms = excluded.consumed_ms, paused_reasons = excluded.paused_reasons,
        deadline = excluded.deadline, provisional = excluded.provisional, at_risk_at = excluded.at_risk_at,
        breached_at = excluded.breached_at, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
        department = excluded.department`);
    for (const c of uniqueClocks(transition.clocks)) {
      assertClockOwner(applicationId, c);
      upsertClock.run(
        applicationId,
        c.clock,
        c.windowMs,
        c.state,
        toIsoOrNull(c.startedAt),
        toIsoOrNull(c.runningSince),
        c.consumedMs,
        JSON.stringify(c.pausedReasons),
        toIsoOrNull(c.deadline),
        c.provisional ? 1 : 0,
        toIsoOrNull(c.atRiskAt),
        toIsoOrNull(c.breachedAt),
        toIsoOrNull(c.finishedAt),
        c.durationMs,
        c.department,
      );
    }

    const insertEvent = sql('INSERT INTO events (application_id, type, step, at, data) VALUES (?, ?, ?, ?, ?)');
    for (const ev of transition.events ?? []) insertEvent.run(applicationId, ev.type, ev.step, toIso(ev.at), JSON.stringify(ev.data));
  };

  const create = db.transaction((app: NewApplication, first: Transition): { created: boolean; application: ApplicationRow } => {
    if (app.idempotencyKey !== null) {
      const existing = sql('SELECT * FROM applications WHERE idempotency_key = ?').get(app.idempotencyKey) as ApplicationDbRow | undefined;
      if (existing) return { created: false, application: toApplication(existing) };
    }
    const submittedAt = toIso(app.submittedAt);
    const changes = applicationChanges(first);
    const row = sql(`
      INSERT INTO applications (id, idempotency_key, body_hash, form, snapshot, snapshot_version, state, submitted_at, updated_at, completed_at, revision)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING *`).get(
      app.id,
      app.idempotencyKey,
      app.bodyHash,
      JSON.stringify(changes.form ?? app.form),
      JSON.stringify(changes.snapshot ?? null),
      changes.snapshotVersion ?? DEFAULT_SNAPSHOT_VERSION,
      changes.state ?? DEFAULT_STATE,
      submittedAt,
      submittedAt,
      changes.completedAt ?? null,
    ) as ApplicationDbRow;
    writeTransitionRows(app.id, first, submittedAt);
    return { created: true, application: toApplication(row) };
  });

  const applyTx = db.transaction(
    (applicationId: string, options: ApplyOptions, decide: (current: { application: ApplicationRow; clocks: SlaClockRow[] }) => Transition | null): ApplyOutcome => {
      const current = sql('SELECT * FROM applications WHERE id = ?').get(applicationId) as ApplicationDbRow | undefined;
      if (!current) return { applied: false, reason: 'not_found' };
      const at = stamp();

      // Checks first, writes after decide(): an outcome that is not applied writes nothing.
      if (options.dedupKey !== undefined && sql('SELECT 1 FROM processed_events WHERE application_id = ? AND dedup_key = ?').get(applicationId, options.dedupKey)) {
        return { applied: false, reason: 'duplicate' };
      }
      let completes: number | undefined;
      if (options.completesEffect) {
        const id = effectRowId(options.completesEffect.id);
        const effect = id === undefined ? undefined : (sql('SELECT * FROM effects WHERE id = ?').get(id) as EffectDbRow | undefined);
        // Another executor's live lease: it may be running this very effect (a lease that expired
        // unclaimed no longer protects anyone).
        const leasedByOther =
          effect !== undefined &&
          effect.lease_owner !== null &&
          effect.lease_owner !== options.completesEffect.owner &&
          effect.lease_until !== null &&
          effect.lease_until >= at;
        if (!effect || effect.application_id !== applicationId || effect.state !== 'pending' || leasedByOther) {
          return { applied: false, reason: 'effect_not_pending' };
        }
        completes = effect.id;
      }

      const transition = decide({ application: toApplication(current), clocks: loadClocks(applicationId) });
      assertTransition(transition);
      if (transition === null) return { applied: false, reason: 'no_change' };

      // Done before the transition's own effects, so a new pending effect with the same key is a new row.
      if (completes !== undefined) sql("UPDATE effects SET state = 'done', completed_at = ?, lease_until = NULL WHERE id = ?").run(at, completes);
      if (options.dedupKey !== undefined) {
        sql('INSERT INTO processed_events (application_id, dedup_key, processed_at) VALUES (?, ?, ?)').run(applicationId, options.dedupKey, at);
      }
      writeTransitionRows(applicationId, transition, at);

      const changes = applicationChanges(transition);
      const sets = ['revision = revision + 1', 'updated_at = ?'];
      const params: unknown[] = [at];
      const set = (assignment: string, value: unknown) => {
        sets.push(assignment);
        params.push(value);
      };
      if (changes.snapshot !== undefined) set('snapshot = ?', JSON.stringify(changes.snapshot));
      if (changes.snapshotVersion !== undefined) set('snapshot_version = ?', changes.snapshotVersion);
      if (changes.state !== undefined) set('state = ?', changes.state);
      if (changes.form !== undefined) set('form = ?', JSON.stringify(changes.form));
      if (changes.completedAt !== undefined) set('completed_at = ?', changes.completedAt);
      const row = sql(`UPDATE applications SET ${sets.join(', ')} WHERE id = ? RETURNING *`).get(...params, applicationId) as ApplicationDbRow;
      return { applied: true, application: toApplication(row) };
    },
  );

  const claimTx = db.transaction((owner: string, at: string, leaseUntil: string, limit: number): Effect[] => {
    const rows = sql(`
      UPDATE effects SET lease_owner = ?, lease_until = ?
      WHERE id IN (SELECT id FROM effects
                   WHERE state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                   ORDER BY due_at, id LIMIT ?)
      RETURNING *`).all(owner, leaseUntil, at, at, limit) as EffectDbRow[];
    // RETURNING gives rows in no promised order.
    return rows.sort((a, b) => (a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : a.id - b.id)).map(toEffect);
  });

  const migrateOne = db.transaction((version: number, name: string, text: string): void => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
    // Re-checked under the write lock: another connection may have applied it meanwhile.
    if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version)) return;
    db.exec(text);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, name, stamp());
  });

  let closed = false;

  return {
    kind: 'sqlite',

    async migrate() {
      // Each migration in its own BEGIN IMMEDIATE transaction: SQLite DDL is transactional, so a
      // reader sees the schema before or after a migration, never half of it.
      for (const migration of readMigrations('sqlite')) migrateOne.immediate(migration.version, migration.name, migration.sql);
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },

    async ping() {
      db.prepare('SELECT 1').get();
    },

    async createApplication(app, first) {
      return create.immediate(app, first);
    },

    async getApplication(id) {
      const row = sql('SELECT * FROM applications WHERE id = ?').get(id) as ApplicationDbRow | undefined;
      return row && toApplication(row);
    },

    async listApplications(query: ApplicationQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        where.push(condition);
        params.push(value);
      };
      if (query.state !== undefined) add('state = ?', query.state);
      if (query.submittedFrom !== undefined) add('submitted_at >= ?', toIso(query.submittedFrom));
      if (query.submittedTo !== undefined) add('submitted_at < ?', toIso(query.submittedTo));
      const text = `SELECT * FROM applications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at, id LIMIT ?`;
      return (sql(text).all(...params, query.limit ?? -1) as ApplicationDbRow[]).map(toApplication);
    },

    async countApplicationsByState() {
      const counts = emptyStateCounts();
      for (const row of sql('SELECT state, COUNT(*) AS n FROM applications GROUP BY state').all() as { state: string; n: number }[]) {
        counts[row.state] = row.n;
      }
      return counts;
    },

    async apply(applicationId, options, decide) {
      return applyTx.immediate(applicationId, options, decide);
    },

    async claimDueEffects(owner, at, leaseMs, limit) {
      if (limit <= 0) return [];
      const nowIso = toIso(at);
      return claimTx.immediate(owner, nowIso, addMs(nowIso, leaseMs), limit);
    },

    async rescheduleEffect(id, owner, dueAt, lastError) {
      const rowId = effectRowId(id);
      if (rowId === undefined) return false;
      const result = sql(`
        UPDATE effects SET due_at = ?, last_error = ?, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
        WHERE id = ? AND state = 'pending' AND lease_owner = ?`).run(toIso(dueAt), lastError, rowId, owner);
      return result.changes === 1;
    },

    async releaseLeases(owner) {
      return sql("UPDATE effects SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' AND lease_owner = ?").run(owner).changes;
    },

    async nextDueAt() {
      // A free effect can run at its due time; a leased one (claimed, so already due) only once its
      // lease expires. Two index-backed MINs instead of one scan over every pending row.
      const free = sql("SELECT MIN(due_at) AS t FROM effects WHERE state = 'pending' AND lease_owner IS NULL").get() as { t: string | null };
      const leased = sql("SELECT MIN(MAX(due_at, lease_until)) AS t FROM effects WHERE state = 'pending' AND lease_owner IS NOT NULL").get() as {
        t: string | null;
      };
      if (free.t === null) return leased.t;
      if (leased.t === null) return free.t;
      return free.t < leased.t ? free.t : leased.t;
    },

    async listEffects(applicationId) {
      const rows = sql("SELECT * FROM effects WHERE application_id = ? AND state = 'pending' ORDER BY due_at, id").all(applicationId) as EffectDbRow[];
      return rows.map(toEffect);
    },

    async countPendingEffects() {
      return (sql("SELECT COUNT(*) AS n FROM effects WHERE state = 'pending'").get() as { n: number }).n;
    },

    async listEvents(applicationId, afterSeq, limit) {
      const rows =
        applicationId === undefined
          ? sql('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit)
          : sql('SELECT * FROM events WHERE application_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(applicationId, afterSeq, limit);
      return (rows as EventDbRow[]).map(toEvent);
    },

    async listClocks(query: ClockQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        where.push(condition);
        params.push(value);
      };
      if (query.applicationId !== undefined) add('application_id = ?', query.applicationId);
      if (query.clock !== undefined) add('clock = ?', query.clock);
      if (query.states !== undefined) add('state IN (SELECT value FROM json_each(?))', JSON.stringify(query.states));
      if (query.finishedFrom !== undefined) add('finished_at >= ?', toIso(query.finishedFrom));
      if (query.finishedTo !== undefined) add('finished_at < ?', toIso(query.finishedTo));
      const text = `SELECT * FROM sla_clocks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY application_id, clock LIMIT ?`;
      return (sql(text).all(...params, query.limit ?? -1) as ClockDbRow[]).map(toClock);
    },

    async rememberCallback(step, eventId, at) {
      const result = sql('INSERT INTO callback_events (step, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(step, eventId, toIso(at));
      return result.changes === 1;
    },

    async getCalendarYear(year) {
      const row = sql('SELECT document FROM calendar_years WHERE year = ?').get(year) as { document: string } | undefined;
      return row && (JSON.parse(row.document) as Json);
    },

    async putCalendarYear(year, document, at) {
      sql(`
        INSERT INTO calendar_years (year, document, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (year) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`).run(year, JSON.stringify(document), toIso(at));
    },

    async listCalendarYears() {
      return (sql('SELECT year FROM calendar_years ORDER BY year').all() as { year: number }[]).map((row) => row.year);
    },

    // ── monitoring aggregates (GET /metrics at every scrape; see types.ts) ──────────────────────

    async countOpenClocks() {
      // Read from the partial index sla_clocks_open alone (migration 0002): finished clocks are not in it.
      const rows = sql(`
        SELECT clock, state, COUNT(*) AS n FROM sla_clocks
        WHERE state IN (${OPEN_CLOCK_STATES.map(() => '?').join(', ')}) AND finished_at IS NULL
        GROUP BY clock, state ORDER BY clock, state`).all(...OPEN_CLOCK_STATES) as { clock: string; state: OpenClockCount['state']; n: number }[];
      return rows.map((row) => ({ clock: row.clock, state: row.state, count: row.n }));
    },

    async countDueEffects(at) {
      // The claimDueEffects condition, counted instead of claimed: a range of effects_pending_due.
      const nowIso = toIso(at);
      const rows = sql(`
        SELECT kind, COUNT(*) AS n, MIN(due_at) AS oldest FROM effects
        WHERE state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
        GROUP BY kind ORDER BY kind`).all(nowIso, nowIso) as { kind: DueEffectCount['kind']; n: number; oldest: string }[];
      return rows.map((row) => ({ kind: row.kind, count: row.n, oldestDueAt: row.oldest }));
    },
  };
}
