// The mock departments and the mock SMS service authenticate the gateway (docs/departments.md §6a):
// unsigned, forged, stale and replayed requests are refused with 401 and a code before anything
// else happens; during a secret change-over either secret verifies, and callbacks carry a
// signature with each.

import t from 'tap';
import { GATEWAY_NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallbackSignature, verifySignature } from '../../contracts/index.ts';
import { startMockSms } from '../../mocks/index.ts';
import { call, fakeClock, gatewaySignature, makeEnvelope, registerMock, SECRET, startMockFor, startReceiver } from './helpers.ts';

t.test('a department refuses what the gateway did not sign, and does nothing for it', async (t) => {
  const clock = fakeClock();
  const mock = await startMockFor(t, 'social-insurance', { clock: clock.now });
  const url = `${mock.url}/requests`;
  const envelope = makeEnvelope('social-insurance');
  const body = JSON.stringify(envelope);
  const post = (headers: Record<string, string>, sent = body) =>
    call(url, { method: 'POST', body: JSON.parse(sent), headers: { 'idempotency-key': envelope.idempotencyKey, ...headers }, sign: false });

  t.match(await post({}), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } }, 'unsigned');
  t.match(await post(gatewaySignature(url, body, { secret: 'another-department-secret-000' })), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } }, "another department's secret");
  const signedForOther = gatewaySignature(url, JSON.stringify({ ...envelope, applicationId: 'someone-else' }));
  t.match(await post(signedForOther), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } }, 'a signature over another body');
  t.match(await post({ ...gatewaySignature(url, body), [GATEWAY_NONCE_HEADER]: 'short' }), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } }, 'a malformed nonce');
  const old = () => new Date(clock.now().getTime() - 301_000);
  t.match(await post(gatewaySignature(url, body, { now: old })), { status: 401, json: { code: 'GATEWAY_REQUEST_STALE' } }, 'signed more than 300 s ago');
  t.match(await post(gatewaySignature(url, body, { now: () => new Date(clock.now().getTime() + 301_000) })), { status: 401, json: { code: 'GATEWAY_REQUEST_STALE' } }, 'or in the future');
  t.same(mock.requests(), [], 'none of them reached the department');

  const signed = gatewaySignature(url, body);
  t.equal((await post(signed)).status, 200, 'signed: done');
  t.match(await post(signed), { status: 401, json: { code: 'GATEWAY_REQUEST_REPLAYED' } }, 'the same nonce again');
  t.equal((await post(gatewaySignature(url, body))).status, 200, 'a retry, signed afresh, is answered (idempotently)');
  t.equal(mock.effects().length, 1);

  const reference = mock.effects()[0]!.reference;
  t.match(await call(`${url}/${reference}`, { sign: false }), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } }, 'an unsigned poll');
  t.equal((await call(`${url}/${reference}`)).status, 200, 'a signed poll');

  // The window: a nonce is remembered as long as its request could be fresh.
  const late = gatewaySignature(url, body);
  clock.advance(301_000);
  t.match(await post(late), { status: 401, json: { code: 'GATEWAY_REQUEST_STALE' } }, 'a captured request held past the window is stale');
  t.same((await call(`${mock.url}/_mock/requests`)).status, 200, 'the control routes are the mock’s own (no signature)');
});

t.test('during a change-over either secret verifies, and callbacks carry a signature with each', async (t) => {
  const next = 'next-secret-after-rotation-0123';
  const mock = await startMockFor(t, 'tax-invoice', { secret: next, previousSecret: SECRET, behaviour: { callbackDelayMs: 10 } });
  registerMock(mock.url, next);
  const receiver = await startReceiver(t);
  const envelope = makeEnvelope('tax-invoice', { callbackUrl: receiver.callbackUrl('tax-invoice') });
  const url = `${mock.url}/requests`;
  const send = (secret: string, e = envelope) => call(url, { method: 'POST', body: e, headers: { 'idempotency-key': e.idempotencyKey, ...gatewaySignature(url, JSON.stringify(e), { secret }) }, sign: false });
  t.equal((await send(SECRET)).status, 202, 'signed with the previous secret');
  // The same request again: the department answers it from its store — accepted, or completed if its
  // callback timer has fired meanwhile. Either way the signature was taken (not 401).
  t.ok([200, 202].includes((await send(next)).status), 'signed with the new one');
  t.match(await send('neither-secret-0123456789'), { status: 401 });
  const [callback] = await receiver.waitFor(1);
  const signature = String(callback!.headers[SIGNATURE_HEADER]);
  const timestamp = String(callback!.headers[TIMESTAMP_HEADER]);
  t.match(signature, /^v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/, 'two signatures');
  t.ok(verifyCallbackSignature(SECRET, timestamp, callback!.rawBody, signature), 'a gateway still on the previous secret verifies it');
  t.ok(verifyCallbackSignature(next, timestamp, callback!.rawBody, signature), 'so does one on the new secret');
  t.notOk(verifySignature(['neither-secret-0123456789'], timestamp, callback!.rawBody, signature));
  t.notOk(verifySignature([SECRET], timestamp, callback!.rawBody, `${signature},${signature},${signature}`), 'more than four entries are not even read');
});

t.test('the mock SMS service: signed requests only; it keeps what it was asked to send', async (t) => {
  const secret = 'sms-test-secret-0123456789';
  const sms = await startMockSms({ secret });
  t.teardown(() => sms.close());
  const url = `${sms.url}/messages`;
  const message = { messageId: 'msg-00000001', recipient: '13900001234', template: 'sign_in_code', parameters: { code: '042042', validMinutes: 5 } };
  const body = JSON.stringify(message);
  const post = (headers: Record<string, string>, sent: unknown = message) => call(url, { method: 'POST', body: sent, headers, sign: false });
  t.match(await post({}), { status: 401, json: { code: 'GATEWAY_SIGNATURE_INVALID' } });
  t.match(await post(gatewaySignature(url, body, { secret: 'not-the-sms-secret-0000' })), { status: 401 });
  const signed = gatewaySignature(url, body, { secret });
  t.match(await post(signed), { status: 202, json: { messageId: /^SMS\d{8}\d{8}$/ } });
  t.match(await post(signed), { status: 401, json: { code: 'GATEWAY_REQUEST_REPLAYED' } });
  t.match(await post(gatewaySignature(url, body, { secret })), { status: 202 }, 'the same message id again: answered, sent once');
  const bad = { ...message, messageId: 'msg-00000002', parameters: { code: '42' } };
  t.match(await post(gatewaySignature(url, JSON.stringify(bad), { secret }), bad), { status: 400, json: { code: 'SMS_REQUEST_INVALID' } });
  const free = { ...message, messageId: 'msg-00000003', template: 'free_text', parameters: { text: '任意内容' } };
  t.match(await post(gatewaySignature(url, JSON.stringify(free), { secret }), free), { status: 400 }, 'only registered templates');
  t.same(
    sms.messages().map((m) => [m.recipient, m.template, m.text]),
    [['13900001234', 'sign_in_code', '【全链通】您的登录验证码是042042，5分钟内有效。请勿将验证码告诉他人；如非本人操作，请忽略本短信。']],
  );
  t.same((await call(`${sms.url}/_mock/messages?recipient=13900001234`)).json.length, 1, 'GET /_mock/messages?recipient=');
  t.same((await call(`${sms.url}/_mock/messages?recipient=13900009999`)).json, []);
  sms.setBehaviour({ failWith: 503 });
  t.match(await post(gatewaySignature(url, JSON.stringify({ ...message, messageId: 'msg-00000004' }), { secret }), { ...message, messageId: 'msg-00000004' }), { status: 503 });
});
