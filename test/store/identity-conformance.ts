// The identity section of the store conformance suite (gateway/store/types.ts "Identity store"),
// run by test/store/conformance.ts against every implementation. Every time below is explicit (no
// wall clock): the store decides expiry and rate limits from the times it is given.

import { randomBytes } from 'node:crypto';
import { verifyAuditChain } from '../../gateway/store/audit-chain.ts';
import type { AccessGrant, NewAuditEntry, NewSignInCode, Store } from '../../gateway/store/index.ts';
import { makeApplicationForm } from '../fixtures/application.ts';
import type { MakeStore, StoreUnderTest, Test } from './conformance.ts';

const hex = () => randomBytes(32).toString('hex');
const T0 = Date.parse('2026-03-02T01:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const LIMITS = { minIntervalMs: 60_000, maxPerWindow: 3, windowMs: 3_600_000 };

function code(mobileKey: string, codeHash: string, issuedAtSeconds: number, overrides: Partial<NewSignInCode> = {}): NewSignInCode {
  return { mobileKey, codeHash, issuedAt: at(issuedAtSeconds), expiresAt: at(issuedAtSeconds + 300), maxAttempts: 3, limits: LIMITS, ...overrides };
}

function signIn(mobileKey: string, codeHash: string, atSeconds: number, tokenHash = hex()) {
  return { mobileKey, codeHash, at: at(atSeconds), mobileHint: '138****0001', session: { tokenHash, expiresAt: at(atSeconds + 3600) } };
}

function audit(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: at(0),
    actorName: 'wang.li',
    actorRole: 'operator',
    action: 'step.retry',
    applicationId: null,
    step: null,
    year: null,
    credential: null,
    status: 202,
    code: null,
    requestId: `req-${randomBytes(3).toString('hex')}`,
    ...overrides,
  };
}

async function application(store: Store, options: { submittedAt?: string; access?: AccessGrant[]; companyName?: string; mobile?: string } = {}) {
  const id = `app-${randomBytes(5).toString('hex')}`;
  const form = makeApplicationForm({ companyName: options.companyName ?? `三门峡${id}科技有限公司`, legalRepresentative: { mobile: options.mobile ?? '13838800001' } });
  const { created } = await store.createApplication({ id, idempotencyKey: null, bodyHash: 'h', form, submittedAt: options.submittedAt ?? at(0), access: options.access ?? [] }, {});
  if (!created) throw new Error('not created');
  return id;
}

export async function runIdentityStoreConformance(t: Test, makeStore: MakeStore): Promise<void> {
  const test = (name: string, body: (t: Test, store: Store, sut: StoreUnderTest) => Promise<void>) =>
    t.test(`identity: ${name}`, async (t) => {
      const sut = await makeStore();
      t.teardown(() => sut.cleanup());
      await sut.store.migrate();
      await body(t, sut.store, sut);
    });

  await test('createApplication writes its access grants in the same transaction; a repeat of the key writes none', async (t, store) => {
    const owner = `account:${hex()}`;
    const rep = `mobile:${hex()}`;
    const id = `app-${randomBytes(5).toString('hex')}`;
    const form = makeApplicationForm();
    const first = await store.createApplication(
      { id, idempotencyKey: 'account:x:key-1', bodyHash: 'h', form, submittedAt: at(0), access: [{ principal: owner, relation: 'owner' }, { principal: rep, relation: 'legal_representative' }] },
      {},
    );
    t.equal(first.created, true);
    t.strictSame(await store.getApplicationAccess(id, [owner]), ['owner']);
    t.strictSame(await store.getApplicationAccess(id, [owner, rep]), ['legal_representative', 'owner']);
    t.strictSame(await store.getApplicationAccess(id, [`account:${hex()}`]), [], 'someone else: nothing');
    t.strictSame(await store.getApplicationAccess(id, []), [], 'nobody: nothing');
    const intruder = `account:${hex()}`;
    const repeat = await store.createApplication(
      { id: 'other-id', idempotencyKey: 'account:x:key-1', bodyHash: 'h', form, submittedAt: at(1), access: [{ principal: intruder, relation: 'owner' }] },
      {},
    );
    t.equal(repeat.created, false);
    t.strictSame(await store.getApplicationAccess(id, [intruder]), [], 'a repeated key grants nothing');
  });

  await test('sign-in codes: one per interval, a few per window, atomically', async (t, store, sut) => {
    const mobile = `m-${hex()}`;
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 0)), { issued: true });
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 20)), { issued: false, retryAfterMs: 40_000 }, 'within the interval');
    t.strictSame(await store.issueSignInCode(code(`m-${hex()}`, hex(), 20)), { issued: true }, 'another number is not limited');
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 60)), { issued: true });
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 200)), { issued: true });
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 400)), { issued: false, retryAfterMs: 3_600_000 - 400_000 }, 'the window is full until the oldest leaves it');
    t.strictSame(await store.issueSignInCode(code(mobile, hex(), 3601)), { issued: true }, 'then one more');

    const racer = `m-${hex()}`;
    const others = sut.openAnother ? [await sut.openAnother(), await sut.openAnother()] : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    const instances = [store, ...others];
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => instances[i % instances.length]!.issueSignInCode(code(racer, hex(), 0))));
    t.equal(outcomes.filter((o) => o.issued).length, 1, 'concurrent requests: exactly one code is issued');
  });

  await test('signIn: wrong guesses count, the right code is used once, an account is made once', async (t, store, sut) => {
    const mobile = `m-${hex()}`;
    const right = hex();
    t.strictSame(await store.signIn(signIn(mobile, right, 0)), { ok: false, reason: 'none' }, 'no code asked for');
    await store.issueSignInCode(code(mobile, right, 0));
    t.strictSame(await store.signIn(signIn(mobile, hex(), 10)), { ok: false, reason: 'wrong' });
    const token = hex();
    const ok = await store.signIn(signIn(mobile, right, 20, token));
    t.equal(ok.ok, true, 'the right code');
    const accountId = ok.ok ? ok.accountId : '';
    t.strictSame(await store.signIn(signIn(mobile, right, 21)), { ok: false, reason: 'none' }, 'a used code is dead');
    const session = await store.getSession(token, at(30));
    t.strictSame(session, { accountId, mobileKey: mobile, mobileHint: '138****0001', createdAt: at(20), expiresAt: at(3620) });

    const second = hex();
    await store.issueSignInCode(code(mobile, second, 100));
    const again = await store.signIn(signIn(mobile, second, 110));
    t.strictSame(again, { ok: true, accountId }, 'the same number signs in to the same account');

    // Exhausted: three wrong guesses, then even the right code fails.
    const third = hex();
    await store.issueSignInCode(code(mobile, third, 200));
    t.strictSame(await store.signIn(signIn(mobile, hex(), 201)), { ok: false, reason: 'wrong' });
    t.strictSame(await store.signIn(signIn(mobile, hex(), 202)), { ok: false, reason: 'wrong' });
    t.strictSame(await store.signIn(signIn(mobile, hex(), 203)), { ok: false, reason: 'exhausted' });
    t.strictSame(await store.signIn(signIn(mobile, third, 204)), { ok: false, reason: 'exhausted' }, 'the right code after too many wrong ones');

    // Only the newest code is live; an expired one is dead.
    t.match(await store.issueSignInCode(code(mobile, hex(), 300)), { issued: false }, '(the window of this number is full)');
    const fresh = `m-${hex()}`;
    const older = hex();
    const newer = hex();
    t.strictSame(await store.issueSignInCode(code(fresh, older, 300)), { issued: true });
    t.strictSame(await store.issueSignInCode(code(fresh, newer, 400)), { issued: true });
    t.strictSame(await store.signIn(signIn(fresh, older, 401)), { ok: false, reason: 'wrong' }, 'an older code no longer works');
    t.strictSame(await store.signIn(signIn(fresh, newer, 400 + 300)), { ok: false, reason: 'none' }, 'at its expiry the code is dead');

    // The same right code raced from several instances: one session.
    const racer = `m-${hex()}`;
    const raceCode = hex();
    await store.issueSignInCode(code(racer, raceCode, 0));
    const others = sut.openAnother ? [await sut.openAnother(), await sut.openAnother()] : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    const instances = [store, ...others];
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => instances[i % instances.length]!.signIn(signIn(racer, raceCode, 5))));
    t.equal(outcomes.filter((o) => o.ok).length, 1, 'a code signs in once, however many try at once');
  });

  await test('sessions expire and are revoked', async (t, store) => {
    const mobile = `m-${hex()}`;
    const c = hex();
    const token = hex();
    await store.issueSignInCode(code(mobile, c, 0));
    await store.signIn(signIn(mobile, c, 0, token));
    t.ok(await store.getSession(token, at(3599)), 'live until its expiry');
    t.equal(await store.getSession(token, at(3600)), undefined, 'dead at its expiry');
    t.equal(await store.getSession(hex(), at(1)), undefined, 'an unknown token');
    t.equal(await store.revokeSession(token, at(10)), true);
    t.equal(await store.getSession(token, at(11)), undefined, 'revoked');
    t.equal(await store.revokeSession(token, at(12)), false, 'twice: nothing to revoke');
  });

  await test('applications by principal: newest first, paged, relations merged, legal representative replaced', async (t, store) => {
    const me = `account:${hex()}`;
    const myMobile = `mobile:${hex()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await application(store, { submittedAt: at(i * 10), companyName: `三门峡第${i}科技有限公司`, access: [{ principal: i % 2 === 0 ? me : `account:${hex()}`, relation: 'owner' }, { principal: i < 3 ? myMobile : `mobile:${hex()}`, relation: 'legal_representative' }] }));
    }
    const sameTime = await application(store, { submittedAt: at(40), access: [{ principal: me, relation: 'owner' }] });
    await application(store, { access: [{ principal: `account:${hex()}`, relation: 'owner' }] });

    const all = await store.listAccessibleApplications([me, myMobile], { limit: 10 });
    const expected = [ids[4]!, sameTime].sort().reverse().concat([ids[2]!, ids[1]!, ids[0]!]);
    t.strictSame(all.map((a) => a.id), expected, 'newest first; equal times by id, descending');
    t.strictSame(all.find((a) => a.id === ids[0])?.relations, ['legal_representative', 'owner'], 'both relations, once');
    t.strictSame(all.find((a) => a.id === ids[1])?.relations, ['legal_representative']);
    t.match(all.find((a) => a.id === ids[3]), undefined, 'not mine in any way: not listed');
    const first = all.find((a) => a.id === ids[0])!;
    t.match(first, { companyName: '三门峡第0科技有限公司', state: 'in_progress', submittedAt: at(0), completedAt: null, legalRepresentativeMobile: '13838800001' });

    const page1 = await store.listAccessibleApplications([me, myMobile], { limit: 2 });
    const last = page1.at(-1)!;
    const page2 = await store.listAccessibleApplications([me, myMobile], { limit: 2, before: { submittedAt: last.submittedAt, id: last.id } });
    const page3 = await store.listAccessibleApplications([me, myMobile], { limit: 2, before: { submittedAt: page2.at(-1)!.submittedAt, id: page2.at(-1)!.id } });
    t.strictSame([...page1, ...page2, ...page3].map((a) => a.id), expected, 'keyset pages join up without gaps or repeats');
    t.strictSame(await store.listAccessibleApplications([], { limit: 5 }), [], 'no principals, nothing');

    const newRep = `mobile:${hex()}`;
    await store.replaceApplicationAccess(ids[1]!, 'legal_representative', [newRep], at(100));
    t.strictSame(await store.getApplicationAccess(ids[1]!, [myMobile]), [], 'the former legal representative is replaced');
    t.strictSame(await store.getApplicationAccess(ids[1]!, [newRep]), ['legal_representative']);
    t.strictSame((await store.listAccessibleApplications([newRep], { limit: 5 })).map((a) => [a.id, a.submittedAt]), [[ids[1], at(10)]], 'keeps the submission time for paging');
  });

  await test('ops credentials: names are never reused, revocation keeps its first time', async (t, store) => {
    const tokenHash = hex();
    const row = { name: 'wang.li', role: 'operator' as const, tokenHash, createdAt: at(0), createdBy: 'bootstrap-admin', revokedAt: null };
    t.equal(await store.createOpsCredential(row), true);
    t.equal(await store.createOpsCredential({ ...row, tokenHash: hex(), role: 'admin' }), false, 'the name exists');
    t.strictSame(await store.getOpsCredential(tokenHash), row);
    t.equal(await store.getOpsCredential(hex()), undefined);
    await store.createOpsCredential({ ...row, name: 'grafana', role: 'viewer', tokenHash: hex(), createdAt: at(5) });
    t.strictSame((await store.listOpsCredentials()).map((c) => c.name), ['wang.li', 'grafana']);
    t.strictSame(await store.revokeOpsCredential('wang.li', at(10)), { ...row, revokedAt: at(10) });
    t.strictSame(await store.revokeOpsCredential('wang.li', at(20)), { ...row, revokedAt: at(10) }, 'revoked once');
    t.strictSame(await store.getOpsCredential(tokenHash), { ...row, revokedAt: at(10) }, 'still found, as revoked');
    t.equal(await store.revokeOpsCredential('nobody', at(10)), undefined);
    t.equal(await store.createOpsCredential({ ...row, tokenHash: hex() }), false, 'a revoked name is not reused');
  });

  await test('audit log: a hash chain, filtered and paged; concurrent appends do not fork it', async (t, store, sut) => {
    const a = await store.appendAudit(audit({ applicationId: 'app-1', step: 'tax-invoice' }));
    const b = await store.appendAudit(audit({ at: at(5), action: 'calendar.load', actorName: 'admin', actorRole: 'admin', year: 2027, status: 200 }));
    const c = await store.appendAudit(audit({ at: at(9), action: 'step.retry', applicationId: 'app-2', step: 'bank-account', status: 409, code: 'STEP_NOT_RETRYABLE' }));
    t.match([a.seq, b.seq, c.seq], [1, 2, 3]);
    t.equal(a.prevHash, '0'.repeat(64));
    t.equal(b.prevHash, a.hash);
    t.equal(c.prevHash, b.hash);
    t.strictSame(await store.listAudit({ order: 'asc', limit: 10 }), [a, b, c], 'entries read back exactly');
    t.strictSame((await store.listAudit({ order: 'desc', limit: 2 })).map((e) => e.seq), [3, 2]);
    t.strictSame((await store.listAudit({ order: 'desc', limit: 2, beforeSeq: 2 })).map((e) => e.seq), [1]);
    t.strictSame((await store.listAudit({ order: 'asc', limit: 10, afterSeq: 1 })).map((e) => e.seq), [2, 3]);
    t.strictSame((await store.listAudit({ order: 'desc', limit: 10, action: 'step.retry' })).map((e) => e.seq), [3, 1]);
    t.strictSame((await store.listAudit({ order: 'desc', limit: 10, actorName: 'admin' })).map((e) => e.seq), [2]);
    t.strictSame((await store.listAudit({ order: 'desc', limit: 10, applicationId: 'app-2' })).map((e) => e.seq), [3]);
    t.strictSame((await store.listAudit({ order: 'desc', limit: 10, from: at(5), to: at(9) })).map((e) => e.seq), [2], '[from, to)');

    const others = sut.openAnother ? [await sut.openAnother(), await sut.openAnother()] : [];
    t.teardown(() => Promise.all(others.map((s) => s.close())));
    await Promise.all(others.map((s) => s.migrate()));
    const instances = [store, ...others];
    await Promise.all(Array.from({ length: 24 }, (_, i) => instances[i % instances.length]!.appendAudit(audit({ requestId: `race-${i}` }))));
    const chain = await store.listAudit({ order: 'asc', limit: 100 });
    t.strictSame(chain.map((e) => e.seq), Array.from({ length: 27 }, (_, i) => i + 1), 'no gaps, no duplicates');
    t.match(await verifyAuditChain(chain), { ok: true, count: 27 }, 'and the chain verifies');
  });
}
