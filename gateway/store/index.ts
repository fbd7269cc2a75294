// The door of gateway/store/: the store contract (its ports) and the one implementation over
// either database. Everything else in this folder is internal.

import { openPostgres, openSqlite, type PostgresOptions, type SqliteOptions } from './database.ts';
import { createStore as createStoreOn } from './store.ts';
import type { Store } from './types.ts';

export type * from './types.ts';

export type SqliteStoreOptions = SqliteOptions & { now?: () => Date };
export type PostgresStoreOptions = PostgresOptions & { now?: () => Date };

/** The embedded store: one SQLite file (or ':memory:'). Call migrate() before use. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  return createStoreOn(openSqlite(options), options.now ? { now: options.now } : {});
}

/** The PostgreSQL store; several gateway instances may share the database. Call migrate() before use. */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  return createStoreOn(openPostgres(options), options.now ? { now: options.now } : {});
}
export { OPEN_CLOCK_STATES } from './types.ts';

export interface StoreConfig {
  /** PostgreSQL connection string; when set, PostgreSQL is used and sqliteFile is ignored. */
  databaseUrl?: string;
  /** SQLite database file (or ':memory:') for the embedded default. */
  sqliteFile: string;
  /** Pool size for PostgreSQL (default 10). */
  poolSize?: number;
  /** The clock for times the store stamps itself; defaults to the wall clock. */
  now?: () => Date;
}

/** PostgreSQL when a database URL is configured, else the embedded SQLite file (docs/design.md "Storage"). Call migrate() before use. */
export function createStore(config: StoreConfig): Store {
  if (config.databaseUrl) {
    return createPostgresStore({
      connectionString: config.databaseUrl,
      ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
      ...(config.now ? { now: config.now } : {}),
    });
  }
  return createSqliteStore({ file: config.sqliteFile, ...(config.now ? { now: config.now } : {}) });
}
