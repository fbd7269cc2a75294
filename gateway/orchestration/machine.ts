// The life of one application as ONE pure XState v5 machine, generated from the step definitions.
//
// Pure: no I/O here (lint-enforced). The gateway drives it with `transition()` and performs what the
// returned actions ask for, durably (gateway/orchestration/interpret.ts turns them into rows):
//   callDepartment / pollDepartment → outbox rows (department calls with an idempotency key)
//   xstate.raise with a delay       → timer rows with an absolute due time
//   xstate.cancel                   → deletes of those rows
//   startClock / stopClock / pauseClock / resumeClock → SLA clock rows
//   publish                         → the application's event stream (SSE)
// Time enters only through events (`at`), so the machine never reads a clock.

import { assign, setup } from 'xstate';
import type { FieldIssue, StepId } from '../../contracts/index.ts';
import type { StepDefinition } from './steps.ts';

export const MACHINE_SCHEMA_VERSION = 1;

export type StepPhase = 'waiting' | 'requested' | 'processing' | 'needs_correction' | 'needs_attention' | 'done' | 'cancelled';

export interface StepContext {
  phase: StepPhase;
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
  | { type: 'correction.submitted'; at: string; fields: string[] }
  | { type: 'ops.retry'; step: StepId; at: string }
  | { type: 'withdraw'; at: string; reason: string | null };

export interface MachineInput {
  applicationId: string;
  submittedAt: string;
}

export interface MachineOptions {
  /** How often an accepted asynchronous request is polled (wall-clock ms), in case its callback is lost. */
  pollIntervalMs: number;
}

export const idempotencyKeyFor = (applicationId: string, step: StepId, generation: number): string =>
  `${applicationId}:${step}:${generation}`;

const newStep = (): StepContext => ({
  phase: 'waiting',
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

export function createApplicationMachine(definitions: readonly StepDefinition[], options: MachineOptions) {
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
      cancelDepartmentCalls: () => {},
      cancelClocks: () => {},
      publish: (_args, _params: { type: string; step: StepId | null; data: Record<string, unknown> }) => {},
    },
    delays: { POLL_INTERVAL: options.pollIntervalMs },
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

  function region(def: StepDefinition) {
    const id = def.id;
    const depsDone = ({ context }: { context: Ctx }) => def.dependsOn.every((d) => step(context, d).phase === 'done');

    const sendRequest = [
      assign(({ context, event }: { context: Ctx; event: Ev }) => {
        const current = step(context, id);
        return {
          steps: patch(context, id, {
            phase: 'requested',
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
              phase: 'done',
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
          return { steps: patch(context, id, { phase: 'needs_correction', reasons: e.reasons, reference: e.reference }) };
        }),
        { type: 'publish' as const, params: ({ event }: { event: Ev }) => ({ type: 'step.rejected', step: id, data: { reasons: (event as Extract<Ev, { type: 'step.rejected' }>).reasons } }) },
      ],
    };
    const onFailed = {
      guard: answers(id),
      target: 'needs_attention',
      actions: [
        assign(({ context, event }: { context: Ctx; event: Ev }) => ({
          steps: patch(context, id, { phase: 'needs_attention', problem: (event as Extract<Ev, { type: 'step.failed' }>).problem }),
        })),
        { type: 'publish' as const, params: ({ event }: { event: Ev }) => ({ type: 'step.needs_attention', step: id, data: { problem: (event as Extract<Ev, { type: 'step.failed' }>).problem } }) },
      ],
    };
    const recordAcceptance = assign(({ context, event }: { context: Ctx; event: Ev }) => {
      const e = event as Extract<Ev, { type: 'step.accepted' }>;
      const current = step(context, id);
      return {
        steps: patch(context, id, {
          phase: 'processing',
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
          after: {
            POLL_INTERVAL: {
              target: 'processing',
              reenter: true,
              actions: {
                type: 'pollDepartment' as const,
                params: ({ context }: { context: Ctx }) => ({
                  step: id,
                  generation: step(context, id).generation,
                  reference: step(context, id).reference!,
                }),
              },
            },
          },
          on: {
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
  const licenceDone = ({ context }: { context: Ctx }) => step(context, 'business-licence').phase === 'done';

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
          withdraw: {
            guard: ({ context }) => !licenceDone({ context }),
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
        ],
      },
      withdrawn: {
        type: 'final',
        entry: [
          assign(({ context, event }) => ({
            withdrawnAt: timeOf(event as { type: string; at?: string }, context),
            steps: Object.fromEntries(
              Object.entries(context.steps).map(([id, s]) => [id, s.phase === 'done' ? s : { ...s, phase: 'cancelled' as const }]),
            ),
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
