// The protections every response gets, over real HTTP: a request id, no caching of personal data,
// security headers with a strict CSP (and an applicant page that works under it), CORS closed unless
// configured, per-client rate limits and event-stream caps answered 429 with Retry-After, and the
// department view closed (410) once personal data is no longer theirs to read.
import t, { type Test } from 'tap';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { signedHeaders } from '../e2e/helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const FAKE_NOW = '2026-11-30T09:00:00+08:00';
const DAY_MS = 86_400_000;

interface ErrorReply {
  code: string;
  message: string;
}

t.test('every response carries x-request-id: the caller’s when short and safe, else a fresh one', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const { body } = await h.submit();
  const paths = ['/health', '/', '/openapi.json', `/v1/applications/${String(body.id)}`, '/v1/applications/nope', '/no/such/route', '/v1/forms/application', '/metrics', '/v1/ops/sla'];
  for (const path of paths) {
    const reply = await h.http('GET', path);
    t.match(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/, `${path}: a generated id`);
  }
  t.equal((await h.http('GET', '/health', undefined, { 'x-request-id': 'client-trace:0042' })).headers['x-request-id'], 'client-trace:0042', 'a safe id is kept');
  for (const unsafe of ['a'.repeat(65), 'has space', 'new\\nline', '<script>', 'é']) {
    const reply = await h.http('GET', '/health', undefined, { 'x-request-id': unsafe });
    t.not(reply.headers['x-request-id'], unsafe, `unsafe id ${JSON.stringify(unsafe).slice(0, 20)} replaced`);
    t.match(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  }
  const error = await h.http('GET', '/v1/applications/nope', undefined, { 'x-request-id': 'trace-1' });
  t.ok(h.logs.some((l) => l.reqId === 'trace-1'), 'the id is in the log lines of the request');
  t.equal(error.headers['x-request-id'], 'trace-1');
});

t.test('personal data is never cached: status, events, department views, ops answers, errors', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const id = String((await h.submit()).body.id);
  await h.settle();
  const checks: Array<[string, Record<string, string>]> = [
    [`/v1/applications/${id}`, {}],
    ['/v1/ops/sla', {}],
    ['/v1/ops/applications?state=in_progress', {}],
    ['/v1/ops/departments', {}],
    ['/v1/applications/unknown', {}],
    [`/v1/departments/business-licence/applications/${id}`, signedHeaders(h, 'business-licence', `/v1/departments/business-licence/applications/${id}`)],
  ];
  for (const [path, headers] of checks) {
    const reply = await h.http('GET', path, undefined, headers);
    t.equal(reply.headers['cache-control'], 'no-store', `${path}: no-store (HTTP ${reply.status})`);
  }
  const stream = await request(`${h.url}/v1/applications/${id}/events`, { headers: { authorization: `Bearer ${h.accessTokens.get(id)}` } });
  t.equal(stream.statusCode, 200);
  t.equal(stream.headers['cache-control'], 'no-store', 'the event stream');
  t.ok(stream.headers['x-request-id'], 'the event stream has a request id');
  t.ok(stream.headers['content-security-policy'], 'and the security headers');
  hangUp(stream.body);
  t.equal((await h.http('GET', '/assets/portal.js')).headers['cache-control'], 'no-cache', 'the page script may be revalidated (no personal data)');
});

t.test('security headers and a strict CSP everywhere; the applicant page needs no inline script or style', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  for (const path of ['/', '/health', '/v1/applications/nope', '/assets/portal.js']) {
    const reply = await h.http('GET', path);
    const csp = String(reply.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "script-src-attr 'none'", "style-src 'self'"]) {
      t.ok(csp.split(';').map((d) => d.trim()).includes(directive), `${path}: ${directive}`);
    }
    t.notMatch(csp, /unsafe-inline|unsafe-eval|upgrade-insecure-requests/, `${path}: nothing unsafe`);
    t.equal(reply.headers['x-content-type-options'], 'nosniff');
    t.equal(reply.headers['x-frame-options'], 'DENY');
    t.equal(reply.headers['referrer-policy'], 'no-referrer');
  }
  const page = (await h.http('GET', '/')).text;
  // Under script-src 'self' / style-src 'self' / script-src-attr 'none', by construction:
  t.notMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  t.notMatch(page, /<style/i, 'no inline <style>');
  t.notMatch(page, /\son[a-z]+\s*=/i, 'no inline event handler attributes');
  t.notMatch(page, /\sstyle\s*=/i, 'no style attributes');
  t.notMatch(page, /javascript:/i, 'no javascript: URLs');
  const assets = [...page.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!).filter((p) => p.startsWith('/assets/'));
  t.same(assets.sort(), ['/assets/portal.css', '/assets/portal.js'], 'the page loads its script and style from the gateway');
  for (const asset of assets) {
    const reply = await h.http('GET', asset);
    t.equal(reply.status, 200, asset);
    t.match(String(reply.headers['content-type']), asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    const again = await h.http('GET', asset, undefined, { 'if-none-match': String(reply.headers.etag) });
    t.equal(again.status, 304, `${asset}: revalidated by ETag`);
  }
  const script = (await h.http('GET', '/assets/portal.js')).text;
  t.notMatch(script, /\beval\(|new Function\(|setTimeout\(\s*['"`]/, 'the script never evaluates strings (script-src forbids it anyway)');

  // Swagger UI keeps working under its own CSP: scripts from itself only; inline styles for its widgets.
  let docs = await h.http('GET', '/docs');
  for (let hops = 0; hops < 3 && docs.status >= 300 && docs.status < 400; hops++) docs = await h.http('GET', String(docs.headers.location).startsWith('/') ? String(docs.headers.location) : `/docs/${String(docs.headers.location)}`);
  t.equal(docs.status, 200);
  const docsCsp = String(docs.headers['content-security-policy']);
  t.match(docsCsp, /script-src 'self';/);
  t.match(docsCsp, /frame-ancestors 'none'/);
  t.notMatch(docs.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'Swagger UI has no inline script');
  for (const src of [...docs.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!)) {
    const path = src.startsWith('.') ? `/docs/${src.replace(/^\.\//, '')}` : src;
    t.equal((await h.http('GET', path)).status, 200, `${path} is served by the gateway`);
  }
});

t.test('CORS is closed by default and opens only for configured origins', async (t) => {
  const closed = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const plain = await closed.http('GET', '/health', undefined, { origin: 'https://evil.example' });
  t.equal(plain.headers['access-control-allow-origin'], undefined, 'no Access-Control-Allow-Origin');
  const preflight = await request(`${closed.url}/v1/applications`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  await preflight.body.text();
  t.equal(preflight.statusCode, 404);
  t.equal(preflight.headers['access-control-allow-origin'], undefined, 'no preflight approval');

  const open = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { http: { corsOrigins: ['https://portal.example.gov.cn'] } } });
  const allowed = await open.http('GET', '/health', undefined, { origin: 'https://portal.example.gov.cn' });
  t.equal(allowed.headers['access-control-allow-origin'], 'https://portal.example.gov.cn');
  t.match(String(allowed.headers['access-control-expose-headers']), /x-request-id/);
  const refused = await open.http('GET', '/v1/applications/none', undefined, { origin: 'https://portal.example.gov.cn' });
  t.equal(refused.headers['access-control-allow-origin'], 'https://portal.example.gov.cn', 'errors carry CORS headers too');
  t.match(String(refused.headers.vary), /Origin/i, 'an error keeps Vary: Origin');
  t.match(String(refused.headers.vary), /Accept-Language/i, 'and adds Accept-Language');
  const other = await open.http('GET', '/health', undefined, { origin: 'https://evil.example' });
  t.equal(other.headers['access-control-allow-origin'], undefined, 'another origin is still refused');
  const ok = await request(`${open.url}/v1/applications`, { method: 'OPTIONS', headers: { origin: 'https://portal.example.gov.cn', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' } });
  await ok.body.text();
  t.equal(ok.statusCode, 204);
  t.match(String(ok.headers['access-control-allow-headers']), /idempotency-key/);
});

async function expect429(t: Test, reply: { status: number; body: unknown; headers: Record<string, unknown> }, code: string, label: string) {
  t.equal(reply.status, 429, `${label}: 429`);
  t.equal((reply.body as ErrorReply).code, code, `${label}: ${code}`);
  t.ok(Number(reply.headers['retry-after']) >= 1, `${label}: Retry-After ${String(reply.headers['retry-after'])}`);
}

t.test('per-client rate limits: 429 RATE_LIMITED with Retry-After in our shape, per route kind, keyed by credential or IP', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: FAKE_NOW,
    config: { rateLimits: { enabled: true, windowMs: 600_000, submissions: 3, statusReads: 4, eventStreams: 2, callbacks: 2, ipBackstopFactor: 2 } },
  });
  const submit = (headers: Record<string, string> = {}) => h.http('POST', '/v1/applications', makeApplication(), headers);
  // Real applicant sessions (an invented bearer token is refused as unauthenticated, not limited).
  const sessions: string[] = [];
  for (let i = 0; i < 5; i++) sessions.push(await h.signIn(`1390000000${i}`));
  const [tokenA, ...freshTokens] = sessions as [string, string, string, string, string];
  for (let i = 0; i < 3; i++) t.equal((await submit()).status, 202, `submission ${i + 1} from this address`);
  const limited = await submit({ 'accept-language': 'zh-CN' });
  await expect429(t, limited, 'RATE_LIMITED', 'fourth submission');
  t.match((limited.body as ErrorReply).message, /请求过于频繁/, 'in the negotiated language');
  t.equal(limited.headers['content-language'], 'zh-CN');
  t.equal((await h.http('GET', '/health')).status, 200, 'other routes are not limited');

  // A client with a credential is counted by its (hashed) credential, and its address by the looser backstop (2 × 3).
  for (let i = 0; i < 3; i++) t.equal((await submit({ authorization: `Bearer ${tokenA}` })).status, 202, `token A submission ${i + 1}`);
  await expect429(t, await submit({ authorization: `Bearer ${tokenA}` }), 'RATE_LIMITED', 'token A, fourth');
  // Token A's 3 accepted requests count against the address (the refused one stopped at its own limit): 3 more fit.
  for (let i = 0; i < 3; i++) t.equal((await submit({ authorization: `Bearer ${freshTokens[i]}` })).status, 202, `fresh token ${i}`);
  await expect429(t, await submit({ authorization: `Bearer ${freshTokens[3]}` }), 'RATE_LIMITED', 'fresh tokens from one address hit the address backstop');

  // Status reads have their own budget (h.http sends the application's access token).
  const id = [...h.accessTokens.keys()][0]!;
  for (let i = 0; i < 4; i++) t.equal((await h.http('GET', `/v1/applications/${id}`)).status, 200, `status read ${i + 1}`);
  await expect429(t, await h.http('GET', `/v1/applications/${id}`), 'RATE_LIMITED', 'fifth status read');

  // Callbacks: counted before anything is parsed or verified.
  for (let i = 0; i < 2; i++) t.equal((await h.http('POST', '/v1/departments/business-licence/callbacks', '{}')).status, 401, `callback ${i + 1} (unsigned)`);
  await expect429(t, await h.http('POST', '/v1/departments/business-licence/callbacks', '{}'), 'RATE_LIMITED', 'third callback');

  // Event streams: connection attempts.
  for (let i = 0; i < 2; i++) {
    const stream = await request(`${h.url}/v1/applications/${id}/events`, { headers: { authorization: `Bearer ${h.accessTokens.get(id)}` } });
    t.equal(stream.statusCode, 200, `stream ${i + 1}`);
    hangUp(stream.body);
  }
  await expect429(t, await h.http('GET', `/v1/applications/${id}/events`), 'RATE_LIMITED', 'third stream');
  t.ok(h.logs.some((l) => l.msg === 'rate limit exceeded'), 'refusals are logged');
});

/** Closes an event stream from the client side (the abort is what we want, not an error). */
function hangUp(body: Dispatcher.ResponseData['body']) {
  body.on('error', () => {});
  body.destroy();
}

/** Opens an event stream as the application's owner (its access token) unless `headers` name another caller. */
async function openStream(h: Harness, id: string, headers: Record<string, string> = {}) {
  const response = await request(`${h.url}/v1/applications/${id}/events`, { headers: { authorization: `Bearer ${h.accessTokens.get(id)}`, ...headers } });
  if (response.statusCode !== 200) {
    const body = JSON.parse(await response.body.text()) as ErrorReply;
    return { status: response.statusCode, code: body.code, close: () => {} };
  }
  return { status: 200, code: null, close: () => hangUp(response.body) };
}

t.test('concurrent event streams are capped per application and per client, and freed when closed', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { eventStreams: { maxPerApplication: 2, maxPerClient: 3 } } });
  const [a, b] = [String((await h.submit()).body.id), String((await h.submit({ companyName: '三门峡第二家示范科技有限公司' })).body.id)];
  // One client that may see both: the legal representative the forms name, signed in.
  const representative = { authorization: `Bearer ${await h.signIn(FIXTURE_MOBILE)}` };
  const first = await openStream(h, a, representative);
  const second = await openStream(h, a, representative);
  t.same([first.status, second.status], [200, 200]);
  const third = await openStream(h, a, representative);
  t.same([third.status, third.code], [429, 'TOO_MANY_EVENT_STREAMS'], 'a third stream on one application');
  const other = await openStream(h, b, representative);
  t.equal(other.status, 200, 'another application still has room');
  const fourth = await openStream(h, b, representative);
  t.same([fourth.status, fourth.code], [429, 'TOO_MANY_EVENT_STREAMS'], 'the client has three open');
  // The owner's access token: another client.
  const elsewhere = await openStream(h, b);
  t.equal(elsewhere.status, 200, 'another client is counted apart');
  first.close();
  // The slot is freed when the server sees the close: ask until it has (bounded), without sleeping on a timer.
  let again = await openStream(h, a, representative);
  for (let i = 0; i < 200 && again.status !== 200; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    again = await openStream(h, a, representative);
  }
  t.equal(again.status, 200, 'a closed stream frees its slot');
  for (const s of [second, other, elsewhere, again]) s.close();
});

t.test('the department view answers 410 once withdrawn, and after the retention period once completed', async (t) => {
  // The licence office rejects names containing 重复: the application waits for a correction, and may be withdrawn.
  const h = await startHarness(t, {
    fakeClockAt: FAKE_NOW,
    config: { departmentViewRetentionDays: 30 },
    behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: [{ path: 'companyName', message: '名称重复' }] } } },
  });
  const view = (id: string, step: 'business-licence' | 'postal-delivery' = 'business-licence') => {
    const path = `/v1/departments/${step}/applications/${id}`;
    return h.http('GET', path, undefined, signedHeaders(h, step, path));
  };
  const withdrawn = String((await h.submit({ companyName: '三门峡重复科技有限公司' })).body.id);
  await h.settle();
  t.equal((await view(withdrawn)).status, 200, 'readable while live');
  t.equal((await h.http('POST', `/v1/applications/${withdrawn}/withdrawal`, {})).status, 200);
  const gone = await view(withdrawn);
  t.equal(gone.status, 410);
  t.equal((gone.body as ErrorReply).code, 'APPLICATION_GONE');
  t.match((gone.body as ErrorReply).message, /withdrawn/);
  const unsigned = await h.http('GET', `/v1/departments/business-licence/applications/${withdrawn}`);
  t.equal(unsigned.status, 401, 'an unauthenticated caller still learns nothing');

  const completed = String((await h.submit({ companyName: '三门峡办结示范科技有限公司' })).body.id);
  await h.settle();
  const status = await h.status(completed);
  t.equal(status.state, 'completed');
  const completedAt = Date.parse(String(status.completedAt));
  h.fakeClock!.set(new Date(completedAt + 30 * DAY_MS));
  t.equal((await view(completed, 'postal-delivery')).status, 200, 'still readable on the last day of retention');
  h.fakeClock!.set(new Date(completedAt + 30 * DAY_MS + 1));
  const expired = await view(completed, 'postal-delivery');
  t.equal(expired.status, 410, 'gone after 30 days');
  t.match((expired.body as ErrorReply).message, /30 days/);
  const zh = await h.http('GET', `/v1/departments/postal-delivery/applications/${completed}`, undefined, { ...signedHeaders(h, 'postal-delivery', `/v1/departments/postal-delivery/applications/${completed}`), 'accept-language': 'zh' });
  t.match((zh.body as ErrorReply).message, /30 天/);
});
