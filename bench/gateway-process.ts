// The gateway under test, in its own process, so that its memory (VmRSS/VmHWM) and CPU are its
// own and not the mock departments' or the load generator's. Started by gateway-handle.ts with
// the configuration as JSON in BENCH_GATEWAY_CONFIG; talks to its parent over the IPC channel.
//
// It is the production wiring (createGateway, the real store, executor, adapters, HTTP) with one
// addition: a thin wrapper around the store that counts what commits and reports, over IPC, the
// moment an application's transition into a settled state (completed, needs_attention,
// needs_correction, withdrawn) has committed. That is how the benchmark learns of completion
// without polling the API or holding 2,000 event streams open, which would load the very thing
// being measured. The wrapper adds one closure call per transaction.

import { parseConfig, type GatewayConfigInput } from '../gateway/config.ts';
import { createGateway } from '../gateway/runtime.ts';
import { createStore } from '../gateway/store/index.ts';
import type { Store, Transition } from '../gateway/store/index.ts';
import { wallNow } from './stats.ts';

/** stats with gc: a full garbage collection first (the process runs with --expose-gc), so memory is what is retained. */
export type ParentMessage = { type: 'stats'; requestId: number; inspect?: boolean; gc?: boolean } | { type: 'stop' };

export interface GatewayCounters {
  /** Committed transactions that applied an event to an application (store.apply applied, plus creations). */
  transitions: number;
  applicationsCreated: number;
  /** Rows appended to the events table by those transitions. */
  eventsWritten: number;
  /** Effects (department calls, timers) written by those transitions. */
  effectsCreated: number;
  /** Effects marked done together with the transition that recorded their outcome. */
  effectsCompleted: number;
  /** Write transactions the store committed (group commit: several transitions each). */
  commits: number;
}

export interface GatewayStats {
  counters: GatewayCounters;
  memory: NodeJS.MemoryUsage;
  /** Only with inspect: rows in the store (queried after any RSS sampling: the queries allocate). */
  applicationsByState?: Record<string, number>;
  pendingEffects?: number;
}

export type ChildMessage =
  | { type: 'ready'; url: string; pid: number; store: Store['kind'] }
  | { type: 'settled'; id: string; state: string; at: number }
  | { type: 'stats'; requestId: number; stats: GatewayStats }
  | { type: 'error'; message: string };

const SETTLED = new Set(['completed', 'needs_attention', 'needs_correction', 'withdrawn']);

const send = (message: ChildMessage) => process.send?.(message);

function countingStore(base: Store, counters: GatewayCounters): Store {
  const counted = Object.create(base) as Store;
  const count = (t: Transition) => {
    counters.transitions++;
    counters.eventsWritten += t.events?.length ?? 0;
    counters.effectsCreated += t.newEffects?.length ?? 0;
  };
  counted.createApplication = async (app, first, options) => {
    const result = await base.createApplication(app, first, options);
    if (result.created) {
      counters.applicationsCreated++;
      count(first);
    }
    return result;
  };
  counted.apply = async (id, options, decide) => {
    let written: Transition | null = null;
    let before = '';
    const outcome = await base.apply(id, options, (current) => {
      before = current.application.state;
      written = decide(current);
      return written;
    });
    if (outcome.applied) {
      count(written ?? {});
      if (options.completesEffect) counters.effectsCompleted++;
      const state = outcome.application.state;
      if (state !== before && SETTLED.has(state)) send({ type: 'settled', id, state, at: wallNow() });
    }
    return outcome;
  };
  return counted;
}

async function main() {
  const raw = process.env.BENCH_GATEWAY_CONFIG;
  if (!raw) throw new Error('BENCH_GATEWAY_CONFIG is not set; this file is started by bench/gateway-handle.ts');
  const config = parseConfig(JSON.parse(raw) as GatewayConfigInput);
  const counters: GatewayCounters = { transitions: 0, applicationsCreated: 0, eventsWritten: 0, effectsCreated: 0, effectsCompleted: 0, commits: 0 };
  const store = countingStore(createStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile }), counters);
  // The production logger (redaction included) writes to stdout, which the parent points at
  // /dev/null: formatting the log lines is part of the cost measured.
  const gateway = await createGateway(config, { store });
  const url = await gateway.start();

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await gateway.close();
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop(0);
    else if (message.type === 'stats') {
      void (async () => {
        if (message.gc) {
          // Twice: the first collection may only finalise what the second then frees.
          globalThis.gc?.();
          globalThis.gc?.();
        }
        const stats: GatewayStats = { counters: { ...counters, commits: gateway.store.writeStats().commits }, memory: process.memoryUsage() };
        if (message.inspect) {
          stats.applicationsByState = await gateway.store.countApplicationsByState();
          stats.pendingEffects = await gateway.store.countPendingEffects();
        }
        send({ type: 'stats', requestId: message.requestId, stats });
      })();
    }
  });
  // The parent went away (crashed, killed): do not outlive it.
  process.on('disconnect', () => void stop(1));
  send({ type: 'ready', url, pid: process.pid, store: gateway.store.kind });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
