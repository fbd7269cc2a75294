// The one error handler (docs/style.md §7): every failure leaves as `{ code, message, details? }` with a
// code from the catalogue in contracts/errors.ts, in the language the request asked for
// (Accept-Language; English by default); 5xx internals are logged, never shown.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  CONTENT_LANGUAGE,
  ERROR_VARIANTS,
  ERRORS,
  fieldMessage,
  issuesToDetails,
  negotiateLocale,
  type ErrorBody,
  type ErrorCode,
  type ErrorDetail,
  type ErrorVariant,
  type FieldMessageKey,
  type Locale,
} from '../contracts/index.ts';
import { RequestValidationError } from './validation.ts';

/** Details are rendered late, in the language of the request. */
export type DetailSource = (locale: Locale) => ErrorDetail[];

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly variant: ErrorVariant | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  readonly details: DetailSource | undefined;
  readonly headers: Record<string, string>;
  constructor(
    code: ErrorCode,
    options: { variant?: ErrorVariant; params?: Record<string, unknown>; details?: DetailSource; headers?: Record<string, string> } = {},
  ) {
    super(ERRORS[code].message.en);
    this.code = code;
    this.status = ERRORS[code].status;
    this.variant = options.variant;
    this.params = options.params ?? {};
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/** Details from zod issues (paths prefixed, e.g. ['fields'] for corrections). */
export const detailsFromIssues =
  (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): DetailSource =>
  (locale) =>
    issuesToDetails(issues, prefix, locale);

/** Details from keyed field rules of the catalogue. */
export const fieldDetails =
  (...items: Array<{ path: string; key: FieldMessageKey; params?: Record<string, unknown> }>): DetailSource =>
  (locale) =>
    items.map((item) => ({ path: item.path, code: item.key, message: fieldMessage(item.key, item.params, locale) }));

const interpolate = (template: string, params: Readonly<Record<string, unknown>>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));

export function errorBody(code: ErrorCode, locale: Locale = 'en', options: { variant?: ErrorVariant; params?: Readonly<Record<string, unknown>>; details?: ErrorDetail[] } = {}): ErrorBody {
  const template = options.variant && ERROR_VARIANTS[options.variant].code === code ? ERROR_VARIANTS[options.variant].message : ERRORS[code].message;
  const details = options.details;
  return { code, message: interpolate(template[locale], options.params ?? {}), ...(details && details.length > 0 ? { details } : {}) };
}

/** The request's language, once per request. */
export function localeOf(request: FastifyRequest): Locale {
  return negotiateLocale(request.headers['accept-language']);
}

/** Adds Accept-Language to the answer's Vary header, keeping what is there (CORS adds Origin). */
export function varyOnLanguage(reply: FastifyReply): FastifyReply {
  const current = String(reply.getHeader('vary') ?? '');
  if (/(^|,)\s*(accept-language|\*)\s*(,|$)/i.test(current)) return reply;
  return reply.header('vary', current ? `${current}, Accept-Language` : 'Accept-Language');
}

/** Sends an error in the request's language; the answer varies with Accept-Language. */
export function sendError(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, options: { variant?: ErrorVariant; params?: Readonly<Record<string, unknown>>; details?: DetailSource } = {}) {
  const locale = localeOf(request);
  return varyOnLanguage(reply.code(ERRORS[code].status).header('content-language', CONTENT_LANGUAGE[locale])).send(
    errorBody(code, locale, { ...options, details: options.details?.(locale) }),
  );
}

/** Which catalogue code a fastify (or plugin) error becomes; undefined for a real 5xx. */
function codeOfFrameworkError(error: FastifyError): ErrorCode | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'BODY_NOT_JSON';
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'REQUEST_MALFORMED';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'URL_TOO_LONG';
  }
  if (error instanceof SyntaxError) return 'BODY_NOT_JSON';
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return 'REQUEST_MALFORMED';
  return undefined;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      reply.headers(error.headers);
      return sendError(request, reply, error.code, { ...(error.variant ? { variant: error.variant } : {}), params: error.params, ...(error.details ? { details: error.details } : {}) });
    }
    if (error instanceof RequestValidationError) {
      // Paths are relative to the part validated: the body's own, or "querystring.month", "headers.idempotency-key".
      const context = (error as { validationContext?: string }).validationContext ?? 'body';
      const prefix = context === 'body' ? [] : [context];
      const details = detailsFromIssues(error.issues, prefix);
      // The route's own code describes its body; anything else (params, query, headers) is the request's.
      const code: ErrorCode = error.issues.some((i) => context === 'headers' && i.path[0] === 'idempotency-key')
        ? 'IDEMPOTENCY_KEY_INVALID'
        : context === 'body'
          ? (request.routeOptions.config.invalidCode ?? 'REQUEST_INVALID')
          : 'REQUEST_INVALID';
      return sendError(request, reply, code, { details });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response does not match its contract');
      return sendError(request, reply, 'INTERNAL');
    }
    const code = codeOfFrameworkError(error);
    if (code) return sendError(request, reply, code);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(request, reply, 'INTERNAL');
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 'NOT_FOUND'));
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error code a validation failure on this route is reported with (default REQUEST_INVALID). */
    invalidCode?: ErrorCode;
  }
}
