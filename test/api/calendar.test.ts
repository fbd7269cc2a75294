// The working-day calendar over HTTP: the deadline calculator (the same arithmetic the SLA clocks
// use), the ops calendar documents, loading next year's schedule at run time (provisional
// deadlines become final, open clocks are re-planned, it survives a restart), and refusals.
import t from 'tap';
import { createGateway } from '../../gateway/runtime.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const local = (s: string) => new Date(`${s}+08:00`).toISOString();

interface Deadline {
  from: string;
  workingDays: number;
  deadline: string;
  deadlineLocal: string;
  provisional: boolean;
  halfDayRule: string;
}

const deadline = (h: Harness, from: string, workingDays: number | string) =>
  h.http('GET', `/v1/calendar/deadline?from=${encodeURIComponent(from)}&workingDays=${workingDays}`);

/**
 * A plausible 2027 schedule for the tests (the real one is published around November 2026):
 * Friday 1 January to Sunday 3 January off, make-up workdays on weekends.
 */
function schedule2027() {
  const days = (name: string, ...dates: string[]) => dates.map((date) => ({ date, name }));
  return {
    year: 2027,
    source: 'Test schedule modelled on 国务院办公厅关于2027年部分节假日安排的通知 (not the real notice)',
    holidays: [
      ...days('元旦', '2027-01-01', '2027-01-02', '2027-01-03'),
      ...days('春节', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12', '2027-02-13'),
      ...days('清明节', '2027-04-03', '2027-04-04', '2027-04-05'),
      ...days('劳动节', '2027-05-01', '2027-05-02', '2027-05-03', '2027-05-04', '2027-05-05'),
      ...days('端午节', '2027-06-09'),
      ...days('中秋节', '2027-09-15'),
      ...days('国庆节', '2027-10-01', '2027-10-02', '2027-10-03', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'),
    ],
    workdays: [
      ...days('春节调休', '2027-01-31', '2027-02-20'),
      ...days('劳动节调休', '2027-04-25', '2027-05-08'),
      ...days('国庆节调休', '2027-09-26', '2027-10-09'),
    ],
  };
}

t.test('GET /v1/calendar/deadline: the published vectors, and bad parameters', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const vectors: Array<[string, number, string, boolean, string]> = [
    ['2026-11-27T16:30:00+08:00', 0.5, '2026-11-30T12:00:00', false, 'Friday 16:30 + half a day = Monday 12:00 (a session end stays there)'],
    ['2026-02-13T15:00:00+08:00', 0.5, '2026-02-14T10:30:00', false, 'Saturday 14 February 2026 is a make-up workday'],
    ['2026-09-30T16:00:00+08:00', 0.5, '2026-10-08T11:30:00', false, 'over the National Day holidays'],
    ['2026-09-29T10:00:00+08:00', 3, '2026-10-09T10:00:00', false, 'three days around National Day'],
    ['2026-11-30T09:00:00+08:00', 1, '2026-11-30T17:00:00', false, 'one working day from 09:00 is 17:00 the same day'],
    ['2026-11-27T08:30:00Z', 0.5, '2026-11-30T12:00:00', false, 'an instant in UTC is the same instant'],
    ['2026-12-31T16:00:00+08:00', 1, '2027-01-01T16:00:00', true, '2027 is not loaded: provisional'],
  ];
  for (const [from, days, expected, provisional, why] of vectors) {
    const reply = await deadline(h, from, days);
    t.equal(reply.status, 200, why);
    const body = reply.body as Deadline;
    t.equal(body.deadline, local(expected), `${from} + ${days}: ${why}`);
    t.equal(body.deadlineLocal, `${expected}.000+08:00`);
    t.equal(body.provisional, provisional, `${why}: provisional ${provisional}`);
    t.equal(body.from, new Date(from).toISOString());
    t.equal(body.workingDays, days);
    t.equal(body.halfDayRule, 'office-time');
  }

  const bad: Array<[string, string]> = [
    ['?workingDays=1', 'querystring.from'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00')}&workingDays=1`, 'querystring.from'], // no offset: ambiguous
    ['?from=tomorrow&workingDays=1', 'querystring.from'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00+08:00')}`, 'querystring.workingDays'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00+08:00')}&workingDays=0`, 'querystring.workingDays'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00+08:00')}&workingDays=-1`, 'querystring.workingDays'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00+08:00')}&workingDays=abc`, 'querystring.workingDays'],
    [`?from=${encodeURIComponent('2026-11-27T16:30:00+08:00')}&workingDays=366`, 'querystring.workingDays'],
  ];
  for (const [query, path] of bad) {
    const reply = await h.http('GET', `/v1/calendar/deadline${query}`);
    t.equal(reply.status, 400, `${query} → 400`);
    t.match(reply.body, { code: 'REQUEST_INVALID', message: String });
    t.ok((reply.body as { details: Array<{ path: string }> }).details.some((d) => d.path === path), `${query}: details name ${path}`);
  }
});

t.test('ops load the 2027 schedule at run time: provisional deadlines become final, and it survives a restart', async (t) => {
  // An application submitted on Wednesday 30 December 2026: its 3-day deadline reaches into 2027.
  const h = await startHarness(t, { fakeClockAt: '2026-12-30T09:00:00+08:00' });
  const id = (await h.submit()).body.id as string;
  const before = (await h.status(id)).sla as { deadline: string; provisional: boolean };
  t.equal(before.deadline, local('2027-01-01T17:00:00'), 'counting Friday 1 January 2027 as an ordinary weekday…');
  t.equal(before.provisional, true, '…provisionally');

  const y2026 = await h.http('GET', '/v1/ops/calendar/2026');
  t.equal(y2026.status, 200);
  const doc2026 = y2026.body as ReturnType<typeof schedule2027>;
  t.equal(doc2026.year, 2026);
  t.match(doc2026.source, /国务院办公厅/);
  t.equal(doc2026.holidays.length, 33);
  t.same(doc2026.workdays.map((d) => d.date), ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
  t.match(await h.http('GET', '/v1/ops/calendar/2027'), { status: 404, body: { code: 'CALENDAR_YEAR_NOT_LOADED', message: /PUT \/v1\/ops\/calendar/ } });

  // Refused documents change nothing.
  const invalidBefore = await h.http('PUT', '/v1/ops/calendar/2027', { ...schedule2027(), holidays: [] });
  t.match(invalidBefore, { status: 400, body: { code: 'CALENDAR_INVALID', details: [{ path: 'holidays' }] } });
  t.equal((await h.http('GET', '/v1/ops/calendar/2027')).status, 404, 'still not loaded');

  const put = await h.http('PUT', '/v1/ops/calendar/2027', schedule2027());
  t.equal(put.status, 200);
  t.same(put.body, { year: 2027, replaced: false, replanned: 1 }, 'the one open application is scheduled for re-planning');
  t.equal(((await h.status(id)).sla as { deadline: string }).deadline, before.deadline, 're-planning runs in the background, not inside the request');
  t.ok((await h.gateway.store.listEffects(id)).some((e) => e.key === 'sla:replan'), 'as a durable timer row');
  await h.gateway.executor.drain();
  t.same((await h.http('GET', '/v1/ops/calendar/2027')).body, schedule2027(), 'GET returns the loaded document');

  const after = (await deadline(h, '2026-12-31T16:00:00+08:00', 1)).body as Deadline;
  t.equal(after.provisional, false, 'no longer provisional');
  t.equal(after.deadline, local('2027-01-04T16:00:00'), '1 January is a holiday and 2–3 January a weekend: Monday 4 January 16:00');
  t.equal(((await deadline(h, '2027-02-04T16:00:00+08:00', 1)).body as Deadline).deadline, local('2027-02-15T16:00:00'), 'the loaded Spring Festival holidays (5–13 February) are skipped');
  const status = (await h.status(id)).sla as { deadline: string; provisional: boolean };
  t.equal(status.deadline, local('2027-01-04T17:00:00'), 'the open application’s deadline moved past the holiday');
  t.equal(status.provisional, false);

  const again = await h.http('PUT', '/v1/ops/calendar/2027', schedule2027());
  t.match(again.body, { year: 2027, replaced: true }, 'uploading again replaces');

  // A second gateway on the same store (a restart, or another instance) knows 2027 too.
  const second = await createGateway(h.gateway.deps.config, { clock: h.fakeClock!, runExecutor: false });
  t.teardown(() => second.close());
  const restarted = await second.app.inject({ method: 'GET', url: `/v1/calendar/deadline?from=${encodeURIComponent('2026-12-31T16:00:00+08:00')}&workingDays=1` });
  t.equal(restarted.statusCode, 200);
  t.match(restarted.json(), { deadline: local('2027-01-04T16:00:00'), provisional: false }, 'the restarted gateway uses the loaded year');
  t.same((await second.app.inject({ method: 'GET', url: '/v1/ops/calendar/2027', headers: { authorization: `Bearer ${h.opsTokens.viewer}` } })).json(), schedule2027());
});

t.test('invalid calendar documents are refused with CALENDAR_INVALID and the paths to fix; the loaded year stays in force', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  t.equal((await h.http('PUT', '/v1/ops/calendar/2027', schedule2027())).status, 200);
  const edit = (change: (d: ReturnType<typeof schedule2027>) => void) => {
    const d = schedule2027();
    change(d);
    return d;
  };
  const cases: Array<[string, unknown, string[]]> = [
    ['a weekday as a make-up workday', edit((d) => (d.workdays[0]!.date = '2027-01-05')), ['workdays.0.date']],
    ['an impossible date', edit((d) => (d.holidays[3]!.date = '2027-02-30')), ['holidays.3.date']],
    ['a date written D/M/Y', edit((d) => (d.holidays[0]!.date = '01/01/2027')), ['holidays.0.date']],
    ['a date of another year', edit((d) => (d.holidays[0]!.date = '2026-12-31')), ['holidays.0.date']],
    ['a holiday listed twice', edit((d) => d.holidays.push({ date: '2027-01-01', name: '元旦' })), [`holidays.${schedule2027().holidays.length}.date`]],
    ['a day both off and worked', edit((d) => d.workdays.push({ date: '2027-01-02', name: '元旦调休' })), [`workdays.${schedule2027().workdays.length}.date`]],
    ['no holidays', edit((d) => (d.holidays = [])), ['holidays']],
    ['no source', edit((d) => ((d as { source?: string }).source = undefined)), ['source']],
    ['an empty name', edit((d) => (d.holidays[0]!.name = ' ')), ['holidays.0.name']],
    ['the year as a string', edit((d) => ((d as unknown as { year: string }).year = '2027')), ['year']],
    ['an unknown field', { ...schedule2027(), comment: 'typo' }, ['comment']],
    ['workdays missing', edit((d) => ((d as { workdays?: unknown }).workdays = undefined)), ['workdays']],
  ];
  for (const [name, body, paths] of cases) {
    const reply = await h.http('PUT', '/v1/ops/calendar/2027', body);
    t.equal(reply.status, 400, `${name} → 400`);
    t.match(reply.body, { code: 'CALENDAR_INVALID', message: String }, name);
    t.same([...new Set((reply.body as { details: Array<{ path: string }> }).details.map((d) => d.path))].sort(), paths.sort(), `${name}: ${paths.join(', ')}`);
  }
  t.same((await h.http('GET', '/v1/ops/calendar/2027')).body, schedule2027(), 'the loaded 2027 schedule is unchanged');

  // The URL and the document must name the same year.
  const mismatch = await h.http('PUT', '/v1/ops/calendar/2028', schedule2027());
  t.equal(mismatch.status, 400);
  t.match(mismatch.body, { code: 'CALENDAR_INVALID', details: [{ path: 'year', message: /2027.*2028/ }] });
  t.equal((await h.http('GET', '/v1/ops/calendar/2028')).status, 404, 'nothing was loaded for 2028');
  t.match(await h.http('PUT', '/v1/ops/calendar/next', schedule2027()), { status: 400, body: { code: 'REQUEST_INVALID', details: [{ path: 'params.year' }] } });
  t.match(await h.http('GET', '/v1/ops/calendar/1999'), { status: 400, body: { code: 'REQUEST_INVALID' } });
  t.match(await h.http('PUT', '/v1/ops/calendar/2027', '{"year":2027,'), { status: 400, body: { code: 'BODY_NOT_JSON' } });
});

t.test('the calendar is for ops only: viewers read it, only admins load a year; the deadline calculator stays public', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const as = (role: keyof typeof h.opsTokens) => ({ authorization: `Bearer ${h.opsTokens[role]}` });
  t.match(await h.anonymous('GET', '/v1/ops/calendar/2026'), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  t.match(await h.anonymous('PUT', '/v1/ops/calendar/2027', schedule2027()), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  t.match(await h.anonymous('PUT', '/v1/ops/calendar/2027', schedule2027(), { authorization: `Bearer ${h.opsTokens.admin.slice(0, -1)}x` }), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });
  t.match(await h.anonymous('PUT', '/v1/ops/calendar/2027', schedule2027(), as('operator')), { status: 403, body: { code: 'OPS_FORBIDDEN' } });
  t.equal((await h.anonymous('GET', '/v1/ops/calendar/2026', undefined, as('viewer'))).status, 200, 'a viewer reads');
  t.equal((await h.anonymous('GET', '/v1/ops/calendar/2027', undefined, as('viewer'))).status, 404, 'nothing was loaded by the refused PUTs');
  t.equal((await h.anonymous('PUT', '/v1/ops/calendar/2027', schedule2027(), as('admin'))).status, 200);
  t.equal((await deadline(h, '2026-12-31T16:00:00+08:00', 1)).status, 200, 'the calculator needs no credential');
});

t.test('re-planning after a calendar change is durable background work: a crash part-way leaves the rest scheduled, and another instance finishes it with the new schedule', async (t) => {
  // The regulator takes its time: five applications wait on their licences across New Year.
  const h = await startHarness(t, { fakeClockAt: '2026-12-30T09:00:00+08:00', behaviour: { 'business-licence': { mode: 'async', callbackDelayMs: 3_600_000 } } });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await h.submit({ companyName: `三门峡跨年${'甲乙丙丁戊'[i]}科技有限公司` })).body.id as string);
  await h.settle({ skip: ['business-licence'] });
  // A second instance on the same store, started BEFORE the year is loaded: it does not know 2027.
  const other = await createGateway(h.gateway.deps.config, { clock: h.fakeClock!, runExecutor: false });
  t.teardown(() => other.close());

  const put = await h.http('PUT', '/v1/ops/calendar/2027', schedule2027());
  t.match(put.body, { replanned: 5 });
  // This instance stops after re-planning two of them (as if it crashed: nothing is lost, the rest are rows).
  const claimed = await h.gateway.store.claimDueEffects('crashing-instance', h.clock.now().toISOString(), 1, 2);
  t.same(claimed.map((e) => e.key), ['sla:replan', 'sla:replan']);
  h.fakeClock!.advance(10); // its (1 ms) leases expire: anyone may complete what it claimed
  for (const effect of claimed) await h.gateway.executor.perform(effect);
  const pending = async () => (await Promise.all(ids.map((id) => h.gateway.store.listEffects(id)))).flat().filter((e) => e.key === 'sla:replan').length;
  t.equal(await pending(), 3, 'three still scheduled');

  // The other instance works off the rest: it loads 2027 from the store first.
  t.equal(other.deps.calendar.get(2027), undefined, 'the other instance had not loaded 2027');
  await other.executor.drain();
  t.equal(await pending(), 0);
  t.same(other.deps.calendar.get(2027), schedule2027(), 'it loaded the schedule the re-plans were for');
  for (const id of ids) {
    const sla = (await h.status(id)).sla as { deadline: string; provisional: boolean };
    t.same(sla, { ...sla, deadline: local('2027-01-04T17:00:00'), provisional: false }, 'every open deadline moved past 1 January');
  }
});
