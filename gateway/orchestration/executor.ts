// The executor: performs the effects the machine asked for and feeds their outcomes back as events.
//
// Effects reach it two ways. (1) Fast path: a transition that writes effects due at once writes them
// already leased to this executor (the store's leaseNewEffects), and they are run straight away —
// no claim, no polling, no second transaction. (2) Claims: due effects that nobody holds (timers
// coming due, retries after a backoff, work written while this executor was full, and the leases of
// an instance that died) are claimed with a lease, on a loop that sleeps until the next due time.
// Either way the outcome is recorded in ONE store transaction that also completes the effect. A
// crash between the department's answer and that transaction means the call is made again — with
// the same idempotency key, so the department returns the same answer and there is still exactly one
// effect and one result.
//
// Transient failures are retried here on durable timers (the effect is rescheduled with backoff),
// not inside the HTTP client: a retry survives a restart, and a department that is down costs rows.

import type { Logger } from 'pino';
import type { StepId } from '../../contracts/index.ts';
import type { CallOutcome, DepartmentAdapter, PriorResults } from '../../services/index.ts';
import { retryDelayMs } from '../../services/index.ts';
import type { Clock } from '../clock.ts';
import type { ApplicationRow, ApplyOptions, ApplyOutcome, CreateOutcome, Effect, LeaseNewEffects, NewApplication, Store, Transition } from '../store/types.ts';
import type { ApplicantNotifier } from '../notifications.ts';
import type { ApplicantNotice, ApplicationEvent } from './machine.ts';
import { upgradeEffect, type CallPayload, type GatewayEvent, type Orchestrator } from './interpret.ts';

export interface ExecutorOptions {
  store: Store;
  orchestrator: Orchestrator;
  adapters: Partial<Record<StepId, DepartmentAdapter>>;
  clock: Clock;
  log: Logger;
  owner: string;
  publicBaseUrl: () => string;
  leaseMs: number;
  /** Effects in flight at most (claimed or handed over). */
  batchSize: number;
  /** Longest idle sleep between looks for due work (other instances may schedule some). */
  idleWaitMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  onEffect?: (kind: string, outcome: string) => void;
  /** Runs before a timer's event is applied (e.g. load the calendar a re-plan was scheduled for). */
  beforeTimer?: (event: GatewayEvent) => Promise<void>;
  /** Sends notification effects (text messages to the applicant); without one they are dropped, logged. */
  notifier?: ApplicantNotifier | null;
}

export type EffectResult = 'applied' | 'rescheduled' | 'skipped';

/** Most effects one transition writes due at once (the licence fans out to three departments). */
const MAX_LEASED_PER_WRITE = 8;

export function createExecutor(options: ExecutorOptions) {
  const { store, orchestrator, clock, log } = options;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  // A wake-up that came while the loop was busy (not asleep): the next sleep returns at once.
  let wokenEarly = false;
  // The loop saw due work it had no room for: a finishing effect should wake it (and only then).
  let starved = false;
  const inFlight = new Set<Promise<unknown>>();

  const freeSlots = () => options.batchSize - inFlight.size;

  /**
   * Runs a store write with as many of its due-now effects leased to this executor as there is room
   * for, and starts them as soon as the write has committed. Without a running executor (tests that
   * drain by hand) nothing is leased: the effects wait for a claim.
   */
  async function write<T extends { leased: Effect[] } | { applied: false }>(
    work: (lease: LeaseNewEffects | undefined) => Promise<T>,
    application: (outcome: T) => ApplicationRow | undefined,
  ): Promise<T> {
    // Not reserved ahead: a write that is waiting for its group commit must not hold slots that other
    // writes could use (most lease none or one). The bound is therefore soft: while below batchSize,
    // a write may take up to MAX_LEASED_PER_WRITE more; at or above it, its effects wait for a claim.
    const room = running && inFlight.size < options.batchSize ? MAX_LEASED_PER_WRITE : 0;
    const outcome = await work(room > 0 ? { owner: options.owner, leaseMs: options.leaseMs, max: room } : undefined);
    const leased = 'leased' in outcome ? outcome.leased : [];
    for (const effect of leased) start(effect, application(outcome));
    // A full executor left due work unleased, or none was leased at all: look for it.
    if (room === 0 || leased.length === room) wakeUp();
    return outcome;
  }

  /** Creates an application with its first transition; its first effects start at once. */
  function create(app: NewApplication, first: Transition): Promise<CreateOutcome> {
    return write((lease) => store.createApplication(app, first, lease ? { leaseNewEffects: lease } : {}), (o) => o.application);
  }

  /** Applies one transition; the effects it writes due at once start at once. */
  function apply(applicationId: string, applyOptions: ApplyOptions, decide: Parameters<Store['apply']>[2]): Promise<ApplyOutcome> {
    return write((lease) => store.apply(applicationId, lease ? { ...applyOptions, leaseNewEffects: lease } : applyOptions, decide), (o) => (o.applied ? o.application : undefined));
  }

  /** Applies an event to an application, serialised per application by the store. */
  async function applyEvent(applicationId: string, event: GatewayEvent, extra: { dedupKey?: string; completesEffect?: Effect } = {}) {
    const now = clock.now();
    return apply(
      applicationId,
      {
        ...(extra.dedupKey ? { dedupKey: extra.dedupKey } : {}),
        ...(extra.completesEffect ? { completesEffect: { id: extra.completesEffect.id, owner: options.owner } } : {}),
      },
      // An effect's outcome must complete the effect even when it changes nothing (a stale answer).
      (current) => orchestrator.decide(current, event, now) ?? (extra.completesEffect ? {} : null),
    );
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

  async function performCall(effect: Effect, known: ApplicationRow | undefined): Promise<EffectResult> {
    const payload = effect.payload as unknown as CallPayload;
    const adapter = options.adapters[payload.step];
    const stepLog = log.child({ applicationId: effect.applicationId, step: payload.step, effect: effect.key });
    if (!adapter) {
      await applyEvent(effect.applicationId, { type: 'step.failed', step: payload.step, generation: payload.generation, at: clock.now().toISOString(), problem: `no adapter configured for ${payload.step}` }, { completesEffect: effect });
      return 'applied';
    }
    let outcome: CallOutcome;
    if (payload.op === 'submit') {
      // The application as the transition that wrote this effect left it (handed over), or as stored.
      const application = known ?? (await store.getApplication(effect.applicationId));
      if (!application) return 'skipped';
      const prior = orchestrator.view(application).results as PriorResults;
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
        const kept = await store.rescheduleEffect(effect.id, options.owner, dueAt, `${outcome.code}: ${outcome.message}`);
        // Not kept: the step was settled meanwhile (a callback came first) or another instance holds
        // the effect now; nothing is retried from here.
        options.onEffect?.('department_call', kept ? 'rescheduled' : 'superseded');
        return kept ? 'rescheduled' : 'skipped';
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
    await applyEvent(effect.applicationId, outcomeToEvent(payload, outcome), { completesEffect: effect });
    options.onEffect?.('department_call', outcome.kind);
    return 'applied';
  }

  /**
   * A text message to the applicant. It changes nothing in the application: whatever happens, the
   * effect is completed by an empty transition — after the message went out, or after the SMS
   * service kept failing for maxAttempts (retried on durable timers like a department call), or at
   * once when it refused the message for good. A lost notice is logged and counted, never fatal.
   */
  async function performNotification(effect: Effect, known: ApplicationRow | undefined): Promise<EffectResult> {
    const notice = effect.payload as unknown as ApplicantNotice;
    const noticeLog = log.child({ applicationId: effect.applicationId, notice: notice.notice, effect: effect.key });
    const done = async (outcome: string) => {
      await applyEvent(effect.applicationId, { type: 'effect.discarded' }, { completesEffect: effect });
      options.onEffect?.('notification', outcome);
      return 'applied' as const;
    };
    if (!options.notifier) {
      noticeLog.warn('no SMS service configured: the applicant was not notified');
      return done('dropped');
    }
    const application = known ?? (await store.getApplication(effect.applicationId));
    if (!application) return done('dropped');
    const outcome = await options.notifier.notify(notice, application);
    if (outcome.kind === 'sent') return done('sent');
    const attempt = effect.attempts + 1;
    if (outcome.transient && attempt < options.maxAttempts) {
      const delay = retryDelayMs(attempt, null, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs });
      await store.rescheduleEffect(effect.id, options.owner, new Date(clock.now().getTime() + delay).toISOString(), outcome.code);
      noticeLog.warn({ code: outcome.code, status: outcome.status, attempt }, 'notice not sent; will retry');
      options.onEffect?.('notification', 'rescheduled');
      return 'rescheduled';
    }
    noticeLog.error({ code: outcome.code, status: outcome.status, attempt }, 'notice not sent; giving up (the applicant sees the change when they next look)');
    return done('failed');
  }

  async function perform(claimed: Effect, known?: ApplicationRow): Promise<EffectResult> {
    // Rows an older gateway wrote are read through the upgrade chain (interpret.ts).
    const effect = upgradeEffect(claimed);
    try {
      if (effect.kind === 'timer') {
        const event = (effect.payload as { event: GatewayEvent }).event;
        await options.beforeTimer?.(event);
        await applyEvent(effect.applicationId, event, { completesEffect: effect });
        options.onEffect?.('timer', 'fired');
        return 'applied';
      }
      if (effect.kind === 'notification') return await performNotification(effect, known);
      return await performCall(effect, known);
    } catch (error) {
      // A store error: leave the effect leased; it runs again when the lease expires.
      log.error({ err: error, applicationId: effect.applicationId, effect: effect.key }, 'effect failed; will retry after the lease expires');
      return 'skipped';
    }
  }

  function start(effect: Effect, known?: ApplicationRow): void {
    const p = perform(effect, known).finally(() => {
      inFlight.delete(p);
      // Room again: claim what was waiting for it — once a quarter of the slots are free, so that a
      // backlog is claimed in batches (one claim transaction for many) rather than one by one.
      if (starved && freeSlots() >= Math.max(1, Math.floor(options.batchSize / 4))) {
        starved = false;
        wakeUp();
      }
    });
    inFlight.add(p);
  }

  /** Claims and performs every effect due now, until none is left (tests with a fake clock use this). */
  async function drain(maxRounds = 1_000): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const claimed = await store.claimDueEffects(options.owner, clock.now().toISOString(), options.leaseMs, options.batchSize);
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((e) => perform(e)));
      total += claimed.length;
    }
    return total;
  }

  function wakeUp() {
    const w = wake;
    wake = null;
    if (w) w();
    else wokenEarly = true;
  }

  function sleep(ms: number): Promise<void> {
    if (wokenEarly) {
      wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function run() {
    while (running) {
      let claimed: Effect[] = [];
      const room = freeSlots();
      try {
        // Look before claiming: a claim is a write transaction, a look is two index reads.
        const next = await store.nextDueAt();
        const now = clock.now();
        const due = next !== null && Date.parse(next) <= now.getTime();
        if (due && room <= 0) starved = true;
        if (room > 0 && due) {
          // Claim only what there is room for: claimed work is leased, and a lease should not tick
          // away while the effect waits in this process behind others.
          claimed = await store.claimDueEffects(options.owner, now.toISOString(), options.leaseMs, room);
        } else if (running) {
          const untilDue = next === null ? options.idleWaitMs : Date.parse(next) - now.getTime();
          await sleep(room > 0 ? Math.min(options.idleWaitMs, untilDue) : options.idleWaitMs);
          continue;
        }
      } catch (error) {
        log.error({ err: error }, 'looking for due effects failed');
        await sleep(options.idleWaitMs);
        continue;
      }
      for (const effect of claimed) start(effect);
      if (claimed.length === 0 && running) await sleep(options.idleWaitMs);
    }
  }

  return {
    create,
    apply,
    applyEvent,
    drain,
    perform,
    /** Nudges an idle loop (new unleased effects were written by this process). */
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
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await store.releaseLeases(options.owner);
    },
  };
}

export type Executor = ReturnType<typeof createExecutor>;
