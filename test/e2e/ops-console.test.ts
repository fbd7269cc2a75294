// The ops console's API over real HTTP on the fake clock (docs/operations.md "The console"): the
// list without filters, search by credit code / company / legal representative (masked), cursor
// paging; a needs-attention row with its step, last error and the true attempt count; the whole
// story; notes, escalations (SMS to the department's contact) and retries by role, audited; the
// calendar as days; the monthly report as CSV (BOM, overall row, parsed) and Excel; the live board
// stream pushing a clock that turns at risk without being asked.
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import t from 'tap';
import { request } from 'undici';
import { DEPARTMENT_NAMES } from '../../contracts/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const at = (local: string) => new Date(`${local}+08:00`);
const CONTACT = '13700009999';

type Row = { applicationId: string; companyName: string; creditCode: string | null; legalRepresentative: string; attention: Array<{ step: string; state: string; problem: string | null; attempts: number; lastError: string | null }> };
type Page = { items: Row[]; nextCursor: string | null };

async function until(h: Harness, id: string, predicate: (s: Awaited<ReturnType<Harness['status']>>) => boolean) {
  // Department retries wait (20–200 ms backoff on the fake clock): move time on until the state is reached.
  for (let i = 0; i < 50; i++) {
    await h.settle({ skip: ['seal-engraving'] });
    const status = await h.status(id);
    if (predicate(status)) return status;
    h.fakeClock!.advance(1_000);
  }
  throw new Error(`never reached: ${JSON.stringify((await h.status(id)).steps.map((s) => [s.step, s.state]))}`);
}

/** Reads "board" events from the live stream as they come. */
async function boardStream(h: Harness, token: string) {
  const controller = new AbortController();
  const response = await request(`${h.url}/v1/ops/sla/stream`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  const boards: Array<{ atRisk: Array<{ applicationId: string; clock: string; workingHoursLeft?: number }>; counts: Record<string, Record<string, number>> }> = [];
  let buffer = '';
  let wake = null as (() => void) | null;
  const reading = (async () => {
    try {
      for await (const chunk of response.body) {
        buffer += String(chunk);
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (frame.startsWith('event: board') && data) boards.push(JSON.parse(data.slice(6)));
          wake?.();
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: response.statusCode,
    contentType: String(response.headers['content-type']),
    boards,
    /** Waits (event-driven, no sleeps) until a board satisfies the predicate. */
    async next(predicate: (b: (typeof boards)[number]) => boolean) {
      for (;;) {
        const found = boards.find(predicate);
        if (found) return found;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

t.test('the console API: list, search, needs attention with true attempts, story, actions by role, calendar, reports, live board', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00',
    behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 }, 'social-insurance': { errorRate: 1, errorKinds: ['500'] } },
    config: {
      orchestration: { maxAttempts: 3 },
      // Six failures in a row must not open the circuit here (the retry below would be refused by it).
      breaker: { consecutiveFailures: 100 },
      departmentContacts: { 'social-insurance': [{ name: '王社保', mobile: CONTACT }] },
      departmentCapacity: { 'seal-engraving': { perHalfDay: 40 } },
    },
  });
  const viewer = { authorization: `Bearer ${h.opsTokens.viewer}` };
  const operator = { authorization: `Bearer ${h.opsTokens.operator}` };

  // Live board, opened before anything happens: it must be pushed the change, never asked.
  const live = await boardStream(h, h.opsTokens.viewer);
  t.equal(live.status, 200);
  t.match(live.contentType, /text\/event-stream/);
  await live.next(() => true);

  const first = (await h.submit({ companyName: '三门峡控制台甲科技有限公司' })).body.id as string;
  const second = (await h.submit({ companyName: '三门峡控制台乙商贸有限公司', legalRepresentative: { name: '欧阳明' } })).body.id as string;
  const stuck = await until(h, first, (s) => s.steps.some((x) => x.step === 'social-insurance' && x.state === 'needs_attention'));
  await until(h, second, (s) => s.steps.some((x) => x.step === 'social-insurance' && x.state === 'needs_attention'));
  const social = stuck.steps.find((s) => s.step === 'social-insurance') as unknown as { attempts: number; problem: string };
  t.equal(social.attempts, 3, 'the status shows the true attempts');
  t.match(social.problem, /after 3 attempts/, 'one figure: the problem and the attempts agree');

  // ── list: no filter is allowed now; newest first; cursor paging ────────────────────────────────
  const all = (await h.http('GET', '/v1/ops/applications', undefined, viewer)).body as Page;
  t.same(all.items.map((i) => i.applicationId), [second, first], 'no filter: every application, newest first');
  const p1 = (await h.http('GET', '/v1/ops/applications?limit=1', undefined, viewer)).body as Page;
  t.same(p1.items.map((i) => i.applicationId), [second]);
  t.type(p1.nextCursor, 'string');
  const p2 = (await h.http('GET', `/v1/ops/applications?limit=1&cursor=${p1.nextCursor}`, undefined, viewer)).body as Page;
  t.same(p2.items.map((i) => i.applicationId), [first], 'the cursor gives the next page');
  t.equal(p2.nextCursor, null, 'and says when it is the last');
  t.match(await h.http('GET', '/v1/ops/applications?cursor=bm90LWEtY3Vyc29y', undefined, viewer), { status: 400, body: { code: 'CURSOR_INVALID' } });

  // ── search ─────────────────────────────────────────────────────────────────────────────────────
  const row = all.items.find((i) => i.applicationId === first)!;
  t.match(row.creditCode, /^[0-9A-Z]{18}$/, 'the licence gave a credit code');
  const byCode = (await h.http('GET', `/v1/ops/applications?q=${row.creditCode!.toLowerCase()}`, undefined, viewer)).body as Page;
  t.same(byCode.items.map((i) => i.applicationId), [first], 'search by credit code (any case)');
  const byName = (await h.http('GET', `/v1/ops/applications?q=${encodeURIComponent('控制台乙')}`, undefined, viewer)).body as Page;
  t.same(byName.items.map((i) => i.applicationId), [second], 'search by part of the company name');
  const byRep = (await h.http('GET', `/v1/ops/applications?q=${encodeURIComponent('欧阳')}`, undefined, viewer)).body as Page;
  t.same(byRep.items.map((i) => i.applicationId), [second], "search by part of the legal representative's name");
  t.equal(byRep.items[0]!.legalRepresentative, '欧**', 'shown masked');
  t.notMatch(JSON.stringify(all), /欧阳明|张伟/, 'no full name anywhere in the list');
  const byId = (await h.http('GET', `/v1/ops/applications?q=${first}`, undefined, viewer)).body as Page;
  t.same(byId.items.map((i) => i.applicationId), [first], 'search by application id');
  const wild = (await h.http('GET', `/v1/ops/applications?q=${encodeURIComponent('%')}`, undefined, viewer)).body as Page;
  t.same(wild.items, [], 'a LIKE wildcard is searched for literally');

  // ── needs attention: which step, the last error, the true attempts ─────────────────────────────
  const attention = row.attention.find((a) => a.step === 'social-insurance')!;
  t.equal(attention.state, 'needs_attention');
  t.equal(attention.attempts, 3);
  t.match(attention.lastError, /DEPARTMENT_UNAVAILABLE/);
  t.match(attention.problem, /after 3 attempts/);

  // ── actions by role ────────────────────────────────────────────────────────────────────────────
  t.match(await h.http('POST', `/v1/ops/applications/${first}/steps/social-insurance/retry`, undefined, viewer), { status: 403, body: { code: 'OPS_FORBIDDEN' } }, 'a viewer cannot retry');
  t.match(await h.http('POST', `/v1/ops/applications/${first}/notes`, { text: '已电话联系社保' }, viewer), { status: 403, body: { code: 'OPS_FORBIDDEN' } });
  t.match(await h.http('POST', `/v1/ops/applications/${first}/notes`, { text: '   ' }, operator), { status: 400, body: { code: 'REQUEST_INVALID' } }, 'an empty note is refused');
  const note = await h.http('POST', `/v1/ops/applications/${first}/notes`, { text: '已电话联系社保，对方系统故障', step: 'social-insurance' }, operator);
  t.equal(note.status, 201);
  t.match(note.body, { author: 'test-operator', authorRole: 'operator', step: 'social-insurance', text: '已电话联系社保，对方系统故障' });
  const escalated = await h.http('POST', `/v1/ops/applications/${first}/steps/social-insurance/escalations`, { note: '请尽快处理' }, operator);
  t.equal(escalated.status, 201);
  t.match(escalated.body, { step: 'social-insurance', deliveries: [{ outcome: 'sent', code: null }] });
  t.notMatch(escalated.text, new RegExp(CONTACT), 'the contact mobile is masked in the answer');
  const texts = h.sms.messages(CONTACT);
  t.equal(texts.length, 1, 'the contact got one text message');
  t.match(texts[0], { template: 'ops_escalation', parameters: { applicationId: first, situation: '需人工处理' } });
  t.match(await h.http('POST', `/v1/ops/applications/${first}/steps/seal-engraving/escalations`, {}, operator), { status: 409, body: { code: 'ESCALATION_NO_CONTACT' } });
  t.match(await h.http('POST', '/v1/ops/applications/no-such-one/notes', { text: 'x' }, operator), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });

  h.mocks.departments['social-insurance'].setBehaviour({});
  const retried = await h.http('POST', `/v1/ops/applications/${first}/steps/social-insurance/retry`, undefined, operator);
  t.equal(retried.status, 202);
  const after = await until(h, first, (s) => s.steps.some((x) => x.step === 'social-insurance' && x.state === 'done'));
  t.equal((after.steps.find((s) => s.step === 'social-insurance') as unknown as { attempts: number }).attempts, 4, 'three failures and the retry');

  // ── the whole story ────────────────────────────────────────────────────────────────────────────
  const story = (await h.http('GET', `/v1/ops/applications/${first}`, undefined, viewer)).body as {
    legalRepresentative: string;
    steps: Array<{ step: string; reference: string | null; attempts: number; requests: number; contacts: number }>;
    clocks: Array<{ clock: string; deadline: string | null; state: string }>;
    timeline: Array<{ kind: string; type: string; step: string | null; summary: string }>;
    notes: unknown[];
    escalations: unknown[];
    audit: Array<{ action: string; actor: string; status: number }>;
  };
  t.equal(story.legalRepresentative, '张*');
  const kinds = new Set(story.timeline.map((e) => `${e.kind}:${e.type}`));
  for (const expected of ['event:application.submitted', 'event:step.requested', 'event:step.needs_attention', 'note:note', 'escalation:escalation', 'audit:step.retry', 'audit:application.note']) {
    t.ok(kinds.has(expected), `the timeline has ${expected}`);
  }
  t.ok(story.timeline.some((e) => e.kind === 'request' && e.step === 'social-insurance'), 'the department requests are on it');
  t.ok(story.timeline.some((e) => e.kind === 'callback' || e.type === 'step.completed'), 'answers are on it');
  const socialStep = story.steps.find((s) => s.step === 'social-insurance')!;
  t.match(socialStep, { attempts: 4, requests: 2, contacts: 1 }, 'true attempts, requests sent, contacts');
  t.ok(story.steps.find((s) => s.step === 'business-licence')!.reference, 'the department reference is shown');
  t.ok(story.clocks.some((c) => c.clock === 'overall' && c.deadline), 'each clock with its deadline');
  t.ok(['application.note', 'application.escalate', 'step.retry'].every((a) => story.audit.some((x) => x.action === a && x.actor === 'test-operator')), 'ops actions on it from the audit log');
  t.ok(story.audit.some((a) => a.status === 403 && a.actor === 'test-viewer'), 'and the refused attempt of the viewer');
  t.match(await h.http('GET', '/v1/ops/applications/no-such-one', undefined, viewer), { status: 404, body: { code: 'APPLICATION_NOT_FOUND' } });
  t.match(await h.anonymous('GET', `/v1/ops/applications/${first}`), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });

  // ── the live board: a clock turns at risk on the fake clock and is pushed ───────────────────────
  h.fakeClock!.set(at('2026-11-30T11:38:00'));
  await h.settle({ skip: ['seal-engraving'] });
  const pushed = await live.next((b) => b.atRisk.some((c) => c.applicationId === first && c.clock === 'seal-engraving'));
  t.ok(pushed.counts['seal-engraving']!.at_risk! >= 1, 'the at-risk clock reached the open stream without a request');
  await live.close();
  t.match(await h.anonymous('GET', '/v1/ops/sla/stream'), { status: 401, body: { code: 'OPS_UNAUTHORIZED' } });

  // ── departments ────────────────────────────────────────────────────────────────────────────────
  const departments = (await h.http('GET', '/v1/ops/departments', undefined, viewer)).body as { departments: Array<{ step: string; circuit: string; errorsByKind: Array<{ count: number }>; capacity: { perHalfDay: number | null; sent: number }; contacts: number }> };
  const socialHealth = departments.departments.find((d) => d.step === 'social-insurance')!;
  t.ok(socialHealth.errorsByKind.reduce((n, e) => n + e.count, 0) >= 3, 'errors by kind are counted');
  t.equal(socialHealth.contacts, 1);
  const seal = departments.departments.find((d) => d.step === 'seal-engraving')!;
  t.match(seal.capacity, { perHalfDay: 40 });
  t.ok(seal.capacity.sent >= 2, `the seal maker's orders this half day are counted (${seal.capacity.sent})`);

  // ── calendar as days ───────────────────────────────────────────────────────────────────────────
  const days = (await h.http('GET', '/v1/ops/calendar/2026/days', undefined, viewer)).body as { loaded: boolean; provisional: boolean; days: Array<{ date: string; kind: string; name: string | null }>; replanPending: number; officeHours: unknown[] };
  t.equal(days.loaded, true);
  t.equal(days.days.length, 365);
  t.equal(days.days.find((d) => d.date === '2026-10-01')!.kind, 'holiday');
  t.ok(days.days.some((d) => d.kind === 'makeup_workday'), 'make-up working days are marked');
  t.equal(days.days.find((d) => d.date === '2026-11-30')!.kind, 'workday');
  t.equal(days.replanPending, 0);
  const future = (await h.http('GET', '/v1/ops/calendar/2099/days', undefined, viewer)).body as { loaded: boolean; provisional: boolean };
  t.match(future, { loaded: false, provisional: true }, 'a year without a schedule is flagged provisional');

  // ── reports: CSV with BOM and the overall row, parsed; Excel; trend ────────────────────────────
  const csv = await h.http('GET', '/v1/ops/reports/monthly?month=2026-11&format=csv', undefined, viewer);
  t.equal(csv.status, 200);
  t.match(String(csv.headers['content-disposition']), /attachment; filename="qlt-report-2026-11\.csv"/);
  // Bytes, not text: a decoder would swallow the byte-order mark.
  const raw = Buffer.from(await (await request(`${h.url}/v1/ops/reports/monthly?month=2026-11`, { headers: { ...viewer, accept: 'text/csv' } })).body.arrayBuffer());
  t.same([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a byte-order mark (Accept: text/csv works too)');
  const records = parse(raw, { bom: true, columns: true }) as Array<Record<string, string>>;
  t.equal(records[0]!.department, DEPARTMENT_NAMES['business-licence'], 'Chinese survives the round trip');
  const json = (await h.http('GET', '/v1/ops/reports/monthly?month=2026-11', undefined, viewer)).body as { departments: Array<{ step: string; handled: number }>; overall: { completed: number } };
  t.equal(records.length, json.departments.length + 1, 'a row per department and the overall row');
  t.equal(records.at(-1)!.step, 'overall');
  t.equal(Number(records.at(-1)!.handled), json.overall.completed);
  for (const d of json.departments) t.equal(Number(records.find((r) => r.step === d.step)!.handled), d.handled, `${d.step}: the CSV says what the JSON says`);
  const xlsx = await request(`${h.url}/v1/ops/reports/monthly?month=2026-11&format=xlsx`, { headers: viewer });
  t.equal(xlsx.statusCode, 200);
  t.match(String(xlsx.headers['content-type']), /spreadsheetml/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(await xlsx.body.arrayBuffer()) as never);
  const sheet = workbook.worksheets[0]!;
  t.equal(sheet.rowCount, 2 + json.departments.length + 1, 'the workbook has the headers, each department and the overall row');
  t.equal(workbook.worksheets.length, 2, 'and the 12-month trend');
  const trend = (await h.http('GET', '/v1/ops/reports/trend?to=2026-11', undefined, viewer)).body as { months: string[]; series: Array<{ clock: string; handled: number[] }> };
  t.equal(trend.months.length, 12);
  t.equal(trend.months.at(-1), '2026-11');
  t.equal(trend.months[0], '2025-12');
});
