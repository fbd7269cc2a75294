// Applicants sign in with their mobile number (docs/applicant-api.md "Sign in"): a six-digit code
// goes out by text message (a mock 实名认证: holding the phone proves the number), the code buys a
// session, and the session sees every application its holder submitted or is the legal
// representative of — which is also how a lost access token is recovered.
//
//   POST   /v1/applicant/sign-in-codes   { mobile }        → 202, the same for every number
//   POST   /v1/applicant/sessions        { mobile, code }  → 201 { token, expiresAt, … }
//   GET    /v1/applicant/session                           → the session (expiry, masked number)
//   DELETE /v1/applicant/session                           → 204, revoked
//   GET    /v1/applicant/applications?cursor=&limit=       → newest first
//
// The code is never logged, never stored (only its keyed hash) and goes nowhere but the SMS service.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApplicantSession,
  ApplicantSessionInfo,
  ErrorBody,
  MY_APPLICATIONS_PAGE,
  MyApplicationsPage,
  SignInCodeRequest,
  SignInCodeSent,
  SignInRequest,
} from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails } from '../errors.ts';
import { codeHash, issueToken, maskMobile, mobileKey, newSignInCode, sha256Hex } from '../identity/index.ts';

/** Keyset cursor: the last item's submission time and id, opaque to clients. */
const encodeCursor = (item: { submittedAt: string; id: string }) => Buffer.from(JSON.stringify([item.submittedAt, item.id])).toString('base64url');
function decodeCursor(cursor: string): { submittedAt: string; id: string } {
  try {
    const [submittedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof submittedAt === 'string' && !Number.isNaN(Date.parse(submittedAt)) && typeof id === 'string') return { submittedAt, id };
  } catch {
    // fall through
  }
  throw new ApiError('REQUEST_INVALID', { details: fieldDetails({ path: 'querystring.cursor', key: 'cursor.invalid' }) });
}

export const applicantAccessRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, clock, identityKey, applicants } = deps;
    const limits = deps.config.applicants;

    app.post(
      '/v1/applicant/sign-in-codes',
      {
        schema: {
          tags: ['applicant'],
          summary: 'Send a one-time sign-in code to a mobile number by text message (the answer is the same for every number)',
          body: SignInCodeRequest,
          response: { 202: SignInCodeSent, 400: ErrorBody, 429: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const { mobile } = request.body;
        const now = clock.now();
        const key = mobileKey(identityKey, mobile);
        const code = newSignInCode();
        const issued = await store.issueSignInCode({
          mobileKey: key,
          codeHash: codeHash(identityKey, key, code),
          issuedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + limits.codeTtlSeconds * 1000).toISOString(),
          maxAttempts: limits.codeMaxAttempts,
          limits: { minIntervalMs: limits.codeIntervalSeconds * 1000, maxPerWindow: limits.codesPerDay, windowMs: 86_400_000 },
        });
        if (!issued.issued) {
          const seconds = Math.max(1, Math.ceil(issued.retryAfterMs / 1000));
          throw new ApiError('SIGN_IN_RATE_LIMITED', { headers: { 'retry-after': String(seconds) } });
        }
        const sent = deps.sms
          ? await deps.sms.send(`sign-in:${randomUUID()}`, { recipient: mobile, template: 'sign_in_code', parameters: { code, validMinutes: Math.round(limits.codeTtlSeconds / 60) } })
          : null;
        if (!sent || sent.kind !== 'sent') {
          request.log.error({ smsFailure: sent?.kind === 'failed' ? sent.code : 'SMS_NOT_CONFIGURED' }, 'sign-in code not sent');
          throw new ApiError('SMS_UNAVAILABLE', { headers: { 'retry-after': String(limits.codeIntervalSeconds) } });
        }
        return reply.code(202).send({ sent: true as const, expiresInSeconds: limits.codeTtlSeconds, resendAfterSeconds: limits.codeIntervalSeconds });
      },
    );

    app.post(
      '/v1/applicant/sessions',
      {
        schema: {
          tags: ['applicant'],
          summary: 'Sign in with the number and the code it was sent: a new session (any credential sent along is ignored)',
          body: SignInRequest,
          response: { 201: ApplicantSession, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        const { mobile, code } = request.body;
        const now = clock.now();
        const key = mobileKey(identityKey, mobile);
        // Always a new token, never one the client brought (no session fixation).
        const token = issueToken('session');
        const expiresAt = new Date(now.getTime() + limits.sessionTtlSeconds * 1000).toISOString();
        const outcome = await store.signIn({
          mobileKey: key,
          codeHash: codeHash(identityKey, key, code),
          at: now.toISOString(),
          mobileHint: maskMobile(mobile),
          session: { tokenHash: sha256Hex(token), expiresAt },
        });
        if (!outcome.ok) {
          request.log.warn({ reason: outcome.reason }, 'sign-in refused');
          throw new ApiError('SIGN_IN_CODE_INVALID');
        }
        request.log.info({ accountId: outcome.accountId }, 'applicant signed in');
        return reply.code(201).header('cache-control', 'no-store').send({ token, tokenType: 'Bearer' as const, expiresAt, mobileHint: maskMobile(mobile) });
      },
    );

    app.get(
      '/v1/applicant/session',
      { schema: { tags: ['applicant'], summary: 'The current session: when it expires and whose number it is (masked)', response: { 200: ApplicantSessionInfo, 401: ErrorBody } } },
      async (request) => {
        const session = await applicants.session(request);
        return { expiresAt: session.expiresAt, mobileHint: session.mobileHint };
      },
    );

    app.delete(
      '/v1/applicant/session',
      { schema: { tags: ['applicant'], summary: 'Sign out: the session token stops working at once', response: { 204: z.null().describe('Signed out'), 401: ErrorBody } } },
      async (request, reply) => {
        const session = await applicants.session(request);
        await store.revokeSession(session.tokenHash, clock.now().toISOString());
        request.log.info({ accountId: session.accountId }, 'applicant signed out');
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/v1/applicant/applications',
      {
        schema: {
          tags: ['applicant'],
          summary: "My applications: those I submitted and those naming me as legal representative, newest first",
          querystring: z.object({
            cursor: z.string().max(400).optional(),
            limit: z.coerce.number().int().min(1).max(MY_APPLICATIONS_PAGE.max).default(MY_APPLICATIONS_PAGE.default),
          }),
          response: { 200: MyApplicationsPage, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => {
        const session = await applicants.session(request);
        const { limit, cursor } = request.query;
        const rows = await store.listAccessibleApplications(session.principals, { limit: limit + 1, ...(cursor ? { before: decodeCursor(cursor) } : {}) });
        const page = rows.slice(0, limit);
        const items = page.flatMap((row) => {
          // A legal-representative grant counts only while the current form still names this number.
          const stillRep = mobileKey(identityKey, row.legalRepresentativeMobile) === session.mobileKey;
          const relations = row.relations.filter((r) => r === 'owner' || stillRep);
          if (stillRep && !relations.includes('legal_representative')) relations.push('legal_representative');
          return relations.length === 0 ? [] : [{ id: row.id, companyName: row.companyName, state: row.state, submittedAt: row.submittedAt, completedAt: row.completedAt, relations: relations.sort() }];
        });
        const last = page.at(-1);
        return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
      },
    );
  };
