// Ops access over real HTTP (docs/operations.md "Access", "Audit log"): roles, credentials issued
// and revoked by admins, and the audit log of every ops action — who, what, when, the outcome and
// the request id — as a hash chain that verifies.
import Fastify from 'fastify';
import { pino } from 'pino';
import t from 'tap';
import { installOpsAccess } from '../../gateway/identity/index.ts';
import { verifyAuditChain } from '../../gateway/store/audit-chain.ts';
import type { AuditRecord } from '../../gateway/store/index.ts';
import { startHarness } from '../support/harness.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Entry {
  seq: number;
  at: string;
  actor: { name: string; role: string };
  action: string;
  target: { applicationId: string | null; step: string | null; year: number | null; credential: string | null };
  outcome: { status: number; code: string | null };
  requestId: string;
  prevHash: string;
  hash: string;
}

t.test('roles: viewer reads, operator acts on applications, admin loads calendars and manages credentials', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    t.match(await h.anonymous('GET', '/v1/ops/me', undefined, bearer(h.opsTokens[role])), { status: 200, body: { name: `test-${role}`, role } });
  }
  const { body } = await h.submit();
  const retry = `/v1/ops/applications/${String(body.id)}/steps/business-licence/retry`;
  t.match(await h.anonymous('POST', retry, undefined, bearer(h.opsTokens.viewer)), { status: 403, body: { code: 'OPS_FORBIDDEN', message: /\(viewer\) does not allow this; it needs the operator role/ } });
  t.match(await h.anonymous('POST', retry, undefined, bearer(h.opsTokens.operator)), { status: 409, body: { code: 'STEP_NOT_RETRYABLE' } }, 'an operator may (the step is simply not stuck)');
  t.match(await h.anonymous('GET', '/v1/ops/credentials', undefined, bearer(h.opsTokens.operator)), { status: 403 });
  t.match(await h.anonymous('GET', '/v1/ops/sla'), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  t.equal((await h.anonymous('GET', '/v1/ops/sla')).headers['www-authenticate'], 'Bearer realm="ops"');
});

t.test('credentials: created with the token shown once, listed without it, used with their role, revoked', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const created = await h.http('POST', '/v1/ops/credentials', { name: 'li.na', role: 'viewer' });
  t.match(created, { status: 201, body: { name: 'li.na', role: 'viewer', source: 'api', createdAt: '2026-11-30T01:00:00.000Z', createdBy: 'test-admin', revokedAt: null, token: /^qlt_ops_[A-Za-z0-9_-]{43}$/ } });
  t.equal(created.headers['cache-control'], 'no-store');
  const token = (created.body as { token: string }).token;
  t.match(await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(token)), { status: 200 }, 'it works at once');
  t.match(await h.anonymous('PUT', '/v1/ops/calendar/2026', {}, bearer(token)), { status: 403 }, 'with its role');

  const list = (await h.http('GET', '/v1/ops/credentials')).body as { items: Array<Record<string, unknown>> };
  t.same(
    list.items.map((c) => [c.name, c.role, c.source]),
    [['test-viewer', 'viewer', 'config'], ['test-operator', 'operator', 'config'], ['test-admin', 'admin', 'config'], ['li.na', 'viewer', 'api']],
  );
  t.notOk(JSON.stringify(list).includes(token), 'never the token');
  t.notOk(list.items.some((c) => 'tokenHash' in c || 'token' in c), 'nor its hash');

  t.match(await h.http('POST', '/v1/ops/credentials', { name: 'li.na', role: 'admin' }), { status: 409, body: { code: 'OPS_CREDENTIAL_EXISTS' } });
  t.match(await h.http('POST', '/v1/ops/credentials', { name: 'test-viewer', role: 'admin' }), { status: 409, body: { code: 'OPS_CREDENTIAL_EXISTS' } }, 'nor a configured name');
  t.match(await h.http('POST', '/v1/ops/credentials', { name: 'Li Na', role: 'viewer' }), { status: 400, body: { details: [{ path: 'name' }] } });
  t.match(await h.http('POST', '/v1/ops/credentials', { name: 'root', role: 'superuser' }), { status: 400, body: { details: [{ path: 'role' }] } });
  t.match(await h.http('DELETE', '/v1/ops/credentials/nobody'), { status: 404, body: { code: 'OPS_CREDENTIAL_NOT_FOUND' } });

  h.fakeClock!.advance(60_000);
  t.match(await h.http('DELETE', '/v1/ops/credentials/li.na'), { status: 200, body: { name: 'li.na', revokedAt: '2026-11-30T01:01:00.000Z' } });
  t.match(await h.anonymous('GET', '/v1/ops/sla', undefined, bearer(token)), { status: 401 });
  t.match((await h.http('GET', '/v1/ops/credentials')).body, { items: [{}, {}, {}, { name: 'li.na', revokedAt: '2026-11-30T01:01:00.000Z' }] }, 'listed as revoked');
});

t.test('the audit log: who did what to which target, when, with what outcome and request id; filtered, paged, chained', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const { body } = await h.submit();
  const id = String(body.id);
  const retry = `/v1/ops/applications/${id}/steps/tax-invoice/retry`;
  await h.anonymous('POST', retry, undefined, { ...bearer(h.opsTokens.operator), 'x-request-id': 'req-retry-1' });
  h.fakeClock!.advance(1_000);
  await h.anonymous('POST', retry, undefined, { ...bearer(h.opsTokens.viewer), 'x-request-id': 'req-retry-2' });
  h.fakeClock!.advance(1_000);
  const calendar = (await h.http('GET', '/v1/ops/calendar/2026')).body;
  await h.anonymous('PUT', '/v1/ops/calendar/2026', calendar, { ...bearer(h.opsTokens.admin), 'x-request-id': 'req-calendar' });
  await h.anonymous('PUT', '/v1/ops/calendar/2026', calendar, bearer(h.opsTokens.operator));
  await h.http('POST', '/v1/ops/credentials', { name: 'temp', role: 'viewer' });
  await h.http('DELETE', '/v1/ops/credentials/temp');
  await h.anonymous('POST', retry, undefined, bearer('qlt_ops_not-a-real-credential-0000000000000000000'));
  // Reads are not actions; and an action by code outside a route goes through the same log.
  await h.http('GET', '/v1/ops/sla');
  await h.gateway.deps.audit.record({ actor: { name: 'test-operator', role: 'operator' }, action: 'application.note', target: { applicationId: id }, outcome: { status: 201, code: null }, requestId: 'req-note' });

  const page = (await h.http('GET', '/v1/ops/audit')).body as { items: Entry[]; nextBefore: number | null };
  t.same(
    page.items.map((e) => [e.seq, e.actor.name, e.actor.role, e.action, e.target, e.outcome.status, e.outcome.code]).reverse(),
    [
      [1, 'test-operator', 'operator', 'step.retry', { applicationId: id, step: 'tax-invoice', year: null, credential: null }, 409, 'STEP_NOT_RETRYABLE'],
      [2, 'test-viewer', 'viewer', 'step.retry', { applicationId: id, step: 'tax-invoice', year: null, credential: null }, 403, 'OPS_FORBIDDEN'],
      [3, 'test-admin', 'admin', 'calendar.load', { applicationId: null, step: null, year: 2026, credential: null }, 200, null],
      [4, 'test-operator', 'operator', 'calendar.load', { applicationId: null, step: null, year: 2026, credential: null }, 403, 'OPS_FORBIDDEN'],
      [5, 'test-admin', 'admin', 'credential.create', { applicationId: null, step: null, year: null, credential: 'temp' }, 201, null],
      [6, 'test-admin', 'admin', 'credential.revoke', { applicationId: null, step: null, year: null, credential: 'temp' }, 200, null],
      [7, 'test-operator', 'operator', 'application.note', { applicationId: id, step: null, year: null, credential: null }, 201, null],
    ],
    'every action (done, refused, failed) and only actions; an unknown credential is no actor',
  );
  t.same(page.items.map((e) => e.requestId).reverse().slice(0, 3), ['req-retry-1', 'req-retry-2', 'req-calendar'], 'the request id of each');
  t.same(page.items.map((e) => e.at).reverse().slice(0, 3), ['2026-11-30T01:00:00.000Z', '2026-11-30T01:00:01.000Z', '2026-11-30T01:00:02.000Z'], 'the gateway clock');
  t.equal(page.nextBefore, null);
  const records = page.items.reverse().map((e): AuditRecord => ({
    seq: e.seq,
    at: e.at,
    actorName: e.actor.name,
    actorRole: e.actor.role,
    action: e.action,
    applicationId: e.target.applicationId,
    step: e.target.step,
    year: e.target.year,
    credential: e.target.credential,
    status: e.outcome.status,
    code: e.outcome.code,
    requestId: e.requestId,
    prevHash: e.prevHash,
    hash: e.hash,
  }));
  t.match(await verifyAuditChain(records), { ok: true, count: 7 }, 'what the API shows is the chain itself, and it verifies');
  t.ok(h.logs.some((l) => l.msg === 'audit entry appended' && (l.audit as { seq: number }).seq === 7), 'each append logs the new head');

  const only = async (query: string) => ((await h.http('GET', `/v1/ops/audit?${query}`)).body as { items: Entry[] }).items.map((e) => e.seq);
  t.same(await only('action=step.retry'), [2, 1]);
  t.same(await only('actor=test-admin'), [6, 5, 3]);
  t.same(await only(`applicationId=${id}`), [7, 2, 1]);
  t.same(await only(`from=${encodeURIComponent('2026-11-30T09:00:01+08:00')}&to=${encodeURIComponent('2026-11-30T09:00:02+08:00')}`), [2]);
  const first = (await h.http('GET', '/v1/ops/audit?limit=3')).body as { items: Entry[]; nextBefore: number };
  t.same([first.items.map((e) => e.seq), first.nextBefore], [[7, 6, 5], 5]);
  const second = (await h.http('GET', `/v1/ops/audit?limit=3&before=${first.nextBefore}`)).body as { items: Entry[]; nextBefore: number | null };
  t.same(second.items.map((e) => e.seq), [4, 3, 2]);
  t.match(await h.http('GET', '/v1/ops/audit?action=DROP TABLE'), { status: 400 });
  t.match(await h.anonymous('GET', '/v1/ops/audit', undefined, bearer(h.opsTokens.operator)), { status: 403 }, 'admins only');
});

t.test('an ops route that declares no role is refused when the app starts', async (t) => {
  const app = Fastify({ logger: false });
  installOpsAccess(app, { ops: { identify: async () => null, configured: () => undefined, configuredCredentials: [] }, audit: { record: async () => { throw new Error('unused'); } }, log: pino({ level: 'silent' }) });
  t.throws(() => app.get('/v1/ops/forgotten', async () => ({ open: true })), /GET \/v1\/ops\/forgotten: every ops route declares config\.opsRole/);
  t.doesNotThrow(() => app.get('/v1/ops/declared', { config: { opsRole: 'viewer' } }, async () => ({})));
  await app.close();
});
