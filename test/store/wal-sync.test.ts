// WalSync: SQLite commits made durable by an fsync of the WAL off the event loop, shared by the
// commits that end while one runs (group commit) — and never by a commit that ended after it began.

import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { WalSync, openSqlite } from '../../gateway/store/database.ts';

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-walsync-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('concurrent commits share fsyncs; sequential ones get one each', async (t) => {
  const file = join(scratch(), 'db');
  writeFileSync(`${file}-wal`, 'frames');
  const wal = new WalSync(file);
  t.teardown(() => wal.close());
  await Promise.all(Array.from({ length: 50 }, () => wal.sync()));
  t.ok(wal.syncs <= 2, `50 commits ending together: ${wal.syncs} fsyncs (the running one, then one for all who came during it)`);
  const before = wal.syncs;
  for (let i = 0; i < 5; i++) await wal.sync();
  t.equal(wal.syncs - before, 5, 'a commit after the last fsync finished starts its own');
});

t.test('a commit that ends while an fsync runs waits for the next one', async (t) => {
  const file = join(scratch(), 'db');
  writeFileSync(`${file}-wal`, 'frames');
  const wal = new WalSync(file);
  t.teardown(() => wal.close());
  const first = wal.sync();
  const second = wal.sync(); // its frames may be newer than what the running fsync covers
  t.not(first, second, 'not the running fsync');
  await first;
  t.equal(wal.syncs, 1);
  await second;
  t.equal(wal.syncs, 2, 'a second fsync, begun after the first ended, covers it');
});

t.test('no WAL file yet (nothing written): nothing to sync, no error', async (t) => {
  const wal = new WalSync(join(scratch(), 'never-written'));
  await t.resolves(wal.sync());
  await wal.close();
});

t.test('the store: synchronous=NORMAL plus our fsync, and a transaction returns only after it', async (t) => {
  const file = join(scratch(), 'gateway.db');
  const database = openSqlite({ file });
  t.teardown(() => database.close());
  const order: string[] = [];
  const realSync = WalSync.prototype.sync;
  WalSync.prototype.sync = function (this: WalSync) {
    order.push('fsync requested');
    return realSync.call(this).then(() => void order.push('fsync done'));
  };
  t.teardown(() => void (WalSync.prototype.sync = realSync));
  await database.transaction(async (conn) => {
    await sql.raw('CREATE TABLE t (v TEXT)').execute(conn);
    order.push('work done');
  });
  order.push('transaction returned');
  t.same(order, ['work done', 'fsync requested', 'fsync done', 'transaction returned']);
});

t.test('a WAL file replaced under the open handle: the fsync goes to the file now at the path', async (t) => {
  const file = join(scratch(), 'db');
  writeFileSync(`${file}-wal`, 'frames');
  const wal = new WalSync(file);
  t.teardown(() => wal.close());
  // Which inode each fsync reached, seen from FileHandle.prototype.sync itself.
  const probe = await open(`${file}-wal`, 'r');
  const handlePrototype = Object.getPrototypeOf(probe) as { sync(this: FileHandle): Promise<void> };
  await probe.close();
  const realSync = handlePrototype.sync;
  const synced: number[] = [];
  handlePrototype.sync = async function (this: FileHandle) {
    synced.push((await this.stat()).ino);
    return realSync.call(this);
  };
  t.teardown(() => void (handlePrototype.sync = realSync));

  await wal.sync();
  t.same(synced, [statSync(`${file}-wal`).ino], 'the first fsync: the WAL file');
  unlinkSync(`${file}-wal`);
  writeFileSync(`${file}-wal`, 'new frames');
  synced.length = 0;
  await wal.sync();
  t.equal(synced.at(-1), statSync(`${file}-wal`).ino, 'after the file was replaced, the last fsync reached the new one');
  synced.length = 0;
  await wal.sync();
  t.same(synced, [statSync(`${file}-wal`).ino], 'and from then on only the new one, once per commit');
});

t.test('the store: WAL mode, synchronous=NORMAL (plus our fsync), checkpoints every 10,000 pages, a 4 MB page cache', async (t) => {
  const database = openSqlite({ file: join(scratch(), 'gateway.db') });
  t.teardown(() => database.close());
  const pragma = async (name: string) => Object.values((await sql.raw(`PRAGMA ${name}`).execute(database.db)).rows[0] as Record<string, unknown>)[0];
  t.equal(await pragma('journal_mode'), 'wal');
  t.equal(await pragma('synchronous'), 1, 'NORMAL: the store fsyncs the WAL after each commit itself');
  t.equal(await pragma('wal_autocheckpoint'), 10_000);
  t.equal(await pragma('cache_size'), -4000, 'a 4 MB page cache, not the driver\'s 16 MB: native memory counts against the RSS budget');
});
