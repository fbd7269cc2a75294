// Per-client limits on the routes a flood would hurt: submissions, status reads, event streams and
// department callbacks (counted by @fastify/rate-limit's store), and a cap on concurrent event
// streams. Every refusal is a 429 in our { code, message } shape with Retry-After.
//
// Who is "a client": the bearer credential when the request carries one (hashed: the credential is
// never kept), else the IP address (IPv6 grouped by /56, as @fastify/rate-limit does). Until
// credentials are verified anyone can send a fresh bearer value with every request, so a request
// with a credential is ALSO counted against its IP with a looser limit (ipBackstopFactor ×): an
// office behind one NAT address keeps working, a script rotating tokens does not get far.
//
// The counters live in this process: with N replicas behind a load balancer a client gets up to N ×
// the limit (docs/operations.md "Limits and timeouts").

import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { GatewayConfig } from './config.ts';
import { ApiError } from './errors.ts';

/** The rate-limit key of a request: its bearer credential (hashed) or its IP address. */
export function clientKey(request: FastifyRequest): string {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ \t]+([^\s]{1,4096})[ \t]*$/i.exec(authorization);
    if (match) return `bearer:${createHash('sha256').update(match[1]!).digest('base64url').slice(0, 32)}`;
  }
  return `ip:${request.ip}`;
}

const hasCredential = (key: string) => key.startsWith('bearer:');

/** Clients remembered per window and route kind (an LRU: beyond it the least recent start afresh). */
const STORE_SIZE = 100_000;

export type LimitedRoute = 'submissions' | 'statusReads' | 'eventStreams' | 'callbacks';

export interface Protections {
  /** onRequest hooks, one per kind of route. */
  limit: Record<LimitedRoute, onRequestAsyncHookHandler>;
  /** Concurrent event streams: a slot, or null when the application's or the client's streams are all taken. */
  acquireStream(applicationId: string, client: string): (() => void) | null;
}

export function createProtections(app: FastifyInstance, config: GatewayConfig): Protections {
  const { rateLimits } = config;
  const hook = (max: number): onRequestAsyncHookHandler => {
    if (!rateLimits.enabled) return async () => {};
    // Separate stores per route kind: status reads do not eat into the submission budget. The
    // default key generator is the IP address (IPv6 grouped by /56).
    const window = { timeWindow: rateLimits.windowMs, cache: STORE_SIZE };
    const perCredential = app.createRateLimit({ ...window, max, keyGenerator: clientKey });
    const perIp = app.createRateLimit({ ...window, max });
    const perIpBackstop = app.createRateLimit({ ...window, max: max * rateLimits.ipBackstopFactor });
    return async (request, reply) => {
      const key = clientKey(request);
      const checks = hasCredential(key) ? [perCredential, perIpBackstop] : [perIp];
      for (const check of checks) {
        const result = await check(request);
        if (!result.isAllowed && result.isExceeded) {
          const retryAfter = String(Math.max(1, result.ttlInSeconds));
          request.log.warn({ client: key.slice(0, 16), limit: result.max }, 'rate limit exceeded');
          reply.header('retry-after', retryAfter);
          throw new ApiError('RATE_LIMITED', { headers: { 'retry-after': retryAfter } });
        }
      }
    };
  };

  const perApplication = new Map<string, number>();
  const perClient = new Map<string, number>();
  const { maxPerApplication, maxPerClient } = config.eventStreams;
  const bump = (map: Map<string, number>, key: string, by: number) => {
    const next = (map.get(key) ?? 0) + by;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };

  return {
    limit: {
      submissions: hook(rateLimits.submissions),
      statusReads: hook(rateLimits.statusReads),
      eventStreams: hook(rateLimits.eventStreams),
      callbacks: hook(rateLimits.callbacks),
    },
    acquireStream(applicationId, client) {
      if ((perApplication.get(applicationId) ?? 0) >= maxPerApplication || (perClient.get(client) ?? 0) >= maxPerClient) return null;
      bump(perApplication, applicationId, 1);
      bump(perClient, client, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        bump(perApplication, applicationId, -1);
        bump(perClient, client, -1);
      };
    },
  };
}
