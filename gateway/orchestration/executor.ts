// The executor: performs the effects the machine asked for and feeds their outcomes back as events.
//
// It claims due effects with a lease (several instances share the work; an instance that dies
// leaves leases that expire and are claimed again), performs each one, and records the outcome
// in ONE store transaction that also completes the effect. A crash between the department's answer
// and that transaction means the call is made again — with the same idempotency key, so the
// department returns the same answer and there is still exactly one effect and one result.
//
// Transient failures are retried here on durable timers (the effect is rescheduled with backoff),
// not inside the HTTP client: a retry survives a restart, and a department that is down costs rows.

import type { Logger } from 'pino';
import type { StepId } from '../../contracts/index.ts';
import type { CallOutcome, DepartmentAdapter, PriorResults } from '../../services/index.ts';
import { retryDelayMs } from '../../services/index.ts';
import type { Clock } from '../clock.ts';
import type { Effect, Store } from '../store/types.ts';
import type { ApplicationEvent } from './machine.ts';
import type { CallPayload, GatewayEvent, Orchestrator } from './interpret.ts';

export interface ExecutorOptions {
  store: Store;
  orchestrator: Orchestrator;
  adapters: Partial<Record<StepId, DepartmentAdapter>>;
  clock: Clock;
  log: Logger;
  owner: string;
  publicBaseUrl: () => string;
  leaseMs: number;
  batchSize: number;
  idleWaitMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Called after every applied transition (SSE wake-ups, metrics). */
  onApplied?: (applicationId: string) => void;
  onEffect?: (kind: string, outcome: string) => void;
}

export type EffectResult = 'applied' | 'rescheduled' | 'skipped';

export function createExecutor(options: ExecutorOptions) {
  const { store, orchestrator, clock, log } = options;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  const inFlight = new Set<Promise<unknown>>();

  /** Applies an event to an application, serialised per application by the store. */
  async function applyEvent(applicationId: string, event: GatewayEvent, extra: { dedupKey?: string; completesEffect?: Effect } = {}) {
    const now = clock.now();
    const outcome = await store.apply(
      applicationId,
      {
        ...(extra.dedupKey ? { dedupKey: extra.dedupKey } : {}),
        ...(extra.completesEffect ? { completesEffect: { id: extra.completesEffect.id, owner: options.owner } } : {}),
      },
      // An effect's outcome must complete the effect even when it changes nothing (a stale answer).
      (current) => orchestrator.decide(current, event, now) ?? (extra.completesEffect ? {} : null),
    );
    if (outcome.applied) {
      options.onApplied?.(applicationId);
      wakeUp();
    }
    return outcome;
  }

  function outcomeToEvent(payload: CallPayload, outcome: Exclude<CallOutcome, { kind: 'failed' }>): ApplicationEvent {
    const base = { step: payload.step, generation: payload.generation, at: clock.now().toISOString() };
    switch (outcome.kind) {
      case 'completed':
        return { type: 'step.completed', ...base, reference: outcome.reference, result: outcome.result };
      case 'accepted':
        return { type: 'step.accepted', ...base, reference: outcome.reference, milestone: outcome.milestone };
      case 'rejected':
        return { type: 'step.rejected', ...base, reference: outcome.reference, reasons: outcome.reasons };
    }
  }

  async function performCall(effect: Effect): Promise<EffectResult> {
    const payload = effect.payload as unknown as CallPayload;
    const adapter = options.adapters[payload.step];
    const stepLog = log.child({ applicationId: effect.applicationId, step: payload.step, effect: effect.key });
    if (!adapter) {
      await applyEvent(effect.applicationId, { type: 'step.failed', step: payload.step, generation: payload.generation, at: clock.now().toISOString(), problem: `no adapter configured for ${payload.step}` }, { completesEffect: effect });
      return 'applied';
    }
    let outcome: CallOutcome;
    if (payload.op === 'submit') {
      const application = await store.getApplication(effect.applicationId);
      if (!application) return 'skipped';
      const context = orchestrator.contextOf(application);
      const prior = Object.fromEntries(
        Object.entries(context.steps).filter(([, s]) => s?.phase === 'done' && s.result).map(([id, s]) => [id, s!.result]),
      ) as PriorResults;
      let data: Record<string, unknown>;
      try {
        data = adapter.buildRequest(application.form, prior) as Record<string, unknown>;
      } catch (error) {
        stepLog.error({ err: error }, 'could not build the department request');
        outcome = { kind: 'failed', transient: false, retryAfterMs: null, code: 'REQUEST_BUILD_FAILED', message: (error as Error).message, status: null };
        return finish(effect, payload, outcome, stepLog);
      }
      outcome = await adapter.submit({
        applicationId: effect.applicationId,
        step: payload.step,
        idempotencyKey: payload.idempotencyKey,
        callbackUrl: `${options.publicBaseUrl()}/v1/departments/${payload.step}/callbacks`,
        data,
      });
    } else {
      outcome = await adapter.poll(payload.reference);
    }
    return finish(effect, payload, outcome, stepLog);
  }

  async function finish(effect: Effect, payload: CallPayload, outcome: CallOutcome, stepLog: Logger): Promise<EffectResult> {
    if (outcome.kind === 'failed') {
      const attempt = effect.attempts + 1;
      stepLog.warn({ code: outcome.code, status: outcome.status, transient: outcome.transient, attempt }, 'department call failed');
      if (outcome.transient && attempt < options.maxAttempts) {
        const delay = retryDelayMs(attempt, outcome.retryAfterMs, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs });
        const dueAt = new Date(clock.now().getTime() + delay).toISOString();
        await store.rescheduleEffect(effect.id, options.owner, dueAt, `${outcome.code}: ${outcome.message}`);
        options.onEffect?.('department_call', 'rescheduled');
        return 'rescheduled';
      }
      if (payload.op === 'poll') {
        // A failed poll changes nothing: the next poll timer (or the callback) will tell.
        await applyEvent(effect.applicationId, { type: 'effect.discarded' }, { completesEffect: effect });
        return 'applied';
      }
      const problem = outcome.transient
        ? `${outcome.code} after ${attempt} attempts: ${outcome.message}`
        : `${outcome.code}: ${outcome.message}`;
      await applyEvent(effect.applicationId, { type: 'step.failed', step: payload.step, generation: payload.generation, at: clock.now().toISOString(), problem }, { completesEffect: effect });
      options.onEffect?.('department_call', 'failed');
      return 'applied';
    }
    stepLog.info({ outcome: outcome.kind, reference: outcome.reference }, 'department answered');
    await applyEvent(effect.applicationId, outcomeToEvent(payload, outcome), { completesEffect: effect });
    options.onEffect?.('department_call', outcome.kind);
    return 'applied';
  }

  async function perform(effect: Effect): Promise<EffectResult> {
    try {
      if (effect.kind === 'timer') {
        const event = (effect.payload as { event: GatewayEvent }).event;
        await applyEvent(effect.applicationId, event, { completesEffect: effect });
        options.onEffect?.('timer', 'fired');
        return 'applied';
      }
      return await performCall(effect);
    } catch (error) {
      // A store error: leave the effect leased; it runs again when the lease expires.
      log.error({ err: error, applicationId: effect.applicationId, effect: effect.key }, 'effect failed; will retry after the lease expires');
      return 'skipped';
    }
  }

  /** Claims and performs every effect due now, until none is left (tests with a fake clock use this). */
  async function drain(maxRounds = 1_000): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const claimed = await store.claimDueEffects(options.owner, clock.now().toISOString(), options.leaseMs, options.batchSize);
      if (claimed.length === 0) break;
      await Promise.all(claimed.map(perform));
      total += claimed.length;
    }
    return total;
  }

  function wakeUp() {
    const w = wake;
    wake = null;
    w?.();
  }

  async function run() {
    while (running) {
      let claimed: Effect[] = [];
      try {
        // Claim only what there is room for: claimed work is leased, and a lease should not tick away
        // while the effect waits in this process behind others.
        claimed = await store.claimDueEffects(options.owner, clock.now().toISOString(), options.leaseMs, options.batchSize - inFlight.size);
      } catch (error) {
        log.error({ err: error }, 'claiming effects failed');
      }
      for (const effect of claimed) {
        const p = perform(effect).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      // Bounded concurrency: wait for room before claiming more.
      while (inFlight.size >= options.batchSize) await Promise.race(inFlight);
      if (claimed.length === 0 && running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.idleWaitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  return {
    applyEvent,
    drain,
    perform,
    /** Nudges an idle loop (new effects were written by this process). */
    wakeUp,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Graceful stop: no new claims, wait for what is in flight, release the rest. */
    async stop() {
      running = false;
      wakeUp();
      await loop;
      await Promise.allSettled([...inFlight]);
      await store.releaseLeases(options.owner);
    },
  };
}

export type Executor = ReturnType<typeof createExecutor>;
