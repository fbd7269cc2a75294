// Applicant API: submit once, follow every step live, correct what a department rejected, withdraw.

import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApplicationId,
  ApplicationCorrection,
  ApplicationStatus,
  ErrorBody,
  MAX_JSON_DEPTH,
  SubmissionAccepted,
  applicationFormFor,
  freeText,
  type ApplicationForm,
  type FieldMessageKey,
} from '../../contracts/index.ts';
import { shanghaiDate } from '../calendar/index.ts';
import { ApiError, detailsFromIssues } from '../errors.ts';
import type { GatewayDeps } from '../deps.ts';
import { clientKey, type Protections } from '../http-protections.ts';
import { buildStatus } from '../status.ts';
import type { ApplicationRow } from '../store/types.ts';

const IdParams = z.object({ id: ApplicationId });
const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_:-]{8,128}$/, 'idempotency_key.format' satisfies FieldMessageKey)
    .optional()
    .describe('Makes a retried submission return the same application instead of creating a second one'),
});
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody };

/**
 * JSON with sorted keys: two bodies that differ only in key order are the same application.
 * JSON.stringify recurses, so the depth is checked first (a validated form is 5 deep; the body parser
 * already refused anything deeper than MAX_JSON_DEPTH — this keeps the function safe on its own).
 * The output is the same as the recursive version it replaces, so stored body hashes still match.
 */
export function canonicalJson(value: unknown): string {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw new RangeError(`canonicalJson: nested deeper than ${MAX_JSON_DEPTH}`);
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return JSON.stringify(value, (_key, node: unknown) =>
    node && typeof node === 'object' && !Array.isArray(node)
      ? Object.fromEntries(Object.keys(node).sort().map((k) => [k, (node as Record<string, unknown>)[k]]))
      : node,
  );
}

/** Applies corrected top-level sections over the current form (a section is replaced whole). */
function mergeCorrection(form: ApplicationForm, fields: Record<string, unknown>): unknown {
  return { ...form, ...fields };
}

export const applicationRoutes =
  (deps: GatewayDeps, protections: Protections): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, orchestrator, clock, executor } = deps;
    const FormSchema = applicationFormFor(deps.config.cityDivisions, {
      requiredSections: orchestrator.steps.flatMap((s) => s.requiredFormSections ?? []),
      // "Today" on the gateway's clock (fake in tests), as a calendar date in Asia/Shanghai.
      today: () => shanghaiDate(clock.now()),
    });

    // Open event streams, ended when the server closes (else a graceful shutdown would wait on them).
    const streams = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const stop of streams) stop();
    });

    async function load(id: string): Promise<ApplicationRow> {
      const application = await store.getApplication(id);
      if (!application) throw new ApiError('APPLICATION_NOT_FOUND');
      return application;
    }
    const statusOf = async (application: ApplicationRow) =>
      buildStatus(application, await store.listClocks({ applicationId: application.id }), orchestrator);

    app.post(
      '/v1/applications',
      {
        config: { invalidCode: 'APPLICATION_INVALID' },
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary: 'Submit one application; every department is driven from it',
          headers: IdempotencyHeaders,
          body: FormSchema,
          response: { 202: SubmissionAccepted, ...errors },
        },
      },
      async (request, reply) => {
        const form = request.body;
        const idempotencyKey = request.headers['idempotency-key'] ?? null;
        const bodyHash = createHash('sha256').update(canonicalJson(form)).digest('hex');
        const now = clock.now();
        const id = randomUUID();
        const { created, application } = await store.createApplication(
          { id, idempotencyKey, bodyHash, form, submittedAt: now.toISOString() },
          orchestrator.start(id, now),
        );
        if (!created && application.bodyHash !== bodyHash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
        if (created) {
          request.log.info({ applicationId: id }, 'application submitted');
          executor.wakeUp();
          deps.notify(id);
        }
        const statusUrl = `/v1/applications/${application.id}`;
        return reply
          .code(202)
          .header('location', statusUrl)
          .send({ id: application.id, state: application.state, statusUrl, eventsUrl: `${statusUrl}/events` });
      },
    );

    app.get(
      '/v1/applications/:id',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: 'The application and every step: state, times, results, deadlines and SLA state',
          params: IdParams,
          response: { 200: ApplicationStatus, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => statusOf(await load(request.params.id)),
    );

    app.get(
      '/v1/applications/:id/events',
      {
        onRequest: protections.limit.eventStreams,
        schema: {
          tags: ['applicant'],
          summary: 'Live status as server-sent events (event: <type>, data: ApplicationEvent JSON); resumes after Last-Event-ID',
          params: IdParams,
          headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/, 'last_event_id.format' satisfies FieldMessageKey).optional() }),
          // 200 is documentation only: the stream is written to the raw socket (the reply is hijacked).
          response: {
            200: {
              description: 'One event per change: "id: <seq>", "event: <type>", "data: <ApplicationEvent JSON>"',
              content: { 'text/event-stream': { schema: z.string() } },
            },
            404: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const application = await load(request.params.id);
        let after = Number(request.headers['last-event-id'] ?? 0);
        // At most a few live streams per application and per client: each holds a socket, a poll timer and a listener.
        const slot = protections.acquireStream(application.id, clientKey(request));
        if (!slot) throw new ApiError('TOO_MANY_EVENT_STREAMS');
        const release = slot;
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        raw.write(`retry: 2000\n\n`);
        let closed = false;
        let finished = application.state === 'completed' || application.state === 'withdrawn';
        const flush = async () => {
          for (;;) {
            const events = await store.listEvents(application.id, after, 200);
            for (const event of events) {
              after = event.seq;
              raw.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
              if (event.type === 'application.completed' || event.type === 'application.withdrawn') finished = true;
            }
            if (events.length < 200) break;
          }
        };
        // Wake on local changes at once; poll as well, because another instance may have applied the change.
        let pending = Promise.resolve();
        const tick = () => {
          pending = pending.then(async () => {
            if (closed) return;
            try {
              await flush();
            } catch (error) {
              request.log.warn({ err: error }, 'event stream read failed');
            }
            if (finished && !closed) stop();
          });
        };
        const unsubscribe = deps.subscribe(application.id, tick);
        const poll = setInterval(tick, 1_000);
        const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
        function stop() {
          if (closed) return;
          closed = true;
          release();
          streams.delete(stop);
          unsubscribe();
          clearInterval(poll);
          clearInterval(heartbeat);
          raw.end();
        }
        streams.add(stop);
        request.raw.on('close', stop);
        tick();
      },
    );

    app.post(
      '/v1/applications/:id/corrections',
      {
        config: { invalidCode: 'CORRECTION_INVALID' },
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary: 'Answer a request for correction (补正): send only the corrected sections; the rejecting department gets the request again',
          params: IdParams,
          body: ApplicationCorrection,
          response: { 202: ApplicationStatus, ...errors },
        },
      },
      async (request, reply) => {
        const current = await load(request.params.id);
        const fields = request.body.fields as Record<string, unknown>;
        const check = (form: ApplicationForm) => {
          const parsed = FormSchema.safeParse(mergeCorrection(form, fields), { reportInput: true });
          if (!parsed.success) {
            throw new ApiError('CORRECTION_INVALID', { details: detailsFromIssues(parsed.error.issues, ['fields']) });
          }
          return parsed.data;
        };
        check(current.form); // fail fast with field paths before taking the lock
        const now = clock.now();
        const outcome = await store.apply(current.id, {}, (ctx) => {
          const merged = check(ctx.application.form);
          const transition = orchestrator.decide(ctx, { type: 'correction.submitted', at: now.toISOString(), fields: Object.keys(fields) }, now);
          return transition ? { ...transition, form: merged } : null;
        });
        if (!outcome.applied) throw new ApiError(outcome.reason === 'not_found' ? 'APPLICATION_NOT_FOUND' : 'CORRECTION_NOT_EXPECTED');
        request.log.info({ applicationId: current.id, fields: Object.keys(fields) }, 'correction submitted');
        executor.wakeUp();
        deps.notify(current.id);
        return reply.code(202).send(await statusOf(outcome.application));
      },
    );

    app.post(
      '/v1/applications/:id/withdrawal',
      {
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary: 'Withdraw the application; possible until the business licence is issued',
          params: IdParams,
          // The body is optional: a POST without one arrives as null.
          body: z.object({ reason: freeText({ max: 500, multiline: true }).optional() }).nullish(),
          response: { 200: ApplicationStatus, ...errors },
        },
      },
      async (request) => {
        const current = await load(request.params.id);
        const now = clock.now();
        const outcome = await store.apply(current.id, {}, (ctx) =>
          orchestrator.decide(ctx, { type: 'withdraw', at: now.toISOString(), reason: request.body?.reason ?? null }, now),
        );
        if (!outcome.applied || outcome.application.state !== 'withdrawn') {
          if (outcome.applied === false && outcome.reason === 'not_found') throw new ApiError('APPLICATION_NOT_FOUND');
          throw new ApiError('WITHDRAWAL_NOT_ALLOWED');
        }
        request.log.info({ applicationId: current.id }, 'application withdrawn');
        deps.notify(current.id);
        return statusOf(outcome.application);
      },
    );
  };
