// `npm start`: the gateway with the six mock departments and the embedded store — nothing to
// install. Data persists in data/gateway.db across restarts. For development and demos only:
// the department secrets below are public.

import { mkdirSync } from 'node:fs';
import { CORE_STEP_IDS, STEP_IDS, type StepId } from '../contracts/index.ts';
import { startMockDepartments } from '../mocks/index.ts';
import { configFromEnv } from './config.ts';
import { createGateway } from './runtime.ts';

const env = process.env;
const basePort = Number(env.MOCK_BASE_PORT ?? 8081);
const optional = (env.OPTIONAL_STEPS ?? '').split(',').map((s) => s.trim()).filter((s): s is StepId => (STEP_IDS as readonly string[]).includes(s));
const steps: StepId[] = [...CORE_STEP_IDS, ...optional];
const secrets = Object.fromEntries(steps.map((s) => [s, `dev-secret-${s}-change-me`])) as Record<StepId, string>;

const mocks = await startMockDepartments({ steps, secrets, host: '127.0.0.1', basePort });
const departmentEnv: Record<string, string> = {};
for (const step of steps) {
  const prefix = `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
  departmentEnv[`${prefix}_URL`] = env[`${prefix}_URL`] ?? mocks.urls[step];
  departmentEnv[`${prefix}_SECRET`] = env[`${prefix}_SECRET`] ?? secrets[step];
}
mkdirSync('data', { recursive: true });
const config = configFromEnv({ POLL_INTERVAL_MS: '2000', ...env, ...departmentEnv });
const gateway = await createGateway(config);
const url = await gateway.start();

const lines = [
  '',
  '全链通 gateway is running (development mode, mock departments)',
  `  Applicant page ${url}/            (中文: submit, follow live, correct, withdraw)`,
  `  API            ${url}/v1/applications`,
  `  Docs (Swagger) ${url}/docs`,
  `  OpenAPI        ${url}/openapi.json`,
  `  Ops SLA        ${url}/v1/ops/sla`,
  `  Metrics        ${url}/metrics`,
  `  Store          ${gateway.store.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : config.sqliteFile}`,
  '  Mock departments (control: GET/PUT <url>/_mock/behaviour, records: GET <url>/_mock/requests):',
  ...steps.map((s) => `    ${s.padEnd(24)} ${mocks.urls[s]}`),
  '',
  '  Try:  curl -s -X POST ' + url + '/v1/applications -H "content-type: application/json" -H "Idempotency-Key: demo-0001" --data @gateway/web/example-application.json',
  '',
];
process.stdout.write(lines.join('\n') + '\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void gateway
      .close()
      .then(() => mocks.close())
      .finally(() => process.exit(0));
  });
}
