// What the applicant's portal needs besides the application API (docs/applicant-api.md):
//
//   GET|POST          /v1/applicant/drafts          drafts of the form, saved as the person types
//   GET|PUT|DELETE    /v1/applicant/drafts/{id}     (signed in: a draft belongs to the account)
//   GET               /v1/applications/{id}/form    the application's current form (to correct it)
//   GET|POST          /v1/applications/{id}/ratings 好差评, once the application is over
//   GET               /v1/ops/ratings               ratings for the service centre; 差评 to follow up
//   POST              /v1/ops/ratings/{id}/{step}/follow-up   the follow-up of a rating
//
// Drafts live on the server against the signed-in account (not in the browser): a person filling the
// form at a service-hall terminal or on a borrowed phone leaves no identity numbers behind, and the
// draft follows them to another device. A draft is submitted with the Idempotency-Key
// "draft-<id>", so it can become one application only, however often it is sent.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApplicationForm,
  ApplicationId,
  ApplicationRatings,
  DRAFT_LIMIT,
  Draft,
  DraftBody,
  DraftId,
  DraftList,
  ErrorBody,
  OpsRating,
  OpsRatingList,
  RATING_LEVEL_LABELS,
  RatingFollowUpBody,
  RatingSubmission,
  RatingTarget,
  draftIdempotencyKey,
  isPoorRating,
  type FieldMessageKey,
  type Locale,
  type Rating,
} from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails, localeOf } from '../errors.ts';
import type { Protections } from '../http-protections.ts';
import { principal } from '../identity/index.ts';
import { shanghaiMonthRange } from '../sla/reports.ts';
import { buildStatus } from '../status.ts';
import type { ApplicationRow, DraftRow, Json, RatingRow } from '../store/types.ts';

const DraftParams = z.object({ id: DraftId });
const IdParams = z.object({ id: ApplicationId });
const APPLICANT: Array<Record<string, string[]>> = [{ applicantSession: [] }];
const OWNER_OR_REPRESENTATIVE: Array<Record<string, string[]>> = [{ applicantSession: [] }, { applicationAccessToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };

const draftSummary = (row: DraftRow) => ({
  id: row.id,
  companyName: row.companyName,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  submittedApplicationId: row.submittedApplicationId,
  idempotencyKey: draftIdempotencyKey(row.id),
});

/** The name typed so far, for the list of drafts. */
const companyNameOf = (form: Record<string, unknown>) => (typeof form.companyName === 'string' && form.companyName.trim() ? form.companyName.trim().slice(0, 100) : null);

const toRating = (row: RatingRow, locale: Locale): Rating => ({
  applicationId: row.applicationId,
  target: row.target as Rating['target'],
  level: row.level,
  levelLabel: RATING_LEVEL_LABELS[row.level as 1 | 2 | 3 | 4 | 5][locale],
  comment: row.comment,
  poor: row.poor,
  ratedAt: row.ratedAt,
});

export const portalRoutes =
  (deps: GatewayDeps, protections: Protections): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, clock, applicants, orchestrator } = deps;

    // ── drafts ──────────────────────────────────────────────────────────────────────────────
    app.get(
      '/v1/applicant/drafts',
      { onRequest: protections.limit.statusReads, schema: { tags: ['applicant'], summary: 'My drafts not yet submitted, last changed first', security: APPLICANT, response: { 200: DraftList, 401: ErrorBody, 429: ErrorBody } } },
      async (request) => {
        const session = await applicants.session(request);
        const rows = await store.listDrafts(session.accountId, principal.account(session.accountId));
        return { items: rows.map(draftSummary) };
      },
    );

    app.post(
      '/v1/applicant/drafts',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: `Start a draft of the application form (at most ${DRAFT_LIMIT} unsubmitted per account); the form is checked only when it is submitted`,
          security: APPLICANT,
          body: DraftBody,
          response: { 201: Draft, ...errors },
        },
      },
      async (request, reply) => {
        const session = await applicants.session(request);
        const form = request.body.form as { [key: string]: Json };
        const outcome = await store.createDraft(
          { id: randomUUID(), accountId: session.accountId, form, companyName: companyNameOf(form), at: clock.now().toISOString() },
          DRAFT_LIMIT,
          principal.account(session.accountId),
        );
        if (!outcome.ok) throw new ApiError('DRAFT_LIMIT_REACHED', { params: { limit: DRAFT_LIMIT } });
        return reply.code(201).send({ ...draftSummary(outcome.draft), form: outcome.draft.form });
      },
    );

    app.get(
      '/v1/applicant/drafts/:id',
      { onRequest: protections.limit.statusReads, schema: { tags: ['applicant'], summary: 'One of my drafts, with its form', security: APPLICANT, params: DraftParams, response: { 200: Draft, ...errors } } },
      async (request) => {
        const session = await applicants.session(request);
        const row = await store.getDraft(request.params.id, session.accountId, principal.account(session.accountId));
        if (!row) throw new ApiError('DRAFT_NOT_FOUND');
        return { ...draftSummary(row), form: row.form };
      },
    );

    app.put(
      '/v1/applicant/drafts/:id',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: 'Save a draft (the whole form as far as it is filled in); 409 DRAFT_ALREADY_SUBMITTED once it was submitted',
          security: APPLICANT,
          params: DraftParams,
          body: DraftBody,
          response: { 200: Draft, ...errors },
        },
      },
      async (request) => {
        const session = await applicants.session(request);
        const form = request.body.form as { [key: string]: Json };
        const outcome = await store.saveDraft(request.params.id, session.accountId, principal.account(session.accountId), { form, companyName: companyNameOf(form), at: clock.now().toISOString() });
        if (!outcome.ok) {
          if (outcome.reason === 'submitted') throw new ApiError('DRAFT_ALREADY_SUBMITTED', { params: { applicationId: outcome.applicationId } });
          throw new ApiError('DRAFT_NOT_FOUND');
        }
        return { ...draftSummary(outcome.draft), form: outcome.draft.form };
      },
    );

    app.delete(
      '/v1/applicant/drafts/:id',
      { onRequest: protections.limit.statusReads, schema: { tags: ['applicant'], summary: 'Delete one of my drafts', security: APPLICANT, params: DraftParams, response: { 204: z.null().describe('Deleted'), ...errors } } },
      async (request, reply) => {
        const session = await applicants.session(request);
        if (!(await store.deleteDraft(request.params.id, session.accountId))) throw new ApiError('DRAFT_NOT_FOUND');
        return reply.code(204).send(null);
      },
    );

    // ── the application's form ──────────────────────────────────────────────────────────────
    app.get(
      '/v1/applications/:id/form',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: 'The application form as it stands (as submitted, with corrections applied): what a correction starts from',
          params: IdParams,
          security: OWNER_OR_REPRESENTATIVE,
          response: { 200: ApplicationForm, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => (await applicants.application(request, request.params.id)).application.form,
    );

    // ── ratings (好差评) ────────────────────────────────────────────────────────────────────
    /** Rating is open once the application is over; "overall" and every department that worked on it may be rated. */
    async function ratingScope(application: ApplicationRow): Promise<{ open: boolean; targets: Array<z.infer<typeof RatingTarget>> }> {
      // Which steps started is all this needs: no attempt counts.
      const status = buildStatus(application, await store.listClocks({ applicationId: application.id }), orchestrator, {});
      const worked = status.steps.filter((s) => s.startedAt !== null).map((s) => s.step);
      return { open: application.state === 'completed' || application.state === 'withdrawn', targets: ['overall', ...worked] };
    }

    app.get(
      '/v1/applications/:id/ratings',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: 'Ratings of the service on this application (好差评): whether rating is open, what may be rated, what was rated',
          params: IdParams,
          security: OWNER_OR_REPRESENTATIVE,
          response: { 200: ApplicationRatings, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => {
        const { application } = await applicants.application(request, request.params.id);
        const locale = localeOf(request);
        return { ...(await ratingScope(application)), ratings: (await store.listRatings(application.id)).map((r) => toRating(r, locale)) };
      },
    );

    app.post(
      '/v1/applications/:id/ratings',
      {
        onRequest: protections.limit.submissions,
        schema: {
          tags: ['applicant'],
          summary:
            'Rate the service (好差评) once the application is completed or withdrawn: the whole service ("overall") and each department, five levels (5 非常满意 … 1 非常不满意), an optional comment. Each is given once; a 差评 (1 or 2) goes to the service centre for follow-up',
          params: IdParams,
          security: OWNER_OR_REPRESENTATIVE,
          body: RatingSubmission,
          response: { 201: ApplicationRatings, ...errors },
        },
      },
      async (request, reply) => {
        const { application, caller } = await applicants.application(request, request.params.id);
        const locale = localeOf(request);
        const scope = await ratingScope(application);
        if (!scope.open) throw new ApiError('RATING_NOT_OPEN');
        const { ratings } = request.body;
        const outside = ratings.flatMap((r, i) => (scope.targets.includes(r.target) ? [] : [{ path: `ratings.${i}.target`, key: 'rating.target_not_involved' as FieldMessageKey }]));
        if (outside.length > 0) throw new ApiError('REQUEST_INVALID', { details: fieldDetails(...outside) });
        const ratedBy = caller.kind === 'session' ? principal.account(caller.accountId) : caller.principals[0] ?? 'unknown';
        const outcome = await store.addRatings(
          application.id,
          ratedBy,
          clock.now().toISOString(),
          ratings.map((r) => ({ target: r.target, level: r.level, comment: r.comment ?? null, poor: isPoorRating(r.level) })),
        );
        if (!outcome.ok) throw new ApiError('RATING_ALREADY_GIVEN');
        const poor = outcome.ratings.filter((r) => r.poor).map((r) => r.target);
        if (poor.length > 0) request.log.warn({ applicationId: application.id, targets: poor }, 'poor rating (差评): flagged for follow-up');
        else request.log.info({ applicationId: application.id, targets: outcome.ratings.map((r) => r.target) }, 'rated');
        return reply.code(201).send({ ...scope, ratings: (await store.listRatings(application.id)).map((r) => toRating(r, locale)) });
      },
    );

    // ── ops: ratings and the follow-up of a 差评 ─────────────────────────────────────────────
    const opsRating = async (row: RatingRow, locale: Locale, names: Map<string, string>) => {
      if (!names.has(row.applicationId)) names.set(row.applicationId, (await store.getApplication(row.applicationId))?.form.companyName ?? '');
      return { ...toRating(row, locale), companyName: names.get(row.applicationId)!, followUp: row.followUp };
    };

    app.get(
      '/v1/ops/ratings',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'Ratings (好差评), newest first: poor=true for the 差评 flagged to follow up, followedUp=false for those still waiting, month=YYYY-MM (Asia/Shanghai) (viewer)',
          querystring: z.object({
            poor: z.enum(['true', 'false']).optional(),
            followedUp: z.enum(['true', 'false']).optional(),
            month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month.format' satisfies FieldMessageKey).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: OpsRatingList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        const { poor, followedUp, month, limit } = request.query;
        const range = month ? shanghaiMonthRange(month) : undefined;
        const rows = await store.queryRatings({
          limit,
          ...(poor ? { poor: poor === 'true' } : {}),
          ...(followedUp ? { followedUp: followedUp === 'true' } : {}),
          ...(range ? { from: range.from, to: range.to } : {}),
        });
        const locale = localeOf(request);
        const names = new Map<string, string>();
        const items = [];
        for (const row of rows) items.push(await opsRating(row, locale, names));
        return { items };
      },
    );

    app.post(
      '/v1/ops/ratings/:id/:step/follow-up',
      {
        config: { opsRole: 'operator', audit: { action: 'rating.follow_up' } },
        schema: {
          tags: ['ops'],
          summary: 'Record the follow-up of a rating (回访/整改), e.g. of a 差评; the first follow-up stays (operator)',
          params: z.object({ id: ApplicationId, step: RatingTarget }),
          body: RatingFollowUpBody,
          response: { 200: OpsRating, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const by = request.opsCaller?.name ?? 'unknown';
        const row = await store.followUpRating(request.params.id, request.params.step, { at: clock.now().toISOString(), by, note: request.body.note });
        if (!row) throw new ApiError('RATING_NOT_FOUND');
        return opsRating(row, localeOf(request), new Map());
      },
    );
  };
