// The what-if simulator's loop: the REAL orchestration (gateway/orchestration/interpret.ts — the
// XState machine, the step DAG, the SLA clocks on the working-day calendar) driven on a virtual clock,
// with simulated departments (departments.ts) answering through the same events the HTTP answers and
// callbacks produce. A month of applications runs in seconds because nothing is written anywhere:
// where the gateway keeps rows (the application's snapshot, its clocks, its pending effects) this loop
// keeps the same rows in memory, and where the executor claims due effects this loop pops them from an
// agenda ordered by due time.
//
// What this loop does itself is what the store and the executor do, no more: apply a transition as
// the store applies it (complete the effect, cancel keys, replace effects by key, write clocks),
// perform a department call through the department model, retry a transient failure as the executor
// does (its retryDelayMs with full jitter, up to maxAttempts, then step.failed; a failed poll is
// discarded), deliver callbacks, and play the people: the applicant who corrects (or withdraws) after
// a delay, ops who retry a step that needs attention. test/simulation/equivalence.test.ts runs a
// scenario through this loop and through the real executor and SQLite store on a fake clock and
// compares every clock.
//
// One shortcut, exact for the clocks: a poll that can only answer "still processing" is not made —
// the poll timer moves to the first instant of its chain (due + k × pollInterval) at or after the
// department finishes (the callback, when it is not lost, cancels it before). Polling every 30 s for
// a seal engraved over a weekend would otherwise be thousands of no-op transitions per application.

import type { SimulationReport, StepId } from '../../contracts/index.ts';
import { retryDelayMs, type CallOutcome } from '../../services/index.ts';
import { createOrchestrator, type CallPayload, type GatewayEvent } from '../orchestration/interpret.ts';
import type { ApplicationEvent } from '../orchestration/machine.ts';
import type { ApplicationRow, EffectKind, Json, NewEvent, SlaClockRow, Transition } from '../store/types.ts';
import { createSimulatedDepartments, type Finished, type Job } from './departments.ts';
import { Agenda } from './heap.ts';
import { draw, sampleMinutes, stream, type Random } from './random.ts';
import { createCollector } from './report.ts';
import type { ResolvedScenario } from './scenario.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface SimulateOptions {
  /** Skip polls that can only answer "still processing" (default true; false makes every poll, for tests). */
  elidePolls?: boolean;
  /** Keep every application's final clock rows (tests compare them with the executor's). */
  keepClocks?: boolean;
  /** performance.now() after which the run gives up (SimulationTimeout). */
  deadline?: number;
}

export interface SimulationOutcome {
  report: SimulationReport;
  /** With keepClocks: every clock row at the end, by application id. */
  clocks?: Map<string, SlaClockRow[]>;
}

export class SimulationTimeout extends Error {
  constructor() {
    super('the simulation did not finish in its time limit');
    this.name = 'SimulationTimeout';
  }
}

/** The application ids the simulation gives, in submission order (the executor driver uses the same). */
export const simulatedApplicationId = (index: number): string => `sim-${String(index + 1).padStart(5, '0')}`;

interface PendingEffect {
  key: string;
  kind: EffectKind;
  step: StepId | null;
  payload: Json;
  dueAt: number;
  attempts: number;
  /** A call waiting for its answer (a timeout comes back after timeoutMs). */
  inFlight: boolean;
}

interface SimApplication {
  id: string;
  row: Pick<ApplicationRow, 'id' | 'snapshot' | 'snapshotVersion' | 'state' | 'completedAt' | 'creditCode'>;
  clocks: Map<string, SlaClockRow>;
  effects: Map<string, PendingEffect>;
  /** A correction (or withdrawal) is on its way from the applicant. */
  applicantActing: boolean;
  rejections: number;
  attentions: number;
  ended: boolean;
}

type Item =
  | { at: number; seq: number; kind: 'arrival' }
  | { at: number; seq: number; kind: 'effect'; app: SimApplication; effect: PendingEffect }
  | { at: number; seq: number; kind: 'answer'; app: SimApplication; effect: PendingEffect; outcome: CallOutcome }
  | { at: number; seq: number; kind: 'person'; app: SimApplication; event: ApplicationEvent }
  | { at: number; seq: number; kind: 'sample' };

/** retryDelayMs as the executor computes it, with its jitter drawn from a seeded stream instead of Math.random. */
export function seededRetryDelay(attempt: number, retryAfterMs: number | null, policy: { baseMs: number; maxMs: number }, random: Random): number {
  const original = Math.random;
  Math.random = random; // synchronous: nothing else runs until it is put back
  try {
    return retryDelayMs(attempt, retryAfterMs, policy);
  } finally {
    Math.random = original;
  }
}

export function runSimulation(resolved: ResolvedScenario, options: SimulateOptions = {}): SimulationOutcome {
  const wallStart = performance.now();
  const { scenario, gateway, office } = resolved;
  const seed = scenario.seed;
  const elide = options.elidePolls ?? true;
  const orchestrator = createOrchestrator({
    steps: resolved.steps,
    pollIntervalMs: gateway.pollIntervalMs,
    clockPolicy: { calendar: office, atRiskFraction: gateway.atRiskFraction },
    // Text messages to applicants change no clock: the simulation sends none.
    notifyApplicants: false,
  });
  const collector = createCollector(resolved);
  const agenda = new Agenda<Item>();
  let seq = 0;
  type Unscheduled = Item extends infer I ? (I extends Item ? Omit<I, 'seq'> : never) : never;
  const schedule = (item: Unscheduled) => agenda.push({ ...item, seq: ++seq } as Item);
  const apps = new Map<string, SimApplication>();
  const kept = options.keepClocks ? new Map<string, SlaClockRow[]>() : undefined;
  const parked = new Map<string, { app: SimApplication; effect: PendingEffect; origin: number }>();
  const counts = { submitted: 0, completed: 0, withdrawn: 0, transitions: 0, calls: 0 };
  let now = resolved.period.start;
  const iso = () => new Date(now).toISOString();

  const departments = createSimulatedDepartments({
    seed,
    departments: resolved.steps.map((s) => ({ step: s.id, spec: scenario.departments[s.id]!, sessions: resolved.sessions[s.id]! })),
    years: resolved.years,
    office,
    period: resolved.period,
    // A poll parked on a queued job: its finish time is known now.
    onStart: (job) => {
      const p = parked.get(job.reference);
      if (!p) return;
      parked.delete(job.reference);
      if (p.app.effects.get(p.effect.key) !== p.effect) return;
      p.effect.dueAt = nextPoll(p.origin, job.finishAt!);
      schedule({ at: p.effect.dueAt, kind: 'effect', app: p.app, effect: p.effect });
    },
  });
  const nextPoll = (origin: number, finishAt: number) => origin + Math.max(1, Math.ceil((finishAt - origin) / gateway.pollIntervalMs)) * gateway.pollIntervalMs;

  // ── the store's side: apply a transition to the in-memory rows ─────────────────────────────────
  function write(app: SimApplication, transition: Transition): void {
    counts.transitions++;
    const fresh = transition.newEffects ?? [];
    for (const key of [...(transition.cancelEffectKeys ?? []), ...fresh.map((e) => e.key)]) app.effects.delete(key);
    for (const e of fresh) {
      const effect: PendingEffect = { key: e.key, kind: e.kind, step: e.step, payload: e.payload, dueAt: Math.max(now, Date.parse(e.dueAt)), attempts: 0, inFlight: false };
      app.effects.set(e.key, effect);
      schedule({ at: effect.dueAt, kind: 'effect', app, effect });
    }
    if (transition.snapshot !== undefined) app.row.snapshot = transition.snapshot;
    if (transition.snapshotVersion !== undefined) app.row.snapshotVersion = transition.snapshotVersion;
    if (transition.state !== undefined) app.row.state = transition.state;
    if (transition.completedAt !== undefined) app.row.completedAt = transition.completedAt;
    if (transition.creditCode !== undefined) app.row.creditCode = transition.creditCode;
    for (const c of transition.clocks ?? []) {
      collector.clock(app.clocks.get(c.clock), c);
      app.clocks.set(c.clock, c);
    }
    for (const event of transition.events ?? []) published(app, event);
    if (app.row.state === 'completed' || app.row.state === 'withdrawn') app.ended = true;
  }

  /** Applies an event as store.apply does; `completes` is the effect whose outcome it is (it must still be pending). */
  function apply(app: SimApplication, event: GatewayEvent, completes?: PendingEffect): boolean {
    if (completes && app.effects.get(completes.key) !== completes) return false;
    const transition = orchestrator.decide({ application: app.row as ApplicationRow, clocks: [...app.clocks.values()] }, event, new Date(now));
    if (transition === null && !completes) return false;
    if (completes) app.effects.delete(completes.key);
    write(app, transition ?? {});
    return true;
  }

  // ── the people around the gateway ────────────────────────────────────────────────────────────
  function published(app: SimApplication, event: NewEvent): void {
    if (event.type === 'step.rejected' && !app.applicantActing) {
      // One answer covers every step waiting on the applicant (the machine resends them all).
      app.applicantActing = true;
      const n = ++app.rejections;
      const corrects = draw(seed, 'applicant', app.id, n) < scenario.corrections.share;
      const delay = sampleMinutes(scenario.corrections.delay, stream(seed, 'applicant-delay', app.id, n)) * MINUTE_MS;
      schedule({
        at: now + delay,
        kind: 'person',
        app,
        event: corrects ? { type: 'correction.submitted', at: '', fields: [] } : { type: 'withdraw', at: '', reason: 'the applicant gave up (simulated)' },
      });
    } else if (event.type === 'step.needs_attention' && event.step) {
      const n = ++app.attentions;
      const minutes = sampleMinutes(scenario.ops.retryAfter, stream(seed, 'ops', app.id, n));
      const at = office.addWorkingTime(new Date(now), Math.round(minutes * MINUTE_MS)).at.getTime();
      schedule({ at, kind: 'person', app, event: { type: 'ops.retry', step: event.step, at: '' } });
    }
  }

  // ── the executor's side: perform due effects ─────────────────────────────────────────────────
  function perform(app: SimApplication, effect: PendingEffect): void {
    if (effect.kind === 'notification') {
      apply(app, { type: 'effect.discarded' }, effect);
      return;
    }
    if (effect.kind === 'timer') {
      const event = (effect.payload as { event: GatewayEvent }).event;
      if (elide && event.type === 'step.poll_due') {
        const generation = event.generation ?? orchestrator.contextOf(app.row).steps[event.step]?.generation ?? 1;
        const job = departments.job(app.id, event.step, generation);
        if (job && !job.finished) {
          if (job.finishAt !== null) {
            effect.dueAt = nextPoll(now, job.finishAt);
            schedule({ at: effect.dueAt, kind: 'effect', app, effect });
          } else {
            parked.set(job.reference, { app, effect, origin: now });
          }
          return;
        }
      }
      apply(app, event, effect);
      return;
    }
    const payload = effect.payload as unknown as CallPayload;
    counts.calls++;
    const outcome =
      payload.op === 'submit' ? departments.submit(app.id, payload.step, payload.generation, now) : departments.poll(payload.reference, now);
    if (outcome.kind === 'failed' && outcome.code === 'DEPARTMENT_TIMEOUT') {
      // No answer until the gateway's timeout: the call is in flight until then.
      effect.inFlight = true;
      schedule({ at: now + gateway.timeoutMs, kind: 'answer', app, effect, outcome });
      return;
    }
    finish(app, effect, payload, outcome);
  }

  /** What the executor does with a call's outcome (executor.ts finish()). */
  function finish(app: SimApplication, effect: PendingEffect, payload: CallPayload, outcome: CallOutcome): void {
    effect.inFlight = false;
    if (outcome.kind === 'failed') {
      const attempt = effect.attempts + 1;
      if (outcome.transient && attempt < gateway.maxAttempts) {
        if (app.effects.get(effect.key) !== effect) return; // cancelled meanwhile: nothing to reschedule
        const random = stream(seed, 'retry', app.id, effect.key, payload.generation, attempt);
        effect.attempts = attempt;
        effect.dueAt = now + seededRetryDelay(attempt, outcome.retryAfterMs, { baseMs: gateway.retryBaseMs, maxMs: gateway.retryMaxMs }, random);
        schedule({ at: effect.dueAt, kind: 'effect', app, effect });
        return;
      }
      if (payload.op === 'poll') {
        apply(app, { type: 'effect.discarded' }, effect);
        return;
      }
      const problem = outcome.transient ? `${outcome.code} after ${attempt} attempts: ${outcome.message}` : `${outcome.code}: ${outcome.message}`;
      apply(app, { type: 'step.failed', step: payload.step, generation: payload.generation, at: iso(), problem }, effect);
      return;
    }
    const base = { step: payload.step, generation: payload.generation, at: iso() };
    const event: ApplicationEvent =
      outcome.kind === 'completed'
        ? { type: 'step.completed', ...base, reference: outcome.reference, result: outcome.result }
        : outcome.kind === 'accepted'
          ? { type: 'step.accepted', ...base, reference: outcome.reference, milestone: outcome.milestone }
          : { type: 'step.rejected', ...base, reference: outcome.reference, reasons: outcome.reasons };
    apply(app, event, effect);
  }

  /** A department finished a job: its callback (unless lost). */
  function delivered(f: Finished): void {
    const app = apps.get(f.job.applicationId);
    if (!app || f.job.lost) return;
    apply(app, callbackEvent(f.job));
  }
  const callbackEvent = (job: Job): ApplicationEvent => {
    const base = { step: job.step, generation: job.generation, at: iso(), reference: job.reference };
    return job.reject
      ? { type: 'step.rejected', ...base, reasons: [{ path: 'simulated', message: 'sent back for correction (simulated)' }] }
      : { type: 'step.completed', ...base, result: { simulated: true } };
  };

  /** An application that has ended and has nothing pending leaves memory. */
  function retire(app: SimApplication): void {
    if (!app.ended || app.effects.size > 0 || !apps.has(app.id)) return;
    apps.delete(app.id);
    if (app.row.state === 'completed') counts.completed++;
    else counts.withdrawn++;
    kept?.set(app.id, [...app.clocks.values()]);
    const context = orchestrator.contextOf(app.row);
    departments.forget(app.id, resolved.steps.map((s) => s.id), (step) => context.steps[step]?.generation ?? 1);
  }

  // ── the loop ────────────────────────────────────────────────────────────────────────────────
  let nextArrival = 0;
  const arrive = () => {
    if (nextArrival < resolved.arrivals.length) schedule({ at: resolved.arrivals[nextArrival]!, kind: 'arrival' });
  };
  arrive();
  schedule({ at: resolved.period.start, kind: 'sample' });
  const sampleMs = scenario.sampleEveryMinutes * MINUTE_MS;
  const limit = resolved.period.end + 60 * DAY_MS;
  let drained = true;
  let lastWork = resolved.period.start;

  for (let iteration = 0; ; iteration++) {
    if (options.deadline !== undefined && (iteration & 1023) === 0 && performance.now() > options.deadline) throw new SimulationTimeout();
    const a = agenda.peek()?.at ?? Infinity;
    const d = departments.nextAt() ?? Infinity;
    const t = Math.min(a, d);
    if (t === Infinity) break;
    if (t > limit) {
      drained = false;
      break;
    }
    now = Math.max(now, t);
    if (d <= a) {
      lastWork = now;
      for (const f of departments.advance(now)) delivered(f);
      continue;
    }
    const item = agenda.pop()!;
    if (item.kind === 'sample') {
      collector.sample(now, departments);
      // Keep sampling while anything is left to happen.
      if (agenda.size > 0 || departments.nextAt() !== null) schedule({ at: now + sampleMs, kind: 'sample' });
      continue;
    }
    lastWork = now;
    if (item.kind === 'arrival') {
      const id = simulatedApplicationId(nextArrival++);
      counts.submitted++;
      const first = orchestrator.start(id, new Date(now));
      const app: SimApplication = {
        id,
        row: { id, snapshot: null, snapshotVersion: 0, state: 'in_progress', completedAt: null, creditCode: null },
        clocks: new Map(),
        effects: new Map(),
        applicantActing: false,
        rejections: 0,
        attentions: 0,
        ended: false,
      };
      apps.set(id, app);
      write(app, first);
      arrive();
      continue;
    }
    const app = item.app;
    if (item.kind === 'effect') {
      // A stale entry: the effect was cancelled, replaced or rescheduled since.
      if (app.effects.get(item.effect.key) === item.effect && !item.effect.inFlight && item.effect.dueAt === item.at) perform(app, item.effect);
    } else if (item.kind === 'answer') {
      finish(app, item.effect, item.effect.payload as unknown as CallPayload, item.outcome);
    } else {
      if (item.event.type !== 'ops.retry') app.applicantActing = false;
      apply(app, { ...item.event, at: iso() } as ApplicationEvent);
    }
    retire(app);
  }

  const remaining = [...apps.values()];
  for (const app of remaining) kept?.set(app.id, [...app.clocks.values()]);
  const report = collector.report({
    departments,
    open: remaining.flatMap((app) => [...app.clocks.values()]),
    applications: {
      submitted: counts.submitted,
      completed: counts.completed + remaining.filter((a) => a.row.state === 'completed').length,
      withdrawn: counts.withdrawn + remaining.filter((a) => a.row.state === 'withdrawn').length,
      open: remaining.filter((a) => !a.ended).length,
      waitingForApplicant: remaining.filter((a) => a.row.state === 'needs_correction').length,
      needsAttention: remaining.filter((a) => a.row.state === 'needs_attention').length,
    },
    end: drained ? lastWork : limit,
    drained,
    transitions: counts.transitions,
    departmentCalls: counts.calls,
    wallMs: performance.now() - wallStart,
  });
  return kept ? { report, clocks: kept } : { report };
}

