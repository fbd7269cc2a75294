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

import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
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
  ApplyOutcome,
  ClockQuery,
  DueEffectCount,
  Effect,
  EventRecord,
  Json,
  OpenClockCount,
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

    // ── monitoring aggregates (GET /metrics at every scrape; see types.ts) ──────────────────────

    async countOpenClocks() {
      // Read from the partial index sla_clocks_open alone (migration 0002): finished clocks are not in it.
      const rows = await query<{ clock: string; state: OpenClockCount['state']; n: string }>(
        `SELECT clock, state, COUNT(*) AS n FROM sla_clocks
         WHERE state = ANY($1::text[]) AND finished_at IS NULL
         GROUP BY clock, state ORDER BY clock, state`,
        [OPEN_CLOCK_STATES],
      );
      return rows.map((row) => ({ clock: row.clock, state: row.state, count: Number(row.n) }));
    },

    async countDueEffects(at) {
      // The claimDueEffects condition, counted instead of claimed: a range of effects_pending_due.
      const nowIso = toIso(at);
      const rows = await query<{ kind: DueEffectCount['kind']; n: string; oldest: Date }>(
        `SELECT kind, COUNT(*) AS n, MIN(due_at) AS oldest FROM effects
         WHERE state = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
         GROUP BY kind ORDER BY kind`,
        [nowIso],
      );
      return rows.map((row) => ({ kind: row.kind, count: Number(row.n), oldestDueAt: toIso(row.oldest) }));
    },
  };
}
