// The same scenario through the REAL executor and a real store on a fake clock (what the gateway
// runs in production, minus HTTP), with the simulator's department model behind the executor's
// DepartmentAdapter interface: the way to check that the in-memory loop (gateway/simulation/engine.ts)
// gives the same clocks, and to record a month of history for calibration.
//
// Covers what the loop does without people: arrivals, department queues and quotas, staffed hours,
// accepted → callback, polls, lost callbacks, SLA timers. Not corrections or ops retries (those are
// the applicant's and ops' HTTP requests), and not retried faults (the executor's jitter uses
// Math.random): scenarios driven here have rejectionRate 0 and fault rate 0.

import pino from 'pino';
import type { DepartmentRequestEnvelope, StepId } from '../../contracts/index.ts';
import type { CallOutcome, DepartmentAdapter } from '../../services/index.ts';
import { createFakeClock } from '../../gateway/clock.ts';
import { createExecutor } from '../../gateway/orchestration/executor.ts';
import { createOrchestrator } from '../../gateway/orchestration/interpret.ts';
import type { ApplicationEvent } from '../../gateway/orchestration/machine.ts';
import { createSimulatedDepartments, type Job } from '../../gateway/simulation/departments.ts';
import { simulatedApplicationId, type ResolvedScenario } from '../../gateway/simulation/index.ts';
import type { Store } from '../../gateway/store/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';

const DAY_MS = 86_400_000;

export async function runThroughExecutor(resolved: ResolvedScenario, store: Store): Promise<{ applications: string[] }> {
  const { scenario, gateway, office } = resolved;
  const clock = createFakeClock(new Date(resolved.period.start));
  const orchestrator = createOrchestrator({
    steps: resolved.steps,
    pollIntervalMs: gateway.pollIntervalMs,
    clockPolicy: { calendar: office, atRiskFraction: gateway.atRiskFraction },
    notifyApplicants: false,
  });
  const departments = createSimulatedDepartments({
    seed: scenario.seed,
    departments: resolved.steps.map((s) => ({ step: s.id, spec: scenario.departments[s.id]!, sessions: resolved.sessions[s.id]! })),
    years: resolved.years,
    office,
    period: resolved.period,
  });
  const adapter = (step: StepId): DepartmentAdapter =>
    ({
      step,
      buildRequest: () => ({}),
      submit: async (envelope: DepartmentRequestEnvelope): Promise<CallOutcome> => {
        const generation = Number(envelope.idempotencyKey.split(':').pop());
        return departments.submit(envelope.applicationId, step, generation, clock.now().getTime());
      },
      poll: async (reference: string): Promise<CallOutcome> => departments.poll(reference, clock.now().getTime()),
      parseResult: (result: unknown) => ({ ok: true, result }),
      breakerState: () => 'closed',
      close: async () => {},
    }) as unknown as DepartmentAdapter;
  const executor = createExecutor({
    store,
    orchestrator,
    adapters: Object.fromEntries(resolved.steps.map((s) => [s.id, adapter(s.id)])),
    clock,
    log: pino({ level: 'silent' }),
    owner: 'simulation-driver',
    publicBaseUrl: () => 'http://127.0.0.1:1',
    leaseMs: 60_000,
    batchSize: 128,
    idleWaitMs: 1_000,
    maxAttempts: gateway.maxAttempts,
    retryBaseMs: gateway.retryBaseMs,
    retryMaxMs: gateway.retryMaxMs,
  });
  const callback = (job: Job): ApplicationEvent => ({ type: 'step.completed', step: job.step, generation: job.generation, at: clock.now().toISOString(), reference: job.reference, result: { simulated: true } });

  const form = makeApplicationForm();
  const ids: string[] = [];
  const limit = resolved.period.end + 60 * DAY_MS;
  let next = 0;
  for (;;) {
    await executor.drain();
    const due = await store.nextDueAt();
    const t = Math.min(due === null ? Infinity : Date.parse(due), departments.nextAt() ?? Infinity, resolved.arrivals[next] ?? Infinity);
    if (t === Infinity || t > limit) break;
    clock.set(new Date(Math.max(t, clock.now().getTime())));
    const now = clock.now().getTime();
    // As the loop orders a tie: the departments first, then arrivals and due effects.
    for (const finished of departments.advance(now)) {
      if (!finished.job.lost) await executor.applyEvent(finished.job.applicationId, callback(finished.job));
    }
    while (next < resolved.arrivals.length && resolved.arrivals[next]! <= now) {
      const id = simulatedApplicationId(next++);
      ids.push(id);
      await executor.create({ id, idempotencyKey: null, bodyHash: id, form, submittedAt: clock.now().toISOString() }, orchestrator.start(id, clock.now()));
    }
  }
  return { applications: ids };
}
