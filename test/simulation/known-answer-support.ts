// What the known-answer tests (mm1.test.ts, known-answers.test.ts) share: scenarios in which every
// department but the one under test answers at once (mode sync), so the clocks measure that
// department alone — through the real machine, SLA clocks and calendar.
import { CORE_STEP_IDS, type SimulationScenarioInput, type StepId } from '../../contracts/index.ts';
import { loadShippedYears } from '../../gateway/calendar/index.ts';
import type { simulate } from '../../gateway/simulation/index.ts';

export const environment = { years: loadShippedYears() };

/** A department that answers at once, with no queue. */
export const instant = { clerks: 'unlimited' as const, mode: 'sync' as const, serviceTime: { kind: 'fixed' as const, minutes: 0 } };

/** A scenario in which only `step` takes time: `department` says how. */
export function only(step: StepId, department: Record<string, unknown>, rest: Partial<SimulationScenarioInput>): SimulationScenarioInput {
  const departments = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, s === step ? department : instant]));
  return { name: 'known-answer', period: { from: '2026-11-02', to: '2026-11-06' }, arrivals: { kind: 'times', at: [] }, departments, ...rest } as SimulationScenarioInput;
}

/** One clock's window figures in a report. */
export const window = (report: ReturnType<typeof simulate>, clock: string) => report.windows.find((w) => w.clock === clock)!;

/** The hours (Beijing time) the shipped office hours open a department in. */
export const OFFICE_HOURS = [9, 10, 11, 13, 14, 15, 16];
