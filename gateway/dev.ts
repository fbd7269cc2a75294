// `npm start`: the gateway with the six mock departments, the mock SMS service and the embedded
// store — nothing to install, nothing to configure. Data persists in data/gateway.db across
// restarts. For development and demos only: the secrets and credentials below are public, and the
// banner prints them (docs/security.md: production refuses to start without its own).

import { mkdirSync } from 'node:fs';
import { CORE_STEP_IDS, OPS_ROLES, STEP_IDS, type StepId } from '../contracts/index.ts';
import { startMockDepartments, startMockSms } from '../mocks/index.ts';
import { configFromEnv, opsTokenSha256 } from './config.ts';
import { DEVELOPMENT_IDENTITY_KEY, developmentOpsToken } from './identity/index.ts';
import { createGateway } from './runtime.ts';

const env = process.env;
const basePort = Number(env.MOCK_BASE_PORT ?? 8081);
const optional = (env.OPTIONAL_STEPS ?? '').split(',').map((s) => s.trim()).filter((s): s is StepId => (STEP_IDS as readonly string[]).includes(s));
const steps: StepId[] = [...CORE_STEP_IDS, ...optional];
const secrets = Object.fromEntries(steps.map((s) => [s, `dev-secret-${s}-change-me`])) as Record<StepId, string>;
const smsSecret = env.SMS_SECRET ?? 'dev-secret-sms-change-me';

const mocks = await startMockDepartments({ steps, secrets, host: '127.0.0.1', basePort });
const sms = await startMockSms({ secret: smsSecret, host: '127.0.0.1', port: basePort + 9 });
const departmentEnv: Record<string, string> = {};
for (const step of steps) {
  const prefix = `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
  departmentEnv[`${prefix}_URL`] = env[`${prefix}_URL`] ?? mocks.urls[step];
  departmentEnv[`${prefix}_SECRET`] = env[`${prefix}_SECRET`] ?? secrets[step];
}
// One public development credential per role, unless the environment brings its own.
const ownOps = Boolean(env.OPS_CREDENTIALS || env.OPS_ADMIN_TOKEN);
const devOps = OPS_ROLES.map((role) => ({ role, name: `dev-${role}`, token: developmentOpsToken(role) }));
const identityEnv: Record<string, string> = {
  IDENTITY_KEY: env.IDENTITY_KEY ?? DEVELOPMENT_IDENTITY_KEY,
  SMS_URL: env.SMS_URL ?? sms.url,
  SMS_SECRET: smsSecret,
  ...(ownOps ? {} : { OPS_CREDENTIALS: devOps.map((c) => `${c.name}:${c.role}:${opsTokenSha256(c.token)}`).join(',') }),
};
mkdirSync('data', { recursive: true });
const config = configFromEnv({ POLL_INTERVAL_MS: '2000', ...env, ...departmentEnv, ...identityEnv });
const gateway = await createGateway(config);
const url = await gateway.start();

const lines = [
  '',
  '全链通 gateway is running (development mode, mock departments, public development credentials)',
  `  Applicant portal ${url}/          (中文: sign in, fill the form, name check, submit, follow live, correct, notice, 好差评)`,
  `  Ops console    ${url}/ops         (中文: SLA board, search, story, departments, calendar, report; an ops credential below)`,
  `  What-if        ${url}/ops/simulation   (or npm run simulate -- --scenario normal-month)`,
  `  API            ${url}/v1/applications`,
  `  Docs (Swagger) ${url}/docs`,
  `  OpenAPI        ${url}/openapi.json`,
  `  Ops SLA        ${url}/v1/ops/sla   (needs an ops credential, below)`,
  `  Metrics        ${url}/metrics`,
  `  Store          ${gateway.store.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : config.sqliteFile}`,
  '  Mock departments (control: GET/PUT <url>/_mock/behaviour, records: GET <url>/_mock/requests):',
  ...steps.map((s) => `    ${s.padEnd(24)} ${mocks.urls[s]}`),
  `  Mock SMS service ${sms.url}   sign-in codes: curl -s ${sms.url}/_mock/messages?recipient=<mobile>`,
  ownOps
    ? '  Ops credentials: from OPS_CREDENTIALS / OPS_ADMIN_TOKEN'
    : '  Ops credentials (development only; send as Authorization: Bearer <token>):',
  ...(ownOps ? [] : devOps.map((c) => `    ${c.role.padEnd(9)} ${c.token}`)),
  `  Identity key   ${env.IDENTITY_KEY ? 'IDENTITY_KEY' : 'the public development key (never in production)'}`,
  '',
  '  Try:  curl -s -X POST ' + url + '/v1/applications -H "content-type: application/json" -H "Idempotency-Key: demo-$(date +%s)" --data @gateway/web/example-application.json',
  '        (the answer carries the accessToken for GET /v1/applications/<id> and /events; see README "Try it")',
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
      .then(() => Promise.all([mocks.close(), sms.close()]))
      .finally(() => process.exit(0));
  });
}
