// Rotating a department's secret without an outage (docs/departments.md "Rotating a secret"): while
// the gateway holds DEPT_<STEP>_SECRET (new) and DEPT_<STEP>_SECRET_PREVIOUS (old), a department
// still on the old secret keeps working both ways — and so does one that switched first while the
// gateway still holds only the old one. Without the change-over, a mismatch stops the step with
// DEPARTMENT_AUTH_REFUSED for ops to see.
import t from 'tap';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { startHarness } from '../support/harness.ts';

const OLD = 'old-department-secret-0123456789';
const NEW = 'new-department-secret-9876543210';
const each = <V>(value: V) => Object.fromEntries(CORE_STEP_IDS.map((s) => [s, value])) as Record<StepId, V>;

t.test('the gateway switches first: departments still on the old secret are served, callbacks included', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00', gatewaySecrets: each({ secret: NEW, previousSecret: OLD }), mockSecrets: each({ secret: OLD }) });
  const { body } = await h.submit();
  await h.settle();
  const status = await h.status(body.id as string);
  t.equal(status.state, 'completed', 'every department answered and called back');
  t.ok(h.mocks.departments['seal-engraving'].callbacks().every((c) => c.delivered), 'callbacks signed with the old secret were accepted');
});

t.test('a department switches first: the gateway, still on the old secret, is served and accepts its callbacks', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00', gatewaySecrets: each({ secret: OLD }), mockSecrets: each({ secret: NEW, previousSecret: OLD }) });
  const { body } = await h.submit();
  await h.settle();
  t.equal((await h.status(body.id as string)).state, 'completed');
  t.ok(h.mocks.departments['tax-invoice'].callbacks().every((c) => c.delivered && c.lastStatus === 200), 'callbacks signed with both were accepted');
});

t.test('no change-over: a department on another secret refuses the gateway, and ops see why', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00', gatewaySecrets: { 'business-licence': { secret: NEW } }, mockSecrets: { 'business-licence': { secret: OLD } } });
  const { body } = await h.submit();
  await h.settle();
  const status = await h.status(body.id as string);
  t.equal(status.state, 'needs_attention');
  t.match(status.steps.find((s) => s.step === 'business-licence'), { state: 'needs_attention', problem: /^DEPARTMENT_AUTH_REFUSED: .*DEPT_<STEP>_SECRET.*GATEWAY_SIGNATURE_INVALID$/ });
  t.same(h.mocks.departments['business-licence'].requests(), [], 'the department did nothing for the requests it could not authenticate');
});
