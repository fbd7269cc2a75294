// Slow clients over a real socket: headers and half a body, then nothing — the connection used to be
// held for ever. The server's request timeout (configured through gateway/config.ts) now answers
// 408 REQUEST_TIMEOUT in our shape and closes it. The test waits for the server's answer, not for a
// clock: it asserts what comes back, never how long it took.
import t from 'tap';
import { CORE_STEP_IDS } from '../../contracts/index.ts';
import { makeApplication } from '../fixtures/application.ts';
import { startHarness } from '../support/harness.ts';
import { rawRequest } from '../support/raw-http.ts';

const FAKE_NOW = '2026-11-30T09:00:00+08:00';
// Short limits so the test does not wait long; the default is 30 s / 10 s (docs/operations.md).
const HTTP = { requestTimeoutMs: 400, headersTimeoutMs: 400, timeoutCheckIntervalMs: 50 };

t.test('a body that stops half way is answered 408 REQUEST_TIMEOUT and the connection closed', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { http: HTTP } });
  const body = Buffer.from(JSON.stringify(makeApplication()));
  const head = `POST /v1/applications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const reply = await rawRequest(h.url, Buffer.concat([Buffer.from(head), body.subarray(0, body.length >> 1)]), { keepOpen: true });
  t.equal(reply.status, 408);
  t.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
  t.ok(reply.headers['x-request-id'], 'a request id to quote');
  const error = JSON.parse(reply.body) as { code: string; message: string };
  t.equal(error.code, 'REQUEST_TIMEOUT');
  t.match(error.message, /again/);
  t.same(await h.gateway.store.listApplications({}), [], 'nothing was stored');
  t.ok(h.logs.some((l) => l.msg === 'client error before a request was read' && l.code === 'REQUEST_TIMEOUT'), 'logged');
});

t.test('headers that never finish are answered 408 too', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { http: HTTP } });
  const reply = await rawRequest(h.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a', { keepOpen: true });
  t.equal(reply.status, 408);
  t.equal((JSON.parse(reply.body) as { code: string }).code, 'REQUEST_TIMEOUT');
});

t.test('a complete request within the limits is served as usual', async (t) => {
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { http: HTTP } });
  const reply = await rawRequest(h.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  t.equal(reply.status, 200);
  t.same(JSON.parse(reply.body), { status: 'ok' });
});

t.test('timeouts and limits are configuration (environment variables); headers may not outlast the whole request', async (t) => {
  const { parseConfig, configFromEnv } = await import('../../gateway/config.ts');
  t.throws(() => parseConfig({ departments: {}, http: { requestTimeoutMs: 1_000, headersTimeoutMs: 5_000 } }), /headersTimeoutMs/);
  const departments = Object.fromEntries(
    CORE_STEP_IDS.flatMap((step) => {
      const prefix = `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
      return [[`${prefix}_URL`, 'http://127.0.0.1:9'], [`${prefix}_SECRET`, 'a-secret-of-sixteen-chars']];
    }),
  );
  const config = configFromEnv({ ...departments, HTTP_REQUEST_TIMEOUT_MS: '20000', HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '4000', HTTP_CONNECTION_TIMEOUT_MS: '0' });
  t.match(config.http, { requestTimeoutMs: 20_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 4_000, connectionTimeoutMs: 0 });
  const limits = configFromEnv({
    ...departments,
    RATE_LIMITS_ENABLED: 'off',
    RATE_LIMIT_SUBMISSIONS: '10',
    RATE_LIMIT_CALLBACKS: '50',
    MAX_EVENT_STREAMS_PER_CLIENT: '3',
    CORS_ORIGINS: 'https://portal.example.gov.cn, https://m.example.gov.cn',
    TRUST_PROXY: 'true',
    DEPARTMENT_VIEW_RETENTION_DAYS: '7',
  });
  t.match(limits.rateLimits, { enabled: false, submissions: 10, callbacks: 50, statusReads: 600 });
  t.equal(limits.eventStreams.maxPerClient, 3);
  t.same(limits.http.corsOrigins, ['https://portal.example.gov.cn', 'https://m.example.gov.cn']);
  t.equal(limits.http.trustProxy, true);
  t.equal(limits.departmentViewRetentionDays, 7);
  t.throws(() => configFromEnv({ ...departments, TRUST_PROXY: 'maybe' }), /TRUST_PROXY must be true or false/);
  t.throws(() => configFromEnv({ ...departments, CORS_ORIGINS: 'not a url' }), /corsOrigins/);
  const h = await startHarness(t, { fakeClockAt: FAKE_NOW, config: { http: { requestTimeoutMs: 20_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 4_000 } } });
  const server = h.gateway.app.server;
  t.equal(server.requestTimeout, 20_000);
  t.equal(server.headersTimeout, 5_000);
  t.equal(server.keepAliveTimeout, 4_000);
});
