// executeAll on PostgreSQL sends several statements in ONE round trip: pg's pipeline mode writes them
// all before reading any answer, each a named prepared statement with its values bound as parameters
// (gateway/store/database.ts preparingPool). So every value must read back exactly as when its
// statement is sent alone — each tricky value is written both ways and the rows compared — the
// answers must come back to the right statements, and a failing statement must still roll
// everything back and be the failure reported (not the "transaction is aborted" of those after it).
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { openPostgres, type Database } from '../../gateway/store/database.ts';
import { createTestDatabase, getTestPostgres } from '../support/postgres.ts';


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

await t.test('every value reads back the same whether its statement went alone or in a pipeline', async (t) => {
  const rows = rowsFor(100);
  const alone = rows.map((row, i) => insert('alone', i, row));
  const inPipeline = rows.map((row, i) => insert('pipelined', i, row));
  await database.transaction(async (conn) => {
    // One at a time: a single statement goes through Kysely as usual.
    for (const query of alone) await database.executeAll(conn, [query]);
    const results = await database.executeAll(conn, inPipeline);
    t.equal(results.length, inPipeline.length, 'one result per statement');
    t.ok(results.every((r) => r.numAffectedRows === 1n), 'each insert reports its row');
  });
  const read = async (way: string) =>
    (await sql<Record<string, unknown>>`SELECT n, t, j, b, f, flag, at, list FROM samples WHERE way = ${way} ORDER BY n`.execute(database.db)).rows;
  const [sentAlone, pipelined] = [await read('alone'), await read('pipelined')];
  t.equal(pipelined.length, rows.length);
  t.same(pipelined, sentAlone);
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

await t.test('values no query text could hold are bound like any other; a NUL is refused and nothing is written', async (t) => {
  const withNul = insert('nul', 1, { t: 'before\u0000after' });
  // PostgreSQL refuses the NUL exactly as it refuses it in a statement sent alone, and nothing is written.
  await t.rejects(
    database.transaction((conn) => database.executeAll(conn, [insert('nul', 0, { t: 'fine' }), withNul])),
    { code: '22021' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'nul'`.execute(database.db)).rows, [{ c: 0 }]);
  // The same when BEGIN went out with these statements: the failure is rolled back, and the one
  // pooled connection is clean for the next transaction.
  await t.rejects(
    database.transaction((conn) => database.executeAll(conn, [insert('nul', 0, { t: 'fine' }), withNul]), { beginWithFirstStatements: true }),
    { code: '22021' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'nul'`.execute(database.db)).rows, [{ c: 0 }]);
  t.equal(await database.transaction(async (conn) => (await database.executeAll(conn, [insert('nul', 9, { t: 'ok' })])).length), 1);
  // Statements with quotes, dollar signs and semicolons of their own, and bytes as a value.
  const results = await database.transaction((conn) =>
    database.executeAll(conn, [CompiledQuery.raw("SELECT 'it''s; $1 $$' AS v"), CompiledQuery.raw('SELECT length($1::bytea) AS n', [Buffer.from([0, 1, 2])])]),
  );
  t.same(results[0]!.rows, [{ v: "it's; $1 $$" }]);
  t.same(results[1]!.rows, [{ n: 3 }]);
});

await t.test('COMMIT goes out with the last statements: one round trip, committed, and a failure still rolls back', async (t) => {
  // What goes over the wire and when the server's answers come back, at the protocol level: a
  // statement is sent when its last message is (Query for a simple statement, Sync for a prepared
  // one), answered at ReadyForQuery. A round trip is a run of sends before the next answer. (Without
  // pg's pipeline mode every statement would wait for the previous answer: one round trip each.)
  const trace: string[] = [];
  const connection = (pg as unknown as { Connection: { prototype: Record<string, (...args: unknown[]) => unknown> } }).Connection.prototype;
  const { query: realSimpleQuery, sync: realSync, emit: realEmit } = connection;
  connection.query = function (this: unknown, ...args: unknown[]) {
    trace.push(`send ${String(args[0]).slice(0, 30)}`);
    return realSimpleQuery!.apply(this, args);
  };
  connection.sync = function (this: unknown, ...args: unknown[]) {
    trace.push('send prepared');
    return realSync!.apply(this, args);
  };
  connection.emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] === 'readyForQuery') trace.push('answer');
    return realEmit!.apply(this, args);
  };
  t.teardown(() => Object.assign(connection, { query: realSimpleQuery, sync: realSync, emit: realEmit }));
  const roundTrips = () => trace.filter((e, i) => e.startsWith('send') && (i === 0 || trace[i - 1] === 'answer')).length;

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
  t.equal(roundTrips(), 2, `two round trips for the whole transaction (BEGIN + read, writes + COMMIT): ${JSON.stringify(trace)}`);
  t.equal(trace.filter((e) => e.startsWith('send')).length, 5, 'BEGIN, the read, two inserts, COMMIT');
  t.match(trace.filter((e) => e.startsWith('send')).at(-1), /^send COMMIT/, 'COMMIT was the last');
  t.equal(trace.filter((e) => e === 'answer').length, 5, 'and each statement was answered');
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'inline-commit'`.execute(database.db)).rows, [{ c: 2 }], 'committed');

  // A failing statement: those after it fail inside the aborted transaction and the COMMIT rolls
  // back; the failure reported is the first one (23505), not theirs (25P02).
  await t.rejects(
    database.transaction(
      (conn) =>
        database.executeAll(conn, [insert('inline-commit', 3, { t: 'c' }), insert('inline-commit', 1, { t: 'duplicate key' }), insert('inline-commit', 6, { t: 'after' })], {
          thenCommit: true,
        }),
      { beginWithFirstStatements: true },
    ),
    { code: '23505' },
  );
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'inline-commit'`.execute(database.db)).rows, [{ c: 2 }], 'nothing of the failed one');
  t.equal(await database.transaction(async (conn) => (await database.executeAll(conn, [insert('inline-commit', 5, { t: 'ok' })])).length), 1, 'the next transaction works');
});

await t.test('pipelined statements are prepared once per connection and then only bound', async (t) => {
  const statement = (n: number) => insert('prepared', n, { t: 'x' });
  for (let round = 0; round < 3; round++) {
    await database.transaction((conn) => database.executeAll(conn, [statement(2 * round), statement(2 * round + 1)]));
  }
  const prepared = await sql<{ c: number }>`SELECT count(*)::int AS c FROM pg_prepared_statements WHERE statement = ${statement(0).sql}`.execute(database.db);
  t.same(prepared.rows, [{ c: 1 }], 'one prepared statement on the connection for the six executions');
  t.same((await sql`SELECT count(*)::int AS c FROM samples WHERE way = 'prepared'`.execute(database.db)).rows, [{ c: 6 }]);
});
