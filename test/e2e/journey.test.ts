// One application through all six departments over real HTTP, on the embedded store.
import t from 'tap';
import { Client } from 'undici';
import { CORE_STEP_IDS, isValidCreditCode, isValidS10TrackingNumber } from '../../contracts/index.ts';
import { startHarness } from '../support/harness.ts';

t.test('an application goes through every department to completion, visible live over SSE', async (t) => {
  const h = await startHarness(t, { seed: 7 });
  const submitted = await h.submit({}, { 'idempotency-key': 'journey-0001' });
  t.equal(submitted.status, 202);
  const id = submitted.body.id as string;
  t.match(submitted.body, { state: 'in_progress', statusUrl: `/v1/applications/${id}`, eventsUrl: `/v1/applications/${id}/events`, accessToken: /^qlt_app_[A-Za-z0-9_-]{43}$/ });

  // Follow the server-sent events until the application completes (the stream then ends).
  const origin = new URL(h.url);
  const client = new Client(origin.origin);
  t.teardown(() => client.close());
  // With the access token in the Authorization header, as a page reading the stream with fetch does.
  const sse = await client.request({ method: 'GET', path: `/v1/applications/${id}/events`, headers: { authorization: `Bearer ${String(submitted.body.accessToken)}` } });
  t.equal(sse.statusCode, 200);
  t.match(String(sse.headers['content-type']), /text\/event-stream/);
  const text = await sse.body.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { seq: number; type: string; step: string | null });
  const types = events.map((e) => e.type);
  t.equal(types[0], 'application.submitted');
  t.equal(types.at(-1), 'application.completed');
  for (const step of CORE_STEP_IDS) {
    t.ok(events.some((e) => e.type === 'step.requested' && e.step === step), `${step} was requested`);
    t.ok(events.some((e) => e.type === 'step.completed' && e.step === step), `${step} completed`);
  }
  t.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq), 'event ids increase');
  t.ok(types.includes('step.accepted'), 'asynchronous departments accepted first');

  const status = await h.status(id);
  t.equal(status.state, 'completed');
  t.ok(status.completedAt);
  const step = (name: string) => status.steps.find((s) => s.step === name)! as unknown as { state: string; startedAt: string; finishedAt: string; result: Record<string, unknown> };
  for (const name of CORE_STEP_IDS) {
    t.equal(step(name).state, 'done', `${name} done`);
    t.ok(step(name).startedAt && step(name).finishedAt, `${name} has start and finish times`);
  }
  const licence = step('business-licence').result;
  t.ok(isValidCreditCode(licence.creditCode as string), `credit code ${String(licence.creditCode)} passes GB 32100`);
  t.equal((licence.creditCode as string).slice(2, 8), '411202', 'credit code carries the division code of the address');
  t.ok(licence.licenceNumber);
  t.ok((step('seal-engraving').result.seals as unknown[]).length >= 1);
  t.ok(step('seal-engraving').result.filingNumber);
  t.equal(step('tax-invoice').result.taxRegistrationNumber, licence.creditCode);
  t.ok((step('tax-invoice').result.invoices as unknown[]).length >= 1);
  t.ok(step('social-insurance').result.registrationNumber);
  t.ok(step('bank-account').result.accountNumber);
  const postal = step('postal-delivery').result;
  t.equal(postal.method, 'post');
  t.ok(isValidS10TrackingNumber(postal.trackingNumber as string), `tracking number ${String(postal.trackingNumber)} is UPU S10`);
  t.ok(step('bank-account').startedAt >= step('seal-engraving').finishedAt, 'the bank waited for the seal filing');
  t.ok(step('postal-delivery').startedAt >= step('tax-invoice').finishedAt, 'the post waited for the invoices');

  // Exactly one effect per department, under the idempotency key the gateway made for the step.
  for (const name of CORE_STEP_IDS) {
    const effects = h.mocks.departments[name].effects().filter((e) => e.applicationId === id);
    t.equal(effects.length, 1, `${name}: exactly one effect`);
    t.equal(effects[0]!.idempotencyKey, `${id}:${name}:1`);
  }
  // Data minimisation on the wire: the bank never saw an identity number.
  const bankRequest = h.mocks.departments['bank-account'].requests().find((r) => r.applicationId === id)!;
  t.notMatch(JSON.stringify(bankRequest.data), /idNumber|shareholders/);
  t.equal(bankRequest.data.creditCode, licence.creditCode);
  // Personal data never appears whole in the gateway's logs.
  const logText = JSON.stringify(h.logs);
  t.notMatch(logText, /411202198506123014/);
  t.notMatch(logText, /13838800001/);
  t.ok(h.logs.some((l) => l.applicationId === id && l.step), 'log lines carry applicationId and step');
});

t.test('idempotent submission: same key and body → same application; same key, other body → 409', async (t) => {
  const h = await startHarness(t);
  const first = await h.submit({}, { 'idempotency-key': 'same-key-0001' });
  const again = await h.submit({}, { 'idempotency-key': 'same-key-0001' });
  t.equal(first.status, 202);
  t.equal(again.status, 202);
  t.equal(again.body.id, first.body.id);
  const other = await h.submit({ companyName: '三门峡另一家科技有限公司' }, { 'idempotency-key': 'same-key-0001' });
  t.equal(other.status, 409);
  t.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
  const bad = await h.submit({}, { 'idempotency-key': 'x' });
  t.equal(bad.status, 400);
  t.equal(bad.body.code, 'IDEMPOTENCY_KEY_INVALID');
  t.match((bad.body.details as Array<{ path: string }>)[0]!.path, /idempotency-key/);
  await h.waitFor(first.body.id as string, (s) => s.state === 'completed');
  t.equal(h.mocks.departments['business-licence'].effects().length, 1, 'the licence was registered once');
});

t.test('GET of an unknown application is a clear 404; unknown routes too', async (t) => {
  const h = await startHarness(t);
  const missing = await h.http('GET', '/v1/applications/00000000-0000-0000-0000-000000000000');
  t.equal(missing.status, 404);
  t.match(missing.body, { code: 'APPLICATION_NOT_FOUND' });
  const route = await h.http('GET', '/v1/nothing-here');
  t.equal(route.status, 404);
  t.match(route.body, { code: 'NOT_FOUND' });
});

t.test('the applicant page (Chinese) and the sample application are served', async (t) => {
  const h = await startHarness(t);
  const page = await h.http('GET', '/');
  t.equal(page.status, 200);
  t.match(String(page.headers['content-type']), /text\/html/);
  t.match(page.text, /企业开办“全链通”/);
  const script = await h.http('GET', '/assets/portal.js');
  t.equal(script.status, 200);
  t.match(page.text, /<script src="\/assets\/portal.js" defer>/, 'the page loads its script from a file');
  t.match(String(script.headers['content-type']), /text\/javascript/);
  t.match(script.text, /\/events/, 'the page follows the live event stream');
  t.notMatch(script.text, /EventSource/, 'with fetch, not EventSource, which cannot send the Authorization header');
  const example = await h.http('GET', '/v1/examples/application');
  t.equal(example.status, 200);
  const submitted = await h.http('POST', '/v1/applications', example.body);
  t.equal(submitted.status, 202, 'the sample is a valid application');
});
