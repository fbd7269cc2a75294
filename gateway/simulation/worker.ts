// The worker thread one simulation runs in (jobs.ts starts it): a month of applications is seconds of
// CPU, which must not stall the gateway's event loop (callbacks, the executor, other requests).
// It receives the validated scenario and the gateway's calendar, runs it, posts the report back.

import { parentPort, workerData } from 'node:worker_threads';
import type { SimulationReport, SimulationTarget } from '../../contracts/index.ts';
import { SimulationTimeout, simulate, type SimulationEnvironment } from './index.ts';

export interface WorkerInput {
  scenario: unknown;
  seed?: number;
  advise?: SimulationTarget;
  environment: SimulationEnvironment;
  /** Wall-clock budget of the run (and of the advice's search). */
  limitMs: number;
}

export type WorkerOutput = { ok: true; report: SimulationReport } | { ok: false; code: 'SIMULATION_TIMEOUT' | 'SIMULATION_FAILED'; message: string };

const input = workerData as WorkerInput;
let output: WorkerOutput;
try {
  const report = simulate({
    scenario: input.scenario,
    environment: input.environment,
    deadline: performance.now() + input.limitMs,
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    ...(input.advise ? { advise: input.advise } : {}),
  });
  output = { ok: true, report };
} catch (error) {
  output =
    error instanceof SimulationTimeout
      ? { ok: false, code: 'SIMULATION_TIMEOUT', message: `the simulation did not finish within ${Math.round(input.limitMs / 1000)} s; shorten the period or lower the arrivals` }
      : { ok: false, code: 'SIMULATION_FAILED', message: error instanceof Error ? error.message : String(error) };
}
parentPort!.postMessage(output);
