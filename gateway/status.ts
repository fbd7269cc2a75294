// The status document an applicant (and ops) read: derived from the stored snapshot and SLA clocks.

import { DEPARTMENT_NAMES, type ApplicationStatus, type SlaView, type StepId, type StepState, type StepStatus } from '../contracts/index.ts';
import type { StepPhase } from './orchestration/machine.ts';
import { EFFECT_KEYS, type Orchestrator } from './orchestration/interpret.ts';
import { OVERALL_WINDOW_WORKING_DAYS } from './orchestration/steps.ts';
import type { ApplicationRow, SlaClockRow, Store } from './store/types.ts';

/**
 * The true number of attempts to send each step's request to its department, with the last error
 * recorded: the outbox rows of the step's request (EFFECT_KEYS.call) count every attempt that ended —
 * each automatic retry, the final failure, the success — over every request sent (ops retries and
 * corrections write a new row). The machine's `requests` counts requests, not attempts.
 */
export type StepAttempts = Partial<Record<StepId, { attempts: number; lastError: string | null }>>;

export async function stepAttempts(store: Pick<Store, 'effectAttempts'>, steps: readonly StepId[], applicationIds: readonly string[]): Promise<Map<string, StepAttempts>> {
  const byKey = new Map(steps.map((step) => [EFFECT_KEYS.call(step), step]));
  const rows = await store.effectAttempts(applicationIds, [...byKey.keys()]);
  const result = new Map<string, StepAttempts>(applicationIds.map((id) => [id, {}]));
  for (const row of rows) {
    const step = byKey.get(row.key);
    if (step) result.get(row.applicationId)![step] = { attempts: row.attempts, lastError: row.lastError };
  }
  return result;
}

const STEP_STATE: Record<StepPhase, StepState> = {
  waiting: 'waiting',
  requested: 'in_progress',
  processing: 'in_progress',
  needs_correction: 'needs_correction',
  needs_attention: 'needs_attention',
  done: 'done',
  cancelled: 'cancelled',
};

export function slaView(clock: SlaClockRow | undefined, windowWorkingDays: number): SlaView {
  return {
    state: clock?.state ?? 'not_started',
    windowWorkingDays,
    startedAt: clock?.startedAt ?? null,
    deadline: clock?.deadline ?? null,
    provisional: clock?.provisional ?? false,
  };
}

export function buildStatus(application: ApplicationRow, clocks: SlaClockRow[], orchestrator: Orchestrator, attempts: StepAttempts, basePath = '/v1/applications'): ApplicationStatus {
  const view = orchestrator.view(application);
  const byClock = new Map(clocks.map((c) => [c.clock, c]));
  const steps: StepStatus[] = orchestrator.steps.map((def) => {
    const step = view.steps[def.id];
    const s = step?.context;
    return {
      step: def.id,
      department: DEPARTMENT_NAMES[def.id],
      state: step ? STEP_STATE[step.phase] : 'waiting',
      startedAt: s?.startedAt ?? null,
      finishedAt: s?.finishedAt ?? null,
      attempts: attempts[def.id]?.attempts ?? 0,
      reference: s?.reference ?? null,
      milestone: s?.milestone ?? null,
      result: s?.result ?? null,
      rejection: s?.reasons ?? null,
      problem: s?.problem ?? null,
      sla: slaView(byClock.get(def.id), def.windowWorkingDays),
    };
  });
  const self = `${basePath}/${application.id}`;
  return {
    id: application.id,
    state: application.state,
    companyName: application.form.companyName,
    submittedAt: application.submittedAt,
    completedAt: application.completedAt,
    sla: slaView(byClock.get('overall'), OVERALL_WINDOW_WORKING_DAYS),
    steps,
    links: { self, events: `${self}/events`, corrections: `${self}/corrections`, withdrawal: `${self}/withdrawal` },
  };
}
