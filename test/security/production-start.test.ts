// gateway/server.ts fails closed: started as in production (`node --import tsx gateway/server.ts`,
// configured by the environment only) without credentials it refuses to start, naming in one
// message everything that is missing, with exit code 78 (EX_CONFIG). With them it starts, and its
// ops API is closed to anyone without an ops credential (there is no open mode any more).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { request } from 'undici';
import { CORE_STEP_IDS } from '../../contracts/index.ts';
import { PROCESS_OPS_ADMIN_TOKEN, startGatewayProcess, stopGateway } from '../support/gateway-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const prefix = (step: string) => `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;

/** The production entry with exactly `env` (plus PATH and HOME): its exit code and output. */
async function start(env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return run(process.execPath, ['--import', 'tsx', 'gateway/server.ts'], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0 as number | null, stdout, stderr }),
    (error: { code: number | null; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

t.test('without any configuration: exit 78 and one message naming every missing setting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-prod-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const result = await start({ SQLITE_FILE: join(dir, 'gateway.db'), PORT: '0' });
  t.equal(result.code, 78, 'EX_CONFIG');
  t.notMatch(result.stdout, /gateway listening/, 'it never listened');
  t.match(result.stderr, /^Invalid gateway configuration:\n/);
  for (const step of CORE_STEP_IDS) t.match(result.stderr, `the enabled department ${step} needs ${prefix(step)}_URL and ${prefix(step)}_SECRET`);
  t.match(result.stderr, /no ops admin credential: set OPS_ADMIN_TOKEN, or OPS_CREDENTIALS/);
  t.match(result.stderr, /IDENTITY_KEY is not set/);
  t.match(result.stderr, /the SMS service needs SMS_URL and SMS_SECRET/);
  t.match(result.stderr, /The gateway did not start/);
  t.equal(result.stderr.match(/Invalid gateway configuration/g)?.length, 1, 'one message, not one per problem');
});

t.test('department URLs without secrets, an optional step, a viewer but no admin, and the retired OPS_TOKEN: each named', async (t) => {
  const env: Record<string, string> = {
    SQLITE_FILE: ':memory:',
    OPTIONAL_STEPS: 'housing-provident-fund',
    IDENTITY_KEY: 'production-test-identity-key-0123456789',
    SMS_URL: 'http://127.0.0.1:9',
    SMS_SECRET: 'production-test-sms-secret-0123',
    OPS_CREDENTIALS: `grafana:viewer:${'a'.repeat(64)}`,
    OPS_TOKEN: 'the-old-single-ops-token-0123456789',
  };
  for (const step of [...CORE_STEP_IDS, 'housing-provident-fund']) env[`${prefix(step)}_URL`] = 'http://127.0.0.1:9';
  const result = await start(env);
  t.equal(result.code, 78);
  for (const step of [...CORE_STEP_IDS, 'housing-provident-fund']) t.match(result.stderr, `the enabled department ${step} needs ${prefix(step)}_SECRET\n`);
  t.match(result.stderr, /no ops admin credential/, 'a viewer is not an admin');
  t.match(result.stderr, /OPS_TOKEN is no longer read/);
  t.notMatch(result.stderr, /IDENTITY_KEY|SMS_URL/, 'what is there is not reported');
});

t.test('with everything it needs it starts, and its ops API answers 401 without a credential', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-prod-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    SQLITE_FILE: join(dir, 'gateway.db'),
    HOST: '127.0.0.1',
    OPS_ADMIN_TOKEN: PROCESS_OPS_ADMIN_TOKEN,
    IDENTITY_KEY: 'production-test-identity-key-0123456789',
    SMS_URL: 'http://127.0.0.1:9',
    SMS_SECRET: 'production-test-sms-secret-0123',
  };
  for (const step of CORE_STEP_IDS) Object.assign(env, { [`${prefix(step)}_URL`]: 'http://127.0.0.1:9', [`${prefix(step)}_SECRET`]: `production-test-secret-${step}` });
  const gateway = await startGatewayProcess(t, { name: 'production', env });
  const sla = (headers: Record<string, string>) => request(`${gateway.url}/v1/ops/sla`, { headers }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as { code?: string } }));
  t.match(await sla({}), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } }, 'no open mode');
  t.match(await sla({ authorization: `Bearer ${PROCESS_OPS_ADMIN_TOKEN}` }), { status: 200 }, 'OPS_ADMIN_TOKEN is an admin');
  const stopped = await stopGateway(gateway, 'SIGTERM');
  t.equal(stopped.code, 0);
});
