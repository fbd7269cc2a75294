import { z } from 'zod';
import { OPS_ROLES } from './ops-roles.ts';
import { MobileNumber } from './application.ts';
import { SignInCode } from './sms.ts';
import { ApplicationState } from './status.ts';
import { StepId } from './steps.ts';

// Who may do what (docs/security.md): applicants sign in with a one-time code sent to their mobile
// number and own their applications; the service centre's staff use named ops credentials with a
// role; every ops action is written to a hash-chained audit log.

const IsoTime = z.iso.datetime({ offset: true });

// ── applicants ───────────────────────────────────────────────────────────────────────────────

export const SignInCodeRequest = z.strictObject({ mobile: MobileNumber }).meta({ id: 'SignInCodeRequest' });

export const SignInCodeSent = z
  .object({
    sent: z.literal(true),
    expiresInSeconds: z.number().int().describe('How long the code in the text message is valid'),
    resendAfterSeconds: z.number().int().describe('A new code for this number can be requested after this many seconds'),
  })
  .meta({ id: 'SignInCodeSent', description: 'The same answer whether or not the number has signed in before' });

export const SignInRequest = z.strictObject({ mobile: MobileNumber, code: SignInCode }).meta({ id: 'SignInRequest' });

export const ApplicantSession = z
  .object({
    token: z.string().describe('Send as Authorization: Bearer <token>; shown once'),
    tokenType: z.literal('Bearer'),
    expiresAt: IsoTime,
    mobileHint: z.string().describe('The signed-in number with its middle digits hidden, e.g. 138****0001'),
  })
  .meta({ id: 'ApplicantSession' });

export const ApplicantSessionInfo = ApplicantSession.omit({ token: true, tokenType: true }).meta({ id: 'ApplicantSessionInfo' });

/** How a signed-in applicant is related to an application: who submitted it, or its legal representative. */
export const ApplicationRelation = z.enum(['owner', 'legal_representative']).meta({ id: 'ApplicationRelation' });
export type ApplicationRelation = z.infer<typeof ApplicationRelation>;

export const MyApplication = z
  .object({
    id: z.string(),
    companyName: z.string(),
    state: ApplicationState,
    submittedAt: IsoTime,
    completedAt: IsoTime.nullable(),
    relations: z.array(ApplicationRelation).min(1),
  })
  .meta({ id: 'MyApplication' });

export const MyApplicationsPage = z
  .object({
    items: z.array(MyApplication).describe('Newest first'),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page'),
  })
  .meta({ id: 'MyApplicationsPage' });

export const MY_APPLICATIONS_PAGE = { default: 20, max: 100 } as const;

// ── ops ──────────────────────────────────────────────────────────────────────────────────────

/** Ops roles, each including the ones before it: viewer ⊂ operator ⊂ admin. */
export { OPS_ROLES, roleAllows } from './ops-roles.ts';
export const OpsRole = z.enum(OPS_ROLES).meta({ id: 'OpsRole' });
export type OpsRole = z.infer<typeof OpsRole>;

export const OpsCredentialName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'A credential name is 2–63 lower-case letters, digits, ".", "_" or "-", e.g. "wang.li" or "grafana-reader"')
  .meta({ id: 'OpsCredentialName' });

export const NewOpsCredential = z.strictObject({ name: OpsCredentialName, role: OpsRole }).meta({ id: 'NewOpsCredential' });

export const OpsCredential = z
  .object({
    name: z.string(),
    role: OpsRole,
    source: z.enum(['config', 'api']).describe('config: from OPS_CREDENTIALS / OPS_ADMIN_TOKEN (change the configuration to remove it); api: created through this API'),
    createdAt: IsoTime.nullable(),
    createdBy: z.string().nullable(),
    revokedAt: IsoTime.nullable(),
  })
  .meta({ id: 'OpsCredential' });

export const OpsCredentialIssued = OpsCredential.extend({
  token: z.string().describe('Send as Authorization: Bearer <token>; shown once, stored only as a hash'),
}).meta({ id: 'OpsCredentialIssued' });

export const OpsIdentity = z.object({ name: z.string(), role: OpsRole }).meta({ id: 'OpsIdentity' });

// ── audit log ────────────────────────────────────────────────────────────────────────────────

/** Audit actions: lower-case words joined by dots. Known ones are listed in docs/operations.md. */
export const AuditAction = z.string().regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/, 'An action is dotted lower-case words, e.g. step.retry');

export const AuditEntry = z
  .object({
    seq: z.number().int().describe('Position in the chain, from 1, without gaps'),
    at: IsoTime,
    actor: OpsIdentity,
    action: AuditAction,
    target: z.object({
      applicationId: z.string().nullable(),
      step: StepId.or(z.string()).nullable(),
      year: z.number().int().nullable(),
      credential: z.string().nullable(),
    }),
    outcome: z.object({ status: z.number().int().describe('The HTTP status answered'), code: z.string().nullable().describe('The error code, null on success') }),
    requestId: z.string(),
    prevHash: z.string().describe('hash of the entry before (64 zeros for the first)'),
    hash: z.string().describe('SHA-256 (hex) of the canonical encoding of this entry, prevHash included'),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z
  .object({
    items: z.array(AuditEntry).describe('Newest first'),
    nextBefore: z.number().int().nullable().describe('Pass as ?before= for the next (older) page; null on the last page'),
  })
  .meta({ id: 'AuditPage' });
