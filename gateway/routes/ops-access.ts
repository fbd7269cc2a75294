// Ops access (docs/operations.md "Access"): who am I, the credentials admins issue and revoke, and
// the audit log. Credentials are named bearer tokens with a role; the token is shown once, in the
// answer that creates it, and stored only as its SHA-256.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditAction, AuditPage, ErrorBody, NewOpsCredential, OpsCredential, OpsCredentialIssued, OpsCredentialName, OpsIdentity, type AuditEntry } from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { issueToken, sha256Hex } from '../identity/index.ts';
import type { AuditRecord, OpsCredentialRow } from '../store/types.ts';

const denied = { 401: ErrorBody, 403: ErrorBody };

const toEntry = (r: AuditRecord): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: { name: r.actorName, role: r.actorRole as AuditEntry['actor']['role'] },
  action: r.action,
  target: { applicationId: r.applicationId, step: r.step, year: r.year, credential: r.credential },
  outcome: { status: r.status, code: r.code },
  requestId: r.requestId,
  prevHash: r.prevHash,
  hash: r.hash,
});

const toCredential = (row: OpsCredentialRow) => ({ name: row.name, role: row.role, source: 'api' as const, createdAt: row.createdAt, createdBy: row.createdBy, revokedAt: row.revokedAt });

export const opsAccessRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, clock, ops } = deps;

    app.get(
      '/v1/ops/me',
      { config: { opsRole: 'viewer' }, schema: { tags: ['ops'], summary: 'The credential you are calling with: its name and role (viewer)', response: { 200: OpsIdentity, ...denied } } },
      async (request) => request.opsCaller!,
    );

    app.get(
      '/v1/ops/credentials',
      {
        config: { opsRole: 'admin' },
        schema: {
          tags: ['ops'],
          summary: 'Every ops credential, configured and created, revoked ones included; never a token (admin)',
          response: { 200: z.object({ items: z.array(OpsCredential) }), ...denied },
        },
      },
      async () => ({
        items: [
          ...ops.configuredCredentials.map((c) => ({ name: c.name, role: c.role, source: 'config' as const, createdAt: null, createdBy: null, revokedAt: null })),
          ...(await store.listOpsCredentials()).map(toCredential),
        ],
      }),
    );

    app.post(
      '/v1/ops/credentials',
      {
        config: { opsRole: 'admin', audit: { action: 'credential.create' } },
        schema: {
          tags: ['ops'],
          summary: 'Create a named credential with a role; the token is in this answer only (admin; audited)',
          body: NewOpsCredential,
          response: { 201: OpsCredentialIssued, 400: ErrorBody, 409: ErrorBody, ...denied },
        },
      },
      async (request, reply) => {
        const { name, role } = request.body;
        if (ops.configured(name)) throw new ApiError('OPS_CREDENTIAL_EXISTS');
        const token = issueToken('ops');
        const row: OpsCredentialRow = { name, role, tokenHash: sha256Hex(token), createdAt: clock.now().toISOString(), createdBy: request.opsCaller!.name, revokedAt: null };
        if (!(await store.createOpsCredential(row))) throw new ApiError('OPS_CREDENTIAL_EXISTS');
        request.log.info({ credential: name, role, opsCaller: request.opsCaller!.name }, 'ops credential created');
        return reply.code(201).header('cache-control', 'no-store').send({ ...toCredential(row), token });
      },
    );

    app.delete(
      '/v1/ops/credentials/:name',
      {
        config: { opsRole: 'admin', audit: { action: 'credential.revoke' } },
        schema: {
          tags: ['ops'],
          summary: 'Revoke a created credential at once; it answers 401 from now on (admin; audited)',
          params: z.object({ name: OpsCredentialName }),
          response: { 200: OpsCredential, 404: ErrorBody, 409: ErrorBody, 400: ErrorBody, ...denied },
        },
      },
      async (request) => {
        const { name } = request.params;
        if (ops.configured(name)) throw new ApiError('OPS_CREDENTIAL_FROM_CONFIG');
        const row = await store.revokeOpsCredential(name, clock.now().toISOString());
        if (!row) throw new ApiError('OPS_CREDENTIAL_NOT_FOUND');
        request.log.info({ credential: name, opsCaller: request.opsCaller!.name }, 'ops credential revoked');
        return toCredential(row);
      },
    );

    app.get(
      '/v1/ops/audit',
      {
        config: { opsRole: 'admin' },
        schema: {
          tags: ['ops'],
          summary: 'The audit log, newest first, with filters; each entry carries the hash chain (admin)',
          querystring: z.object({
            action: AuditAction.optional(),
            actor: z.string().max(64).optional().describe('Credential name'),
            applicationId: z.string().max(64).optional(),
            from: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this instant'),
            to: z.iso.datetime({ offset: true }).optional().describe('Entries before this instant'),
            before: z.coerce.number().int().positive().optional().describe('Entries with seq below this (the nextBefore of the previous page)'),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: AuditPage, 400: ErrorBody, ...denied },
        },
      },
      async (request) => {
        const q = request.query;
        const records = await store.listAudit({
          order: 'desc',
          limit: q.limit + 1,
          ...(q.before !== undefined ? { beforeSeq: q.before } : {}),
          ...(q.action !== undefined ? { action: q.action } : {}),
          ...(q.actor !== undefined ? { actorName: q.actor } : {}),
          ...(q.applicationId !== undefined ? { applicationId: q.applicationId } : {}),
          ...(q.from !== undefined ? { from: q.from } : {}),
          ...(q.to !== undefined ? { to: q.to } : {}),
        });
        const items = records.slice(0, q.limit).map(toEntry);
        return { items, nextBefore: records.length > q.limit ? items.at(-1)!.seq : null };
      },
    );
  };
