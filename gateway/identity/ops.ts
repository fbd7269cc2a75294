// Ops access control (docs/operations.md "Access"): every /v1/ops/* route declares the least role
// it needs — `config: { opsRole: 'viewer' | 'operator' | 'admin' }` — and a route under /v1/ops
// that does not is refused at start-up, so a new ops route can never be open by omission.
//
//   no credential, an unknown or a revoked one → 401 OPS_UNAUTHORIZED
//   a credential whose role is too small      → 403 OPS_FORBIDDEN (and an audit entry, if the route is audited)
//
// Credentials come from the configuration (OPS_CREDENTIALS / OPS_ADMIN_TOKEN: name, role, SHA-256 of
// the token) and from the store (created by admins through the API). Both are found by the SHA-256
// of the presented token, so the time a lookup takes says nothing about any real token.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { roleAllows, type OpsRole } from '../../contracts/index.ts';
import type { ConfiguredOpsCredential } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { auditTarget, type AuditLog } from './audit.ts';
import { bearerCredential, sha256Hex } from './credentials.ts';

export interface OpsCaller {
  name: string;
  role: OpsRole;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least ops role this route needs; required on every /v1/ops/* route. */
    opsRole?: OpsRole;
  }
  interface FastifyRequest {
    /** The authenticated ops caller, on routes that declare opsRole. */
    opsCaller?: OpsCaller;
  }
}

export interface OpsAuth {
  /** The caller of a credential, or null when it is unknown or revoked. */
  identify(token: string): Promise<OpsCaller | null>;
  /** Is this name taken by a configured credential? (Stored names are checked by the store.) */
  configured(name: string): ConfiguredOpsCredential | undefined;
  readonly configuredCredentials: readonly ConfiguredOpsCredential[];
}

export function createOpsAuth(options: { store: Store; credentials: readonly ConfiguredOpsCredential[] }): OpsAuth {
  const byHash = new Map(options.credentials.map((c) => [c.tokenSha256, c]));
  const byName = new Map(options.credentials.map((c) => [c.name, c]));
  return {
    async identify(token) {
      const hash = sha256Hex(token);
      const configured = byHash.get(hash);
      if (configured) return { name: configured.name, role: configured.role };
      const stored = await options.store.getOpsCredential(hash);
      if (!stored || stored.revokedAt !== null) return null;
      return { name: stored.name, role: stored.role };
    },
    configured: (name) => byName.get(name),
    configuredCredentials: options.credentials,
  };
}

const OPS_PREFIX = '/v1/ops';

/** Installs the ops access hooks on the root instance, before any route is registered. */
export function installOpsAccess(app: FastifyInstance, deps: { ops: OpsAuth; audit: AuditLog; log: Logger }): void {
  app.addHook('onRoute', (route) => {
    const path = route.url ?? route.path;
    if ((path === OPS_PREFIX || path.startsWith(`${OPS_PREFIX}/`)) && !route.config?.opsRole) {
      throw new Error(`${String(route.method)} ${path}: every ops route declares config.opsRole (viewer, operator or admin)`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.opsRole;
    if (!needed) return;
    const unauthorized = () => new ApiError('OPS_UNAUTHORIZED', { headers: { 'www-authenticate': 'Bearer realm="ops"' } });
    const credential = bearerCredential(request.headers.authorization);
    if (!credential) throw unauthorized();
    const caller = await deps.ops.identify(credential);
    if (!caller) {
      request.log.warn({ reason: 'unknown or revoked credential' }, 'ops request refused');
      throw unauthorized();
    }
    request.opsCaller = caller;
    if (!roleAllows(caller.role, needed)) {
      request.log.warn({ opsCaller: caller.name, role: caller.role, needed }, 'ops request refused: role too small');
      throw new ApiError('OPS_FORBIDDEN', { params: { role: caller.role, needed } });
    }
  });

  app.addHook('onSend', async (request: FastifyRequest, reply, payload) => {
    const audited = request.routeOptions.config?.audit;
    if (!audited || !request.opsCaller) return payload;
    const status = reply.statusCode;
    let code: string | null = null;
    if (status >= 400 && typeof payload === 'string') {
      try {
        const body = JSON.parse(payload) as { code?: unknown };
        code = typeof body.code === 'string' ? body.code : null;
      } catch {
        code = null;
      }
    }
    try {
      await deps.audit.record({ actor: request.opsCaller, action: audited.action, target: auditTarget(request), outcome: { status, code }, requestId: String(request.id) });
    } catch (error) {
      // The action itself has happened (or been refused); the answer goes out. The entry is logged
      // whole so that it is not lost, and the failure is loud.
      request.log.error({ err: error, audit: { actor: request.opsCaller, action: audited.action, target: auditTarget(request), status, code } }, 'audit entry could not be appended');
    }
    return payload;
  });
}
