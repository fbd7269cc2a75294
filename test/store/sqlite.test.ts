// The store conformance suite against the embedded SQLite store: a temporary file per run (so a
// second instance can open the same database), deleted in teardown; and once over ':memory:'.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { createSqliteStore } from '../../gateway/store/index.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'qlt-sqlite-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

await t.test('file database', (t) =>
  runStoreConformance(t, async () => {
    const file = join(dir, `store-${++n}.db`);
    const store = createSqliteStore({ file });
    const others: ReturnType<typeof createSqliteStore>[] = [];
    return {
      store,
      dialect: 'sqlite' as const,
      rawExec: async (text: string) => {
        const db = new Database(file);
        try {
          db.exec(text);
        } finally {
          db.close();
        }
      },
      openAnother: async () => {
        const other = createSqliteStore({ file });
        others.push(other);
        return other;
      },
      cleanup: async () => {
        await Promise.all([store, ...others].map((s) => s.close()));
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      },
    };
  }),
);

await t.test('in-memory database', async (t) => {
  const store = createSqliteStore({ file: ':memory:' });
  t.teardown(() => store.close());
  await store.migrate();
  await store.migrate();
  const { created } = await store.createApplication(
    { id: 'mem-1', idempotencyKey: 'k', bodyHash: 'h', form: {} as never, submittedAt: '2026-01-05T01:00:00.000Z' },
    { events: [{ type: 'application.submitted', step: null, at: '2026-01-05T01:00:00.000Z', data: {} }] },
  );
  t.equal(created, true);
  t.equal((await store.listEvents('mem-1', 0, 10)).length, 1);
});

await t.test('the database file is in WAL mode', async (t) => {
  const file = join(dir, 'pragmas.db');
  const store = createSqliteStore({ file });
  await store.migrate();
  await store.close();
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});
