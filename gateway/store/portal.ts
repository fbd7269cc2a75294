// The portal port (types.ts "Portal store"; migration 6): drafts of the application form and ratings
// of the service (好差评), written once for both databases.
//
// A draft never records that it was submitted: it is submitted with the Idempotency-Key
// "draft-<id>" under its account's key scope, so the application with that key IS the record. A
// submission that committed while the tab closed, before the page could say anything, still shows.

import type { Conn, Database } from './database.ts';
import { toIso } from './common.ts';
import type { DraftRow, Json, PortalStore, RatingRow } from './types.ts';

const submissionKey = (keyScope: string, draftId: string) => `${keyScope}:draft-${draftId}`;

export function createPortalStore(database: Database): PortalStore {
  const { db, dialect: d } = database;

  /** draft id → the application it became, for the given drafts. */
  async function submissions(conn: Conn, keyScope: string, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const byKey = new Map(ids.map((id) => [submissionKey(keyScope, id), id]));
    const rows = await conn.selectFrom('applications').select(['id', 'idempotency_key']).where('idempotency_key', 'in', [...byKey.keys()]).execute();
    return new Map(rows.map((row) => [byKey.get(row.idempotency_key!)!, row.id]));
  }

  const toDraft = (row: Record<string, unknown>, submitted: Map<string, string>): DraftRow => ({
    id: row.id as string,
    accountId: row.account_id as string,
    form: d.readJson<{ [key: string]: Json }>(row.form),
    companyName: (row.company_name as string | null) ?? null,
    createdAt: d.readTime(row.created_at),
    updatedAt: d.readTime(row.updated_at),
    submittedApplicationId: submitted.get(row.id as string) ?? null,
  });

  const toRating = (row: Record<string, unknown>): RatingRow => ({
    applicationId: row.application_id as string,
    target: row.target as string,
    level: d.readNumber(row.level),
    comment: (row.comment as string | null) ?? null,
    poor: d.readBool(row.poor),
    ratedBy: row.rated_by as string,
    ratedAt: d.readTime(row.rated_at),
    followUp:
      row.follow_up_at === null || row.follow_up_at === undefined
        ? null
        : { at: d.readTime(row.follow_up_at), by: row.follow_up_by as string, note: row.follow_up_note as string },
  });

  return {
    async createDraft(draft, limit, keyScope) {
      return database.transaction(async (conn) => {
        // Per account, one at a time: two tabs creating drafts together cannot pass the limit.
        await database.lock(conn, `drafts:${draft.accountId}`);
        const ids = (await conn.selectFrom('drafts').select('id').where('account_id', '=', draft.accountId).execute()).map((r) => r.id);
        const submitted = await submissions(conn, keyScope, ids);
        if (ids.length - submitted.size >= limit) return { ok: false as const, reason: 'limit' as const };
        const at = toIso(draft.at);
        await conn
          .insertInto('drafts')
          .values({ id: draft.id, account_id: draft.accountId, form: d.json(draft.form), company_name: draft.companyName, created_at: at, updated_at: at })
          .execute();
        return {
          ok: true as const,
          draft: { id: draft.id, accountId: draft.accountId, form: draft.form, companyName: draft.companyName, createdAt: at, updatedAt: at, submittedApplicationId: null },
        };
      });
    },

    async getDraft(id, accountId, keyScope) {
      const row = await db.selectFrom('drafts').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      return row && toDraft(row, await submissions(db, keyScope, [id]));
    },

    async saveDraft(id, accountId, keyScope, change) {
      return database.transaction(async (conn) => {
        const row = await conn.selectFrom('drafts').select('id').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
        if (!row) return { ok: false as const, reason: 'not_found' as const };
        // A submitted draft is what was submitted: later saves (a second tab) must not rewrite it.
        const applicationId = (await submissions(conn, keyScope, [id])).get(id);
        if (applicationId !== undefined) return { ok: false as const, reason: 'submitted' as const, applicationId };
        await conn
          .updateTable('drafts')
          .set({ form: d.json(change.form), company_name: change.companyName, updated_at: toIso(change.at) })
          .where('id', '=', id)
          .execute();
        const saved = await conn.selectFrom('drafts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        return { ok: true as const, draft: toDraft(saved, new Map()) };
      });
    },

    async listDrafts(accountId, keyScope) {
      const rows = await db.selectFrom('drafts').selectAll().where('account_id', '=', accountId).orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
      const submitted = await submissions(db, keyScope, rows.map((r) => r.id));
      return rows.filter((r) => !submitted.has(r.id)).map((r) => toDraft(r, submitted));
    },

    async deleteDraft(id, accountId) {
      const result = await db.deleteFrom('drafts').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async addRatings(applicationId, ratedBy, at, ratings) {
      return database.transaction(async (conn) => {
        await database.lock(conn, `ratings:${applicationId}`);
        const targets = ratings.map((r) => r.target);
        const existing = await conn.selectFrom('ratings').select('target').where('application_id', '=', applicationId).where('target', 'in', targets).execute();
        if (existing.length > 0) return { ok: false as const, reason: 'already_rated' as const, targets: existing.map((r) => r.target).sort() };
        const iso = toIso(at);
        await conn
          .insertInto('ratings')
          .values(ratings.map((r) => ({ application_id: applicationId, target: r.target, level: r.level, comment: r.comment, poor: d.bool(r.poor), rated_by: ratedBy, rated_at: iso })))
          .execute();
        return {
          ok: true as const,
          ratings: ratings.map((r) => ({ applicationId, target: r.target, level: r.level, comment: r.comment, poor: r.poor, ratedBy, ratedAt: iso, followUp: null })),
        };
      });
    },

    async listRatings(applicationId) {
      const rows = await db.selectFrom('ratings').selectAll().where('application_id', '=', applicationId).orderBy('rated_at').orderBy('target').execute();
      return rows.map(toRating);
    },

    async queryRatings(query) {
      const rows = await db
        .selectFrom('ratings')
        .selectAll()
        .$if(query.poor !== undefined, (q) => q.where('poor', '=', d.bool(query.poor!)))
        .$if(query.followedUp === true, (q) => q.where('follow_up_at', 'is not', null))
        .$if(query.followedUp === false, (q) => q.where('follow_up_at', 'is', null))
        .$if(query.from !== undefined, (q) => q.where('rated_at', '>=', toIso(query.from!)))
        .$if(query.to !== undefined, (q) => q.where('rated_at', '<', toIso(query.to!)))
        .orderBy('rated_at', 'desc')
        .orderBy('application_id', 'desc')
        .orderBy('target')
        .limit(query.limit)
        .execute();
      return rows.map(toRating);
    },

    async countRatings(from, to) {
      const rows = await db
        .selectFrom('ratings')
        .select(['target', 'level', (eb) => eb.fn.countAll().as('n')])
        .where('rated_at', '>=', toIso(from))
        .where('rated_at', '<', toIso(to))
        .groupBy(['target', 'level'])
        .orderBy('target')
        .orderBy('level')
        .execute();
      return rows.map((row) => ({ target: row.target, level: d.readNumber(row.level), count: d.readNumber(row.n) }));
    },

    async followUpRating(applicationId, target, followUp) {
      return database.transaction(async (conn) => {
        const row = await conn.selectFrom('ratings').selectAll().where('application_id', '=', applicationId).where('target', '=', target).executeTakeFirst();
        if (!row) return undefined;
        if (row.follow_up_at === null) {
          await conn
            .updateTable('ratings')
            .set({ follow_up_at: toIso(followUp.at), follow_up_by: followUp.by, follow_up_note: followUp.note })
            .where('application_id', '=', applicationId)
            .where('target', '=', target)
            .execute();
        }
        return toRating(await conn.selectFrom('ratings').selectAll().where('application_id', '=', applicationId).where('target', '=', target).executeTakeFirstOrThrow());
      });
    },
  };
}
