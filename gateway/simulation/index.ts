// The door of gateway/simulation/: the what-if simulator (docs/simulation.md). A scenario in, a report
// out; the real machine, SLA clocks and calendar in between.

import type { SimulationReport, SimulationTarget } from '../../contracts/index.ts';
import { adviseCapacity } from './advise.ts';
import { runSimulation } from './engine.ts';
import { parseScenario, resolveScenario, type SimulationEnvironment } from './scenario.ts';

export { adviseCapacity } from './advise.ts';
export { calibrate, fitDistribution, type Calibration, type CalibrationSource } from './calibrate.ts';

export { SimulationTimeout, runSimulation, simulatedApplicationId, type SimulateOptions, type SimulationOutcome } from './engine.ts';
export { ScenarioInvalid, ScenarioTooLarge, expectedArrivals, parseScenario, prepareScenario, resolveScenario } from './scenario.ts';
export type { ResolvedScenario, SimulationEnvironment } from './scenario.ts';
export { loadShippedScenarios, shippedScenario, type ShippedScenario } from './shipped.ts';
export { formatSummary } from './summary.ts';

export interface SimulateInput {
  /** A scenario document (validated here). */
  scenario: unknown;
  environment: SimulationEnvironment;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Also search the least capacities that meet this target. */
  advise?: SimulationTarget;
  /** Resolves a replayed month to its submission instants (reads the store). */
  replay?: (month: string) => number[];
  /** performance.now() after which the run gives up (SimulationTimeout) or the advice stops searching. */
  deadline?: number;
}

/** Validates, resolves and runs a scenario; with `advise`, adds the capacity advice. */
export function simulate(input: SimulateInput): SimulationReport {
  const scenario = parseScenario(input.scenario);
  if (input.seed !== undefined) scenario.seed = input.seed;
  const resolved = resolveScenario(scenario, input.environment, input.replay);
  const deadline = input.deadline !== undefined ? { deadline: input.deadline } : {};
  const { report } = runSimulation(resolved, deadline);
  return input.advise ? { ...report, advice: adviseCapacity(resolved, input.advise, deadline) } : report;
}
