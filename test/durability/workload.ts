// Shared by the durability tests: a PostgreSQL database, mock departments in the test process, a
// client that submits applications the way a careful applicant would (one Idempotency-Key per
// application, retried until some instance accepts it), and the exactly-once verification whose
// evidence is what the mock departments recorded.
//
// Callbacks (seal-engraving and tax-invoice answer asynchronously) go to the PUBLIC_BASE_URL of the
// instance that made the request. One aimed at an instance that is down fails; the mock retries it
// a few times (callbackRetry) and then gives up, and the gateway's poll of the department
// (POLL_INTERVAL_MS, short here) fetches the same result. The crash test restarts the gateway on
// the same port, so late retries land; the three-instance test gives each instance its own URL,
// so the dead one's callbacks are lost and polls must recover them. Neither path may produce a
// second effect or a second result.

import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Test } from 'tap';
import { Agent, request } from 'undici';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { mulberry32, startMockDepartments, startMockSms, type MockBehaviourInput, type MockDepartments, type MockSms } from '../../mocks/index.ts';
import { FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { createTestDatabase, getTestPostgres } from '../support/postgres.ts';

type Tap = Pick<Test, 'teardown' | 'comment' | 'equal' | 'strictSame'>;

export const ASYNC_STEPS: readonly StepId[] = ['seal-engraving', 'tax-invoice'];

/** A seeded random source for kill instants; DURABILITY_SEED reproduces a run. */
export function seededRandom(t: Tap): { seed: number; random: () => number } {
  const seed = Number(process.env.DURABILITY_SEED ?? Date.now() % 2 ** 31);
  t.comment(`random kill instants from seed ${seed} (DURABILITY_SEED=${seed} repeats them)`);
  return { seed, random: mulberry32(seed) };
}

export interface Database {
  url: string;
  /** One connection for the test's own queries; they are few and sequential. */
  client: pg.Client;
}

/** One PostgreSQL server for the file and a fresh database on it, both gone after the test. */
export async function startDatabase(t: Tap): Promise<Database> {
  const server = await getTestPostgres();
  t.comment(`PostgreSQL from ${server.source}`);
  const database = await createTestDatabase(server.url);
  // A Client, not a Pool: Client.end() resolves once the connection is closed, whereas Pool.end()
  // resolves while its connections are still closing — and the DROP DATABASE … WITH (FORCE) that
  // follows would then terminate one under its feet.
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // tap runs teardowns last-registered first (gateways, then mocks, then this), and skips the rest
  // after one fails: the server is stopped whatever happened before.
  t.teardown(async () => {
    try {
      await client.end();
      await database.drop();
    } finally {
      await server.stop();
    }
  });
  return { url: database.url, client };
}

export interface Departments {
  mocks: MockDepartments<StepId>;
  env: Partial<Record<StepId, { url: string; secret: string }>>;
  /** The mock SMS service the gateways send sign-in codes through (gatewayEnv's `sms`). */
  sms: MockSms;
  smsEnv: { url: string; secret: string };
}

/** The six mock departments: zero latency unless told, seal and tax asynchronous (their default). */
export async function startDepartments(t: Tap, behaviour: Partial<Record<StepId, MockBehaviourInput>> = {}): Promise<Departments> {
  const secrets = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, `durability-secret-${s}-0123456789`])) as Record<StepId, string>;
  const asyncDefaults: MockBehaviourInput = { callbackDelayMs: 150, callbackRetry: { attempts: 4, backoffMs: 250 } };
  const mocks = (await startMockDepartments({
    secrets,
    host: '127.0.0.1',
    behaviour: {
      ...Object.fromEntries(ASYNC_STEPS.map((s) => [s, asyncDefaults])),
      ...behaviour,
    },
  })) as unknown as MockDepartments<StepId>;
  t.teardown(() => mocks.close());
  const env = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, { url: mocks.urls[s], secret: secrets[s] }]));
  const smsSecret = 'durability-secret-sms-0123456789';
  const sms = await startMockSms({ secret: smsSecret, host: '127.0.0.1' });
  t.teardown(() => sms.close());
  return { mocks, env, sms, smsEnv: { url: sms.url, secret: smsSecret } };
}

/**
 * Submits `count` applications, `concurrency` at a time, each under its own Idempotency-Key, to
 * whichever instance `target()` names at that moment; a refused connection, a reset or a 5xx is
 * retried with the SAME key (the instance may have committed the application and died before
 * answering). Resolves with the application ids, in submission order.
 */
export async function submitApplications(options: {
  count: number;
  concurrency: number;
  keyPrefix: string;
  target: () => string | undefined;
  onRetry?: () => void;
}): Promise<string[]> {
  const agent = new Agent({ connect: { timeout: 2_000 }, headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 500 });
  const ids: string[] = new Array<string>(options.count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= options.count) return;
      const key = `${options.keyPrefix}-${String(index).padStart(4, '0')}`;
      const body = JSON.stringify(makeApplication({ companyName: `三门峡耐久${String(index).padStart(4, '0')}科技有限公司` }));
      for (let attempt = 1; ; attempt++) {
        const base = options.target();
        if (base !== undefined) {
          try {
            const response = await request(`${base}/v1/applications`, {
              method: 'POST',
              dispatcher: agent,
              headers: { 'content-type': 'application/json', 'idempotency-key': key },
              body,
            });
            const text = await response.body.text();
            if (response.statusCode === 202 || response.statusCode === 200) {
              ids[index] = (JSON.parse(text) as { id: string }).id;
              break;
            }
            if (response.statusCode < 500) throw new Error(`submission ${key} refused: ${response.statusCode} ${text}`);
          } catch (error) {
            if (error instanceof Error && error.message.startsWith('submission ')) throw error;
            // The instance is down or died mid-request: try again with the same key.
          }
        }
        if (attempt > 600) throw new Error(`submission ${key}: no instance accepted it`);
        options.onRetry?.();
        await sleep(100);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await agent.close();
  }
  return ids;
}

export async function countByState(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.client.query<{ state: string; n: string }>('SELECT state, COUNT(*) AS n FROM applications GROUP BY state');
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Effects pending under someone's lease (whether or not the lease is still live). */
export async function leasedEffects(db: Database, owner?: string): Promise<Array<{ id: string; owner: string; leaseUntil: Date; key: string }>> {
  const { rows } = await db.client.query<{ id: string; lease_owner: string; lease_until: Date; key: string }>(
    `SELECT id, lease_owner, lease_until, key FROM effects
     WHERE state = 'pending' AND lease_owner IS NOT NULL AND ($1::text IS NULL OR lease_owner = $1) ORDER BY id`,
    [owner ?? null],
  );
  return rows.map((r) => ({ id: r.id, owner: r.lease_owner, leaseUntil: r.lease_until, key: r.key }));
}

/** Polls the database until `count` applications exist and all are completed. */
export async function waitForAllCompleted(db: Database, count: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const states = await countByState(db);
    if ((states.completed ?? 0) >= count) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      // Enough to see where the stragglers stand: each one's step states and pending effects.
      const { rows } = await db.client.query<{ id: string; state: string; phases: Record<string, string>; pending: string[] | null }>(
        `SELECT a.id, a.state, a.snapshot->'value'->'active' AS phases,
                (SELECT json_agg(e.key || CASE WHEN e.lease_owner IS NULL THEN '' ELSE ' leased by ' || e.lease_owner END ORDER BY e.due_at)
                   FROM effects e WHERE e.application_id = a.id AND e.state = 'pending') AS pending
         FROM applications a WHERE a.state <> 'completed' ORDER BY a.submitted_at LIMIT 5`,
      );
      throw new Error(`not every application completed within ${timeoutMs} ms: ${JSON.stringify(states)}; first stragglers: ${JSON.stringify(rows, null, 1)}`);
    }
    await sleep(200);
  }
}

export interface Evidence {
  /** Requests the departments received beyond the first per (application, step): re-sent after a crash. */
  resent: number;
  /** Callbacks a department could not deliver (the instance was down); polls picked the results up. */
  undeliveredCallbacks: number;
}

/** Signs in at `gateway` with the code the mock SMS service was asked to send to `mobile`; the session token. */
export async function signInAs(gateway: string, sms: MockSms, mobile: string): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const response = await request(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  };
  const sent = await post('/v1/applicant/sign-in-codes', { mobile });
  if (sent.status !== 202) throw new Error(`sign-in code refused: ${sent.status} ${JSON.stringify(sent.body)}`);
  const code = (sms.messages(mobile).at(-1)?.parameters as { code?: string } | undefined)?.code;
  const session = await post('/v1/applicant/sessions', { mobile, code });
  if (session.status !== 201) throw new Error(`sign-in refused: ${session.status} ${JSON.stringify(session.body)}`);
  return String(session.body.token);
}

/**
 * The exactly-once proof, per (application, step), from what the departments recorded:
 *  - exactly one effect at the department, under the key `${applicationId}:${step}:1`;
 *  - every request the department received for it carried that same key;
 *  - exactly one step.completed event recorded, and its result is the department's effect;
 *  - the application's status (read through `statusUrl`) shows that same result, one attempt;
 * and: exactly `ids.length` applications exist, all completed, no department effect for anything else.
 * Problems are collected and asserted as one list, so a failure shows every violation at once.
 */
export async function verifyExactlyOnce(
  t: Tap,
  options: { db: Database; departments: Departments; ids: string[]; statusUrl: string },
): Promise<Evidence> {
  const { db, departments, ids, statusUrl } = options;
  const problems: string[] = [];
  // The statuses are read as the applications' legal representative (every workload application
  // names FIXTURE_MOBILE): one sign-in by text-message code reaches them all, whoever submitted them.
  const bearer = await signInAs(statusUrl, departments.sms, FIXTURE_MOBILE);
  const idSet = new Set(ids);
  t.equal(idSet.size, ids.length, 'every submission got its own application');
  const states = await countByState(db);
  t.strictSame(states, { completed: ids.length }, `all ${ids.length} applications exist exactly once and are completed`);

  const { rows: completions } = await db.client.query<{ application_id: string; step: StepId; data: { result: unknown } }>(
    "SELECT application_id, step, data FROM application_events WHERE type = 'step.completed' ORDER BY application_id, seq",
  );
  const recorded = new Map<string, unknown[]>();
  for (const row of completions) {
    const key = `${row.application_id}|${row.step}`;
    recorded.set(key, [...(recorded.get(key) ?? []), row.data.result]);
  }

  const agent = new Agent({ connections: 8 });
  const statuses = new Map<string, { state: string; steps: Array<{ step: StepId; state: string; attempts: number; result: unknown }> }>();
  try {
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(
        ids.slice(i, i + 16).map(async (id) => {
          const response = await request(`${statusUrl}/v1/applications/${id}`, { dispatcher: agent, headers: { authorization: `Bearer ${bearer}` } });
          statuses.set(id, (await response.body.json()) as never);
        }),
      );
    }
  } finally {
    await agent.close();
  }

  let resent = 0;
  let undeliveredCallbacks = 0;
  for (const step of CORE_STEP_IDS) {
    const department = departments.mocks.departments[step];
    const effects = department.effects();
    const requests = department.requests();
    undeliveredCallbacks += department.callbacks().filter((c) => !c.delivered).length;
    const strays = effects.filter((e) => !idSet.has(e.applicationId));
    if (strays.length > 0) problems.push(`${step}: ${strays.length} effects for applications nobody submitted`);
    for (const id of ids) {
      const key = `${id}:${step}:1`;
      const mine = effects.filter((e) => e.applicationId === id);
      const received = requests.filter((r) => r.applicationId === id);
      if (mine.length !== 1) problems.push(`${id} ${step}: ${mine.length} department effects (want exactly 1)`);
      if (received.length === 0) problems.push(`${id} ${step}: the department received no request`);
      const otherKeys = [...new Set(received.map((r) => r.idempotencyKey).filter((k) => k !== key))];
      if (otherKeys.length > 0) problems.push(`${id} ${step}: requests carried other idempotency keys ${otherKeys.join(', ')} (want ${key})`);
      resent += Math.max(0, received.length - 1);
      const effect = mine[0];
      if (effect && effect.idempotencyKey !== key) problems.push(`${id} ${step}: effect under key ${effect.idempotencyKey} (want ${key})`);
      const results = recorded.get(`${id}|${step}`) ?? [];
      if (results.length !== 1) problems.push(`${id} ${step}: ${results.length} recorded step.completed results (want exactly 1)`);
      else if (effect && !isDeepStrictEqual(results[0], effect.result)) problems.push(`${id} ${step}: the recorded result differs from the department's effect`);
      const status = statuses.get(id)?.steps.find((s) => s.step === step);
      if (!status || status.state !== 'done') problems.push(`${id} ${step}: status ${status?.state ?? 'missing'} (want done)`);
      else {
        if (status.attempts !== 1) problems.push(`${id} ${step}: ${status.attempts} attempts in the status (want 1)`);
        if (effect && !isDeepStrictEqual(status.result, effect.result)) problems.push(`${id} ${step}: the status result differs from the department's effect`);
      }
    }
  }
  for (const id of ids) if (statuses.get(id)?.state !== 'completed') problems.push(`${id}: status ${statuses.get(id)?.state ?? 'missing'} (want completed)`);
  t.strictSame(problems.slice(0, 50), [], `exactly one effect, one request key and one recorded result per (application, step), for ${ids.length} × ${CORE_STEP_IDS.length}`);
  return { resent, undeliveredCallbacks };
}
