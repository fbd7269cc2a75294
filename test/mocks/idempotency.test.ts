// Deduplication by Idempotency-Key: the same key always gets the same answer and never a second
// effect, however often and however concurrently it is sent.
import t from 'tap';
import { call, makeEnvelope, send, startMockFor, startReceiver } from './helpers.ts';

t.test('a repeated key gets the same answer and produces one effect', async (t) => {
  const mock = await startMockFor(t, 'business-licence');
  const envelope = makeEnvelope('business-licence');
  const first = await send(mock, envelope);
  const second = await send(mock, envelope);
  const third = await send(mock, envelope);
  t.equal(first.status, 200);
  t.same(second.json, first.json, 'the same reference and the same credit code');
  t.same(third.json, first.json);
  t.equal(mock.effects().length, 1, 'exactly one licence issued');
  t.same(
    mock.requests().map((r) => r.duplicate),
    [false, true, true],
    'every delivery is recorded, the repeats as duplicates',
  );
  const effects = (await call(`${mock.url}/_mock/effects`)).json;
  t.same(effects, [{ idempotencyKey: envelope.idempotencyKey, applicationId: envelope.applicationId, reference: first.json.reference, at: effects[0].at, result: first.json.result }]);
  const requests = (await call(`${mock.url}/_mock/requests`)).json;
  t.equal(requests.length, 3);
  t.same(Object.keys(requests[0]).sort(), ['applicationId', 'data', 'duplicate', 'fault', 'idempotencyKey', 'receivedAt']);
  t.same(requests[0].data, envelope.data, 'the data as received');
});

t.test('concurrent deliveries of one key race to one effect', async (t) => {
  const mock = await startMockFor(t, 'business-licence', { behaviour: { latencyMs: { min: 0, max: 30 } } });
  const envelope = makeEnvelope('business-licence');
  const answers = await Promise.all(Array.from({ length: 10 }, () => send(mock, envelope)));
  t.equal(new Set(answers.map((a) => JSON.stringify(a.json))).size, 1, 'all ten answers are identical');
  t.equal(mock.effects().length, 1);
  t.equal(mock.requests().filter((r) => !r.duplicate).length, 1, 'one delivery did the work');
});

t.test('distinct keys are distinct requests: one effect per key', async (t) => {
  const mock = await startMockFor(t, 'social-insurance');
  const a = makeEnvelope('social-insurance', { applicationId: 'app-a', idempotencyKey: 'app-a:social-insurance:1' });
  const b = makeEnvelope('social-insurance', { applicationId: 'app-b', idempotencyKey: 'app-b:social-insurance:1' });
  await send(mock, a);
  await send(mock, b);
  await send(mock, a);
  const keys = mock.effects().map((e) => e.idempotencyKey);
  t.same(keys, ['app-a:social-insurance:1', 'app-b:social-insurance:1']);
});

t.test('a key reused for another application is refused', async (t) => {
  const mock = await startMockFor(t, 'bank-account');
  const original = makeEnvelope('bank-account', { applicationId: 'app-1', idempotencyKey: 'shared-key-0001' });
  await send(mock, original);
  const reused = await send(mock, { ...original, applicationId: 'app-2' });
  t.equal(reused.status, 409);
  t.equal(reused.json.code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(mock.effects().length, 1);
});

t.test('async: the same key answers accepted while processing, then the final result; one effect, one callback', async (t) => {
  const receiver = await startReceiver(t);
  const mock = await startMockFor(t, 'seal-engraving', { behaviour: { callbackDelayMs: 150 } });
  const envelope = makeEnvelope('seal-engraving', { callbackUrl: receiver.callbackUrl('seal-engraving') });
  const accepted = await send(mock, envelope);
  const again = await send(mock, envelope);
  t.equal(again.status, 202);
  t.same(again.json, accepted.json, 'same reference, same seal codes');
  await mock.settled();
  const late = await send(mock, envelope);
  t.equal(late.status, 200, 'after completion the key answers with the result');
  t.equal(late.json.outcome, 'completed');
  t.equal(late.json.reference, accepted.json.reference);
  const polled = await call(`${mock.url}/requests/${accepted.json.reference}`);
  t.same(polled.json, late.json, 'polling and resending agree');
  t.equal(mock.effects().length, 1);
  t.equal(receiver.received.length, 1, 'one callback, however often the request was resent');
  t.same(receiver.received[0]!.body.result, late.json.result, 'the callback carries the same final result');
});

t.test('reset forgets requests, answers and effects', async (t) => {
  const mock = await startMockFor(t, 'postal-delivery');
  const envelope = makeEnvelope('postal-delivery');
  const before = await send(mock, envelope);
  const reset = await call(`${mock.url}/_mock/reset`, { method: 'POST' });
  t.equal(reset.status, 204);
  t.same((await call(`${mock.url}/_mock/requests`)).json, []);
  t.same((await call(`${mock.url}/_mock/effects`)).json, []);
  t.equal((await call(`${mock.url}/requests/${before.json.reference}`)).status, 404);
  const after = await send(mock, envelope);
  t.not(after.json.reference, before.json.reference, 'after a reset the key is new again');
  t.equal(mock.effects().length, 1);
});
