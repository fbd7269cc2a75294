// A PostgreSQL server for tests, from the first source that works (docs/design.md "Platform notes"):
//
//  (a) testcontainers, when a container engine is reachable. The image comes from
//      TEST_POSTGRES_IMAGE (default postgres:15) and must already be local where no registry is
//      reachable. An engine started with `dockerd --bridge=none` has no bridge network; containers
//      then share the host's network (detected, or forced with TEST_POSTGRES_NETWORK_MODE=host),
//      so no port can be mapped and the server listens on a free loopback port itself. The reaper
//      follows TESTCONTAINERS_RYUK_DISABLED, which testcontainers reads on its own.
//      With no engine at all testcontainers fails in milliseconds with "Could not find a working
//      container runtime strategy", and we fall through.
//      Inside a container (/.dockerenv) testcontainers looks for the engine's host through the
//      bridge network's gateway, which a bridge-less engine does not have: it then reports the
//      same "no working strategy" error. TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (host networking
//      makes loopback right) avoids that look-up; .ci/run sets it. The image can be built locally
//      with test/support/build-postgres-image.sh (no registry needed).
//  (b) DATABASE_URL, when set (a server someone else runs; stop() leaves it alone).
//  (c) A throwaway local cluster from the PostgreSQL 15 binaries: initdb + pg_ctl as the postgres
//      user (both refuse to run as root), trust auth, 127.0.0.1 on a free port, fsync off (on for getTestPostgres({ durable: true })). stop()
//      stops it and deletes its directory; a watchdog does the same if this process dies first.
//
// TEST_POSTGRES_SOURCE=testcontainers|DATABASE_URL|local-cluster insists on one source (and fails
// if it is unavailable) — e.g. CI proving the container path, or a developer skipping it.
//
// Share one server per test file and isolate runs with createTestDatabase() or a schema.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './net.ts';

const run = promisify(execFile);

export type TestPostgresSource = 'testcontainers' | 'DATABASE_URL' | 'local-cluster';

export interface TestPostgres {
  /** Connection string of a database the tests may create databases and schemas in. */
  url: string;
  source: TestPostgresSource;
  stop(): Promise<void>;
}

const PG_BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const NO_ENGINE = 'Could not find a working container runtime strategy';
const READY_LOG = /database system is ready to accept connections/;

export interface TestPostgresOptions {
  /**
   * fsync, synchronous_commit and full-page writes ON, as in production (the benchmarks measure
   * with them). By default a test server turns them off: tests check behaviour, not durability
   * against power loss, and run much faster without.
   */
  durable?: boolean;
}

const SOURCES: Record<TestPostgresSource, (o: TestPostgresOptions) => Promise<TestPostgres | undefined>> = {
  testcontainers: (o) => fromTestcontainers(o),
  DATABASE_URL: async () => fromDatabaseUrl(),
  'local-cluster': (o) => startLocalCluster(o),
};

/** Server settings of a test server: fast unless `durable`. */
const speedSettings = (options: TestPostgresOptions) => (options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);

export async function getTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const started = Date.now();
  const only = process.env.TEST_POSTGRES_SOURCE;
  let server: TestPostgres | undefined;
  if (only) {
    if (!Object.hasOwn(SOURCES, only)) throw new Error(`TEST_POSTGRES_SOURCE must be one of ${Object.keys(SOURCES).join(', ')}; got "${only}"`);
    server = await SOURCES[only as TestPostgresSource](options);
    if (!server) throw new Error(`TEST_POSTGRES_SOURCE=${only}, but that source is not available (no container engine, or no DATABASE_URL)`);
  } else {
    server = (await fromTestcontainers(options)) ?? fromDatabaseUrl() ?? (await startLocalCluster(options));
  }
  console.error(`# test PostgreSQL: ${server.source} (${redact(server.url)})${options.durable ? ', fsync on' : ''}, ready in ${Date.now() - started} ms`);
  return server;
}

/** A fresh, empty database on the server; drop() removes it (closing leftover connections). */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A random schema name for one isolated run inside a shared database. */
export function randomSchemaName(prefix = 's'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const redact = (url: string) => url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');

// ── (a) testcontainers ───────────────────────────────────────────────────────────────────────

async function fromTestcontainers(options: TestPostgresOptions = {}): Promise<TestPostgres | undefined> {
  // Imported lazily: loading testcontainers costs time the other sources need not pay.
  const { getContainerRuntimeClient, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');

  /**
   * PostgreSqlContainer on the host's network. Docker maps no ports there, and testcontainers would
   * wait for the mapping of the 5432 the constructor exposes, so that exposure is removed; PGPORT
   * makes the entrypoint's temporary server and the pg_isready health check use our port too.
   */
  class HostNetworkPostgreSqlContainer extends PostgreSqlContainer {
    constructor(image: string, port: number) {
      super(image);
      this.exposedPorts = [];
      delete this.createOpts.ExposedPorts;
      this.hostConfig.PortBindings = {};
      this.withNetworkMode('host').withEnvironment({ PGPORT: String(port) });
    }
  }

  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  try {
    client = await getContainerRuntimeClient();
  } catch (error) {
    if (error instanceof Error && error.message.includes(NO_ENGINE)) {
      if (existsSync('/var/run/docker.sock') && process.env.TESTCONTAINERS_HOST_OVERRIDE === undefined) {
        console.error('# test PostgreSQL: a Docker socket exists but testcontainers found no working strategy; inside a container with a bridge-less engine set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1');
      }
      return undefined;
    }
    throw error;
  }

  const image = process.env.TEST_POSTGRES_IMAGE ?? 'postgres:15';
  const mode = process.env.TEST_POSTGRES_NETWORK_MODE;
  const hostNetwork =
    mode === 'host' ||
    (mode === undefined &&
      !(await client.network
        .getById('bridge')
        .inspect()
        .then(
          () => true,
          () => false,
        )));
  if (hostNetwork && process.env.TESTCONTAINERS_RYUK_DISABLED !== 'true') {
    console.error('# test PostgreSQL: the engine has no bridge network; the Ryuk reaper needs one — set TESTCONTAINERS_RYUK_DISABLED=true if starting it fails');
  }
  // The official image's entrypoint starts a temporary server to initialise the cluster, then the
  // real one: the second "ready" line is the one that counts.
  const ready = Wait.forLogMessage(READY_LOG, 2);
  const settings = [...speedSettings(options), '-c', 'max_connections=200'];

  if (!hostNetwork) {
    const container = await new PostgreSqlContainer(image).withWaitStrategy(ready).withCommand(['postgres', ...settings]).start();
    return { url: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  }

  const port = await freePort();
  const container = await new HostNetworkPostgreSqlContainer(image, port)
    .withWaitStrategy(ready)
    .withCommand(['postgres', '-p', String(port), '-c', 'listen_addresses=127.0.0.1', ...settings])
    .start();
  const url = `postgres://${container.getUsername()}:${container.getPassword()}@127.0.0.1:${port}/${container.getDatabase()}`;
  return { url, source: 'testcontainers', stop: async () => void (await container.stop()) };
}

// ── (b) DATABASE_URL ─────────────────────────────────────────────────────────────────────────

function fromDatabaseUrl(): TestPostgres | undefined {
  const url = process.env.DATABASE_URL;
  if (!url) return undefined;
  return { url, source: 'DATABASE_URL', stop: async () => {} };
}

// ── (c) a throwaway local cluster ────────────────────────────────────────────────────────────

async function startLocalCluster(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const asRoot = process.getuid?.() === 0;
  // initdb and pg_ctl refuse to run as root: run them as the postgres user.
  const as = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
  const base = mkdtempSync(join(tmpdir(), 'qlt-pg-'));
  const data = join(base, 'data');
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(base, uid, gid);
  }
  const pgCtl = join(PG_BIN, 'pg_ctl');
  const stopCommand = as(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w']);
  try {
    await run(...as(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']));
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`initdb failed (is PostgreSQL 15 installed in ${PG_BIN}?): ${(error as Error).message}`);
  }

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const serverOptions = [...(options.durable ? [] : ['-F']), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', base, ...speedSettings(options), '-c', 'max_connections=200'].join(' ');
    try {
      await run(...as(pgCtl, ['start', '-D', data, '-l', join(base, 'server.log'), '-w', '-t', '30', '-o', serverOptions]));
      break;
    } catch (error) {
      // Most likely the port was taken between freePort() and start: try another.
      if (attempt >= 3) {
        rmSync(base, { recursive: true, force: true });
        throw new Error(`pg_ctl start failed: ${(error as Error).message}`);
      }
    }
  }

  // If this process dies without calling stop() (a crash, a kill by the test runner), the watchdog
  // stops the cluster and deletes it once our pid is gone.
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${[stopCommand[0], ...stopCommand[1]].map(quote).join(' ')} >/dev/null 2>&1; rm -rf ${quote(base)}`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  let stopped = false;
  const cleanUp = () => {
    stopped = true;
    process.removeListener('exit', stopOnExit);
    rmSync(base, { recursive: true, force: true });
    if (watchdog.pid !== undefined) {
      try {
        process.kill(watchdog.pid);
      } catch {
        // already gone
      }
    }
  };
  // 'exit' handlers must be synchronous.
  const stopOnExit = () => {
    if (stopped) return;
    spawnSync(stopCommand[0], stopCommand[1], { stdio: 'ignore' });
    cleanUp();
  };
  process.once('exit', stopOnExit);

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    source: 'local-cluster',
    async stop() {
      if (stopped) return;
      await run(...stopCommand).catch(() => undefined);
      cleanUp();
    },
  };
}
