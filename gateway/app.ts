// The app is a plugin-composed Fastify instance; the server (server.ts) is a thin shell around it
// (docs/style.md §7). Tests build it with real dependencies and call app.inject() or listen on port 0.

import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { GatewayDeps } from './deps.ts';
import { pathOfNulCharacter } from '../contracts/index.ts';
import { ApiError, installErrorHandling } from './errors.ts';
import { installOpsAccess } from './identity/index.ts';
import { applicantAccessRoutes } from './routes/applicant-access.ts';
import { applicationRoutes } from './routes/applications.ts';
import { departmentRoutes } from './routes/departments.ts';
import { opsAccessRoutes } from './routes/ops-access.ts';
import { opsRoutes } from './routes/ops.ts';
import { systemRoutes } from './routes/system.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (method, URL pattern): what test/security/authorization-matrix.test.ts must cover. */
    routeTable: ReadonlyArray<{ method: string; url: string }>;
  }
}

/**
 * One access-log line per request, when it is answered — method, route, status, time — instead of
 * Fastify's two ("incoming", "completed"), each carrying the request and reply objects.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    logController: new AccessLog(),
    bodyLimit: 1024 * 1024,
    // Request ids for log correlation; a caller's X-Request-Id is kept.
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app as unknown as FastifyInstance);

  const routeTable: Array<{ method: string; url: string }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method: String(method), url: route.url ?? route.path });
    // OpenAPI: ops routes need an ops credential (the role is in each summary).
    if (route.config?.opsRole && route.schema && !route.schema.security) route.schema.security = [{ opsCredential: [] }];
  });
  // Before any route: every /v1/ops route must declare its role, and is checked and audited.
  installOpsAccess(app as unknown as FastifyInstance, deps);

  // Keep the raw JSON text: department callbacks are signed over the exact bytes received.
  // JSON is the only body this API takes: without fastify's default text/plain parser a plain-text
  // body is refused with 415 UNSUPPORTED_MEDIA_TYPE instead of being validated as a string.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    // PostgreSQL's jsonb cannot hold U+0000, and no field of ours has a use for it: refuse it here,
    // as a 400 naming the field, rather than fail on one store and not the other.
    const path = pathOfNulCharacter(parsed);
    if (path !== null) {
      return done(new ApiError('REQUEST_INVALID', { details: [{ path: path || '(body)', message: 'Text may not contain the NUL character (\\u0000); remove it' }] }), undefined);
    }
    done(null, parsed);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: '全链通 gateway API',
        version: '1.0.0',
        description:
          'One online application drives the business-licence, seal-engraving, tax-invoice, social-insurance, bank-account and postal-delivery departments. Errors always have the shape { code, message, details? }.',
      },
      tags: [
        { name: 'applicant', description: 'Sign in, submit, follow, correct, withdraw (docs/applicant-api.md)' },
        { name: 'department', description: 'Signed callbacks and data-minimised application views (docs/departments.md)' },
        { name: 'ops', description: 'SLA, reports, retries, calendar, credentials, audit log (docs/operations.md); each route names the least role it needs' },
        { name: 'calendar', description: 'Working-day arithmetic' },
        { name: 'system', description: 'Health, readiness, metrics' },
      ],
      components: {
        securitySchemes: {
          applicantSession: { type: 'http', scheme: 'bearer', description: 'qlt_sess_… from POST /v1/applicant/sessions (sign in with a code sent to the mobile number)' },
          applicationAccessToken: { type: 'http', scheme: 'bearer', description: 'qlt_app_… from the 202 answer of an anonymous POST /v1/applications' },
          opsCredential: { type: 'http', scheme: 'bearer', description: 'An ops credential (viewer, operator or admin; docs/operations.md "Access")' },
          departmentSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'x-department-signature',
            description: 'HMAC-SHA256 with the department secret, with x-department-id and x-department-timestamp (docs/departments.md §6)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(systemRoutes(deps));
  await app.register(applicationRoutes(deps));
  await app.register(departmentRoutes(deps));
  await app.register(applicantAccessRoutes(deps));
  await app.register(opsRoutes(deps));
  await app.register(opsAccessRoutes(deps));
  return app as unknown as FastifyInstance;
}
