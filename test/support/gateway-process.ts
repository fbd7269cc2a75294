// Gateway instances as real operating-system processes, started exactly as in production
// (`node --import tsx gateway/server.ts`, configured by environment variables only), so a test can
// SIGKILL one at any instant or SIGTERM it and watch it shut down.
//
// Nothing outlives the test: every process is killed by pid in t.teardown, synchronously on the
// test process's 'exit', and — if the test process itself is killed — by a small watchdog shell
// that SIGKILLs the gateway once our pid is gone.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { freePort } from './net.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TAIL_LINES = 200;

interface Tap {
  teardown(fn: () => unknown): void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly name: string;
  readonly pid: number;
  /** Base URL (http://127.0.0.1:<port>); also its PUBLIC_BASE_URL unless the env says otherwise. */
  readonly url: string;
  readonly port: number;
  /** INSTANCE_ID: the lease owner it writes into the effects table. */
  readonly instanceId: string;
  readonly startedAt: number;
  /** When it logged "gateway listening" (Date.now()). */
  readonly readyAt: number;
  /** Resolves when the process has exited (by itself or killed). */
  readonly exited: Promise<Exit>;
  alive(): boolean;
  kill(signal: 'SIGKILL' | 'SIGTERM'): void;
  /** How many JSON log lines had this `msg`. */
  count(msg: string): number;
  /** The last lines of its stdout and stderr, for failure messages. */
  tail(): string[];
}

export interface StartGatewayOptions {
  name: string;
  /** Environment on top of PATH/HOME (the parent's NODE_OPTIONS and coverage settings are not passed on). */
  env: Record<string, string>;
  /** Default: a free loopback port. Reusing a dead instance's port keeps its callback URL valid. */
  port?: number;
  readyTimeoutMs?: number;
}

/** The production entry's admin credential in tests (OPS_ADMIN_TOKEN). */
export const PROCESS_OPS_ADMIN_TOKEN = 'qlt_ops_process-test-admin-0123456789abcdefghijklm';

/**
 * Environment for a production gateway on `databaseUrl` that talks to the given department URLs
 * and SMS service — everything server.ts requires (without an SMS service, sign-in answers 503).
 */
export function gatewayEnv(options: {
  databaseUrl: string;
  departments: Partial<Record<StepId, { url: string; secret: string }>>;
  sms?: { url: string; secret: string };
  extra?: Record<string, string>;
}): Record<string, string> {
  // Rate limits off: these tests submit hundreds of applications from 127.0.0.1 on purpose.
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    RATE_LIMITS_ENABLED: 'false',
    OPS_ADMIN_TOKEN: PROCESS_OPS_ADMIN_TOKEN,
    IDENTITY_KEY: 'process-test-identity-key-0123456789abcdef',
    SMS_URL: options.sms?.url ?? 'http://127.0.0.1:9',
    SMS_SECRET: options.sms?.secret ?? 'process-test-sms-secret-0123456789',
  };
  for (const step of CORE_STEP_IDS) {
    const department = options.departments[step];
    if (!department) continue;
    const prefix = `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
    env[`${prefix}_URL`] = department.url;
    env[`${prefix}_SECRET`] = department.secret;
  }
  return { ...env, ...options.extra };
}

const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export async function startGatewayProcess(t: Tap, options: StartGatewayOptions): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(t, options, port);
    } catch (error) {
      // A free port can be taken by someone else before the gateway binds it: try another one.
      const taken = error instanceof Error && error.message.includes('EADDRINUSE');
      if (!taken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function launch(t: Tap, options: StartGatewayOptions, port: number): Promise<GatewayProcess> {
  const url = `http://127.0.0.1:${port}`;
  const instanceId = options.env.INSTANCE_ID ?? options.name;
  const inherited = { ...process.env };
  // tap's coverage and process tracking hooks have no business in the system under test.
  delete inherited.NODE_OPTIONS;
  delete inherited.NODE_V8_COVERAGE;
  const env = { ...inherited, PUBLIC_BASE_URL: url, INSTANCE_ID: instanceId, ...options.env, PORT: String(port) };

  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/server.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${options.name}: could not start the gateway process`);
  const pid = child.pid;
  living.add(child);
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -0 ${process.pid} 2>/dev/null || kill -9 ${pid} 2>/dev/null`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();

  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      living.delete(child);
      resolve(exit);
    });
  });

  const lines: string[] = [];
  const counts = new Map<string, number>();
  let onListening: ((url: string) => void) | null = null;
  const remember = (line: string) => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!line) continue;
      remember(line);
      try {
        const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (typeof entry.msg === 'string') {
          counts.set(entry.msg, (counts.get(entry.msg) ?? 0) + 1);
          if (entry.msg === 'gateway listening' && typeof entry.url === 'string') onListening?.(entry.url);
        }
      } catch {
        // not a log line
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line) remember(`[stderr] ${line}`);
  });

  const gateway = {
    name: options.name,
    pid,
    url,
    port,
    instanceId,
    startedAt,
    readyAt: 0,
    exited,
    alive: () => exit === null,
    kill(signal: 'SIGKILL' | 'SIGTERM') {
      if (exit === null) child.kill(signal);
    },
    count: (msg: string) => counts.get(msg) ?? 0,
    tail: () => [...lines],
  } satisfies GatewayProcess;
  t.teardown(async () => {
    gateway.kill('SIGKILL');
    await exited;
  });

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      gateway.kill('SIGKILL');
      reject(new Error(`${options.name} did not log "gateway listening" within ${timeoutMs} ms:\n${gateway.tail().join('\n')}`));
    }, timeoutMs);
    onListening = () => {
      clearTimeout(timer);
      resolve();
    };
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${e.code ?? e.signal}) before listening:\n${gateway.tail().join('\n')}`));
    });
  });
  onListening = null;
  gateway.readyAt = Date.now();
  return gateway;
}

/** Sends `signal` and waits for the exit; returns the exit and how long it took. */
export async function stopGateway(gateway: GatewayProcess, signal: 'SIGKILL' | 'SIGTERM', timeoutMs = 30_000): Promise<Exit & { ms: number }> {
  const started = Date.now();
  gateway.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${gateway.name} did not exit within ${timeoutMs} ms of ${signal}:\n${gateway.tail().join('\n')}`)), timeoutMs);
  });
  try {
    const exit = await Promise.race([gateway.exited, timeout]);
    return { ...exit, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
