// Everyone: health, readiness, metrics, and the working-day deadline calculator.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApplicationForm, ErrorBody } from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails } from '../errors.ts';
import { OVERALL_WINDOW_WORKING_DAYS } from '../orchestration/steps.ts';
import { OPEN_CLOCK_STATES, type EffectKind } from '../store/index.ts';
import { portalPage } from '../web/portal-page.ts';
import exampleApplication from '../web/example-application.json' with { type: 'json' };

const HOUR_MS = 3_600_000;
const EFFECT_KINDS: readonly EffectKind[] = ['department_call', 'timer', 'notification'];

export const systemRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Parsed once: the sample must stay a valid application (a broken one fails at start, in every test).
    const example = ApplicationForm.parse(exampleApplication);
    const page = portalPage();
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

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
        const readiness = await checkReadiness();
        if (readiness === 'not_started_or_draining') throw new ApiError('NOT_READY');
        if (readiness === 'store_unreachable') throw new ApiError('NOT_READY', { variant: 'store_unavailable' });
        return { status: 'ready' as const, store: deps.store.kind };
      },
    );

    app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] } }, async (request, reply) => {
      const { metrics } = deps;
      const readiness = await checkReadiness();
      metrics.ready.set(readiness === 'ready' ? 1 : 0);
      // A store that does not answer must not cost the whole scrape (Prometheus would report the
      // instance down and lose the process metrics): the gauges read from it are left out instead,
      // and qlt_ready says 0.
      let storeGauges = readiness !== 'store_unreachable';
      if (storeGauges) {
        try {
          await collectStoreGauges();
        } catch (error) {
          request.log.warn({ err: error }, 'metrics: the store failed; its gauges are left out of this scrape');
          storeGauges = false;
          metrics.ready.set(0);
        }
      }
      if (!storeGauges) for (const gauge of storeDerived()) gauge.reset();
      for (const step of deps.orchestrator.steps) {
        const state = deps.adapters[step.id]?.breakerState() ?? 'closed';
        metrics.breakerState.set({ step: step.id }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0);
      }
      const workingDayHours = deps.calendar.calendar.workingDayMs / HOUR_MS;
      metrics.slaWindow.set({ clock: 'overall' }, OVERALL_WINDOW_WORKING_DAYS * workingDayHours);
      for (const step of deps.orchestrator.steps) metrics.slaWindow.set({ clock: step.id }, step.windowWorkingDays * workingDayHours);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });

    /** GET /ready and the qlt_ready gauge: started and not draining, and the store answers. */
    async function checkReadiness(): Promise<'ready' | 'not_started_or_draining' | 'store_unreachable'> {
      if (!deps.isReady()) return 'not_started_or_draining';
      try {
        await deps.store.ping();
        return 'ready';
      } catch {
        return 'store_unreachable';
      }
    }

    const storeDerived = () => {
      const { metrics } = deps;
      return [metrics.applicationsByState, metrics.pendingEffects, metrics.slaOpenClocks, metrics.dueEffects, metrics.oldestDueSeconds];
    };

    /**
     * The gauges that describe the shared store, from a few cheap aggregates (COUNT … GROUP BY, MIN).
     * Every combination is set, zeros included, so a series never disappears while its count is 0
     * (an alert on it resolves instead of going stale). All are read before any is set: a failure
     * leaves no half-updated scrape.
     */
    async function collectStoreGauges(): Promise<void> {
      const { metrics, store, clock } = deps;
      const now = clock.now();
      const [byState, pending, openClocks, due] = await Promise.all([
        store.countApplicationsByState(),
        store.countPendingEffects(),
        store.countOpenClocks(),
        store.countDueEffects(now.toISOString()),
      ]);
      metrics.applicationsByState.reset();
      for (const [state, count] of Object.entries(byState)) metrics.applicationsByState.set({ state }, count);
      metrics.pendingEffects.set(pending);

      metrics.slaOpenClocks.reset();
      for (const clockName of ['overall', ...deps.orchestrator.steps.map((s) => s.id)]) {
        for (const state of OPEN_CLOCK_STATES) metrics.slaOpenClocks.set({ clock: clockName, state }, 0);
      }
      // A clock of a step no longer enabled still counts while its applications are open.
      for (const row of openClocks) metrics.slaOpenClocks.set({ clock: row.clock, state: row.state }, row.count);

      for (const kind of EFFECT_KINDS) {
        const row = due.find((r) => r.kind === kind);
        metrics.dueEffects.set({ kind }, row?.count ?? 0);
        metrics.oldestDueSeconds.set({ kind }, row ? Math.max(0, (now.getTime() - Date.parse(row.oldestDueAt)) / 1000) : 0);
      }
    }

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
