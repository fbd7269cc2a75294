// The ONE conformance suite of the store contract (gateway/store/types.ts), run against every
// implementation (sqlite.test.ts, postgres.test.ts). A behaviour belongs here when the gateway
// relies on it; a store that passes is interchangeable with the others.
//
// makeStore() gives a fresh, empty, NOT yet migrated database each time (the suite migrates);
// openAnother(), where the implementation can share a database between instances, opens another
// instance on the same database: another gateway process.

import { randomBytes } from 'node:crypto';
import type { TAP } from 'tap';
import { ApplicationState } from '../../contracts/index.ts';
import type { ApplicationForm } from '../../contracts/index.ts';
import { readFileSync } from 'node:fs';
import type { ApplicationRow, Json, NewApplication, NewEffect, NewEvent, SlaClockRow, Store, StoreChange, Transition } from '../../gateway/store/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import { runIdentityStoreConformance } from './identity-conformance.ts';
import { runOpsQueriesConformance } from './ops-queries-conformance.ts';
import { runPortalStoreConformance } from './portal-conformance.ts';

/** A tap test (the callback argument of t.test). */
export type Test = Parameters<Parameters<TAP['test']>[0]>[0];

export interface StoreUnderTest {
  store: Store;
  /** Closes the store (if still open) and removes the database. */
  cleanup(): Promise<void>;
  /** Another, unmigrated instance on the same database; the test closes it. */
  openAnother?: () => Promise<Store>;
  /** Runs SQL on the same database outside the store (an older gateway's schema and rows). */
  rawExec(sql: string): Promise<void>;
  /** The SQL dialect, for rawExec. */
  dialect: 'sqlite' | 'postgres';
}

export type MakeStore = () => Promise<StoreUnderTest>;

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────

const uid = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Times in the past of any wall clock that runs these tests, so leases taken "then" have expired. */
const T0 = Date.parse('2021-03-01T01:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const wallNow = () => new Date().toISOString();
const LONG_LEASE_MS = 10 * 60_000;

let formTemplate: ApplicationForm | undefined;
const form = (): ApplicationForm => structuredClone((formTemplate ??= makeApplicationForm()));

function newApplication(overrides: Partial<NewApplication> = {}): NewApplication {
  return { id: uid('app'), idempotencyKey: null, bodyHash: uid('hash'), form: form(), submittedAt: at(0), ...overrides };
}

function effect(key: string, dueAt: string, overrides: Partial<NewEffect> = {}): NewEffect {
  return { kind: 'timer', step: null, key, payload: { key }, dueAt, ...overrides };
}

function event(type: string, data: Json = {}, overrides: Partial<NewEvent> = {}): NewEvent {
  return { type, step: null, at: at(1), data, ...overrides };
}

function clock(applicationId: string, name: string, overrides: Partial<SlaClockRow> = {}): SlaClockRow {
  return {
    applicationId,
    clock: name,
    windowMs: 3 * 8 * 3_600_000,
    state: 'on_track',
    startedAt: at(0),
    runningSince: at(0),
    consumedMs: 0,
    pausedReasons: [],
    deadline: at(3 * 24 * 60),
    provisional: false,
    atRiskAt: null,
    breachedAt: null,
    finishedAt: null,
    durationMs: null,
    department: name === 'overall' ? null : `department of ${name}`,
    ...overrides,
  };
}

async function createApp(store: Store, first: Transition = {}, overrides: Partial<NewApplication> = {}): Promise<ApplicationRow> {
  const { created, application } = await store.createApplication(newApplication(overrides), first);
  if (!created) throw new Error('fixture application was not created');
  return application;
}

/** What a write would change: to prove that something wrote nothing. */
async function footprint(store: Store, applicationId: string) {
  return {
    application: await store.getApplication(applicationId),
    effects: await store.listEffects(applicationId),
    events: await store.listEvents(applicationId, 0, 10_000),
    clocks: await store.listClocks({ applicationId }),
    pending: await store.countPendingEffects(),
  };
}

// ── the suite ────────────────────────────────────────────────────────────────────────────────

export async function runStoreConformance(t: Test, makeStore: MakeStore): Promise<void> {
  /** A subtest on a fresh, migrated store. */
  const test = (name: string, body: (t: Test, store: Store, sut: StoreUnderTest) => Promise<void>) =>
    t.test(name, async (t) => {
      const sut = await makeStore();
      t.teardown(() => sut.cleanup());
      await sut.store.migrate();
      await body(t, sut.store, sut);
    });

  await t.test('migrate() twice is a no-op and keeps the data', async (t) => {
    const sut = await makeStore();
    t.teardown(() => sut.cleanup());
    const { store } = sut;
    t.ok(store.kind === 'sqlite' || store.kind === 'postgres', `kind is ${store.kind}`);
    await store.migrate();
    await store.ping();
    const app = await createApp(store, { events: [event('application.submitted')] });
    await store.migrate();
    t.strictSame(await store.getApplication(app.id), app, 'application survives a second migrate()');
    t.equal((await store.listEvents(app.id, 0, 10)).length, 1);
  });

  await t.test('migrate() from several instances at once', async (t) => {
    const sut = await makeStore();
    t.teardown(() => sut.cleanup());
    if (!sut.openAnother) {
      t.pass('this store cannot share a database between instances');
      return;
    }
    const others = await Promise.all([1, 2, 3, 4].map(() => sut.openAnother!()));
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    await Promise.all([sut.store, ...others].map((s) => s.migrate()));
    const app = await createApp(sut.store);
    for (const other of others) t.strictSame(await other.getApplication(app.id), app, 'every instance sees the one schema');
    await Promise.all(others.map((s) => s.migrate()));
    t.strictSame(await others[0]!.getApplication(app.id), app);
  });

  await test('createApplication writes the application and its first transition', async (t, store) => {
    const app = newApplication({ idempotencyKey: uid('key'), submittedAt: '2021-03-01T09:00:00+08:00' });
    const first: Transition = {
      snapshot: { value: 'submitted', context: { n: 1 } },
      snapshotVersion: 3,
      state: 'in_progress',
      newEffects: [effect('call:business-licence:1', at(0), { kind: 'department_call', step: 'business-licence' }), effect('sla:overall:breach', at(60))],
      events: [event('application.submitted', { id: app.id }), event('step.started', {}, { step: 'business-licence' })],
      clocks: [clock(app.id, 'overall'), clock(app.id, 'business-licence', { windowMs: 8 * 3_600_000 })],
    };
    const { created, application } = await store.createApplication(app, first);
    t.equal(created, true);
    t.strictSame(application, {
      id: app.id,
      idempotencyKey: app.idempotencyKey,
      bodyHash: app.bodyHash,
      form: app.form,
      snapshot: first.snapshot,
      snapshotVersion: 3,
      state: 'in_progress',
      submittedAt: '2021-03-01T01:00:00.000Z',
      updatedAt: '2021-03-01T01:00:00.000Z',
      completedAt: null,
      revision: 1,
      creditCode: null,
    });
    t.strictSame(await store.getApplication(app.id), application, 'getApplication returns what was written');

    const effects = await store.listEffects(app.id);
    t.strictSame(
      effects.map((e) => [e.key, e.kind, e.step, e.dueAt, e.payload, e.attempts, e.leaseOwner, e.leaseUntil, e.lastError, e.applicationId]),
      [
        ['call:business-licence:1', 'department_call', 'business-licence', at(0), { key: 'call:business-licence:1' }, 0, null, null, null, app.id],
        ['sla:overall:breach', 'timer', null, at(60), { key: 'sla:overall:breach' }, 0, null, null, null, app.id],
      ],
    );
    t.ok(effects.every((e) => typeof e.id === 'string' && e.id.length > 0 && /Z$/.test(e.createdAt)), 'ids are strings, createdAt an ISO time');
    t.not(effects[0]!.id, effects[1]!.id);

    const events = await store.listEvents(app.id, 0, 10);
    t.strictSame(
      events.map((e) => [e.type, e.step, e.data, e.applicationId]),
      [
        ['application.submitted', null, { id: app.id }, app.id],
        ['step.started', 'business-licence', {}, app.id],
      ],
    );
    t.ok(events[0]!.seq < events[1]!.seq, 'events are numbered in order');
    t.strictSame(await store.listClocks({ applicationId: app.id }), [first.clocks![1], first.clocks![0]], 'clocks, by name');
  });

  await test('createApplication defaults: no snapshot yet, in progress', async (t, store) => {
    const app = newApplication();
    const { application } = await store.createApplication(app, {});
    t.equal(application.snapshot, null);
    t.equal(application.snapshotVersion, 0);
    t.equal(application.state, 'in_progress');
    t.equal(application.idempotencyKey, null);
    t.equal(application.revision, 1);
  });

  await test('createApplication is idempotent by key: same key → created=false, nothing written', async (t, store) => {
    const key = uid('key');
    const first = await store.createApplication(newApplication({ idempotencyKey: key }), {
      snapshot: { n: 1 },
      newEffects: [effect('a', at(0))],
      events: [event('application.submitted')],
      clocks: [],
    });
    t.equal(first.created, true);
    const before = await footprint(store, first.application.id);

    const retry = newApplication({ idempotencyKey: key, bodyHash: 'another body' });
    const second = await store.createApplication(retry, {
      snapshot: { n: 2 },
      newEffects: [effect('b', at(0))],
      events: [event('application.submitted')],
      clocks: [clock(retry.id, 'overall')],
    });
    t.equal(second.created, false);
    t.strictSame(second.application, first.application, 'the existing application comes back (the caller compares bodyHash)');
    t.equal(await store.getApplication(retry.id), undefined, 'no second application');
    t.strictSame(await footprint(store, first.application.id), before, 'no effects, events or clocks written');
    t.strictSame(await store.listClocks({ applicationId: retry.id }), []);

    const a = await store.createApplication(newApplication(), {});
    const b = await store.createApplication(newApplication(), {});
    t.ok(a.created && b.created, 'applications without a key never collide');
  });

  await test('createApplication: concurrent submissions with one key create one application', async (t, store) => {
    const key = uid('key');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.createApplication(newApplication({ idempotencyKey: key }), { events: [event('application.submitted')] })),
    );
    t.equal(results.filter((r) => r.created).length, 1, 'exactly one created');
    t.equal(new Set(results.map((r) => r.application.id)).size, 1, 'all see the same application');
    t.equal((await store.listEvents(results[0]!.application.id, 0, 100)).length, 1, 'one submission event');
  });

  await test('getApplication, listApplications, countApplicationsByState', async (t, store) => {
    t.equal(await store.getApplication('no-such-application'), undefined);
    t.strictSame(await store.listApplications({}), []);
    const states = ['in_progress', 'completed', 'in_progress', 'withdrawn', 'needs_correction'] as const;
    const apps: ApplicationRow[] = [];
    // Created out of order: the list is by submission time.
    for (const i of [3, 0, 4, 1, 2]) apps[i] = await createApp(store, { state: states[i] }, { submittedAt: at(i * 10) });

    t.strictSame((await store.listApplications({})).map((a) => a.id), apps.map((a) => a.id), 'oldest submission first');
    t.strictSame((await store.listApplications({ state: 'in_progress' })).map((a) => a.id), [apps[0]!.id, apps[2]!.id]);
    t.strictSame((await store.listApplications({ submittedFrom: at(10), submittedTo: at(30) })).map((a) => a.id), [apps[1]!.id, apps[2]!.id], '[from, to)');
    t.strictSame((await store.listApplications({ limit: 2 })).map((a) => a.id), [apps[0]!.id, apps[1]!.id]);
    t.strictSame((await store.listApplications({ state: 'in_progress', submittedFrom: at(5), limit: 5 })).map((a) => a.id), [apps[2]!.id]);
    t.strictSame((await store.listApplications({ state: 'needs_attention' })).map((a) => a.id), []);
    t.strictSame((await store.listApplications({}))[0], apps[0], 'whole rows');

    const counts = await store.countApplicationsByState();
    t.strictSame(counts, { in_progress: 2, needs_correction: 1, needs_attention: 0, completed: 1, withdrawn: 1 });
    t.strictSame(Object.keys(counts).sort(), [...ApplicationState.options].sort(), 'every state, zeros included');
  });

  await test('apply writes one transition atomically', async (t, store) => {
    const app = await createApp(store, { snapshot: { step: 1 }, clocks: [] });
    let seen: unknown;
    const corrected = { ...form(), companyName: '三门峡黄河更正科技有限公司' };
    const outcome = await store.apply(app.id, {}, (current) => {
      seen = current;
      return {
        snapshot: { step: 2 },
        snapshotVersion: 2,
        state: 'completed',
        form: corrected,
        completedAt: '2021-03-02T10:00:00+08:00',
        newEffects: [effect('notify', at(5))],
        events: [event('application.completed')],
        clocks: [clock(app.id, 'overall', { state: 'met', finishedAt: at(100), durationMs: 1234 })],
      };
    });
    t.strictSame(seen, { application: app, clocks: [] }, 'decide() sees the stored application and its clocks');
    if (!outcome.applied) throw new Error(`not applied: ${outcome.reason}`);
    t.match(outcome.application, {
      id: app.id,
      snapshot: { step: 2 },
      snapshotVersion: 2,
      state: 'completed',
      completedAt: '2021-03-02T02:00:00.000Z',
      revision: 2,
      submittedAt: app.submittedAt,
      bodyHash: app.bodyHash,
    });
    t.strictSame(outcome.application.form, corrected);
    t.match(outcome.application.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.strictSame(await store.getApplication(app.id), outcome.application, 'the returned row is the stored row');
    t.strictSame((await store.listEffects(app.id)).map((e) => e.key), ['notify']);
    t.strictSame((await store.listEvents(app.id, 0, 10)).map((e) => e.type), ['application.completed']);
    t.match(await store.listClocks({ applicationId: app.id }), [{ clock: 'overall', state: 'met', durationMs: 1234 }]);

    // A partial transition changes only what it names; completedAt: null clears.
    const partial = await store.apply(app.id, {}, () => ({ completedAt: null, events: [event('noted')] }));
    if (!partial.applied) throw new Error('not applied');
    t.match(partial.application, { snapshot: { step: 2 }, snapshotVersion: 2, state: 'completed', completedAt: null, revision: 3 });
    t.strictSame(partial.application.form, corrected);

    // An empty transition is still a write (it can complete an effect).
    const empty = await store.apply(app.id, {}, () => ({}));
    t.equal(empty.applied && empty.application.revision, 4);
  });

  await test('apply: not_found, no_change, and errors write nothing', async (t, store) => {
    let called = 0;
    t.strictSame(
      await store.apply('no-such-application', {}, () => {
        called++;
        return {};
      }),
      { applied: false, reason: 'not_found' },
    );
    t.equal(called, 0, 'decide() is not called for an unknown application');

    const app = await createApp(store, { newEffects: [effect('e', at(0))] });
    const [pending] = await store.listEffects(app.id);
    const before = await footprint(store, app.id);
    const options = { dedupKey: 'once', completesEffect: { id: pending!.id, owner: 'x' } };

    t.strictSame(await store.apply(app.id, options, () => null), { applied: false, reason: 'no_change' });
    t.strictSame(await footprint(store, app.id), before, 'no_change: nothing written');

    await t.rejects(
      store.apply(app.id, options, () => {
        throw new Error('decide blew up');
      }),
      { message: 'decide blew up' },
    );
    t.strictSame(await footprint(store, app.id), before, 'a throwing decide(): nothing written');

    const asyncDecide = (async () => ({ events: [event('x')] })) as unknown as () => Transition;
    await t.rejects(store.apply(app.id, options, asyncDecide), TypeError, 'decide() must be synchronous');
    t.strictSame(await footprint(store, app.id), before);

    const applied = await store.apply(app.id, options, () => ({ events: [event('finally')] }));
    t.equal(applied.applied, true, 'the dedup key and the effect were left untouched by the failed attempts');
  });

  await test('apply: an inbound event with a dedupKey is applied once per application', async (t, store) => {
    const app = await createApp(store);
    const other = await createApp(store);
    const bump = () => ({ events: [event('callback')] });
    t.equal((await store.apply(app.id, { dedupKey: 'callback:seal-engraving:e1' }, bump)).applied, true);
    const before = await footprint(store, app.id);
    let called = false;
    t.strictSame(
      await store.apply(app.id, { dedupKey: 'callback:seal-engraving:e1' }, () => {
        called = true;
        return bump();
      }),
      { applied: false, reason: 'duplicate' },
    );
    t.notOk(called, 'decide() is not called for a duplicate');
    t.strictSame(await footprint(store, app.id), before, 'nothing written');
    t.equal((await store.apply(app.id, { dedupKey: 'callback:seal-engraving:e2' }, bump)).applied, true, 'another key');
    t.equal((await store.apply(other.id, { dedupKey: 'callback:seal-engraving:e1' }, bump)).applied, true, 'the same key on another application');

    const racing = await Promise.all(Array.from({ length: 8 }, () => store.apply(app.id, { dedupKey: 'race' }, bump)));
    t.equal(racing.filter((o) => o.applied).length, 1, 'concurrent duplicates: exactly one applied');
    t.ok(racing.filter((o) => !o.applied).every((o) => !o.applied && o.reason === 'duplicate'));
  });

  await test('apply: completesEffect marks the effect done exactly once, respecting live leases', async (t, store) => {
    const app = await createApp(store, {
      newEffects: [effect('live-1', at(0)), effect('live-2', at(0)), effect('stale', at(0)), effect('free', at(0))],
    });
    const other = await createApp(store, { newEffects: [effect('elsewhere', at(0))] });
    const byKey = async (key: string, applicationId = app.id) => (await store.listEffects(applicationId)).find((e) => e.key === key);
    const ids = Object.fromEntries((await store.listEffects(app.id)).map((e) => [e.key, e.id]));
    const note = () => ({ events: [event('outcome')] });
    const notPending = { applied: false, reason: 'effect_not_pending' };

    // Live leases (claimed at wall-clock now for ten minutes), and one that expired long ago.
    const live = await store.claimDueEffects('owner-a', wallNow(), LONG_LEASE_MS, 2);
    t.strictSame(live.map((e) => e.key), ['live-1', 'live-2']);
    const [stale] = await store.claimDueEffects('owner-a', at(1), 1_000, 1);
    t.equal(stale?.key, 'stale');

    t.equal((await store.apply(app.id, { completesEffect: { id: ids['live-1']!, owner: 'owner-a' } }, note)).applied, true, 'the lease holder completes');
    t.equal(await byKey('live-1'), undefined, 'a done effect is no longer pending');
    const before = await footprint(store, app.id);
    t.strictSame(await store.apply(app.id, { completesEffect: { id: ids['live-1']!, owner: 'owner-a' } }, note), notPending, 'a second completion');
    t.strictSame(await footprint(store, app.id), before, 'a second completion writes nothing');
    t.equal(await store.rescheduleEffect(ids['live-1']!, 'owner-a', at(9), null), false, 'a done effect cannot be rescheduled');

    t.strictSame(await store.apply(app.id, { completesEffect: { id: ids['live-2']!, owner: 'owner-b' } }, note), notPending, 'another owner while the lease is live');
    t.strictSame(await footprint(store, app.id), before, 'nothing written');
    t.ok(await byKey('live-2'), 'still pending');

    t.equal((await store.apply(app.id, { completesEffect: { id: ids['stale']!, owner: 'owner-b' } }, note)).applied, true, 'another owner once the lease has expired');
    t.equal((await store.apply(app.id, { completesEffect: { id: ids['free']!, owner: 'anyone' } }, note)).applied, true, 'an unleased effect');

    const elsewhere = await byKey('elsewhere', other.id);
    t.strictSame(await store.apply(app.id, { completesEffect: { id: elsewhere!.id, owner: 'x' } }, note), notPending, "another application's effect");
    for (const id of ['999999999', 'not-an-id', '']) {
      t.strictSame(await store.apply(app.id, { completesEffect: { id, owner: 'x' } }, note), notPending, `unknown id ${JSON.stringify(id)}`);
    }

    // Completing an effect and scheduling a new one with the same key: the new one is a new row.
    const outcome = await store.apply(app.id, { completesEffect: { id: ids['live-2']!, owner: 'owner-a' } }, () => ({ newEffects: [effect('live-2', at(50))] }));
    t.equal(outcome.applied, true);
    const again = await byKey('live-2');
    t.ok(again && again.id !== ids['live-2'] && again.dueAt === at(50) && again.leaseOwner === null, 'a fresh pending effect with that key');
    t.equal(await store.countPendingEffects(), 2, 'the new "live-2" and "elsewhere"');
    t.strictSame((await store.claimDueEffects('owner-c', wallNow(), 1_000, 10)).map((e) => e.key).sort(), ['elsewhere', 'live-2'], 'done effects are never claimed');
  });

  await test('a cancelled department call stays as a done row with its attempts; a cancelled timer is gone', async (t, store) => {
    const call = (key: string) => effect(key, at(10), { kind: 'department_call', step: 'seal-engraving' });
    const app = await createApp(store, { newEffects: [call('in-flight'), call('backing-off'), call('never-tried'), effect('timer', at(10))] });
    const byKey = async (key: string) => (await store.listEffectHistory(app.id, 'department_call')).filter((e) => e.key === key);
    const claimed = await store.claimDueEffects('owner-a', at(10), LONG_LEASE_MS, 10);
    const id = (key: string) => claimed.find((e) => e.key === key)!.id;
    // One attempt failed and waits for its retry (no lease); another is under way (leased); one was never claimed back.
    t.equal(await store.rescheduleEffect(id('backing-off'), 'owner-a', at(60), 'DEPARTMENT_TIMEOUT: slow'), true);
    t.equal(await store.rescheduleEffect(id('never-tried'), 'owner-a', at(60), null), true);
    await store.apply(app.id, {}, () => ({ cancelEffectKeys: ['in-flight', 'backing-off', 'timer'] }));

    t.match(await byKey('in-flight'), [{ state: 'done', attempts: 1, leaseUntil: null }], 'the attempt under way is counted: the department got it');
    t.match(await byKey('backing-off'), [{ state: 'done', attempts: 1, lastError: 'DEPARTMENT_TIMEOUT: slow' }], 'the ended attempt stays counted, no extra one');
    t.match(await byKey('never-tried'), [{ state: 'pending' }], 'keys not cancelled are untouched');
    t.strictSame((await store.listEffects(app.id)).map((e) => e.key).sort(), ['never-tried'], 'nothing cancelled is pending; the timer is deleted');
    t.same(
      (await store.effectAttempts([app.id], ['in-flight', 'backing-off'])).map((r) => [r.key, r.attempts]),
      [
        ['backing-off', 1],
        ['in-flight', 1],
      ],
    );
    // The call under way ends later: its answer is dropped and it is not retried.
    t.strictSame(await store.apply(app.id, { completesEffect: { id: id('in-flight'), owner: 'owner-a' } }, () => ({})), { applied: false, reason: 'effect_not_pending' });
    t.equal(await store.rescheduleEffect(id('in-flight'), 'owner-a', at(90), 'late timeout'), false);
    t.match(await byKey('in-flight'), [{ state: 'done', attempts: 1 }]);
    // Scheduling the key again writes a new pending row beside the done one.
    await store.apply(app.id, {}, () => ({ newEffects: [call('in-flight')] }));
    t.match(await byKey('in-flight'), [{ state: 'done', attempts: 1 }, { state: 'pending', attempts: 0 }]);
  });

  await test('pending keys: a new effect replaces the pending one; cancelEffectKeys deletes', async (t, store) => {
    const app = await createApp(store, { newEffects: [effect('timer', at(10), { payload: { v: 1 } }), effect('keep', at(20))] });
    const other = await createApp(store, { newEffects: [effect('timer', at(10))] });
    const find = async (key: string, applicationId = app.id) => (await store.listEffects(applicationId)).filter((e) => e.key === key);
    const [original] = await find('timer');

    // Leased by an executor, then replaced: the executor's effect is gone.
    const [leased] = await store.claimDueEffects('owner-a', at(10), LONG_LEASE_MS, 1);
    t.equal(leased?.id, original!.id);
    await store.apply(app.id, {}, () => ({ newEffects: [effect('timer', at(30), { payload: { v: 2 } })] }));
    const replaced = await find('timer');
    t.equal(replaced.length, 1, 'one pending effect per key');
    t.match(replaced[0], { dueAt: at(30), payload: { v: 2 }, leaseOwner: null, leaseUntil: null, attempts: 0 });
    t.not(replaced[0]!.id, original!.id, 'the replacement is a new effect');
    t.equal(await store.rescheduleEffect(original!.id, 'owner-a', at(40), null), false, 'the replaced effect is gone for its executor');
    t.strictSame(await store.apply(app.id, { completesEffect: { id: original!.id, owner: 'owner-a' } }, () => ({})), { applied: false, reason: 'effect_not_pending' });

    // Cancelling: gone; unknown keys are fine; other applications are untouched.
    await store.apply(app.id, {}, () => ({ cancelEffectKeys: ['timer', 'never-existed'] }));
    t.strictSame(await find('timer'), []);
    t.equal((await find('keep')).length, 1, 'other keys stay');
    t.equal((await find('timer', other.id)).length, 1, "another application's effect with that key stays");

    // Cancel and schedule the same key in one transition (leaving and re-entering a state): scheduled.
    await store.apply(app.id, {}, () => ({ cancelEffectKeys: ['keep'], newEffects: [effect('keep', at(60))] }));
    t.strictSame((await find('keep')).map((e) => e.dueAt), [at(60)]);

    // The same key twice in one transition: the last wins.
    await store.apply(app.id, {}, () => ({ newEffects: [effect('twice', at(1), { payload: 1 }), effect('twice', at(2), { payload: 2 })] }));
    t.strictSame((await find('twice')).map((e) => [e.dueAt, e.payload]), [[at(2), 2]]);
    t.equal(await store.countPendingEffects(), 3);
  });

  await test('claimDueEffects: due ones, oldest first, up to the limit, leased', async (t, store) => {
    const app = await createApp(store, {
      newEffects: [effect('e3', at(3)), effect('e1', at(1)), effect('e2', at(2)), effect('later', at(9))],
    });
    const now = at(5);
    const first = await store.claimDueEffects('owner-a', now, 1_000, 2);
    t.strictSame(first.map((e) => e.key), ['e1', 'e2'], 'due order, limited');
    const leaseUntil = new Date(Date.parse(now) + 1_000).toISOString();
    t.ok(first.every((e) => e.leaseOwner === 'owner-a' && e.leaseUntil === leaseUntil && e.attempts === 0 && e.applicationId === app.id));
    t.strictSame(await store.listEffects(app.id).then((list) => list.filter((e) => e.leaseOwner).map((e) => e.key)), ['e1', 'e2'], 'the lease is stored');

    t.strictSame((await store.claimDueEffects('owner-b', now, 1_000, 10)).map((e) => e.key), ['e3'], 'leased effects are not handed out again');
    t.strictSame(await store.claimDueEffects('owner-b', leaseUntil, 1_000, 10), [], 'a lease is live up to and including leaseUntil');

    const after = new Date(Date.parse(leaseUntil) + 1).toISOString();
    const reclaimed = await store.claimDueEffects('owner-b', after, LONG_LEASE_MS, 10);
    t.strictSame(
      reclaimed.map((e) => [e.key, e.leaseOwner]),
      [
        ['e1', 'owner-b'],
        ['e2', 'owner-b'],
        ['e3', 'owner-b'],
      ],
      'expired leases are claimed again',
    );
    t.strictSame(await store.claimDueEffects('owner-c', at(8), 1_000, 0), [], 'limit 0');
    t.strictSame((await store.claimDueEffects('owner-c', at(9), 1_000, 10)).map((e) => e.key), ['later'], 'due at exactly now');
  });

  await test('concurrent claims never hand out the same effect twice', async (t, store, sut) => {
    const apps = await Promise.all([0, 1, 2, 3].map((a) => createApp(store, { newEffects: Array.from({ length: 15 }, (_, i) => effect(`e${i}`, at(i + a))) })));
    const others = sut.openAnother ? await Promise.all([1, 2].map(() => sut.openAnother!())) : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    const instances = [store, ...others];
    const seen = new Map<string, string>();
    let duplicates = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const owner = `owner-${n}`;
        const instance = instances[n % instances.length]!;
        for (;;) {
          const claimed = await instance.claimDueEffects(owner, wallNow(), LONG_LEASE_MS, 4);
          if (claimed.length === 0) return;
          for (const e of claimed) {
            if (seen.has(e.id)) duplicates++;
            seen.set(e.id, owner);
          }
        }
      }),
    );
    t.equal(duplicates, 0, 'no effect claimed twice');
    t.equal(seen.size, apps.length * 15, 'every effect claimed');
  });

  await test('rescheduleEffect counts an attempt and sets the next due time; releaseLeases', async (t, store) => {
    const app = await createApp(store, { newEffects: [effect('call', at(0)), effect('b1', at(0)), effect('b2', at(0)), effect('other', at(0))] });
    const get = async (key: string) => (await store.listEffects(app.id)).find((e) => e.key === key)!;
    const [call] = await store.claimDueEffects('owner-a', at(1), LONG_LEASE_MS, 1);
    t.equal(call?.key, 'call');

    t.equal(await store.rescheduleEffect(call!.id, 'owner-b', at(10), 'x'), false, 'not by another owner');
    t.equal(await store.rescheduleEffect('999999999', 'owner-a', at(10), 'x'), false, 'not an unknown effect');
    t.equal(await store.rescheduleEffect(call!.id, 'owner-a', '2021-03-01T09:10:00+08:00', 'HTTP 503'), true);
    t.match(await get('call'), { attempts: 1, dueAt: at(10), lastError: 'HTTP 503', leaseOwner: null, leaseUntil: null });
    t.equal(await store.rescheduleEffect(call!.id, 'owner-a', at(11), 'again'), false, 'no longer leased');

    t.strictSame((await store.claimDueEffects('owner-a', at(9), LONG_LEASE_MS, 10)).map((e) => e.key).sort(), ['b1', 'b2', 'other'], 'not before its new due time');
    const [again] = await store.claimDueEffects('owner-a', at(10), LONG_LEASE_MS, 10);
    t.match(again, { key: 'call', attempts: 1, lastError: 'HTTP 503' }, 'claiming does not count an attempt');
    t.equal(await store.rescheduleEffect(again!.id, 'owner-a', at(12), null), true);
    t.match(await get('call'), { attempts: 2, lastError: null });

    t.equal(await store.releaseLeases('owner-a'), 3, 'b1, b2 and other: counts the leases released');
    t.strictSame((await store.claimDueEffects('owner-a', at(20), LONG_LEASE_MS, 2)).map((e) => e.key), ['b1', 'b2']);
    t.strictSame((await store.claimDueEffects('owner-b', at(20), LONG_LEASE_MS, 1)).map((e) => e.key), ['other']);
    t.equal(await store.releaseLeases('owner-a'), 2);
    t.equal(await store.releaseLeases('owner-a'), 0);
    t.equal(await store.releaseLeases('nobody'), 0);
    t.equal((await get('other')).leaseOwner, 'owner-b', "another owner's lease stays");
    t.strictSame(
      (await store.claimDueEffects('owner-c', at(21), LONG_LEASE_MS, 10)).map((e) => e.key),
      ['b1', 'b2', 'call'],
      'released effects can be claimed at once, before their old lease would have expired',
    );
  });

  await test('nextDueAt and countPendingEffects', async (t, store) => {
    t.equal(await store.nextDueAt(), null);
    t.equal(await store.countPendingEffects(), 0);
    const app = await createApp(store, { newEffects: [effect('late', at(30)), effect('early', at(0))] });
    t.equal(await store.nextDueAt(), at(0));
    t.equal(await store.countPendingEffects(), 2);

    const [early] = await store.claimDueEffects('owner-a', at(1), 60_000, 1);
    t.equal(await store.nextDueAt(), at(2), 'a leased effect is next due when its lease expires');
    t.equal(await store.countPendingEffects(), 2, 'leased effects are pending');
    await store.apply(app.id, { completesEffect: { id: early!.id, owner: 'owner-a' } }, () => ({}));
    t.equal(await store.nextDueAt(), at(30));
    t.equal(await store.countPendingEffects(), 1);
    await store.apply(app.id, {}, () => ({ cancelEffectKeys: ['late'] }));
    t.equal(await store.nextDueAt(), null);
  });

  await test('events: each application numbers its own, 1, 2, 3 …, oldest first', async (t, store) => {
    const a = await createApp(store, { events: [event('a1', { n: 1 }), event('a2', { n: 2 }, { step: 'seal-engraving', at: '2021-03-01T10:00:00+08:00' })] });
    const b = await createApp(store, { events: [event('b1')] });
    const outcome = await store.apply(a.id, {}, () => ({ events: [event('a3'), event('a4')] }));
    t.strictSame(outcome.applied && outcome.events.map((e) => [e.seq, e.type]), [[3, 'a3'], [4, 'a4']], 'apply returns the events it appended, numbered');

    const all = await store.listEvents(a.id, 0, 100);
    t.strictSame(all.map((e) => [e.seq, e.type]), [[1, 'a1'], [2, 'a2'], [3, 'a3'], [4, 'a4']], 'in the order written, numbered from 1 without gaps');
    t.strictSame(all[1], { seq: 2, applicationId: a.id, type: 'a2', step: 'seal-engraving', at: '2021-03-01T02:00:00.000Z', data: { n: 2 } });
    t.strictSame((await store.listEvents(b.id, 0, 100)).map((e) => [e.seq, e.type]), [[1, 'b1']], 'another application has its own numbers');
    t.strictSame((await store.listEvents(a.id, 2, 100)).map((e) => e.type), ['a3', 'a4'], 'after a seq, exclusive');
    t.strictSame((await store.listEvents(a.id, 2, 1)).map((e) => e.type), ['a3'], 'limit');
    t.strictSame(await store.listEvents(a.id, 4, 100), []);
    t.strictSame(await store.listEvents('no-such-application', 0, 100), []);
  });

  await test('events of concurrent transitions: a reader of one application never skips one; a transition’s events are consecutive', async (t, store, sut) => {
    const app = await createApp(store);
    const others = sut.openAnother ? [await sut.openAnother()] : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    const instances = [store, ...others];
    // A reader polling while writers commit must never see a gap that is filled later.
    let reading = true;
    let lastSeen = 0;
    let skipped = 0;
    const reader = (async () => {
      while (reading) {
        const batch = await store.listEvents(app.id, lastSeen, 1000);
        for (const e of batch) {
          if (e.seq !== lastSeen + 1) skipped++;
          lastSeen = e.seq;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        instances[i % instances.length]!.apply(app.id, {}, () => ({ events: [event(`t${i}:1`), event(`t${i}:2`), event(`t${i}:3`)] })),
      ),
    );
    reading = false;
    await reader;
    const all = await store.listEvents(app.id, 0, 10_000);
    t.strictSame(all.map((e) => e.seq), Array.from({ length: 90 }, (_, i) => i + 1), 'numbered 1 … 90');
    let interleaved = 0;
    for (let i = 0; i < all.length; i += 3) {
      const [x, y, z] = [all[i]!, all[i + 1]!, all[i + 2]!];
      const tx = x.type.split(':')[0];
      if (!(x.type === `${tx}:1` && y.type === `${tx}:2` && z.type === `${tx}:3`)) interleaved++;
    }
    t.equal(interleaved, 0, "each transition's events are consecutive");
    t.equal(skipped, 0, 'a polling reader never skipped an event');
  });

  await test('SLA clocks: whole-row upsert and queries', async (t, store) => {
    const stray = newApplication();
    await t.rejects(store.createApplication(stray, { clocks: [clock('someone-else', 'overall')] }), 'a clock row of another application is refused');
    t.equal(await store.getApplication(stray.id), undefined, 'and the whole transition with it');

    const app = await createApp(store);
    const overall = clock(app.id, 'overall');
    const seal = clock(app.id, 'seal-engraving', { windowMs: 14_400_000, state: 'paused', runningSince: null, pausedReasons: ['seal-engraving:correction', 'x'], consumedMs: 1_800_000.5, provisional: true });
    await store.apply(app.id, {}, () => ({ clocks: [overall, seal] }));
    t.strictSame(await store.listClocks({ applicationId: app.id }), [overall, seal], 'every field round-trips');

    let seen: SlaClockRow[] = [];
    const finished = { ...overall, state: 'met' as const, runningSince: null, finishedAt: '2021-03-03T10:00:00+08:00', durationMs: 20_000_000, consumedMs: 20_000_000 };
    await store.apply(app.id, {}, (current) => {
      seen = current.clocks;
      return { clocks: [finished] };
    });
    t.strictSame(seen, [overall, seal], 'decide() sees the clocks');
    t.strictSame(await store.listClocks({ applicationId: app.id, clock: 'overall' }), [{ ...finished, finishedAt: '2021-03-03T02:00:00.000Z' }], 'replaced whole');

    const other = await createApp(store);
    await store.apply(other.id, {}, () => ({
      clocks: [
        clock(other.id, 'overall', { state: 'breached', breachedAt: at(100), atRiskAt: at(90) }),
        clock(other.id, 'seal-engraving', { state: 'met', finishedAt: at(3000), durationMs: 5 }),
        clock(other.id, 'tax-invoice', { state: 'at_risk', atRiskAt: at(50) }),
      ],
    }));
    const names = (rows: SlaClockRow[]) => rows.map((c) => `${c.applicationId === app.id ? 'app' : 'other'}/${c.clock}`).sort();
    t.strictSame(names(await store.listClocks({ clock: 'overall' })), ['app/overall', 'other/overall']);
    t.strictSame(names(await store.listClocks({ states: ['at_risk', 'breached'] })), ['other/overall', 'other/tax-invoice']);
    t.strictSame(names(await store.listClocks({ states: [] })), [], 'no states, no clocks');
    t.strictSame(names(await store.listClocks({ clock: 'overall', states: ['breached', 'met'] })), ['app/overall', 'other/overall']);
    t.strictSame(names(await store.listClocks({ finishedFrom: '2021-03-03T02:00:00.000Z', finishedTo: at(3000) })), ['app/overall'], '[from, to)');
    t.strictSame(names(await store.listClocks({ finishedFrom: at(0) })), ['app/overall', 'other/seal-engraving']);
    t.strictSame(names(await store.listClocks({ finishedTo: at(3001) })), ['app/overall', 'other/seal-engraving']);
    t.equal((await store.listClocks({ limit: 2 })).length, 2);
    t.equal((await store.listClocks({})).length, 5);
  });

  await test('calendar years', async (t, store) => {
    t.equal(await store.getCalendarYear(2026), undefined);
    t.strictSame(await store.listCalendarYears(), []);
    const doc2026: Json = { year: 2026, holidays: ['2026-01-01', '2026-02-16'], makeUpWorkdays: ['2026-01-04', '2026-02-14'], note: '国务院办公厅' };
    await store.putCalendarYear(2026, doc2026, at(0));
    t.strictSame(await store.getCalendarYear(2026), doc2026);
    const revised: Json = { ...doc2026, holidays: ['2026-01-01'] };
    await store.putCalendarYear(2026, revised, '2021-03-01T09:00:00+08:00');
    t.strictSame(await store.getCalendarYear(2026), revised, 'a second put replaces');
    await store.putCalendarYear(2025, { year: 2025 }, at(0));
    t.strictSame(await store.listCalendarYears(), [2025, 2026]);
  });

  await test('20 concurrent apply() calls on one application are serialised: every increment lands', async (t, store, sut) => {
    const app = await createApp(store, { snapshot: { counter: 0 } });
    const others = sut.openAnother ? [await sut.openAnother()] : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    const instances = [store, ...others];
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        instances[i % instances.length]!.apply(app.id, {}, ({ application }) => {
          const counter = (application.snapshot as { counter: number }).counter + 1;
          return { snapshot: { counter }, events: [event('incremented', { counter })] };
        }),
      ),
    );
    t.ok(outcomes.every((o) => o.applied), 'all applied');
    const final = await store.getApplication(app.id);
    t.strictSame(final?.snapshot, { counter: 20 });
    t.equal(final?.revision, 21);
    t.strictSame(
      (await store.listEvents(app.id, 0, 100)).map((e) => (e.data as { counter: number }).counter),
      Array.from({ length: 20 }, (_, i) => i + 1),
      'events in the order the transitions were applied',
    );
  });

  await test('snapshots and other JSON survive the round trip', async (t, store) => {
    const snapshot: Json = {
      status: 'active',
      value: { 'business-licence': 'done', 'seal-engraving': { waiting: 'callback' } },
      context: {
        name: '三门峡黄河示范科技有限公司 🏢',
        quotes: 'say "hi" \\ back\nslash / tab\t',
        numbers: [0, -1.5, 1e-7, 2 ** 53 - 1, 1e21, 0.1 + 0.2],
        flags: [true, false, null],
        empty: { object: {}, array: [], string: '' },
        deep: { a: { b: { c: { d: { e: [1, [2, [3, [4]]]] } } } } },
      },
      children: {},
      historyValue: {},
    };
    const app = await createApp(store, { snapshot, newEffects: [effect('p', at(0), { payload: snapshot })], events: [event('e', snapshot)] });
    const stored = (await store.getApplication(app.id))!;
    t.strictSame(stored.snapshot, snapshot, 'snapshot');
    t.strictSame(JSON.parse(JSON.stringify(stored.snapshot)), snapshot, 'and it stringifies back to the same JSON');
    t.strictSame(stored.form, app.form, 'form');
    t.strictSame((await store.listEffects(app.id))[0]?.payload, snapshot, 'effect payload');
    t.strictSame((await store.listEvents(app.id, 0, 10))[0]?.data, snapshot, 'event data');
    for (const scalar of [null, 42, 'text', true, [1, 'two']] as Json[]) {
      const outcome = await store.apply(app.id, {}, () => ({ snapshot: scalar }));
      t.strictSame(outcome.applied && outcome.application.snapshot, scalar, `snapshot ${JSON.stringify(scalar)}`);
    }
  });

  await test('group commit: many transitions at once, across applications, each applied exactly as alone', async (t, store) => {
    const apps = await Promise.all(Array.from({ length: 12 }, () => createApp(store, { snapshot: { counter: 0 }, newEffects: [effect('tick', at(0))] })));
    const effects = new Map<string, string>();
    for (const app of apps) effects.set(app.id, (await store.listEffects(app.id))[0]!.id);
    // 12 applications × (one that completes the effect + 4 plain increments), all in flight together.
    const outcomes = await Promise.all(
      apps.flatMap((app) => [
        store.apply(app.id, { completesEffect: { id: effects.get(app.id)!, owner: 'x' }, dedupKey: 'done-tick' }, ({ application }) => ({
          snapshot: { counter: (application.snapshot as { counter: number }).counter + 100 },
          newEffects: [effect('tick', at(5))],
          events: [event('ticked')],
        })),
        ...Array.from({ length: 4 }, (_, i) =>
          store.apply(app.id, {}, ({ application }) => ({ snapshot: { counter: (application.snapshot as { counter: number }).counter + 1 }, events: [event(`inc${i}`)] })),
        ),
      ]),
    );
    t.ok(outcomes.every((o) => o.applied), 'every transition applied');
    for (const app of apps) {
      const row = await store.getApplication(app.id);
      t.equal((row!.snapshot as { counter: number }).counter, 104, 'each saw the one before it');
      t.equal(row!.revision, 6);
      t.strictSame((await store.listEvents(app.id, 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 5]);
      const pending = await store.listEffects(app.id);
      t.strictSame(pending.map((e) => [e.key, e.dueAt]), [['tick', at(5)]], 'the completed timer re-armed once');
    }
  });

  await test('group commit: a transition that fails — in decide() or in the database — fails alone', async (t, store) => {
    const apps = await Promise.all(Array.from({ length: 4 }, () => createApp(store)));
    const good = (label: string) => () => ({ events: [event(label)] });
    const outcomes = await Promise.allSettled([
      store.apply(apps[0]!.id, {}, good('a')),
      store.apply(apps[1]!.id, {}, () => {
        throw new Error('decide blew up');
      }),
      // Refused by the database itself (no such effect kind): the whole batch would roll back.
      store.apply(apps[2]!.id, {}, () => ({ newEffects: [effect('bad', at(0), { kind: 'no-such-kind' as never })], events: [event('poisoned')] })),
      store.apply(apps[3]!.id, {}, good('d')),
      store.apply(apps[0]!.id, {}, good('a2')),
    ]);
    t.strictSame(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    t.strictSame((await store.listEvents(apps[0]!.id, 0, 10)).map((e) => e.type), ['a', 'a2']);
    t.strictSame(await store.listEvents(apps[1]!.id, 0, 10), []);
    t.strictSame(await store.listEvents(apps[2]!.id, 0, 10), [], 'the poisoned transition wrote nothing');
    t.strictSame(await store.listEffects(apps[2]!.id), []);
    t.strictSame((await store.listEvents(apps[3]!.id, 0, 10)).map((e) => e.type), ['d']);
  });

  await test('leaseNewEffects: due-now effects come back leased to the writer, up to max; later ones are left for claims', async (t, store) => {
    const lease = { owner: 'writer', leaseMs: LONG_LEASE_MS, max: 2 };
    const created = await store.createApplication(
      newApplication({ submittedAt: wallNow() }),
      { newEffects: [effect('now-1', wallNow()), effect('now-2', wallNow()), effect('now-3', wallNow()), effect('later', '2999-01-01T00:00:00.000Z')] },
      { leaseNewEffects: lease },
    );
    t.strictSame(created.leased.map((e) => e.key), ['now-1', 'now-2'], 'at most max, in the order written');
    t.ok(created.leased.every((e) => e.leaseOwner === 'writer' && e.leaseUntil! > wallNow() && /^\d+$/.test(e.id)), 'leased rows, with their ids');
    const id = created.application.id;
    t.strictSame((await store.claimDueEffects('other', wallNow(), 1_000, 10)).map((e) => e.key), ['now-3'], 'leased ones cannot be claimed; the rest can');
    const [first] = created.leased;
    const done = await store.apply(id, { completesEffect: { id: first!.id, owner: 'writer' }, leaseNewEffects: { ...lease, max: 1 } }, () => ({
      newEffects: [effect('follow-up', wallNow())],
    }));
    t.ok(done.applied && done.leased.length === 1 && done.leased[0]!.key === 'follow-up', 'apply leases its due effects too');
    const none = await store.apply(id, {}, () => ({ newEffects: [effect('unleased', wallNow())] }));
    t.strictSame(none.applied && none.leased, [], 'without leaseNewEffects nothing is leased');
  });

  await test('the change feed: every commit, once, with its events', async (t, store, sut) => {
    const seen: StoreChange[] = [];
    const unsubscribe = store.subscribeChanges((change) => seen.push(change));
    t.teardown(unsubscribe);
    const app = await createApp(store, { state: 'in_progress', events: [event('submitted')] });
    await store.apply(app.id, {}, () => ({ state: 'completed', events: [event('done'), event('really')] }));
    await store.apply(app.id, {}, () => null);
    const committed = seen.filter((c): c is Extract<StoreChange, { kind: 'committed' }> => c.kind === 'committed' && c.applicationId === app.id);
    t.strictSame(
      committed.map((c) => [c.state, c.lastSeq, c.events?.map((e) => e.type), c.local]),
      [
        ['in_progress', 1, ['submitted'], true],
        ['completed', 3, ['done', 'really'], true],
      ],
      'no change, no notification',
    );
    if (!sut.openAnother || sut.dialect !== 'postgres') return;
    // Another instance's commit reaches this one (PostgreSQL LISTEN/NOTIFY): where the events end, not the events.
    const other = await sut.openAnother();
    t.teardown(() => other.close());
    await other.migrate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.apply(app.id, {}, () => ({ events: [event('elsewhere')] }));
    for (let i = 0; i < 200 && !seen.some((c) => c.kind === 'committed' && !c.local); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    t.match(seen.find((c) => c.kind === 'committed' && !c.local), { applicationId: app.id, lastSeq: 4, state: 'completed', events: null, local: false });
  });

  await test('a database written by the first schema is migrated: events renumbered per application, nothing lost', async (t) => {
    const sut = await makeStore();
    t.teardown(() => sut.cleanup());
    const initial = readFileSync(new URL(`../../gateway/store/migrations/${sut.dialect}/0001_init.sql`, import.meta.url), 'utf8');
    const time = (iso: string) => `'${iso}'`;
    await sut.rawExec(initial);
    await sut.rawExec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at ${sut.dialect === 'sqlite' ? 'TEXT' : 'timestamptz'} NOT NULL);
      INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', ${time(at(0))});
      INSERT INTO applications (id, idempotency_key, body_hash, form, snapshot, snapshot_version, state, submitted_at, updated_at, completed_at, revision)
        VALUES ('old-a', NULL, 'h', '{"companyName":"三门峡旧数据科技有限公司"}', '{"v":1}', 1, 'in_progress', ${time(at(0))}, ${time(at(0))}, NULL, 3),
               ('old-b', NULL, 'h', '{}', '{"v":1}', 1, 'in_progress', ${time(at(0))}, ${time(at(0))}, NULL, 1);
      INSERT INTO events (application_id, type, step, at, data) VALUES
        ('old-a', 'a1', NULL, ${time(at(1))}, '{}'), ('old-b', 'b1', NULL, ${time(at(1))}, '{}'), ('old-a', 'a2', NULL, ${time(at(2))}, '{"n":2}');
      INSERT INTO callback_events (step, event_id, received_at) VALUES ('seal-engraving', 'e1', ${time(at(1))});
      INSERT INTO effects (application_id, kind, step, key, payload, due_at, created_at) VALUES
        ('old-a', 'timer', NULL, 'sla:overall', '{}', ${time(at(50))}, ${time(at(1))}),
        ('old-a', 'timer', NULL, 'cancelled-1', '{}', ${time(at(50))}, ${time(at(1))}),
        ('old-a', 'timer', NULL, 'cancelled-2', '{}', ${time(at(50))}, ${time(at(1))});
      DELETE FROM effects WHERE key LIKE 'cancelled-%';`);
    await sut.store.migrate();
    t.strictSame((await sut.store.listEvents('old-a', 0, 10)).map((e) => [e.seq, e.type, e.data]), [[1, 'a1', {}], [2, 'a2', { n: 2 }]]);
    t.strictSame((await sut.store.listEvents('old-b', 0, 10)).map((e) => [e.seq, e.type]), [[1, 'b1']]);
    t.strictSame((await sut.store.getApplication('old-a'))?.form, { companyName: '三门峡旧数据科技有限公司' }, 'the form moved to its own table intact');
    const next = await sut.store.apply('old-a', {}, () => ({ events: [event('a3')] }));
    t.strictSame(next.applied && next.events.map((e) => e.seq), [3], 'numbering goes on where the old events end');
    t.equal(next.applied && next.application.revision, 4);
    // Effects survive the outbox's rebuild (SQLite) and the new kind is accepted; ids of deleted
    // (cancelled) effects are never handed out again.
    const effects = await sut.store.listEffects('old-a');
    t.strictSame(effects.map((e) => [e.kind, e.key]), [['timer', 'sla:overall']], 'the pending effect is still there');
    await sut.store.apply('old-a', {}, () => ({ newEffects: [{ kind: 'notification', step: null, key: 'notify:x', payload: { notice: 'application_completed' }, dueAt: at(2) }] }));
    const notification = (await sut.store.listEffects('old-a')).find((e) => e.kind === 'notification');
    t.ok(notification, 'a notification effect is stored');
    t.ok(Number(notification!.id) > 3, `a new id (${notification!.id}) above every id ever used (3)`);
  });

  await test('the credit code goes on the row when a transition sets it; the form changes only with a correction', async (t, store) => {
    const app = await createApp(store);
    t.equal(app.creditCode, null);
    const licensed = await store.apply(app.id, {}, () => ({ creditCode: '91411202MA45R7K29W', events: [event('licensed')] }));
    t.equal(licensed.applied && licensed.application.creditCode, '91411202MA45R7K29W');
    const later = await store.apply(app.id, {}, () => ({ snapshot: { n: 2 } }));
    t.equal(later.applied && later.application.creditCode, '91411202MA45R7K29W', 'kept by transitions that do not name it');
    t.strictSame(later.applied && later.application.form, app.form, 'the form is unchanged');
    const corrected = { ...app.form, companyName: '三门峡黄河更正科技有限公司' };
    await store.apply(app.id, {}, () => ({ form: corrected }));
    t.strictSame((await store.getApplication(app.id))?.form, corrected);
    t.strictSame((await store.listApplications({})).find((a) => a.id === app.id)?.form, corrected, 'lists carry the form too');
  });

  // ── monitoring aggregates (GET /metrics) ─────────────────────────────────────────────────────

  await test('countOpenClocks: started, unfinished clocks by clock and state', async (t, store) => {
    const sorted = (rows: { clock: string; state: string; count: number }[]) => rows.map((r) => `${r.clock}/${r.state}=${r.count}`).sort();
    t.strictSame(await store.countOpenClocks(), [], 'no clocks, no rows');

    const finished = { runningSince: null, finishedAt: at(500), durationMs: 1_000 };
    const a = await createApp(store);
    await store.apply(a.id, {}, () => ({
      clocks: [
        clock(a.id, 'overall'),
        clock(a.id, 'business-licence', { state: 'at_risk', atRiskAt: at(10) }),
        clock(a.id, 'seal-engraving', { state: 'paused', runningSince: null, pausedReasons: ['seal-engraving:correction'] }),
        clock(a.id, 'tax-invoice', { state: 'not_started', startedAt: null, runningSince: null, deadline: null }),
        clock(a.id, 'social-insurance', { state: 'met', ...finished }),
        clock(a.id, 'bank-account', { state: 'breached', breachedAt: at(20), ...finished }),
        clock(a.id, 'postal-delivery', { state: 'breached', breachedAt: at(30) }),
      ],
    }));
    const b = await createApp(store);
    await store.apply(b.id, {}, () => ({
      clocks: [
        clock(b.id, 'overall'),
        clock(b.id, 'business-licence', { state: 'at_risk', atRiskAt: at(10) }),
        clock(b.id, 'seal-engraving', { state: 'cancelled', ...finished }),
      ],
    }));
    const c = await createApp(store);
    await store.apply(c.id, {}, () => ({ clocks: [clock(c.id, 'overall', { state: 'breached', breachedAt: at(40), runningSince: null, pausedReasons: ['x'] })] }));

    t.strictSame(
      sorted(await store.countOpenClocks()),
      ['business-licence/at_risk=2', 'overall/breached=1', 'overall/on_track=2', 'postal-delivery/breached=1', 'seal-engraving/paused=1'],
      'not started, met, cancelled and finished-late clocks are not open; a breached clock is open until it finishes',
    );
    t.ok((await store.countOpenClocks()).every((r) => Number.isInteger(r.count)), 'counts are numbers');

    await store.apply(a.id, {}, () => ({ clocks: [clock(a.id, 'postal-delivery', { state: 'breached', breachedAt: at(30), ...finished })] }));
    await store.apply(b.id, {}, () => ({ clocks: [clock(b.id, 'business-licence', { state: 'breached', breachedAt: at(60) })] }));
    t.strictSame(
      sorted(await store.countOpenClocks()),
      ['business-licence/at_risk=1', 'business-licence/breached=1', 'overall/breached=1', 'overall/on_track=2', 'seal-engraving/paused=1'],
      'follows every committed transition',
    );
  });

  await test('countDueEffects: due work no executor holds, by kind, with the oldest due time', async (t, store) => {
    const sorted = (rows: { kind: string; count: number; oldestDueAt: string }[]) => [...rows].sort((x, y) => x.kind.localeCompare(y.kind));
    t.strictSame(await store.countDueEffects(at(10)), [], 'nothing pending, no rows');

    const app = await createApp(store, {
      newEffects: [
        effect('t0', at(0)),
        effect('c1', at(1), { kind: 'department_call', step: 'business-licence' }),
        effect('c2', at(2), { kind: 'department_call', step: 'tax-invoice' }),
        effect('t5', at(5)),
        effect('later', at(60)),
      ],
    });
    const claimed = await store.claimDueEffects('owner-a', at(1), 60_000, 2);
    t.strictSame(claimed.map((e) => e.key), ['t0', 'c1']);
    t.strictSame(sorted(await store.countDueEffects(at(1))), [], 'at 1: the due ones are leased, c2 is not due yet');
    t.strictSame(sorted(await store.countDueEffects(at(2))), [{ kind: 'department_call', count: 1, oldestDueAt: at(2) }], 'due at exactly now counts; a lease ending now still holds');

    await store.apply(app.id, { completesEffect: { id: claimed[1]!.id, owner: 'owner-a' } }, () => ({}));
    t.strictSame(
      sorted(await store.countDueEffects(at(9))),
      [
        { kind: 'department_call', count: 1, oldestDueAt: at(2) },
        { kind: 'timer', count: 2, oldestDueAt: at(0) },
      ],
      'a done effect is gone; an expired lease (a crashed executor) is due work again',
    );
    const [again] = await store.claimDueEffects('owner-b', at(9), LONG_LEASE_MS, 1);
    t.equal(again?.key, 't0');
    const other = await createApp(store, { newEffects: [effect('o3', at(3))] });
    const expected = [
      { kind: 'department_call', count: 1, oldestDueAt: at(2) },
      { kind: 'timer', count: 2, oldestDueAt: at(3) },
    ];
    t.strictSame(sorted(await store.countDueEffects('2021-03-01T09:10:00+08:00')), expected, 'across applications; a live lease is not due work; now in any ISO form');
    t.equal(
      (await store.claimDueEffects('probe', at(10), LONG_LEASE_MS, 100)).length,
      expected.reduce((n, row) => n + row.count, 0),
      'exactly what a claim at that instant would hand out',
    );
    t.strictSame(sorted(await store.countDueEffects(at(10))), [], 'and once claimed, none is left');

    await store.apply(other.id, {}, () => ({ cancelEffectKeys: ['o3'] }));
    t.strictSame(
      sorted(await store.countDueEffects(at(30))),
      [
        { kind: 'department_call', count: 1, oldestDueAt: at(2) },
        { kind: 'timer', count: 2, oldestDueAt: at(0) },
      ],
      'cancelled effects are gone; leases that expire are due again',
    );
    const [retried] = (await store.claimDueEffects('owner-c', at(30), 60_000, 1)).filter((e) => e.key === 't0');
    await store.rescheduleEffect(retried!.id, 'owner-c', at(45), 'HTTP 503');
    t.strictSame(sorted(await store.countDueEffects(at(30))).find((r) => r.kind === 'timer'), { kind: 'timer', count: 1, oldestDueAt: at(5) }, 'a retry scheduled later is not due');
  });

  // The identity section (accounts, codes, sessions, access, ops credentials, audit log).
  await runIdentityStoreConformance(t, makeStore);

  // The ops console section (board and report aggregates, search, the story's rows, notes, escalations).
  await runOpsQueriesConformance(t, makeStore);
  // The portal section (drafts, ratings).
  await runPortalStoreConformance(t, makeStore);
}
