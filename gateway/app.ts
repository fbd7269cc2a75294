// The app is a plugin-composed Fastify instance; the server (server.ts) is a thin shell around it
// (docs/style.md §7). Tests build it with real dependencies and call app.inject() or listen on port 0.
//
// Order: the HTTP server's limits and the request id; the one error handler; the JSON body parser
// (strict UTF-8, refused shapes); the protections every response gets (security headers and a strict
// CSP, CORS closed unless configured, no-store); then the API description and the routes.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ERRORS, MAX_JSON_DEPTH, inspectJson, type ErrorCode } from '../contracts/index.ts';
import type { GatewayDeps } from './deps.ts';
import { ApiError, errorBody, fieldDetails, installErrorHandling, sendError } from './errors.ts';
import { createProtections } from './http-protections.ts';
import { installOpsAccess } from './identity/index.ts';
import { applicantAccessRoutes } from './routes/applicant-access.ts';
import { applicationRoutes } from './routes/applications.ts';
import { departmentRoutes } from './routes/departments.ts';
import { formRoutes } from './routes/forms.ts';
import { opsAccessRoutes } from './routes/ops-access.ts';
import { opsConsoleRoutes } from './routes/ops-console.ts';
import { opsRoutes } from './routes/ops.ts';
import { simulationRoutes } from './routes/simulations.ts';
import { portalRoutes } from './routes/portal.ts';
import { referenceRoutes } from './routes/reference.ts';
import { systemRoutes } from './routes/system.ts';
import { validatorCompiler } from './validation.ts';
import { webAssetRoutes } from './web/static.ts';

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

/** Applications are small JSON documents; nothing this API takes comes near it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A caller's X-Request-Id is kept for log correlation only if it is short and harmless in a log line or header. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Content Security Policy for everything the gateway serves (the applicant page included): no
 * inline script or style, nothing from elsewhere, no plugins, never framed.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  // The gateway is often reached over plain HTTP inside a government network or on 127.0.0.1;
  // helmet's default upgrade-insecure-requests would break every asset there. TLS is the proxy's job.
  upgradeInsecureRequests: null,
};

/**
 * Swagger UI's own page: the same, except that its React components set inline styles and its
 * logo is an inline SVG (style-src 'unsafe-inline' for /docs only; still no inline script).
 */
const DOCS_CSP = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

const JSON_HEADERS = 'Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close';

export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const { http } = deps.config;
  let closing = false;

  const app = Fastify({
    loggerInstance: deps.log,
    logController: new AccessLog(),
    bodyLimit: MAX_BODY_BYTES,
    // Request ids for log correlation: the caller's X-Request-Id when it is safe, else a fresh one.
    requestIdHeader: false,
    genReqId: requestId,
    trustProxy: http.trustProxy,
    // Slow clients (headers and half a body, then nothing) must not hold a connection for ever.
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionTimeout: http.connectionTimeoutMs,
    http: { headersTimeout: http.headersTimeoutMs, connectionsCheckingInterval: http.timeoutCheckIntervalMs },
    // Answered below in our own shape (a request arriving while we close gets 503 NOT_READY).
    return503OnClosing: false,
    // Errors Node's HTTP parser (or its timeouts) raise before there is a request: our shape, in English.
    clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const code: ErrorCode =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'REQUEST_MALFORMED';
      const id = randomUUID();
      deps.log.info({ reqId: id, code, err: { code: error.code, message: error.message } }, 'client error before a request was read');
      const body = JSON.stringify(errorBody(code));
      if (socket.writable) {
        const status = ERRORS[code].status;
        socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${JSON_HEADERS}\r\nX-Request-Id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      socket.destroy();
    },
    // Malformed URLs (bad percent-encoding) and over-long path parameters, before routing.
    frameworkErrors(error: FastifyError, request, reply) {
      reply.header('x-request-id', request.id).header('cache-control', 'no-store');
      return sendError(request, reply, error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URL_TOO_LONG' : 'REQUEST_MALFORMED');
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app as unknown as FastifyInstance);

  // First hook of every request: its id on the response (docs/errors.md promises it), and no
  // caching unless a route says otherwise — status documents carry bank account numbers, event
  // streams and department views personal data. Set on the raw response so that streams written
  // to the socket directly (server-sent events) carry them too.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader('x-request-id', request.id);
    reply.raw.setHeader('cache-control', 'no-store');
    if (closing) {
      reply.header('connection', 'close');
      throw new ApiError('NOT_READY');
    }
  });
  app.addHook('preClose', async () => {
    closing = true;
  });

  const routeTable: Array<{ method: string; url: string }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method: String(method), url: route.url ?? route.path });
    // OpenAPI: ops routes need an ops credential (the role is in each summary).
    if (route.config?.opsRole && route.schema && !route.schema.security) route.schema.security = [{ opsCredential: [] }];
  });
  // Before any route: every /v1/ops route must declare its role, and is checked and audited.
  installOpsAccess(app as unknown as FastifyInstance, deps);

  // JSON is the only body this API takes: without fastify's default text/plain parser a plain-text
  // body is refused with 415 UNSUPPORTED_MEDIA_TYPE instead of being validated as a string.
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // RFC 8259 §8.1: JSON is UTF-8. A body that claims another charset is refused, not misread.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(String(request.headers['content-type']))?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return done(new ApiError('UNSUPPORTED_MEDIA_TYPE', { variant: 'charset_not_utf8' }), undefined);
    // Strict decoding: invalid UTF-8 is refused, never stored as U+FFFD replacement characters.
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new ApiError('BODY_ENCODING_INVALID'), undefined);
    }
    // Keep the raw JSON text: department callbacks are signed over the exact text received.
    request.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    // Refused here, on every route, before anything walks the document: nesting beyond any
    // contract (recursive code and JSON.stringify would overflow the stack), U+0000 and lone
    // surrogates (PostgreSQL's jsonb cannot hold them: the two stores must behave alike), and
    // "__proto__" keys. Each as a 400 naming the field.
    const problem = inspectJson(parsed);
    if (problem) {
      return done(
        new ApiError('REQUEST_INVALID', { details: fieldDetails({ path: problem.path || '(body)', key: `json.${problem.kind}`, params: { maxDepth: MAX_JSON_DEPTH } }) }),
        undefined,
      );
    }
    done(null, parsed);
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Never framed, for browsers that predate frame-ancestors as well.
    frameguard: { action: 'deny' },
    // Everything else as helmet sets it: nosniff, no-referrer, same-origin resource and opener policies, HSTS.
  });
  // Closed unless origins are configured: no Access-Control-Allow-Origin for anyone else.
  await app.register(fastifyCors, {
    origin: http.corsOrigins.length > 0 ? [...http.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT'],
    allowedHeaders: ['content-type', 'idempotency-key', 'last-event-id', 'authorization', 'x-request-id', 'accept-language'],
    exposedHeaders: ['x-request-id', 'retry-after', 'location', 'content-language'],
    maxAge: 600,
    // A preflight without Origin is not a preflight: our 404, not the plugin's plain-text 400.
    strictPreflight: false,
  });
  await app.register(fastifyRateLimit, { global: false });
  const protections = createProtections(app as unknown as FastifyInstance, deps.config);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: '全链通 gateway API',
        version: '1.0.0',
        description:
          'One online application drives the business-licence, seal-engraving, tax-invoice, social-insurance, bank-account and postal-delivery departments. Errors always have the shape { code, message, details? }; messages are in Chinese with Accept-Language: zh-CN, else English.',
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
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP, uiConfig: { validatorUrl: null } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(systemRoutes(deps));
  await app.register(webAssetRoutes());
  await app.register(formRoutes(deps));
  await app.register(applicationRoutes(deps, protections));
  await app.register(departmentRoutes(deps, protections));
  await app.register(applicantAccessRoutes(deps));
  await app.register(opsRoutes(deps));
  await app.register(opsAccessRoutes(deps));
  await app.register(opsConsoleRoutes(deps));
  await app.register(simulationRoutes(deps));
  await app.register(referenceRoutes(deps, protections));
  await app.register(portalRoutes(deps, protections));
  return app as unknown as FastifyInstance;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
