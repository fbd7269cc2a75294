// Starts the real thing for a test: mock departments (real HTTP servers on loopback, port 0) and a
// gateway on a fresh store (a temp SQLite file unless a store is given), torn down in t.teardown.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { createFakeClock, type Clock, type FakeClock } from '../../gateway/clock.ts';
import { parseConfig, type GatewayConfigInput } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { createGateway, type Gateway } from '../../gateway/runtime.ts';
import type { Store } from '../../gateway/store/types.ts';
import { startMockDepartments, type MockBehaviourInput, type MockDepartments } from '../../mocks/index.ts';
import { makeApplication, type ApplicationOverrides } from '../fixtures/application.ts';

interface Tap {
  teardown(fn: () => unknown): void;
}

export interface HarnessOptions {
  steps?: readonly StepId[];
  behaviour?: Partial<Record<StepId, MockBehaviourInput>>;
  /** A fake clock start: the executor then runs only when the test drains it. */
  fakeClockAt?: string;
  store?: Store;
  config?: Partial<GatewayConfigInput>;
  seed?: number;
  /** The gateway's timeout for each department call (default 5 000 ms). */
  departmentTimeoutMs?: number;
}

export interface Harness {
  gateway: Gateway;
  url: string;
  mocks: MockDepartments<StepId>;
  clock: Clock;
  fakeClock: FakeClock | null;
  secrets: Record<StepId, string>;
  /** JSON log lines the gateway wrote. */
  logs: Record<string, unknown>[];
  submit(overrides?: ApplicationOverrides, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  status(id: string): Promise<Record<string, unknown> & { state: string; steps: Array<Record<string, unknown> & { step: StepId; state: string }> }>;
  /** Polls the status until `predicate` holds (real time; for fake-clock tests use settle()). */
  waitFor(id: string, predicate: (status: Awaited<ReturnType<Harness['status']>>) => boolean, timeoutMs?: number): Promise<Awaited<ReturnType<Harness['status']>>>;
  /** Fake-clock mode: drain due effects and let mock callbacks land, until nothing moves. */
  settle(options?: { skip?: StepId[] }): Promise<void>;
  http(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; text: string; headers: Record<string, unknown> }>;
}

export async function startHarness(t: Tap, options: HarnessOptions = {}): Promise<Harness> {
  const steps = [...(options.steps ?? CORE_STEP_IDS)];
  const secrets = Object.fromEntries(steps.map((s) => [s, `test-secret-${s}-0123456789abcdef`])) as Record<StepId, string>;
  const fakeClock = options.fakeClockAt ? createFakeClock(options.fakeClockAt) : null;
  const mocks = (await startMockDepartments({
    steps,
    secrets,
    host: '127.0.0.1',
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(fakeClock ? { clock: () => fakeClock.now() } : {}),
  })) as unknown as MockDepartments<StepId>;
  const dir = mkdtempSync(join(tmpdir(), 'qlt-test-'));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = parseConfig({
    host: '127.0.0.1',
    port: 0,
    sqliteFile: join(dir, 'gateway.db'),
    logLevel: 'info',
    departments: Object.fromEntries(steps.map((s) => [s, { url: mocks.urls[s], secret: secrets[s], timeoutMs: options.departmentTimeoutMs ?? 5_000 }])),
    optionalSteps: steps.filter((s) => !(CORE_STEP_IDS as readonly string[]).includes(s)) as never,
    // Tests drive many requests from one address; a test of the limits configures them itself.
    rateLimits: { enabled: false },
    ...options.config,
    orchestration: { pollIntervalMs: 60_000, retryBaseMs: 20, retryMaxMs: 200, idleWaitMs: 50, ...options.config?.orchestration },
  });
  const gateway = await createGateway(config, {
    log: createLogger({ level: 'info', destination }),
    ...(fakeClock ? { clock: fakeClock, runExecutor: false } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  const url = await gateway.start();
  t.teardown(async () => {
    await gateway.close();
    await mocks.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function http(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await request(`${url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (CSV, metrics)
    }
    return { status: response.statusCode, body: parsed, text, headers: response.headers as Record<string, unknown> };
  }

  const harness: Harness = {
    gateway,
    url,
    mocks,
    clock: gateway.deps.clock,
    fakeClock,
    secrets,
    logs,
    async submit(overrides = {}, headers = {}) {
      const r = await http('POST', '/v1/applications', makeApplication(overrides), headers);
      return { status: r.status, body: r.body as Record<string, unknown> };
    },
    async status(id) {
      const r = await http('GET', `/v1/applications/${id}`);
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text}`);
      return r.body as never;
    },
    async waitFor(id, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await harness.status(id);
        if (predicate(status)) return status;
        if (Date.now() > deadline) throw new Error(`timed out waiting; last status: ${JSON.stringify(status.steps.map((s) => [s.step, s.state]))} ${status.state}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async settle(settleOptions = {}) {
      const skip = new Set(settleOptions.skip ?? []);
      for (let round = 0; round < 200; round++) {
        const ran = await gateway.executor.drain();
        await Promise.all(Object.values(mocks.departments).filter((d) => !skip.has(d.step)).map((d) => d.settled()));
        const again = await gateway.executor.drain();
        if (ran === 0 && again === 0) return;
      }
      throw new Error('settle: the system kept moving after 200 rounds');
    },
    http,
  };
  return harness;
}
