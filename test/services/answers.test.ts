// Answer classification against real local departments (Fastify on 127.0.0.1:0): every HTTP
// answer and transport failure becomes exactly one CallOutcome.

import t from 'tap';
import type { StepId } from '../../contracts/index.ts';
import { DEPARTMENT_ADAPTERS, MAX_ANSWER_BYTES } from '../../services/index.ts';
import type { AdapterOptions, CallObservation, CallOutcome, DepartmentAdapter } from '../../services/index.ts';
import { PRIOR, RESULTS, makeEnvelope, makeForm } from './fixtures.ts';
import { closedPort, silentLog, SECRETS, startDepartment } from './helpers.ts';
import type { FakeDepartment, Teardown } from './helpers.ts';

const form = makeForm();

function adapterFor<S extends StepId>(t: Teardown, step: S, baseUrl: string, options: Partial<AdapterOptions> = {}): DepartmentAdapter<S> {
  const adapter = DEPARTMENT_ADAPTERS[step]({ secrets: SECRETS, baseUrl, log: silentLog, ...options }) as DepartmentAdapter<S>;
  t.teardown(() => adapter.close());
  return adapter;
}

async function submitTo(t: Teardown, department: FakeDepartment, step: StepId = 'social-insurance', options: Partial<AdapterOptions> = {}) {
  const adapter = adapterFor(t, step, department.baseUrl, options);
  const envelope = makeEnvelope(step, adapter.buildRequest(form, PRIOR));
  return { outcome: await adapter.submit(envelope), envelope, adapter };
}

function failed(outcome: CallOutcome) {
  if (outcome.kind !== 'failed') throw new Error(`expected a failure, got ${outcome.kind}`);
  return outcome;
}

t.test('200 completed → completed with the contract result; the envelope and Idempotency-Key are sent', async (t) => {
  const department = await startDepartment(t, async () => ({ outcome: 'completed', reference: 'SI-REF-1', result: RESULTS['social-insurance'] }));
  const { outcome, envelope } = await submitTo(t, department);
  t.same(outcome, { kind: 'completed', reference: 'SI-REF-1', result: RESULTS['social-insurance'] });
  t.equal(department.hits.length, 1);
  const hit = department.hits[0]!;
  t.equal(hit.method, 'POST');
  t.equal(hit.url, '/dept/requests');
  t.equal(hit.headers['idempotency-key'], envelope.idempotencyKey);
  t.match(hit.headers['content-type'], /^application\/json/);
  t.same(hit.body, envelope);
});

t.test('completed without a reference → reference null; unknown result fields are dropped', async (t) => {
  const department = await startDepartment(t, async () => ({ outcome: 'completed', result: { ...RESULTS['social-insurance'], extra: 'x' } }));
  const { outcome } = await submitTo(t, department);
  t.same(outcome, { kind: 'completed', reference: null, result: RESULTS['social-insurance'] });
});

t.test('a NUL character anywhere in an answer is a permanent contract violation (no store can keep it)', async (t) => {
  const department = await startDepartment(t, async () => ({
    outcome: 'completed',
    reference: 'SI-REF-NUL',
    result: { ...RESULTS['social-insurance'], registrationNumber: '4112\u00000001' },
  }));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.equal(outcome.code, 'DEPARTMENT_ANSWER_INVALID');
  t.equal(outcome.transient, false);
  t.match(outcome.message, /result\.registrationNumber/);
});

t.test('a lone surrogate, nesting no contract has, or a __proto__ key: a permanent contract violation, not a retry loop', async (t) => {
  const valid = JSON.stringify({ outcome: 'completed', reference: 'SI-REF', result: RESULTS['social-insurance'] });
  const answers: Array<[string, string, RegExp]> = [
    // PostgreSQL refuses "\ud83d" when the result is stored, so the step would be retried for ever.
    ['a lone surrogate', valid.replace('SI-REF', 'SI-\\ud83d'), /unpaired UTF-16 surrogate is not text \(at reference\)/],
    ['3,500 levels of nesting', `{"outcome":"completed","result":${'['.repeat(3_500)}${']'.repeat(3_500)}}`, /nested deeper than any contract allows/],
    ['a __proto__ key', valid.replace('"result":{', '"result":{"__proto__":{"x":1},'), /"__proto__" is not allowed \(at result.__proto__\)/],
  ];
  for (const [name, text, message] of answers) {
    const department = await startDepartment(t, async (_request, reply) => reply.type('application/json').send(text));
    const outcome = failed((await submitTo(t, department)).outcome);
    t.equal(outcome.code, 'DEPARTMENT_ANSWER_INVALID', name);
    t.equal(outcome.transient, false, `${name}: permanent`);
    t.match(outcome.message, message, name);
  }
});

t.test('202 accepted → accepted, with the milestone validated against the step contract', async (t) => {
  const milestone = { sealCodes: [{ kind: 'company', sealCode: '4112020000123' }], codesAssignedAt: '2026-03-02T11:00:00+08:00' };
  const department = await startDepartment(t, async (_request, reply) => reply.code(202).send({ outcome: 'accepted', reference: 'SE-9', milestone }));
  const { outcome } = await submitTo(t, department, 'seal-engraving');
  t.same(outcome, { kind: 'accepted', reference: 'SE-9', milestone });

  department.handle = async (_request, reply) => reply.code(202).send({ outcome: 'accepted', reference: 'SE-10' });
  const { outcome: bare } = await submitTo(t, department, 'seal-engraving');
  t.same(bare, { kind: 'accepted', reference: 'SE-10', milestone: null });
});

t.test('422 rejected → rejected with the reasons', async (t) => {
  const reasons = [{ path: 'legalRepresentative.name', message: '姓名与身份证件不符，请核对' }];
  const department = await startDepartment(t, async (_request, reply) => reply.code(422).send({ outcome: 'rejected', reasons }));
  const { outcome } = await submitTo(t, department);
  t.same(outcome, { kind: 'rejected', reference: null, reasons });
});

t.test('500 → transient failure, no Retry-After', async (t) => {
  const department = await startDepartment(t, async (_request, reply) => reply.code(500).send({ code: 'INTERNAL', message: 'boom' }));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: true, code: 'DEPARTMENT_UNAVAILABLE', status: 500, retryAfterMs: null });
});

t.test('503 with an HTTP-date Retry-After → transient, retryAfterMs until that date', async (t) => {
  const department = await startDepartment(t, async (_request, reply) =>
    reply.code(503).header('retry-after', new Date(Date.now() + 60_000).toUTCString()).send({ code: 'NOT_READY', message: 'later' }),
  );
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: true, code: 'DEPARTMENT_UNAVAILABLE', status: 503 });
  t.ok(outcome.retryAfterMs! > 55_000 && outcome.retryAfterMs! <= 60_000, `retryAfterMs ${outcome.retryAfterMs}`);
});

t.test('429 with Retry-After seconds → transient, retryAfterMs honoured', async (t) => {
  const department = await startDepartment(t, async (_request, reply) => reply.code(429).header('retry-after', '7').send({ code: 'SLOW_DOWN', message: 'slow down' }));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.same(outcome, {
    kind: 'failed',
    transient: true,
    retryAfterMs: 7000,
    code: 'DEPARTMENT_RATE_LIMITED',
    message: outcome.message,
    status: 429,
  });
});

t.test('other 4xx → permanent failure naming the status and the department code only', async (t) => {
  const department = await startDepartment(t, async (_request, reply) =>
    reply.code(400).send({ code: 'REQUEST_INVALID', message: 'idNumber 411202198503071239 is invalid' }),
  );
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: false, code: 'DEPARTMENT_REQUEST_REFUSED', status: 400, retryAfterMs: null });
  t.match(outcome.message, /HTTP 400 REQUEST_INVALID/);
  t.notMatch(outcome.message, /411202198503071239/, 'the department message (which may echo personal data) is not kept');
});

t.test('2xx with a malformed JSON body → transient DEPARTMENT_ANSWER_MALFORMED', async (t) => {
  const department = await startDepartment(t, async (_request, reply) => reply.code(200).header('content-type', 'application/json').send('{"outcome":"compl'));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: true, code: 'DEPARTMENT_ANSWER_MALFORMED', status: 200 });
});

t.test('2xx whose result violates the step contract → permanent DEPARTMENT_ANSWER_INVALID naming the paths', async (t) => {
  const department = await startDepartment(t, async () => ({ outcome: 'completed', result: { registrationNumber: '' } }));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: false, code: 'DEPARTMENT_ANSWER_INVALID', status: 200 });
  t.match(outcome.message, /result\.registrationNumber/);
  t.match(outcome.message, /result\.registeredAt/);
});

t.test('a contract-violating milestone, a shapeless answer, a 422 that is not a rejection → DEPARTMENT_ANSWER_INVALID', async (t) => {
  const department = await startDepartment(t, async (_request, reply) =>
    reply.code(202).send({ outcome: 'accepted', reference: 'SE-1', milestone: { sealCodes: [{ kind: 'company', sealCode: '12' }] } }),
  );
  t.match(failed((await submitTo(t, department, 'seal-engraving')).outcome), { transient: false, code: 'DEPARTMENT_ANSWER_INVALID' });

  department.handle = async () => ({ status: 'ok' });
  t.match(failed((await submitTo(t, department)).outcome), { transient: false, code: 'DEPARTMENT_ANSWER_INVALID' });

  department.handle = async (_request, reply) => reply.code(422).send({ outcome: 'completed', result: RESULTS['social-insurance'] });
  t.match(failed((await submitTo(t, department)).outcome), { transient: false, code: 'DEPARTMENT_ANSWER_INVALID', status: 422 });

  department.handle = async (_request, reply) => reply.code(422).send({ outcome: 'rejected', reasons: [] });
  t.match(failed((await submitTo(t, department)).outcome), { transient: false, code: 'DEPARTMENT_ANSWER_INVALID', status: 422 });
});

t.test('connection refused (a closed port) → transient DEPARTMENT_UNREACHABLE', async (t) => {
  const port = await closedPort();
  const adapter = adapterFor(t, 'social-insurance', `http://127.0.0.1:${port}`);
  const outcome = failed(await adapter.submit(makeEnvelope('social-insurance', adapter.buildRequest(form, PRIOR))));
  t.match(outcome, { transient: true, code: 'DEPARTMENT_UNREACHABLE', status: null });
  t.match(outcome.message, /ECONNREFUSED/);
});

t.test('a department that never answers → transient DEPARTMENT_TIMEOUT after timeoutMs', async (t) => {
  const department = await startDepartment(t, () => new Promise(() => {}));
  const started = Date.now();
  const outcome = failed((await submitTo(t, department, 'social-insurance', { timeoutMs: 200 })).outcome);
  const elapsed = Date.now() - started;
  t.match(outcome, { transient: true, code: 'DEPARTMENT_TIMEOUT', status: null });
  t.match(outcome.message, /UND_ERR_HEADERS_TIMEOUT/);
  // undici runs headers/body timeouts on its coarse "fast timers" (about 1 s resolution).
  t.ok(elapsed >= 150 && elapsed < 3000, `timed out after ${elapsed} ms`);
});

t.test('a department that stalls mid-body → transient DEPARTMENT_TIMEOUT (body timeout)', async (t) => {
  const department = await startDepartment(t, (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/json' });
    reply.raw.write('{"outcome":');
  });
  const outcome = failed((await submitTo(t, department, 'social-insurance', { timeoutMs: 200 })).outcome);
  t.match(outcome, { transient: true, code: 'DEPARTMENT_TIMEOUT' });
  t.match(outcome.message, /UND_ERR_BODY_TIMEOUT/);
});

t.test('a department that drops the connection → transient DEPARTMENT_CONNECTION_RESET', async (t) => {
  const department = await startDepartment(t, (request, reply) => {
    reply.hijack();
    request.raw.socket.destroy();
  });
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: true, code: 'DEPARTMENT_CONNECTION_RESET', status: null });
});

t.test('poll: GET {baseUrl}/requests/{reference}, same classification', async (t) => {
  let answer: unknown = { outcome: 'accepted', reference: 'BK/7 1' };
  const department = await startDepartment(t, async () => answer);
  const adapter = adapterFor(t, 'bank-account', department.baseUrl);

  t.same(await adapter.poll('BK/7 1'), { kind: 'accepted', reference: 'BK/7 1', milestone: null });
  t.equal(department.hits[0]!.method, 'GET');
  t.equal(department.hits[0]!.url, '/dept/requests/BK%2F7%201', 'the reference is one path segment');

  answer = { outcome: 'completed', reference: 'BK/7 1', result: RESULTS['bank-account'] };
  t.same(await adapter.poll('BK/7 1'), { kind: 'completed', reference: 'BK/7 1', result: RESULTS['bank-account'] });

  answer = { outcome: 'rejected', reference: 'BK/7 1', reasons: [{ path: 'bank.branch', message: '该网点不办理开户' }] };
  t.match(await adapter.poll('BK/7 1'), { kind: 'rejected', reference: 'BK/7 1' });

  department.handle = async (_request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: 'no such request' });
  t.match(await adapter.poll('nope'), { kind: 'failed', transient: false, code: 'DEPARTMENT_REQUEST_REFUSED', status: 404 });
});

t.test('the wire carries only the contract: unknown data fields are dropped; an invalid request is not sent', async (t) => {
  const department = await startDepartment(t, async () => ({ outcome: 'accepted', reference: 'R1' }));
  const adapter = adapterFor(t, 'bank-account', department.baseUrl);
  const data = { ...adapter.buildRequest(form, PRIOR), shareholders: form.shareholders };
  await adapter.submit(makeEnvelope('bank-account', data));
  const sent = department.hits[0]!.body as { data: Record<string, unknown> };
  t.notOk('shareholders' in sent.data);

  const invalid = failed(await adapter.submit(makeEnvelope('bank-account', { companyName: 'x' })));
  t.match(invalid, { transient: false, code: 'DEPARTMENT_REQUEST_INVALID' });
  const wrongStep = failed(await adapter.submit(makeEnvelope('tax-invoice', adapter.buildRequest(form, PRIOR))));
  t.match(wrongStep, { transient: false, code: 'DEPARTMENT_REQUEST_INVALID' });
  t.equal(department.hits.length, 1, 'neither invalid request reached the department');
});

t.test('observe is told about every call', async (t) => {
  const observations: CallObservation[] = [];
  let status = 200;
  const department = await startDepartment(t, async (_request, reply) =>
    status === 200 ? { outcome: 'completed', result: RESULTS['social-insurance'] } : reply.code(status).send({ code: 'X', message: 'x' }),
  );
  const adapter = adapterFor(t, 'social-insurance', department.baseUrl, { observe: (o) => void observations.push(o) });
  const envelope = makeEnvelope('social-insurance', adapter.buildRequest(form, PRIOR));
  await adapter.submit(envelope);
  status = 500;
  await adapter.submit(envelope);
  status = 403;
  await adapter.poll('r');
  t.same(
    observations.map(({ step, operation, outcome, code }) => ({ step, operation, outcome, code })),
    [
      { step: 'social-insurance', operation: 'submit', outcome: 'completed', code: undefined },
      { step: 'social-insurance', operation: 'submit', outcome: 'transient_failure', code: 'DEPARTMENT_UNAVAILABLE' },
      { step: 'social-insurance', operation: 'poll', outcome: 'permanent_failure', code: 'DEPARTMENT_REQUEST_REFUSED' },
    ],
    'failures carry their catalogue code (the errors metric is labelled with it)',
  );
  t.notOk('code' in observations[0]!, 'an answer has no code');
  t.ok(observations.every((o) => o.durationMs >= 0));
});

t.test('an injected dispatcher is used and is not closed by the adapter', async (t) => {
  const { Agent } = await import('undici');
  const agent = new Agent();
  t.teardown(() => agent.close());
  let dispatched = 0;
  const counting = agent.compose((dispatch) => (options, handler) => {
    dispatched += 1;
    return dispatch(options, handler);
  });
  const department = await startDepartment(t, async () => ({ outcome: 'accepted', reference: 'R' }));
  const adapter = DEPARTMENT_ADAPTERS['tax-invoice']({ secrets: SECRETS, baseUrl: `${department.baseUrl}/`, log: silentLog, dispatcher: counting });
  t.match(await adapter.submit(makeEnvelope('tax-invoice', adapter.buildRequest(form, PRIOR))), { kind: 'accepted' });
  t.equal(dispatched, 1);
  t.equal(department.hits[0]!.url, '/dept/requests', 'a trailing slash on the base URL is tolerated');
  await adapter.close();
  t.equal(agent.closed, false);
});

t.test('a request that breaks the contract is neither sent nor observed; close() is idempotent', async (t) => {
  const observations: CallObservation[] = [];
  const department = await startDepartment(t, async () => ({ outcome: 'accepted', reference: 'R' }));
  const adapter = DEPARTMENT_ADAPTERS['social-insurance']({ secrets: SECRETS, baseUrl: department.baseUrl, log: silentLog, observe: (o) => void observations.push(o) });
  t.match(await adapter.submit(makeEnvelope('social-insurance', { creditCode: 'bad' })), { kind: 'failed', code: 'DEPARTMENT_REQUEST_INVALID' });
  t.equal(observations.length, 0);
  t.equal(department.hits.length, 0);
  await adapter.close();
  await adapter.close();
});

t.test('an answer larger than MAX_ANSWER_BYTES is refused, not buffered', async (t) => {
  const padding = 'x'.repeat(MAX_ANSWER_BYTES + 1);
  const department = await startDepartment(t, async () => ({ outcome: 'completed', result: { ...RESULTS['social-insurance'], padding } }));
  const outcome = failed((await submitTo(t, department)).outcome);
  t.match(outcome, { transient: false, code: 'DEPARTMENT_ANSWER_TOO_LARGE' });
});
