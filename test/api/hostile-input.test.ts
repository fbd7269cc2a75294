// What an attacker sends, over real HTTP: bodies nested thousands deep, broken Unicode and UTF-8,
// prototype names where the gateway looks things up, odd headers, methods, URLs and media types.
// Every one is answered with a 4xx in our { code, message } shape, carries x-request-id, and
// stores nothing — never a 500 (each case here was a 500, or a silent corruption, before).
import t, { type Test } from 'tap';
import { DEPARTMENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback } from '../../contracts/index.ts';
import { makeApplication } from '../fixtures/application.ts';
import { signedHeaders, unixNow } from '../e2e/helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { rawRequest } from '../support/raw-http.ts';

interface ErrorReply {
  code: string;
  message: string;
  details?: Array<{ path: string; code: string; message: string }>;
}

const FAKE_NOW = '2026-11-30T09:00:00+08:00';

/** What the store holds: nothing a refused request may change. */
async function storeFootprint(h: Harness) {
  const applications = await h.gateway.store.listApplications({ limit: 10_000 });
  // Events are kept per application: count them application by application.
  let events = 0;
  for (const application of applications) events += (await h.gateway.store.listEvents(application.id, 0, 100_000)).length;
  return {
    applications: applications.map((a) => `${a.id}:${a.revision}`).sort(),
    events,
    effects: await h.gateway.store.countPendingEffects(),
  };
}

function expectError(t: Test, label: string, reply: { status: number; body: unknown; headers: Record<string, unknown> }, status: number, code: string) {
  t.equal(reply.status, status, `${label}: HTTP ${status}`);
  const body = reply.body as ErrorReply;
  t.equal(body?.code, code, `${label}: ${code}`);
  t.type(body?.message, 'string', `${label}: a message`);
  t.ok(reply.headers['x-request-id'], `${label}: x-request-id`);
}

const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

t.test('hostile JSON bodies on every JSON route: 400/415 in our shape, nothing stored', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const submitted = await h.submit();
  const id = String(submitted.body.id);
  const before = await storeFootprint(h);
  const validForm = JSON.stringify(makeApplication({ companyName: '三门峡另一家示范科技有限公司' }));

  const routes: Array<{ method: 'POST' | 'PUT'; path: string }> = [
    { method: 'POST', path: '/v1/applications' },
    { method: 'POST', path: `/v1/applications/${id}/corrections` },
    { method: 'POST', path: `/v1/applications/${id}/withdrawal` },
    { method: 'POST', path: '/v1/departments/business-licence/callbacks' },
    { method: 'PUT', path: '/v1/ops/calendar/2027' },
  ];
  const bodies: Array<{ name: string; body: string | Buffer; contentType?: string; status: number; code: string; detail?: string }> = [
    // 3,500 levels, 7 KB: overflowed the stack of the NUL check (and would JSON.stringify's) → 500.
    { name: 'an array nested 3,500 deep', body: deepArray(3_500), status: 400, code: 'REQUEST_INVALID', detail: 'json.too_deep' },
    { name: 'an object nested 3,500 deep', body: deepObject(3_500), status: 400, code: 'REQUEST_INVALID', detail: 'json.too_deep' },
    { name: 'an array nested 100,000 deep', body: deepArray(100_000), status: 400, code: 'REQUEST_INVALID', detail: 'json.too_deep' },
    // A lone surrogate: PostgreSQL refused it (500), SQLite stored it.
    { name: 'a lone surrogate in a value', body: validForm.replace('三门峡另一家', '\\ud83d三门峡'), status: 400, code: 'REQUEST_INVALID', detail: 'json.lone_surrogate' },
    { name: 'a lone low surrogate in a key', body: '{"\\ude00": 1}', status: 400, code: 'REQUEST_INVALID', detail: 'json.lone_surrogate' },
    { name: 'NUL in a value', body: validForm.replace('三门峡另一家', '\\u0000'), status: 400, code: 'REQUEST_INVALID', detail: 'json.nul_character' },
    { name: 'a __proto__ key', body: '{"__proto__": {"polluted": true}}', status: 400, code: 'REQUEST_INVALID', detail: 'json.forbidden_key' },
    // Invalid UTF-8 used to be stored as U+FFFD.
    { name: 'invalid UTF-8', body: Buffer.concat([Buffer.from('{"companyName":"'), Buffer.from([0xe4, 0xb8]), Buffer.from('"}')]), status: 400, code: 'BODY_ENCODING_INVALID' },
    { name: 'an overlong UTF-8 encoding of "/"', body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), status: 400, code: 'BODY_ENCODING_INVALID' },
    { name: 'UTF-16 with a BOM', body: Buffer.from('\ufeff{"a":1}', 'utf16le'), status: 400, code: 'BODY_ENCODING_INVALID' },
    { name: 'charset=latin1', body: validForm, contentType: 'application/json; charset=latin1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'charset=utf-16', body: validForm, contentType: 'application/json; charset="UTF-16"', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'application/json-patch+json', body: '[{"op":"remove","path":"/companyName"}]', contentType: 'application/json-patch+json', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'text/plain', body: validForm, contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'multipart', body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a content type with no subtype', body: validForm, contentType: 'application', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'JSON cut off', body: validForm.slice(0, 50), status: 400, code: 'BODY_NOT_JSON' },
    { name: 'only blanks', body: '   \n ', status: 400, code: 'BODY_NOT_JSON' },
  ];

  for (const route of routes) {
    for (const c of bodies) {
      const headers: Record<string, string> = { 'content-type': c.contentType ?? 'application/json' };
      // The callback route checks the body before the signature: an unauthenticated caller learns only that the body is unusable.
      if (route.path.includes('/callbacks')) Object.assign(headers, signedHeaders(h, 'business-licence', typeof c.body === 'string' ? c.body : c.body.toString('latin1')));
      const reply = await h.http(route.method, route.path, c.body as never, headers);
      const label = `${route.method} ${route.path.replace(id, '{id}')} with ${c.name}`;
      expectError(t, label, reply, c.status, c.code);
      if (c.detail) t.equal((reply.body as ErrorReply).details?.[0]?.code, c.detail, `${label}: detail ${c.detail}`);
    }
  }
  // 1e400 parses to Infinity: a number the contract refuses, never a stored Infinity/null.
  const huge = await h.http('POST', '/v1/applications', validForm.replace('"registeredCapitalYuan":1000000', '"registeredCapitalYuan":1e400'));
  expectError(t, '1e400', huge, 400, 'APPLICATION_INVALID');
  t.same((huge.body as ErrorReply).details?.map((d) => d.path), ['registeredCapitalYuan']);

  t.same(await storeFootprint(h), before, 'nothing was stored or changed');
  t.ok(!('polluted' in ({} as Record<string, unknown>)), 'no prototype was polluted');
});

t.test('a lone surrogate in an authentic callback is a contract violation (400), not a store error', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, behaviour: { 'business-licence': { mode: 'async' } } });
  const { body } = await h.submit();
  const id = String(body.id);
  await h.settle({ skip: ['business-licence'] });
  const raw = `{"eventId":"evt-0001-surrogate","applicationId":"${id}","idempotencyKey":"${id}:business-licence:1","reference":"R-\\ud800","outcome":"progress"}`;
  const reply = await h.http('POST', '/v1/departments/business-licence/callbacks', raw, signedHeaders(h, 'business-licence', raw));
  expectError(t, 'surrogate in a signed callback', reply, 400, 'REQUEST_INVALID');
  t.same((reply.body as ErrorReply).details, [{ path: 'reference', code: 'json.lone_surrogate', message: (reply.body as ErrorReply).details![0]!.message }]);
});

t.test('prototype names in x-department-id are unknown departments (401), never Object.prototype', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const before = await storeFootprint(h);
  for (const caller of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']) {
    const ts = String(unixNow(h));
    const path = '/v1/departments/business-licence/applications/some-id';
    const view = await h.http('GET', path, undefined, { [DEPARTMENT_HEADER]: caller, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signCallback('x'.repeat(32), ts, path) });
    expectError(t, `GET view as ${caller}`, view, 401, 'CALLBACK_SIGNATURE_INVALID');
    const raw = '{"eventId":"evt-00000001","applicationId":"a","idempotencyKey":"a:business-licence:1","reference":"r","outcome":"progress"}';
    const callback = await h.http('POST', '/v1/departments/business-licence/callbacks', raw, { [DEPARTMENT_HEADER]: caller, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signCallback('x'.repeat(32), ts, raw) });
    expectError(t, `callback as ${caller}`, callback, 401, 'CALLBACK_SIGNATURE_INVALID');
  }
  t.same(await storeFootprint(h), before);
});

t.test('odd headers, methods, URLs and query strings: 4xx with a stable code', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW });
  const { body } = await h.submit();
  const id = String(body.id);
  const before = await storeFootprint(h);
  const form = JSON.stringify(makeApplication({ companyName: '三门峡第三家示范科技有限公司' }));

  // Duplicate headers (Node joins them with ", "): never a valid key, department or event id.
  expectError(t, 'two Idempotency-Keys', await rawPost(h, '/v1/applications', form, ['Idempotency-Key: key-00000001', 'Idempotency-Key: key-00000002']), 400, 'IDEMPOTENCY_KEY_INVALID');
  expectError(t, 'non-ASCII Idempotency-Key', await rawPost(h, '/v1/applications', form, ['Idempotency-Key: kéy-0000001']), 400, 'IDEMPOTENCY_KEY_INVALID');
  expectError(t, 'two Last-Event-IDs', await h.http('GET', `/v1/applications/${id}/events`, undefined, { 'last-event-id': '1, 2' }), 400, 'REQUEST_INVALID');
  expectError(t, 'a Last-Event-ID beyond any sequence', await h.http('GET', `/v1/applications/${id}/events`, undefined, { 'last-event-id': '9'.repeat(400) }), 400, 'REQUEST_INVALID');
  const twoDepartments = await rawGet(h, '/v1/departments/business-licence/applications/x', [`${DEPARTMENT_HEADER}: business-licence`, `${DEPARTMENT_HEADER}: business-licence`, `${TIMESTAMP_HEADER}: ${unixNow(h)}`, `${SIGNATURE_HEADER}: v1=00`]);
  expectError(t, 'two x-department-id headers', twoDepartments, 401, 'CALLBACK_SIGNATURE_INVALID');
  // Headers too large for the server: 431 in our shape from the client-error handler.
  const big = await rawGet(h, `/v1/applications/${id}`, [`X-Padding: ${'a'.repeat(20_000)}`]);
  expectError(t, '20 KB of headers', big, 431, 'HEADERS_TOO_LARGE');
  t.same(Object.keys(big.body as object).sort(), ['code', 'message'], 'exactly our shape');
  // Not HTTP at all, and a header Node's parser refuses: 400 REQUEST_MALFORMED.
  expectError(t, 'a malformed request line', await rawRequestReply(h, 'HELLO WORLD\r\n\r\n'), 400, 'REQUEST_MALFORMED');
  expectError(t, 'a header with a control character', await rawRequestReply(h, `GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\nConnection: close\r\n\r\n`), 400, 'REQUEST_MALFORMED');
  expectError(t, 'an unknown method', await rawRequestReply(h, `BREW /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 400, 'REQUEST_MALFORMED');
  // Methods that exist but not on these routes.
  for (const method of ['PATCH', 'DELETE', 'PROPFIND', 'SEARCH']) {
    expectError(t, `${method} /v1/applications`, await rawRequestReply(h, `${method} /v1/applications HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404, 'NOT_FOUND');
  }
  // URLs.
  expectError(t, 'a broken percent-encoding', await h.http('GET', '/v1/applications/%E0%A4%A'), 400, 'REQUEST_MALFORMED');
  expectError(t, 'an id of 300 characters', await h.http('GET', `/v1/applications/${'a'.repeat(300)}`), 414, 'URL_TOO_LONG');
  expectError(t, 'an id of 65 characters', await h.http('GET', `/v1/applications/${'a'.repeat(65)}`), 400, 'REQUEST_INVALID');
  // An encoded NUL reached PostgreSQL (500 there, 404 on SQLite): refused before any store on both.
  expectError(t, 'an encoded NUL in the id', await h.http('GET', '/v1/applications/a%00b'), 400, 'REQUEST_INVALID');
  expectError(t, 'an encoded lone surrogate in the id (not UTF-8)', await h.http('GET', '/v1/applications/a%ED%A0%BDb'), 400, 'REQUEST_MALFORMED');
  expectError(t, 'an encoded NUL in a correction URL', await h.http('POST', '/v1/applications/%00/corrections', { fields: { companyName: '三门峡某某科技有限公司' } }), 400, 'REQUEST_INVALID');
  // Query strings with repeated keys, prototype names and huge numbers.
  expectError(t, 'month given twice', await h.http('GET', '/v1/ops/reports/monthly?month=2026-01&month=2026-02'), 400, 'REQUEST_INVALID');
  expectError(t, 'state given twice', await h.http('GET', '/v1/ops/applications?state=in_progress&state=completed'), 400, 'REQUEST_INVALID');
  expectError(t, '__proto__ in the query', await h.http('GET', '/v1/ops/applications?__proto__=x&constructor=y'), 400, 'REQUEST_INVALID');
  // The list takes no filter at all (everything, newest first), so a misspelt one must not quietly list everything.
  expectError(t, 'an unknown filter', await h.http('GET', '/v1/ops/applications?stat=needs_attention'), 400, 'REQUEST_INVALID');
  expectError(t, 'limit=1e400', await h.http('GET', '/v1/ops/applications?state=in_progress&limit=1e400'), 400, 'REQUEST_INVALID');
  expectError(t, 'workingDays=1e400', await h.http('GET', '/v1/calendar/deadline?from=2026-09-30T16:00:00%2B08:00&workingDays=1e400'), 400, 'REQUEST_INVALID');
  expectError(t, 'a year of 1e400', await h.http('GET', '/v1/ops/calendar/1e400'), 400, 'REQUEST_INVALID');
  // A body on a route that takes none, and bodies that are empty in different ways.
  expectError(t, 'an empty body with a JSON content type', await h.http('POST', '/v1/applications', ''), 400, 'APPLICATION_INVALID');
  expectError(t, 'a body with Content-Length: 0 and no type', await rawPost(h, '/v1/applications', '', [], null), 400, 'APPLICATION_INVALID');
  expectError(t, 'a body without a content type', await rawPost(h, '/v1/applications', form, [], null), 415, 'UNSUPPORTED_MEDIA_TYPE');
  expectError(t, 'Content-Length larger than the body', await rawRequestReply(h, `POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\nConnection: close\r\n\r\n{}`), 413, 'PAYLOAD_TOO_LARGE');
  // Very long strings in every free-text field are refused by their max, and an over-long body by the limit.
  const long = await h.http('POST', '/v1/applications', makeApplication({ companyName: '公'.repeat(100_000) }));
  expectError(t, '100,000-character company name', long, 400, 'APPLICATION_INVALID');
  t.same(await storeFootprint(h), before, 'nothing was stored or changed');
});

async function rawRequestReply(h: Harness, request: string | Buffer) {
  const reply = await rawRequest(h.url, request);
  let body: unknown = reply.body;
  try {
    body = JSON.parse(reply.body);
  } catch {
    // not JSON
  }
  return { status: reply.status, body, headers: reply.headers as Record<string, unknown>, text: reply.body };
}

function rawPost(h: Harness, path: string, body: string, headers: string[], contentType: string | null = 'application/json') {
  const bytes = Buffer.from(body);
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...(contentType ? [`Content-Type: ${contentType}`] : []), `Content-Length: ${bytes.length}`, 'Connection: close', ...headers];
  return rawRequestReply(h, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]));
}

function rawGet(h: Harness, path: string, headers: string[]) {
  return rawRequestReply(h, Buffer.from(`${[`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers].join('\r\n')}\r\n\r\n`, 'latin1'));
}
