// The ops console section of the store conformance suite (gateway/store/types.ts "OpsQueriesPort",
// migration 7), run by test/store/conformance.ts against every implementation: the same answers from
// SQLite and PostgreSQL, for aggregates (medians and p90 by window functions), lists, search with
// cursor paging, attempts, the story's rows, notes and escalations.

import { randomBytes } from 'node:crypto';
import type { ApplicationForm } from '../../contracts/index.ts';
import type { NewApplication, SlaClockRow, Store, Transition } from '../../gateway/store/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import type { MakeStore, StoreUnderTest, Test } from './conformance.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T01:00:00.000Z'); // Monday 09:00 in Shanghai
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const uid = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

function form(overrides: { companyName?: string; legalName?: string } = {}): ApplicationForm {
  const f = makeApplicationForm();
  if (overrides.companyName) f.companyName = overrides.companyName;
  if (overrides.legalName) f.legalRepresentative.name = overrides.legalName;
  return f;
}

function clock(applicationId: string, name: string, overrides: Partial<SlaClockRow> = {}): SlaClockRow {
  return {
    applicationId,
    clock: name,
    windowMs: 7 * HOUR,
    state: 'on_track',
    startedAt: at(0),
    runningSince: at(0),
    consumedMs: 0,
    pausedReasons: [],
    deadline: at(24 * 60),
    provisional: false,
    atRiskAt: null,
    breachedAt: null,
    finishedAt: null,
    durationMs: null,
    department: name === 'overall' ? null : `department of ${name}`,
    ...overrides,
  };
}

async function createApp(store: Store, overrides: Partial<NewApplication> = {}, first: (id: string) => Transition = () => ({})) {
  const id = overrides.id ?? uid('app');
  const { created, application } = await store.createApplication({ id, idempotencyKey: null, bodyHash: uid('h'), form: form(), submittedAt: at(0), ...overrides }, first(id));
  if (!created) throw new Error('fixture application was not created');
  return application;
}

const finished = (applicationId: string, name: string, hours: number, finishedAt: string, late = false, state: SlaClockRow['state'] = late ? 'breached' : 'met') =>
  clock(applicationId, name, { state, runningSince: null, finishedAt, durationMs: hours * HOUR, breachedAt: late ? at(60) : null });

export async function runOpsQueriesConformance(t: Test, makeStore: MakeStore): Promise<void> {
  const test = (name: string, body: (t: Test, store: Store, sut: StoreUnderTest) => Promise<void>) =>
    t.test(`ops console: ${name}`, async (t) => {
      const sut = await makeStore();
      t.teardown(() => sut.cleanup());
      await sut.store.migrate();
      await body(t, sut.store, sut);
    });

  await test('finished clock statistics: counts, on time, nearest-rank median and p90 per clock, in the period only', async (t, store) => {
    // Ten seal clocks of 1..10 hours (two late), three licence clocks, one cancelled, one outside the period.
    for (let hours = 1; hours <= 10; hours++) {
      await createApp(store, {}, (id) => ({ clocks: [finished(id, 'seal-engraving', hours, at(600 + hours), hours > 8)] }));
    }
    for (const hours of [2, 4, 9]) await createApp(store, {}, (id) => ({ clocks: [finished(id, 'business-licence', hours, at(700))] }));
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'business-licence', 100, at(700), false, 'cancelled')] }));
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'business-licence', 50, at(60 * 24 * 40))] }));

    const stats = await store.finishedClockStats(at(0), at(60 * 24 * 30));
    t.strictSame(stats, [
      { clock: 'business-licence', handled: 3, onTime: 3, medianMs: 4 * HOUR, p90Ms: 9 * HOUR },
      { clock: 'seal-engraving', handled: 10, onTime: 8, medianMs: 5 * HOUR, p90Ms: 9 * HOUR },
    ]);
    t.strictSame(await store.finishedClockStats(at(0), at(1)), [], 'nothing finished: no rows');
    const one = await store.finishedClockStats(at(601), at(602));
    t.strictSame(one, [{ clock: 'seal-engraving', handled: 1, onTime: 1, medianMs: HOUR, p90Ms: HOUR }], 'one row: its own median and p90');
  });

  await test('monthly statistics bucket by the Asia/Shanghai month', async (t, store) => {
    // 2026-10-31T17:30Z is 1 November 01:30 in Shanghai; 2026-10-31T15:00Z is still 31 October.
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'overall', 3, '2026-10-31T17:30:00.000Z')] }));
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'overall', 5, '2026-10-31T15:00:00.000Z', true)] }));
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'overall', 7, '2026-11-15T02:00:00.000Z')] }));
    const rows = await store.monthlyClockStats('2026-09-30T16:00:00.000Z', '2026-11-30T16:00:00.000Z');
    t.strictSame(rows, [
      { month: '2026-10', clock: 'overall', handled: 1, onTime: 0, medianMs: 5 * HOUR, p90Ms: 5 * HOUR },
      { month: '2026-11', clock: 'overall', handled: 2, onTime: 2, medianMs: 3 * HOUR, p90Ms: 7 * HOUR },
    ]);
  });

  await test('open clocks: per clock with the breached ones; lists by state, soonest deadline first, with the company', async (t, store) => {
    const a = await createApp(store, { form: form({ companyName: '三门峡甲科技有限公司' }) }, (id) => ({
      clocks: [clock(id, 'overall', { state: 'at_risk', deadline: at(300) }), clock(id, 'seal-engraving', { state: 'breached', deadline: at(100), breachedAt: at(100) })],
    }));
    const b = await createApp(store, { form: form({ companyName: '三门峡乙科技有限公司' }) }, (id) => ({
      clocks: [clock(id, 'overall', { state: 'at_risk', deadline: at(200) }), clock(id, 'seal-engraving', { state: 'at_risk', deadline: at(150), startedAt: at(500) })],
    }));
    await createApp(store, {}, (id) => ({ clocks: [finished(id, 'seal-engraving', 3, at(50), true)] }));

    t.strictSame(await store.openClockStats(), [
      { clock: 'overall', open: 2, breached: 0 },
      { clock: 'seal-engraving', open: 2, breached: 1 },
    ]);
    t.strictSame(await store.openClockStats(at(400)), [
      { clock: 'overall', open: 2, breached: 0 },
      { clock: 'seal-engraving', open: 1, breached: 1 },
    ], 'only clocks started before the instant');
    const atRisk = await store.listOpenClocks({ state: 'at_risk', limit: 10 });
    t.strictSame(atRisk.map((i) => [i.clock.applicationId, i.clock.clock, i.companyName]), [
      [b.id, 'seal-engraving', '三门峡乙科技有限公司'],
      [b.id, 'overall', '三门峡乙科技有限公司'],
      [a.id, 'overall', '三门峡甲科技有限公司'],
    ]);
    t.equal(atRisk[0]!.clock.deadline, at(150), 'whole clock rows');
    t.strictSame((await store.listOpenClocks({ state: 'at_risk', clock: 'overall', limit: 1 })).map((i) => i.clock.applicationId), [b.id], 'one clock, limited');
    t.strictSame((await store.listOpenClocks({ state: 'breached', limit: 10 })).map((i) => i.clock.applicationId), [a.id], 'a finished late clock is not open');
  });

  await test('search: id, credit code, partial company or legal representative name, filters, cursor paging', async (t, store) => {
    const apps = [];
    for (let i = 0; i < 5; i++) {
      apps.push(
        await createApp(store, { submittedAt: at(i * 10), form: form({ companyName: `三门峡测试${i}号科技有限公司`, legalName: i === 3 ? '欧阳明月' : '张伟' }) }, (id) => ({
          state: i === 4 ? 'needs_attention' : 'in_progress',
          ...(i === 2 ? { creditCode: '91411202MA45R7K29W' } : {}),
          clocks: [clock(id, 'overall', { state: i === 1 ? 'at_risk' : 'on_track' })],
        })),
      );
    }
    const ids = (hits: Awaited<ReturnType<Store['searchApplications']>>) => hits.map((h) => h.application.id);
    const newestFirst = [...apps].reverse().map((a) => a.id);
    t.strictSame(ids(await store.searchApplications({ limit: 10 })), newestFirst, 'all, newest first');
    t.strictSame(ids(await store.searchApplications({ text: apps[2]!.id, limit: 10 })), [apps[2]!.id], 'by id');
    t.strictSame(ids(await store.searchApplications({ text: '91411202ma45r7k29w', limit: 10 })), [apps[2]!.id], 'by credit code, any case');
    t.strictSame(ids(await store.searchApplications({ text: '测试3号', limit: 10 })), [apps[3]!.id], 'by part of the company name');
    t.strictSame(ids(await store.searchApplications({ text: '欧阳', limit: 10 })), [apps[3]!.id], "by part of the legal representative's name");
    const hit = (await store.searchApplications({ text: '欧阳', limit: 10 }))[0]!;
    t.equal(hit.legalRepresentativeName, '欧阳明月');
    t.equal(hit.clock?.clock, 'overall');
    t.strictSame(ids(await store.searchApplications({ text: '%', limit: 10 })), [], 'LIKE wildcards are literal');
    t.strictSame(ids(await store.searchApplications({ text: '_', limit: 10 })), []);
    t.strictSame(ids(await store.searchApplications({ state: 'needs_attention', limit: 10 })), [apps[4]!.id], 'by state');
    t.strictSame(ids(await store.searchApplications({ sla: 'at_risk', limit: 10 })), [apps[1]!.id], 'by the SLA state of the overall clock');
    t.strictSame(ids(await store.searchApplications({ sla: 'at_risk', clock: 'seal-engraving', limit: 10 })), [], 'of another clock');
    const noClock = await store.searchApplications({ clock: 'seal-engraving', limit: 10 });
    t.equal(noClock.length, 5, 'a clock that has not started leaves the row in');
    t.equal(noClock[0]!.clock, null);
    t.strictSame(ids(await store.searchApplications({ submittedFrom: at(10), submittedTo: at(30), limit: 10 })), [apps[2]!.id, apps[1]!.id], 'submitted in [from, to)');

    const seen: string[] = [];
    let after: { submittedAt: string; id: string } | undefined;
    for (let page = 0; page < 5; page++) {
      const hits = await store.searchApplications({ limit: 2, ...(after ? { after } : {}) });
      seen.push(...ids(hits));
      if (hits.length < 2) break;
      const last = hits.at(-1)!.application;
      after = { submittedAt: last.submittedAt, id: last.id };
    }
    t.strictSame(seen, newestFirst, 'pages of two: every row once, in order');

    // Same instant: the id breaks the tie, so no row is skipped or repeated across pages.
    const twins = [await createApp(store, { submittedAt: at(999) }), await createApp(store, { submittedAt: at(999) })].map((a) => a.id).sort().reverse();
    const first = await store.searchApplications({ limit: 1 });
    const second = await store.searchApplications({ limit: 1, after: { submittedAt: first[0]!.application.submittedAt, id: first[0]!.application.id } });
    t.strictSame([...ids(first), ...ids(second)], twins);
  });

  await test('a correction of the legal representative is what search finds', async (t, store) => {
    const app = await createApp(store, { form: form({ legalName: '王芳' }) });
    const changed = form({ legalName: '赵敏' });
    await store.apply(app.id, {}, () => ({ form: changed }));
    t.strictSame((await store.searchApplications({ text: '赵敏', limit: 5 })).map((h) => h.application.id), [app.id]);
    t.strictSame(await store.searchApplications({ text: '王芳', limit: 5 }), []);
  });

  await test('attempts: every reschedule and the completion count, over every row of a key; the newest row’s last error', async (t, store) => {
    const app = await createApp(store, {}, () => ({ newEffects: [{ kind: 'department_call', step: 'seal-engraving', key: 'call:seal-engraving', payload: {}, dueAt: at(0) }] }));
    const now = at(1);
    for (let i = 0; i < 2; i++) {
      const [claimed] = await store.claimDueEffects('me', now, 60_000, 10);
      await store.rescheduleEffect(claimed!.id, 'me', at(0), `DEPARTMENT_UNAVAILABLE: try ${i + 1}`);
    }
    const [last] = await store.claimDueEffects('me', now, 60_000, 10);
    t.equal(last!.attempts, 2, 'two ended before this one');
    await store.apply(app.id, { completesEffect: { id: last!.id, owner: 'me' } }, () => ({}));
    t.strictSame(await store.effectAttempts([app.id], ['call:seal-engraving', 'call:tax-invoice']), [
      { applicationId: app.id, key: 'call:seal-engraving', attempts: 3, rows: 1, lastError: 'DEPARTMENT_UNAVAILABLE: try 2' },
    ]);
    // An ops retry writes a new row under the same key: its attempts add up.
    await store.apply(app.id, {}, () => ({ newEffects: [{ kind: 'department_call', step: 'seal-engraving', key: 'call:seal-engraving', payload: {}, dueAt: at(0) }] }));
    const [again] = await store.claimDueEffects('me', now, 60_000, 10);
    await store.rescheduleEffect(again!.id, 'me', at(0), 'DEPARTMENT_TIMEOUT: slow');
    t.strictSame(await store.effectAttempts([app.id], ['call:seal-engraving']), [
      { applicationId: app.id, key: 'call:seal-engraving', attempts: 4, rows: 2, lastError: 'DEPARTMENT_TIMEOUT: slow' },
    ]);
    t.strictSame(await store.effectAttempts([], ['call:seal-engraving']), []);

    const history = await store.listEffectHistory(app.id, 'department_call');
    t.strictSame(history.map((e) => [e.state, e.attempts, e.completedAt !== null]), [['done', 3, true], ['pending', 1, false]], 'done rows are history');
    t.strictSame(await store.listEffectHistory(app.id, 'timer'), []);
    t.equal(await store.countPendingEffectsByKey('call:seal-engraving'), 1);
    t.equal(await store.countPendingEffectsByKey('sla:replan'), 0);
    const wall = Date.now();
    const sent = await store.countRequestsSent(new Date(wall - 60 * 60_000).toISOString(), new Date(wall + 60 * 60_000).toISOString(), ['call:seal-engraving']);
    t.strictSame(sent, [{ step: 'seal-engraving', count: 2 }], 'requests written in the window, per step');
    t.strictSame(await store.countRequestsSent(new Date(wall - 60 * 60_000).toISOString(), new Date(wall + 60 * 60_000).toISOString(), ['call:tax-invoice']), []);
  });

  await test('processed inbound events, notes and escalations per application, oldest first', async (t, store) => {
    const app = await createApp(store);
    const other = await createApp(store);
    await store.apply(app.id, { dedupKey: 'callback:seal-engraving:evt-1' }, () => ({}));
    t.strictSame((await store.listProcessedEvents(app.id)).map((e) => e.dedupKey), ['callback:seal-engraving:evt-1']);
    t.strictSame(await store.listProcessedEvents(other.id), []);

    const note = await store.addOpsNote({ applicationId: app.id, at: '2026-11-02T09:00:00+08:00', author: 'wang.li', authorRole: 'operator', step: 'seal-engraving', text: '已电话联系刻章企业' });
    t.match(note, { applicationId: app.id, at: '2026-11-02T01:00:00.000Z', author: 'wang.li', step: 'seal-engraving', text: '已电话联系刻章企业' });
    await store.addOpsNote({ applicationId: app.id, at: at(5), author: 'zhao.min', authorRole: 'admin', step: null, text: 'second' });
    t.strictSame((await store.listOpsNotes(app.id)).map((n) => n.text), ['已电话联系刻章企业', 'second']);
    t.strictSame(await store.listOpsNotes(other.id), []);

    const deliveries = [{ contact: '李工 139****0001', outcome: 'sent' as const, code: null }, { contact: '周工 139****0002', outcome: 'failed' as const, code: 'SMS_UNAVAILABLE' }];
    const escalation = await store.addOpsEscalation({ applicationId: app.id, at: at(6), author: 'wang.li', authorRole: 'operator', step: 'seal-engraving', note: null, deliveries });
    t.strictSame((await store.listOpsEscalations(app.id)).map((e) => ({ ...e })), [escalation]);
    t.strictSame(escalation.deliveries, deliveries);
    t.strictSame(await store.listOpsEscalations(other.id), []);
  });
}
