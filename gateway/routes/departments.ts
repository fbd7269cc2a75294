// Department API: signed callbacks, and the data-minimised view of an application.
//
// Authentication (docs/departments.md): the caller names itself in x-department-id, signs
// `${timestamp}.${rawBody}` with its secret (HMAC-SHA256, "v1=<hex>" in x-department-signature) and
// sends the unix timestamp in x-department-timestamp. For GET the signed body is the request path.
// Order of checks: who (401) → fresh (401) → signature (401) → own step (403) → replay (401).
// During a secret change-over (DEPT_<STEP>_SECRET_PREVIOUS) a signature with either secret verifies.

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApplicationId,
  DEPARTMENT_HEADER,
  DepartmentCallback,
  ErrorBody,
  SIGNATURE_HEADER,
  STEP_CONTRACTS,
  StepId,
  TIMESTAMP_HEADER,
  verifySignature,
  type ErrorCode,
} from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, detailsFromIssues, fieldDetails } from '../errors.ts';
import type { Protections } from '../http-protections.ts';
import type { ApplicationEvent } from '../orchestration/machine.ts';
import type { PriorResults } from '../../services/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

const StepParams = z.object({ step: StepId });
const AuthHeaders = z.object({
  [DEPARTMENT_HEADER]: z.string().optional().describe('The calling department (its step id)'),
  [TIMESTAMP_HEADER]: z.string().optional().describe('Unix time in seconds when the request was signed'),
  [SIGNATURE_HEADER]: z.string().optional().describe('v1=<hex HMAC-SHA256 over "<timestamp>.<body>">'),
});

const DAY_MS = 86_400_000;

export const departmentRoutes =
  (deps: GatewayDeps, protections: Protections): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, orchestrator, clock, metrics, config } = deps;
    const enabled = new Set(orchestrator.steps.map((s) => s.id));
    // The caller names itself in a header: look it up in a Map, never as a property of a plain
    // object ("__proto__", "constructor" or "toString" would find Object.prototype's members).
    // During a secret change-over (DEPT_<STEP>_SECRET_PREVIOUS) either secret verifies.
    const secrets = new Map<string, readonly string[]>(
      Object.entries(config.departments).flatMap(([step, d]) => (d ? [[step, d.previousSecret ? [d.secret, d.previousSecret] : [d.secret]] as [string, readonly string[]]] : [])),
    );

    /** Verifies who is calling and that they may act on `step`; throws the right 401/403. */
    function authenticate(request: FastifyRequest, step: StepId, signedBody: string): void {
      const refuse = (code: ErrorCode, reason: string): never => {
        metrics.callbacks.inc({ step, result: reason });
        request.log.warn({ step, caller: request.headers[DEPARTMENT_HEADER], reason }, 'department request refused');
        throw new ApiError(code);
      };
      const caller = request.headers[DEPARTMENT_HEADER];
      const timestamp = request.headers[TIMESTAMP_HEADER];
      const signature = request.headers[SIGNATURE_HEADER];
      if (typeof caller !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return refuse('CALLBACK_SIGNATURE_INVALID', 'unsigned');
      const callerSecrets = secrets.get(caller);
      if (callerSecrets === undefined) return refuse('CALLBACK_SIGNATURE_INVALID', 'unknown_department');
      const sentAt = Number(timestamp);
      if (!/^\d{9,11}$/.test(timestamp) || Math.abs(clock.now().getTime() / 1000 - sentAt) > config.callbacks.maxSkewSeconds) {
        return refuse('CALLBACK_STALE', 'stale');
      }
      if (!verifySignature(callerSecrets, timestamp, signedBody, signature)) return refuse('CALLBACK_SIGNATURE_INVALID', 'forged');
      if (caller !== step) return refuse('CALLBACK_STEP_FORBIDDEN', 'wrong_step');
    }

    function requireEnabled(step: StepId) {
      if (!enabled.has(step)) throw new ApiError('STEP_UNKNOWN');
    }

    app.post(
      '/v1/departments/:step/callbacks',
      {
        onRequest: protections.limit.callbacks,
        schema: {
          tags: ['department'],
          summary: 'A department reports the outcome of an accepted request (signed; duplicates and replays are harmless)',
          params: StepParams,
          headers: AuthHeaders,
          security: [{ departmentSignature: [] }],
          // Validated by hand AFTER the signature check: an unauthenticated caller learns nothing.
          body: z.unknown().describe('A DepartmentCallback document (see components)'),
          response: { 200: z.object({ received: z.literal(true), applied: z.boolean() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => {
        const { step } = request.params;
        requireEnabled(step);
        authenticate(request, step, request.rawBody ?? '');
        const parsed = DepartmentCallback.safeParse(request.body, { reportInput: true });
        if (!parsed.success) throw new ApiError('REQUEST_INVALID', { details: detailsFromIssues(parsed.error.issues) });
        const callback = parsed.data;
        const match = /^(.+):([a-z-]+):(\d+)$/.exec(callback.idempotencyKey);
        if (!match || match[1] !== callback.applicationId || match[2] !== step) throw new ApiError('CALLBACK_UNKNOWN_REQUEST');
        const generation = Number(match[3]);
        const at = clock.now().toISOString();
        let event: ApplicationEvent;
        if (callback.outcome === 'completed') {
          const checked = STEP_CONTRACTS[step].result.safeParse(callback.result, { reportInput: true });
          if (!checked.success) throw new ApiError('REQUEST_INVALID', { variant: 'callback_result_invalid', details: detailsFromIssues(checked.error.issues, ['result']) });
          event = { type: 'step.completed', step, generation, at, reference: callback.reference, result: checked.data as Record<string, unknown> };
        } else if (callback.outcome === 'rejected') {
          if (!callback.reasons?.length) throw new ApiError('REQUEST_INVALID', { details: fieldDetails({ path: 'reasons', key: 'callback.reasons_required' }) });
          event = { type: 'step.rejected', step, generation, at, reference: callback.reference, reasons: callback.reasons };
        } else {
          event = { type: 'step.accepted', step, generation, at, reference: callback.reference, milestone: callback.milestone ?? null };
        }
        // An ignored callback (a duplicate, a late progress report) still records its event id, so a
        // replay of it is refused like any other.
        let changed = false;
        let unknownRequest = false;
        const outcome = await deps.executor.apply(callback.applicationId, { dedupKey: `callback:${step}:${callback.eventId}` }, (ctx) => {
          // Only a request the gateway actually sent (this generation or an earlier, superseded one);
          // checked in the transaction, against the state it applies to. Anything else writes nothing,
          // not even the event id, so the same callback is taken once the request exists.
          const sent = orchestrator.view(ctx.application).context.steps[step];
          if (!sent || sent.requests === 0 || generation > sent.generation) {
            unknownRequest = true;
            return null;
          }
          const transition = orchestrator.decide(ctx, event, clock.now());
          changed = transition !== null;
          return transition ?? {};
        });
        if (unknownRequest || (!outcome.applied && outcome.reason === 'not_found')) throw new ApiError('CALLBACK_UNKNOWN_REQUEST');
        if (!outcome.applied && outcome.reason === 'duplicate') {
          metrics.callbacks.inc({ step, result: 'replayed' });
          request.log.warn({ step, applicationId: callback.applicationId, eventId: callback.eventId }, 'replayed callback refused');
          throw new ApiError('CALLBACK_REPLAYED');
        }
        metrics.callbacks.inc({ step, result: changed ? 'applied' : 'ignored' });
        return { received: true as const, applied: changed };
      },
    );

    app.get(
      '/v1/departments/:step/applications/:id',
      {
        schema: {
          tags: ['department'],
          summary: "Exactly the application fields this department is entitled to (its step's request document); signed like a callback, over the request path",
          params: StepParams.extend({ id: ApplicationId }),
          headers: AuthHeaders,
          security: [{ departmentSignature: [] }],
          response: { 200: z.record(z.string(), z.unknown()), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 410: ErrorBody },
        },
      },
      async (request) => {
        const { step, id } = request.params;
        requireEnabled(step);
        authenticate(request, step, request.url.split('?')[0]!);
        const application = await store.getApplication(id);
        if (!application) throw new ApiError('APPLICATION_NOT_FOUND');
        // Personal data is handed out while the application is live, and for a retention period after
        // it completes (a department may still need to look something up); never once it is withdrawn.
        if (application.state === 'withdrawn') throw new ApiError('APPLICATION_GONE', { variant: 'gone_withdrawn' });
        const retentionDays = config.departmentViewRetentionDays;
        if (application.state === 'completed' && application.completedAt !== null && clock.now().getTime() - Date.parse(application.completedAt) > retentionDays * DAY_MS) {
          throw new ApiError('APPLICATION_GONE', { variant: 'gone_retention', params: { days: retentionDays } });
        }
        const prior = orchestrator.view(application).results as PriorResults;
        try {
          return deps.adapters[step]!.buildRequest(application.form, prior) as Record<string, unknown>;
        } catch {
          throw new ApiError('DEPARTMENT_DATA_NOT_READY');
        }
      },
    );
  };
