// The store: the ports of types.ts over one Database (database.ts), written once for SQLite and
// PostgreSQL. The transaction protocol and its group commit are in transitions.ts; this file has
// the migrations runner, the reads, the outbox, the event log's change feed, clocks and calendar.

import { sql } from 'kysely';
import { addMs, emptyStateCounts, toIso } from './common.ts';
import type { Database } from './database.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { selectApplications, toApplication, toClock, toEffect, toEvent } from './rows.ts';
import { createTransitionWriter } from './transitions.ts';
import { createIdentityStore } from './identity.ts';
import { createOpsQueries } from './ops-queries.ts';
import { createPortalStore } from './portal.ts';
import type { ApplicationState } from '../../contracts/index.ts';
import { OPEN_CLOCK_STATES, type Effect, type Json, type OpenClockState, type Store, type StoreChange } from './types.ts';

export interface StoreOptions {
  /** The clock for times the store stamps itself (updatedAt, createdAt, lease checks); defaults to the wall clock. */
  now?: () => Date;
}

const ORDERED_BY_DUE = (a: Effect, b: Effect) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : Number(a.id) - Number(b.id));

export function createStore(database: Database, options: StoreOptions = {}): Store {
  const { db, dialect: d } = database;
  const now = options.now ?? (() => new Date());

  // ── the change feed: local commits at once, other instances' through LISTEN ──────────────────
  const listeners = new Set<(change: StoreChange) => void>();
  let stopListening: Promise<() => Promise<void>> | undefined;
  const emit = (change: StoreChange) => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's failure is its own; the commit happened.
      }
    }
  };
  const onRemote = (payload: string) => {
    for (const line of payload.split('\n')) {
      const [instance, applicationId, seq, state] = line.split(' ');
      if (!instance || instance === database.instanceId || !applicationId) continue;
      emit({ kind: 'committed', applicationId, state: state as ApplicationState, lastSeq: Number(seq), events: null, local: false });
    }
  };

  const writer = createTransitionWriter({
    database,
    now,
    onCommitted: (changes) => changes.forEach(emit),
  });

  let closed = false;

  return {
    kind: d.kind,
    ...createIdentityStore(database),
    ...createOpsQueries(database),
    ...createPortalStore(database),

    async migrate() {
      // Each migration in its own transaction, after the migration lock (PostgreSQL: an advisory
      // lock; SQLite: BEGIN IMMEDIATE), re-checking under it: instances starting together migrate
      // one after the other, and nobody ever sees half a migration (DDL is transactional in both).
      await database.prepare();
      for (const migration of MIGRATIONS) {
        await database.transaction(async (conn) => {
          if (d.kind === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtext(${database.migrationLockName}))`.execute(conn);
          await sql
            .raw(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at ${d.types.time} NOT NULL)${d.types.strict}`)
            .execute(conn);
          const done = await conn.selectFrom('schema_migrations').select('version').where('version', '=', migration.version).executeTakeFirst();
          if (done) return;
          await migration.up(conn, database);
          await conn.insertInto('schema_migrations').values({ version: migration.version, name: migration.name, applied_at: toIso(now()) }).execute();
        });
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await writer.idle();
      if (stopListening) await (await stopListening.catch(() => async () => {}))();
      await database.close();
    },

    async ping() {
      await sql`SELECT 1`.execute(db);
    },

    writeStats: () => writer.stats(),

    // ── transitions ──────────────────────────────────────────────────────────────────────────
    createApplication: (app, first, createOptions) => writer.createApplication(app, first, createOptions),
    apply: (applicationId, applyOptions, decide) => writer.apply(applicationId, applyOptions, decide),

    // ── applications ─────────────────────────────────────────────────────────────────────────
    async getApplication(id) {
      const row = await selectApplications(db).where('id', '=', id).executeTakeFirst();
      return row && toApplication(d, row);
    },

    async listApplications(query) {
      const rows = await selectApplications(db)
        .$if(query.state !== undefined, (q) => q.where('state', '=', query.state!))
        .$if(query.submittedFrom !== undefined, (q) => q.where('submitted_at', '>=', toIso(query.submittedFrom!)))
        .$if(query.submittedTo !== undefined, (q) => q.where('submitted_at', '<', toIso(query.submittedTo!)))
        .orderBy('submitted_at')
        .orderBy('applications.id')
        .$if(query.limit !== undefined, (q) => q.limit(query.limit!))
        .execute();
      return rows.map((row) => toApplication(d, row));
    },

    async countApplicationsByState() {
      const counts = emptyStateCounts();
      const rows = await db.selectFrom('applications').select(['state', (eb) => eb.fn.countAll().as('n')]).groupBy('state').execute();
      for (const row of rows) counts[row.state] = d.readNumber(row.n);
      return counts;
    },

    // ── the outbox ───────────────────────────────────────────────────────────────────────────
    async claimDueEffects(owner, at, leaseMs, limit) {
      if (limit <= 0) return [];
      const nowIso = toIso(at);
      const leaseUntil = addMs(nowIso, leaseMs);
      // One statement: claim whatever is due and free (or whose lease expired). PostgreSQL skips rows
      // other instances are claiming or completing right now instead of waiting for them.
      const rows = await database.transaction((conn) =>
        conn
          .updateTable('effects')
          .set({ lease_owner: owner, lease_until: leaseUntil })
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('effects')
              .select('id')
              .where('state', '=', 'pending')
              .where('due_at', '<=', nowIso)
              .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', nowIso)]))
              .orderBy('due_at')
              .orderBy('id')
              .limit(limit)
              .$if(d.rowLocks, (q) => q.forUpdate().skipLocked()),
          )
          .returningAll()
          .execute(),
      );
      // RETURNING gives rows in no promised order.
      return rows.map((row) => toEffect(d, row)).sort(ORDERED_BY_DUE);
    },

    async rescheduleEffect(id, owner, dueAt, lastError) {
      if (!/^\d{1,15}$/.test(id)) return false;
      const result = await db
        .updateTable('effects')
        .set((eb) => ({ due_at: toIso(dueAt), last_error: lastError, attempts: eb('attempts', '+', 1), lease_owner: null, lease_until: null }))
        .where('id', '=', Number(id))
        .where('state', '=', 'pending')
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async releaseLeases(owner) {
      const result = await db
        .updateTable('effects')
        .set({ lease_owner: null, lease_until: null })
        .where('state', '=', 'pending')
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async nextDueAt() {
      // A free effect can run at its due time; a leased one (claimed, so already due) only once its
      // lease expires. Two index-backed MINs (one round trip) instead of one scan over every pending row.
      const row = await db
        .selectNoFrom((eb) => [
          eb.selectFrom('effects').select((f) => f.fn.min('due_at').as('t')).where('state', '=', 'pending').where('lease_owner', 'is', null).as('free'),
          eb
            .selectFrom('effects')
            .select(sql<unknown>`MIN(${sql.raw(d.greatest)}(due_at, lease_until))`.as('t'))
            .where('state', '=', 'pending')
            .where('lease_owner', 'is not', null)
            .as('leased'),
        ])
        .executeTakeFirst();
      const times = [row?.free, row?.leased].map((t) => d.readTimeOrNull(t)).filter((t): t is string => t !== null);
      return times.length === 0 ? null : times.sort()[0]!;
    },

    async listEffects(applicationId) {
      const rows = await db.selectFrom('effects').selectAll().where('application_id', '=', applicationId).where('state', '=', 'pending').orderBy('due_at').orderBy('id').execute();
      return rows.map((row) => toEffect(d, row));
    },

    async countPendingEffects() {
      const row = await db.selectFrom('effects').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'pending').executeTakeFirst();
      return d.readNumber(row?.n ?? 0);
    },

    // ── the event log ────────────────────────────────────────────────────────────────────────
    async listEvents(applicationId, afterSeq, limit) {
      const rows = await db
        .selectFrom('application_events')
        .selectAll()
        .where('application_id', '=', applicationId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((row) => toEvent(d, row));
    },

    subscribeChanges(listener) {
      listeners.add(listener);
      // Other instances are heard through one LISTEN connection, opened with the first subscriber.
      stopListening ??= database.listen(onRemote, () => emit({ kind: 'resync' }));
      return () => {
        listeners.delete(listener);
      };
    },

    // ── clocks ───────────────────────────────────────────────────────────────────────────────
    async listClocks(query) {
      if (query.states !== undefined && query.states.length === 0) return [];
      const rows = await db
        .selectFrom('sla_clocks')
        .selectAll()
        .$if(query.applicationId !== undefined, (q) => q.where('application_id', '=', query.applicationId!))
        .$if(query.clock !== undefined, (q) => q.where('clock', '=', query.clock!))
        .$if(query.states !== undefined, (q) => q.where('state', 'in', query.states!))
        .$if(query.finishedFrom !== undefined, (q) => q.where('finished_at', '>=', toIso(query.finishedFrom!)))
        .$if(query.finishedTo !== undefined, (q) => q.where('finished_at', '<', toIso(query.finishedTo!)))
        .orderBy('application_id')
        .orderBy('clock')
        .$if(query.limit !== undefined, (q) => q.limit(query.limit!))
        .execute();
      return rows.map((row) => toClock(d, row));
    },

    // ── calendar years ───────────────────────────────────────────────────────────────────────
    async getCalendarYear(year) {
      const row = await db.selectFrom('calendar_years').select('document').where('year', '=', year).executeTakeFirst();
      return row && d.readJson<Json>(row.document);
    },

    async putCalendarYear(year, document, at, putOptions = {}) {
      const stamp = toIso(at);
      return database.transaction(async (conn) => {
        await conn
          .insertInto('calendar_years')
          .values({ year, document: d.json(document), updated_at: stamp })
          .onConflict((oc) => oc.column('year').doUpdateSet((eb) => ({ document: eb.ref('excluded.document'), updated_at: eb.ref('excluded.updated_at') })))
          .execute();
        const schedule = putOptions.scheduleForOpenClocks;
        if (!schedule) return { scheduled: 0 };
        // One statement for every affected application, however many: the work is rows, done later.
        const open = conn
          .selectFrom('sla_clocks')
          .select((eb) => [
            'application_id',
            eb.val('timer').as('kind'),
            sql<null>`NULL`.as('step'),
            eb.val(schedule.key).as('key'),
            sql<unknown>`CAST(${d.json(schedule.payload)} AS ${sql.raw(d.types.json)})`.as('payload'),
            sql<unknown>`CAST(${stamp} AS ${sql.raw(d.types.time)})`.as('due_at'),
            sql<unknown>`CAST(${stamp} AS ${sql.raw(d.types.time)})`.as('created_at'),
          ])
          .where('finished_at', 'is', null)
          .where('state', 'in', ['on_track', 'at_risk', 'breached', 'paused'])
          .groupBy('application_id');
        const result = await conn
          .insertInto('effects')
          .columns(['application_id', 'kind', 'step', 'key', 'payload', 'due_at', 'created_at'])
          .expression(open)
          // Already scheduled (an earlier change not yet worked off): once is enough, with the new payload.
          .onConflict((oc) =>
            oc
              .columns(['application_id', 'key'])
              // A literal, as in the index's own predicate: SQLite matches the two as written.
              .where(sql.ref('state'), '=', sql.lit('pending'))
              .doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), due_at: eb.ref('excluded.due_at') })),
          )
          .executeTakeFirst();
        return { scheduled: Number(result.numInsertedOrUpdatedRows ?? 0) };
      });
    },

    async listCalendarYears() {
      return (await db.selectFrom('calendar_years').select('year').orderBy('year').execute()).map((row) => row.year);
    },

    // ── monitoring aggregates (GET /metrics at every scrape) ─────────────────────────────────
    async countOpenClocks() {
      // Answered from the partial index sla_clocks_open alone (migration 4): finished clocks are not in it.
      const rows = await db
        .selectFrom('sla_clocks')
        .select(['clock', 'state', (eb) => eb.fn.countAll().as('n')])
        .where('state', 'in', [...OPEN_CLOCK_STATES])
        .where('finished_at', 'is', null)
        .groupBy(['clock', 'state'])
        .orderBy('clock')
        .orderBy('state')
        .execute();
      return rows.map((row) => ({ clock: row.clock, state: row.state as OpenClockState, count: d.readNumber(row.n) }));
    },

    async countDueEffects(at) {
      // The claimDueEffects condition, counted instead of claimed: a range of effects_pending_due.
      const nowIso = toIso(at);
      const rows = await db
        .selectFrom('effects')
        .select(['kind', (eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.min('due_at').as('oldest')])
        .where('state', '=', 'pending')
        .where('due_at', '<=', nowIso)
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', nowIso)]))
        .groupBy('kind')
        .orderBy('kind')
        .execute();
      return rows.map((row) => ({ kind: row.kind as Effect['kind'], count: d.readNumber(row.n), oldestDueAt: d.readTime(row.oldest) }));
    },
  };
}
