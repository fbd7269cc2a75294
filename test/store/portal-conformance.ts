// The portal section of the store conformance suite (gateway/store/types.ts "Portal store"): drafts
// and ratings, run by test/store/conformance.ts against every implementation. Times are explicit.

import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../../gateway/store/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import type { MakeStore, StoreUnderTest, Test } from './conformance.ts';

const hex = () => randomBytes(16).toString('hex');
const T0 = Date.parse('2026-03-02T01:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** A signed-in account (drafts belong to one). */
async function account(store: Store, seconds = 0): Promise<string> {
  const mobileKey = hex();
  const codeHash = hex();
  await store.issueSignInCode({ mobileKey, codeHash, issuedAt: at(seconds), expiresAt: at(seconds + 300), maxAttempts: 3, limits: { minIntervalMs: 0, maxPerWindow: 10, windowMs: 3_600_000 } });
  const outcome = await store.signIn({ mobileKey, codeHash, at: at(seconds + 1), mobileHint: '138****0001', session: { tokenHash: hex(), expiresAt: at(seconds + 3600) } });
  if (!outcome.ok) throw new Error('no account');
  return outcome.accountId;
}

async function application(store: Store, idempotencyKey: string | null = null): Promise<string> {
  const id = `app-${hex()}`;
  const { created } = await store.createApplication({ id, idempotencyKey, bodyHash: 'h', form: makeApplicationForm(), submittedAt: at(0), access: [] }, {});
  if (!created) throw new Error('not created');
  return id;
}

export async function runPortalStoreConformance(t: Test, makeStore: MakeStore): Promise<void> {
  const test = (name: string, body: (t: Test, store: Store, sut: StoreUnderTest) => Promise<void>) =>
    t.test(`portal: ${name}`, async (t) => {
      const sut = await makeStore();
      t.teardown(() => sut.cleanup());
      await sut.store.migrate();
      await body(t, sut.store, sut);
    });

  await test('drafts belong to their account, keep their form as JSON and are listed last changed first', async (t, store) => {
    const owner = await account(store);
    const other = await account(store, 10);
    const scope = `account:${owner}`;
    const form = { companyName: '三门峡草稿科技有限公司', shareholders: [{ kind: 'person', name: '张伟' }], registeredCapitalYuan: 1_000_000, note: null };
    const a = randomUUID();
    const b = randomUUID();
    t.match(await store.createDraft({ id: a, accountId: owner, form, companyName: form.companyName, at: at(100) }, 5, scope), { ok: true });
    t.match(await store.createDraft({ id: b, accountId: owner, form: {}, companyName: null, at: at(200) }, 5, scope), { ok: true });
    const read = await store.getDraft(a, owner, scope);
    t.strictSame(read, { id: a, accountId: owner, form, companyName: form.companyName, createdAt: at(100), updatedAt: at(100), submittedApplicationId: null }, 'the form comes back as it went in');
    t.equal(await store.getDraft(a, other, `account:${other}`), undefined, "another account does not see it");
    t.strictSame((await store.listDrafts(owner, scope)).map((d) => d.id), [b, a], 'newest change first');
    const saved = await store.saveDraft(a, owner, scope, { form: { companyName: '三门峡改名科技有限公司' }, companyName: '三门峡改名科技有限公司', at: at(300) });
    t.match(saved, { ok: true, draft: { id: a, updatedAt: at(300), createdAt: at(100), companyName: '三门峡改名科技有限公司' } });
    t.strictSame((await store.listDrafts(owner, scope)).map((d) => d.id), [a, b], 'a save moves it to the top');
    t.strictSame(await store.saveDraft(a, other, `account:${other}`, { form: {}, companyName: null, at: at(400) }), { ok: false, reason: 'not_found' }, 'another account cannot save it');
    t.equal(await store.deleteDraft(b, other), false, 'nor delete it');
    t.equal(await store.deleteDraft(b, owner), true);
    t.equal(await store.getDraft(b, owner, scope), undefined, 'deleted');
    t.strictSame((await store.listDrafts(other, `account:${other}`)), []);
  });

  await test('a draft submitted under its key is found submitted, cannot be saved again, and leaves the list and the limit', async (t, store) => {
    const owner = await account(store);
    const scope = `account:${owner}`;
    const first = randomUUID();
    const second = randomUUID();
    t.match(await store.createDraft({ id: first, accountId: owner, form: {}, companyName: null, at: at(1) }, 2, scope), { ok: true });
    t.match(await store.createDraft({ id: second, accountId: owner, form: {}, companyName: null, at: at(2) }, 2, scope), { ok: true });
    t.strictSame(await store.createDraft({ id: randomUUID(), accountId: owner, form: {}, companyName: null, at: at(3) }, 2, scope), { ok: false, reason: 'limit' }, 'at the limit');
    // Another account's key with the same draft id does not count: the scope is part of the key.
    await application(store, `account:someone-else:draft-${first}`);
    t.equal((await store.getDraft(first, owner, scope))?.submittedApplicationId, null);
    const applicationId = await application(store, `${scope}:draft-${first}`);
    t.equal((await store.getDraft(first, owner, scope))?.submittedApplicationId, applicationId, 'the application with its key is the record');
    t.strictSame(await store.saveDraft(first, owner, scope, { form: { x: 1 }, companyName: null, at: at(5) }), { ok: false, reason: 'submitted', applicationId });
    t.strictSame((await store.listDrafts(owner, scope)).map((d) => d.id), [second], 'a submitted draft is not listed');
    t.match(await store.createDraft({ id: randomUUID(), accountId: owner, form: {}, companyName: null, at: at(6) }, 2, scope), { ok: true }, 'and does not count against the limit');
  });

  await test('ratings: given once per application and target, all or none; queried and counted by time', async (t, store) => {
    const app1 = await application(store);
    const app2 = await application(store);
    const by = `account:${hex()}`;
    const added = await store.addRatings(app1, by, at(10), [
      { target: 'overall', level: 5, comment: '很方便', poor: false },
      { target: 'seal-engraving', level: 2, comment: '刻章慢', poor: true },
    ]);
    t.match(added, { ok: true, ratings: [{ target: 'overall', level: 5 }, { target: 'seal-engraving', level: 2, poor: true }] });
    t.strictSame(
      await store.addRatings(app1, by, at(11), [
        { target: 'tax-invoice', level: 4, comment: null, poor: false },
        { target: 'seal-engraving', level: 5, comment: null, poor: false },
      ]),
      { ok: false, reason: 'already_rated', targets: ['seal-engraving'] },
      'a target rated already refuses the whole submission',
    );
    t.strictSame((await store.listRatings(app1)).map((r) => [r.target, r.level, r.comment, r.poor, r.ratedBy, r.ratedAt, r.followUp]), [
      ['overall', 5, '很方便', false, by, at(10), null],
      ['seal-engraving', 2, '刻章慢', true, by, at(10), null],
    ], 'nothing of the refused submission was written');
    await store.addRatings(app2, by, at(100), [{ target: 'overall', level: 1, comment: null, poor: true }]);
    t.strictSame((await store.queryRatings({ poor: true, limit: 10 })).map((r) => [r.applicationId, r.target]), [[app2, 'overall'], [app1, 'seal-engraving']], 'poor ratings, newest first');
    t.strictSame((await store.queryRatings({ poor: true, from: at(50), to: at(200), limit: 10 })).map((r) => r.applicationId), [app2], 'by time');
    t.strictSame(
      await store.countRatings(at(0), at(1000)),
      [
        { target: 'overall', level: 1, count: 1 },
        { target: 'overall', level: 5, count: 1 },
        { target: 'seal-engraving', level: 2, count: 1 },
      ],
    );
    t.strictSame(await store.countRatings(at(0), at(50)), [{ target: 'overall', level: 5, count: 1 }, { target: 'seal-engraving', level: 2, count: 1 }], 'the end is exclusive');
    const followed = await store.followUpRating(app2, 'overall', { at: at(200), by: 'wang.li', note: '已电话回访，问题已解决' });
    t.strictSame(followed?.followUp, { at: at(200), by: 'wang.li', note: '已电话回访，问题已解决' });
    const again = await store.followUpRating(app2, 'overall', { at: at(300), by: 'li.na', note: '再次回访' });
    t.strictSame(again?.followUp, { at: at(200), by: 'wang.li', note: '已电话回访，问题已解决' }, 'the first follow-up stays');
    t.equal(await store.followUpRating(app2, 'tax-invoice', { at: at(300), by: 'x', note: 'y' }), undefined, 'no such rating');
    t.strictSame((await store.queryRatings({ poor: true, followedUp: false, limit: 10 })).map((r) => r.applicationId), [app1], 'still to follow up');
    t.strictSame((await store.queryRatings({ poor: true, followedUp: true, limit: 10 })).map((r) => r.applicationId), [app2]);
  });
}
