// Who is calling an applicant route, and what they may do with an application (docs/security.md).
//
//   no Authorization header          → anonymous: may submit (and gets an access token), nothing else
//   Bearer qlt_sess_…  (live session) → the signed-in applicant: owner of what they submitted, and
//                                       legal representative of every application naming their number
//   Bearer qlt_app_…                 → whoever holds one application's access token
//   anything else, or a dead session → 401 APPLICANT_UNAUTHENTICATED, whatever the route or the id
//
// An application the caller may not see answers exactly like one that does not exist (404
// APPLICATION_NOT_FOUND): an id reveals nothing.

import type { FastifyRequest } from 'fastify';
import type { ApplicationRelation } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import { ApiError } from '../errors.ts';
import type { ApplicationRow, Store } from '../store/types.ts';
import { bearerCredential, mobileKey, principal, sha256Hex, tokenKind } from './credentials.ts';

export type ApplicantCaller =
  | { kind: 'anonymous'; principals: [] }
  | { kind: 'session'; accountId: string; mobileKey: string; mobileHint: string; expiresAt: string; tokenHash: string; principals: string[] }
  | { kind: 'access_token'; principals: string[] };

export interface ApplicantAuth {
  /** Who is calling; throws 401 APPLICANT_UNAUTHENTICATED for a credential that is not a live applicant one. */
  caller(request: FastifyRequest): Promise<ApplicantCaller>;
  /** The signed-in applicant; throws 401 when the caller is anyone else. */
  session(request: FastifyRequest): Promise<Extract<ApplicantCaller, { kind: 'session' }>>;
  /** The application if the caller relates to it, with how; 404 APPLICATION_NOT_FOUND otherwise (also when it does not exist). */
  application(request: FastifyRequest, id: string): Promise<{ application: ApplicationRow; relations: ApplicationRelation[]; caller: ApplicantCaller }>;
  /** The principal of a mobile number (the legal representative's), for grants. */
  mobilePrincipal(mobile: string): string;
}

export function createApplicantAuth(options: { store: Store; clock: Clock; identityKey: string }): ApplicantAuth {
  const { store, clock, identityKey } = options;
  const unauthenticated = () => new ApiError('APPLICANT_UNAUTHENTICATED', { headers: { 'www-authenticate': 'Bearer realm="applicant"' } });
  const notFound = () => new ApiError('APPLICATION_NOT_FOUND');

  async function caller(request: FastifyRequest): Promise<ApplicantCaller> {
    const credential = bearerCredential(request.headers.authorization);
    if (credential === null) return { kind: 'anonymous', principals: [] };
    if (credential === undefined) throw unauthenticated();
    const kind = tokenKind(credential);
    const tokenHash = sha256Hex(credential);
    if (kind === 'application') return { kind: 'access_token', principals: [principal.token(tokenHash)] };
    if (kind !== 'session') throw unauthenticated();
    const session = await store.getSession(tokenHash, clock.now().toISOString());
    if (!session) throw unauthenticated();
    return {
      kind: 'session',
      accountId: session.accountId,
      mobileKey: session.mobileKey,
      mobileHint: session.mobileHint,
      expiresAt: session.expiresAt,
      tokenHash,
      principals: [principal.account(session.accountId), principal.mobile(session.mobileKey)],
    };
  }

  return {
    caller,

    async session(request) {
      const who = await caller(request);
      if (who.kind !== 'session') throw unauthenticated();
      return who;
    },

    async application(request, id) {
      const who = await caller(request);
      if (who.kind === 'anonymous') throw notFound();
      const application = await store.getApplication(id);
      if (!application) throw notFound();
      const relations = new Set<ApplicationRelation>();
      // The legal representative is whoever the CURRENT form names (a correction may change it),
      // checked against the form itself rather than the grant written at submission.
      if (who.kind === 'session' && mobileKey(identityKey, application.form.legalRepresentative.mobile) === who.mobileKey) {
        relations.add('legal_representative');
      }
      const owners = who.principals.filter((p) => !p.startsWith('mobile:'));
      for (const relation of await store.getApplicationAccess(id, owners)) if (relation === 'owner') relations.add(relation);
      if (relations.size === 0) throw notFound();
      return { application, relations: [...relations].sort(), caller: who };
    },

    mobilePrincipal: (mobile) => principal.mobile(mobileKey(identityKey, mobile)),
  };
}
