// The identity port (types.ts "Identity store"; migration 5): applicant accounts, sign-in codes,
// sessions, who may act on which application, ops credentials, the audit log — written once for
// both databases. Everything that reads and then writes runs in one write transaction (BEGIN
// IMMEDIATE on SQLite) after a named lock where PostgreSQL needs one (database.ts lock), so a rate
// limit or a code's attempt counter cannot be raced past, and the audit chain never forks.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { chainAuditEntry } from './audit-chain.ts';
import { toIso, toIsoOrNull } from './common.ts';
import type { Database } from './database.ts';
import type { AccessRelation, ApplicationRow, AuditRecord, IdentityStore, OpsCredentialRow, SignInOutcome } from './types.ts';

/** Hashes are compared in constant time although they are hashes: a habit that costs nothing. */
const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function createIdentityStore(database: Database): IdentityStore {
  const { db, dialect: d } = database;

  const toCredential = (row: Record<string, unknown>): OpsCredentialRow => ({
    name: row.name as string,
    role: row.role as OpsCredentialRow['role'],
    tokenHash: row.token_hash as string,
    createdAt: d.readTime(row.created_at),
    createdBy: row.created_by as string,
    revokedAt: d.readTimeOrNull(row.revoked_at),
  });

  const toAudit = (row: Record<string, unknown>): AuditRecord => ({
    seq: d.readNumber(row.seq),
    at: d.readTime(row.at),
    actorName: row.actor_name as string,
    actorRole: row.actor_role as string,
    action: row.action as string,
    applicationId: row.application_id as string | null,
    step: row.step as string | null,
    year: row.year as number | null,
    credential: row.credential as string | null,
    status: row.status as number,
    code: row.code as string | null,
    requestId: row.request_id as string,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  });

  /** The legal representative's mobile in the current form, as text, in either database. */
  const legalRepresentativeMobile =
    d.kind === 'postgres' ? sql<string>`f.form->'legalRepresentative'->>'mobile'` : sql<string>`json_extract(f.form, '$.legalRepresentative.mobile')`;

  return {
    async issueSignInCode(code) {
      return database.transaction(async (conn) => {
        await database.lock(conn, `sign-in:${code.mobileKey}`);
        const at = Date.parse(toIso(code.issuedAt));
        const windowStart = new Date(at - code.limits.windowMs).toISOString();
        const recent = (
          await conn.selectFrom('sign_in_codes').select('issued_at').where('mobile_key', '=', code.mobileKey).where('issued_at', '>', windowStart).orderBy('id', 'desc').execute()
        ).map((row) => Date.parse(d.readTime(row.issued_at)));
        const last = recent[0];
        if (last !== undefined && last + code.limits.minIntervalMs > at) return { issued: false as const, retryAfterMs: last + code.limits.minIntervalMs - at };
        if (recent.length >= code.limits.maxPerWindow) {
          const oldest = recent[code.limits.maxPerWindow - 1]!;
          return { issued: false as const, retryAfterMs: Math.max(1, oldest + code.limits.windowMs - at) };
        }
        // Rows that left the window and expired count for nothing any more.
        await conn.deleteFrom('sign_in_codes').where('mobile_key', '=', code.mobileKey).where('issued_at', '<=', windowStart).where('expires_at', '<=', toIso(code.issuedAt)).execute();
        await conn
          .insertInto('sign_in_codes')
          .values({ mobile_key: code.mobileKey, code_hash: code.codeHash, issued_at: toIso(code.issuedAt), expires_at: toIso(code.expiresAt), max_attempts: code.maxAttempts })
          .execute();
        return { issued: true as const };
      });
    },

    async signIn(attempt) {
      return database.transaction<SignInOutcome>(async (conn) => {
        await database.lock(conn, `sign-in:${attempt.mobileKey}`);
        const at = toIso(attempt.at);
        const code = await conn.selectFrom('sign_in_codes').selectAll().where('mobile_key', '=', attempt.mobileKey).orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (!code || code.consumed_at !== null || d.readTime(code.expires_at) <= at) return { ok: false, reason: 'none' };
        if (code.attempts >= code.max_attempts) return { ok: false, reason: 'exhausted' };
        if (!sameHash(code.code_hash, attempt.codeHash)) {
          await conn.updateTable('sign_in_codes').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', code.id).execute();
          return { ok: false, reason: code.attempts + 1 >= code.max_attempts ? 'exhausted' : 'wrong' };
        }
        await conn.updateTable('sign_in_codes').set({ consumed_at: at }).where('id', '=', code.id).execute();
        const account = await conn
          .insertInto('accounts')
          .values({ id: randomUUID(), mobile_key: attempt.mobileKey, mobile_hint: attempt.mobileHint, created_at: at, last_sign_in_at: at })
          .onConflict((oc) => oc.column('mobile_key').doUpdateSet((eb) => ({ last_sign_in_at: eb.ref('excluded.last_sign_in_at'), mobile_hint: eb.ref('excluded.mobile_hint') })))
          .returning('id')
          .executeTakeFirstOrThrow();
        // Housekeeping: the account's dead sessions.
        await conn
          .deleteFrom('sessions')
          .where('account_id', '=', account.id)
          .where((w) => w.or([w('expires_at', '<=', at), w('revoked_at', 'is not', null)]))
          .execute();
        await conn.insertInto('sessions').values({ token_hash: attempt.session.tokenHash, account_id: account.id, created_at: at, expires_at: toIso(attempt.session.expiresAt) }).execute();
        return { ok: true, accountId: account.id };
      });
    },

    async getSession(tokenHash, now) {
      const row = await db
        .selectFrom('sessions as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .select(['s.account_id', 's.created_at', 's.expires_at', 'a.mobile_key', 'a.mobile_hint'])
        .where('s.token_hash', '=', tokenHash)
        .where('s.revoked_at', 'is', null)
        .where('s.expires_at', '>', toIso(now))
        .executeTakeFirst();
      return row && { accountId: row.account_id, mobileKey: row.mobile_key, mobileHint: row.mobile_hint, createdAt: d.readTime(row.created_at), expiresAt: d.readTime(row.expires_at) };
    },

    async revokeSession(tokenHash, at) {
      const iso = toIso(at);
      const result = await db.updateTable('sessions').set({ revoked_at: iso }).where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).where('expires_at', '>', iso).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async getApplicationAccess(applicationId, principals) {
      if (principals.length === 0) return [];
      const rows = await db
        .selectFrom('application_access')
        .select('relation')
        .distinct()
        .where('application_id', '=', applicationId)
        .where('principal', 'in', principals)
        .orderBy('relation')
        .execute();
      return rows.map((row) => row.relation as AccessRelation);
    },

    async replaceApplicationAccess(applicationId, relation, principals, at) {
      await database.transaction(async (conn) => {
        await conn.deleteFrom('application_access').where('application_id', '=', applicationId).where('relation', '=', relation).execute();
        const application = await conn.selectFrom('applications').select('submitted_at').where('id', '=', applicationId).executeTakeFirst();
        if (!application || principals.length === 0) return;
        await conn
          .insertInto('application_access')
          .values([...new Set(principals)].map((principal) => ({ principal, application_id: applicationId, relation, submitted_at: d.readTime(application.submitted_at), granted_at: toIso(at) })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      });
    },

    async listAccessibleApplications(principals, page) {
      if (principals.length === 0) return [];
      const before = page.before ? { submittedAt: toIso(page.before.submittedAt), id: page.before.id } : undefined;
      // One index range per principal (application_access_by_principal), newest first; then the rows.
      const access = await db
        .selectFrom('application_access as x')
        .select(['x.application_id', 'x.relation', 'x.submitted_at'])
        .where('x.principal', 'in', principals)
        .$if(before !== undefined, (q) =>
          q.where((w) => w.or([w('x.submitted_at', '<', before!.submittedAt), w.and([w('x.submitted_at', '=', before!.submittedAt), w('x.application_id', '<', before!.id)])])),
        )
        .orderBy('x.submitted_at', 'desc')
        .orderBy('x.application_id', 'desc')
        .limit(page.limit * principals.length * 2)
        .execute();
      const relations = new Map<string, Set<AccessRelation>>();
      for (const row of access) {
        const set = relations.get(row.application_id) ?? new Set<AccessRelation>();
        set.add(row.relation as AccessRelation);
        relations.set(row.application_id, set);
      }
      const ids = [...relations.keys()].slice(0, page.limit);
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('applications as a')
        .innerJoin('application_forms as f', 'f.application_id', 'a.id')
        .select(['a.id', 'a.company_name', 'a.state', 'a.submitted_at', 'a.completed_at', legalRepresentativeMobile.as('lr_mobile')])
        .where('a.id', 'in', ids)
        .orderBy('a.submitted_at', 'desc')
        .orderBy('a.id', 'desc')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        companyName: row.company_name ?? '',
        state: row.state as ApplicationRow['state'],
        submittedAt: d.readTime(row.submitted_at),
        completedAt: d.readTimeOrNull(row.completed_at),
        relations: [...(relations.get(row.id) ?? [])].sort(),
        legalRepresentativeMobile: row.lr_mobile,
      }));
    },

    async createOpsCredential(row) {
      const result = await db
        .insertInto('ops_credentials')
        .values({ name: row.name, role: row.role, token_hash: row.tokenHash, created_at: toIso(row.createdAt), created_by: row.createdBy, revoked_at: toIsoOrNull(row.revokedAt) })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async getOpsCredential(tokenHash) {
      const row = await db.selectFrom('ops_credentials').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toCredential(row);
    },

    async listOpsCredentials() {
      return (await db.selectFrom('ops_credentials').selectAll().orderBy('created_at').orderBy('name').execute()).map(toCredential);
    },

    async revokeOpsCredential(name, at) {
      const row = await db
        .updateTable('ops_credentials')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', sql`${toIso(at)}`) }))
        .where('name', '=', name)
        .returningAll()
        .executeTakeFirst();
      return row && toCredential(row);
    },

    async appendAudit(entry) {
      return database.transaction(async (conn) => {
        // Appends one at a time across every instance: the chain never forks.
        await database.lock(conn, 'audit');
        const last = await conn.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
        const record = chainAuditEntry(last ? { seq: d.readNumber(last.seq), hash: last.hash } : undefined, entry);
        await conn
          .insertInto('audit_log')
          .values({
            seq: record.seq,
            at: record.at,
            actor_name: record.actorName,
            actor_role: record.actorRole,
            action: record.action,
            application_id: record.applicationId,
            step: record.step,
            year: record.year,
            credential: record.credential,
            status: record.status,
            code: record.code,
            request_id: record.requestId,
            prev_hash: record.prevHash,
            hash: record.hash,
          })
          .execute();
        return record;
      });
    },

    async listAudit(query) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .$if(query.beforeSeq !== undefined, (q) => q.where('seq', '<', query.beforeSeq!))
        .$if(query.afterSeq !== undefined, (q) => q.where('seq', '>', query.afterSeq!))
        .$if(query.action !== undefined, (q) => q.where('action', '=', query.action!))
        .$if(query.actorName !== undefined, (q) => q.where('actor_name', '=', query.actorName!))
        .$if(query.applicationId !== undefined, (q) => q.where('application_id', '=', query.applicationId!))
        .$if(query.from !== undefined, (q) => q.where('at', '>=', toIso(query.from!)))
        .$if(query.to !== undefined, (q) => q.where('at', '<', toIso(query.to!)))
        .orderBy('seq', query.order === 'asc' ? 'asc' : 'desc')
        .limit(query.limit)
        .execute();
      return rows.map(toAudit);
    },
  };
}
