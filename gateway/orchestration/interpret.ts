// The bridge between the pure machine and durable rows: given the stored application (snapshot +
// SLA clocks) and one event, compute the Transition the store writes atomically. Still pure — the
// store calls `decide` inside its transaction; nothing here performs I/O or reads a clock.

import { initialTransition, transition } from 'xstate';
import { DEPARTMENT_NAMES, type ApplicationState, type StepId } from '../../contracts/index.ts';
import { cancelClock, checkClock, newClock, pauseClock, replanClock, resumeClock, startClock, stopClock, type ClockChange, type ClockPolicy } from '../sla/clocks.ts';
import type { ApplicationContext as StoredContext, Json, NewEffect, NewEvent, SlaClockRow, Transition } from '../store/types.ts';
import {
  MACHINE_SCHEMA_VERSION,
  createApplicationMachine,
  type ApplicationContext,
  type ApplicationEvent,
  type ApplicationMachine,
  type MachineOptions,
} from './machine.ts';
import { OVERALL_WINDOW_WORKING_DAYS, validateStepDefinitions, type StepDefinition } from './steps.ts';

/** Events from outside the machine: SLA timers and calendar changes. */
export type ClockEvent = { type: 'sla.check'; clock: string } | { type: 'sla.replan' };
/** Completes an effect whose outcome changes nothing (e.g. a failed poll). */
export type NoopEvent = { type: 'effect.discarded' };
/** Anything the gateway may apply to an application; delayed machine events come back from timers as-is. */
export type GatewayEvent = ApplicationEvent | ClockEvent | NoopEvent | { type: `xstate.after.${string}` };

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
export const SNAPSHOT_UPGRADES: Readonly<Record<number, (snapshot: Json) => Json>> = {};

/** What one department-call effect asks for (the payload of its outbox row). */
export type CallPayload =
  | { op: 'submit'; step: StepId; generation: number; idempotencyKey: string }
  | { op: 'poll'; step: StepId; generation: number; reference: string };

export interface OrchestratorOptions extends MachineOptions {
  steps: readonly StepDefinition[];
  clockPolicy: ClockPolicy;
}

export function createOrchestrator(options: OrchestratorOptions) {
  validateStepDefinitions(options.steps);
  const machine = createApplicationMachine(options.steps, options);
  const windows = new Map<string, number>([['overall', OVERALL_WINDOW_WORKING_DAYS], ...options.steps.map((s) => [s.id, s.windowWorkingDays] as const)]);
  const policy = options.clockPolicy;

  /**
   * Reads a stored snapshot, first upgrading one written by an older machine version step by step
   * (SNAPSHOT_UPGRADES), so in-flight applications survive a change of the machine.
   */
  function restore(stored: StoredSnapshot): Snapshot {
    let json = stored.snapshot;
    if (stored.snapshotVersion > MACHINE_SCHEMA_VERSION) {
      throw new Error(`snapshot version ${stored.snapshotVersion} was written by a newer gateway (this one knows ${MACHINE_SCHEMA_VERSION}); upgrade this instance`);
    }
    for (let version = stored.snapshotVersion; version < MACHINE_SCHEMA_VERSION; version++) {
      const upgrade = SNAPSHOT_UPGRADES[version];
      if (!upgrade) throw new Error(`no upgrade from snapshot version ${version}`);
      json = upgrade(json);
    }
    return machine.resolveState(json as never);
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
          effects.push({ kind: 'department_call', step: payload.step, key: `call:${payload.step}`, payload: { op: 'submit', ...payload }, dueAt: at });
          break;
        }
        case 'pollDepartment': {
          const payload = p as Omit<Extract<CallPayload, { op: 'poll' }>, 'op'>;
          effects.push({ kind: 'department_call', step: payload.step, key: `poll:${payload.step}`, payload: { op: 'poll', ...payload }, dueAt: at });
          break;
        }
        case 'cancelDepartmentCalls':
          for (const s of options.steps) cancelKeys.push(`call:${s.id}`, `poll:${s.id}`);
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
        case 'publish':
          events.push({ type: p.type as string, step: (p.step as StepId | null) ?? null, at, data: (p.data ?? {}) as Json });
          break;
        case 'xstate.raise': {
          // Delayed events become timer rows with an absolute due time; XState does not persist them.
          if (typeof p.delay === 'number') {
            effects.push({
              kind: 'timer',
              step: null,
              key: `xstate:${String(p.id)}`,
              payload: { event: p.event as Json },
              dueAt: new Date(now.getTime() + p.delay).toISOString(),
            });
          }
          break;
        }
        case 'xstate.cancel':
          cancelKeys.push(`xstate:${String(p.sendId)}`);
          break;
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
  ): Transition {
    const before = new Map(clocks);
    const { effects, cancelKeys, events } = interpretActions(actions, applicationId, clocks, now);
    const context = snapshot.context as ApplicationContext;
    return {
      snapshot: machine.getPersistedSnapshot(snapshot) as unknown as Json,
      snapshotVersion: MACHINE_SCHEMA_VERSION,
      state: applicationStateOf(snapshot),
      completedAt: context.completedAt,
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
      const [snapshot, actions] = initialTransition(machine, { applicationId, submittedAt: submittedAt.toISOString() });
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
      const [next, actions] = transition(machine, snapshot, event as ApplicationEvent);
      // Unchanged only if there is nothing to do either: a re-entering transition (the poll timer's
      // `after` with reenter: true) hands back the SAME snapshot object together with actions
      // (cancel + pollDepartment + raise), and dropping those would leave the step unpolled for ever.
      if (actions.length === 0 && (next === snapshot || (JSON.stringify(next.value) === JSON.stringify(snapshot.value) && next.context === snapshot.context))) {
        return null;
      }
      return toTransition(next, actions, current.application.id, clocks, now);
    },

    /** The machine context of a stored snapshot (for the status document and adapters). */
    contextOf(stored: StoredSnapshot): ApplicationContext {
      return restore(stored).context as ApplicationContext;
    },
    stateOf(stored: StoredSnapshot): ApplicationState {
      return applicationStateOf(restore(stored));
    },
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;

/** The applicant-facing state, derived from the machine's state and its steps. */
export function applicationStateOf(snapshot: { value: unknown; context: unknown }): ApplicationState {
  if (snapshot.value === 'completed') return 'completed';
  if (snapshot.value === 'withdrawn') return 'withdrawn';
  const phases = Object.values((snapshot.context as ApplicationContext).steps).map((s) => s?.phase);
  if (phases.includes('needs_correction')) return 'needs_correction';
  if (phases.includes('needs_attention')) return 'needs_attention';
  return 'in_progress';
}
