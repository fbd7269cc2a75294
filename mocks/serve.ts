// Runs the mock departments as a process of their own, configured by environment variables only
// (docker-compose.yml runs it next to the gateway replicas). For development, demos and
// compose-level tests; never part of a production deployment.
//
//   MOCK_HOST          address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
//   MOCK_BASE_PORT     step i of STEP_IDS listens on MOCK_BASE_PORT + i (default 9001:
//                      business-licence 9001, seal-engraving 9002, tax-invoice 9003,
//                      social-insurance 9004, bank-account 9005, postal-delivery 9006,
//                      housing-provident-fund 9007)
//   MOCK_STEPS         comma-separated steps to run (default: the six core steps)
//   DEPT_<STEP>_SECRET shared secret of each step, e.g. DEPT_SEAL_ENGRAVING_SECRET — the same
//                      variables the gateway reads, so one env file can serve both
//   DEPT_<STEP>_SECRET_PREVIOUS  optional: the other secret during a change-over
//   SMS_SECRET         when set, the mock SMS service runs too, on MOCK_BASE_PORT + 9 (9010), with
//                      this secret (and SMS_SECRET_PREVIOUS); GET <url>/_mock/messages shows what it was asked to send
//   MOCK_BEHAVIOUR     optional JSON: { "<step>": <behaviour document> } (see GET /_mock/behaviour)
//   MOCK_SEED          optional: reproducible identifiers and faults
//
// SIGTERM/SIGINT close every department (pending callbacks are abandoned) and exit 0.
import { CORE_STEP_IDS, STEP_IDS, StepId } from '../contracts/index.ts';
import { startMockDepartments, startMockSms, type MockBehaviourInput, type MockSms } from './index.ts';

const env = process.env;

function fail(message: string): never {
  process.stderr.write(`mocks/serve: ${message}\n`);
  process.exit(2);
}

const steps: StepId[] = env.MOCK_STEPS
  ? env.MOCK_STEPS.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const parsed = StepId.safeParse(s);
      return parsed.success ? parsed.data : fail(`MOCK_STEPS: unknown step "${s}"; steps are ${STEP_IDS.join(', ')}`);
    })
  : [...CORE_STEP_IDS];

const secretVariable = (step: StepId) => `DEPT_${step.toUpperCase().replace(/-/g, '_')}_SECRET`;
const secrets: Partial<Record<StepId, string>> = {};
const previousSecrets: Partial<Record<StepId, string>> = {};
for (const step of steps) {
  const secret = env[secretVariable(step)];
  if (!secret || secret.length < 16) fail(`set ${secretVariable(step)} (at least 16 characters, the same value as the gateway's)`);
  secrets[step] = secret;
  const previous = env[`${secretVariable(step)}_PREVIOUS`];
  if (previous) previousSecrets[step] = previous;
}
if (env.SMS_SECRET !== undefined && env.SMS_SECRET.length < 16) fail('SMS_SECRET must be at least 16 characters, the same value as the gateway\'s');

let behaviour: Partial<Record<StepId, MockBehaviourInput>> | undefined;
if (env.MOCK_BEHAVIOUR) {
  try {
    behaviour = JSON.parse(env.MOCK_BEHAVIOUR) as Partial<Record<StepId, MockBehaviourInput>>;
  } catch {
    fail('MOCK_BEHAVIOUR must be JSON: { "<step>": { …behaviour document… } }');
  }
}

const basePort = Number(env.MOCK_BASE_PORT ?? 9001);
if (!Number.isInteger(basePort) || basePort < 1 || basePort + STEP_IDS.length > 65_536) fail(`MOCK_BASE_PORT must be a port number; got "${env.MOCK_BASE_PORT}"`);
const seed = env.MOCK_SEED === undefined ? undefined : Number(env.MOCK_SEED);

const mocks = await startMockDepartments({
  steps,
  secrets,
  host: env.MOCK_HOST ?? '127.0.0.1',
  basePort,
  previousSecrets,
  ...(behaviour ? { behaviour } : {}),
  ...(seed === undefined || Number.isNaN(seed) ? {} : { seed }),
});
for (const step of steps) {
  process.stdout.write(`${JSON.stringify({ msg: 'mock department listening', step, url: mocks.urls[step], mode: mocks.departments[step].behaviour().mode })}\n`);
}
let sms: MockSms | undefined;
if (env.SMS_SECRET) {
  sms = await startMockSms({
    secret: env.SMS_SECRET,
    ...(env.SMS_SECRET_PREVIOUS ? { previousSecret: env.SMS_SECRET_PREVIOUS } : {}),
    host: env.MOCK_HOST ?? '127.0.0.1',
    port: basePort + 9,
  });
  process.stdout.write(`${JSON.stringify({ msg: 'mock SMS service listening', url: sms.url, messages: `${sms.url}/_mock/messages` })}\n`);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([mocks.close(), sms?.close()]).finally(() => process.exit(0));
  });
}
