// executeAll on PostgreSQL sends several statements in ONE round trip, their parameters inlined as
// literals (gateway/store/database.ts pipelineStatements). That is only sound if every value reads
// back exactly as it does when sent as a parameter — so each tricky value is written both ways and
// the rows compared — and if a failing statement still rolls everything back.
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { openPostgres, pipelineStatements, type Database } from '../../gateway/store/database.ts';
import { createTestDatabase, getTestPostgres } from '../support/postgres.ts';

// pg.Client.prototype.query, which every pooled connection's statements go through (the round-trip count below).
const pgClientPrototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };

const server = await getTestPostgres();
const testDatabase = await createTestDatabase(server.url);
// One connection: a transaction left open or aborted on it would break every later subtest.
const database: Database = openPostgres({ connectionString: testDatabase.url, poolSize: 1 });
t.teardown(async () => {
  await database.close();
  await testDatabase.drop();
  await server.stop();
});

await sql`CREATE TABLE samples (
  way text NOT NULL, n int NOT NULL, t text, j jsonb, b bigint, f double precision, flag boolean, at timestamptz, list text[],
  PRIMARY KEY (way, n))`.execute(database.db);

const TEXTS = [
  '',
  "it's",
  "''",
  'back\\slash',
  "\\' both",
  "E'not an escape'",
  '$1 $2 $$ not placeholders',
  '; DROP TABLE samples; --',
  '公司名称（测试）',
  '😀 astral',
  'tab\there\nnewline\r',
  '"double" quotes',
];
const JSONS = [{ a: "it's" }, { path: 'C:\\dir\\"x"' }, ['中文', null, 1.5, true], 'plain', null];
const NUMBERS = [0, -1, 2 ** 53 - 1, 9007199254740993n, 1.5, -0.25, 1e21, 5e-7];
const LISTS = [[], ['a'], ['has "quote"', 'back\\slash', 'comma,inside', '{braces}', 'NULL', '', ' spaced ']];

function insert(way: string, n: number, row: Record<string, unknown>): CompiledQuery {
  return database.db
    .insertInto('samples' as never)
    .values({ way, n, ...row } as never)
    .compile();
}

function rowsFor(n: number): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  TEXTS.forEach((text, i) => rows.push({ t: text, j: JSON.stringify(JSONS[i % JSONS.length]), list: LISTS[i % LISTS.length] }));
  NUMBERS.forEach((value) => rows.push({ b: typeof value === 'bigint' || Number.isSafeInteger(value) ? value : null, f: value, flag: Number(value) > 0 }));
  rows.push({ at: '2026-12-04T09:30:00.123Z', flag: false }, { at: '2028-02-29T23:59:59+08:00', t: null, j: null });
  return rows.slice(0, n);
}

await t.test('every value reads back the same whether sent as a parameter or inlined', async (t) => {
  const rows = rowsFor(100);
  const asParameters = rows.map((row, i) => insert('parameter', i, row));
  const inlined = rows.map((row, i) => insert('inlined', i, row));
  t.ok(pipelineStatements(inlined), 'these statements can be pipelined');
  await database.transaction(async (conn) => {
    // One at a time: a single statement goes as a parameterised (prepared) query.
    for (const query of asParameters) await database.executeAll(conn, [query]);
    const results = await database.executeAll(conn, inlined);
    t.equal(results.length, inlined.length, 'one result per statement');
    t.ok(results.every((r) => r.numAffectedRows === 1n), 'each insert reports its row');
  });
  const read = async (way: string) =>
    (await sql<Record<string, unknown>>`SELECT n, t, j, b, f, flag, at, list FROM samples WHERE way = ${way} ORDER BY n`.execute(database.db)).rows;
  const [parameter, pipelined] = [await read('parameter'), await read('inlined')];
  t.equal(pipelined.length, rows.length);
  t.same(pipelined, parameter);
  // And the values are what was meant, not merely equally wrong both ways.
  t.equal(pipelined[3]!.t, 'back\\slash');
  t.equal(pipelined[7]!.t, '; DROP TABLE samples; --');
  t.same(pipelined[2]!.list, LISTS[2]);
  t.same(pipelined[1]!.j, JSONS[1]);
});

await t.test('results come back per statement, RETURNING rows included', async (t) => {
  await database.transaction(async (conn) => {
    const results = await database.executeAll(conn, [
      database.db.insertInto('samples' as never).values({ way: 'returning', n: 1, t: 'x' } as never).returning('n' as never).compile(),
      database.db.selectFrom('samples' as never).select(sql<number>`count(*)::int`.as('c')).where('way' as never, '=', 'returning' as never).compile(),
      database.db.updateTable('samples' as never).set({ t: 'y' } as never).where('way' as never, '=', 'returning' as never).compile(),
    ]);
    t.same(results[0]!.rows, [{ n: 1 }]);
    t.same(results[1]!.rows, [{ c: 1 }]);
    t.equal(results[2]!.numAffectedRows, 1n);
  });
});

await t.test('a failing statement fails the call and nothing before it survives the rollback', async (t) => {
  await t.rejects(
    database.transaction(
      async (conn) => {
        await database.executeAll(conn, [insert('aborted', 1, { t: 'kept?' }), insert('aborted', 1, { t: 'duplicate key' })]);
      },
      { beginWithFirstStatements: true },
    ),
    { code: '23505' },
  );
  const left = await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'aborted'`.execute(database.db);
  t.same(left.rows, [{ c: 0 }]);
  // The pooled connection is usable again (not left inside an aborted transaction).
  const fine = await database.transaction(async (conn) => (await database.executeAll(conn, [insert('after', 1, { t: 'ok' }), insert('after', 2, { t: 'ok' })])).length);
  t.equal(fine, 2);
});

await t.test('BEGIN goes out with the first statements: work that throws after them leaves nothing behind', async (t) => {
  await t.rejects(
    database.transaction(
      async (conn) => {
        await database.executeAll(conn, [insert('deferred', 1, { t: 'a' }), insert('deferred', 2, { t: 'b' })]);
        throw new Error('decided against it');
      },
      { beginWithFirstStatements: true },
    ),
    /decided against it/,
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'deferred'`.execute(database.db)).rows, [{ c: 0 }]);
  // Work that sends nothing commits nothing, and does not fail.
  t.equal(await database.transaction(async () => 'nothing sent', { beginWithFirstStatements: true }), 'nothing sent');
  // And statements sent after the pipelined BEGIN are in the same transaction: visible after commit.
  await database.transaction(
    async (conn) => {
      await database.executeAll(conn, [insert('deferred', 3, { t: 'c' })]);
      await database.executeAll(conn, [insert('deferred', 4, { t: 'd' }), insert('deferred', 5, { t: 'e' })]);
    },
    { beginWithFirstStatements: true },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'deferred'`.execute(database.db)).rows, [{ c: 3 }]);
});

await t.test('what cannot be inlined safely travels as parameters, one statement at a time', async (t) => {
  const withNul = insert('nul', 1, { t: 'before\u0000after' });
  t.equal(pipelineStatements([withNul, insert('nul', 2, { t: 'x' })]), undefined, 'a NUL would end the query text');
  t.equal(pipelineStatements([CompiledQuery.raw("SELECT 'literal'"), insert('q', 1, {})]), undefined, 'a statement with its own quote');
  t.equal(pipelineStatements([CompiledQuery.raw('SELECT $1', [Buffer.from('x')]), insert('q', 1, {})]), undefined, 'a value with no text form here');
  // The NUL is then refused by PostgreSQL exactly as a parameter would be, and nothing is written.
  await t.rejects(
    database.transaction((conn) => database.executeAll(conn, [insert('nul', 0, { t: 'fine' }), withNul])),
    { code: '22021' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'nul'`.execute(database.db)).rows, [{ c: 0 }]);
  // The same when BEGIN was to go out with these statements: it went out one by one with them, and
  // the failure is rolled back (the one pooled connection is clean for the next transaction).
  await t.rejects(
    database.transaction((conn) => database.executeAll(conn, [insert('nul', 0, { t: 'fine' }), withNul]), { beginWithFirstStatements: true }),
    { code: '22021' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'nul'`.execute(database.db)).rows, [{ c: 0 }]);
  t.equal(await database.transaction(async (conn) => (await database.executeAll(conn, [insert('nul', 9, { t: 'ok' })])).length), 1);
});

await t.test('COMMIT goes out with the last statements: one round trip, committed, and a failure still rolls back', async (t) => {
  // Count what reaches the server: every query on the pool's one connection.
  const sent: string[] = [];
  const realQuery = pgClientPrototype.query;
  pgClientPrototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    sent.push(typeof first === 'string' ? first : String((first as { text?: unknown }).text));
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof realQuery;
  t.teardown(() => void (pgClientPrototype.query = realQuery));

  const returned = await database.transaction(
    async (conn) => {
      await database.executeAll(conn, [database.db.selectFrom('samples' as never).select(sql<number>`count(*)::int`.as('c')).compile()]);
      const results = await database.executeAll(conn, [insert('inline-commit', 1, { t: 'a' }), insert('inline-commit', 2, { t: 'b' })], { thenCommit: true });
      t.equal(results.length, 2, 'the results are the statements’ own (not BEGIN’s or COMMIT’s)');
      t.ok(results.every((r) => r.numAffectedRows === 1n));
      return 'done';
    },
    { beginWithFirstStatements: true },
  );
  t.equal(returned, 'done');
  t.equal(sent.length, 2, `two round trips for the whole transaction (BEGIN + read, writes + COMMIT): ${JSON.stringify(sent.map((q) => q.slice(0, 40)))}`);
  t.match(sent[1], /COMMIT$/, 'COMMIT was the end of the second');
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'inline-commit'`.execute(database.db)).rows, [{ c: 2 }], 'committed');

  // A failing statement: the server skips the rest, COMMIT included; the transaction is rolled back.
  await t.rejects(
    database.transaction(
      (conn) => database.executeAll(conn, [insert('inline-commit', 3, { t: 'c' }), insert('inline-commit', 1, { t: 'duplicate key' })], { thenCommit: true }),
      { beginWithFirstStatements: true },
    ),
    { code: '23505' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'inline-commit'`.execute(database.db)).rows, [{ c: 2 }], 'nothing of the failed one');
  // Statements that cannot be inlined go one by one, COMMIT last; the pooled connection is clean after.
  await database.transaction((conn) => database.executeAll(conn, [insert('inline-commit', 4, { t: "it's" }), CompiledQuery.raw("SELECT 'own quote'")], { thenCommit: true }));
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'inline-commit'`.execute(database.db)).rows, [{ c: 3 }]);
  t.equal(await database.transaction(async (conn) => (await database.executeAll(conn, [insert('inline-commit', 5, { t: 'ok' })])).length), 1, 'the next transaction works');
});
