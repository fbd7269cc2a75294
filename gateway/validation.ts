// Request validation with the contracts' zod schemas. fastify-type-provider-zod's compiler flattens
// zod issues into Ajv-shaped objects; ours keeps the issues themselves, so the error handler can
// word them in the request's language and give each its stable code (contracts/messages.ts).

import type { FastifySchemaCompiler } from 'fastify';
import { safeParse, type $ZodIssue, type $ZodType } from 'zod/v4/core';

export class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  readonly issues: readonly $ZodIssue[];
  constructor(issues: readonly $ZodIssue[]) {
    super('request validation failed');
    this.issues = issues;
  }
}

/**
 * Parses a request part with its schema. `reportInput` keeps each issue's input so that a missing
 * field reads "required" rather than "must be text"; the input itself never leaves the process.
 */
export const validatorCompiler: FastifySchemaCompiler<$ZodType> =
  ({ schema }) =>
  (data) => {
    const result = safeParse(schema, data, { reportInput: true });
    return result.success ? { value: result.data } : { error: new RequestValidationError(result.error.issues) };
  };
