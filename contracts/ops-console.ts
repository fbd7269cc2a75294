import { z } from 'zod';
import type { FieldMessageKey } from './messages.ts';
import { ApplicationState, SlaState, StepState } from './status.ts';
import { StepId } from './steps.ts';
import { OPEN_SLA_STATES } from './ops-labels.ts';
import { RatingSummary } from './portal.ts';

// What the ops console (/ops) and the ops API behind it answer (docs/operations.md "The console"):
// the live SLA board, the application list with search, one application's whole story, department
// health, the calendar as a month grid, and the monthly report with its trend. The console's page
// code reads these very schemas and labels (gateway/web/console/), so the page and the API agree.

const IsoTime = z.iso.datetime({ offset: true });

export {
  APPLICATION_STATE_LABELS_ZH,
  OPEN_SLA_STATES,
  SLA_STATE_LABELS_ZH,
  STEP_LABELS_ZH,
  STEP_STATE_LABELS_ZH,
  maskPersonName,
} from './ops-labels.ts';
export const OpenSlaState = z.enum(OPEN_SLA_STATES);

// ── the SLA board ────────────────────────────────────────────────────────────────────────────

export const DepartmentPerformance = z
  .object({
    step: StepId,
    department: z.string(),
    handled: z.number().int().describe('Steps finished in the period'),
    onTime: z.number().int(),
    onTimePercent: z.number().nullable(),
    medianWorkingHours: z.number().nullable(),
    p90WorkingHours: z.number().nullable(),
    breaches: z.number().int().describe('Finished steps that missed their window, plus open steps already past it'),
    open: z.number().int().describe('Steps still running at the time of the report'),
  })
  .meta({ id: 'DepartmentPerformance' });
export type DepartmentPerformance = z.infer<typeof DepartmentPerformance>;

export const ClockSummary = z
  .object({
    applicationId: z.string(),
    clock: z.string().describe('"overall" or a step id'),
    state: SlaState,
    deadline: z.string().nullable(),
    provisional: z.boolean(),
    breachedAt: z.string().nullable(),
  })
  .meta({ id: 'ClockSummary' });

export const BoardClock = ClockSummary.extend({
  companyName: z.string(),
  remainingWorkingHours: z.number().nullable().describe('Working hours left before the deadline, on the working-day calendar (0 once past it)'),
  lateWorkingHours: z.number().nullable().describe('Working hours past the deadline (breached clocks), else null'),
}).meta({ id: 'BoardClock' });
export type BoardClock = z.infer<typeof BoardClock>;

export const BoardDepartment = DepartmentPerformance.extend({
  circuit: z.enum(['closed', 'open', 'half_open']).describe("This instance's circuit breaker for the department"),
  states: z.record(z.string(), z.number().int()).describe('Open clocks of the step by SLA state'),
}).meta({ id: 'BoardDepartment' });

export const SlaOverview = z
  .object({
    generatedAt: z.string(),
    counts: z.record(z.string(), z.record(z.string(), z.number().int())).describe('Open clocks by clock ("overall" or step) and SLA state'),
    departments: z.array(BoardDepartment).describe('Steps finished in the last 30 days, per department, with open work and breaker state'),
    atRisk: z.array(BoardClock).describe('Open clocks at risk, soonest deadline first'),
    breached: z.array(BoardClock).describe('Open clocks past their deadline, oldest deadline first'),
    atRiskTotal: z.number().int().describe('All open clocks at risk (the list shows the first ones)'),
    breachedTotal: z.number().int(),
  })
  .meta({ id: 'SlaOverview' });
export type SlaOverview = z.infer<typeof SlaOverview>;

// ── applications: list, search, needs attention ────────────────────────────────────────────

/** Why a step waits for ops, with the true count of attempts to send it. */
export const StepAttention = z
  .object({
    step: StepId,
    state: StepState,
    problem: z.string().nullable().describe('Why the step needs attention (the last error)'),
    attempts: z.number().int().describe("Attempts to send the step's request to its department, every automatic and ops retry counted"),
    lastError: z.string().nullable().describe('The error of the last failed attempt recorded on the request, if any'),
  })
  .meta({ id: 'StepAttention' });
export type StepAttention = z.infer<typeof StepAttention>;

export const OpsApplicationRow = z
  .object({
    applicationId: z.string(),
    companyName: z.string(),
    creditCode: z.string().nullable(),
    legalRepresentative: z.string().describe("The legal representative's name, masked (张*)"),
    applicationState: ApplicationState,
    submittedAt: IsoTime,
    clock: z.string().describe('The clock the row reports: the step filtered on, else "overall"'),
    state: SlaState.describe("That clock's SLA state"),
    deadline: z.string().nullable(),
    provisional: z.boolean(),
    breachedAt: z.string().nullable(),
    attention: z.array(StepAttention).describe('Steps needing attention or correction, with their last error and attempts'),
  })
  .meta({ id: 'OpsApplicationRow' });
export type OpsApplicationRow = z.infer<typeof OpsApplicationRow>;

export const OpsApplicationPage = z
  .object({
    items: z.array(OpsApplicationRow).describe('Newest first'),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page'),
  })
  .meta({ id: 'OpsApplicationPage' });

export const OPS_APPLICATIONS_PAGE = { default: 50, max: 200 } as const;

// ── one application's whole story ──────────────────────────────────────────────────────────

export const TimelineEntry = z
  .object({
    at: IsoTime,
    kind: z.enum(['event', 'request', 'callback', 'note', 'escalation', 'audit']),
    type: z.string().describe('The event type (step.requested, sla.at_risk …), or the kind again'),
    step: z.string().nullable(),
    summary: z.string().describe('One line in Chinese for the timeline'),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const StoryClock = z
  .object({
    clock: z.string(),
    state: SlaState,
    windowWorkingHours: z.number(),
    startedAt: z.string().nullable(),
    deadline: z.string().nullable(),
    provisional: z.boolean(),
    atRiskAt: z.string().nullable(),
    breachedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationWorkingHours: z.number().nullable(),
    pausedFor: z.array(z.string()),
  })
  .meta({ id: 'StoryClock' });

export const StoryStep = z
  .object({
    step: StepId,
    department: z.string(),
    state: StepState,
    reference: z.string().nullable().describe("The department's own reference"),
    attempts: z.number().int(),
    requests: z.number().int().describe('Requests sent (the first, corrections, ops retries)'),
    problem: z.string().nullable(),
    lastError: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    contacts: z.number().int().describe('Department contacts configured for escalation'),
  })
  .meta({ id: 'StoryStep' });

export const OpsNote = z
  .object({ id: z.string(), at: IsoTime, author: z.string(), authorRole: z.string(), step: StepId.nullable(), text: z.string() })
  .meta({ id: 'OpsNote' });

export const EscalationDelivery = z.object({
  contact: z.string().describe('The contact’s name and masked mobile number'),
  outcome: z.enum(['sent', 'failed']),
  code: z.string().nullable(),
});

export const OpsEscalation = z
  .object({
    id: z.string(),
    at: IsoTime,
    author: z.string(),
    authorRole: z.string(),
    step: StepId,
    note: z.string().nullable(),
    deliveries: z.array(EscalationDelivery),
  })
  .meta({ id: 'OpsEscalation' });

export const StoryAudit = z
  .object({ seq: z.number().int(), at: IsoTime, actor: z.string(), role: z.string(), action: z.string(), step: z.string().nullable(), status: z.number().int(), code: z.string().nullable() })
  .meta({ id: 'StoryAudit' });

export const ApplicationStory = z
  .object({
    applicationId: z.string(),
    companyName: z.string(),
    creditCode: z.string().nullable(),
    legalRepresentative: z.string(),
    state: ApplicationState,
    submittedAt: IsoTime,
    completedAt: IsoTime.nullable(),
    steps: z.array(StoryStep),
    clocks: z.array(StoryClock),
    timeline: z.array(TimelineEntry).describe('Every event, request, callback, note, escalation and ops action, oldest first'),
    notes: z.array(OpsNote),
    escalations: z.array(OpsEscalation),
    audit: z.array(StoryAudit).describe('Ops actions on this application from the audit log, oldest first'),
  })
  .meta({ id: 'ApplicationStory' });
export type ApplicationStory = z.infer<typeof ApplicationStory>;

export const NewOpsNote = z
  .strictObject({
    text: z.string().trim().min(1, 'Write the note').max(2000, 'A note is at most 2000 characters'),
    step: StepId.optional(),
  })
  .meta({ id: 'NewOpsNote' });

export const NewEscalation = z
  .strictObject({ note: z.string().trim().max(500, 'At most 500 characters').optional() })
  .meta({ id: 'NewEscalation' });

// ── departments ────────────────────────────────────────────────────────────────────────────

export const DepartmentHealth = z
  .object({
    step: StepId,
    department: z.string(),
    url: z.string(),
    circuit: z.enum(['closed', 'open', 'half_open']),
    windowMinutes: z.number().describe('The window the rates cover (this instance, since it started if shorter)'),
    requestsPerMinute: z.number(),
    errorRatePercent: z.number().nullable(),
    errorsByKind: z.array(z.object({ kind: z.string(), code: z.string(), count: z.number().int() })),
    latencyMs: z.object({ p50: z.number().nullable(), p90: z.number().nullable() }),
    openWork: z.number().int().describe('Open clocks of the step (requests in progress)'),
    capacity: z.object({
      windowStart: IsoTime.nullable().describe('Start of the current half day (office session)'),
      sent: z.number().int().describe('Requests sent to the department in this half day'),
      perHalfDay: z.number().int().nullable().describe('Configured capacity (DEPARTMENT_CAPACITY), if any'),
    }),
    secrets: z.object({ rotating: z.boolean().describe('A previous secret is still accepted (a change-over is under way)') }),
    contacts: z.number().int(),
  })
  .meta({ id: 'DepartmentHealth' });
export type DepartmentHealth = z.infer<typeof DepartmentHealth>;

// ── calendar as a month grid ─────────────────────────────────────────────────────────────

export const CalendarDayKind = z.enum(['workday', 'weekend', 'holiday', 'makeup_workday']);
export const CalendarDays = z
  .object({
    year: z.number().int(),
    loaded: z.boolean().describe('A schedule is loaded for the year (shipped or by ops)'),
    provisional: z.boolean().describe('No schedule: weekends only, deadlines in it are provisional'),
    source: z.string().nullable(),
    officeHours: z.array(z.object({ start: z.string(), end: z.string() })),
    days: z.array(z.object({ date: z.string(), kind: CalendarDayKind, name: z.string().nullable() })),
    replanPending: z.number().int().describe('Applications whose deadlines still wait to be re-planned after a calendar change'),
  })
  .meta({ id: 'CalendarDays' });

// ── monthly report and trend ─────────────────────────────────────────────────────────────

export const MonthlyReport = z
  .object({
    month: z.string(),
    generatedAt: z.string(),
    departments: z.array(DepartmentPerformance),
    overall: z.object({
      completed: z.number().int(),
      onTime: z.number().int(),
      onTimePercent: z.number().nullable(),
      medianWorkingHours: z.number().nullable(),
      p90WorkingHours: z.number().nullable(),
      breaches: z.number().int().describe('Applications that missed the 3-working-day promise (finished late, or open and past it)'),
      open: z.number().int(),
    }),
    ratings: z.array(RatingSummary).describe('好差评 given in the month: the whole service ("overall") and each department'),
  })
  .meta({ id: 'MonthlyReport' });
export type MonthlyReport = z.infer<typeof MonthlyReport>;

export const ReportTrend = z
  .object({
    months: z.array(z.string()).describe('Oldest first'),
    series: z.array(
      z.object({
        clock: z.string().describe('"overall" or a step id'),
        handled: z.array(z.number().int()),
        onTimePercent: z.array(z.number().nullable()),
        breaches: z.array(z.number().int()),
        medianWorkingHours: z.array(z.number().nullable()),
      }),
    ),
  })
  .meta({ id: 'ReportTrend' });
export type ReportTrend = z.infer<typeof ReportTrend>;

/** Month as YYYY-MM. */
export const MonthString = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month.format' satisfies FieldMessageKey);
