// Signed department callbacks and the data-minimised department view, over HTTP.
//
//   - unsigned, forged, wrong-secret, tampered, unknown-department, stale and replayed callbacks are
//     refused with 401 and the right code, and change nothing; a department signing for another
//     department's step gets 403; refusals are counted in /metrics;
//   - at-least-once, out-of-order delivery (the same outcome twice, then an old 'progress') is
//     harmless: one effect and one result per step;
//   - GET /v1/departments/{step}/applications/{id} gives each department exactly its fields.
import t from 'tap';
import { CORE_STEP_IDS, DEPARTMENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type StepId } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { metricValue, metrics, sendCallback, signedHeaders, unixNow } from './helpers.ts';

const at = (local: string) => new Date(`${local}+08:00`);

type Status = Awaited<ReturnType<Harness['status']>>;
const stepOf = (status: Status, step: StepId) => status.steps.find((s) => s.step === step)! as Status['steps'][number] & { reference: string; result: Record<string, unknown> };

async function eventsOf(h: Harness, id: string) {
  return h.gateway.store.listEvents(id, 0, 10_000);
}

t.test('forged, stale, replayed and misdirected callbacks are refused and change nothing', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00',
    // The seal maker accepts and never calls back by itself: this test sends its callbacks.
    behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 } },
  });
  const id = (await h.submit()).body.id as string;
  await h.settle({ skip: ['seal-engraving'] });
  const before = await h.status(id);
  t.equal(stepOf(before, 'seal-engraving').state, 'in_progress');
  const reference = stepOf(before, 'seal-engraving').reference;
  t.ok(reference, 'the seal maker accepted with a reference');
  const eventsBefore = await eventsOf(h, id);

  h.fakeClock!.set(at('2026-11-30T10:00:00'));
  const body = {
    eventId: 'evt-seal-engraved-0001',
    applicationId: id,
    idempotencyKey: `${id}:seal-engraving:1`,
    reference,
    outcome: 'completed',
    result: {
      maker: { id: 'SM0001', name: '三门峡市湖滨区诚信刻章有限公司' },
      seals: [{ kind: 'company', sealCode: '4112020000017' }],
      filingNumber: 'BA411202202611300001',
      engravedAt: at('2026-11-30T10:00:00').toISOString(),
    },
  };
  const raw = JSON.stringify(body);
  const url = '/v1/departments/seal-engraving/callbacks';
  const good = () => signedHeaders(h, 'seal-engraving', raw);
  const skew = h.gateway.deps.config.callbacks.maxSkewSeconds;

  const refusals: Array<{ name: string; body?: string; headers: Record<string, string>; status: number; code: string; url?: string }> = [
    { name: 'unsigned', headers: {}, status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'no signature header', headers: (({ [SIGNATURE_HEADER]: _, ...rest }) => rest)(good()), status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'forged signature', headers: { ...good(), [SIGNATURE_HEADER]: `v1=${'ab'.repeat(32)}` }, status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'signature without v1= prefix', headers: { ...good(), [SIGNATURE_HEADER]: good()[SIGNATURE_HEADER]!.slice(3) }, status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'signed with the wrong secret', headers: signedHeaders(h, 'seal-engraving', raw, { secret: 'not-the-seal-makers-secret-0000' }), status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'body changed after signing', body: raw.replace('4112020000017', '4112020000018'), headers: good(), status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'unknown department', headers: { ...good(), [DEPARTMENT_HEADER]: 'land-bureau' }, status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
    { name: 'stale timestamp', headers: signedHeaders(h, 'seal-engraving', raw, { timestamp: unixNow(h) - skew - 1 }), status: 401, code: 'CALLBACK_STALE' },
    { name: 'timestamp from the future', headers: signedHeaders(h, 'seal-engraving', raw, { timestamp: unixNow(h) + skew + 5 }), status: 401, code: 'CALLBACK_STALE' },
    { name: 'timestamp in milliseconds', headers: { ...good(), [TIMESTAMP_HEADER]: String(h.clock.now().getTime()) }, status: 401, code: 'CALLBACK_STALE' },
    { name: 'the tax bureau signing for the seal step', headers: signedHeaders(h, 'tax-invoice', raw), status: 403, code: 'CALLBACK_STEP_FORBIDDEN' },
    { name: 'the seal maker with the tax bureau secret', headers: signedHeaders(h, 'seal-engraving', raw, { secret: h.secrets['tax-invoice'] }), status: 401, code: 'CALLBACK_SIGNATURE_INVALID' },
  ];
  for (const r of refusals) {
    const reply = await h.http('POST', r.url ?? url, r.body ?? raw, r.headers);
    t.equal(reply.status, r.status, `${r.name}: ${r.status}`);
    t.match(reply.body, { code: r.code, message: String }, `${r.name}: ${r.code}`);
  }
  const unchanged = await h.status(id);
  t.same(unchanged, before, 'the status is unchanged by refused callbacks');
  t.same(await eventsOf(h, id), eventsBefore, 'no event was recorded');

  // Signed, but not something this gateway asked for, or not a valid document: refused after the signature.
  const foreign = { ...body, eventId: 'evt-foreign-000001', idempotencyKey: `someone-else:seal-engraving:1` };
  t.match(await sendCallback(h, 'seal-engraving', foreign), { status: 404, body: { code: 'CALLBACK_UNKNOWN_REQUEST' } });
  t.match(await sendCallback(h, 'seal-engraving', { ...body, eventId: 'short' }), { status: 400, body: { code: 'REQUEST_INVALID', details: [{ path: 'eventId' }] } });
  const badResult = await sendCallback(h, 'seal-engraving', { ...body, eventId: 'evt-bad-result-0001', result: { ...body.result, seals: [{ kind: 'company', sealCode: '12' }] } });
  t.equal(badResult.status, 400);
  t.match(badResult.body, { code: 'REQUEST_INVALID' });
  t.ok((badResult.body as { details: Array<{ path: string }> }).details.every((d) => d.path.startsWith('result.')), 'result problems are under result.');
  t.match(await sendCallback(h, 'housing-provident-fund' as StepId, body, { as: 'seal-engraving' }), { status: 404, body: { code: 'STEP_UNKNOWN' } });
  t.same(await h.status(id), before, 'still unchanged');

  // The department data view is not ready for the bank while the seals are not filed.
  const bankPath = `/v1/departments/bank-account/applications/${id}`;
  t.match(await h.http('GET', bankPath, undefined, signedHeaders(h, 'bank-account', bankPath)), { status: 409, body: { code: 'DEPARTMENT_DATA_NOT_READY' } });

  // The genuine callback is applied once; replaying it (byte for byte, or re-signed) is refused.
  const headers = good();
  const accepted = await h.http('POST', url, raw, headers);
  t.equal(accepted.status, 200);
  t.same(accepted.body, { received: true, applied: true });
  const eventsAfter = await eventsOf(h, id);
  t.ok(eventsAfter.some((e) => e.type === 'step.completed' && e.step === 'seal-engraving'), 'the seal step completed');
  const replay = await h.http('POST', url, raw, headers);
  t.equal(replay.status, 401);
  t.match(replay.body, { code: 'CALLBACK_REPLAYED' });
  h.fakeClock!.advance(60_000);
  const resigned = await sendCallback(h, 'seal-engraving', body);
  t.equal(resigned.status, 401, 'a replay signed afresh is still a replay');
  t.match(resigned.body, { code: 'CALLBACK_REPLAYED' });
  t.same(await eventsOf(h, id), eventsAfter, 'replays recorded nothing');

  await h.settle({ skip: ['seal-engraving'] });
  const done = await h.status(id);
  t.equal(done.state, 'completed', 'the application completes');
  t.same(stepOf(done, 'seal-engraving').result, body.result, 'with the result of the one applied callback');

  const text = await metrics(h);
  const count = (result: string) => metricValue(text, 'qlt_department_callbacks_total', { step: 'seal-engraving', result });
  t.equal(count('unsigned'), 2, 'unsigned refusals counted');
  t.equal(count('forged'), 5, 'forged refusals counted');
  t.equal(count('unknown_department'), 1);
  t.equal(count('stale'), 3, 'stale refusals counted');
  t.equal(count('wrong_step'), 1, 'wrong-step refusals counted');
  t.equal(count('replayed'), 2, 'replays counted');
  t.equal(count('applied'), 1, 'one applied callback');
  t.ok(h.logs.some((l) => l.msg === 'department request refused' && l.reason === 'forged'), 'refusals are logged');
});

t.test('duplicate and out-of-order callbacks are harmless: one effect and one result per step', async (t) => {
  const behaviour = { duplicateCallbacks: true, callbackDelayMs: 30 };
  const h = await startHarness(t, { seed: 11, behaviour: { 'seal-engraving': behaviour, 'tax-invoice': behaviour } });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await h.submit({ companyName: `三门峡重投${i}号科技有限公司` })).body.id as string);
  const finals = await Promise.all(ids.map((id) => h.waitFor(id, (s) => s.state === 'completed')));
  await Promise.all((['seal-engraving', 'tax-invoice'] as const).map((s) => h.mocks.departments[s].settled()));

  for (const [i, id] of ids.entries()) {
    const status = await h.status(id);
    t.same(status, finals[i], 'late duplicates changed nothing after completion');
    for (const step of ['seal-engraving', 'tax-invoice'] as const) {
      const sent = h.mocks.departments[step].callbacks().filter((c) => c.applicationId === id);
      t.same(sent.map((c) => c.outcome), ['completed', 'completed', 'progress'], `${step}: completion twice, then a stale progress`);
      t.equal(new Set(sent.map((c) => c.eventId)).size, 3, `${step}: distinct event ids`);
      t.ok(sent.every((c) => c.delivered && c.lastStatus === 200), `${step}: every callback was answered 200`);
    }
    const events = await eventsOf(h, id);
    for (const step of CORE_STEP_IDS) {
      const effects = h.mocks.departments[step].effects().filter((e) => e.applicationId === id);
      t.equal(effects.length, 1, `${step}: exactly one effect`);
      t.same(stepOf(status, step).result, effects[0]!.result, `${step}: the result is the department's one result`);
      t.equal(events.filter((e) => e.type === 'step.completed' && e.step === step).length, 1, `${step}: completed once`);
    }
    t.equal(events.filter((e) => e.type === 'application.completed').length, 1, 'the application completed once');
  }
  // A replay of a callback that was ignored (the stale progress report) is refused like any replay.
  const stale = h.mocks.departments['seal-engraving'].callbacks().find((c) => c.applicationId === ids[0] && c.outcome === 'progress')!;
  const replay = await sendCallback(h, 'seal-engraving', {
    eventId: stale.eventId,
    applicationId: stale.applicationId,
    idempotencyKey: stale.idempotencyKey,
    reference: stale.reference,
    outcome: 'progress',
  });
  t.equal(replay.status, 401);
  t.match(replay.body, { code: 'CALLBACK_REPLAYED' });
  const text = await metrics(h);
  for (const step of ['seal-engraving', 'tax-invoice']) {
    const applied = metricValue(text, 'qlt_department_callbacks_total', { step, result: 'applied' });
    const ignored = metricValue(text, 'qlt_department_callbacks_total', { step, result: 'ignored' });
    t.equal(applied + ignored, 9, `${step}: all 9 callbacks were received`);
    t.ok(ignored >= 6, `${step}: at least the duplicates and stale progress reports were ignored (${ignored})`);
  }
});

t.test('a department fetches exactly the fields it is entitled to, signed over the request path', async (t) => {
  const h = await startHarness(t, { seed: 5 });
  const id = (await h.submit()).body.id as string;
  await h.waitFor(id, (s) => s.state === 'completed');
  const view = async (step: StepId, options: { as?: StepId; path?: string; headers?: Record<string, string> } = {}) => {
    const path = `/v1/departments/${step}/applications/${id}`;
    return h.http('GET', path, undefined, options.headers ?? signedHeaders(h, options.as ?? step, options.path ?? path));
  };

  const bank = await view('bank-account');
  t.equal(bank.status, 200);
  const bankData = bank.body as Record<string, unknown>;
  t.same(Object.keys(bankData).sort(), ['bank', 'companyName', 'creditCode', 'eLicenceUrl', 'legalRepresentative', 'sealFilingNumber']);
  t.notMatch(bank.text, /idNumber|shareholders|411202198506123014/, 'the bank sees no identity numbers and no shareholders');
  t.same(Object.keys(bankData.legalRepresentative as object).sort(), ['mobile', 'name']);
  const status = await h.status(id);
  t.equal(bankData.creditCode, stepOf(status, 'business-licence').result.creditCode, 'with the credit code from the licence');

  const postal = await view('postal-delivery');
  t.equal(postal.status, 200);
  t.same(Object.keys(postal.body as object).sort(), ['companyName', 'delivery', 'items'], 'the post office gets only the company name, delivery and items');
  t.notMatch(postal.text, /idNumber|shareholders|creditCode|registeredCapital/);

  const social = await view('social-insurance');
  t.equal(social.status, 200);
  t.notMatch(social.text, /idNumber|mobile|shareholders/, 'social insurance gets no identity number or phone');

  // Authentication: the same rules as callbacks, over the path.
  const path = `/v1/departments/bank-account/applications/${id}`;
  t.match(await view('bank-account', { headers: {} }), { status: 401, body: { code: 'CALLBACK_SIGNATURE_INVALID' } }, 'unsigned → 401');
  t.match(await view('bank-account', { as: 'postal-delivery' }), { status: 403, body: { code: 'CALLBACK_STEP_FORBIDDEN' } }, "another department's valid signature → 403");
  t.match(await view('bank-account', { path: `${path}x` }), { status: 401, body: { code: 'CALLBACK_SIGNATURE_INVALID' } }, 'signed over another path → 401');
  t.match(await view('bank-account', { headers: signedHeaders(h, 'bank-account', path, { timestamp: unixNow(h) - 3600 }) }), { status: 401, body: { code: 'CALLBACK_STALE' } });
  const missingPath = '/v1/departments/bank-account/applications/no-such-application';
  t.match(await h.http('GET', missingPath, undefined, signedHeaders(h, 'bank-account', missingPath)), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });
});

t.test('a signed callback for a request the gateway never sent is refused with 404', async (t) => {
  const h = await startHarness(t);
  const id = (await h.submit()).body.id as string;
  await h.waitFor(id, (s) => s.state === 'completed');
  const before = await eventsOf(h, id);
  for (const [idempotencyKey, why] of [
    [`${id}:tax-invoice:7`, 'a generation never issued'],
    [`${id}:seal-engraving:1`, 'another step in the key'],
    [`someone-else:tax-invoice:1`, 'another application in the key'],
  ] as const) {
    const reply = await sendCallback(h, 'tax-invoice', { eventId: `evt-unknown-${why.length}-0001`, applicationId: id, idempotencyKey, reference: 'REF-X', outcome: 'progress' });
    t.equal(reply.status, 404, why);
    t.match(reply.body, { code: 'CALLBACK_UNKNOWN_REQUEST' }, why);
  }
  t.same(await eventsOf(h, id), before, 'nothing changed');
});
