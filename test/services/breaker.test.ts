// One circuit breaker per department: only transient failures count; while open, calls fail
// fast with CIRCUIT_OPEN and never reach the department; after the cool-down one probe decides.
// cockatiel measures the cool-down with the wall clock, so these tests wait for real (100 ms).

import t from 'tap';
import { DEPARTMENT_ADAPTERS } from '../../services/index.ts';
import type { BreakerState, CallOutcome } from '../../services/index.ts';
import { PRIOR, RESULTS, makeEnvelope, makeForm } from './fixtures.ts';
import { silentLog, SECRETS, sleep, startDepartment } from './helpers.ts';
import type { Teardown } from './helpers.ts';

const form = makeForm();
const HALF_OPEN_AFTER_MS = 100;

async function setup(t: Teardown) {
  let status = 500;
  const department = await startDepartment(t, async (_request, reply) =>
    status === 200 ? { outcome: 'completed', result: RESULTS['tax-invoice'] } : reply.code(status).send({ code: 'X', message: 'x' }),
  );
  const changes: Array<[string, BreakerState]> = [];
  const adapter = DEPARTMENT_ADAPTERS['tax-invoice']({
    secrets: SECRETS,
    baseUrl: department.baseUrl,
    log: silentLog,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: HALF_OPEN_AFTER_MS },
    onBreakerChange: (step, state) => void changes.push([step, state]),
  });
  t.teardown(() => adapter.close());
  const envelope = makeEnvelope('tax-invoice', adapter.buildRequest(form, PRIOR));
  return {
    department,
    adapter,
    changes,
    setStatus: (next: number) => {
      status = next;
    },
    submit: (): Promise<CallOutcome> => adapter.submit(envelope),
  };
}

t.test('opens after N consecutive transient failures and then fails fast without calling the department', async (t) => {
  const { department, adapter, changes, submit } = await setup(t);
  for (let i = 0; i < 3; i++) t.match(await submit(), { kind: 'failed', code: 'DEPARTMENT_UNAVAILABLE' });
  t.equal(department.hits.length, 3);
  t.equal(adapter.breakerState(), 'open');
  t.same(changes, [['tax-invoice', 'open']]);

  const blocked = await submit();
  t.match(blocked, { kind: 'failed', transient: true, code: 'CIRCUIT_OPEN', status: null });
  if (blocked.kind === 'failed') {
    t.ok(blocked.retryAfterMs !== null && blocked.retryAfterMs >= 0 && blocked.retryAfterMs <= HALF_OPEN_AFTER_MS, `retryAfterMs ${blocked.retryAfterMs}`);
  }
  t.match(await adapter.poll('ref'), { kind: 'failed', code: 'CIRCUIT_OPEN' }, 'polls share the breaker');
  t.equal(department.hits.length, 3, 'no request reached the department while open');
});

t.test('half-opens after the cool-down: a successful probe closes the circuit', async (t) => {
  const { department, adapter, changes, setStatus, submit } = await setup(t);
  for (let i = 0; i < 3; i++) await submit();
  t.equal(adapter.breakerState(), 'open');
  await sleep(HALF_OPEN_AFTER_MS + 20);
  setStatus(200);
  t.match(await submit(), { kind: 'completed' });
  t.equal(department.hits.length, 4, 'the probe reached the department');
  t.equal(adapter.breakerState(), 'closed');
  t.same(changes.map(([, state]) => state), ['open', 'half_open', 'closed']);
});

t.test('a failed probe re-opens the circuit for another cool-down', async (t) => {
  const { department, adapter, changes, submit } = await setup(t);
  for (let i = 0; i < 3; i++) await submit();
  await sleep(HALF_OPEN_AFTER_MS + 20);
  t.match(await submit(), { kind: 'failed', code: 'DEPARTMENT_UNAVAILABLE' }, 'the probe failed');
  t.equal(department.hits.length, 4);
  t.equal(adapter.breakerState(), 'open');
  t.match(await submit(), { kind: 'failed', code: 'CIRCUIT_OPEN' });
  t.equal(department.hits.length, 4);
  t.same(changes.map(([, state]) => state), ['open', 'half_open', 'open']);
});

t.test('permanent failures and rejections do not count against the department', async (t) => {
  const { department, adapter, setStatus, submit } = await setup(t);
  setStatus(404);
  for (let i = 0; i < 5; i++) t.match(await submit(), { kind: 'failed', transient: false });
  t.equal(adapter.breakerState(), 'closed');
  setStatus(500);
  await submit();
  await submit();
  setStatus(200);
  await submit(); // a success resets the count of consecutive failures
  setStatus(500);
  await submit();
  await submit();
  t.equal(adapter.breakerState(), 'closed', 'never 3 transient failures in a row');
  t.equal(department.hits.length, 10);
});

t.test('defaults: a closed breaker that a few failures do not open', async (t) => {
  const department = await startDepartment(t, async (_request, reply) => reply.code(502).send({ code: 'X', message: 'x' }));
  const adapter = DEPARTMENT_ADAPTERS['postal-delivery']({ secrets: SECRETS, baseUrl: department.baseUrl, log: silentLog });
  t.teardown(() => adapter.close());
  t.equal(adapter.breakerState(), 'closed');
  for (let i = 0; i < 4; i++) await adapter.poll('p');
  t.equal(adapter.breakerState(), 'closed', 'the default threshold is 5');
  await adapter.poll('p');
  t.equal(adapter.breakerState(), 'open');
});
