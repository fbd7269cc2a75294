// Text messages to the applicant: one when a department asks for a correction, one when everything
// is done — sent through the SMS service as durable outbox work: retried while the service is down,
// never sent twice for one occasion, never holding up the application.

import t from 'tap';
import { FIXTURE_MOBILE } from '../fixtures/application.ts';
import { metrics, metricValue } from './helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const FAKE_NOW = '2026-11-30T09:00:00+08:00';
const NAME_TAKEN = [{ path: 'companyName', message: '名称重复：该企业名称已被登记，请更换名称' }];

/** The notices (not sign-in codes) the mock SMS service accepted for the legal representative. */
const notices = (h: Harness) => h.sms.messages(FIXTURE_MOBILE).filter((m) => m.template !== 'sign_in_code');

async function rejectedThenCorrected(h: Harness) {
  const id = String((await h.submit({ companyName: '三门峡重复科技有限公司' })).body.id);
  await h.settle();
  return id;
}

const harnessOptions = (config: Record<string, unknown> = {}) => ({
  fakeClockAt: FAKE_NOW,
  behaviour: { 'business-licence': { reject: { when: 'companyNameContains' as const, value: '重复', reasons: NAME_TAKEN } } },
  config,
});

t.test('a correction needed, then completion: one text message each, to the legal representative', async (t) => {
  const h = await startHarness(t, harnessOptions());
  const id = await rejectedThenCorrected(h);
  t.equal((await h.status(id)).state, 'needs_correction');
  const [correction] = notices(h);
  t.equal(notices(h).length, 1, 'one message so far');
  t.match(correction, { template: 'correction_needed', recipient: FIXTURE_MOBILE, parameters: { companyName: '三门峡重复科技有限公司', applicationId: id } });
  t.match(correction!.text, /需要补正/, 'the text says what to do');

  const corrected = await h.http('POST', `/v1/applications/${id}/corrections`, { fields: { companyName: '三门峡新名科技有限公司' } });
  t.equal(corrected.status, 202);
  await h.settle();
  t.equal((await h.status(id)).state, 'completed');
  t.same(notices(h).map((m) => m.template), ['correction_needed', 'application_completed'], 'and one on completion, nothing else');
  t.match(notices(h)[1], { parameters: { companyName: '三门峡新名科技有限公司', applicationId: id } }, 'with the corrected name');
  t.equal(metricValue(await metrics(h), 'qlt_effects_total', { kind: 'notification', outcome: 'sent' }), 2);
  t.notOk(JSON.stringify(h.logs).includes(FIXTURE_MOBILE), 'the mobile number is never logged');
});

t.test('the SMS service down: the notice waits on a durable timer and goes out once it is back; the application does not wait', async (t) => {
  const h = await startHarness(t, harnessOptions({ orchestration: { maxAttempts: 10, retryBaseMs: 1_000, retryMaxMs: 1_000 } }));
  h.sms.setBehaviour({ failWith: 503 });
  const id = await rejectedThenCorrected(h);
  t.equal((await h.status(id)).state, 'needs_correction', 'the application moved on without the message');
  t.equal(notices(h).length, 0);
  const pending = (await h.gateway.store.listEffects(id)).filter((e) => e.kind === 'notification');
  t.equal(pending.length, 1, 'the notice is a pending outbox row');
  t.equal(pending[0]!.attempts, 1, 'after one failed attempt');

  h.sms.setBehaviour({ failWith: null });
  h.fakeClock!.advance(1_500);
  await h.settle();
  t.equal(notices(h).length, 1, 'sent once the service is back');
  t.equal((await h.gateway.store.listEffects(id)).filter((e) => e.kind === 'notification').length, 0, 'and the row is done');
  t.equal(metricValue(await metrics(h), 'qlt_effects_total', { kind: 'notification', outcome: 'rescheduled' }), 1);
});

t.test('a notice the service keeps refusing is given up after maxAttempts, logged, and changes nothing else', async (t) => {
  const h = await startHarness(t, harnessOptions({ orchestration: { maxAttempts: 3, retryBaseMs: 1_000, retryMaxMs: 1_000 } }));
  h.sms.setBehaviour({ failWith: 500 });
  const id = await rejectedThenCorrected(h);
  for (let i = 0; i < 3; i++) {
    h.fakeClock!.advance(1_500);
    await h.settle();
  }
  t.equal((await h.gateway.store.listEffects(id)).filter((e) => e.kind === 'notification').length, 0, 'no longer pending');
  t.equal(notices(h).length, 0);
  t.ok(h.logs.some((l) => l.msg === 'notice not sent; giving up (the applicant sees the change when they next look)' && l.notice === 'correction_needed'), 'logged');
  t.equal(metricValue(await metrics(h), 'qlt_effects_total', { kind: 'notification', outcome: 'failed' }), 1);
  t.equal((await h.status(id)).state, 'needs_correction');
});

t.test('performed twice (a lease expired after the send, before the commit): one message', async (t) => {
  const h = await startHarness(t, harnessOptions());
  h.sms.setBehaviour({ failWith: 503 });
  const id = await rejectedThenCorrected(h);
  h.sms.setBehaviour({ failWith: null });
  const [effect] = (await h.gateway.store.listEffects(id)).filter((e) => e.kind === 'notification');
  // Two executors that both believe they hold it: both send, with the same message id.
  await Promise.all([h.gateway.executor.perform(effect!), h.gateway.executor.perform(effect!)]);
  t.equal(notices(h).length, 1, 'the SMS service sends a repeated message id once');
});

t.test('without an SMS service no notification rows are written at all', async (t) => {
  const h = await startHarness(t, { ...harnessOptions(), config: { sms: undefined } });
  const id = await rejectedThenCorrected(h);
  t.equal((await h.status(id)).state, 'needs_correction');
  // A row written would have been performed by settle() and counted as dropped (pending rows are gone by then).
  t.equal(metricValue(await metrics(h), 'qlt_effects_total', { kind: 'notification' }), 0, 'no notification row was performed');
  t.notOk(h.logs.some((l) => l.msg === 'no SMS service configured: the applicant was not notified'), 'none was dropped');
  t.equal(notices(h).length, 0);
  t.ok(h.logs.some((l) => String(l.msg).startsWith('no SMS service configured (')), 'the start says so');
});
