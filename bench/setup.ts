// What every part of the benchmark sets up the same way: the six mock departments on loopback
// with zero latency, a fresh store (a temp SQLite file on disk, or a fresh PostgreSQL database),
// and the gateway configuration pointing at both.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CORE_STEP_IDS, type StepId } from '../contracts/index.ts';
import type { GatewayConfigInput } from '../gateway/config.ts';
import { startMockDepartments, type MockBehaviourInput, type MockDepartments } from '../mocks/index.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

export type StoreKind = 'sqlite' | 'postgres';

export const SECRETS = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, `bench-secret-${s}-0123456789abcdef`])) as Record<StepId, string>;

/**
 * Zero latency everywhere; the two asynchronous departments (seal engraving, tax) accept at once
 * and call back with no delay, so what is measured is the gateway, not a simulated department.
 */
export function startMocks(seed: number, behaviour: Partial<Record<StepId, MockBehaviourInput>> = {}): Promise<MockDepartments<(typeof CORE_STEP_IDS)[number]>> {
  return startMockDepartments({
    secrets: SECRETS,
    host: '127.0.0.1',
    seed,
    behaviour: {
      'seal-engraving': { callbackDelayMs: 0 },
      'tax-invoice': { callbackDelayMs: 0 },
      ...behaviour,
    },
  });
}

export function gatewayConfig(
  target: StoreTarget,
  urls: Record<string, string>,
  extra: { logLevel: string; orchestration?: GatewayConfigInput['orchestration'] },
): GatewayConfigInput {
  return {
    host: '127.0.0.1',
    port: 0,
    logLevel: extra.logLevel as GatewayConfigInput['logLevel'],
    ...(target.kind === 'postgres' ? { databaseUrl: target.url } : { sqliteFile: target.sqliteFile }),
    departments: Object.fromEntries(CORE_STEP_IDS.map((s) => [s, { url: urls[s]!, secret: SECRETS[s] }])),
    // The benchmark is one client submitting as fast as it can: per-client limits would measure themselves.
    rateLimits: { enabled: false },
    ...(extra.orchestration ? { orchestration: extra.orchestration } : {}),
  };
}

export interface StoreTarget {
  kind: StoreKind;
  /** PostgreSQL: the fresh database's URL. */
  url?: string;
  /** SQLite: the database file (in a fresh temp directory on disk). */
  sqliteFile?: string;
  /** Size of the database on disk (SQLite file + WAL) or pg_database_size. */
  sizeBytes(): Promise<number>;
  /** PostgreSQL: pids of the server's processes (backends and background workers, from pg_stat_activity); [] for SQLite. */
  serverPids(): Promise<number[]>;
  drop(): Promise<void>;
}

export async function freshStore(kind: StoreKind, postgresUrl: string | undefined, directory?: string): Promise<StoreTarget> {
  if (kind === 'sqlite') {
    // On disk, as the embedded store runs (synchronous=FULL): not on tmpfs, where fsync is free.
    const dir = directory ?? mkdtempSync(join(tmpdir(), 'qlt-bench-'));
    const sqliteFile = join(dir, 'gateway.db');
    return {
      kind,
      sqliteFile,
      async sizeBytes() {
        const size = (f: string) => {
          try {
            return statSync(f).size;
          } catch {
            return 0;
          }
        };
        return size(sqliteFile) + size(`${sqliteFile}-wal`);
      },
      serverPids: async () => [],
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!postgresUrl) throw new Error('no PostgreSQL server');
  const db = await createTestDatabase(postgresUrl);
  const queryOne = async <R extends pg.QueryResultRow>(sql: string): Promise<R[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    kind,
    url: db.url,
    async sizeBytes() {
      return Number((await queryOne<{ size: string }>('SELECT pg_database_size(current_database()) AS size'))[0]!.size);
    },
    async serverPids() {
      // Leaves out our own short-lived connection, which is gone by the time its CPU is read.
      return (await queryOne<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()')).map((r) => r.pid);
    },
    drop: () => db.drop(),
  };
}
