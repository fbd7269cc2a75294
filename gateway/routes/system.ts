// Everyone: health, readiness, metrics, and the working-day deadline calculator.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApplicationForm, ErrorBody } from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails } from '../errors.ts';
import { applicantPage } from '../web/applicant-page.ts';
import exampleApplication from '../web/example-application.json' with { type: 'json' };

export const systemRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Parsed once: the sample must stay a valid application (a broken one fails at start, in every test).
    const example = ApplicationForm.parse(exampleApplication);
    const page = applicantPage(JSON.stringify(exampleApplication, null, 2));
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

    // The page's script and style: files, because the CSP allows no inline script or style.
    // Read once; revalidated by ETag (they hold no personal data, so they may be cached).
    for (const [name, type] of [['applicant.js', 'text/javascript; charset=utf-8'], ['applicant.css', 'text/css; charset=utf-8']] as const) {
      const content = readFileSync(new URL(`../web/assets/${name}`, import.meta.url));
      const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 22)}"`;
      app.get(`/assets/${name}`, { schema: { hide: true } }, async (request, reply) => {
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.type(type).send(content);
      });
    }
    app.get(
      '/v1/examples/application',
      { schema: { tags: ['applicant'], summary: 'A valid sample application (三门峡市) to start from', response: { 200: ApplicationForm } } },
      async () => example,
    );

    app.get('/health', { schema: { tags: ['system'], summary: 'Liveness: the process is up', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
      status: 'ok' as const,
    }));

    app.get(
      '/ready',
      {
        schema: {
          tags: ['system'],
          summary: 'Readiness: the store answers and the gateway is not draining',
          response: { 200: z.object({ status: z.literal('ready'), store: z.string() }), 503: ErrorBody },
        },
      },
      async () => {
        if (!deps.isReady()) throw new ApiError('NOT_READY');
        try {
          await deps.store.ping();
        } catch {
          throw new ApiError('NOT_READY', { variant: 'store_unavailable' });
        }
        return { status: 'ready' as const, store: deps.store.kind };
      },
    );

    app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] } }, async (_request, reply) => {
      const { metrics, store } = deps;
      metrics.applicationsByState.reset();
      for (const [state, count] of Object.entries(await store.countApplicationsByState())) metrics.applicationsByState.set({ state }, count);
      metrics.pendingEffects.set(await store.countPendingEffects());
      for (const step of deps.orchestrator.steps) {
        const state = deps.adapters[step.id]?.breakerState() ?? 'closed';
        metrics.breakerState.set({ step: step.id }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0);
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });

    app.get(
      '/v1/calendar/deadline',
      {
        schema: {
          tags: ['calendar'],
          summary: 'The deadline N working days after an instant, on the working-day calendar the orchestration uses',
          querystring: z.object({
            from: z.iso.datetime({ offset: true }).describe('ISO 8601 instant with offset, e.g. 2026-09-30T16:00:00+08:00'),
            workingDays: z.coerce.number().positive().max(365),
          }),
          response: {
            200: z.object({ from: z.string(), workingDays: z.number(), deadline: z.string(), deadlineLocal: z.string(), provisional: z.boolean(), halfDayRule: z.string() }),
            400: ErrorBody,
          },
        },
      },
      async (request) => {
        const { from, workingDays } = request.query;
        const cal = deps.calendar.calendar;
        let result: { at: Date; provisional: boolean };
        try {
          result = cal.addWorkingDays(new Date(from), workingDays);
        } catch (error) {
          // The calendar refuses arguments it cannot answer for (e.g. 0.3 days under the session rule).
          if (error instanceof RangeError) {
            throw new ApiError('REQUEST_INVALID', { details: fieldDetails({ path: 'querystring.workingDays', key: 'calendar.working_days_unsupported', params: { reason: error.message } }) });
          }
          throw error;
        }
        const local = new Date(result.at.getTime() + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
        return { from: new Date(from).toISOString(), workingDays, deadline: result.at.toISOString(), deadlineLocal: local, provisional: result.provisional, halfDayRule: cal.halfDayRule };
      },
    );
  };
