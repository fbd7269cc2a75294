// Department faults over real HTTP: retries with the same idempotency key, exactly one effect per
// (application, step) whatever fails; a department that keeps failing ends in needs_attention and
// ops can retry it; the circuit breaker opens after consecutive failures and is visible to ops.
import t from 'tap';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { metricValue, metrics } from './helpers.ts';

type Status = Awaited<ReturnType<Harness['status']>>;
const stepOf = (status: Status, step: StepId) => status.steps.find((s) => s.step === step)! as Status['steps'][number] & { problem: string | null; result: Record<string, unknown> | null; attempts: number };

t.test('20% injected faults on every department: 30 applications all complete, one effect per step', async (t) => {
  // undici checks its headers timeout on a coarse timer (ticks of ~0.5 s), so a 250 ms timeout
  // fires somewhere in 250–1000 ms: a 'timeout' fault must hang longer than that to be one.
  const faulty = { errorRate: 0.2, errorKinds: ['500', 'reset', 'malformed_json', '429', 'timeout'] as const, hangMs: 1_200, callbackDelayMs: 20 };
  const h = await startHarness(t, {
    seed: 2026,
    behaviour: Object.fromEntries(CORE_STEP_IDS.map((s) => [s, { ...faulty, errorKinds: [...faulty.errorKinds] }])),
    // The gateway gives up on a department after 250 ms (see above).
    departmentTimeoutMs: 250,
    config: {
      orchestration: { maxAttempts: 20 },
      breaker: { consecutiveFailures: 10, halfOpenAfterMs: 200 },
    },
  });
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const reply = await h.submit({ companyName: `三门峡容错${String(i).padStart(2, '0')}号科技有限公司` });
    t.equal(reply.status, 202);
    ids.push(reply.body.id as string);
  }
  const finals = await Promise.all(ids.map((id) => h.waitFor(id, (s) => s.state === 'completed' || s.state === 'needs_attention', 50_000)));
  t.ok(finals.every((s) => s.state === 'completed'), `all 30 completed (${finals.filter((s) => s.state !== 'completed').length} did not)`);

  let faults = 0;
  for (const step of CORE_STEP_IDS) {
    const department = h.mocks.departments[step];
    faults += department.requests().filter((r) => r.fault !== null).length;
    for (const [i, id] of ids.entries()) {
      const effects = department.effects().filter((e) => e.applicationId === id);
      const keys = new Set(department.requests().filter((r) => r.applicationId === id).map((r) => r.idempotencyKey));
      if (effects.length !== 1 || keys.size !== 1 || !keys.has(`${id}:${step}:1`)) {
        t.fail(`${step} for application ${i}: ${effects.length} effects, keys ${[...keys].join(', ')}`);
        continue;
      }
      if (JSON.stringify(stepOf(finals[i]!, step).result) !== JSON.stringify(effects[0]!.result)) t.fail(`${step} for application ${i}: the result is not the department's one result`);
    }
    t.pass(`${step}: one effect per application under one idempotency key, ${department.requests().length} deliveries`);
  }
  t.ok(faults >= 10, `faults were injected (${faults})`);
  // Every kind of fault was met, and recognised for what it is.
  const FAILURE_CODE = { '500': 'DEPARTMENT_UNAVAILABLE', reset: 'DEPARTMENT_CONNECTION_RESET', malformed_json: 'DEPARTMENT_ANSWER_MALFORMED', '429': 'DEPARTMENT_RATE_LIMITED', timeout: 'DEPARTMENT_TIMEOUT' } as const;
  const seen = new Set(h.logs.filter((l) => l.msg === 'department call failed').map((l) => l.code));
  for (const kind of faulty.errorKinds) {
    const injected = CORE_STEP_IDS.flatMap((s) => h.mocks.departments[s].requests()).filter((r) => r.fault === kind).length;
    t.ok(injected > 0 && seen.has(FAILURE_CODE[kind]), `${kind} faults (${injected}) were seen by the gateway as ${FAILURE_CODE[kind]}`);
  }

  const text = await metrics(h);
  const rescheduled = metricValue(text, 'qlt_effects_total', { kind: 'department_call', outcome: 'rescheduled' });
  t.ok(rescheduled > 0, `retries are visible in qlt_effects_total (${rescheduled} rescheduled)`);
  t.ok(metricValue(text, 'qlt_department_call_errors_total', { kind: 'transient_failure' }) > 0, 'transient failures are counted');
  t.equal(metricValue(text, 'qlt_applications', { state: 'completed' }), 30);
  // The status's attempts count the attempts that ended (each retry, the last failure, the success):
  // one per delivery the department saw — except an attempt whose lease ran out under load before it
  // ended (another claim sent it again), which is not recorded. Never more than the deliveries.
  let equal = 0;
  const wrong = CORE_STEP_IDS.flatMap((step) =>
    ids.flatMap((id, i) => {
      const delivered = h.mocks.departments[step].requests().filter((r) => r.applicationId === id).length;
      const shown = stepOf(finals[i]!, step).attempts;
      if (shown === delivered) equal++;
      return shown >= 1 && shown <= delivered ? [] : [`${step} of application ${i}: status ${shown}, department saw ${delivered}`];
    }),
  );
  t.same(wrong, [], 'status attempts: at least one, never more than the deliveries the department saw');
  t.ok(equal >= CORE_STEP_IDS.length * ids.length * 0.9, `and equal to them for (nearly) every step (${equal} of ${CORE_STEP_IDS.length * ids.length})`);
  t.ok(finals.some((s) => s.steps.some((x) => stepOf(s, x.step).attempts > 1)), 'some steps needed retries, and say so');
});

t.test('a department that always fails: needs_attention after maxAttempts; ops retry once it is healthy', async (t) => {
  const h = await startHarness(t, {
    seed: 4,
    behaviour: { 'social-insurance': { errorRate: 1, errorKinds: ['500'] } },
    config: { orchestration: { maxAttempts: 3 } },
  });
  const id = (await h.submit()).body.id as string;
  const stuck = await h.waitFor(id, (s) => s.state === 'needs_attention' && s.steps.every((x) => x.step === 'social-insurance' || x.state === 'done'));
  const social = stepOf(stuck, 'social-insurance');
  t.equal(social.state, 'needs_attention');
  t.match(social.problem, /DEPARTMENT_UNAVAILABLE after 3 attempts/, 'the problem says what failed and how often');
  t.equal(social.attempts, 3, 'attempts says the same figure as the problem (the true count, not requests sent)');
  const department = h.mocks.departments['social-insurance'];
  t.equal(department.requests().filter((r) => r.applicationId === id).length, 3, 'three attempts were made');
  t.equal(department.effects().length, 0);
  const listed = (await h.http('GET', '/v1/ops/applications?state=needs_attention')).body as { items: Array<{ applicationId: string }> };
  t.same(listed.items.map((i) => i.applicationId), [id], 'ops see it in needs_attention');

  // Retrying what needs no retry, or what does not exist, is refused.
  t.match(await h.http('POST', `/v1/ops/applications/${id}/steps/business-licence/retry`), { status: 409, body: { code: 'STEP_NOT_RETRYABLE' } });
  t.match(await h.http('POST', `/v1/ops/applications/${id}/steps/housing-provident-fund/retry`), { status: 404, body: { code: 'STEP_UNKNOWN' } });
  t.match(await h.http('POST', `/v1/ops/applications/${id}/steps/land-registry/retry`), { status: 400, body: { code: 'REQUEST_INVALID' } });
  t.match(await h.http('POST', '/v1/ops/applications/no-such-application/steps/social-insurance/retry'), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });

  department.setBehaviour({});
  const retried = await h.http('POST', `/v1/ops/applications/${id}/steps/social-insurance/retry`);
  t.equal(retried.status, 202);
  t.same(retried.body, { applicationId: id, step: 'social-insurance', state: 'in_progress' });
  const done = await h.waitFor(id, (s) => s.state === 'completed');
  t.equal(stepOf(done, 'social-insurance').state, 'done');
  t.equal(stepOf(done, 'social-insurance').problem, null, 'the problem is cleared');
  t.equal(stepOf(done, 'social-insurance').attempts, 4, 'three failed attempts and the retry that succeeded');
  t.same(new Set(department.requests().filter((r) => r.applicationId === id).map((r) => r.idempotencyKey)), new Set([`${id}:social-insurance:1`]), 'the retry used the same idempotency key');
  t.equal(department.effects().filter((e) => e.applicationId === id).length, 1, 'one registration');
  t.match(await h.http('POST', `/v1/ops/applications/${id}/steps/social-insurance/retry`), { status: 409, body: { code: 'STEP_NOT_RETRYABLE' } }, 'no retry once done');
});

t.test('the circuit opens after consecutive failures, is visible to ops and in /metrics, and closes again', async (t) => {
  const h = await startHarness(t, {
    seed: 8,
    behaviour: { 'social-insurance': { errorRate: 1, errorKinds: ['500'] } },
    config: { orchestration: { maxAttempts: 50 }, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1_500 } },
  });
  const id = (await h.submit()).body.id as string;
  type Departments = { departments: Array<{ step: StepId; circuit: string; url: string }> };
  const circuit = async (step: StepId) => ((await h.http('GET', '/v1/ops/departments')).body as Departments).departments.find((d) => d.step === step)!.circuit;
  const deadline = Date.now() + 10_000;
  while ((await circuit('social-insurance')) !== 'open') {
    if (Date.now() > deadline) throw new Error('the circuit never opened');
    await new Promise((r) => setTimeout(r, 20));
  }
  const department = h.mocks.departments['social-insurance'];
  t.equal(department.requests().length, 3, 'after 3 failures no further call reaches the department while open');
  const listing = (await h.http('GET', '/v1/ops/departments')).body as Departments;
  t.same(listing.departments.map((d) => d.step), [...CORE_STEP_IDS]);
  t.ok(listing.departments.filter((d) => d.step !== 'social-insurance').every((d) => d.circuit === 'closed'), 'the other circuits are closed');
  let text = await metrics(h);
  t.match(text, /qlt_department_circuit_state\{step="social-insurance"\} 2/);
  t.equal(metricValue(text, 'qlt_department_circuit_state', { step: 'business-licence' }), 0);
  t.ok(h.logs.some((l) => l.msg === 'department circuit opened' && l.step === 'social-insurance'), 'the opening is logged');
  t.equal(stepOf(await h.status(id), 'social-insurance').state, 'in_progress', 'the step waits (retries are durable), it is not failed');

  department.setBehaviour({});
  const done = await h.waitFor(id, (s) => s.state === 'completed', 15_000);
  t.equal(stepOf(done, 'social-insurance').state, 'done');
  t.equal(await circuit('social-insurance'), 'closed', 'the half-open probe succeeded and closed the circuit');
  text = await metrics(h);
  t.equal(metricValue(text, 'qlt_department_circuit_state', { step: 'social-insurance' }), 0);
  t.equal(department.effects().length, 1);
});
