// The one error handler (docs/style.md §7): every failure leaves as `{ code, message, details? }` with a
// code from the catalogue in contracts/errors.ts; 5xx internals are logged, never shown.

import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ERRORS, UNKNOWN_FIELD_MESSAGE, type ErrorBody, type ErrorCode, type FieldIssue } from '../contracts/index.ts';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: FieldIssue[] | undefined;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, options: { message?: string; details?: FieldIssue[]; headers?: Record<string, string> } = {}) {
    super(options.message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export function errorBody(code: ErrorCode, message?: string, details?: FieldIssue[]): ErrorBody {
  return { code, message: message ?? ERRORS[code].message, ...(details && details.length > 0 ? { details } : {}) };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error code a validation failure on this route is reported with (default REQUEST_INVALID). */
    invalidCode?: ErrorCode;
  }
}

/** Converts fastify-type-provider-zod's validation errors into field issues with dotted paths. */
function validationDetails(error: FastifyError & { validation?: unknown[]; validationContext?: string }): FieldIssue[] {
  const context = error.validationContext ?? 'body';
  const prefix = context === 'body' ? '' : `${context}.`;
  const at = (segments: string[]) => {
    const path = segments.join('.');
    return path ? `${prefix}${path}` : context === 'body' ? '(body)' : context;
  };
  return (error.validation ?? []).flatMap((v) => {
    const item = v as { keyword?: string; instancePath?: string; message?: string; params?: { keys?: string[] } };
    const segments = (item.instancePath ?? '').split('/').filter(Boolean);
    if (item.keyword === 'unrecognized_keys' && item.params?.keys) {
      return item.params.keys.map((key) => ({ path: at([...segments, key]), message: UNKNOWN_FIELD_MESSAGE }));
    }
    return [{ path: at(segments), message: item.message ?? 'invalid' }];
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.status).headers(error.headers).send(errorBody(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = validationDetails(error as never);
      const context = (error as { validationContext?: string }).validationContext ?? 'body';
      // The route's own code describes its body; anything else (params, query, headers) is the request's.
      const code: ErrorCode = details.some((d) => d.path.startsWith('headers.idempotency-key'))
        ? 'IDEMPOTENCY_KEY_INVALID'
        : context === 'body'
          ? (request.routeOptions.config.invalidCode ?? 'REQUEST_INVALID')
          : 'REQUEST_INVALID';
      return reply.code(ERRORS[code].status).send(errorBody(code, undefined, details));
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response does not match its contract');
      return reply.code(500).send(errorBody('INTERNAL'));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(errorBody('PAYLOAD_TOO_LARGE'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.code(400).send(errorBody('BODY_NOT_JSON'));
    }
    if (error instanceof SyntaxError) return reply.code(400).send(errorBody('BODY_NOT_JSON'));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody('REQUEST_INVALID', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('INTERNAL'));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NOT_FOUND')));
}
