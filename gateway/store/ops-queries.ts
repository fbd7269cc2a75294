// The ops console's port (types.ts "OpsQueriesPort"; migration 7), written once for both databases.
//
// The board and the reports are aggregates computed by the database: counts by GROUP BY, the median
// and the 90th percentile by window functions (ROW_NUMBER and COUNT over each clock's finished rows,
// then the row at the nearest rank ⌈p·n⌉ — the same rule as the percentiles the gateway reported
// before, written as integer arithmetic both databases share). Lists are index range scans with a
// LIMIT; nothing here reads every open clock into memory.

import { sql } from 'kysely';
import { toIso } from './common.ts';
import type { Database } from './database.ts';
import { selectApplications, toApplication, toClock, toEffect } from './rows.ts';
import { OPEN_CLOCK_STATES, type EffectHistoryRow, type FinishedClockStats, type OpsEscalationRow, type OpsNoteRow, type OpsQueriesPort } from './types.ts';
import type { StepId } from '../../contracts/index.ts';

/** `%`, `_` and the escape character itself are literal in a search text. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createOpsQueries(database: Database): OpsQueriesPort {
  const { db, dialect: d } = database;
  const num = (raw: unknown) => (raw === null || raw === undefined ? null : Number(raw));

  /**
   * Per-clock statistics of the clocks finished in [from, to), optionally per Shanghai month too.
   * The window functions number each group's rows by duration; the outer GROUP BY keeps, per group,
   * the count, the on-time count and the durations at the median's and p90's ranks.
   */
  async function finishedStats(from: string, to: string, byMonth: boolean) {
    const month =
      d.kind === 'postgres' ? sql`to_char(finished_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')` : sql`strftime('%Y-%m', finished_at, '+8 hours')`;
    // PostgreSQL refuses a constant in PARTITION BY: without months, partition by the clock alone.
    const groupKey = byMonth ? month : sql`''`;
    const partition = byMonth ? sql`${month}, clock` : sql`clock`;
    const result = await sql<{ month: string; clock: string; handled: unknown; on_time: unknown; median: unknown; p90: unknown }>`
      WITH f AS (
        SELECT ${groupKey} AS month, clock, breached_at,
               COALESCE(duration_ms, 0) AS duration_ms,
               ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY COALESCE(duration_ms, 0)) AS rn,
               COUNT(*) OVER (PARTITION BY ${partition}) AS n
        FROM sla_clocks
        WHERE finished_at IS NOT NULL AND finished_at >= ${toIso(from)} AND finished_at < ${toIso(to)} AND state <> 'cancelled'
      )
      SELECT month, clock,
             MAX(n) AS handled,
             SUM(CASE WHEN breached_at IS NULL THEN 1 ELSE 0 END) AS on_time,
             MAX(CASE WHEN rn = (n + 1) / 2 THEN duration_ms END) AS median,
             MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN duration_ms END) AS p90
      FROM f
      GROUP BY month, clock
      ORDER BY month, clock`.execute(db);
    return result.rows.map((row) => ({
      month: row.month,
      stats: { clock: row.clock, handled: Number(row.handled), onTime: Number(row.on_time), medianMs: num(row.median), p90Ms: num(row.p90) } satisfies FinishedClockStats,
    }));
  }

  const toNote = (row: Record<string, unknown>): OpsNoteRow => ({
    id: String(row.id),
    applicationId: row.application_id as string,
    at: d.readTime(row.at),
    author: row.author as string,
    authorRole: row.author_role as string,
    step: (row.step as StepId | null) ?? null,
    text: row.text as string,
  });
  const toEscalation = (row: Record<string, unknown>): OpsEscalationRow => ({
    id: String(row.id),
    applicationId: row.application_id as string,
    at: d.readTime(row.at),
    author: row.author as string,
    authorRole: row.author_role as string,
    step: row.step as StepId,
    note: (row.note as string | null) ?? null,
    deliveries: d.readJson(row.deliveries) as unknown as OpsEscalationRow['deliveries'],
  });

  return {
    async finishedClockStats(from, to) {
      return (await finishedStats(from, to, false)).map((r) => r.stats);
    },

    async monthlyClockStats(from, to) {
      return (await finishedStats(from, to, true)).map((r) => ({ month: r.month, ...r.stats }));
    },

    async openClockStats(startedBefore) {
      const rows = await db
        .selectFrom('sla_clocks')
        .select(['clock', (eb) => eb.fn.countAll().as('open'), (eb) => eb.fn.count('breached_at').as('breached')])
        .where('state', 'in', [...OPEN_CLOCK_STATES])
        .where('finished_at', 'is', null)
        .$if(startedBefore !== undefined, (q) => q.where('started_at', '<', toIso(startedBefore!)))
        .groupBy('clock')
        .orderBy('clock')
        .execute();
      return rows.map((row) => ({ clock: row.clock, open: d.readNumber(row.open), breached: d.readNumber(row.breached) }));
    },

    async listOpenClocks({ state, clock, limit }) {
      const rows = await db
        .selectFrom('sla_clocks')
        .innerJoin('applications', 'applications.id', 'sla_clocks.application_id')
        .selectAll('sla_clocks')
        .select('applications.company_name')
        .where('sla_clocks.state', '=', state)
        .where('sla_clocks.finished_at', 'is', null)
        .$if(clock !== undefined, (q) => q.where('sla_clocks.clock', '=', clock!))
        .orderBy('sla_clocks.deadline')
        .orderBy('sla_clocks.application_id')
        .orderBy('sla_clocks.clock')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ clock: toClock(d, row), companyName: row.company_name ?? '' }));
    },

    async searchApplications(query) {
      const clock = query.clock ?? 'overall';
      const text = query.text?.trim();
      const rows = await selectApplications(db)
        .leftJoin('sla_clocks', (join) => join.onRef('sla_clocks.application_id', '=', 'applications.id').on('sla_clocks.clock', '=', clock))
        .select([
          'sla_clocks.application_id as c_application_id',
          'sla_clocks.clock as c_clock',
          'sla_clocks.window_ms as c_window_ms',
          'sla_clocks.state as c_state',
          'sla_clocks.started_at as c_started_at',
          'sla_clocks.running_since as c_running_since',
          'sla_clocks.consumed_ms as c_consumed_ms',
          'sla_clocks.paused_reasons as c_paused_reasons',
          'sla_clocks.deadline as c_deadline',
          'sla_clocks.provisional as c_provisional',
          'sla_clocks.at_risk_at as c_at_risk_at',
          'sla_clocks.breached_at as c_breached_at',
          'sla_clocks.finished_at as c_finished_at',
          'sla_clocks.duration_ms as c_duration_ms',
          'sla_clocks.department as c_department',
        ])
        .$if(query.state !== undefined, (q) => q.where('applications.state', '=', query.state!))
        .$if(query.sla !== undefined, (q) => q.where('sla_clocks.state', '=', query.sla!))
        .$if(query.submittedFrom !== undefined, (q) => q.where('applications.submitted_at', '>=', toIso(query.submittedFrom!)))
        .$if(query.submittedTo !== undefined, (q) => q.where('applications.submitted_at', '<', toIso(query.submittedTo!)))
        .$if(Boolean(text), (q) =>
          q.where((w) =>
            w.or([
              w('applications.id', '=', text!),
              w('applications.credit_code', '=', text!.toUpperCase()),
              w(sql`lower(applications.company_name)`, 'like', sql`${likePattern(text!)} ESCAPE '\\'`),
              w(sql`lower(applications.legal_representative_name)`, 'like', sql`${likePattern(text!)} ESCAPE '\\'`),
            ]),
          ),
        )
        .$if(query.after !== undefined, (q) =>
          q.where((w) =>
            w.or([
              w('applications.submitted_at', '<', toIso(query.after!.submittedAt)),
              w.and([w('applications.submitted_at', '=', toIso(query.after!.submittedAt)), w('applications.id', '<', query.after!.id)]),
            ]),
          ),
        )
        .orderBy('applications.submitted_at', 'desc')
        .orderBy('applications.id', 'desc')
        .limit(query.limit)
        .execute();
      return rows.map((row) => {
        const r = row as Record<string, unknown>;
        const clockRow =
          r.c_application_id === null || r.c_application_id === undefined
            ? null
            : toClock(d, Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith('c_')).map(([k, v]) => [k.slice(2), v])));
        return { application: toApplication(d, r), legalRepresentativeName: (r.legal_representative_name as string | null) ?? '', clock: clockRow };
      });
    },

    async effectAttempts(applicationIds, keys) {
      if (applicationIds.length === 0 || keys.length === 0) return [];
      // Per (application, key): the sum over its rows, and the last error of the newest row.
      const result = await sql<{ application_id: string; key: string; attempts: unknown; n: unknown; last_error: string | null }>`
        SELECT application_id, key, attempts, n, last_error FROM (
          SELECT application_id, key, last_error,
                 SUM(attempts) OVER (PARTITION BY application_id, key) AS attempts,
                 COUNT(*) OVER (PARTITION BY application_id, key) AS n,
                 ROW_NUMBER() OVER (PARTITION BY application_id, key ORDER BY id DESC) AS rn
          FROM effects
          WHERE application_id IN (${sql.join([...applicationIds])}) AND key IN (${sql.join([...keys])})
        ) e
        WHERE rn = 1
        ORDER BY application_id, key`.execute(db);
      return result.rows.map((row) => ({ applicationId: row.application_id, key: row.key, attempts: Number(row.attempts), rows: Number(row.n), lastError: row.last_error }));
    },

    async listEffectHistory(applicationId, kind) {
      const rows = await db.selectFrom('effects').selectAll().where('application_id', '=', applicationId).where('kind', '=', kind).orderBy('id').execute();
      return rows.map((row): EffectHistoryRow => ({ ...toEffect(d, row), state: row.state as EffectHistoryRow['state'], completedAt: d.readTimeOrNull(row.completed_at) }));
    },

    async listProcessedEvents(applicationId) {
      const rows = await db
        .selectFrom('processed_events')
        .select(['dedup_key', 'processed_at'])
        .where('application_id', '=', applicationId)
        .orderBy('processed_at')
        .orderBy('dedup_key')
        .execute();
      return rows.map((row) => ({ dedupKey: row.dedup_key, processedAt: d.readTime(row.processed_at) }));
    },

    async countRequestsSent(from, to, keys) {
      if (keys.length === 0) return [];
      const rows = await db
        .selectFrom('effects')
        .select(['step', (eb) => eb.fn.countAll().as('n')])
        .where('kind', '=', 'department_call')
        .where('created_at', '>=', toIso(from))
        .where('created_at', '<', toIso(to))
        .where('key', 'in', [...keys])
        .groupBy('step')
        .orderBy('step')
        .execute();
      return rows.filter((row) => row.step !== null).map((row) => ({ step: row.step as StepId, count: d.readNumber(row.n) }));
    },

    async countPendingEffectsByKey(key) {
      const row = await db.selectFrom('effects').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'pending').where('key', '=', key).executeTakeFirst();
      return d.readNumber(row?.n ?? 0);
    },

    async addOpsNote(note) {
      const row = await db
        .insertInto('ops_notes')
        .values({ application_id: note.applicationId, at: toIso(note.at), author: note.author, author_role: note.authorRole, step: note.step, text: note.text })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toNote(row);
    },

    async listOpsNotes(applicationId) {
      const rows = await db.selectFrom('ops_notes').selectAll().where('application_id', '=', applicationId).orderBy('id').execute();
      return rows.map(toNote);
    },

    async addOpsEscalation(escalation) {
      const row = await db
        .insertInto('ops_escalations')
        .values({
          application_id: escalation.applicationId,
          at: toIso(escalation.at),
          author: escalation.author,
          author_role: escalation.authorRole,
          step: escalation.step,
          note: escalation.note,
          deliveries: d.json(escalation.deliveries as never),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEscalation(row);
    },

    async listOpsEscalations(applicationId) {
      const rows = await db.selectFrom('ops_escalations').selectAll().where('application_id', '=', applicationId).orderBy('id').execute();
      return rows.map(toEscalation);
    },
  };
}
