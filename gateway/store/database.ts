// The one place where the two databases differ: how to open them, how to begin a write transaction,
// which column types and row-locking clauses they have, how values travel in and out, and how other
// instances hear about a commit. Everything else in this folder (the transaction protocol, the
// outbox, the event log, the queries) is written once, with Kysely, against `Database`.
//
// SQLite (embedded default, better-sqlite3 12): one connection; WAL, and every commit is fsynced
// before it returns (an acknowledged callback must never be lost on power loss) — but not on the
// event loop: see WalSync below. Write transactions are BEGIN IMMEDIATE:
// the write lock is taken up front, so two processes sharing the file cannot both read and then
// collide on write (the second waits up to busy_timeout). Times are TEXT in the fixed-width UTC form
// of Date#toISOString(), so text order is time order; JSON is TEXT.
//
// PostgreSQL (when DATABASE_URL is set; several instances share it): READ COMMITTED, rows locked
// with FOR UPDATE (applications in id order, so batches never deadlock one another), due work
// claimed with FOR UPDATE SKIP LOCKED; times are timestamptz, JSON is jsonb. Commits are announced
// to other instances with NOTIFY (delivered at commit, never for a rollback) on one channel.

import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
  type Transaction,
} from 'kysely';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { toIso as normaliseIso } from './common.ts';
import type { Json } from './types.ts';
import type { DatabaseSchema } from './schema.ts';

export type Db = Kysely<DatabaseSchema>;

// Each driver is loaded when a store of its kind is opened, not at start-up: a gateway runs on one
// of the two, and the other's driver would only sit in memory (pg with its protocol and type
// parsers, better-sqlite3 with its native addon). Both are CommonJS, so require() loads them
// synchronously and openSqlite/openPostgres stay synchronous.
const requireDriver = createRequire(import.meta.url);
const loadSqliteDriver = () => requireDriver('better-sqlite3') as typeof BetterSqlite3;
const loadPostgresDriver = () => requireDriver('pg') as typeof pg;

/** A connection (or a transaction) that queries run on. */
export type Conn = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;

export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  /** Column types for migrations. */
  readonly types: { time: string; json: string; bool: string; bigId: string; float: string; textList: string; strict: string; strictKeyed: string };
  /** Rows are locked by FOR UPDATE (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers. */
  readonly rowLocks: boolean;
  /** Values going into a JSON, boolean, list or time column. */
  json(value: Json | undefined): unknown;
  bool(value: boolean): unknown;
  textList(value: readonly string[]): unknown;
  /** Values coming out of those columns. */
  readJson<T = Json>(raw: unknown): T;
  readBool(raw: unknown): boolean;
  readTextList(raw: unknown): string[];
  readTime(raw: unknown): string;
  readTimeOrNull(raw: unknown): string | null;
  /** A count or bigint column, as a number. */
  readNumber(raw: unknown): number;
  /** SQL for the larger of two values (MAX(a, b) in SQLite, GREATEST in PostgreSQL). */
  greatest: 'MAX' | 'GREATEST';
}

export interface Database {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Identifies this process's store in change notifications (so it can ignore its own). */
  readonly instanceId: string;
  /** Names the lock under which migrations run (one per PostgreSQL schema). */
  readonly migrationLockName: string;
  /** Creates what must exist before migrations (PostgreSQL: the configured schema). */
  prepare(): Promise<void>;
  /**
   * Runs `work` in ONE write transaction on one connection (BEGIN IMMEDIATE on SQLite). Throws what
   * `work` throws after rolling back. PostgreSQL deadlocks and serialisation failures are surfaced
   * with `retryable: true` so the caller can run the (pure) work again.
   */
  transaction<T>(work: (conn: Conn) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs statements in order on `conn` (a transaction's connection) and returns each one's result,
   * as if each had been executed alone. PostgreSQL sends them in ONE round trip (see
   * preparingPool); SQLite runs them one after another in-process, where there is no round
   * trip to save. A failing statement fails the call, and the transaction must then be rolled back.
   */
  executeAll(conn: Conn, queries: readonly CompiledQuery[], options?: ExecuteAllOptions): Promise<Array<QueryResult<Record<string, unknown>>>>;
  /** Runs a multi-statement SQL script (migrations of the initial schema) on a connection in a transaction. */
  execScript(conn: Conn, text: string): Promise<void>;
  /**
   * Serialises the rest of the transaction with every other one taking the same named lock, across
   * instances (PostgreSQL: a transaction-level advisory lock; SQLite: BEGIN IMMEDIATE already does).
   */
  lock(conn: Conn, name: string): Promise<void>;
  /** The statement that queues a change notification for other instances, sent at commit (PostgreSQL; none on SQLite). */
  notification(payload: string): CompiledQuery | undefined;
  /** Starts listening for other instances' notifications (PostgreSQL); returns a stop function. */
  listen(onPayload: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ExecuteAllOptions {
  /**
   * These are the transaction's last statements: on PostgreSQL its COMMIT goes out with them (one
   * round trip less), and the transaction's own COMMIT is skipped. When a statement fails, those
   * after it fail too (the transaction is aborted), the COMMIT rolls back, and the transaction is
   * rolled back as after any failure. The work must send nothing after this call. SQLite commits
   * after the work as always.
   */
  thenCommit?: boolean;
}

export interface TransactionOptions {
  /**
   * PostgreSQL: do not send BEGIN on its own; the transaction's first executeAll carries it (one
   * round trip less). Only for work whose first statement goes through executeAll. SQLite ignores it:
   * BEGIN IMMEDIATE is an in-process call.
   */
  beginWithFirstStatements?: boolean;
}

export const CHANGE_CHANNEL = 'qlt_changes';

/** A time column's value (a Date from pg, a string from SQLite) in toISOString's form. */
const toIso = (raw: unknown): string => normaliseIso(raw instanceof Date ? raw : String(raw));

const common = {
  readTime: toIso,
  readTimeOrNull: (raw: unknown) => (raw === null || raw === undefined ? null : toIso(raw)),
  readNumber: (raw: unknown) => Number(raw),
};

const SQLITE_DIALECT: Dialect = {
  kind: 'sqlite',
  types: { time: 'TEXT', json: 'TEXT', bool: 'INTEGER', bigId: 'INTEGER', float: 'REAL', textList: 'TEXT', strict: ' STRICT', strictKeyed: ' STRICT, WITHOUT ROWID' },
  rowLocks: false,
  json: (value) => JSON.stringify(value ?? null),
  bool: (value) => (value ? 1 : 0),
  textList: (value) => JSON.stringify(value),
  readJson: <T>(raw: unknown) => JSON.parse(raw as string) as T,
  readBool: (raw) => raw === 1 || raw === true,
  readTextList: (raw) => JSON.parse(raw as string) as string[],
  greatest: 'MAX',
  ...common,
};

const POSTGRES_DIALECT: Dialect = {
  kind: 'postgres',
  types: { time: 'timestamptz', json: 'jsonb', bool: 'boolean', bigId: 'bigint', float: 'double precision', textList: 'text[]', strict: '', strictKeyed: '' },
  rowLocks: true,
  // Sent as JSON text; PostgreSQL parses it into the jsonb column.
  json: (value) => JSON.stringify(value ?? null),
  bool: (value) => value,
  textList: (value) => [...value],
  readJson: <T>(raw: unknown) => raw as T,
  readBool: (raw) => raw === true,
  readTextList: (raw) => raw as string[],
  greatest: 'GREATEST',
  ...common,
};

// 40P01 deadlock_detected, 40001 serialization_failure: the transaction did not commit; run it again.
const RETRYABLE = new Set(['40P01', '40001']);

export class RetryableTransactionError extends Error {
  readonly retryable = true;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * BEGIN, work, COMMIT on one connection; ROLLBACK when anything throws. With `deferBegin` the caller
 * promises that BEGIN goes out with its first statements (pending.has(conn) until then); a
 * transaction whose work never sent anything has nothing to commit or roll back.
 */
async function inTransaction<T>(db: Db, begin: string, work: (conn: Conn) => Promise<T>, pending?: WeakSet<Conn>, committed?: WeakSet<Conn>): Promise<T> {
  return db.connection().execute(async (conn) => {
    if (pending) pending.add(conn);
    else await sql.raw(begin).execute(conn);
    const open = () => !pending?.has(conn);
    let result: T;
    try {
      result = await work(conn);
    } catch (error) {
      // (A COMMIT sent with the last statements rolled back the aborted transaction, or failed
      // itself: either way ROLLBACK leaves the connection outside any transaction.)
      committed?.delete(conn);
      if (open()) await sql.raw('ROLLBACK').execute(conn).catch(() => undefined);
      pending?.delete(conn);
      const code = (error as { code?: unknown }).code;
      throw typeof code === 'string' && RETRYABLE.has(code) ? new RetryableTransactionError(error) : error;
    }
    if (committed?.delete(conn)) return result;
    if (!open()) {
      pending?.delete(conn);
      return result;
    }
    try {
      await sql.raw('COMMIT').execute(conn);
    } catch (error) {
      await sql.raw('ROLLBACK').execute(conn).catch(() => undefined);
      const code = (error as { code?: unknown }).code;
      throw typeof code === 'string' && RETRYABLE.has(code) ? new RetryableTransactionError(error) : error;
    }
    return result;
  });
}

/** One statement after another, each result as Kysely's driver gives it. */
async function executeInTurn(conn: Conn, queries: readonly CompiledQuery[]): Promise<Array<QueryResult<Record<string, unknown>>>> {
  const results: Array<QueryResult<Record<string, unknown>>> = [];
  for (const query of queries) results.push(await conn.executeQuery<Record<string, unknown>>(query));
  return results;
}

export interface SqliteOptions {
  /** Path of the database file, or ':memory:' (one connection, nothing shared, nothing kept). */
  file: string;
  /** How long to wait for another connection's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

/**
 * Kysely's SQLite driver, with two differences. Statements are prepared once and kept: preparing is
 * most of the cost of a small statement, and the protocol runs the same few all day. And a busy
 * database (another connection holds the write lock) is waited for ASYNCHRONOUSLY: better-sqlite3's
 * busy_timeout would block the event loop — and with it any transaction of this process that holds
 * the lock and is between two statements, which could then never finish.
 */
class SqliteDriver implements Driver {
  readonly #raw: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;
  readonly #prepared = new Map<string, BetterSqlite3.Statement>();
  #locked: Promise<void> | undefined;
  #unlock: (() => void) | undefined;

  constructor(raw: BetterSqlite3.Database, busyTimeoutMs: number) {
    this.#raw = raw;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection: one user at a time (a transaction holds it from BEGIN to COMMIT).
    while (this.#locked) await this.#locked;
    this.#locked = new Promise((resolve) => (this.#unlock = resolve));
    return { executeQuery: (query) => this.#execute(query), streamQuery: () => { throw new Error('streaming is not used'); } };
  }

  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#locked = undefined;
    this.#unlock = undefined;
    unlock?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }
  async destroy(): Promise<void> {
    this.#raw.close();
  }

  #statement(text: string): BetterSqlite3.Statement {
    let statement = this.#prepared.get(text);
    if (!statement) {
      statement = this.#raw.prepare(text);
      // Bounded: console searches build many shapes of query; the protocol's few stay hot.
      if (this.#prepared.size < 2000) this.#prepared.set(text, statement);
    }
    return statement;
  }

  async #execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        const statement = this.#statement(query.sql);
        if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
        const { changes, lastInsertRowid } = statement.run(query.parameters);
        return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
      } catch (error) {
        // Nothing was executed: safe to try again once the other writer is done.
        if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
        await sleep(wait);
      }
    }
  }
}

/**
 * Durability of SQLite commits without blocking the event loop, with group commit.
 *
 * synchronous=FULL in WAL mode means: fsync the WAL file at every COMMIT. better-sqlite3 is
 * synchronous, so that fsync (0.3 ms on an idle disk, several ms on a busy one) would stop the whole
 * process — no HTTP, no other transaction — once per commit. Instead the connection runs with
 * synchronous=NORMAL (SQLite still syncs the WAL and the database file around every checkpoint, so
 * a checkpoint never loses a frame) and the store fsyncs the WAL file ITSELF after each COMMIT, on
 * libuv's thread pool, before the transaction's promise resolves. FULL = NORMAL + fsync(WAL) at each
 * commit: the same durability, and nothing that follows a commit (an answer, a department call, a
 * change notification) happens before its frames are on disk.
 *
 * Group commit: an fsync covers every frame written before it began. A commit that ends while one is
 * running waits for the next, which all such commits share — under load, one fsync per burst. Meanwhile
 * the connection is already free for the next transaction.
 *
 * Reads of this process may see a commit in the instant before its fsync (they share the connection);
 * anything they act on is committed later and therefore made durable together with it.
 */
export class WalSync {
  readonly #path: string;
  #handle: FileHandle | undefined;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  /** fsync calls made (each covers every commit that asked before it began). */
  syncs = 0;

  constructor(databaseFile: string) {
    this.#path = `${databaseFile}-wal`;
  }

  /** Resolves once every frame committed before this call is on disk. */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    // One is running, but it may have begun before our frames were written: wait for the next.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<void> {
    const running = this.#fsync().finally(() => {
      if (this.#running === running) this.#running = null;
    });
    this.#running = running;
    return running;
  }

  async #fsync(): Promise<void> {
    this.syncs++;
    try {
      this.#handle ??= await open(this.#path, 'r');
      // The WAL file keeps its inode while the connection is open (it is reset, never deleted). That
      // is checked anyway, at no cost in latency: an fstat of the same handle runs beside the fsync
      // (both on the thread pool). A file no longer linked (nlink 0) is not the WAL SQLite writes:
      // reopen by name and sync again. (Two stat calls before the fsync, as this did before, cost
      // ~0.4 ms of every commit's latency on a busy machine.)
      const [, held] = await Promise.all([this.#handle.sync(), this.#handle.stat()]);
      if (held.nlink === 0) {
        await this.#handle.close();
        this.#handle = undefined;
        this.#handle = await open(this.#path, 'r');
        await this.#handle.sync();
      }
    } catch (error) {
      // No WAL file: nothing was ever written through it (a read-only transaction), nothing to sync.
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    }
  }

  async close(): Promise<void> {
    await this.#next?.catch(() => undefined);
    await this.#running?.catch(() => undefined);
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

export function openSqlite(options: SqliteOptions): Database {
  // busy_timeout 0: the driver waits for a busy database itself, without blocking the event loop.
  const raw = new (loadSqliteDriver())(options.file, { timeout: 0 });
  raw.pragma('journal_mode = WAL');
  // Checkpoints (WAL frames copied into the database file, then both fsynced) run inside the COMMIT
  // that crosses the limit, on the event loop. SQLite's default, every 1,000 pages, made them the
  // largest cost of COMMIT under load (1.86 ms a commit on average in the SQLite throughput run,
  // 1.19 ms with 10,000; the longest COMMIT, a checkpoint, 26 vs 31 ms). Fewer checkpoints pay the
  // two fsyncs less often; the WAL file grows to ~40 MB between them.
  raw.pragma('wal_autocheckpoint = 10000');
  // NORMAL + our own fsync of the WAL after each commit = FULL, off the event loop (WalSync).
  // An in-memory database has nothing to sync: FULL costs nothing there.
  const memory = options.file === ':memory:' || options.file === '';
  raw.pragma(memory ? 'synchronous = FULL' : 'synchronous = NORMAL');
  const walSync = memory ? null : new WalSync(options.file);
  raw.pragma('foreign_keys = ON');
  // The page cache is native memory, outside V8's heap limit. better-sqlite3 builds SQLite with a
  // 16 MB default; 4 MB keeps the hot pages (indexes' upper levels, the due-work index) and leaves
  // the rest to the OS's file cache. With 100,000 applications in flight (a 700 MB database) the
  // catch-up after a crash peaked at 196.9 MiB RSS with 16 MB and 187.6 MiB with 4 MB, at the same
  // pace; the SLA board and the throughput run were unchanged (docs/operations.md, memory).
  raw.pragma('cache_size = -4000');
  const driver = new SqliteDriver(raw, options.busyTimeoutMs ?? 5000);
  const sqliteDialect: KyselyDialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const db = new Kysely<DatabaseSchema>({ dialect: sqliteDialect });
  let closed = false;
  return {
    db,
    dialect: SQLITE_DIALECT,
    instanceId: randomUUID(),
    migrationLockName: 'quanliantong:migrate',
    prepare: async () => {},
    async transaction(work) {
      const result = await inTransaction(db, 'BEGIN IMMEDIATE', work);
      // The connection is free again; the commit is acknowledged once it is on disk.
      await walSync?.sync();
      return result;
    },
    executeAll: executeInTurn,
    // The single connection is held by the caller's transaction: run on it directly.
    execScript: async (_conn, text) => void raw.exec(text),
    lock: async () => {},
    notification: () => undefined,
    // One process per SQLite file in production: nobody else to hear from.
    listen: async () => async () => {},
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await walSync?.close();
    },
  };
}

export interface PostgresOptions {
  connectionString: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Schema to keep the tables in (search_path); created by migrate(). Lower-case letters, digits, _. */
  schema?: string;
  /** Errors of idle pooled connections (the pool drops the connection and opens another when needed). */
  onPoolError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * What executeAll hands to the pool as a query text: not SQL, but the sign that the statements in
 * the first parameter are to be pipelined (see preparingPool). No SQL text can start with it.
 */
const PIPELINE = '\u0000pipeline';

/**
 * The pool Kysely gets: pg's, with every parameterised statement sent as a NAMED prepared
 * statement. PostgreSQL then parses each distinct statement once per connection instead of at
 * every execution (and plans it once, when it settles on a generic plan) — the protocol runs the
 * same few all day. Names are a digest of the text; statements without parameters (BEGIN, COMMIT,
 * migration scripts with several commands) go as they are.
 *
 * The connections run in pg's pipeline mode, which writes each query to the socket at once instead
 * of after the previous one's answer. Kysely awaits every statement before the next, so nothing
 * changes for its own queries; executeAll (PIPELINE) sends a transaction's statements one after
 * another without waiting, and the server answers them in order: one round trip for all of them,
 * each a prepared statement with its values bound as parameters (pg's own encoding, no literals
 * written by us). Each statement ends with its own Sync, so one that fails does not stop the server
 * from reading the rest — inside the transaction they fail too (25P02, "current transaction is
 * aborted"), a COMMIT among them rolls back, and the first failure is the one reported.
 */
function preparingPool(pool: pg.Pool) {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `q${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      if (names.size < 10_000) names.set(text, name);
    }
    return name;
  };
  const send = (client: pg.PoolClient, text: string, values: readonly unknown[]) =>
    values.length > 0 ? client.query({ name: nameOf(text), text, values: values as unknown[] }) : client.query(text);
  return {
    async connect() {
      const client = await pool.connect();
      return {
        async query(text: string, values?: unknown[]) {
          if (text === PIPELINE) {
            const statements = values![0] as readonly CompiledQuery[];
            // All written before any answer is read; settled in order.
            const sent = statements.map((q) => send(client, q.sql, q.parameters));
            const settled = await Promise.allSettled(sent);
            const failed = settled.find((r) => r.status === 'rejected');
            if (failed) throw failed.reason;
            return { command: 'PIPELINE', rowCount: null, rows: settled.map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value) };
          }
          return send(client, text, values ?? []);
        },
        release: (error?: Error | boolean) => client.release(error),
      };
    },
    end: () => pool.end(),
  } as unknown as pg.Pool;
}

export function openPostgres(options: PostgresOptions): Database {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _ (at most 63)`);
  }
  const connection = {
    connectionString: options.connectionString,
    application_name: 'quanliantong-gateway',
    // Set at connection start-up, so no query can ever run against another schema.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  };
  const { Pool, Client } = loadPostgresDriver();
  // pipeline: see preparingPool. (The LISTEN connection and prepare()'s are plain clients.)
  const pool = new Pool({ ...connection, max: options.poolSize ?? 10, pipeline: true } as pg.PoolConfig);
  pool.on('error', (error) => options.onPoolError?.(error));
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  const instanceId = randomUUID();
  let closed = false;
  const listeners = new Set<pg.Client>();
  // Transactions whose BEGIN goes out with their first executeAll (TransactionOptions), and those
  // whose COMMIT went out with their last (ExecuteAllOptions.thenCommit).
  const beginPending = new WeakSet<Conn>();
  const committedInline = new WeakSet<Conn>();
  return {
    db,
    dialect: POSTGRES_DIALECT,
    instanceId,
    migrationLockName: `quanliantong:migrate:${schema ?? ''}`,
    async prepare() {
      if (schema === undefined) return;
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
      const client = new Client({ connectionString: options.connectionString });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (exists.rowCount === 0) {
          // IF NOT EXISTS does not hold against a concurrent CREATE: another instance starting at the
          // same moment can win the race between the check and the insert into pg_namespace (23505).
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch((error: unknown) => {
            const code = (error as { code?: unknown }).code;
            if (code !== '23505' && code !== '42P06') throw error;
          });
        }
      } finally {
        await client.end();
      }
    },
    transaction: (work, options) => inTransaction(db, 'BEGIN', work, options?.beginWithFirstStatements ? beginPending : undefined, committedInline),
    async executeAll(conn, queries, options) {
      const begin = beginPending.has(conn);
      const commit = options?.thenCommit === true;
      const statements = [...(begin ? [CompiledQuery.raw('BEGIN')] : []), ...queries, ...(commit ? [CompiledQuery.raw('COMMIT')] : [])];
      // From here on COMMIT is on its way too: the transaction must not send its own.
      if (commit) committedInline.add(conn);
      // From here on BEGIN is on its way: a failure must be rolled back (inTransaction sees it open).
      beginPending.delete(conn);
      const ours = (results: Array<QueryResult<Record<string, unknown>>>) => results.slice(begin ? 1 : 0, commit ? -1 : undefined);
      if (statements.length === 1) return ours(await executeInTurn(conn, statements));
      // ONE round trip for all of them (preparingPool). The server runs them in order inside the
      // transaction; the first error aborts it and fails the rest (the caller rolls back).
      const { rows } = await conn.executeQuery<pg.QueryResult>(CompiledQuery.raw(PIPELINE, [statements]));
      if (rows.length !== statements.length) throw new Error(`a pipeline of ${statements.length} statements returned ${rows.length} results`);
      const results = rows.map((r) => ({
        rows: r.rows as Array<Record<string, unknown>>,
        ...(r.command === 'INSERT' || r.command === 'UPDATE' || r.command === 'DELETE' ? { numAffectedRows: BigInt(r.rowCount ?? 0) } : {}),
      }));
      return ours(results);
    },
    execScript: async (conn, text) => {
      // No parameters: pg sends it with the simple protocol, which takes several statements.
      await sql.raw(text).execute(conn);
    },
    lock: async (conn, name) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`quanliantong:${schema ?? ''}:${name}`}))`.execute(conn);
    },
    notification: (payload) => sql`SELECT pg_notify(${CHANGE_CHANNEL}, ${payload})`.compile(db),
    async listen(onPayload, onReconnect) {
      // A dedicated connection (LISTEN holds its session); reconnected with backoff if it drops.
      let stopped = false;
      let client: pg.Client | undefined;
      let attempt = 0;
      const reconnect = () => {
        if (stopped || closed) return;
        const delay = Math.min(10_000, 100 * 2 ** attempt++);
        setTimeout(() => {
          connect().then(onReconnect, reconnect);
        }, delay).unref();
      };
      const connect = async (): Promise<void> => {
        if (stopped || closed) return;
        const next = new Client(connection);
        next.on('notification', (message) => {
          if (message.channel === CHANGE_CHANNEL && message.payload) onPayload(message.payload);
        });
        next.on('error', () => {
          // 'end' follows; reconnect there.
        });
        next.on('end', () => {
          const wasListening = listeners.delete(next);
          if (wasListening) reconnect();
        });
        await next.connect();
        await next.query(`LISTEN ${CHANGE_CHANNEL}`);
        attempt = 0;
        client = next;
        listeners.add(next);
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...listeners].map((c) => c.end()));
      await db.destroy();
    },
  };
}
