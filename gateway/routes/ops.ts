// Ops API for the city's service centre: SLA overview, the lists behind it, monthly reports,
// retrying a stuck step, department health, and the working-day calendar.
//
// Every route declares the least role it needs (config.opsRole, checked by
// gateway/identity/ops.ts) and the actions are audited (config.audit): viewer reads, operator acts
// on applications, admin loads calendars (and manages credentials, routes/ops-access.ts).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApplicationId,
  ApplicationState,
  DepartmentHealth,
  ErrorBody,
  MonthString,
  OPS_APPLICATIONS_PAGE,
  OpsApplicationPage,
  SlaState,
  StepId,
  maskPersonName,
  type OpsApplicationRow,
  type StepAttention,
} from '../../contracts/index.ts';
import { CalendarYearDocument } from '../calendar/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails } from '../errors.ts';
import { createBoard } from '../ops/board.ts';
import { createDepartmentHealth } from '../ops/department-health.ts';
import { XLSX_TYPE, reportCsv, reportWorkbook } from '../ops/report-files.ts';
import { ReportTrend } from '../../contracts/index.ts';
import { MonthlyReport, SlaOverview, addMonths, monthlyReport, reportTrend, shanghaiMonthRange } from '../sla/reports.ts';
import { buildStatus, stepAttempts } from '../status.ts';

const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;
const DateText = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'A date YYYY-MM-DD (Asia/Shanghai)');

/** The cursor of GET /v1/ops/applications: the last row's (submittedAt, id), opaque to the client. */
const encodeCursor = (row: { submittedAt: string; id: string }) => Buffer.from(JSON.stringify([row.submittedAt, row.id])).toString('base64url');
function decodeCursor(cursor: string): { submittedAt: string; id: string } {
  try {
    const [submittedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof submittedAt === 'string' && !Number.isNaN(Date.parse(submittedAt)) && typeof id === 'string' && ApplicationId.safeParse(id).success) return { submittedAt, id };
  } catch {
    // fall through
  }
  throw new ApiError('CURSOR_INVALID');
}

export const opsRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, orchestrator, clock, calendar } = deps;
    const steps = orchestrator.steps.map((s) => s.id);

    const board = createBoard({ store, calendar, clock, steps, adapters: deps.adapters });
    const health = createDepartmentHealth({ metrics: deps.metrics, store, calendar, clock, config: deps.config, adapters: deps.adapters, steps });
    health.start();
    app.addHook('onClose', async () => health.stop());

    app.get(
      '/v1/ops/sla',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary:
            'The SLA board: open clocks by state per clock, per department its last 30 days, open work and breaker, the at-risk list (working hours left) and the breached list (how late). Live: GET /v1/ops/sla/stream (viewer)',
          response: { 401: ErrorBody, 403: ErrorBody, 200: SlaOverview },
        },
      },
      async () => board.compute(),
    );

    app.get(
      '/v1/ops/applications',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary:
            'Every application, newest first, with cursor paging: filter by state, SLA state (of a step, else of the overall promise), department, submission date; search by application id, credit code, company name or legal representative name (partial). Rows needing attention say which step, the last error and the attempts (viewer)',
          querystring: z.strictObject({
            q: z.string().trim().max(100).optional().describe('Application id or credit code (exact), or part of the company name or of the legal representative\'s name'),
            state: ApplicationState.optional(),
            sla: SlaState.optional().describe('SLA state of the clock `step` names (else the overall clock)'),
            step: StepId.optional().describe('The department whose clock the rows report and `sla` filters; alone: applications that reached it'),
            from: DateText.optional().describe('Submitted on or after this day'),
            to: DateText.optional().describe('Submitted on or before this day'),
            cursor: z.string().max(400).optional().describe('nextCursor of the previous page'),
            limit: z.coerce.number().int().min(1).max(OPS_APPLICATIONS_PAGE.max).default(OPS_APPLICATIONS_PAGE.default),
          }),
          response: { 401: ErrorBody, 403: ErrorBody, 200: OpsApplicationPage, 400: ErrorBody },
        },
      },
      async (request) => {
        const q = request.query;
        const dayStart = (day: string, plus = 0) => new Date(Date.parse(`${day}T00:00:00.000Z`) - SHANGHAI_MS + plus * DAY_MS).toISOString();
        const hits = await store.searchApplications({
          limit: q.limit + 1,
          ...(q.q ? { text: q.q } : {}),
          ...(q.state ? { state: q.state } : {}),
          ...(q.step ? { clock: q.step } : {}),
          ...(q.sla ? { sla: q.sla } : {}),
          ...(q.from ? { submittedFrom: dayStart(q.from) } : {}),
          ...(q.to ? { submittedTo: dayStart(q.to, 1) } : {}),
          ...(q.cursor ? { after: decodeCursor(q.cursor) } : {}),
        });
        const rows = (q.step && !q.sla ? hits.filter((h) => h.clock !== null) : hits).slice(0, q.limit);
        const more = hits.length > q.limit;
        const attempts = await stepAttempts(store, steps, rows.map((h) => h.application.id));
        const items = rows.map(({ application, legalRepresentativeName, clock: c }): OpsApplicationRow => {
          const view = orchestrator.view(application);
          const tried = attempts.get(application.id) ?? {};
          const attention: StepAttention[] = steps.flatMap((step) => {
            const phase = view.steps[step]?.phase;
            if (phase !== 'needs_attention' && phase !== 'needs_correction') return [];
            const context = view.steps[step]?.context;
            const problem = phase === 'needs_attention' ? (context?.problem ?? null) : (context?.reasons ?? []).map((r) => `${r.path}: ${r.message}`).join('; ') || null;
            return [{ step, state: phase, problem, attempts: tried[step]?.attempts ?? 0, lastError: tried[step]?.lastError ?? null }];
          });
          return {
            applicationId: application.id,
            companyName: application.form.companyName,
            creditCode: application.creditCode,
            legalRepresentative: maskPersonName(legalRepresentativeName),
            applicationState: application.state,
            submittedAt: application.submittedAt,
            clock: q.step ?? 'overall',
            state: c?.state ?? 'not_started',
            deadline: c?.deadline ?? null,
            provisional: c?.provisional ?? false,
            breachedAt: c?.breachedAt ?? null,
            attention,
          };
        });
        // The cursor is the last row the store returned (a step filter may have left rows out after it).
        const last = hits.slice(0, q.limit).at(-1)?.application;
        return { items, nextCursor: more && last ? encodeCursor(last) : null };
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
        const status = buildStatus(outcome.application, await store.listClocks({ applicationId: id }), orchestrator, (await stepAttempts(store, steps, [id])).get(id)!);
        return reply.code(202).send({ applicationId: id, step, state: status.steps.find((s) => s.step === step)!.state });
      },
    );

    async function report(month: string) {
      const range = shanghaiMonthRange(month);
      const [finished, open] = await Promise.all([store.finishedClockStats(range.from, range.to), store.openClockStats(range.to)]);
      return monthlyReport(month, steps, finished, open, clock.now(), await store.countRatings(range.from, range.to));
    }
    async function trend(to: string, months: number) {
      const list = Array.from({ length: months }, (_, i) => addMonths(to, i - months + 1));
      const rows = await store.monthlyClockStats(shanghaiMonthRange(list[0]!).from, shanghaiMonthRange(to).to);
      return reportTrend(list, steps, rows);
    }

    app.get(
      '/v1/ops/reports/monthly',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary:
            'Per-department monthly report (Asia/Shanghai month): handled, on-time %, median and p90 working hours, breaches, open, the overall promise and the ratings (好差评) given in the month. JSON; CSV (UTF-8 with BOM, with the overall row) with Accept: text/csv or format=csv; an Excel workbook with format=xlsx (viewer)',
          querystring: z.object({
            month: MonthString,
            format: z.enum(['json', 'csv', 'xlsx']).optional().describe('Overrides the Accept header'),
          }),
          produces: ['application/json', 'text/csv', XLSX_TYPE],
          response: { 401: ErrorBody, 403: ErrorBody, 200: MonthlyReport, 400: ErrorBody },
        },
      },
      async (request, reply) => {
        const { month, format } = request.query;
        const accept = request.headers.accept ?? '';
        const wanted = format ?? (/\btext\/csv\b/.test(accept) ? 'csv' : accept.includes(XLSX_TYPE) ? 'xlsx' : 'json');
        const result = await report(month);
        if (wanted === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="qlt-report-${month}.csv"`)
            .serializer((payload: unknown) => payload as string)
            .send(reportCsv(result) as never);
        }
        if (wanted === 'xlsx') {
          const workbook = await reportWorkbook(result, await trend(month, 12));
          return reply
            .type(XLSX_TYPE)
            .header('content-disposition', `attachment; filename="qlt-report-${month}.xlsx"`)
            .send(workbook as never);
        }
        return result;
      },
    );

    app.get(
      '/v1/ops/reports/trend',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'Per month up to `to` (Asia/Shanghai), for the overall promise and each department: handled, on-time %, breaches, median working hours (viewer)',
          querystring: z.object({ to: MonthString, months: z.coerce.number().int().min(1).max(36).default(12) }),
          response: { 401: ErrorBody, 403: ErrorBody, 200: ReportTrend, 400: ErrorBody },
        },
      },
      async (request) => trend(request.query.to, request.query.months),
    );

    app.get(
      '/v1/ops/departments',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary:
            "Department health: request rate, error rate and errors by kind, latency (this instance, last 15 minutes), circuit breaker, open work, requests sent this half day against capacity, secret rotation, escalation contacts (viewer)",
          response: { 401: ErrorBody, 403: ErrorBody, 200: z.object({ generatedAt: z.string(), departments: z.array(DepartmentHealth) }) },
        },
      },
      async () => ({ generatedAt: clock.now().toISOString(), departments: await health.report() }),
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

