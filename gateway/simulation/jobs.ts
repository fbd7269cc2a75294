// Simulations run for the ops API (POST /v1/ops/simulations): one at a time per gateway, each in its
// own worker thread (worker.ts) with a memory ceiling and a time limit, off the request's critical
// path: the request answers 202 with a job id at once; GET /v1/ops/simulations/{id} reads the job.
// Jobs live in memory (the last `keep`), like any computed report: a restart forgets them.

import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SimulationJob, SimulationTarget } from '../../contracts/index.ts';
import type { SimulationEnvironment } from './scenario.ts';
import type { WorkerInput, WorkerOutput } from './worker.ts';

export interface SimulationRunnerOptions {
  log: Logger;
  /** Wall-clock limit of one run (default 60 s); the worker is ended 5 s after it at the latest. */
  limitMs?: number;
  /** Finished jobs kept for GET (default 20). */
  keep?: number;
  /** The worker's heap ceiling in MB (default 512): a run's memory is bounded by the work in flight. */
  maxHeapMb?: number;
  now: () => Date;
}

export interface StartSimulation {
  scenario: unknown;
  scenarioName: string;
  seed?: number;
  advise?: SimulationTarget;
  environment: SimulationEnvironment;
  startedBy: string;
}

/**
 * The worker's entry. Compiled, it is worker.js next to this file; from the sources (development,
 * tests) it is worker.ts, loaded through tsx's loader registered inside the worker.
 */
function spawn(input: WorkerInput, maxHeapMb: number): Worker {
  const options = { workerData: input, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const entry = new URL('./worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

export function createSimulationRunner(options: SimulationRunnerOptions) {
  const limitMs = options.limitMs ?? 60_000;
  const keep = options.keep ?? 20;
  const jobs = new Map<string, SimulationJob>();
  let running: { id: string; worker: Worker; done: Promise<void> } | null = null;

  function settle(job: SimulationJob, output: WorkerOutput | { ok: false; code: string; message: string }): void {
    if (job.state !== 'running') return;
    job.finishedAt = options.now().toISOString();
    if (output.ok) {
      job.state = 'done';
      job.report = output.report;
    } else {
      job.state = 'failed';
      job.error = { code: output.code, message: output.message };
    }
    options.log.info({ simulation: job.id, scenario: job.scenario, state: job.state, error: job.error?.code }, 'simulation finished');
    // Keep the newest `keep` finished jobs.
    const finished = [...jobs.values()].filter((j) => j.state !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - keep))) jobs.delete(old.id);
  }

  return {
    /** The running job's id, if one runs. */
    busy: (): string | null => running?.id ?? null,

    /** Starts a run in a worker; the caller checked that none is running (busy()). */
    start(input: StartSimulation): SimulationJob {
      if (running) throw new Error('a simulation is already running');
      const job: SimulationJob = { id: randomUUID(), state: 'running', scenario: input.scenarioName, startedAt: options.now().toISOString(), finishedAt: null, startedBy: input.startedBy };
      jobs.set(job.id, job);
      const worker = spawn(
        { scenario: input.scenario, environment: input.environment, limitMs, ...(input.seed !== undefined ? { seed: input.seed } : {}), ...(input.advise ? { advise: input.advise } : {}) },
        options.maxHeapMb ?? 512,
      );
      const killer = setTimeout(() => void worker.terminate(), limitMs + 5_000);
      const done = new Promise<void>((resolve) => {
        worker.once('message', (output: WorkerOutput) => settle(job, output));
        worker.once('error', (error) => {
          options.log.error({ err: error, simulation: job.id }, 'simulation worker failed');
          settle(job, { ok: false, code: 'SIMULATION_FAILED', message: error.message });
        });
        worker.once('exit', () => {
          clearTimeout(killer);
          settle(job, { ok: false, code: 'SIMULATION_TIMEOUT', message: `the simulation did not finish within ${Math.round(limitMs / 1000)} s` });
          if (running?.id === job.id) running = null;
          resolve();
        });
      });
      running = { id: job.id, worker, done };
      return job;
    },

    get: (id: string): SimulationJob | undefined => jobs.get(id),

    /** Ends a running worker (the gateway is closing). */
    async close(): Promise<void> {
      const current = running;
      if (!current) return;
      await current.worker.terminate();
      await current.done;
    },
  };
}

export type SimulationRunner = ReturnType<typeof createSimulationRunner>;
