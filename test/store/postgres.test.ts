// The store conformance suite against PostgreSQL. One server for the file (testcontainers,
// DATABASE_URL or a throwaway local cluster: see test/support/postgres.ts), one fresh database for
// the file, and a fresh schema for every subtest.
import pg from 'pg';
import t from 'tap';
import { createPostgresStore } from '../../gateway/store/index.ts';
import type { Store } from '../../gateway/store/index.ts';
import { createTestDatabase, dropSchema, getTestPostgres, randomSchemaName } from '../support/postgres.ts';
import { runStoreConformance } from './conformance.ts';

const started = Date.now();
const server = await getTestPostgres();
t.comment(`PostgreSQL from ${server.source}, ready in ${Date.now() - started} ms`);
const database = await createTestDatabase(server.url);
t.teardown(async () => {
  await database.drop();
  await server.stop();
});

await t.test('schema per run', (t) =>
  runStoreConformance(t, async () => {
    const schema = randomSchemaName();
    const open = () => createPostgresStore({ connectionString: database.url, schema, poolSize: 8 });
    const store = open();
    const others: Store[] = [];
    return {
      store,
      dialect: 'postgres' as const,
      rawExec: async (text: string) => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path = "${schema}"; ${text}`);
        } finally {
          await client.end();
        }
      },
      openAnother: async () => {
        const other = open();
        others.push(other);
        return other;
      },
      cleanup: async () => {
        await Promise.all([store, ...others].map((s) => s.close()));
        await dropSchema(database.url, schema);
      },
    };
  }),
);

await t.test('without a schema option: the connection’s own search_path, several instances', async (t) => {
  const own = await createTestDatabase(server.url);
  t.teardown(() => own.drop());
  const stores = [1, 2, 3].map(() => createPostgresStore({ connectionString: own.url, poolSize: 2 }));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  await Promise.all(stores.map((s) => s.migrate()));
  await stores[0]!.ping();
  const { created, application } = await stores[1]!.createApplication(
    { id: 'a-1', idempotencyKey: null, bodyHash: 'h', form: {} as never, submittedAt: '2026-01-05T09:00:00+08:00' },
    {},
  );
  t.equal(created, true);
  t.strictSame(await stores[2]!.getApplication('a-1'), application);
  t.equal(application.submittedAt, '2026-01-05T01:00:00.000Z');
});

await t.test('refuses a schema name it would have to quote', async (t) => {
  t.throws(() => createPostgresStore({ connectionString: database.url, schema: 'Robert"; DROP TABLE x' }), /Invalid PostgreSQL schema name/);
});
