// Starts the real thing for a test: mock departments and the mock SMS service (real HTTP servers on
// loopback, port 0) and a gateway on a fresh store (a temp SQLite file unless a store is given), torn
// down in t.teardown.
//
// Credentials: the gateway gets one ops credential per role (h.opsTokens). h.http() acts as the
// natural party: it sends the admin credential to /v1/ops/* and, to /v1/applications/<id>…, the
// access token the submission of <id> answered with — unless the test passes its own
// Authorization header. h.anonymous() sends nothing the test does not pass.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { CORE_STEP_IDS, OPS_ROLES, type OpsRole, type StepId } from '../../contracts/index.ts';
import { createFakeClock, type Clock, type FakeClock } from '../../gateway/clock.ts';
import { opsTokenSha256, parseConfig, type GatewayConfigInput } from '../../gateway/config.ts';
import { developmentOpsToken } from '../../gateway/identity/index.ts';
import { createLogger } from '../../gateway/logger.ts';
import { createGateway, type Gateway } from '../../gateway/runtime.ts';
import type { Store } from '../../gateway/store/types.ts';
import { startMockDepartments, startMockSms, type MockBehaviourInput, type MockDepartments, type MockSms } from '../../mocks/index.ts';
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
  /** Per step: the secrets the mock holds, instead of the harness's one (secret rotation). */
  mockSecrets?: Partial<Record<StepId, { secret: string; previousSecret?: string }>>;
  /** Per step: the secrets the gateway holds, instead of the harness's one (secret rotation). */
  gatewaySecrets?: Partial<Record<StepId, { secret: string; previousSecret?: string }>>;
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
export interface HttpAnswer {
  status: number;
  body: unknown;
  text: string;
  headers: Record<string, unknown>;
}

/** The identity key of every harness gateway (the keyed hashes tests compute must match). */
export const TEST_IDENTITY_KEY = 'test-identity-key-0123456789abcdef-0123456789';
export const SMS_TEST_SECRET = 'test-secret-sms-0123456789abcdef';

export interface Harness {
  gateway: Gateway;
  url: string;
  mocks: MockDepartments<StepId>;
  clock: Clock;
  fakeClock: FakeClock | null;
  secrets: Record<StepId, string>;
  sms: MockSms;
  /** One ops credential per role, configured in the gateway (names: test-viewer, test-operator, test-admin). */
  opsTokens: Record<OpsRole, string>;
  /** Access tokens the harness saw in 202 answers to POST /v1/applications, by application id. */
  accessTokens: Map<string, string>;
  /** JSON log lines the gateway wrote. */
  logs: Record<string, unknown>[];
  submit(overrides?: ApplicationOverrides, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  status(id: string): Promise<Record<string, unknown> & { state: string; steps: Array<Record<string, unknown> & { step: StepId; state: string }> }>;
  /** Polls the status until `predicate` holds (real time; for fake-clock tests use settle()). */
  waitFor(id: string, predicate: (status: Awaited<ReturnType<Harness['status']>>) => boolean, timeoutMs?: number): Promise<Awaited<ReturnType<Harness['status']>>>;
  /** Fake-clock mode: drain due effects and let mock callbacks land, until nothing moves. */
  settle(options?: { skip?: StepId[] }): Promise<void>;
  /** As the natural party (see the file header); a test's own Authorization header wins. */
  http(method: HttpMethod, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** Exactly the request the test describes: no credential is added. */
  anonymous(method: HttpMethod, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** Signs in as `mobile` (code by the mock SMS service) and returns the session token. */
  signIn(mobile: string): Promise<string>;
  /** The code the mock SMS service last sent to `mobile`. */
  lastCode(mobile: string): string | undefined;
}

export async function startHarness(t: Tap, options: HarnessOptions = {}): Promise<Harness> {
  const steps = [...(options.steps ?? CORE_STEP_IDS)];
  const secrets = Object.fromEntries(steps.map((s) => [s, `test-secret-${s}-0123456789abcdef`])) as Record<StepId, string>;
  const fakeClock = options.fakeClockAt ? createFakeClock(options.fakeClockAt) : null;
  const sms = await startMockSms({ secret: SMS_TEST_SECRET, host: '127.0.0.1', ...(fakeClock ? { clock: () => fakeClock.now() } : {}) });
  t.teardown(() => sms.close());
  const opsTokens = Object.fromEntries(OPS_ROLES.map((role) => [role, developmentOpsToken(role).replace('dev', 'tst')])) as Record<OpsRole, string>;
  const mocks = (await startMockDepartments({
    steps,
    secrets: { ...secrets, ...Object.fromEntries(Object.entries(options.mockSecrets ?? {}).map(([s, v]) => [s, v.secret])) },
    previousSecrets: Object.fromEntries(Object.entries(options.mockSecrets ?? {}).flatMap(([s, v]) => (v.previousSecret ? [[s, v.previousSecret]] : []))),
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
    departments: Object.fromEntries(
      steps.map((s) => [s, { url: mocks.urls[s], secret: secrets[s], ...options.gatewaySecrets?.[s], timeoutMs: options.departmentTimeoutMs ?? 5_000 }]),
    ),
    optionalSteps: steps.filter((s) => !(CORE_STEP_IDS as readonly string[]).includes(s)) as never,
    identityKey: TEST_IDENTITY_KEY,
    opsCredentials: OPS_ROLES.map((role) => ({ name: `test-${role}`, role, tokenSha256: opsTokenSha256(opsTokens[role]) })),
    sms: { url: sms.url, secret: SMS_TEST_SECRET },
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

  const accessTokens = new Map<string, string>();

  async function anonymous(method: HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
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
    const answer = { status: response.statusCode, body: parsed, text, headers: response.headers as Record<string, unknown> };
    const accepted = parsed as { id?: unknown; accessToken?: unknown };
    if (method === 'POST' && path === '/v1/applications' && answer.status === 202 && typeof accepted.id === 'string' && typeof accepted.accessToken === 'string') {
      accessTokens.set(accepted.id, accepted.accessToken);
    }
    return answer;
  }

  async function http(method: HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const own = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    let authorization: string | undefined;
    if (!own && path.startsWith('/v1/ops/')) authorization = `Bearer ${opsTokens.admin}`;
    const applicationId = /^\/v1\/applications\/([^/?]+)/.exec(path)?.[1];
    const decodedId = applicationId ? safeDecode(applicationId) : undefined;
    if (!own && decodedId && accessTokens.has(decodedId)) authorization = `Bearer ${accessTokens.get(decodedId)}`;
    return anonymous(method, path, body, authorization ? { ...headers, authorization } : headers);
  }

  const lastCode = (mobile: string) => {
    const text = sms.messages(mobile).at(-1)?.parameters as { code?: string } | undefined;
    return text?.code;
  };

  const harness: Harness = {
    gateway,
    url,
    mocks,
    clock: gateway.deps.clock,
    fakeClock,
    secrets,
    sms,
    opsTokens,
    accessTokens,
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
    anonymous,
    lastCode,
    async signIn(mobile) {
      const sent = await anonymous('POST', '/v1/applicant/sign-in-codes', { mobile });
      if (sent.status !== 202) throw new Error(`sign-in code: ${sent.status} ${sent.text}`);
      const session = await anonymous('POST', '/v1/applicant/sessions', { mobile, code: lastCode(mobile) });
      if (session.status !== 201) throw new Error(`sign in: ${session.status} ${session.text}`);
      return (session.body as { token: string }).token;
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

/** decodeURIComponent that returns the input unchanged when it is not valid percent-encoding (hostile-input tests send such paths). */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
