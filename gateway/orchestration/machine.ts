// The life of one application as ONE pure XState v5 machine, generated from the step definitions.
//
// Pure: no I/O here (lint-enforced). The gateway drives it with `transition()` and performs what the
// returned actions ask for, durably (gateway/orchestration/interpret.ts turns them into rows):
//   callDepartment / pollDepartment → outbox rows (department calls with an idempotency key)
//   settleDepartmentCalls           → the step's call and poll still pending are settled: a callback
//                                     answered first, so no retry follows (attempts stay counted)
//   startPollTimer / stopPollTimer  → a timer row named by us ("timer:poll:<step>"), and its delete
//   startClock / stopClock / pauseClock / resumeClock → SLA clock rows
//   publish                         → the application's event stream (SSE)
//   notifyApplicant                 → a notification row (a text message through the SMS service)
// Time enters only through events (`at`), so the machine never reads a clock.
//
// No XState `after` delays: XState names a delayed event after the state path that raised it
// (`xstate.after.POLL_INTERVAL.application.active.<step>.processing`), so a timer row stored under that
// name would be orphaned by renaming a state. Our timers are explicit actions with names we own.
//
// A step's phase (waiting, requested, processing …) is the state of its region and nothing else:
// stepPhase() reads it from the snapshot's value; the context keeps only what the value cannot say.

import { and, assign, not, setup, stateIn } from 'xstate';
import type { FieldIssue, StepId } from '../../contracts/index.ts';
import type { StepDefinition } from './steps.ts';

/**
 * Bumped when a change alters state names or context; interpret.ts upgrades older snapshots.
 * 2: no `phase` in the step context (the region's state is the phase); poll timers are explicit.
 */
export const MACHINE_SCHEMA_VERSION = 2;

/**
 * A text message to the applicant the machine asks for (the gateway sends it as a durable
 * notification effect, through the SMS service). `notice` is the SMS template; step and generation
 * name the occasion, so the same notice is never sent twice for it.
 */
export interface ApplicantNotice {
  notice: 'correction_needed' | 'application_completed';
  step: StepId | null;
  generation: number;
}

export type StepPhase = 'waiting' | 'requested' | 'processing' | 'needs_correction' | 'needs_attention' | 'done' | 'cancelled';

export interface StepContext {
  /** Bumped when a corrected request is sent: a new request, so a new idempotency key. */
  generation: number;
  idempotencyKey: string | null;
  startedAt: string | null;
  acceptedAt: string | null;
  finishedAt: string | null;
  reference: string | null;
  milestone: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  reasons: FieldIssue[] | null;
  problem: string | null;
  /** Requests sent for this step (first, corrections, ops retries). */
  requests: number;
}

export interface ApplicationContext {
  applicationId: string;
  submittedAt: string;
  completedAt: string | null;
  withdrawnAt: string | null;
  steps: Partial<Record<StepId, StepContext>>;
}

interface StepEventBase {
  step: StepId;
  /** Generation of the request this answers; answers to superseded requests are ignored. */
  generation: number;
  at: string;
}

export type ApplicationEvent =
  | ({ type: 'step.completed'; reference: string | null; result: Record<string, unknown> } & StepEventBase)
  | ({ type: 'step.accepted'; reference: string; milestone: Record<string, unknown> | null } & StepEventBase)
  | ({ type: 'step.rejected'; reference: string | null; reasons: FieldIssue[] } & StepEventBase)
  | ({ type: 'step.failed'; problem: string } & StepEventBase)
  /** The poll timer of an accepted request came due (generation absent: whatever request is current). */
  | { type: 'step.poll_due'; step: StepId; generation?: number; at?: string }
  | { type: 'correction.submitted'; at: string; fields: string[] }
  | { type: 'ops.retry'; step: StepId; at: string }
  | { type: 'withdraw'; at: string; reason: string | null };

export interface MachineInput {
  applicationId: string;
  submittedAt: string;
}


export const idempotencyKeyFor = (applicationId: string, step: StepId, generation: number): string =>
  `${applicationId}:${step}:${generation}`;

const newStep = (): StepContext => ({
  generation: 1,
  idempotencyKey: null,
  startedAt: null,
  acceptedAt: null,
  finishedAt: null,
  reference: null,
  milestone: null,
  result: null,
  reasons: null,
  problem: null,
  requests: 0,
});

/** The time of the event that caused this transition; eventless transitions inherit it. */
const timeOf = (event: { type: string } & Partial<{ at: string }>, context: ApplicationContext): string =>
  event.at ?? context.submittedAt;

/** States of a step's region; 'done' is final. */
const STEP_STATES = ['waiting', 'requested', 'processing', 'needs_correction', 'needs_attention', 'done'] as const;

/**
 * The phase of a step, read from a snapshot's value (live or persisted JSON) and its context:
 * the region's state while the application is active; afterwards done or cancelled.
 */
export function stepPhase(snapshot: { value: unknown; context: unknown }, step: StepId): StepPhase {
  const value = snapshot.value as string | { active?: Record<string, string> };
  const context = snapshot.context as ApplicationContext;
  if (typeof value === 'string') {
    if (value === 'completed') return 'done';
    // withdrawn: what was done stays done, the rest was cancelled
    return context.steps[step]?.result ? 'done' : 'cancelled';
  }
  const state = value.active?.[step];
  return (STEP_STATES as readonly string[]).includes(state ?? '') ? (state as StepPhase) : 'waiting';
}

/**
 * Phases of the licence step in which the applicant may NOT withdraw: its request is outstanding (the
 * regulator may still issue the licence — needs_attention included, as the last attempt's fate is
 * unknown) or the licence is issued.
 */
export const WITHDRAWAL_BLOCKED_BY = ['requested', 'processing', 'needs_attention', 'done'] as const satisfies readonly StepPhase[];
/** Of those, the ones that pass once the regulator has answered: "try again later", not "never". */
export const LICENCE_OUTSTANDING: readonly StepPhase[] = ['requested', 'processing', 'needs_attention'];

export function createApplicationMachine(definitions: readonly StepDefinition[]) {
  const stepIds = definitions.map((d) => d.id);

  const base = setup({
    types: {} as { context: ApplicationContext; events: ApplicationEvent; input: MachineInput },
    // Declarations only: the gateway performs these from the returned action objects.
    actions: {
      callDepartment: (_args, _params: { step: StepId; generation: number; idempotencyKey: string }) => {},
      pollDepartment: (_args, _params: { step: StepId; generation: number; reference: string }) => {},
      startClock: (_args, _params: { clock: string }) => {},
      stopClock: (_args, _params: { clock: string }) => {},
      pauseClock: (_args, _params: { clock: string; reason: string }) => {},
      resumeClock: (_args, _params: { clock: string; reason: string }) => {},
      startPollTimer: (_args, _params: { step: StepId; generation: number }) => {},
      stopPollTimer: (_args, _params: { step: StepId }) => {},
      settleDepartmentCalls: (_args, _params: { step: StepId }) => {},
      cancelDepartmentCalls: () => {},
      cancelClocks: () => {},
      publish: (_args, _params: { type: string; step: StepId | null; data: Record<string, unknown> }) => {},
      notifyApplicant: (_args, _params: ApplicantNotice) => {},
    },
  });

  type Ctx = ApplicationContext;
  type Ev = ApplicationEvent;
  const step = (context: Ctx, id: StepId): StepContext => context.steps[id] ?? newStep();
  const patch = (context: Ctx, id: StepId, changes: Partial<StepContext>): Ctx['steps'] => ({
    ...context.steps,
    [id]: { ...step(context, id), ...changes },
  });
  const answers = (id: StepId) => ({ context, event }: { context: Ctx; event: Ev }) =>
    'generation' in event && event.step === id && event.generation === step(context, id).generation;
  /** A step is done exactly when its result is recorded (the region's final state sets both). */
  const isDone = (context: Ctx, id: StepId) => step(context, id).result !== null;

  function region(def: StepDefinition) {
    const id = def.id;
    const depsDone = ({ context }: { context: Ctx }) => def.dependsOn.every((d) => isDone(context, d));

    const sendRequest = [
      assign(({ context, event }: { context: Ctx; event: Ev }) => {
        const current = step(context, id);
        return {
          steps: patch(context, id, {
            idempotencyKey: idempotencyKeyFor(context.applicationId, id, current.generation),
            startedAt: current.startedAt ?? timeOf(event, context),
            reasons: null,
            problem: null,
            requests: current.requests + 1,
          }),
        };
      }),
      {
        type: 'callDepartment' as const,
        params: ({ context }: { context: Ctx }) => ({
          step: id,
          generation: step(context, id).generation,
          idempotencyKey: step(context, id).idempotencyKey!,
        }),
      },
      {
        type: 'publish' as const,
        params: ({ context }: { context: Ctx }) => ({
          type: 'step.requested',
          step: id,
          data: { generation: step(context, id).generation, attempt: step(context, id).requests },
        }),
      },
    ];

    const onCompleted = {
      guard: answers(id),
      target: 'done',
      actions: [
        assign(({ context, event }: { context: Ctx; event: Ev }) => {
          const e = event as Extract<Ev, { type: 'step.completed' }>;
          return {
            steps: patch(context, id, {
              finishedAt: e.at,
              result: e.result,
              reference: e.reference ?? step(context, id).reference,
            }),
          };
        }),
        { type: 'publish' as const, params: ({ event }: { event: Ev }) => ({ type: 'step.completed', step: id, data: { result: (event as Extract<Ev, { type: 'step.completed' }>).result } }) },
      ],
    };
    const onRejected = {
      guard: answers(id),
      target: 'needs_correction',
      actions: [
        assign(({ context, event }: { context: Ctx; event: Ev }) => {
          const e = event as Extract<Ev, { type: 'step.rejected' }>;
          return { steps: patch(context, id, { reasons: e.reasons, reference: e.reference }) };
        }),
        { type: 'publish' as const, params: ({ event }: { event: Ev }) => ({ type: 'step.rejected', step: id, data: { reasons: (event as Extract<Ev, { type: 'step.rejected' }>).reasons } }) },
        // A text message tells the applicant (once per rejected request: the generation names it).
        { type: 'notifyApplicant' as const, params: ({ context }: { context: Ctx }): ApplicantNotice => ({ notice: 'correction_needed', step: id, generation: step(context, id).generation }) },
      ],
    };
    const onFailed = {
      guard: answers(id),
      target: 'needs_attention',
      actions: [
        assign(({ context, event }: { context: Ctx; event: Ev }) => ({
          steps: patch(context, id, { problem: (event as Extract<Ev, { type: 'step.failed' }>).problem }),
        })),
        { type: 'publish' as const, params: ({ event }: { event: Ev }) => ({ type: 'step.needs_attention', step: id, data: { problem: (event as Extract<Ev, { type: 'step.failed' }>).problem } }) },
      ],
    };
    const recordAcceptance = assign(({ context, event }: { context: Ctx; event: Ev }) => {
      const e = event as Extract<Ev, { type: 'step.accepted' }>;
      const current = step(context, id);
      return {
        steps: patch(context, id, {
          reference: e.reference,
          milestone: e.milestone ?? current.milestone,
          acceptedAt: current.acceptedAt ?? e.at,
        }),
      };
    });
    const publishAcceptance = {
      type: 'publish' as const,
      params: ({ event }: { event: Ev }) => {
        const e = event as Extract<Ev, { type: 'step.accepted' }>;
        return { type: 'step.accepted', step: id, data: { reference: e.reference, milestone: e.milestone } };
      },
    };
    const startOwnClock = { type: 'startClock' as const, params: { clock: id } };

    return {
      initial: 'waiting',
      states: {
        waiting: { always: { guard: depsDone, target: 'requested' } },
        requested: {
          entry: def.windowStartsAt === 'requested' ? [...sendRequest, startOwnClock] : sendRequest,
          // Left on the request's own answer, its call is already done. Left on a callback that came
          // first, the call may still be under way or waiting to be retried: it is settled instead.
          exit: { type: 'settleDepartmentCalls' as const, params: { step: id } },
          on: {
            'step.completed': onCompleted,
            'step.accepted': {
              guard: answers(id),
              target: 'processing',
              actions: def.windowStartsAt === 'accepted' ? [recordAcceptance, publishAcceptance, startOwnClock] : [recordAcceptance, publishAcceptance],
            },
            'step.rejected': onRejected,
            'step.failed': onFailed,
          },
        },
        processing: {
          // In case the callback is lost, the department is polled on a durable timer of ours.
          entry: { type: 'startPollTimer' as const, params: ({ context }: { context: Ctx }) => ({ step: id, generation: step(context, id).generation }) },
          exit: [
            { type: 'stopPollTimer' as const, params: { step: id } },
            { type: 'settleDepartmentCalls' as const, params: { step: id } },
          ],
          on: {
            'step.poll_due': {
              guard: ({ context, event }: { context: Ctx; event: Ev }) =>
                event.type === 'step.poll_due' && event.step === id && (event.generation === undefined || event.generation === step(context, id).generation),
              actions: [
                {
                  type: 'pollDepartment' as const,
                  params: ({ context }: { context: Ctx }) => ({ step: id, generation: step(context, id).generation, reference: step(context, id).reference! }),
                },
                { type: 'startPollTimer' as const, params: ({ context }: { context: Ctx }) => ({ step: id, generation: step(context, id).generation }) },
              ],
            },
            'step.completed': onCompleted,
            // A later progress report (e.g. a callback repeating the milestone) updates it in place.
            'step.accepted': { guard: answers(id), actions: [recordAcceptance] },
            'step.rejected': onRejected,
            'step.failed': onFailed,
          },
        },
        needs_correction: {
          entry: { type: 'pauseClock' as const, params: { clock: 'overall', reason: id } },
          exit: { type: 'resumeClock' as const, params: { clock: 'overall', reason: id } },
          on: {
            'correction.submitted': {
              target: 'requested',
              actions: assign(({ context }: { context: Ctx }) => ({
                steps: patch(context, id, { generation: step(context, id).generation + 1, reference: null, milestone: null }),
              })),
            },
          },
        },
        needs_attention: {
          on: {
            'ops.retry': {
              guard: ({ event }: { event: Ev }) => event.type === 'ops.retry' && event.step === id,
              // Same generation, same idempotency key: the department may already have the request.
              target: 'requested',
            },
          },
        },
        done: { type: 'final' as const, entry: { type: 'stopClock' as const, params: { clock: id } } },
      },
    };
  }

  const regions = Object.fromEntries(definitions.map((d) => [d.id, region(d)]));

  return base.createMachine({
    id: 'application',
    context: ({ input }) => ({
      applicationId: input.applicationId,
      submittedAt: input.submittedAt,
      completedAt: null,
      withdrawnAt: null,
      steps: Object.fromEntries(stepIds.map((id) => [id, newStep()])),
    }),
    initial: 'active',
    states: {
      active: {
        type: 'parallel',
        entry: [
          { type: 'publish', params: ({ context }) => ({ type: 'application.submitted', step: null, data: { submittedAt: context.submittedAt } }) },
          { type: 'startClock', params: { clock: 'overall' } },
        ],
        // Generated regions: the config is data, so its precise type is not known statically.
        states: regions as never,
        onDone: 'completed',
        on: {
          // Withdrawal is refused while the licence request is outstanding (the regulator may still
          // issue it, and a licence the gateway dropped would be a company nobody knows about) and
          // once the licence is issued (deregistration is the service centre's business).
          withdraw: {
            // stateIn reads the region's state: the phase, kept in one place (its types are looser than the config's).
            guard: and(WITHDRAWAL_BLOCKED_BY.map((phase) => not(stateIn({ active: { 'business-licence': phase } })))) as never,
            target: 'withdrawn',
          },
        },
      },
      completed: {
        type: 'final',
        entry: [
          // The instant the last step finished (the done event that got here carries no time).
          assign({
            completedAt: ({ context }) =>
              Object.values(context.steps)
                .map((s) => s?.finishedAt ?? context.submittedAt)
                .reduce((latest, t) => (t > latest ? t : latest), context.submittedAt),
          }),
          { type: 'stopClock', params: { clock: 'overall' } },
          { type: 'publish', params: ({ context }) => ({ type: 'application.completed', step: null, data: { completedAt: context.completedAt } }) },
          { type: 'notifyApplicant', params: { notice: 'application_completed', step: null, generation: 0 } satisfies ApplicantNotice },
        ],
      },
      withdrawn: {
        type: 'final',
        entry: [
          assign(({ context, event }) => ({
            withdrawnAt: timeOf(event as { type: string; at?: string }, context),
          })),
          'cancelDepartmentCalls',
          // A withdrawn application neither meets nor breaches anything: its clocks are cancelled.
          'cancelClocks',
          {
            type: 'publish',
            params: ({ event }) => ({ type: 'application.withdrawn', step: null, data: { reason: event.type === 'withdraw' ? event.reason : null } }),
          },
        ],
      },
    },
  });
}

export type ApplicationMachine = ReturnType<typeof createApplicationMachine>;
