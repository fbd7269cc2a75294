// The bridge between the pure machine and durable rows: given the stored application (snapshot +
// SLA clocks) and one event, compute the Transition the store writes atomically. Still pure — the
// store calls `decide` inside its transaction; nothing here performs I/O or reads a clock.

import { createActor, type AnyActorScope } from 'xstate';
import { DEPARTMENT_NAMES, type ApplicationState, type StepId } from '../../contracts/index.ts';
import { cancelClock, checkClock, newClock, pauseClock, replanClock, resumeClock, startClock, stopClock, timerKey, type ClockChange, type ClockPolicy } from '../sla/clocks.ts';
import type { ApplicationContext as StoredContext, Json, NewEffect, NewEvent, SlaClockRow, Transition } from '../store/types.ts';
import {
  MACHINE_SCHEMA_VERSION,
  createApplicationMachine,
  stepPhase,
  type ApplicationContext,
  type ApplicationEvent,
  type ApplicationMachine,
  type ApplicantNotice,
  type StepPhase,
} from './machine.ts';
import { OVERALL_WINDOW_WORKING_DAYS, validateStepDefinitions, type StepDefinition } from './steps.ts';

/** Events from outside the machine: SLA timers and calendar changes (with the schedule they are for). */
export type ClockEvent = { type: 'sla.check'; clock: string } | { type: 'sla.replan'; calendar?: { year: number; fingerprint: string } };
/** Completes an effect whose outcome changes nothing (e.g. a failed poll). */
export type NoopEvent = { type: 'effect.discarded' };
/** Anything the gateway may apply to an application; timers carry one of these in their payload. */
export type GatewayEvent = ApplicationEvent | ClockEvent | NoopEvent;

type Snapshot = ReturnType<ApplicationMachine['resolveState']>;
/** A persisted snapshot with the machine schema version that wrote it (an application row fits). */
export interface StoredSnapshot {
  snapshot: Json;
  snapshotVersion: number;
}

/**
 * Upgrades of persisted snapshots, keyed by the version they upgrade FROM (v → v+1). Bump
 * MACHINE_SCHEMA_VERSION when a machine change alters state names or context, and add the upgrade
 * here; in-flight applications are upgraded when next read.
 */
export const SNAPSHOT_UPGRADES: Readonly<Record<number, (snapshot: Json) => Json>> = {
  // 1 → 2: the step context loses `phase` (the region's state value is the phase).
  1: (snapshot) => {
    const s = snapshot as { context?: { steps?: Record<string, Record<string, Json>> } };
    const steps = Object.fromEntries(
      Object.entries(s.context?.steps ?? {}).map(([id, step]) => {
        const { phase: _phase, ...rest } = step;
        return [id, rest];
      }),
    );
    return { ...(snapshot as object), context: { ...s.context, steps } } as Json;
  },
};

/**
 * The names of effect rows. They are ours — owned by the step definitions, never derived from the
 * machine's internal state paths — so renaming a state cannot orphan an in-flight timer.
 */
export const EFFECT_KEYS = {
  /** The department request of a step (one pending at a time; a correction replaces it). */
  call: (step: StepId) => `call:${step}`,
  /** A poll of an accepted request. */
  poll: (step: StepId) => `poll:${step}`,
  /** The timer that asks for the next poll of an accepted request. */
  pollTimer: (step: StepId) => `timer:poll:${step}`,
  /** The SLA clock's next threshold (at risk, then breached): see sla/clocks.ts. */
  slaTimer: timerKey,
  /** Re-plan the application's deadlines after a calendar change (scheduled by the store for every open one). */
  replan: 'sla:replan',
  /** A text message to the applicant, named by its occasion (a correction of one request, or completion). */
  notice: (notice: ApplicantNotice) => `notify:${notice.notice}:${notice.step ?? 'application'}:${notice.generation}`,
} as const;

/**
 * Effect rows written by an older gateway, read by this one (claimed during a rolling upgrade or
 * after one): the upgrade chain for row names and payloads, like SNAPSHOT_UPGRADES for snapshots.
 * Machine schema 1 stored its poll timer under XState's delayed-event name.
 */
const LEGACY_POLL_TIMER = /^xstate:xstate\.after\.POLL_INTERVAL\.application\.active\.([a-z-]+)\.processing$/;

export function upgradeEffect<E extends { key: string; payload: Json }>(effect: E): E {
  const legacy = LEGACY_POLL_TIMER.exec(effect.key);
  if (legacy) {
    const step = legacy[1] as StepId;
    return { ...effect, key: EFFECT_KEYS.pollTimer(step), payload: { event: { type: 'step.poll_due', step } } };
  }
  return effect;
}

/** Keys an older gateway may have used for what is now `key` (cancelled together with it). */
function legacyKeysOf(key: string): string[] {
  const poll = /^timer:poll:([a-z-]+)$/.exec(key);
  return poll ? [`xstate:xstate.after.POLL_INTERVAL.application.active.${poll[1]}.processing`] : [];
}

/** What one department-call effect asks for (the payload of its outbox row). */
export type CallPayload =
  | { op: 'submit'; step: StepId; generation: number; idempotencyKey: string }
  | { op: 'poll'; step: StepId; generation: number; reference: string };

export interface OrchestratorOptions {
  steps: readonly StepDefinition[];
  /** How often an accepted asynchronous request is polled (wall-clock ms), in case its callback is lost. */
  pollIntervalMs: number;
  clockPolicy: ClockPolicy;
  /** Turn notifyApplicant into notification rows (false: no SMS service configured — nothing to send them with). */
  notifyApplicants?: boolean;
}

/** One step as the status document and the department views see it. */
export interface StepView {
  phase: StepPhase;
  context: ApplicationContext['steps'][StepId];
}

/** A stored application read without running the machine (JSON only): cheap enough for every read. */
export interface ApplicationView {
  state: ApplicationState;
  context: ApplicationContext;
  steps: Partial<Record<StepId, StepView>>;
  /** Results of the steps that are done, which later steps' requests draw on. */
  results: Partial<Record<StepId, Record<string, unknown>>>;
}

export function createOrchestrator(options: OrchestratorOptions) {
  validateStepDefinitions(options.steps);
  const machine = createApplicationMachine(options.steps);
  const windows = new Map<string, number>([['overall', OVERALL_WINDOW_WORKING_DAYS], ...options.steps.map((s) => [s.id, s.windowWorkingDays] as const)]);
  const policy = options.clockPolicy;

  /**
   * XState's pure `transition()` and `initialTransition()` build a throwaway actor for every call,
   * and an actor computes its machine's initial snapshot when it is built — a whole initial
   * transition of all regions, thrown away, at every event (half of the machine's cost). The same
   * purity with one inert actor made once: the machine's own transition step with a scope that
   * collects the actions it would execute, and executes nothing. (No child actors are ever
   * spawned, so one system is enough.)
   */
  const inert = createActor(machine, { input: { applicationId: 'inert', submittedAt: new Date(0).toISOString() } });
  function pure<T>(step: (scope: AnyActorScope) => T): [T, Array<{ type: string; params?: unknown }>] {
    const actions: Array<{ type: string; params?: unknown }> = [];
    const scope = {
      self: inert,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: inert.system,
      emit: () => {},
      actionExecutor: (action: { type: string; params?: unknown }) => void actions.push(action),
    } as unknown as AnyActorScope;
    return [step(scope), actions];
  }

  /**
   * Reads a stored snapshot, first upgrading one written by an older machine version step by step
   * (SNAPSHOT_UPGRADES), so in-flight applications survive a change of the machine.
   */
  function upgraded(stored: StoredSnapshot): { value: unknown; context: ApplicationContext } {
    let json = stored.snapshot;
    if (stored.snapshotVersion > MACHINE_SCHEMA_VERSION) {
      throw new Error(`snapshot version ${stored.snapshotVersion} was written by a newer gateway (this one knows ${MACHINE_SCHEMA_VERSION}); upgrade this instance`);
    }
    for (let version = stored.snapshotVersion; version < MACHINE_SCHEMA_VERSION; version++) {
      const upgrade = SNAPSHOT_UPGRADES[version];
      if (!upgrade) throw new Error(`no upgrade from snapshot version ${version}`);
      json = upgrade(json);
    }
    return json as unknown as { value: unknown; context: ApplicationContext };
  }
  function restore(stored: StoredSnapshot): Snapshot {
    return machine.resolveState(upgraded(stored) as never);
  }

  /** Turns the machine's action objects into rows (see machine.ts header). */
  function interpretActions(
    actions: ReadonlyArray<{ type: string; params?: unknown }>,
    applicationId: string,
    clocks: Map<string, SlaClockRow>,
    now: Date,
  ): { effects: NewEffect[]; cancelKeys: string[]; events: NewEvent[] } {
    const effects: NewEffect[] = [];
    const cancelKeys: string[] = [];
    const events: NewEvent[] = [];
    const at = now.toISOString();
    const applyClock = (change: ClockChange) => {
      clocks.set(change.clock.clock, change.clock);
      effects.push(...change.effects);
      cancelKeys.push(...change.cancelKeys);
      events.push(...change.events);
    };
    const clockRow = (clock: string) =>
      clocks.get(clock) ?? newClock(applicationId, clock, windows.get(clock) ?? 1, clock === 'overall' ? null : DEPARTMENT_NAMES[clock as StepId], policy);

    for (const action of actions) {
      const p = (action.params ?? {}) as Record<string, unknown>;
      switch (action.type) {
        case 'callDepartment': {
          const payload = p as Omit<Extract<CallPayload, { op: 'submit' }>, 'op'>;
          effects.push({ kind: 'department_call', step: payload.step, key: EFFECT_KEYS.call(payload.step), payload: { op: 'submit', ...payload }, dueAt: at });
          break;
        }
        case 'pollDepartment': {
          const payload = p as Omit<Extract<CallPayload, { op: 'poll' }>, 'op'>;
          effects.push({ kind: 'department_call', step: payload.step, key: EFFECT_KEYS.poll(payload.step), payload: { op: 'poll', ...payload }, dueAt: at });
          break;
        }
        case 'startPollTimer': {
          const { step, generation } = p as { step: StepId; generation: number };
          const key = EFFECT_KEYS.pollTimer(step);
          cancelKeys.push(...legacyKeysOf(key));
          effects.push({
            kind: 'timer',
            step,
            key,
            payload: { event: { type: 'step.poll_due', step, generation } },
            dueAt: new Date(now.getTime() + options.pollIntervalMs).toISOString(),
          });
          break;
        }
        case 'stopPollTimer': {
          const key = EFFECT_KEYS.pollTimer(p.step as StepId);
          cancelKeys.push(key, ...legacyKeysOf(key));
          break;
        }
        case 'settleDepartmentCalls': {
          // The store keeps a cancelled department call as a done row with its attempts (one more if
          // it was in flight), so the status still counts what the department got.
          const step = p.step as StepId;
          cancelKeys.push(EFFECT_KEYS.call(step), EFFECT_KEYS.poll(step));
          break;
        }
        case 'cancelDepartmentCalls':
          for (const s of options.steps) {
            const timer = EFFECT_KEYS.pollTimer(s.id);
            cancelKeys.push(EFFECT_KEYS.call(s.id), EFFECT_KEYS.poll(s.id), timer, ...legacyKeysOf(timer));
          }
          break;
        case 'cancelClocks':
          for (const row of [...clocks.values()]) applyClock(cancelClock(row, now, policy));
          break;
        case 'startClock':
          applyClock(startClock(clockRow(p.clock as string), now, policy));
          break;
        case 'stopClock':
          applyClock(stopClock(clockRow(p.clock as string), now, policy));
          break;
        case 'pauseClock':
          applyClock(pauseClock(clockRow(p.clock as string), p.reason as string, now, policy));
          break;
        case 'resumeClock':
          applyClock(resumeClock(clockRow(p.clock as string), p.reason as string, now, policy));
          break;
        case 'notifyApplicant': {
          if (options.notifyApplicants === false) break;
          const notice = p as unknown as ApplicantNotice;
          effects.push({ kind: 'notification', step: notice.step, key: EFFECT_KEYS.notice(notice), payload: { ...notice }, dueAt: at });
          break;
        }
        case 'publish':
          events.push({ type: p.type as string, step: (p.step as StepId | null) ?? null, at, data: (p.data ?? {}) as Json });
          break;
        case 'xstate.raise':
        case 'xstate.cancel':
          // Delayed events would be timers named by XState's state paths: the machine uses none.
          throw new Error(`the machine asked for ${action.type}; use an explicit timer action with a name of ours (machine.ts header)`);
        default:
          // assign and other built-ins are already reflected in the snapshot.
          break;
      }
    }
    return { effects, cancelKeys, events };
  }

  function toTransition(
    snapshot: Snapshot,
    actions: ReadonlyArray<{ type: string; params?: unknown }>,
    applicationId: string,
    clocks: Map<string, SlaClockRow>,
    now: Date,
    knownCreditCode: string | null = null,
  ): Transition {
    const before = new Map(clocks);
    const { effects, cancelKeys, events } = interpretActions(actions, applicationId, clocks, now);
    const context = snapshot.context as ApplicationContext;
    // The credit code is searched for by ops: it goes on the row once the licence is issued.
    const creditCode = (context.steps['business-licence']?.result as { creditCode?: unknown } | null | undefined)?.creditCode;
    return {
      snapshot: machine.getPersistedSnapshot(snapshot) as unknown as Json,
      snapshotVersion: MACHINE_SCHEMA_VERSION,
      state: applicationStateOf(snapshot, options.steps.map((s) => s.id)),
      completedAt: context.completedAt,
      ...(typeof creditCode === 'string' && creditCode !== knownCreditCode ? { creditCode } : {}),
      newEffects: effects,
      cancelEffectKeys: cancelKeys,
      events,
      clocks: [...clocks.values()].filter((c) => before.get(c.clock) !== c),
    };
  }

  return {
    machine,
    steps: options.steps,

    /** The first transition of a new application. */
    start(applicationId: string, submittedAt: Date): Transition {
      const [snapshot, actions] = pure((scope) => machine.getInitialSnapshot(scope, { applicationId, submittedAt: submittedAt.toISOString() }));
      return toTransition(snapshot, actions, applicationId, new Map(), submittedAt);
    },

    /** Applies one event; returns null when the event changes nothing (a duplicate, a stale answer). */
    decide(current: StoredContext, event: GatewayEvent, now: Date): Transition | null {
      if (event.type === 'effect.discarded') return null;
      const clocks = new Map(current.clocks.map((c) => [c.clock, c]));
      if (event.type === 'sla.check' || event.type === 'sla.replan') {
        const targets = event.type === 'sla.check' ? [clocks.get(event.clock)].filter((c) => c !== undefined) : [...clocks.values()];
        const changes = targets.map((c) => (event.type === 'sla.check' ? checkClock(c, now, policy) : replanClock(c, policy)));
        if (changes.length === 0) return null;
        return {
          newEffects: changes.flatMap((c) => c.effects),
          cancelEffectKeys: changes.flatMap((c) => c.cancelKeys),
          events: changes.flatMap((c) => c.events),
          clocks: changes.map((c) => c.clock),
        };
      }
      const snapshot = restore(current.application);
      const [next, actions] = pure((scope) => machine.transition(snapshot, event as ApplicationEvent, scope));
      // Unchanged only if there is nothing to do either: a re-entering transition (the poll timer's
      // `after` with reenter: true) hands back the SAME snapshot object together with actions
      // (cancel + pollDepartment + raise), and dropping those would leave the step unpolled for ever.
      if (actions.length === 0 && (next === snapshot || (JSON.stringify(next.value) === JSON.stringify(snapshot.value) && next.context === snapshot.context))) {
        return null;
      }
      return toTransition(next, actions, current.application.id, clocks, now, current.application.creditCode ?? null);
    },

    /** The machine context of a stored snapshot (for the status document and adapters). */
    contextOf(stored: StoredSnapshot): ApplicationContext {
      return upgraded(stored).context;
    },
    stateOf(stored: StoredSnapshot): ApplicationState {
      return applicationStateOf(upgraded(stored), options.steps.map((s) => s.id));
    },
    /** Everything a read needs from a stored snapshot, without running the machine. */
    view(stored: StoredSnapshot): ApplicationView {
      const snapshot = upgraded(stored);
      const steps: ApplicationView['steps'] = {};
      const results: ApplicationView['results'] = {};
      for (const { id } of options.steps) {
        const context = snapshot.context.steps[id];
        const phase = stepPhase(snapshot, id);
        steps[id] = { phase, context };
        if (phase === 'done' && context?.result) results[id] = context.result;
      }
      return { state: applicationStateOf(snapshot, options.steps.map((s) => s.id)), context: snapshot.context, steps, results };
    },
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;

/** The applicant-facing state, derived from the machine's state and its steps' phases. */
export function applicationStateOf(snapshot: { value: unknown; context: unknown }, steps: readonly StepId[]): ApplicationState {
  if (snapshot.value === 'completed') return 'completed';
  if (snapshot.value === 'withdrawn') return 'withdrawn';
  const phases = steps.map((id) => stepPhase(snapshot, id));
  if (phases.includes('needs_correction')) return 'needs_correction';
  if (phases.includes('needs_attention')) return 'needs_attention';
  return 'in_progress';
}
