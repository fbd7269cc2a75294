import { z } from 'zod';

// ONE error shape for every 4xx/5xx the gateway (and every department contract) returns.
// Codes are strings, stable, never reused (docs/style.md §5). Messages tell a person what to do next.

export const FieldIssue = z
  .object({
    path: z.string().describe('Dotted path of the offending field, e.g. "legalRepresentative.idNumber"'),
    message: z.string(),
  })
  .meta({ id: 'FieldIssue' });
export type FieldIssue = z.infer<typeof FieldIssue>;

export const ErrorBody = z
  .object({
    code: z.string().describe('Stable machine-readable code, see docs/errors.md'),
    message: z.string().describe('What went wrong and what to do next'),
    details: z.array(FieldIssue).optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export interface ErrorDefinition {
  readonly status: number;
  readonly message: string;
}

/** The catalogue. Every code here is documented in docs/errors.md (a test keeps the two in step). */
export const ERRORS = {
  APPLICATION_INVALID: { status: 400, message: 'The application has invalid fields; correct the fields listed in details and submit again.' },
  REQUEST_INVALID: { status: 400, message: 'The request is malformed; correct the fields listed in details.' },
  BODY_NOT_JSON: { status: 400, message: 'The request body is not valid JSON; send a JSON document with Content-Type: application/json.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large; applications are at most 1 MiB.' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'The Idempotency-Key header must be 8–128 characters of letters, digits, "-", "_" or ":".' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'This Idempotency-Key was already used for a different application; use a new key for a new application.' },
  APPLICATION_NOT_FOUND: { status: 404, message: 'No application has this id; check the id returned when you submitted.' },
  CORRECTION_NOT_EXPECTED: { status: 409, message: 'No department is waiting for a correction on this application; check its status first.' },
  CORRECTION_INVALID: { status: 400, message: 'The corrected fields are invalid; correct the fields listed in details and send the correction again.' },
  WITHDRAWAL_LICENCE_IN_PROGRESS: { status: 409, message: 'The business licence request is with the market regulator, which may still issue it; withdraw again once it has answered (see Retry-After). Once a licence is issued the application can no longer be withdrawn.' },
  WITHDRAWAL_NOT_ALLOWED: { status: 409, message: 'The application can no longer be withdrawn: the business licence has been issued (or the application has ended). Contact the service centre to deregister.' },
  STEP_UNKNOWN: { status: 404, message: 'No such step; valid steps are listed in GET /openapi.json.' },
  STEP_NOT_RETRYABLE: { status: 409, message: 'The step is not waiting for attention; only steps in needs_attention can be retried.' },
  CALLBACK_SIGNATURE_INVALID: { status: 401, message: 'The callback signature is missing or wrong; sign timestamp + "." + body with HMAC-SHA256 and the department secret (see docs/departments.md).' },
  CALLBACK_STALE: { status: 401, message: 'The callback timestamp is outside the accepted clock skew; check the sender clock and send a fresh callback.' },
  CALLBACK_REPLAYED: { status: 401, message: 'A callback with this event id was already received; send each event once with a new event id.' },
  CALLBACK_STEP_FORBIDDEN: { status: 403, message: 'A department may act only on its own step; check the step in the URL.' },
  CALLBACK_UNKNOWN_REQUEST: { status: 404, message: 'The callback does not match any request this gateway sent; check the applicationId and idempotencyKey.' },
  DEPARTMENT_DATA_NOT_READY: { status: 409, message: 'This department\'s data is not ready yet: the steps it builds on have not finished. Ask again once your step has been requested.' },
  CALENDAR_INVALID: { status: 400, message: 'The calendar document is invalid; correct the fields listed in details.' },
  CALENDAR_YEAR_NOT_LOADED: { status: 404, message: 'No schedule is loaded for this year; deadlines in it are provisional until ops load it with PUT /v1/ops/calendar/{year}.' },
  OPS_UNAUTHORIZED: { status: 401, message: 'Ops endpoints need Authorization: Bearer <ops credential>; the credential is missing, unknown or revoked. Ask the service centre administrator for one.' },
  OPS_FORBIDDEN: { status: 403, message: 'Your ops credential\'s role does not allow this; ask an administrator for a credential with the role this needs (see docs/operations.md).' },
  OPS_CREDENTIAL_EXISTS: { status: 409, message: 'An ops credential with this name exists or existed; names are never reused (the audit log refers to them). Choose another name.' },
  OPS_CREDENTIAL_NOT_FOUND: { status: 404, message: 'No ops credential has this name; list them with GET /v1/ops/credentials.' },
  OPS_CREDENTIAL_FROM_CONFIG: { status: 409, message: 'This credential comes from the configuration (OPS_CREDENTIALS / OPS_ADMIN_TOKEN); remove it there and restart the gateway.' },
  APPLICANT_UNAUTHENTICATED: { status: 401, message: 'Sign in again: the session has expired or was signed out, or the token is not an applicant credential.' },
  SIGN_IN_CODE_INVALID: { status: 401, message: 'The code is wrong, already used or expired (each code allows a few attempts); check the text message, or request a new code.' },
  SIGN_IN_RATE_LIMITED: { status: 429, message: 'Too many codes were requested for this mobile number; wait for the number of seconds in Retry-After, then request a new code.' },
  SMS_UNAVAILABLE: { status: 503, message: 'The text message could not be sent; try again in a minute.' },
  NOT_FOUND: { status: 404, message: 'No such route; see GET /docs for the API.' },
  NOT_READY: { status: 503, message: 'The gateway is starting or stopping; try again in a few seconds.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side; it has been logged. Try again, and contact the service centre with the request id if it persists.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;
export const ErrorCodeSchema = z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]);

/** Turns zod issues into the `details` of an error body. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const join = (path: readonly PropertyKey[]) => [...prefix, ...path].map(String).join('.') || '(body)';
  return issues.flatMap((issue) =>
    // One detail per unknown field, at the field's own path, so a misspelt name is easy to find.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: UNKNOWN_FIELD_MESSAGE }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

export const UNKNOWN_FIELD_MESSAGE = 'Unknown field: check its spelling against the schema (GET /openapi.json), or remove it';

/**
 * The dotted path of the first string (or key) containing U+0000, or null if there is none.
 * No text in the protocol has a use for it, and PostgreSQL's jsonb cannot store it.
 */
export function pathOfNulCharacter(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (key.includes('\0')) return childPath;
    const found = pathOfNulCharacter(child, childPath);
    if (found !== null) return found;
  }
  return null;
}
