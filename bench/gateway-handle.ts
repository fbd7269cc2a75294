// The parent's side of a gateway process (gateway-process.ts): spawn it, wait until it listens,
// learn when applications settle, ask for its counters, read its memory and CPU from /proc, stop it.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '../gateway/config.ts';
import type { ChildMessage, GatewayStats, ParentMessage } from './gateway-process.ts';
import type { PeerConfig } from './dbos-peer-process.ts';
import { readCpuSeconds, readMemory, sampleRss, type ProcMemory, type RssSampler } from './proc.ts';

/**
 * Where the engines' entry points are: compiled JavaScript (bench/run.ts builds them first, as
 * production runs compiled code), or the TypeScript sources through tsx when nothing was built.
 */
let compiledRoot: string | undefined;
export function useCompiledBuild(root: string): void {
  compiledRoot = root;
}
const entry = (name: string) =>
  compiledRoot ? { file: join(compiledRoot, 'bench', `${name}.js`), loader: [] } : { file: fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), loader: ['--import', 'tsx'] };
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Settlement {
  state: string;
  /** wallNow() in the gateway process when the settling transition had committed. */
  at: number;
}

export interface GatewayHandle {
  url: string;
  pid: number;
  /** Resolves when the application settles (see gateway-process.ts); rejects after timeoutMs. */
  settled(id: string, timeoutMs?: number): Promise<Settlement>;
  /** The gateway's counters and process.memoryUsage(); inspect adds row counts; gc collects garbage first. */
  stats(options?: { inspect?: boolean; gc?: boolean }): Promise<GatewayStats>;
  memory(): ProcMemory;
  cpuSeconds(): number;
  sampleRss(intervalMs?: number): RssSampler;
  stop(): Promise<void>;
}

/** Live handles, so that an interrupted benchmark can stop them all (run.ts). */
export const liveGateways = new Set<GatewayHandle>();

/**
 * The V8 heap ceiling production runs with (the Docker image's NODE_OPTIONS and `npm run start:prod`;
 * test/build/production-build.test.ts keeps the three equal). Without it V8 sizes its heap from the
 * machine's memory and lets garbage pile up: a gateway catching up on 100,000 applications peaked at
 * ~295 MiB RSS with ~40 MiB live; with it, ~190 MiB, while 10,000 open event streams (~170 MiB of
 * live heap) still fit. BENCH_GATEWAY_NODE_ARGS come after it, so they can override it.
 */
export const PRODUCTION_NODE_ARGS = '--max-old-space-size=256';

export function startGatewayProcess(config: GatewayConfigInput, options: { startTimeoutMs?: number } = {}): Promise<GatewayHandle> {
  return startProcess(entry('gateway-process'), { BENCH_GATEWAY_CONFIG: JSON.stringify(config) }, `${PRODUCTION_NODE_ARGS} ${process.env.BENCH_GATEWAY_NODE_ARGS ?? ''}`, options);
}

/** The DBOS Transact peer (dbos-peer-process.ts): the same handle, the same IPC protocol. */
export function startPeerProcess(config: PeerConfig, options: { startTimeoutMs?: number } = {}): Promise<GatewayHandle> {
  return startProcess(entry('dbos-peer-process'), { BENCH_PEER_CONFIG: JSON.stringify(config) }, process.env.BENCH_PEER_NODE_ARGS, options);
}

async function startProcess(
  target: { file: string; loader: string[] },
  env: Record<string, string>,
  nodeArgs: string | undefined,
  options: { startTimeoutMs?: number },
): Promise<GatewayHandle> {
  const child: ChildProcess = fork(target.file, [], {
    cwd: REPO_ROOT,
    // --expose-gc only makes gc() callable (stats({ gc: true })); it changes no heuristic of V8's.
    execArgv: [...target.loader, '--expose-gc', ...(nodeArgs ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...env },
    // stdout (the gateway's JSON log) to /dev/null; stderr kept for a failure report.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });

  const early = new Map<string, Settlement>();
  const waiting = new Map<string, (s: Settlement) => void>();
  const statsWaiting = new Map<number, (s: GatewayStats) => void>();
  let nextRequest = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway process did not start within ${options.startTimeoutMs ?? 60_000} ms\n${stderr}`)), options.startTimeoutMs ?? 60_000);
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
          resolve({ url: message.url, pid: message.pid });
          break;
        case 'settled': {
          const settlement = { state: message.state, at: message.at };
          const resolveWaiter = waiting.get(message.id);
          if (resolveWaiter) {
            waiting.delete(message.id);
            resolveWaiter(settlement);
          } else {
            // The settlement can overtake the 202 answer on the way to the load generator.
            early.set(message.id, settlement);
          }
          break;
        }
        case 'stats':
          statsWaiting.get(message.requestId)?.(message.stats);
          statsWaiting.delete(message.requestId);
          break;
        case 'error':
          clearTimeout(timer);
          reject(new Error(`the gateway process failed: ${message.message}\n${stderr}`));
          break;
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`the gateway process exited early (code ${child.exitCode})\n${stderr}`));
    });
  });

  const send = (message: ParentMessage) => {
    if (!exited) child.send(message);
  };

  let info: { url: string; pid: number };
  try {
    info = await ready;
  } catch (error) {
    if (!exited) child.kill('SIGKILL');
    throw error;
  }

  const handle: GatewayHandle = {
    url: info.url,
    pid: info.pid,
    settled(id, timeoutMs = 60_000) {
      const known = early.get(id);
      if (known) {
        early.delete(id);
        return Promise.resolve(known);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`application ${id} did not settle within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
    },
    stats({ inspect = false, gc = false } = {}) {
      const requestId = nextRequest++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the gateway process did not answer a stats request')), 60_000);
        statsWaiting.set(requestId, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        send({ type: 'stats', requestId, inspect, gc });
      });
    },
    memory() {
      const memory = readMemory(info.pid);
      if (!memory) throw new Error('the gateway process is gone');
      return memory;
    },
    cpuSeconds() {
      return readCpuSeconds(info.pid) ?? NaN;
    },
    sampleRss: (intervalMs = 100) => sampleRss(info.pid, intervalMs),
    async stop() {
      liveGateways.delete(handle);
      if (exited) return;
      send({ type: 'stop' });
      const killer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 30_000);
      await exit;
      clearTimeout(killer);
    },
  };
  liveGateways.add(handle);
  return handle;
}
