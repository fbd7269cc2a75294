// Ops API for the city's service centre: SLA overview, the lists behind it, monthly reports,
// retrying a stuck step, department health, and the working-day calendar.
//
// Every route declares the least role it needs (config.opsRole, checked by
// gateway/identity/ops.ts) and the actions are audited (config.audit): viewer reads, operator acts
// on applications, admin loads calendars (and manages credentials, routes/ops-access.ts).

import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FieldMessageKey } from '../../contracts/index.ts';
import { ApplicationId, ApplicationState, ErrorBody, StepId } from '../../contracts/index.ts';
import { CalendarYearDocument } from '../calendar/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails } from '../errors.ts';
import { ClockSummary, MonthlyReport, SlaOverview, monthlyReport, shanghaiMonthRange, slaOverview } from '../sla/reports.ts';
import { buildStatus } from '../status.ts';
import { OPEN_CLOCK_STATES } from '../store/index.ts';

/** Clocks that have started and not finished, as GET /metrics counts them (store contract). */
const OPEN_STATES = [...OPEN_CLOCK_STATES];
const DAY_MS = 86_400_000;

export const opsRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, orchestrator, clock, calendar } = deps;
    const steps = orchestrator.steps.map((s) => s.id);

    /** Clocks still running or paused (a finished clock keeps its final state, e.g. breached). */
    const openClocks = async () => (await store.listClocks({ states: OPEN_STATES })).filter((c) => c.finishedAt === null);

    app.get(
      '/v1/ops/sla',
      {
        config: { opsRole: 'viewer' },
        schema: { tags: ['ops'], summary: 'Live SLA: counts by state, per-department performance (last 30 days), at-risk and breached lists (viewer)', response: { 401: ErrorBody, 403: ErrorBody, 200: SlaOverview } },
      },
      async () => {
        const now = clock.now();
        // [now − 30 days, now] — the end is exclusive in the store, so include this very millisecond.
        const recent = await store.listClocks({ finishedFrom: new Date(now.getTime() - 30 * DAY_MS).toISOString(), finishedTo: new Date(now.getTime() + 1).toISOString() });
        return slaOverview(steps, await openClocks(), recent, now);
      },
    );

    app.get(
      '/v1/ops/applications',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'Applications by SLA state (of one step, or of the overall promise) or by application state (viewer)',
          querystring: z.object({
            sla: z.enum(['on_track', 'at_risk', 'breached', 'paused', 'met']).optional(),
            step: StepId.optional(),
            state: ApplicationState.optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            401: ErrorBody,
            403: ErrorBody,
            200: z.object({
              items: z.array(ClockSummary.extend({ companyName: z.string(), applicationState: ApplicationState })),
            }),
            400: ErrorBody,
          },
        },
      },
      async (request) => {
        const { sla, step, state, limit } = request.query;
        if (!sla && !state) throw new ApiError('REQUEST_INVALID', { details: fieldDetails({ path: 'querystring.sla', key: 'ops.sla_or_state' }) });
        if (!sla) {
          const apps = await store.listApplications({ state: state!, limit });
          const clocks = await Promise.all(apps.map((a) => store.listClocks({ applicationId: a.id, clock: step ?? 'overall' })));
          return {
            items: apps.map((a, i) => {
              const c = clocks[i]![0];
              return { applicationId: a.id, clock: step ?? 'overall', state: c?.state ?? 'not_started', deadline: c?.deadline ?? null, provisional: c?.provisional ?? false, breachedAt: c?.breachedAt ?? null, companyName: a.form.companyName, applicationState: a.state };
            }),
          };
        }
        const clocks = (await store.listClocks({ clock: step ?? 'overall', states: [sla], limit }))
          .sort((a, b) => (a.deadline ?? '').localeCompare(b.deadline ?? ''));
        const items = [];
        for (const c of clocks) {
          const application = await store.getApplication(c.applicationId);
          if (!application || (state && application.state !== state)) continue;
          items.push({ applicationId: c.applicationId, clock: c.clock, state: c.state, deadline: c.deadline, provisional: c.provisional, breachedAt: c.breachedAt, companyName: application.form.companyName, applicationState: application.state });
        }
        return { items };
      },
    );

    app.post(
      '/v1/ops/applications/:id/steps/:step/retry',
      {
        config: { opsRole: 'operator', audit: { action: 'step.retry' } },
        schema: {
          tags: ['ops'],
          summary: 'Send a step that needs attention to its department again (same idempotency key) (operator; audited)',
          params: z.object({ id: ApplicationId, step: StepId }),
          response: { 401: ErrorBody, 403: ErrorBody, 202: z.object({ applicationId: z.string(), step: StepId, state: z.string() }), 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        const { id, step } = request.params;
        if (!steps.includes(step)) throw new ApiError('STEP_UNKNOWN');
        const now = clock.now();
        const outcome = await deps.executor.apply(id, {}, (ctx) => orchestrator.decide(ctx, { type: 'ops.retry', step, at: now.toISOString() }, now));
        if (!outcome.applied) throw new ApiError(outcome.reason === 'not_found' ? 'APPLICATION_NOT_FOUND' : 'STEP_NOT_RETRYABLE');
        request.log.info({ applicationId: id, step, opsCaller: request.opsCaller?.name }, 'ops retried a step');
        const status = buildStatus(outcome.application, await store.listClocks({ applicationId: id }), orchestrator);
        return reply.code(202).send({ applicationId: id, step, state: status.steps.find((s) => s.step === step)!.state });
      },
    );

    app.get(
      '/v1/ops/reports/monthly',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'Per-department monthly report (Asia/Shanghai month): handled, on-time %, median and p90 working hours, breaches, and the ratings (好差评) given in the month. JSON, or CSV with Accept: text/csv (viewer)',
          querystring: z.object({
            month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month.format' satisfies FieldMessageKey),
            format: z.enum(['json', 'csv']).optional().describe('Overrides the Accept header'),
          }),
          produces: ['application/json', 'text/csv'],
          response: { 401: ErrorBody, 403: ErrorBody, 200: MonthlyReport, 400: ErrorBody },
        },
      },
      async (request, reply) => {
        const { month, format } = request.query;
        const range = shanghaiMonthRange(month);
        const finished = await store.listClocks({ finishedFrom: range.from, finishedTo: range.to });
        const open = (await openClocks()).filter((c) => (c.startedAt ?? '') < range.to);
        const report = monthlyReport(month, steps, finished, open, clock.now(), await store.countRatings(range.from, range.to));
        if (format === 'csv' || (format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''))) {
          // Columns are stable; the ratings (好差评) of each department come last.
          const rated = new Map(report.ratings.map((r) => [r.target, r]));
          const csv = stringify(
            report.departments.map((d) => {
              const r = rated.get(d.step);
              return [month, d.step, d.department, d.handled, d.onTime, d.onTimePercent ?? '', d.medianWorkingHours ?? '', d.p90WorkingHours ?? '', d.breaches, d.open, r?.count ?? 0, r?.average ?? '', r?.poor ?? 0, r?.satisfiedPercent ?? ''];
            }),
            {
              header: true,
              columns: ['month', 'step', 'department', 'handled', 'on_time', 'on_time_percent', 'median_working_hours', 'p90_working_hours', 'breaches', 'open', 'ratings', 'average_rating', 'poor_ratings', 'satisfied_percent'],
            },
          );
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="qlt-report-${month}.csv"`)
            .serializer((payload: unknown) => payload as string)
            .send(csv as never);
        }
        return report;
      },
    );

    app.get(
      '/v1/ops/departments',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'Department health: circuit breaker state per department (viewer)',
          response: { 401: ErrorBody, 403: ErrorBody, 200: z.object({ departments: z.array(z.object({ step: StepId, circuit: z.enum(['closed', 'open', 'half_open']), url: z.string() })) }) },
        },
      },
      async () => ({
        departments: steps.map((step) => ({ step, circuit: deps.adapters[step]?.breakerState() ?? 'closed', url: deps.config.departments[step]?.url ?? '' })),
      }),
    );

    const YearParams = z.object({ year: z.coerce.number().int().min(2000).max(2100) });

    app.get(
      '/v1/ops/calendar/:year',
      {
        config: { opsRole: 'viewer' },
        schema: { tags: ['ops'], summary: "A year's holiday and make-up-workday schedule (viewer)", params: YearParams, response: { 401: ErrorBody, 403: ErrorBody, 200: CalendarYearDocument, 404: ErrorBody } },
      },
      async (request) => {
        const document = calendar.get(request.params.year);
        if (!document) throw new ApiError('CALENDAR_YEAR_NOT_LOADED');
        return document;
      },
    );

    app.put(
      '/v1/ops/calendar/:year',
      {
        config: { invalidCode: 'CALENDAR_INVALID', opsRole: 'admin', audit: { action: 'calendar.load' } },
        schema: {
          tags: ['ops'],
          summary: "Load (or replace) a year's schedule at run time; every open deadline is then re-planned in the background (replanned: how many applications were scheduled for it) (admin; audited)",
          params: YearParams,
          body: CalendarYearDocument,
          response: { 401: ErrorBody, 403: ErrorBody, 200: z.object({ year: z.number(), replaced: z.boolean(), replanned: z.number().int() }), 400: ErrorBody },
        },
      },
      async (request) => {
        const { year } = request.params;
        if (request.body.year !== year) {
          throw new ApiError('CALENDAR_INVALID', { details: fieldDetails({ path: 'year', key: 'calendar.year_mismatch', params: { documentYear: request.body.year, year } }) });
        }
        const { replaced, replanScheduled: replanned } = await calendar.put(request.body, clock.now());
        deps.executor.wakeUp();
        request.log.info({ year, replaced, replanned, opsCaller: request.opsCaller?.name }, 'calendar year loaded; open deadlines scheduled for re-planning');
        return { year, replaced, replanned };
      },
    );
  };

