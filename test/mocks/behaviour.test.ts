// Behaviour switched at run time through /_mock/behaviour: latency, injected faults (before the
// effect, or — for 'timeout' — after it), rejections, capacity.
import t from 'tap';
import { request } from 'undici';
import { BUSINESS_LICENCE_REJECTIONS } from '../../mocks/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import { call, fakeClock, makeEnvelope, requestDataFor, send, startMockFor } from './helpers.ts';

const put = (url: string, body: unknown) => call(`${url}/_mock/behaviour`, { method: 'PUT', body });

t.test('the behaviour document: defaults per step, replaced by PUT, refused when invalid', async (t) => {
  const licence = await startMockFor(t, 'business-licence');
  const seal = await startMockFor(t, 'seal-engraving');
  const b = (await call(`${licence.url}/_mock/behaviour`)).json;
  t.same(b, {
    latencyMs: { min: 0, max: 0 },
    errorRate: 0,
    errorKinds: ['500'],
    hangMs: 10_000,
    rejectRate: 0,
    mode: 'sync',
    callbackDelayMs: 200,
    callbackRetry: { attempts: 4, backoffMs: 100 },
    duplicateCallbacks: false,
  });
  t.equal((await call(`${seal.url}/_mock/behaviour`)).json.mode, 'async', 'seal engraving is asynchronous by default');

  const replaced = await put(licence.url, { errorRate: 0.5, errorKinds: ['429', 'reset'] });
  t.equal(replaced.status, 200);
  t.equal(replaced.json.errorRate, 0.5);
  t.equal(replaced.json.mode, 'sync', 'fields left out take their defaults');
  t.same((await put(licence.url, {})).json, b, 'PUT {} restores the defaults');

  const invalid = [
    [{ errorRate: 2 }, ['errorRate']],
    [{ errorKinds: ['503'] }, ['errorKinds.0']],
    [{ errorKinds: [] }, ['errorKinds']],
    [{ latencyMs: { min: 50, max: 10 } }, ['latencyMs.max']],
    [{ reject: { when: 'companyNameContains' } }, ['reject.value']],
    [{ reject: { when: 'always', reasons: [] } }, ['reject.reasons']],
    [{ capacity: { perWindow: 2 } }, ['capacity.windowMs']],
    [{ mode: 'batch' }, ['mode']],
    [{ errorRaet: 1 }, ['errorRaet']],
  ] as const;
  for (const [doc, paths] of invalid) {
    const answer = await put(licence.url, doc);
    t.equal(answer.status, 400, JSON.stringify(doc));
    t.equal(answer.json.code, 'MOCK_BEHAVIOUR_INVALID');
    t.same(answer.json.details.map((d: { path: string }) => d.path), paths, JSON.stringify(doc));
  }
  t.same((await call(`${licence.url}/_mock/behaviour`)).json, b, 'a refused document changes nothing');
  t.throws(() => licence.setBehaviour({ errorRate: -1 }), 'setBehaviour throws on an invalid document');
});

t.test('latency', async (t) => {
  const mock = await startMockFor(t, 'social-insurance', { behaviour: { latencyMs: { min: 120, max: 150 } } });
  const started = Date.now();
  const answer = await send(mock, makeEnvelope('social-insurance'));
  const elapsed = Date.now() - started;
  t.equal(answer.status, 200);
  t.ok(elapsed >= 115, `answered after ${elapsed} ms`);
});

t.test('a 500 comes before the effect: the retry with the same key does the work once', async (t) => {
  const mock = await startMockFor(t, 'business-licence');
  await put(mock.url, { errorRate: 1, errorKinds: ['500'] });
  const envelope = makeEnvelope('business-licence');
  const failed = await send(mock, envelope);
  t.equal(failed.status, 500);
  t.equal(failed.json.code, 'DEPARTMENT_UNAVAILABLE');
  t.same(mock.effects(), [], 'no effect yet');
  await put(mock.url, {});
  const ok = await send(mock, envelope);
  t.equal(ok.status, 200);
  t.equal(mock.effects().length, 1);
  t.same(
    mock.requests().map((r) => [r.fault, r.duplicate]),
    [
      ['500', false],
      [null, false],
    ],
    'the failed delivery did nothing, so the retry is the first to do the work',
  );
});

t.test('429 with Retry-After: 1', async (t) => {
  const mock = await startMockFor(t, 'bank-account', { behaviour: { errorRate: 1, errorKinds: ['429'] } });
  const answer = await send(mock, makeEnvelope('bank-account'));
  t.equal(answer.status, 429);
  t.equal(answer.headers['retry-after'], '1');
  t.same(mock.effects(), []);
});

t.test('a reset connection, then a retry: one effect', async (t) => {
  const mock = await startMockFor(t, 'tax-invoice', { behaviour: { errorRate: 1, errorKinds: ['reset'], mode: 'sync' } });
  const envelope = makeEnvelope('tax-invoice');
  await t.rejects(send(mock, envelope), 'the socket is closed without an answer');
  t.same(mock.effects(), []);
  mock.setBehaviour({ mode: 'sync' });
  t.equal((await send(mock, envelope)).status, 200);
  t.equal((await send(mock, envelope)).status, 200);
  t.equal(mock.effects().length, 1);
});

t.test('malformed JSON, then a retry: one effect', async (t) => {
  const mock = await startMockFor(t, 'postal-delivery', { behaviour: { errorRate: 1, errorKinds: ['malformed_json'] } });
  const envelope = makeEnvelope('postal-delivery');
  const garbled = await send(mock, envelope);
  t.equal(garbled.status, 200);
  t.match(garbled.headers['content-type'], /application\/json/);
  t.throws(() => JSON.parse(garbled.text), 'the body does not parse');
  t.same(mock.effects(), []);
  await put(mock.url, {});
  t.equal((await send(mock, envelope)).json.outcome, 'completed');
  t.equal(mock.effects().length, 1);
});

t.test('a timeout does the work but withholds the answer; the retry gets the same result', async (t) => {
  const mock = await startMockFor(t, 'business-licence', { behaviour: { errorRate: 1, errorKinds: ['timeout'], hangMs: 400 } });
  const envelope = makeEnvelope('business-licence');
  await t.rejects(
    call(`${mock.url}/requests`, { body: envelope, headers: { 'idempotency-key': envelope.idempotencyKey }, timeoutMs: 100 }),
    { name: 'TimeoutError' },
    'the client gives up waiting (its TimeoutError, not the answer: the mock withholds it)',
  );
  t.equal(mock.effects().length, 1, 'the department did the work');
  await put(mock.url, {});
  const retry = await send(mock, envelope);
  t.equal(retry.status, 200);
  t.same(retry.json.result, mock.effects()[0]!.result, 'the retry is answered with the result of the lost answer');
  t.equal(mock.effects().length, 1, 'and no second effect');
  t.same(mock.requests().map((r) => [r.fault, r.duplicate]), [
    ['timeout', false],
    [null, true],
  ]);
});

t.test('a patient client gets the answer after hangMs', async (t) => {
  const mock = await startMockFor(t, 'social-insurance', { behaviour: { errorRate: 1, errorKinds: ['timeout'], hangMs: 150 } });
  const started = Date.now();
  const answer = await send(mock, makeEnvelope('social-insurance'));
  t.equal(answer.status, 200);
  t.ok(Date.now() - started >= 140);
});

t.test('faults apply to polls too', async (t) => {
  const mock = await startMockFor(t, 'housing-provident-fund');
  const { json } = await send(mock, makeEnvelope('housing-provident-fund'));
  mock.setBehaviour({ errorRate: 1, errorKinds: ['500'] });
  t.equal((await call(`${mock.url}/requests/${json.reference}`)).status, 500);
  mock.setBehaviour({});
  t.equal((await call(`${mock.url}/requests/${json.reference}`)).json.outcome, 'completed');
});

t.test('rejections: always, by company name, by rate; none is an effect', async (t) => {
  const mock = await startMockFor(t, 'business-licence');

  await put(mock.url, { reject: { when: 'always' } });
  const always = await send(mock, makeEnvelope('business-licence'));
  t.equal(always.status, 422);
  t.equal(always.json.outcome, 'rejected');
  t.same(always.json.reasons, [BUSINESS_LICENCE_REJECTIONS.nameTaken], '名称重复 on companyName by default');

  const outside = [BUSINESS_LICENCE_REJECTIONS.outsideJurisdiction];
  await put(mock.url, { reject: { when: 'companyNameContains', value: '重名', reasons: outside } });
  const named = makeApplicationForm({ companyName: '三门峡重名测试有限公司' });
  const hit = await send(mock, makeEnvelope('business-licence', { data: requestDataFor('business-licence', named) }));
  t.equal(hit.status, 422);
  t.same(hit.json.reasons, outside);
  t.equal(hit.json.reasons[0].path, 'address.divisionCode', 'paths are application-form paths');
  const miss = await send(mock, makeEnvelope('business-licence'));
  t.equal(miss.status, 200, 'other names pass');

  await put(mock.url, { rejectRate: 1 });
  const rated = await send(mock, makeEnvelope('business-licence'));
  t.equal(rated.status, 422);
  t.same(rated.json.reasons, [BUSINESS_LICENCE_REJECTIONS.nameTaken]);

  t.equal(mock.effects().length, 1, 'only the accepted one is an effect');
});

t.test('a rejection is remembered under its key', async (t) => {
  const mock = await startMockFor(t, 'business-licence', { behaviour: { rejectRate: 1 } });
  const envelope = makeEnvelope('business-licence');
  const first = await send(mock, envelope);
  mock.setBehaviour({});
  const second = await send(mock, envelope);
  t.equal(second.status, 422, 'the same key keeps its answer after the behaviour changes');
  t.same(second.json, first.json);
});

t.test('capacity: N new requests per window, then 429 with Retry-After until the window ends', async (t) => {
  const clock = fakeClock();
  const halfDay = 4 * 3_600_000;
  const mock = await startMockFor(t, 'seal-engraving', { clock: clock.now, behaviour: { mode: 'sync', capacity: { perWindow: 2, windowMs: halfDay } } });
  const first = makeEnvelope('seal-engraving');
  t.equal((await send(mock, first)).status, 200);
  t.equal((await send(mock, makeEnvelope('seal-engraving'))).status, 200);
  clock.advance(3_600_000);
  const third = makeEnvelope('seal-engraving');
  const full = await send(mock, third);
  t.equal(full.status, 429);
  t.equal(full.json.code, 'DEPARTMENT_AT_CAPACITY');
  t.equal(full.headers['retry-after'], String(3 * 3600), 'seconds until the window ends');
  t.equal((await send(mock, first)).status, 200, 'a request already taken is still answered');
  t.equal(mock.effects().length, 2);
  t.equal(mock.requests().at(-2)!.fault, 'capacity');
  clock.advance(3 * 3_600_000);
  t.equal((await send(mock, third)).status, 200, 'the next window has room again');
  t.equal(mock.effects().length, 3);
});

t.test('reset restores the initial behaviour', async (t) => {
  const mock = await startMockFor(t, 'bank-account', { behaviour: { rejectRate: 1 } });
  await put(mock.url, { errorRate: 1 });
  await call(`${mock.url}/_mock/reset`, { method: 'POST' });
  t.equal((await call(`${mock.url}/_mock/behaviour`)).json.rejectRate, 1);
  t.equal((await call(`${mock.url}/_mock/behaviour`)).json.errorRate, 0);
});

t.test('a seeded error rate is reproducible', async (t) => {
  const outcomes: number[][] = [];
  for (const _ of [1, 2]) {
    const mock = await startMockFor(t, 'social-insurance', { seed: 99, behaviour: { errorRate: 0.5, errorKinds: ['500', '429'] } });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(mock, makeEnvelope('social-insurance', { applicationId: `app-${i}`, idempotencyKey: `app-${i}:social-insurance:1` }))).status);
    outcomes.push(statuses);
  }
  t.same(outcomes[0], outcomes[1]);
  t.ok(outcomes[0]!.some((s) => s === 200) && outcomes[0]!.some((s) => s !== 200), 'some failed, some succeeded');
});

t.test('the health route', async (t) => {
  const mock = await startMockFor(t, 'postal-delivery');
  const res = await request(`${mock.url}/health`);
  t.same(await res.body.json(), { status: 'ok', step: 'postal-delivery' });
});
