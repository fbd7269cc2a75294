// Asynchronous departments call back, signed per contracts/signature.ts, at least once, possibly
// twice and out of order; they retry until the gateway answers 2xx.
import t from 'tap';
import {
  DEPARTMENT_HEADER,
  SealEngravingResult,
  SIGNATURE_HEADER,
  TaxInvoiceResult,
  TIMESTAMP_HEADER,
  verifyCallbackSignature,
} from '../../contracts/index.ts';
import { call, fakeClock, makeEnvelope, SECRET, send, startMockFor, startReceiver, type ReceivedCallback } from './helpers.ts';

function header(callback: ReceivedCallback, name: string): string {
  const value = callback.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function verify(callback: ReceivedCallback, secret = SECRET): boolean {
  return verifyCallbackSignature(secret, header(callback, TIMESTAMP_HEADER), callback.rawBody, header(callback, SIGNATURE_HEADER));
}

t.test('a seal-engraving callback arrives signed, after the delay, with the result', async (t) => {
  const receiver = await startReceiver(t);
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 120 } });
  const envelope = makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') });
  const sentAt = Date.now();
  const accepted = await send(mock, envelope);
  t.equal(accepted.status, 202);
  const [callback] = await receiver.waitFor(1);
  t.ok(callback!.at - sentAt >= 100, 'not before callbackDelayMs');
  t.ok(verify(callback!), 'the signature verifies with the department secret');
  t.notOk(verify(callback!, 'another-secret'), 'and not with another secret');
  t.notOk(
    verifyCallbackSignature(SECRET, header(callback!, TIMESTAMP_HEADER), callback!.rawBody.replace('"completed"', '"rejected"'), header(callback!, SIGNATURE_HEADER)),
    'a tampered body fails',
  );
  t.match(header(callback!, SIGNATURE_HEADER), /^v1=[0-9a-f]{64}$/);
  t.equal(header(callback!, DEPARTMENT_HEADER), 'seal-engraving');
  const ts = Number(header(callback!, TIMESTAMP_HEADER));
  t.ok(Math.abs(ts - Date.now() / 1000) < 5, 'the timestamp is unix seconds, now');
  const body = callback!.body;
  t.equal(body.outcome, 'completed');
  t.equal(body.applicationId, envelope.applicationId);
  t.equal(body.idempotencyKey, envelope.idempotencyKey);
  t.equal(body.reference, accepted.json.reference);
  t.ok(SealEngravingResult.safeParse(body.result).success, 'the result validates');
  t.same(SealEngravingResult.parse(body.result).seals, accepted.json.milestone.sealCodes);
  await mock.settled();
  t.same(mock.callbacks().map((c) => [c.eventId, c.outcome, c.delivered, c.attempts]), [[body.eventId, 'completed', true, 1]]);
});

t.test('the signature timestamp follows the injected clock', async (t) => {
  const receiver = await startReceiver(t);
  const clock = fakeClock('2026-05-06T10:00:00+08:00');
  const mock = await startMockFor(t, 'tax-invoice', { clock: clock.now, behaviour: { callbackDelayMs: 10 } });
  await send(mock, makeEnvelope('tax-invoice', { callbackUrl: receiver.callbackUrl('tax-invoice') }));
  const [callback] = await receiver.waitFor(1);
  t.equal(header(callback!, TIMESTAMP_HEADER), String(Date.parse('2026-05-06T02:00:00Z') / 1000));
  t.ok(verify(callback!));
  const result = TaxInvoiceResult.parse(callback!.body.result);
  t.equal(result.issuedAt, '2026-05-06T02:00:00.000Z');
});

t.test('duplicate callbacks: the outcome twice under distinct event ids, then a stale progress event', async (t) => {
  const receiver = await startReceiver(t);
  const mock = await startMockFor(t, 'tax-invoice', { behaviour: { callbackDelayMs: 10, duplicateCallbacks: true } });
  const accepted = await send(mock, makeEnvelope('tax-invoice', { callbackUrl: receiver.callbackUrl('tax-invoice') }));
  const received = await receiver.waitFor(3);
  await mock.settled();
  t.equal(received.length, 3);
  const [first, second, stale] = received.map((c) => c.body);
  t.equal(first!.outcome, 'completed');
  t.equal(second!.outcome, 'completed');
  t.not(first!.eventId, second!.eventId, 'distinct event ids');
  t.same(second!.result, first!.result, 'the same outcome');
  t.equal(stale!.outcome, 'progress', 'a progress event arrives after the completion');
  t.same(stale!.milestone, accepted.json.milestone, 'carrying the (older) milestone');
  t.equal(new Set(received.map((c) => c.body.eventId)).size, 3);
  for (const c of received) t.ok(verify(c), `${c.body.eventId} is signed`);
  t.equal(mock.effects().length, 1, 'still one effect');
});

t.test('a callback the gateway refuses is retried until it answers 2xx', async (t) => {
  const receiver = await startReceiver(t, (n) => (n < 3 ? 503 : 204));
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 0, callbackRetry: { attempts: 5, backoffMs: 20 } } });
  await send(mock, makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') }));
  await receiver.waitFor(3);
  await mock.settled();
  const [sent] = mock.callbacks();
  t.equal(sent!.attempts, 3);
  t.equal(sent!.delivered, true);
  t.equal(sent!.lastStatus, 204);
  t.equal(new Set(receiver.received.map((c) => c.body.eventId)).size, 1, 'a retry is the same event');
  for (const c of receiver.received) t.ok(verify(c), 'each attempt is signed afresh');
  t.equal(mock.effects().length, 1);
});

t.test('when every attempt fails the result can still be polled', async (t) => {
  const receiver = await startReceiver(t, () => 500);
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 0, callbackRetry: { attempts: 2, backoffMs: 10 } } });
  const accepted = await send(mock, makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') }));
  await mock.settled();
  t.equal(receiver.received.length, 2);
  t.same(
    mock.callbacks().map((c) => [c.delivered, c.attempts, c.lastStatus]),
    [[false, 2, 500]],
  );
  const polled = await call(`${mock.url}/requests/${accepted.json.reference}`);
  t.equal(polled.json.outcome, 'completed');
  const callbacks = (await call(`${mock.url}/_mock/callbacks`)).json;
  t.equal(callbacks[0].delivered, false);
});

t.test('an unreachable gateway is retried and given up on', async (t) => {
  const mock = await startMockFor(t, 'tax-invoice', { behaviour: { callbackDelayMs: 0, callbackRetry: { attempts: 3, backoffMs: 5 } } });
  await send(mock, makeEnvelope('tax-invoice', { callbackUrl: 'http://127.0.0.1:9/v1/departments/tax-invoice/callbacks' }));
  await mock.settled();
  const [sent] = mock.callbacks();
  t.equal(sent!.attempts, 3);
  t.equal(sent!.delivered, false);
  t.match(sent!.lastError, /ECONNREFUSED|connect/);
});

t.test('an asynchronous rejection arrives by callback, with no milestone and no effect', async (t) => {
  const receiver = await startReceiver(t);
  const reasons = [{ path: 'sealOrder.makerId', message: '刻章企业今日已满负荷' }];
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 10, reject: { when: 'always', reasons } } });
  const accepted = await send(mock, makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') }));
  t.equal(accepted.status, 202);
  t.notOk('milestone' in accepted.json, 'no seal codes for a request that will be rejected');
  const [callback] = await receiver.waitFor(1);
  t.equal(callback!.body.outcome, 'rejected');
  t.same(callback!.body.reasons, reasons);
  t.notOk('result' in callback!.body);
  t.ok(verify(callback!));
  await mock.settled();
  t.same(mock.effects(), []);
  t.equal((await call(`${mock.url}/requests/${accepted.json.reference}`)).json.outcome, 'rejected');
});

t.test('a synchronous step switched to async accepts, then calls back', async (t) => {
  const receiver = await startReceiver(t);
  const mock = await startMockFor(t, 'business-licence', { behaviour: { mode: 'async', callbackDelayMs: 10 } });
  const accepted = await send(mock, makeEnvelope('business-licence', { callbackUrl: receiver.callbackUrl('business-licence') }));
  t.equal(accepted.status, 202);
  t.same(Object.keys(accepted.json).sort(), ['outcome', 'reference'], 'no milestone for the licence');
  const [callback] = await receiver.waitFor(1);
  t.equal(callback!.body.outcome, 'completed');
  t.ok(verify(callback!));
});

t.test('closing a mock stops pending work', async (t) => {
  const receiver = await startReceiver(t);
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 5_000 } });
  await send(mock, makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') }));
  const started = Date.now();
  await mock.close();
  await mock.settled();
  t.ok(Date.now() - started < 2_000, 'close does not wait for the callback delay');
  t.same(receiver.received, []);
});
