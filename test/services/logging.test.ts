// Logs carry the call's identifiers and outcome, never personal data (docs/design.md: "Personal data
// (ID numbers, phone numbers) never appear whole in logs").

import t from 'tap';
import { STEP_IDS } from '../../contracts/index.ts';
import { DEPARTMENT_ADAPTERS } from '../../services/index.ts';
import { LEGAL_REP_ID, LEGAL_REP_MOBILE, PRIOR, RECIPIENT_MOBILE, RESULTS, SHAREHOLDER_ID, makeEnvelope, makeForm } from './fixtures.ts';
import { captureLog, SECRETS, startDepartment } from './helpers.ts';

t.test('no ID number or mobile in any log line, whatever the outcome', async (t) => {
  const form = makeForm();
  const { log, lines } = captureLog();
  const answers = [
    (step: string) => ({ code: 200, body: { outcome: 'completed', result: RESULTS[step as keyof typeof RESULTS] } }),
    () => ({ code: 202, body: { outcome: 'accepted', reference: 'REF-1' } }),
    () => ({ code: 422, body: { outcome: 'rejected', reasons: [{ path: 'legalRepresentative.idNumber', message: `证件号 ${LEGAL_REP_ID} 与姓名不符` }] } }),
    () => ({ code: 400, body: { code: 'BAD', message: `mobile ${LEGAL_REP_MOBILE} unknown` } }),
    () => ({ code: 500, body: { code: 'INTERNAL', message: `failed for ${SHAREHOLDER_ID}` } }),
    // A contract violation that echoes the data back: the failure names paths, not values.
    () => ({ code: 200, body: { outcome: 'completed', result: { idNumber: LEGAL_REP_ID, mobile: LEGAL_REP_MOBILE } } }),
  ];
  let next = 0;
  const department = await startDepartment(t, async (request, reply) => {
    const step = (request.body as { step: string } | undefined)?.step ?? 'bank-account';
    const answer = answers[next++ % answers.length]!(step);
    return reply.code(answer.code).send(answer.body);
  });

  const outcomes: unknown[] = [];
  for (const step of STEP_IDS) {
    const adapter = DEPARTMENT_ADAPTERS[step]({ secrets: SECRETS, baseUrl: department.baseUrl, log, breaker: { consecutiveFailures: 100, halfOpenAfterMs: 1000 } });
    t.teardown(() => adapter.close());
    const envelope = makeEnvelope(step, adapter.buildRequest(form, PRIOR));
    for (let i = 0; i < answers.length; i++) outcomes.push(await adapter.submit(envelope));
    outcomes.push(await adapter.poll('REF-1'));
  }

  t.ok(lines.length >= STEP_IDS.length * (answers.length + 1), `${lines.length} log lines`);
  const text = lines.join('');
  for (const secret of [LEGAL_REP_ID, LEGAL_REP_MOBILE, SHAREHOLDER_ID, RECIPIENT_MOBILE]) {
    t.notOk(text.includes(secret), `${secret.slice(0, 3)}… never logged`);
  }
  // Failure messages end up in the step status and the ops API: no personal data there either.
  const failures = JSON.stringify(outcomes.filter((o) => (o as { kind: string }).kind === 'failed'));
  for (const secret of [LEGAL_REP_ID, LEGAL_REP_MOBILE, SHAREHOLDER_ID]) t.notOk(failures.includes(secret));

  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const submits = entries.filter((entry) => entry.operation === 'submit');
  t.equal(submits.length, STEP_IDS.length * answers.length);
  for (const entry of submits) {
    t.match(entry, { step: String, applicationId: String, idempotencyKey: String, outcome: String, durationMs: Number });
    t.notOk('data' in entry || 'body' in entry || 'result' in entry, 'no payload in the log line');
  }
  t.match(entries.find((entry) => entry.operation === 'submit' && entry.status === 500), { outcome: 'failed', code: 'DEPARTMENT_UNAVAILABLE', level: 40 });
  t.match(entries.find((entry) => entry.operation === 'poll'), { reference: 'REF-1', step: String });
});
