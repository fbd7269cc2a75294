// The ops console (docs/operations.md "The console"): the page at /ops and the API only it adds —
// the live SLA board stream, one application's whole story, notes and escalations, and the calendar
// as days. The board, the lists, reports and department health are in routes/ops.ts; the page reads
// both. Every /v1/ops route declares its role (gateway/identity/ops.ts); actions are audited.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type {
  ESCALATION_SITUATIONS} from '../../contracts/index.ts';
import {
  ApplicationId,
  ApplicationStory,
  CalendarDays,
  ErrorBody,
  NewEscalation,
  NewOpsNote,
  OpsEscalation,
  OpsNote,
  STEP_LABELS_ZH,
  StepId,
  roleAllows,
  type SmsMessage,
} from '../../contracts/index.ts';
import { createBoard } from '../ops/board.ts';
import { createBoardHub } from '../ops/board-hub.ts';
import { applicationStory } from '../ops/story.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { bearerCredential, maskMobile } from '../identity/index.ts';
import { EFFECT_KEYS } from '../orchestration/interpret.ts';
import { consolePage } from '../web/console-page.ts';

const denied = { 401: ErrorBody, 403: ErrorBody };
const IdParams = z.object({ id: ApplicationId });
/** Live board streams one credential may hold open (each is a socket). */
const MAX_STREAMS_PER_CREDENTIAL = 10;

export const opsConsoleRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, orchestrator, clock, calendar, config } = deps;
    const steps = orchestrator.steps.map((s) => s.id);
    const board = createBoard({ store, calendar, clock, steps, adapters: deps.adapters });
    const hub = createBoardHub({ live: deps.live, compute: () => board.compute(), onError: (error) => deps.log.error({ err: error }, 'SLA board: computing failed') });
    app.addHook('preClose', async () => hub.close());
    const streamsOf = new Map<string, number>();

    const page = consolePage();
    app.get('/ops', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

    const loadApplication = async (id: string) => {
      const application = await store.getApplication(id);
      if (!application) throw new ApiError('APPLICATION_NOT_FOUND');
      return application;
    };

    app.get(
      '/v1/ops/sla/stream',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'The SLA board, live (server-sent events, "event: board", data: the GET /v1/ops/sla document), pushed after every change, computed once for every open console (viewer)',
          response: {
            200: { description: 'One "board" event at once and after each change', content: { 'text/event-stream': { schema: z.string() } } },
            ...denied,
            429: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        if (request.method === 'HEAD') {
          reply.hijack();
          reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).end();
          return;
        }
        const caller = request.opsCaller!;
        const open = streamsOf.get(caller.name) ?? 0;
        if (open >= MAX_STREAMS_PER_CREDENTIAL) throw new ApiError('TOO_MANY_EVENT_STREAMS');
        streamsOf.set(caller.name, open + 1);
        const token = bearerCredential(request.headers.authorization)!;
        reply.hijack();
        hub.add({
          raw: reply.raw,
          // A credential revoked (or demoted) while the console is open stops receiving the board.
          stillAllowed: async () => {
            const now = await deps.ops.identify(token);
            return now !== null && roleAllows(now.role, 'viewer');
          },
          onClose: () => {
            const left = (streamsOf.get(caller.name) ?? 1) - 1;
            if (left <= 0) streamsOf.delete(caller.name);
            else streamsOf.set(caller.name, left);
          },
        });
        request.raw.on('close', () => hub.stop(reply.raw));
      },
    );

    app.get(
      '/v1/ops/applications/:id',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: "One application's whole story: a timeline of every event, request, callback, note, escalation and ops action; each clock with its deadline and how it ended; each step with its department reference and true attempts (viewer)",
          params: IdParams,
          response: { 200: ApplicationStory, 404: ErrorBody, 400: ErrorBody, ...denied },
        },
      },
      async (request) => applicationStory(deps, await loadApplication(request.params.id)),
    );

    app.post(
      '/v1/ops/applications/:id/notes',
      {
        config: { opsRole: 'operator', audit: { action: 'application.note' } },
        schema: {
          tags: ['ops'],
          summary: "Add a note to an application's timeline (operator; audited)",
          params: IdParams,
          body: NewOpsNote,
          response: { 201: OpsNote, 400: ErrorBody, 404: ErrorBody, ...denied },
        },
      },
      async (request, reply) => {
        const application = await loadApplication(request.params.id);
        const caller = request.opsCaller!;
        const note = await store.addOpsNote({
          applicationId: application.id,
          at: clock.now().toISOString(),
          author: caller.name,
          authorRole: caller.role,
          step: request.body.step ?? null,
          text: request.body.text,
        });
        return reply.code(201).send({ id: note.id, at: note.at, author: note.author, authorRole: note.authorRole, step: note.step, text: note.text });
      },
    );

    app.post(
      '/v1/ops/applications/:id/steps/:step/escalations',
      {
        config: { opsRole: 'operator', audit: { action: 'application.escalate' } },
        schema: {
          tags: ['ops'],
          summary:
            "Escalate a step to its department's duty contacts (DEPARTMENT_CONTACTS): each is sent a text message through the SMS service; the escalation and each delivery are recorded on the application's timeline (operator; audited)",
          params: IdParams.extend({ step: StepId }),
          body: NewEscalation,
          response: { 201: OpsEscalation, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, ...denied },
        },
      },
      async (request, reply) => {
        const { id, step } = request.params;
        if (!steps.includes(step)) throw new ApiError('STEP_UNKNOWN');
        const application = await loadApplication(id);
        const contacts = config.departmentContacts[step] ?? [];
        if (contacts.length === 0) throw new ApiError('ESCALATION_NO_CONTACT');
        const phase = orchestrator.view(application).steps[step]?.phase;
        const stepClock = (await store.listClocks({ applicationId: id, clock: step }))[0];
        const situation: (typeof ESCALATION_SITUATIONS)[number] =
          phase === 'needs_attention' ? '需人工处理' : stepClock?.state === 'breached' ? '已超过办理时限' : stepClock?.state === 'at_risk' ? '临近办理时限' : '需要协助';
        const deliveries = [];
        for (const contact of contacts) {
          const message: SmsMessage = {
            recipient: contact.mobile,
            template: 'ops_escalation',
            parameters: { companyName: application.form.companyName.slice(0, 100), applicationId: id, step: STEP_LABELS_ZH[step], situation },
          };
          const outcome = deps.sms ? await deps.sms.send(`escalation:${randomUUID()}`, message) : ({ kind: 'failed', code: 'SMS_UNAVAILABLE' } as const);
          deliveries.push({ contact: `${contact.name} ${maskMobile(contact.mobile)}`, outcome: outcome.kind === 'sent' ? ('sent' as const) : ('failed' as const), code: outcome.kind === 'sent' ? null : outcome.code });
        }
        const caller = request.opsCaller!;
        const escalation = await store.addOpsEscalation({
          applicationId: id,
          at: clock.now().toISOString(),
          author: caller.name,
          authorRole: caller.role,
          step,
          note: request.body.note ?? null,
          deliveries,
        });
        request.log.info({ applicationId: id, step, opsCaller: caller.name, sent: deliveries.filter((d) => d.outcome === 'sent').length, failed: deliveries.filter((d) => d.outcome === 'failed').length }, 'ops escalated a step to the department');
        return reply.code(201).send({ id: escalation.id, at: escalation.at, author: escalation.author, authorRole: escalation.authorRole, step, note: escalation.note, deliveries });
      },
    );

    app.get(
      '/v1/ops/calendar/:year/days',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary:
            'Every day of a year as the deadlines count it (workday, weekend, holiday, make-up workday), whether the year is loaded or provisional, the office hours, and how many applications still wait to be re-planned after a calendar change (viewer)',
          params: z.object({ year: z.coerce.number().int().min(2000).max(2100) }),
          response: { 200: CalendarDays, 400: ErrorBody, ...denied },
        },
      },
      async (request) => {
        const { year } = request.params;
        const working = calendar.calendar;
        const days = [];
        for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
          const date = new Date(t).toISOString().slice(0, 10);
          const info = working.dayKind(date);
          days.push({ date, kind: info.kind, name: info.name ?? null });
        }
        return {
          year,
          loaded: working.hasYear(year),
          provisional: !working.hasYear(year),
          source: working.getYear(year)?.source ?? null,
          officeHours: working.officeHours.default.map((s) => ({ start: s.start, end: s.end })),
          days,
          replanPending: await store.countPendingEffectsByKey(EFFECT_KEYS.replan),
        };
      },
    );
  };
