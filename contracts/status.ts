import { z } from 'zod';
import { FieldIssue } from './errors.ts';
import type { FieldMessageKey } from './messages.ts';
import { StepId } from './steps.ts';

// What the applicant (and ops) see of an application: GET /v1/applications/{id}.

/**
 * An application id in a URL. The gateway issues UUIDs; anything outside this alphabet cannot be one,
 * and an encoded NUL (%00) or a broken character must never reach a store (PostgreSQL refuses
 * them with an error, SQLite would just not find them): refused as a 400 on every store alike.
 */
export const ApplicationId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'application_id.format' satisfies FieldMessageKey)
  .describe('The id returned when the application was submitted');

export const SlaState = z.enum(['on_track', 'at_risk', 'breached', 'met', 'paused', 'not_started', 'cancelled']).meta({ id: 'SlaState' });
export type SlaState = z.infer<typeof SlaState>;

export const StepState = z
  .enum(['waiting', 'in_progress', 'done', 'needs_correction', 'needs_attention', 'cancelled'])
  .meta({ id: 'StepState' });
export type StepState = z.infer<typeof StepState>;

export const ApplicationState = z
  .enum(['in_progress', 'needs_correction', 'needs_attention', 'completed', 'withdrawn'])
  .meta({ id: 'ApplicationState' });
export type ApplicationState = z.infer<typeof ApplicationState>;

const IsoTime = z.iso.datetime({ offset: true });

export const SlaView = z
  .object({
    state: SlaState,
    windowWorkingDays: z.number(),
    startedAt: IsoTime.nullable(),
    deadline: IsoTime.nullable().describe('When the window ends, on the working-day calendar'),
    provisional: z.boolean().describe('True when the deadline falls in a year whose holiday schedule is not loaded yet'),
  })
  .meta({ id: 'SlaView' });
export type SlaView = z.infer<typeof SlaView>;

export const StepStatus = z
  .object({
    step: StepId,
    department: z.string(),
    state: StepState,
    startedAt: IsoTime.nullable(),
    finishedAt: IsoTime.nullable(),
    attempts: z
      .number()
      .int()
      .describe("Attempts to send the step's request to its department: every automatic retry, the last failure and the success, over every request (ops retries and corrections included)"),
    reference: z.string().nullable().describe("The department's own reference, once it accepted the request"),
    milestone: z.record(z.string(), z.unknown()).nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    rejection: z.array(FieldIssue).nullable().describe('What the department asks the applicant to correct'),
    problem: z.string().nullable().describe('Why the step needs attention from the service centre'),
    sla: SlaView.nullable(),
  })
  .meta({ id: 'StepStatus' });
export type StepStatus = z.infer<typeof StepStatus>;

export const ApplicationStatus = z
  .object({
    id: z.string(),
    state: ApplicationState,
    companyName: z.string(),
    submittedAt: IsoTime,
    completedAt: IsoTime.nullable(),
    sla: SlaView.describe('The overall 3-working-day promise; paused while the applicant is asked to correct'),
    steps: z.array(StepStatus),
    links: z.object({ self: z.string(), events: z.string(), corrections: z.string(), withdrawal: z.string() }),
  })
  .meta({ id: 'ApplicationStatus' });
export type ApplicationStatus = z.infer<typeof ApplicationStatus>;

export const SubmissionAccepted = z
  .object({
    id: z.string(),
    state: ApplicationState,
    statusUrl: z.string(),
    eventsUrl: z.string(),
    accessToken: z
      .string()
      .optional()
      .describe(
        'Only when submitted without signing in, and only in the answer that created the application: send it as Authorization: Bearer <accessToken> to read, follow, correct or withdraw this application. Shown once, stored only as a hash.',
      ),
  })
  .meta({ id: 'SubmissionAccepted' });
export type SubmissionAccepted = z.infer<typeof SubmissionAccepted>;

/** One entry of GET /v1/applications/{id}/events (server-sent events; `event:` is `type`). */
export const ApplicationEvent = z
  .object({
    seq: z.number().int(),
    applicationId: z.string(),
    type: z.string().describe('e.g. application.submitted, step.started, step.accepted, step.completed, step.rejected, sla.at_risk, application.completed'),
    step: StepId.nullable(),
    at: IsoTime,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ApplicationEvent' });
export type ApplicationEvent = z.infer<typeof ApplicationEvent>;
