// The PostgreSQL store, used when DATABASE_URL is set (docs/design.md "Storage"); several gateway
// instances may share one database. Same contract and conformance suite as sqlite-store.ts.
//
// Concurrency, in READ COMMITTED:
// - apply() locks the application row (SELECT … FOR UPDATE) before reading anything else, so the
//   events of one application are applied one at a time across all instances, and the dedup check,
//   the effect check, decide() and the writes all see the state the previous event left behind.
// - claimDueEffects() is one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select: two instances never
//   claim the same row and never wait for each other. A lease (owner + expiry) then keeps the row
//   out of other claims while it runs; an expired lease (crashed instance) can be claimed again.
// - Event sequence numbers come from a sequence, and sequences are handed out in insert order, not
//   commit order: with two concurrent writers an SSE reader could see seq 11 before seq 10
//   commits and skip 10 for ever. So events are inserted, last in the transaction, under a
//   transaction-level advisory lock released only at commit, which makes commit order seq order.
//   The lock is held for one INSERT and the COMMIT round trip.
// - A deadlock (e.g. releaseLeases() against an apply() cancelling the same effects) is retried:
//   decide() is pure, so running the transaction again is safe.
//
// Times are timestamptz (returned as toISOString() strings), JSON is jsonb. Note: jsonb cannot hold
// the character U+0000 in a string; the contracts should keep it out of user input.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
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
  ApplyOutcome,
  AuditRecord,
  ClockQuery,
  Effect,
  EventRecord,
  IdentityStore,
  Json,
  OpsCredentialRow,
  SignInOutcome,
  SlaClockRow,
  Store,
  Transition,
} from './types.ts';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Schema to keep the tables in (search_path); created by migrate(). Lower-case letters, digits, _. Default: the connection's own search_path. */
  schema?: string;
  /** The clock for times the store stamps itself (updatedAt, createdAt, lease checks); defaults to the wall clock. */
  now?: () => Date;
  /** Errors of idle pooled connections (the pool drops the connection and opens another when needed). */
  onPoolError?: (error: Error) => void;
}

interface ApplicationDbRow {
  id: string;
  idempotency_key: string | null;
  body_hash: string;
  form: ApplicationRow['form'];
  snapshot: Json;
  snapshot_version: number;
  state: string;
  submitted_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  revision: number;
}

interface EffectDbRow {
  id: string;
  application_id: string;
  kind: string;
  step: string | null;
  key: string;
  payload: Json;
  due_at: Date;
  attempts: number;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  state: string;
  created_at: Date;
}

interface EventDbRow {
  seq: string;
  application_id: string;
  type: string;
  step: string | null;
  at: Date;
  data: Json;
}

interface ClockDbRow {
  application_id: string;
  clock: string;
  window_ms: number;
  state: string;
  started_at: Date | null;
  running_since: Date | null;
  consumed_ms: number;
  paused_reasons: string[];
  deadline: Date | null;
  provisional: boolean;
  at_risk_at: Date | null;
  breached_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  department: string | null;
}

const toApplication = (row: ApplicationDbRow): ApplicationRow => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  bodyHash: row.body_hash,
  form: row.form,
  snapshot: row.snapshot,
  snapshotVersion: row.snapshot_version,
  state: row.state as ApplicationRow['state'],
  submittedAt: toIso(row.submitted_at),
  updatedAt: toIso(row.updated_at),
  completedAt: toIsoOrNull(row.completed_at),
  revision: row.revision,
});

const toEffect = (row: EffectDbRow): Effect => ({
  id: row.id,
  applicationId: row.application_id,
  kind: row.kind as Effect['kind'],
  step: row.step as Effect['step'],
  key: row.key,
  payload: row.payload,
  dueAt: toIso(row.due_at),
  attempts: row.attempts,
  leaseOwner: row.lease_owner,
  leaseUntil: toIsoOrNull(row.lease_until),
  lastError: row.last_error,
  createdAt: toIso(row.created_at),
});

const toEvent = (row: EventDbRow): EventRecord => ({
  seq: Number(row.seq),
  applicationId: row.application_id,
  type: row.type,
  step: row.step as EventRecord['step'],
  at: toIso(row.at),
  data: row.data,
});

const toClock = (row: ClockDbRow): SlaClockRow => ({
  applicationId: row.application_id,
  clock: row.clock,
  windowMs: row.window_ms,
  state: row.state as SlaClockRow['state'],
  startedAt: toIsoOrNull(row.started_at),
  runningSince: toIsoOrNull(row.running_since),
  consumedMs: row.consumed_ms,
  pausedReasons: row.paused_reasons,
  deadline: toIsoOrNull(row.deadline),
  provisional: row.provisional,
  atRiskAt: toIsoOrNull(row.at_risk_at),
  breachedAt: toIsoOrNull(row.breached_at),
  finishedAt: toIsoOrNull(row.finished_at),
  durationMs: row.duration_ms,
  department: row.department,
});

/** Effect ids are bigserial numbers in this store; anything else names no effect (and must not reach a ::bigint cast). */
const isEffectId = (id: string): boolean => /^\d{1,18}$/.test(id);

/** Thrown inside a transaction to roll it back and return `value` (an outcome that writes nothing). */
class Rollback<T> {
  constructor(readonly value: T) {}
}

// 40P01 deadlock_detected, 40001 serialization_failure: the transaction did not commit; run it again.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const ORDERED_BY_DUE = (a: Effect, b: Effect) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : Number(a.id) - Number(b.id));

export function createPostgresStore(options: PostgresStoreOptions): Store {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _ (at most 63)`);
  }
  const now = options.now ?? (() => new Date());
  const stamp = () => toIso(now());
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: 'quanliantong-gateway',
    // Set at connection start-up, so no query can ever run against another schema.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (error) => options.onPoolError?.(error));

  const migrationLock = `quanliantong:migrate:${schema ?? ''}`;
  const eventsLock = `quanliantong:events:${schema ?? ''}`;

  async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error; // the connection is unusable: drop it from the pool
        }
        if (error instanceof Rollback) return error.value as T;
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS && !broken) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  const query = async <R extends QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> => (await pool.query<R>(text, params)).rows;

  /** Writes the outbox and clocks of a transition (events come last, see writeEvents). */
  async function writeTransitionRows(client: PoolClient, applicationId: string, transition: Transition, writtenAt: string): Promise<void> {
    const effects = uniqueEffects(transition.newEffects);
    const clear = keysToClear(transition, effects);
    if (clear.length > 0) {
      await client.query("DELETE FROM effects WHERE application_id = $1 AND state = 'pending' AND key = ANY($2::text[])", [applicationId, clear]);
    }
    if (effects.length > 0) {
      const rows = effects.map((e) => ({ kind: e.kind, step: e.step, key: e.key, payload: e.payload, due_at: e.dueAt }));
      await client.query(
        `INSERT INTO effects (application_id, kind, step, key, payload, due_at, created_at)
         SELECT $1, x.kind, x.step, x.key, x.payload, x.due_at, $3
         FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (kind text, step text, key text, payload jsonb, due_at timestamptz))
              WITH ORDINALITY AS x (kind, step, key, payload, due_at, ord)
         ORDER BY x.ord`,
        [applicationId, JSON.stringify(rows), writtenAt],
      );
    }
    const clocks = uniqueClocks(transition.clocks);
    if (clocks.length > 0) {
      const rows = clocks.map((c) => {
        assertClockOwner(applicationId, c);
        return {
          clock: c.clock,
          window_ms: c.windowMs,
          state: c.state,
          started_at: toIsoOrNull(c.startedAt),
          running_since: toIsoOrNull(c.runningSince),
          consumed_ms: c.consumedMs,
          paused_reasons: c.pausedReasons,
          deadline: toIsoOrNull(c.deadline),
          provisional: c.provisional,
          at_risk_at: toIsoOrNull(c.atRiskAt),
          breached_at: toIsoOrNull(c.breachedAt),
          finished_at: toIsoOrNull(c.finishedAt),
          duration_ms: c.durationMs,
          department: c.department,
        };
      });
      await client.query(
        `INSERT INTO sla_clocks (application_id, clock, window_ms, state, started_at, running_since, consumed_ms, paused_reasons,
                                 deadline, provisional, at_risk_at, breached_at, finished_at, duration_ms, department)
         SELECT $1, x.* FROM jsonb_to_recordset($2::jsonb) AS x (
           clock text, window_ms double precision, state text, started_at timestamptz, running_since timestamptz,
           consumed_ms double precision, paused_reasons text[], deadline timestamptz, provisional boolean,
           at_risk_at timestamptz, breached_at timestamptz, finished_at timestamptz, duration_ms double precision, department text)
         ON CONFLICT (application_id, clock) DO UPDATE SET
           window_ms = excluded.window_ms, state = excluded.state, started_at = excluded.started_at,
           running_since = excluded.running_since, consumed_ms = excluded.consumed_ms, paused_reasons = excluded.paused_reasons,
           deadline = excluded.deadline, provisional = excluded.provisional, at_risk_at = excluded.at_risk_at,
           breached_at = excluded.breached_at, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
           department = excluded.department`,
        [applicationId, JSON.stringify(rows)],
      );
    }
  }

  /** Inserts events in order under the events lock; must be the transaction's last statement before COMMIT. */
  async function writeEvents(client: PoolClient, applicationId: string, transition: Transition): Promise<void> {
    const events = transition.events ?? [];
    if (events.length === 0) return;
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [eventsLock]);
    const rows = events.map((e) => ({ type: e.type, step: e.step, at: toIso(e.at), data: e.data }));
    await client.query(
      `INSERT INTO events (application_id, type, step, at, data)
       SELECT $1, x.type, x.step, x.at, x.data
       FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (type text, step text, at timestamptz, data jsonb))
            WITH ORDINALITY AS x (type, step, at, data, ord)
       ORDER BY x.ord`,
      [applicationId, JSON.stringify(rows)],
    );
  }

  let closed = false;

  return {
    kind: 'postgres',

    async migrate() {
      // Every transaction below first takes the same advisory lock, so instances starting together
      // migrate one after the other; each migration is its own transaction (PostgreSQL DDL is
      // transactional), so nobody ever sees half of one.
      const prelude = async (client: PoolClient) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationLock]);
        if (schema !== undefined) {
          // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
          const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
          if (exists.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
        }
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
      };
      const applied = await transaction(async (client) => {
        await prelude(client);
        const rows = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        return new Set(rows.rows.map((row) => row.version));
      });
      for (const migration of readMigrations('postgres')) {
        if (applied.has(migration.version)) continue;
        await transaction(async (client) => {
          await prelude(client);
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
          if (done.rowCount !== 0) return; // another instance got there first
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, stamp()]);
        });
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },

    async ping() {
      await pool.query('SELECT 1');
    },

    async createApplication(app, first) {
      return transaction(async (client) => {
        const submittedAt = toIso(app.submittedAt);
        const changes = applicationChanges(first);
        const inserted = await client.query<ApplicationDbRow>(
          `INSERT INTO applications (id, idempotency_key, body_hash, form, snapshot, snapshot_version, state, submitted_at, updated_at, completed_at, revision)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $8, $9, 1)
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING *`,
          [
            app.id,
            app.idempotencyKey,
            app.bodyHash,
            JSON.stringify(changes.form ?? app.form),
            JSON.stringify(changes.snapshot ?? null),
            changes.snapshotVersion ?? DEFAULT_SNAPSHOT_VERSION,
            changes.state ?? DEFAULT_STATE,
            submittedAt,
            changes.completedAt ?? null,
          ],
        );
        const row = inserted.rows[0];
        if (!row) {
          // The key is taken (ON CONFLICT waited for a concurrent submission to commit, so it is visible now).
          const existing = await client.query<ApplicationDbRow>('SELECT * FROM applications WHERE idempotency_key = $1', [app.idempotencyKey]);
          throw new Rollback({ created: false, application: toApplication(existing.rows[0] as ApplicationDbRow) });
        }
        await writeTransitionRows(client, app.id, first, submittedAt);
        // Identity: the application's owner and legal representative, in the same transaction.
        if (app.access && app.access.length > 0) {
          await client.query(
            `INSERT INTO application_access (principal, application_id, relation, submitted_at, granted_at)
             SELECT x.principal, $1, x.relation, $3, $3 FROM jsonb_to_recordset($2::jsonb) AS x (principal text, relation text)
             ON CONFLICT DO NOTHING`,
            [app.id, JSON.stringify(app.access), submittedAt],
          );
        }
        await writeEvents(client, app.id, first);
        return { created: true, application: toApplication(row) };
      });
    },

    async getApplication(id) {
      const [row] = await query<ApplicationDbRow>('SELECT * FROM applications WHERE id = $1', [id]);
      return row && toApplication(row);
    },

    async listApplications(q: ApplicationQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (q.state !== undefined) where.push(`state = ${param(q.state)}`);
      if (q.submittedFrom !== undefined) where.push(`submitted_at >= ${param(toIso(q.submittedFrom))}`);
      if (q.submittedTo !== undefined) where.push(`submitted_at < ${param(toIso(q.submittedTo))}`);
      const rows = await query<ApplicationDbRow>(
        `SELECT * FROM applications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at, id LIMIT ${param(q.limit ?? null)}`,
        params,
      );
      return rows.map(toApplication);
    },

    async countApplicationsByState() {
      const counts = emptyStateCounts();
      for (const row of await query<{ state: string; n: string }>('SELECT state, COUNT(*) AS n FROM applications GROUP BY state')) {
        counts[row.state] = Number(row.n);
      }
      return counts;
    },

    async apply(applicationId, options, decide) {
      return transaction<ApplyOutcome>(async (client) => {
        const locked = await client.query<ApplicationDbRow>('SELECT * FROM applications WHERE id = $1 FOR UPDATE', [applicationId]);
        const current = locked.rows[0];
        if (!current) throw new Rollback({ applied: false, reason: 'not_found' });
        const at = stamp();

        if (options.dedupKey !== undefined) {
          const recorded = await client.query(
            'INSERT INTO processed_events (application_id, dedup_key, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [applicationId, options.dedupKey, at],
          );
          if (recorded.rowCount === 0) throw new Rollback({ applied: false, reason: 'duplicate' });
        }

        let completes: string | undefined;
        if (options.completesEffect) {
          const { id, owner } = options.completesEffect;
          // Locked so that no claim or reschedule can change it between this check and the update.
          const found = isEffectId(id) ? await client.query<EffectDbRow>('SELECT * FROM effects WHERE id = $1 FOR UPDATE', [id]) : undefined;
          const effect = found?.rows[0];
          // Another executor's live lease: it may be running this very effect.
          const leasedByOther =
            effect !== undefined && effect.lease_owner !== null && effect.lease_owner !== owner && effect.lease_until !== null && toIso(effect.lease_until) >= at;
          if (!effect || effect.application_id !== applicationId || effect.state !== 'pending' || leasedByOther) {
            throw new Rollback({ applied: false, reason: 'effect_not_pending' });
          }
          completes = effect.id;
        }

        const clocks = await client.query<ClockDbRow>('SELECT * FROM sla_clocks WHERE application_id = $1 ORDER BY clock', [applicationId]);
        const transition = decide({ application: toApplication(current), clocks: clocks.rows.map(toClock) });
        assertTransition(transition);
        if (transition === null) throw new Rollback({ applied: false, reason: 'no_change' });

        // Done before the transition's own effects, so a new pending effect with the same key is a new row.
        if (completes !== undefined) {
          await client.query("UPDATE effects SET state = 'done', completed_at = $2, lease_until = NULL WHERE id = $1", [completes, at]);
        }
        await writeTransitionRows(client, applicationId, transition, at);

        const changes = applicationChanges(transition);
        const params: unknown[] = [applicationId];
        const param = (value: unknown) => `$${params.push(value)}`;
        const sets = ['revision = revision + 1', `updated_at = ${param(at)}`];
        if (changes.snapshot !== undefined) sets.push(`snapshot = ${param(JSON.stringify(changes.snapshot))}::jsonb`);
        if (changes.snapshotVersion !== undefined) sets.push(`snapshot_version = ${param(changes.snapshotVersion)}`);
        if (changes.state !== undefined) sets.push(`state = ${param(changes.state)}`);
        if (changes.form !== undefined) sets.push(`form = ${param(JSON.stringify(changes.form))}::jsonb`);
        if (changes.completedAt !== undefined) sets.push(`completed_at = ${param(changes.completedAt)}`);
        const updated = await client.query<ApplicationDbRow>(`UPDATE applications SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);

        await writeEvents(client, applicationId, transition);
        return { applied: true, application: toApplication(updated.rows[0] as ApplicationDbRow) };
      });
    },

    async claimDueEffects(owner, at, leaseMs, limit) {
      if (limit <= 0) return [];
      const nowIso = toIso(at);
      const rows = await query<EffectDbRow>(
        `UPDATE effects SET lease_owner = $1, lease_until = $2
         WHERE id IN (SELECT id FROM effects
                      WHERE state = 'pending' AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY due_at, id
                      LIMIT $4
                      FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [owner, addMs(nowIso, leaseMs), nowIso, limit],
      );
      return rows.map(toEffect).sort(ORDERED_BY_DUE);
    },

    async rescheduleEffect(id, owner, dueAt, lastError) {
      if (!isEffectId(id)) return false;
      const result = await pool.query(
        `UPDATE effects SET due_at = $3, last_error = $4, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND state = 'pending' AND lease_owner = $2`,
        [id, owner, toIso(dueAt), lastError],
      );
      return result.rowCount === 1;
    },

    async releaseLeases(owner) {
      const result = await pool.query("UPDATE effects SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' AND lease_owner = $1", [owner]);
      return result.rowCount ?? 0;
    },

    async nextDueAt() {
      // A free effect can run at its due time; a leased one (claimed, so already due) only once its
      // lease expires. Two index-backed MINs instead of one scan over every pending row.
      const [row] = await query<{ t: Date | null }>(
        `SELECT LEAST(
           (SELECT MIN(due_at) FROM effects WHERE state = 'pending' AND lease_owner IS NULL),
           (SELECT MIN(GREATEST(due_at, lease_until)) FROM effects WHERE state = 'pending' AND lease_owner IS NOT NULL)) AS t`,
      );
      return toIsoOrNull(row?.t);
    },

    async listEffects(applicationId) {
      const rows = await query<EffectDbRow>("SELECT * FROM effects WHERE application_id = $1 AND state = 'pending' ORDER BY due_at, id", [applicationId]);
      return rows.map(toEffect);
    },

    async countPendingEffects() {
      const [row] = await query<{ n: string }>("SELECT COUNT(*) AS n FROM effects WHERE state = 'pending'");
      return Number(row?.n ?? 0);
    },

    async listEvents(applicationId, afterSeq, limit) {
      const rows =
        applicationId === undefined
          ? await query<EventDbRow>('SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])
          : await query<EventDbRow>('SELECT * FROM events WHERE application_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [applicationId, afterSeq, limit]);
      return rows.map(toEvent);
    },

    async listClocks(q: ClockQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (q.applicationId !== undefined) where.push(`application_id = ${param(q.applicationId)}`);
      if (q.clock !== undefined) where.push(`clock = ${param(q.clock)}`);
      if (q.states !== undefined) where.push(`state = ANY(${param(q.states)}::text[])`);
      if (q.finishedFrom !== undefined) where.push(`finished_at >= ${param(toIso(q.finishedFrom))}`);
      if (q.finishedTo !== undefined) where.push(`finished_at < ${param(toIso(q.finishedTo))}`);
      const rows = await query<ClockDbRow>(
        `SELECT * FROM sla_clocks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY application_id, clock LIMIT ${param(q.limit ?? null)}`,
        params,
      );
      return rows.map(toClock);
    },

    async rememberCallback(step, eventId, at) {
      const result = await pool.query('INSERT INTO callback_events (step, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        step,
        eventId,
        toIso(at),
      ]);
      return result.rowCount === 1;
    },

    async getCalendarYear(year) {
      const [row] = await query<{ document: Json }>('SELECT document FROM calendar_years WHERE year = $1', [year]);
      return row?.document;
    },

    async putCalendarYear(year, document, at) {
      await pool.query(
        `INSERT INTO calendar_years (year, document, updated_at) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (year) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
        [year, JSON.stringify(document), toIso(at)],
      );
    },

    async listCalendarYears() {
      return (await query<{ year: number }>('SELECT year FROM calendar_years ORDER BY year')).map((row) => row.year);
    },

    ...createPostgresIdentityStore({ transaction, query, lockPrefix: `quanliantong:${schema ?? ''}` }),
  };
}

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Identity store (types.ts "Identity store"; migrations/postgres/0002_identity.sql). Read-then-write
// methods run in one transaction under a lock: a transaction-level advisory lock per mobile number
// for issuing codes (so concurrent requests cannot get past the rate limit), the code row itself
// (FOR UPDATE) for signing in, and one advisory lock for the audit log, held until commit, so
// appends from every instance are serialised and the chain cannot fork.
// ═════════════════════════════════════════════════════════════════════════════════════════════

interface CodeDbRow {
  id: string;
  code_hash: string;
  issued_at: Date;
  expires_at: Date;
  attempts: number;
  max_attempts: number;
  consumed_at: Date | null;
}

interface AuditDbRow {
  seq: string;
  at: Date;
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
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

const toCredential = (row: CredentialDbRow): OpsCredentialRow => ({
  name: row.name,
  role: row.role,
  tokenHash: row.token_hash,
  createdAt: toIso(row.created_at),
  createdBy: row.created_by,
  revokedAt: toIsoOrNull(row.revoked_at),
});

const toAudit = (row: AuditDbRow): AuditRecord => ({
  seq: Number(row.seq),
  at: toIso(row.at),
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

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function createPostgresIdentityStore(db: {
  transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>;
  query: <R extends QueryResultRow>(text: string, params?: unknown[]) => Promise<R[]>;
  lockPrefix: string;
}): IdentityStore {
  const { transaction, query } = db;
  const lock = (client: PoolClient, name: string) => client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${db.lockPrefix}:${name}`]);

  return {
    async issueSignInCode(code) {
      return transaction(async (client) => {
        await lock(client, `sign-in:${code.mobileKey}`);
        const at = Date.parse(toIso(code.issuedAt));
        const windowStart = new Date(at - code.limits.windowMs).toISOString();
        const recent = (
          await client.query<{ issued_at: Date }>('SELECT issued_at FROM sign_in_codes WHERE mobile_key = $1 AND issued_at > $2 ORDER BY id DESC', [code.mobileKey, windowStart])
        ).rows;
        const last = recent[0];
        if (last && last.issued_at.getTime() + code.limits.minIntervalMs > at) {
          return { issued: false as const, retryAfterMs: last.issued_at.getTime() + code.limits.minIntervalMs - at };
        }
        if (recent.length >= code.limits.maxPerWindow) {
          const oldest = recent[code.limits.maxPerWindow - 1]!;
          return { issued: false as const, retryAfterMs: Math.max(1, oldest.issued_at.getTime() + code.limits.windowMs - at) };
        }
        await client.query('DELETE FROM sign_in_codes WHERE mobile_key = $1 AND issued_at <= $2 AND expires_at <= $3', [code.mobileKey, windowStart, toIso(code.issuedAt)]);
        await client.query('INSERT INTO sign_in_codes (mobile_key, code_hash, issued_at, expires_at, max_attempts) VALUES ($1, $2, $3, $4, $5)', [
          code.mobileKey,
          code.codeHash,
          toIso(code.issuedAt),
          toIso(code.expiresAt),
          code.maxAttempts,
        ]);
        return { issued: true as const };
      });
    },

    async signIn(attempt) {
      return transaction<SignInOutcome>(async (client) => {
        const at = toIso(attempt.at);
        const found = await client.query<CodeDbRow>('SELECT * FROM sign_in_codes WHERE mobile_key = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE', [attempt.mobileKey]);
        const code = found.rows[0];
        if (!code || code.consumed_at !== null || toIso(code.expires_at) <= at) return { ok: false, reason: 'none' };
        if (code.attempts >= code.max_attempts) return { ok: false, reason: 'exhausted' };
        if (!sameHash(code.code_hash, attempt.codeHash)) {
          await client.query('UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = $1', [code.id]);
          return { ok: false, reason: code.attempts + 1 >= code.max_attempts ? 'exhausted' : 'wrong' };
        }
        await client.query('UPDATE sign_in_codes SET consumed_at = $2 WHERE id = $1', [code.id, at]);
        const account = await client.query<{ id: string }>(
          `INSERT INTO accounts (id, mobile_key, mobile_hint, created_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (mobile_key) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at, mobile_hint = excluded.mobile_hint
           RETURNING id`,
          [randomUUID(), attempt.mobileKey, attempt.mobileHint, at],
        );
        const accountId = account.rows[0]!.id;
        await client.query('DELETE FROM sessions WHERE account_id = $1 AND (expires_at <= $2 OR revoked_at IS NOT NULL)', [accountId, at]);
        await client.query('INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
          attempt.session.tokenHash,
          accountId,
          at,
          toIso(attempt.session.expiresAt),
        ]);
        return { ok: true, accountId };
      });
    },

    async getSession(tokenHash, now) {
      const [row] = await query<{ account_id: string; created_at: Date; expires_at: Date; mobile_key: string; mobile_hint: string }>(
        `SELECT s.account_id, s.created_at, s.expires_at, a.mobile_key, a.mobile_hint
         FROM sessions s JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
        [tokenHash, toIso(now)],
      );
      return row && { accountId: row.account_id, mobileKey: row.mobile_key, mobileHint: row.mobile_hint, createdAt: toIso(row.created_at), expiresAt: toIso(row.expires_at) };
    },

    async revokeSession(tokenHash, at) {
      const rows = await query('UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING 1', [tokenHash, toIso(at)]);
      return rows.length === 1;
    },

    async getApplicationAccess(applicationId, principals) {
      if (principals.length === 0) return [];
      const rows = await query<{ relation: AccessRelation }>(
        'SELECT DISTINCT relation FROM application_access WHERE application_id = $1 AND principal = ANY($2::text[]) ORDER BY relation',
        [applicationId, principals],
      );
      return rows.map((row) => row.relation);
    },

    async replaceApplicationAccess(applicationId, relation, principals, at) {
      await transaction(async (client) => {
        await client.query('DELETE FROM application_access WHERE application_id = $1 AND relation = $2', [applicationId, relation]);
        if (principals.length === 0) return;
        await client.query(
          `INSERT INTO application_access (principal, application_id, relation, submitted_at, granted_at)
           SELECT p, a.id, $2, a.submitted_at, $4 FROM applications a, unnest($3::text[]) AS p WHERE a.id = $1
           ON CONFLICT DO NOTHING`,
          [applicationId, relation, principals, toIso(at)],
        );
      });
    },

    async listAccessibleApplications(principals, page) {
      if (principals.length === 0) return [];
      const before = page.before ? { submittedAt: toIso(page.before.submittedAt), id: page.before.id } : undefined;
      const rows = await query<{
        id: string;
        company_name: string;
        lr_mobile: string;
        state: string;
        submitted_at: Date;
        completed_at: Date | null;
        relations: string[];
      }>(
        `SELECT a.id, a.form->>'companyName' AS company_name, a.form->'legalRepresentative'->>'mobile' AS lr_mobile,
                a.state, a.submitted_at, a.completed_at, array_agg(DISTINCT x.relation ORDER BY x.relation) AS relations
         FROM application_access x JOIN applications a ON a.id = x.application_id
         WHERE x.principal = ANY($1::text[])
           AND ($2::timestamptz IS NULL OR x.submitted_at < $2 OR (x.submitted_at = $2 AND x.application_id < $3))
         GROUP BY a.id
         ORDER BY a.submitted_at DESC, a.id DESC
         LIMIT $4`,
        [principals, before?.submittedAt ?? null, before?.id ?? null, page.limit],
      );
      return rows.map((row) => ({
        id: row.id,
        companyName: row.company_name,
        state: row.state as ApplicationRow['state'],
        submittedAt: toIso(row.submitted_at),
        completedAt: toIsoOrNull(row.completed_at),
        relations: row.relations as AccessRelation[],
        legalRepresentativeMobile: row.lr_mobile,
      }));
    },

    async createOpsCredential(row) {
      const rows = await query(
        `INSERT INTO ops_credentials (name, role, token_hash, created_at, created_by, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [row.name, row.role, row.tokenHash, toIso(row.createdAt), row.createdBy, toIsoOrNull(row.revokedAt)],
      );
      return rows.length === 1;
    },

    async getOpsCredential(tokenHash) {
      const [row] = await query<CredentialDbRow>('SELECT * FROM ops_credentials WHERE token_hash = $1', [tokenHash]);
      return row && toCredential(row);
    },

    async listOpsCredentials() {
      return (await query<CredentialDbRow>('SELECT * FROM ops_credentials ORDER BY created_at, name')).map(toCredential);
    },

    async revokeOpsCredential(name, at) {
      const [row] = await query<CredentialDbRow>('UPDATE ops_credentials SET revoked_at = COALESCE(revoked_at, $2) WHERE name = $1 RETURNING *', [name, toIso(at)]);
      return row && toCredential(row);
    },

    async appendAudit(entry) {
      return transaction(async (client) => {
        await lock(client, 'audit');
        const last = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
        const previous = last.rows[0] ? { seq: Number(last.rows[0].seq), hash: last.rows[0].hash } : undefined;
        const record = chainAuditEntry(previous, entry);
        await client.query(
          `INSERT INTO audit_log (seq, at, actor_name, actor_role, action, application_id, step, year, credential, status, code, request_id, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [
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
          ],
        );
        return record;
      });
    },

    async listAudit(q) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (q.beforeSeq !== undefined) where.push(`seq < ${param(q.beforeSeq)}`);
      if (q.afterSeq !== undefined) where.push(`seq > ${param(q.afterSeq)}`);
      if (q.action !== undefined) where.push(`action = ${param(q.action)}`);
      if (q.actorName !== undefined) where.push(`actor_name = ${param(q.actorName)}`);
      if (q.applicationId !== undefined) where.push(`application_id = ${param(q.applicationId)}`);
      if (q.from !== undefined) where.push(`at >= ${param(toIso(q.from))}`);
      if (q.to !== undefined) where.push(`at < ${param(toIso(q.to))}`);
      const rows = await query<AuditDbRow>(
        `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${param(q.limit)}`,
        params,
      );
      return rows.map(toAudit);
    },
  };
}
