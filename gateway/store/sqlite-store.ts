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

import { randomUUID, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import { chainAuditEntry } from './audit-chain.ts';
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
import type {
  AccessRelation,
  ApplicationQuery,
  ApplicationRow,
  ApplyOptions,
  ApplyOutcome,
  AuditRecord,
  ClockQuery,
  Effect,
  EventRecord,
  IdentityStore,
  Json,
  NewApplication,
  OpsCredentialRow,
  SignInOutcome,
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
    // Identity: the application's owner and legal representative, in the same transaction.
    const grant = sql('INSERT INTO application_access (principal, application_id, relation, submitted_at, granted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const access of app.access ?? []) grant.run(access.principal, app.id, access.relation, submittedAt, submittedAt);
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

    ...createSqliteIdentityStore(db, sql),
  };
}

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Identity store (types.ts "Identity store"; migrations/sqlite/0002_identity.sql). Every method
// that reads and then writes runs in one BEGIN IMMEDIATE transaction, so a rate limit or a code's
// attempt counter cannot be raced past, and appends to the audit chain are serialised across
// every connection to the file.
// ═════════════════════════════════════════════════════════════════════════════════════════════

interface CodeDbRow {
  id: number;
  code_hash: string;
  issued_at: string;
  expires_at: string;
  attempts: number;
  max_attempts: number;
  consumed_at: string | null;
}

interface AuditDbRow {
  seq: number;
  at: string;
  actor_name: string;
  actor_role: string;
  action: string;
  application_id: string | null;
  step: string | null;
  year: number | null;
  credential: string | null;
  status: number;
  code: string | null;
  request_id: string;
  prev_hash: string;
  hash: string;
}

interface CredentialDbRow {
  name: string;
  role: OpsCredentialRow['role'];
  token_hash: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

const toCredential = (row: CredentialDbRow): OpsCredentialRow => ({
  name: row.name,
  role: row.role,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  createdBy: row.created_by,
  revokedAt: row.revoked_at,
});

const toAudit = (row: AuditDbRow): AuditRecord => ({
  seq: row.seq,
  at: row.at,
  actorName: row.actor_name,
  actorRole: row.actor_role,
  action: row.action,
  applicationId: row.application_id,
  step: row.step,
  year: row.year,
  credential: row.credential,
  status: row.status,
  code: row.code,
  requestId: row.request_id,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** Hashes are compared in constant time although they are hashes: a habit that costs nothing. */
const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function createSqliteIdentityStore(db: Database.Database, sql: (text: string) => Database.Statement): IdentityStore {
  const issueTx = db.transaction((code: Parameters<IdentityStore['issueSignInCode']>[0]) => {
    const at = Date.parse(toIso(code.issuedAt));
    const windowStart = new Date(at - code.limits.windowMs).toISOString();
    const recent = sql('SELECT issued_at FROM sign_in_codes WHERE mobile_key = ? AND issued_at > ? ORDER BY id DESC').all(code.mobileKey, windowStart) as { issued_at: string }[];
    const last = recent[0];
    if (last && Date.parse(last.issued_at) + code.limits.minIntervalMs > at) {
      return { issued: false as const, retryAfterMs: Date.parse(last.issued_at) + code.limits.minIntervalMs - at };
    }
    if (recent.length >= code.limits.maxPerWindow) {
      const oldest = recent[code.limits.maxPerWindow - 1]!;
      return { issued: false as const, retryAfterMs: Math.max(1, Date.parse(oldest.issued_at) + code.limits.windowMs - at) };
    }
    // Rows that left the window and expired count for nothing any more.
    sql('DELETE FROM sign_in_codes WHERE mobile_key = ? AND issued_at <= ? AND expires_at <= ?').run(code.mobileKey, windowStart, toIso(code.issuedAt));
    sql('INSERT INTO sign_in_codes (mobile_key, code_hash, issued_at, expires_at, max_attempts) VALUES (?, ?, ?, ?, ?)').run(
      code.mobileKey,
      code.codeHash,
      toIso(code.issuedAt),
      toIso(code.expiresAt),
      code.maxAttempts,
    );
    return { issued: true as const };
  });

  const signInTx = db.transaction((attempt: Parameters<IdentityStore['signIn']>[0]): SignInOutcome => {
    const at = toIso(attempt.at);
    const code = sql('SELECT * FROM sign_in_codes WHERE mobile_key = ? ORDER BY id DESC LIMIT 1').get(attempt.mobileKey) as CodeDbRow | undefined;
    if (!code || code.consumed_at !== null || code.expires_at <= at) return { ok: false, reason: 'none' };
    if (code.attempts >= code.max_attempts) return { ok: false, reason: 'exhausted' };
    if (!sameHash(code.code_hash, attempt.codeHash)) {
      sql('UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = ?').run(code.id);
      return { ok: false, reason: code.attempts + 1 >= code.max_attempts ? 'exhausted' : 'wrong' };
    }
    sql('UPDATE sign_in_codes SET consumed_at = ? WHERE id = ?').run(at, code.id);
    const existing = sql('SELECT id FROM accounts WHERE mobile_key = ?').get(attempt.mobileKey) as { id: string } | undefined;
    const accountId = existing?.id ?? randomUUID();
    if (existing) sql('UPDATE accounts SET last_sign_in_at = ?, mobile_hint = ? WHERE id = ?').run(at, attempt.mobileHint, accountId);
    else sql('INSERT INTO accounts (id, mobile_key, mobile_hint, created_at, last_sign_in_at) VALUES (?, ?, ?, ?, ?)').run(accountId, attempt.mobileKey, attempt.mobileHint, at, at);
    // Housekeeping: the account's dead sessions.
    sql('DELETE FROM sessions WHERE account_id = ? AND (expires_at <= ? OR revoked_at IS NOT NULL)').run(accountId, at);
    sql('INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(attempt.session.tokenHash, accountId, at, toIso(attempt.session.expiresAt));
    return { ok: true, accountId };
  });

  const replaceAccessTx = db.transaction((applicationId: string, relation: AccessRelation, principals: string[], at: string) => {
    sql('DELETE FROM application_access WHERE application_id = ? AND relation = ?').run(applicationId, relation);
    const insert = sql(`
      INSERT INTO application_access (principal, application_id, relation, submitted_at, granted_at)
      SELECT ?, id, ?, submitted_at, ? FROM applications WHERE id = ? ON CONFLICT DO NOTHING`);
    for (const principal of principals) insert.run(principal, relation, at, applicationId);
  });

  const appendTx = db.transaction((entry: Parameters<IdentityStore['appendAudit']>[0]): AuditRecord => {
    const last = sql('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const record = chainAuditEntry(last, entry);
    sql(`
      INSERT INTO audit_log (seq, at, actor_name, actor_role, action, application_id, step, year, credential, status, code, request_id, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      record.seq,
      record.at,
      record.actorName,
      record.actorRole,
      record.action,
      record.applicationId,
      record.step,
      record.year,
      record.credential,
      record.status,
      record.code,
      record.requestId,
      record.prevHash,
      record.hash,
    );
    return record;
  });

  return {
    async issueSignInCode(code) {
      return issueTx.immediate(code);
    },

    async signIn(attempt) {
      return signInTx.immediate(attempt);
    },

    async getSession(tokenHash, now) {
      const row = sql(`
        SELECT s.account_id, s.created_at, s.expires_at, a.mobile_key, a.mobile_hint
        FROM sessions s JOIN accounts a ON a.id = s.account_id
        WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`).get(tokenHash, toIso(now)) as
        | { account_id: string; created_at: string; expires_at: string; mobile_key: string; mobile_hint: string }
        | undefined;
      return row && { accountId: row.account_id, mobileKey: row.mobile_key, mobileHint: row.mobile_hint, createdAt: row.created_at, expiresAt: row.expires_at };
    },

    async revokeSession(tokenHash, at) {
      const iso = toIso(at);
      return sql('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?').run(iso, tokenHash, iso).changes === 1;
    },

    async getApplicationAccess(applicationId, principals) {
      if (principals.length === 0) return [];
      const rows = sql('SELECT DISTINCT relation FROM application_access WHERE application_id = ? AND principal IN (SELECT value FROM json_each(?)) ORDER BY relation').all(
        applicationId,
        JSON.stringify(principals),
      ) as { relation: AccessRelation }[];
      return rows.map((row) => row.relation);
    },

    async replaceApplicationAccess(applicationId, relation, principals, at) {
      replaceAccessTx.immediate(applicationId, relation, principals, toIso(at));
    },

    async listAccessibleApplications(principals, page) {
      if (principals.length === 0) return [];
      const before = page.before ? { submittedAt: toIso(page.before.submittedAt), id: page.before.id } : undefined;
      const rows = sql(`
        SELECT a.id, json_extract(a.form, '$.companyName') AS company_name, json_extract(a.form, '$.legalRepresentative.mobile') AS lr_mobile,
               a.state, a.submitted_at, a.completed_at, group_concat(DISTINCT x.relation) AS relations
        FROM application_access x JOIN applications a ON a.id = x.application_id
        WHERE x.principal IN (SELECT value FROM json_each(?))
          AND (? IS NULL OR x.submitted_at < ? OR (x.submitted_at = ? AND x.application_id < ?))
        GROUP BY a.id
        ORDER BY a.submitted_at DESC, a.id DESC
        LIMIT ?`).all(
        JSON.stringify(principals),
        before?.submittedAt ?? null,
        before?.submittedAt ?? null,
        before?.submittedAt ?? null,
        before?.id ?? null,
        page.limit,
      ) as { id: string; company_name: string; lr_mobile: string; state: string; submitted_at: string; completed_at: string | null; relations: string }[];
      return rows.map((row) => ({
        id: row.id,
        companyName: row.company_name,
        state: row.state as ApplicationRow['state'],
        submittedAt: row.submitted_at,
        completedAt: row.completed_at,
        relations: (row.relations.split(',') as AccessRelation[]).sort(),
        legalRepresentativeMobile: row.lr_mobile,
      }));
    },

    async createOpsCredential(row) {
      const result = sql('INSERT INTO ops_credentials (name, role, token_hash, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
        row.name,
        row.role,
        row.tokenHash,
        toIso(row.createdAt),
        row.createdBy,
        toIsoOrNull(row.revokedAt),
      );
      return result.changes === 1;
    },

    async getOpsCredential(tokenHash) {
      const row = sql('SELECT * FROM ops_credentials WHERE token_hash = ?').get(tokenHash) as CredentialDbRow | undefined;
      return row && toCredential(row);
    },

    async listOpsCredentials() {
      return (sql('SELECT * FROM ops_credentials ORDER BY created_at, name').all() as CredentialDbRow[]).map(toCredential);
    },

    async revokeOpsCredential(name, at) {
      const row = sql('UPDATE ops_credentials SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ? RETURNING *').get(toIso(at), name) as CredentialDbRow | undefined;
      return row && toCredential(row);
    },

    async appendAudit(entry) {
      return appendTx.immediate(entry);
    },

    async listAudit(query) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        where.push(condition);
        params.push(value);
      };
      if (query.beforeSeq !== undefined) add('seq < ?', query.beforeSeq);
      if (query.afterSeq !== undefined) add('seq > ?', query.afterSeq);
      if (query.action !== undefined) add('action = ?', query.action);
      if (query.actorName !== undefined) add('actor_name = ?', query.actorName);
      if (query.applicationId !== undefined) add('application_id = ?', query.applicationId);
      if (query.from !== undefined) add('at >= ?', toIso(query.from));
      if (query.to !== undefined) add('at < ?', toIso(query.to));
      const text = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
      return (sql(text).all(...params, query.limit) as AuditDbRow[]).map(toAudit);
    },
  };
}
