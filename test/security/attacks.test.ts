// Attacking the trust boundary the way an intruder would, over real HTTP: guessing and tweaking
// tokens, fixing a session, reusing or transplanting a one-time code, brute-forcing it, enumerating
// numbers and applications, reusing another owner's idempotency key, an expired session, a
// revoked ops credential, a department posing as another, a replayed gateway request — and what
// the logs and the database would give away.
//
// No assertion is about time (the machine is shared): where timing is the attack, the test proves
// the property that defeats it instead — credentials are looked up by a hash of what was sent, so
// the work done is the same whatever the guess.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { pino } from 'pino';
import { request } from 'undici';
import { GATEWAY_NONCE_HEADER, GATEWAY_SIGNATURE_HEADER, GATEWAY_TIMESTAMP_HEADER } from '../../contracts/index.ts';
import { startMockDepartment } from '../../mocks/index.ts';
import { createBusinessLicenceAdapter } from '../../services/index.ts';
import { makeApplication } from '../fixtures/application.ts';
import { signedHeaders } from '../e2e/helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const MOBILE = '13900001111';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const randomToken = (prefix: string) => prefix + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
/** The same token with one character changed at `index`. */
const tweak = (token: string, index: number) => token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);

async function submitAs(h: Harness, headers: Record<string, string>, overrides = {}) {
  const r = await h.anonymous('POST', '/v1/applications', makeApplication(overrides), headers);
  return { status: r.status, id: (r.body as { id: string }).id, accessToken: (r.body as { accessToken?: string }).accessToken, body: r.body };
}

t.test('token guessing: random and near-miss tokens of every kind are refused, and only hashes are stored', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const session = await h.signIn(MOBILE);
  const mine = await submitAs(h, bearer(session));
  const anonymous = await submitAs(h, {});

  for (let i = 0; i < 20; i++) {
    t.equal((await h.anonymous('GET', '/v1/applicant/session', undefined, bearer(randomToken('qlt_sess_')))).status, 401);
    t.equal((await h.anonymous('GET', `/v1/applications/${anonymous.id}`, undefined, bearer(randomToken('qlt_app_')))).status, 404);
    t.equal((await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(randomToken('qlt_ops_')))).status, 401);
  }
  // One character off, at the start of the secret part and at its end: refused the same way.
  for (const index of ['qlt_sess_'.length, session.length - 1]) {
    t.match(await h.anonymous('GET', `/v1/applications/${mine.id}`, undefined, bearer(tweak(session, index))), { status: 401, body: { code: 'APPLICANT_UNAUTHENTICATED' } });
  }
  for (const index of ['qlt_app_'.length, anonymous.accessToken!.length - 1]) {
    t.match(await h.anonymous('GET', `/v1/applications/${anonymous.id}`, undefined, bearer(tweak(anonymous.accessToken!, index))), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });
  }
  for (const index of [0, h.opsTokens.admin.length - 1]) {
    t.match(await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(tweak(h.opsTokens.admin, index))), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  }
  const created = (await h.http('POST', '/v1/ops/credentials', { name: 'guess-target', role: 'viewer' })).body as { token: string };
  t.equal((await h.anonymous('GET', '/v1/ops/me', undefined, bearer(tweak(created.token, created.token.length - 1)))).status, 401, 'a created credential, one character off');
  t.equal((await h.anonymous('GET', '/v1/ops/me', undefined, bearer(created.token))).status, 200, 'and the real one works');

  // The database holds no credential, no code, no mobile number: a copy of it signs nobody in.
  const file = h.gateway.deps.config.sqliteFile;
  const bytes = [file, `${file}-wal`].map((f) => { try { return readFileSync(f).toString('latin1'); } catch { return ''; } }).join('');
  for (const [what, secret] of [['session token', session], ['access token', anonymous.accessToken!], ['ops token', created.token], ['sign-in code', h.lastCode(MOBILE)!]] as const) {
    t.notOk(bytes.includes(secret), `no ${what} in the database`);
  }
  t.notOk(bytes.includes('qlt_'), 'nothing that even looks like a token');
  t.notOk(/"mobile:13900001111|mobile_key.{0,40}13900001111/.test(bytes), 'the signed-in number is stored as a keyed hash');
});

t.test('session fixation: sign-in always issues a new token, never one the client brought', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const planted = randomToken('qlt_sess_');
  const victim = await h.signIn('13900002222');
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: MOBILE });
  const code = h.lastCode(MOBILE)!;
  for (const brought of [planted, victim]) {
    h.fakeClock!.advance(61_000);
    await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: MOBILE });
    const signedIn = await h.anonymous('POST', '/v1/applicant/sessions', { mobile: MOBILE, code: h.lastCode(MOBILE) }, bearer(brought));
    t.equal(signedIn.status, 201);
    const token = (signedIn.body as { token: string }).token;
    t.not(token, brought, 'a fresh token');
    t.match((await h.anonymous('GET', '/v1/applicant/session', undefined, bearer(token))).body, { mobileHint: '139****1111' });
  }
  t.equal((await h.anonymous('GET', '/v1/applicant/session', undefined, bearer(planted))).status, 401, 'the planted token still opens nothing');
  t.match((await h.anonymous('GET', '/v1/applicant/session', undefined, bearer(victim))).body, { mobileHint: '139****2222' }, "the victim's session is still the victim's");
  t.ok(code);
});

t.test('one-time codes: used once, only by their number, dead after a few wrong guesses, requested at a bounded rate, the same answer for every number', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const signIn = (mobile: string, code: string) => h.anonymous('POST', '/v1/applicant/sessions', { mobile, code });

  // Reuse.
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: MOBILE });
  const code = h.lastCode(MOBILE)!;
  t.equal((await signIn(MOBILE, code)).status, 201);
  t.match(await signIn(MOBILE, code), { status: 401, body: { code: 'SIGN_IN_CODE_INVALID' } }, 'a used code is refused');

  // A code sent to one number does not open another.
  const a = '13900003333';
  const b = '13900004444';
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: a });
  t.match(await signIn(b, h.lastCode(a)!), { status: 401, body: { code: 'SIGN_IN_CODE_INVALID' } }, "a's code for b (b asked for none)");
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: b });
  if (h.lastCode(a) !== h.lastCode(b)) t.match(await signIn(b, h.lastCode(a)!), { status: 401 }, "a's code for b (b has its own)");
  t.equal((await signIn(a, h.lastCode(a)!)).status, 201, "a's code still works for a");

  // Brute force: five wrong guesses kill the code, the right one included.
  const victim = '13900005555';
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: victim });
  const right = h.lastCode(victim)!;
  const wrong = (n: number) => String((Number(right) + n) % 1_000_000).padStart(6, '0');
  for (let i = 1; i <= 5; i++) t.equal((await signIn(victim, wrong(i))).status, 401, `guess ${i}`);
  t.match(await signIn(victim, right), { status: 401, body: { code: 'SIGN_IN_CODE_INVALID' } }, 'after five wrong guesses the right code is dead too');

  // Rate: one code a minute per number, ten a day; the answer says when to come back.
  const limited = await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: victim });
  t.match(limited, { status: 429, body: { code: 'SIGN_IN_RATE_LIMITED' } });
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'Retry-After within the minute');
  t.equal(h.sms.messages(victim).length, 1, 'no text message was sent for the refused request');
  for (let i = 0; i < 9; i++) {
    h.fakeClock!.advance(61_000);
    t.equal((await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: victim })).status, 202);
  }
  h.fakeClock!.advance(61_000);
  const daily = await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: victim });
  t.match(daily, { status: 429 }, 'ten a day: at most 50 guesses a day at one number (one in 20 000)');
  t.equal(Number(daily.headers['retry-after']), 86_400 - 10 * 61, 'until the first of the ten is a day old');
  t.equal(h.sms.messages(victim).length, 10);

  // Expiry: a code is valid for five minutes.
  const late = '13900006666';
  await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: late });
  h.fakeClock!.advance(5 * 60_000 + 1_000);
  t.match(await signIn(late, h.lastCode(late)!), { status: 401 }, 'an expired code');

  // No enumeration: a number that has an account and one never seen get the same answer.
  h.fakeClock!.advance(3_600_000);
  const known = await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: MOBILE });
  const unknown = await h.anonymous('POST', '/v1/applicant/sign-in-codes', { mobile: '13900007777' });
  t.equal(known.status, unknown.status);
  t.same(known.body, unknown.body, 'same body whether or not the number has signed in before');
});

t.test('an expired or signed-out session opens nothing', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00', config: { applicants: { sessionTtlSeconds: 3600 } } });
  const session = await h.signIn(MOBILE);
  const mine = await submitAs(h, bearer(session));
  t.equal((await h.anonymous('GET', `/v1/applications/${mine.id}`, undefined, bearer(session))).status, 200);
  h.fakeClock!.advance(3600_000);
  t.match(await h.anonymous('GET', `/v1/applications/${mine.id}`, undefined, bearer(session)), { status: 401, body: { code: 'APPLICANT_UNAUTHENTICATED' } }, 'expired: sign in again');
  t.equal((await h.anonymous('GET', '/v1/applicant/applications', undefined, bearer(session))).status, 401);
  const again = await h.signIn(MOBILE);
  t.equal((await h.anonymous('DELETE', '/v1/applicant/session', undefined, bearer(again))).status, 204);
  t.equal((await h.anonymous('GET', `/v1/applications/${mine.id}`, undefined, bearer(again))).status, 401, 'signed out');
  t.equal((await h.anonymous('DELETE', '/v1/applicant/session', undefined, bearer(again))).status, 401, 'and cannot sign out twice');
});

t.test("applications: another applicant's credential, an unknown id and no credential look the same; keys and tokens do not cross owners", async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const alice = await h.signIn('13900008881');
  const bob = await h.signIn('13900008882');
  const hers = await submitAs(h, { ...bearer(alice), 'idempotency-key': 'shared-key-0001' }, { legalRepresentative: { mobile: '13900008883' } });
  t.equal(hers.status, 202);
  t.equal(hers.accessToken, undefined, 'a signed-in submission needs no access token');

  const asBob = await h.anonymous('GET', `/v1/applications/${hers.id}`, undefined, bearer(bob));
  const unknown = await h.anonymous('GET', '/v1/applications/6f1c0d2e-0000-4000-8000-000000000000', undefined, bearer(bob));
  const nobody = await h.anonymous('GET', `/v1/applications/${hers.id}`);
  t.same([asBob.status, asBob.body], [unknown.status, unknown.body], "Bob on Alice's application: exactly like an id that does not exist");
  t.same([nobody.status, nobody.body], [404, unknown.body]);
  for (const path of ['/events', '/corrections', '/withdrawal']) {
    const method = path === '/events' ? 'GET' : 'POST';
    t.match(await h.anonymous(method, `/v1/applications/${hers.id}${path}`, method === 'POST' ? { fields: { companyName: '三门峡冒名科技有限公司' } } : undefined, bearer(bob)), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } }, `${method} ${path}`);
  }
  t.equal((await h.status(hers.id).catch(() => null)) === null, true, '(the harness has no credential for it either)');
  t.match(await h.anonymous('GET', `/v1/applications/${hers.id}`, undefined, bearer(alice)), { status: 200, body: { state: 'in_progress' } }, 'Alice still sees it, unwithdrawn');

  // Bob reuses Alice's idempotency key with Alice's very form: his own, new application.
  const bobs = await submitAs(h, { ...bearer(bob), 'idempotency-key': 'shared-key-0001' }, { legalRepresentative: { mobile: '13900008883' } });
  t.equal(bobs.status, 202);
  t.not(bobs.id, hers.id, 'keys are per owner: no leak of Alice’s application');
  const again = await submitAs(h, { ...bearer(alice), 'idempotency-key': 'shared-key-0001' }, { legalRepresentative: { mobile: '13900008883' } });
  t.equal(again.id, hers.id, "Alice's own retry returns her application");
  const conflict = await submitAs(h, { ...bearer(alice), 'idempotency-key': 'shared-key-0001' }, { companyName: '三门峡另一家科技有限公司', legalRepresentative: { mobile: '13900008883' } });
  t.match(conflict, { status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });

  // Anonymous: the token is handed out once; a repeat (by anyone with the key and the form) gets the id only.
  const first = await submitAs(h, { 'idempotency-key': 'anonymous-key-0001' });
  const repeat = await submitAs(h, { 'idempotency-key': 'anonymous-key-0001' });
  t.equal(repeat.id, first.id);
  t.ok(first.accessToken);
  t.equal(repeat.accessToken, undefined, 'no second token');
  t.not(first.id, hers.id, 'anonymous keys are not signed-in keys');

  // One application's token does not open another.
  const other = await submitAs(h, {});
  t.match(await h.anonymous('GET', `/v1/applications/${other.id}`, undefined, bearer(first.accessToken!)), { status: 404 });
  t.match(await h.anonymous('GET', '/v1/applicant/applications', undefined, bearer(first.accessToken!)), { status: 401 }, 'an access token is not a session');
  t.match(await h.anonymous('GET', `/v1/applications/${other.id}`, undefined, bearer(h.opsTokens.admin)), { status: 401, body: { code: 'APPLICANT_UNAUTHENTICATED' } }, 'an ops credential is not an applicant one');
  t.match(await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(alice)), { status: 401 }, 'a session is not an ops credential');
});

t.test('a revoked ops credential stops working at once, and both acts are audited', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const created = await h.http('POST', '/v1/ops/credentials', { name: 'temp.operator', role: 'operator' });
  t.equal(created.status, 201);
  const token = (created.body as { token: string }).token;
  t.match(await h.anonymous('GET', '/v1/ops/me', undefined, bearer(token)), { status: 200, body: { name: 'temp.operator', role: 'operator' } });
  t.equal((await h.http('DELETE', '/v1/ops/credentials/temp.operator')).status, 200);
  t.match(await h.anonymous('GET', '/v1/ops/me', undefined, bearer(token)), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  t.match(await h.http('POST', '/v1/ops/credentials', { name: 'temp.operator', role: 'admin' }), { status: 409, body: { code: 'OPS_CREDENTIAL_EXISTS' } }, 'its name is not handed out again');
  t.match(await h.http('DELETE', '/v1/ops/credentials/test-admin'), { status: 409, body: { code: 'OPS_CREDENTIAL_FROM_CONFIG' } }, 'a configured credential is removed in the configuration');
  const audit = (await h.http('GET', '/v1/ops/audit?actor=test-admin')).body as { items: Array<{ action: string; target: { credential: string }; outcome: { status: number } }> };
  t.match(
    audit.items.map((e) => [e.action, e.target.credential, e.outcome.status]),
    [
      ['credential.revoke', 'test-admin', 409],
      ['credential.create', 'temp.operator', 409],
      ['credential.revoke', 'temp.operator', 200],
      ['credential.create', 'temp.operator', 201],
    ],
  );
});

t.test('a department cannot act as another', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const { id } = await submitAs(h, {});
  const body = JSON.stringify({ eventId: 'forged-0001', applicationId: id, idempotencyKey: `${id}:seal-engraving:1`, reference: 'R', outcome: 'progress', milestone: {} });
  // The tax bureau claims to be public security, signing with its own secret.
  const claimed = { ...signedHeaders(h, 'tax-invoice', body), 'x-department-id': 'seal-engraving' };
  t.match(await h.anonymous('POST', '/v1/departments/seal-engraving/callbacks', body, { 'content-type': 'application/json', ...claimed }), { status: 401, body: { code: 'CALLBACK_SIGNATURE_INVALID' } }, 'a signature that does not match the claimed department');
  t.match(await h.anonymous('POST', '/v1/departments/seal-engraving/callbacks', body, { 'content-type': 'application/json', ...signedHeaders(h, 'tax-invoice', body) }), { status: 403, body: { code: 'CALLBACK_STEP_FORBIDDEN' } }, "honestly signed, on another department's route");
  const path = `/v1/departments/business-licence/applications/${id}`;
  t.match(await h.anonymous('GET', path, undefined, signedHeaders(h, 'bank-account', path)), { status: 403 }, "another department's data view (the shareholders' ID numbers)");
  t.match(await h.anonymous('GET', path, undefined, { ...signedHeaders(h, 'bank-account', path), 'x-department-id': 'business-licence' }), { status: 401 });
  t.equal((await h.anonymous('GET', path, undefined, signedHeaders(h, 'business-licence', path))).status, 200, 'the market regulator itself may');
});

t.test("a captured gateway request replayed to a department is refused; so is one with the captured signature on another body", async (t) => {
  const secret = 'replay-test-secret-0123456789';
  const mock = await startMockDepartment({ step: 'business-licence', secret });
  t.teardown(() => mock.close());
  // A wiretap between the gateway's adapter and the department: it forwards, and keeps a copy.
  const captured: Array<{ method: string; path: string; headers: Record<string, string>; body: string }> = [];
  const tap = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)).map(([k, v]) => [k, String(v)]));
      const body = Buffer.concat(chunks).toString('utf8');
      captured.push({ method: req.method!, path: req.url!, headers, body });
      const upstream = await request(`${mock.url}${req.url}`, { method: req.method as 'POST', headers, body: body || null });
      res.writeHead(upstream.statusCode, { 'content-type': 'application/json' }).end(await upstream.body.text());
    });
  });
  await new Promise<void>((resolve) => tap.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => tap.close(() => resolve())));
  const adapter = createBusinessLicenceAdapter({ baseUrl: `http://127.0.0.1:${(tap.address() as AddressInfo).port}`, secrets: [secret], log: pino({ level: 'silent' }) });
  t.teardown(() => adapter.close());

  const form = makeApplication() as never;
  const envelope = { applicationId: 'app-replay', step: 'business-licence' as const, idempotencyKey: 'app-replay:business-licence:1', callbackUrl: 'http://127.0.0.1:9/cb', data: adapter.buildRequest(form, {}) as Record<string, unknown> };
  const outcome = await adapter.submit(envelope);
  t.equal(outcome.kind, 'completed', 'the real request went through');
  const poll = await adapter.poll((outcome as { reference: string }).reference);
  t.equal(poll.kind, 'completed', 'and so did the real poll');
  t.equal(captured.length, 2);
  const [post, get] = captured as [(typeof captured)[0], (typeof captured)[0]];
  t.ok(post.headers[GATEWAY_SIGNATURE_HEADER] && post.headers[GATEWAY_NONCE_HEADER] && post.headers[GATEWAY_TIMESTAMP_HEADER], 'signed');

  const replay = async (r: typeof post, body = r.body) => {
    const response = await request(`${mock.url}${r.path}`, { method: r.method as 'POST', headers: r.headers, body: body || null });
    return { status: response.statusCode, body: (await response.body.json()) as { code?: string } };
  };
  t.match(await replay(post), { status: 401, body: { code: 'GATEWAY_REQUEST_REPLAYED' } }, 'the captured POST, replayed');
  t.match(await replay(get), { status: 401, body: { code: 'GATEWAY_REQUEST_REPLAYED' } }, 'the captured poll, replayed');
  const altered = post.body.replace('http://127.0.0.1:9/cb', 'https://attacker.example/cb');
  t.match(await replay(post, altered), { status: 401, body: { code: 'GATEWAY_SIGNATURE_INVALID' } }, 'the captured signature on an altered body');
  t.match(await replay({ ...get, path: '/requests/SOMEONE-ELSES-REFERENCE' }), { status: 401, body: { code: 'GATEWAY_SIGNATURE_INVALID' } }, "the captured poll's signature on another reference");
  t.equal(mock.requests().length, 1, 'the department acted on the one real request only');
});

t.test('no log line carries a code, a token or a mobile number', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const session = await h.signIn(MOBILE);
  const code = h.sms.messages(MOBILE).at(-1)!.parameters.code as string;
  await h.anonymous('POST', '/v1/applicant/sessions', { mobile: MOBILE, code: '123456' });
  const anonymous = await submitAs(h, {});
  await h.anonymous('GET', `/v1/applications/${anonymous.id}`, undefined, bearer(anonymous.accessToken!));
  await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(h.opsTokens.viewer));
  const created = (await h.http('POST', '/v1/ops/credentials', { name: 'log-check', role: 'viewer' })).body as { token: string };
  const text = JSON.stringify(h.logs);
  t.ok(h.logs.some((l) => l.msg === 'applicant signed in'), 'sign-in is logged');
  t.ok(h.logs.some((l) => l.msg === 'sign-in refused'), 'and a refused one');
  for (const [what, secret] of [['code', code], ['session token', session], ['access token', anonymous.accessToken!], ['ops token', h.opsTokens.viewer], ['created ops token', created.token], ['mobile', MOBILE]] as const) {
    t.notOk(text.includes(secret), `no ${what} in the logs`);
  }
});
