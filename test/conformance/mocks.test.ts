// The conformance kit against the reference mock departments (every check passes, in both the
// synchronous and the asynchronous mode of every step), against departments broken on purpose
// (the checks for the broken rules fail, the others still pass: the kit cannot pass vacuously),
// and as the command-line tool departments run (output lines and exit codes).

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { STEP_IDS, type StepId } from '../../contracts/index.ts';
import { startMockDepartments } from '../../mocks/index.ts';
import { startBrokenDepartment, type Breaks } from './broken-department.ts';
import { CHECKS, runConformance, summarise, type CheckId, type CheckResult } from './kit.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'conformance-test-secret-0123456789';
const ALL = CHECKS.map((c) => c.id);
const CALLBACK_CHECKS: CheckId[] = ['callback-arrives', 'callback-signature', 'callback-timestamp', 'callback-department-id', 'callback-body', 'callback-consistent'];
/** Checks of one department's own operations (the market regulator's name check): skipped for the others. */
const notApplicable = (step: StepId): CheckId[] => (step === 'business-licence' ? [] : ['name-check']);

const withStatus = (results: CheckResult[], status: CheckResult['status']) => results.filter((r) => r.status === status).map((r) => r.check);
const failures = (results: CheckResult[]) => results.filter((r) => r.status === 'fail').map((r) => `${r.check}: ${r.reason}`);

t.test('every mock department passes, synchronous and asynchronous', async (t) => {
  const secrets = Object.fromEntries(STEP_IDS.map((step) => [step, `${SECRET}-${step}`])) as Record<StepId, string>;
  const mocks = await startMockDepartments({ steps: STEP_IDS, secrets });
  t.teardown(() => mocks.close());

  for (const step of STEP_IDS) {
    const department = mocks.departments[step];
    const defaultMode = department.behaviour().mode;
    for (const mode of [defaultMode, defaultMode === 'sync' ? 'async' : 'sync'] as const) {
      await t.test(`${step}, ${mode}`, async (t) => {
        // Through the control endpoint, as an integrator would switch a mock.
        const put = await fetch(`${mocks.urls[step]}/_mock/behaviour`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mode, callbackDelayMs: 30 }),
        });
        t.equal(put.status, 200, 'the behaviour is switched');
        const lines: string[] = [];
        const results = await runConformance({ step, url: mocks.urls[step], secret: secrets[step], log: (line) => lines.push(line) });

        t.same(results.map((r) => r.check), ALL, 'one result per check, in order');
        t.same(failures(results), [], 'no check fails');
        if (mode === 'async') {
          t.same(withStatus(results, 'pass'), ALL.filter((id) => !notApplicable(step).includes(id)), 'asynchronously, every check that applies passes');
          t.same(withStatus(results, 'skip'), notApplicable(step), "another department's operations are skipped");
        } else {
          t.same(withStatus(results, 'skip'), ALL.filter((id) => CALLBACK_CHECKS.includes(id) || notApplicable(step).includes(id)), 'synchronously, only the callback checks (and other departments\' operations) are skipped');
          for (const r of results.filter((r) => r.status === 'skip')) t.match(r.reason, /synchronously|callback-arrives|name checks/);
        }
        t.same(lines, results.map((r) => (r.reason ? `${r.status.toUpperCase()} ${r.check}: ${r.reason}` : `PASS ${r.check}`)), 'log gets one line per check');

        // What the answers could only suggest, the mock's records confirm: one effect per key.
        await department.settled();
        const perKey = new Map<string, number>();
        for (const effect of department.effects()) perKey.set(effect.idempotencyKey, (perKey.get(effect.idempotencyKey) ?? 0) + 1);
        t.ok(perKey.size >= 3, 'the kit made requests that had effects');
        t.same([...perKey.values()].filter((n) => n > 1), [], 'no idempotency key had a second effect');
        department.reset();
      });
    }
  }
});

async function runAgainstBroken(t: Tap, breaks: Breaks, options: { callbackTimeoutMs?: number } = {}) {
  const department = await startBrokenDepartment({ step: 'business-licence', secret: SECRET, breaks });
  t.teardown(() => department.close());
  return runConformance({ step: 'business-licence', url: department.url, secret: SECRET, callbackTimeoutMs: options.callbackTimeoutMs ?? 3_000 });
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test('a department that ignores idempotency and signs with the wrong secret fails exactly those checks', async (t) => {
  const results = await runAgainstBroken(t, { ignoreIdempotency: true, callbackSecret: 'not-the-shared-secret-0000' });
  const failed = ['idempotent-replay', 'idempotent-concurrent', 'callback-signature', 'callback-consistent'];
  t.same(withStatus(results, 'fail'), failed);
  t.same(withStatus(results, 'pass'), ALL.filter((id) => !failed.includes(id)), 'every other check still passes');
  const reason = (id: CheckId) => results.find((r) => r.check === id)!.reason;
  t.match(reason('idempotent-replay'), /answered reference BRK\d+ where the first answer had BRK\d+.*second effect/);
  t.match(reason('idempotent-concurrent'), /second effect/);
  t.match(reason('callback-signature'), /does not verify with the given secret/);
  t.match(reason('callback-consistent'), /repeat of the key after the callback/);
  t.same(summarise(results), { passed: 19, failed: 4, skipped: 0, line: '19 passed, 4 failed' });
});

t.test('a department that breaks every rule it can fails every check that covers one', async (t) => {
  const results = await runAgainstBroken(t, {
    ignoreIdempotency: true,
    noValidation: true,
    unknownReference200: true,
    textPlain: true,
    staleTimestamp: true,
    departmentId: 'tax-invoice',
    invalidCallbackResult: true,
    acceptUnsigned: true,
  });
  // Still right: it answers 202 with a valid DepartmentAnswer, gives distinct references, answers
  // polls, calls back, signs correctly.
  const passing = ['valid-request', 'distinct-keys', 'poll', 'callback-arrives', 'callback-signature'];
  t.same(withStatus(results, 'pass'), passing);
  t.same(withStatus(results, 'fail'), ALL.filter((id) => !passing.includes(id)));
  const reason = (id: CheckId) => results.find((r) => r.check === id)!.reason;
  t.match(reason('rejects-missing-field'), /lacks companyName got HTTP 202/);
  t.match(reason('rejects-wrong-type'), /is a number got HTTP 202/);
  t.match(reason('rejects-malformed-json'), /cut-off JSON got HTTP 202/);
  t.match(reason('requires-idempotency-key'), /without the Idempotency-Key header got HTTP 202/);
  t.match(reason('poll-unknown-reference'), /answered HTTP 200; an unknown reference is 404/);
  t.match(reason('callback-timestamp'), /BRK\d+\.e1: x-department-timestamp is 360\d s old \(at most 300 s\)/);
  t.match(reason('callback-department-id'), /x-department-id is "tax-invoice", expected "business-licence"/);
  t.match(reason('callback-body'), /Content-Type is "text\/plain".*result\.creditCode/);
  t.match(reason('json-answers'), /came as "text\/plain/);
  t.match(reason('refuses-unsigned'), /without the signature headers got HTTP 202: the department acted on a request the gateway did not sign/);
  t.match(reason('refuses-forged-signature'), /signed with another secret got HTTP 202/);
  t.match(reason('refuses-stale-signature'), /signed 3900 s ago got HTTP 202/);
  t.match(reason('refuses-replay'), /sent a second time got HTTP 202/);
});

t.test('a department that checks the signature but not its age fails refuses-stale-signature only; one that keeps no nonces, refuses-replay only', async (t) => {
  const stale = await runAgainstBroken(t, { acceptStale: true });
  t.same(withStatus(stale, 'fail'), ['refuses-stale-signature']);
  t.same(withStatus(stale, 'pass'), ALL.filter((id) => id !== 'refuses-stale-signature'));
  const replayed = await runAgainstBroken(t, { acceptReplayed: true });
  t.same(withStatus(replayed, 'fail'), ['refuses-replay']);
  // 202 while the request is in progress; 200 if its callback delay passed before the replay (a loaded machine).
  t.match(replayed.find((r) => r.check === 'refuses-replay')!.reason, /same signed request \(same nonce, same bytes\) sent a second time got HTTP 20[02]/);
});

t.test('a department that never calls back fails callback-arrives; the checks that inspect callbacks skip', async (t) => {
  const results = await runAgainstBroken(t, { noCallback: true }, { callbackTimeoutMs: 300 });
  t.same(withStatus(results, 'fail'), ['callback-arrives']);
  t.match(results.find((r) => r.check === 'callback-arrives')!.reason, /no callback arrived at http:\/\/127\.0\.0\.1:\d+\/v1\/departments\/business-licence\/callbacks within 0\.3 s/);
  t.same(withStatus(results, 'skip'), CALLBACK_CHECKS.slice(1));
});

t.test('a callback to another route than the callbackUrl fails callback-arrives', async (t) => {
  const results = await runAgainstBroken(t, { callbackToStep: 'tax-invoice' });
  t.same(withStatus(results, 'fail'), ['callback-arrives']);
  t.match(results.find((r) => r.check === 'callback-arrives')!.reason, /came to \/v1\/departments\/tax-invoice\/callbacks; POST it to the callbackUrl of the request \(\/v1\/departments\/business-licence\/callbacks\)/);
});

t.test('an answer whose result breaks the step schema fails valid-request, naming the field', async (t) => {
  const results = await runAgainstBroken(t, { sync: true, invalidResult: true });
  const valid = results.find((r) => r.check === 'valid-request')!;
  t.equal(valid.status, 'fail');
  t.match(valid.reason, /the result does not match BusinessLicenceResult: result\.creditCode: Unified Social Credit Code/);
  t.equal(results.find((r) => r.check === 'poll')!.status, 'skip', 'poll needs the first answer');
});

t.test('an unreachable department passes nothing', async (t) => {
  const department = await startBrokenDepartment({ step: 'social-insurance', secret: SECRET, breaks: {} });
  await department.close();
  const results = await runConformance({ step: 'social-insurance', url: department.url, secret: SECRET, requestTimeoutMs: 2_000 });
  t.same(withStatus(results, 'pass'), []);
  t.match(results[0]!.reason, /POST \/requests got no answer: ECONNREFUSED/);
});

t.test('the command line: output lines and exit codes', async (t) => {
  const mocks = await startMockDepartments({ steps: ['business-licence'], secrets: { 'business-licence': SECRET } });
  t.teardown(() => mocks.close());
  const url = mocks.urls['business-licence'];
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'test/conformance/cli.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  const ok = await cli('--step', 'business-licence', '--url', url, '--secret', SECRET);
  t.equal(ok.code, 0, 'exit 0 when nothing fails');
  const lines = ok.stdout.trimEnd().split('\n');
  t.equal(lines.length, ALL.length + 1, 'one line per check and a summary');
  t.same(lines.slice(0, -1).map((line) => line.split(/[ :]/)[1]), ALL);
  for (const line of lines.slice(0, -1)) t.match(line, /^(PASS [a-z-]+|SKIP [a-z-]+: .+)$/);
  t.equal(lines.at(-1), '17 passed, 0 failed, 6 skipped', 'the synchronous mock sends no callbacks to check');

  // Asynchronous now, checked with a secret that is not the department's: the department refuses
  // the kit's requests, and the kit says why.
  mocks.departments['business-licence'].setBehaviour({ mode: 'async', callbackDelayMs: 30 });
  const wrong = await cli('--step', 'business-licence', '--url', `${url}/`, '--secret', 'not-the-shared-secret-0000', '--callback-timeout', '5');
  t.equal(wrong.code, 1, 'exit 1 when a check fails');
  t.match(wrong.stdout, /^FAIL valid-request: POST \/requests answered HTTP 401.*refused the kit's signature: is --secret the secret the department verifies with\?.*GATEWAY_SIGNATURE_INVALID/m);
  t.match(wrong.stdout, /^PASS refuses-unsigned$/m, 'it still refuses unsigned requests');
  t.match(wrong.stdout, /\n4 passed, 10 failed, 9 skipped\n$/);

  const usage = await cli('--step', 'land-registry', '--url', url, '--secret', SECRET);
  t.equal(usage.code, 2, 'exit 2 on bad arguments');
  t.match(usage.stderr, /Unknown step "land-registry"/);
  t.equal(usage.stdout, '');
});
