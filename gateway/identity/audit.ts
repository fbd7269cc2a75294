// The audit log of ops actions (docs/operations.md "Audit log", docs/security.md): who (credential
// name and role), what (action and target), when (the gateway clock), the outcome (HTTP status and
// error code) and the request id, appended to the store's hash chain.
//
// Routes declare it: `config: { opsRole: 'operator', audit: { action: 'step.retry' } }` appends one
// entry per request that reached the route with an identified ops caller — refused (403), failed
// (409…) or done — after the answer is decided and before it is sent. Code that acts outside a
// declared route (notes, escalations …) calls `deps.audit.record(…)` itself.

import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { OpsRole } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import type { AuditRecord, Store } from '../store/types.ts';

export interface AuditTarget {
  applicationId?: string | null;
  step?: string | null;
  year?: number | null;
  credential?: string | null;
}

export interface AuditEntryInput {
  actor: { name: string; role: OpsRole };
  action: string;
  target: AuditTarget;
  outcome: { status: number; code: string | null };
  requestId: string;
}

export interface AuditLog {
  /** Appends one entry (at the gateway clock's now); returns it with its place in the chain. */
  record(entry: AuditEntryInput): Promise<AuditRecord>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Append an audit entry for every request to this route by an ops caller (gateway/identity/audit.ts). */
    audit?: { action: string };
  }
}

const clip = (value: unknown): string | null => (value === undefined || value === null ? null : String(value).slice(0, 128));

/** The target of a route's request, from its parameters (and a created credential's name from the body). */
export function auditTarget(request: FastifyRequest): AuditTarget {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const year = Number(params.year);
  return {
    applicationId: clip(params.id),
    step: clip(params.step),
    year: params.year !== undefined && Number.isInteger(year) ? year : null,
    credential: clip(params.name ?? (typeof body === 'object' ? body.name : undefined)),
  };
}

export function createAuditLog(options: { store: Store; clock: Clock; log: Logger }): AuditLog {
  return {
    async record(entry) {
      const record = await options.store.appendAudit({
        at: options.clock.now().toISOString(),
        actorName: entry.actor.name,
        actorRole: entry.actor.role,
        action: entry.action,
        applicationId: entry.target.applicationId ?? null,
        step: entry.target.step ?? null,
        year: entry.target.year ?? null,
        credential: entry.target.credential ?? null,
        status: entry.outcome.status,
        code: entry.outcome.code,
        requestId: entry.requestId,
      });
      // The head of the chain goes to the log stream too — a second place that an attacker with the
      // database alone cannot rewrite, against which `npm run audit:verify -- --head` checks truncation.
      options.log.info({ audit: { seq: record.seq, hash: record.hash, action: record.action, actor: record.actorName, status: record.status } }, 'audit entry appended');
      return record;
    },
  };
}
