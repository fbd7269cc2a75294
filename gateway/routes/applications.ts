// Applicant API: submit once, follow every step live, correct what a department rejected, withdraw.
//
// Who may (gateway/identity/applicants.ts): anyone may submit. A signed-in applicant owns what they
// submit; an anonymous submission is owned by the access token its 202 answer carries (once). Every
// other route needs the owner's session or token, or the session of the legal representative the
// form names; anyone else gets 404 APPLICATION_NOT_FOUND, exactly as for an id that does not exist.

import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { v7 as timeOrderedUuid } from 'uuid';
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
import { issueToken, principal, sha256Hex } from '../identity/index.ts';
import { clientKey, type Protections } from '../http-protections.ts';
import { buildStatus, stepAttempts } from '../status.ts';
import type { ApplicationRow } from '../store/types.ts';
import { LICENCE_OUTSTANDING, type StepPhase } from '../orchestration/machine.ts';
import { createStreamRegistry, openEventStream } from '../live/event-stream.ts';

const IdParams = z.object({ id: ApplicationId });
const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_:-]{8,128}$/, 'idempotency_key.format' satisfies FieldMessageKey)
    .optional()
    .describe('Makes a retried submission return the same application instead of creating a second one. Keys are per owner: per signed-in applicant, or shared by everyone submitting without signing in'),
});
/** OpenAPI: who may call (securitySchemes in app.ts). */
const OWNER_OR_REPRESENTATIVE: Array<Record<string, string[]>> = [{ applicantSession: [] }, { applicationAccessToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody };

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
    const streams = createStreamRegistry();
    app.addHook('preClose', async () => streams.stopAll());

    /** The application, if the caller may act on it; 404 otherwise (gateway/identity/applicants.ts). */
    async function load(request: FastifyRequest, id: string): Promise<ApplicationRow> {
      return (await deps.applicants.application(request, id)).application;
    }
    const statusOf = async (application: ApplicationRow) =>
      buildStatus(
        application,
        await store.listClocks({ applicationId: application.id }),
        orchestrator,
        (await stepAttempts(store, orchestrator.steps.map((s) => s.id), [application.id])).get(application.id)!,
      );

    app.post(
      '/v1/applications',
      {
        config: { invalidCode: 'APPLICATION_INVALID' },
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary: 'Submit one application; every department is driven from it. Signed in, it is yours; otherwise the answer carries its access token',
          headers: IdempotencyHeaders,
          security: [{ applicantSession: [] }, {}],
          body: FormSchema,
          response: { 202: SubmissionAccepted, ...errors },
        },
      },
      async (request, reply) => {
        const form = request.body;
        const caller = await deps.applicants.caller(request);
        // Idempotency keys are scoped to their owner: a signed-in applicant's keys are theirs alone,
        // so another applicant sending the same key creates their own application and learns nothing.
        const scope = caller.kind === 'session' ? principal.account(caller.accountId) : 'anonymous';
        const clientKey = request.headers['idempotency-key'];
        const idempotencyKey = clientKey ? `${scope}:${clientKey}` : null;
        const bodyHash = createHash('sha256').update(canonicalJson(form)).digest('hex');
        const now = clock.now();
        // Time-ordered (UUID version 7, RFC 9562): applications submitted together sit together in
        // every index keyed by application, so a commit writes a few pages instead of one per application.
        const id = timeOrderedUuid();
        const accessToken = caller.kind === 'session' ? null : issueToken('application');
        const owner = caller.kind === 'session' ? principal.account(caller.accountId) : principal.token(sha256Hex(accessToken!));
        // Committed before the answer; its first department call starts at once (no claim).
        const { created, application } = await executor.create(
          {
            id,
            idempotencyKey,
            bodyHash,
            form,
            submittedAt: now.toISOString(),
            access: [
              { principal: owner, relation: 'owner' },
              { principal: deps.applicants.mobilePrincipal(form.legalRepresentative.mobile), relation: 'legal_representative' },
            ],
          },
          orchestrator.start(id, now),
        );
        if (!created && application.bodyHash !== bodyHash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
        if (created) request.log.info({ applicationId: id, owner: caller.kind === 'session' ? 'account' : 'access_token' }, 'application submitted');
        const statusUrl = `/v1/applications/${application.id}`;
        // The access token goes out once, with the answer that created the application. A repeat of
        // an anonymous submission gets the id only: whoever repeats it proves nothing but knowledge
        // of the key and the form (the holder of the token, or the legal representative signing in,
        // can still act on it).
        return reply
          .code(202)
          .header('location', statusUrl)
          .header('cache-control', 'no-store')
          .send({ id: application.id, state: application.state, statusUrl, eventsUrl: `${statusUrl}/events`, ...(created && accessToken ? { accessToken } : {}) });
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
          security: OWNER_OR_REPRESENTATIVE,
          response: { 200: ApplicationStatus, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => statusOf(await load(request, request.params.id)),
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
          security: OWNER_OR_REPRESENTATIVE,
          // 200 is documentation only: the stream is written to the raw socket (the reply is hijacked).
          response: {
            200: {
              description: 'One event per change: "id: <seq>", "event: <type>", "data: <ApplicationEvent JSON>"',
              content: { 'text/event-stream': { schema: z.string() } },
            },
            401: ErrorBody,
            404: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        // Authorised once, before the stream opens (the portal reads it with fetch and this header).
        const application = await load(request, request.params.id);
        // HEAD: the headers alone. (Node sends a HEAD response's headers only at its end, so a
        // stream that stays open would never answer at all.)
        if (request.method === 'HEAD') {
          reply.hijack();
          reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).end();
          return;
        }
        // At most a few live streams per application and per client: each holds a socket.
        const release = protections.acquireStream(application.id, clientKey(request));
        if (!release) throw new ApiError('TOO_MANY_EVENT_STREAMS');
        reply.hijack();
        openEventStream({
          raw: reply.raw,
          applicationId: application.id,
          after: Number(request.headers['last-event-id'] ?? 0),
          alreadyFinished: application.state === 'completed' || application.state === 'withdrawn',
          store,
          live: deps.live,
          streams,
          onClose: release,
          onError: (error) => request.log.warn({ err: error }, 'event stream read failed'),
        });
        request.raw.on('close', () => streams.stop(reply.raw));
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
          security: OWNER_OR_REPRESENTATIVE,
          body: ApplicationCorrection,
          response: { 202: ApplicationStatus, ...errors },
        },
      },
      async (request, reply) => {
        const current = await load(request, request.params.id);
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
        const outcome = await executor.apply(current.id, {}, (ctx) => {
          const merged = check(ctx.application.form);
          const transition = orchestrator.decide(ctx, { type: 'correction.submitted', at: now.toISOString(), fields: Object.keys(fields) }, now);
          return transition ? { ...transition, form: merged } : null;
        });
        if (!outcome.applied) throw new ApiError(outcome.reason === 'not_found' ? 'APPLICATION_NOT_FOUND' : 'CORRECTION_NOT_EXPECTED');
        request.log.info({ applicationId: current.id, fields: Object.keys(fields) }, 'correction submitted');
        // A corrected legal representative: the new one may sign in and see it, the former may not.
        // (Authorisation reads the current form itself; this keeps "my applications" in step.)
        const before = current.form.legalRepresentative.mobile;
        const after = outcome.application.form.legalRepresentative.mobile;
        if (before !== after) {
          await store.replaceApplicationAccess(current.id, 'legal_representative', [deps.applicants.mobilePrincipal(after)], now.toISOString());
        }
        return reply.code(202).send(await statusOf(outcome.application));
      },
    );

    app.post(
      '/v1/applications/:id/withdrawal',
      {
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary: 'Withdraw the application: possible while no licence can be issued (before the regulator is asked, or while it waits on a correction); 409 while the licence request is with the regulator, and once it is issued',
          params: IdParams,
          security: OWNER_OR_REPRESENTATIVE,
          // The body is optional: a POST without one arrives as null.
          body: z.object({ reason: freeText({ max: 500, multiline: true }).optional() }).nullish(),
          response: { 200: ApplicationStatus, ...errors },
        },
      },
      async (request) => {
        const current = await load(request, request.params.id);
        const now = clock.now();
        let licence: StepPhase | undefined;
        const outcome = await executor.apply(current.id, {}, (ctx) => {
          licence = orchestrator.view(ctx.application).steps['business-licence']?.phase;
          return orchestrator.decide(ctx, { type: 'withdraw', at: now.toISOString(), reason: request.body?.reason ?? null }, now);
        });
        if (!outcome.applied || outcome.application.state !== 'withdrawn') {
          if (outcome.applied === false && outcome.reason === 'not_found') throw new ApiError('APPLICATION_NOT_FOUND');
          // The regulator may still issue the licence: refused for now, not for ever (docs/applicant-api.md).
          if (licence !== undefined && LICENCE_OUTSTANDING.includes(licence)) throw new ApiError('WITHDRAWAL_LICENCE_IN_PROGRESS', { headers: { 'retry-after': '60' } });
          throw new ApiError('WITHDRAWAL_NOT_ALLOWED');
        }
        request.log.info({ applicationId: current.id }, 'application withdrawn');
        return statusOf(outcome.application);
      },
    );
  };
