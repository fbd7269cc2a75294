// The door of gateway/store/: the store contract and its two implementations. Everything else in
// this folder is internal.

import { createPostgresStore } from './postgres-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

export type * from './types.ts';
export { OPEN_CLOCK_STATES } from './types.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.ts';

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
