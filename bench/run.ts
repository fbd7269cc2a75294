// `npm run bench [-- flags]`: throughput, overhead and idle memory of the gateway, on the embedded
// SQLite store and on PostgreSQL. Writes bench/results/<name>-<timestamp>.json (see README.md for
// every field) and prints a summary to stdout; progress goes to stderr.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { getTestPostgres, type TestPostgres } from '../test/support/postgres.ts';
import { liveGateways, useCompiledBuild } from './gateway-handle.ts';
import { runIdleMemory, type IdleResult } from './idle-memory.ts';
import { runOverhead, type OverheadResult } from './overhead.ts';
import type { StoreKind } from './setup.ts';
import { machineBusyOver } from './proc.ts';
import { round } from './stats.ts';
import { runThroughput, type Engine, type ThroughputResult } from './throughput.ts';
import { runRecovery, type RecoveryResult } from './recovery.ts';
import { runStreams, type StreamsResult } from './streams.ts';
import { runBoard, type BoardResult } from './board.ts';
import { runSimulateBench, type SimulateResult } from './simulate.ts';

const HELP = `Usage: npm run bench -- [options]

  --n <count>                 applications in the throughput run, per store (default 2000)
  --warmup <count>            throughput warm-up applications, not measured (default 100)
  --concurrency <count>       applications in flight during the throughput run (default 32)
  --rounds <count>            throughput runs per engine and store (default 1); with more, the gateway
                              and the DBOS peer take turns (ABBA…) and their median ratio is reported
  --overhead-runs <count>     single-application runs per path for the overhead ratio (default 50)
  --overhead-warmup <count>   warm-up runs per path before those (default 10)
  --idle-applications <count> waiting applications for the idle-memory measurement (default 100000)
  --idle-seconds <s>          how long the gateway idles before its RSS is read (default 10)
  --idle-repeats <count>      gateway processes measured per idle configuration; medians compared (default 3)
  --stores <list>             stores for throughput and overhead: sqlite,postgres (default both)
  --peer <dbos|none>          also run DBOS Transact 5.3 on the same PostgreSQL, mocks and load (default dbos)
  --idle-stores <list>        stores for idle memory (default sqlite; writing 100,000 applications to
                              PostgreSQL takes 3-4 min here: add it with sqlite,postgres)
  --recovery-applications <n> applications in flight when the gateway is killed (default 100000)
  --recovery-stores <list>    stores for the recovery measurement (default sqlite,postgres)
  --streams <count>           open event streams for the streams measurement (default 10000)
  --streams-events <n>        events per second in its busy phase (default 100)
  --streams-seconds <s>       length of each of its phases (default 10)
  --board-applications <n>    applications in the store for the SLA board and monthly report timing (default 100000)
  --board-calls <n>           timed calls of each (after 3 warm-up calls; default 30)
  --board-stores <list>       stores for the board timing (default sqlite,postgres)
  --only <list>               throughput,overhead,idle,recovery,streams,board,simulate (default all)
  --log-level <level>         the gateway's log level; logs go to /dev/null (default info, as in production)
  --name <name>               results file name prefix (default bench)
  --seed <n>                  seed of the mock departments' identifiers (default 1)
  --tsx                       run the gateway from its TypeScript sources (tsx) instead of a compiled build
  --quick                     a smoke run: --n 300 --warmup 30 --overhead-runs 10 --idle-applications 10000 --idle-seconds 3
  --help

PostgreSQL comes from test/support/postgres.ts: testcontainers if an engine runs, else DATABASE_URL,
else a throwaway local cluster (stopped and deleted at the end). TEST_POSTGRES_SOURCE forces one.`;

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
    'overhead-runs': { type: 'string' },
    'overhead-warmup': { type: 'string' },
    'idle-applications': { type: 'string' },
    'idle-seconds': { type: 'string' },
    'idle-repeats': { type: 'string' },
    stores: { type: 'string' },
    peer: { type: 'string' },
    'idle-stores': { type: 'string' },
    only: { type: 'string' },
    'recovery-applications': { type: 'string' },
    'recovery-stores': { type: 'string' },
    streams: { type: 'string' },
    'streams-events': { type: 'string' },
    'streams-seconds': { type: 'string' },
    'board-applications': { type: 'string' },
    'board-calls': { type: 'string' },
    'board-stores': { type: 'string' },
    'log-level': { type: 'string' },
    name: { type: 'string' },
    seed: { type: 'string' },
    quick: { type: 'boolean' },
    tsx: { type: 'boolean' },
    help: { type: 'boolean' },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(HELP + '\n');
  process.exit(0);
}

function count(name: keyof typeof flags, fallback: number, quick: number, min = 0): number {
  const raw = flags[name];
  const value = raw === undefined ? (flags.quick ? quick : fallback) : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}; got ${String(raw)}`);
  return value;
}
function list<T extends string>(name: 'stores' | 'idle-stores' | 'recovery-stores' | 'board-stores' | 'only', allowed: readonly T[], fallback: readonly T[] = allowed): T[] {
  const raw = flags[name];
  if (raw === undefined) return [...fallback];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (unknown.length > 0 || items.length === 0) throw new Error(`--${name} takes a comma-separated subset of ${allowed.join(',')}; got "${raw}"`);
  return items as T[];
}

const options = {
  n: count('n', 2000, 300, 1),
  warmup: count('warmup', 100, 30),
  concurrency: count('concurrency', 32, 32, 1),
  rounds: count('rounds', 1, 1, 1),
  overheadRuns: count('overhead-runs', 50, 10, 1),
  overheadWarmup: count('overhead-warmup', 10, 3),
  idleApplications: count('idle-applications', 100_000, 10_000, 1),
  idleSeconds: count('idle-seconds', 10, 3, 1),
  idleRepeats: count('idle-repeats', 3, 1, 1),
  stores: list<StoreKind>('stores', ['sqlite', 'postgres']),
  peer: (flags.peer ?? 'dbos') as 'dbos' | 'none',
  idleStores: list<StoreKind>('idle-stores', ['sqlite', 'postgres'], ['sqlite']),
  only: list('only', ['throughput', 'overhead', 'idle', 'recovery', 'streams', 'board', 'simulate'] as const),
  recoveryApplications: count('recovery-applications', 100_000, 5_000, 1),
  recoveryStores: list<StoreKind>('recovery-stores', ['sqlite', 'postgres']),
  streams: count('streams', 10_000, 1_000, 1),
  streamsEvents: count('streams-events', 100, 100, 1),
  streamsSeconds: count('streams-seconds', 10, 3, 1),
  boardApplications: count('board-applications', 100_000, 10_000, 1),
  boardCalls: count('board-calls', 30, 10, 1),
  boardStores: list<StoreKind>('board-stores', ['sqlite', 'postgres']),
  logLevel: flags['log-level'] ?? 'info',
  name: flags.name ?? 'bench',
  seed: count('seed', 1, 1),
  quick: flags.quick ?? false,
};
if (!/^[A-Za-z0-9._-]+$/.test(options.name)) throw new Error('--name may hold letters, digits, ".", "_" and "-" only');
if (!['dbos', 'none'].includes(options.peer)) throw new Error(`--peer is dbos or none; got ${options.peer}`);

const progress = (line: string) => process.stderr.write(`${line}\n`);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

let postgres: TestPostgres | undefined;
async function cleanUp() {
  await Promise.allSettled([...liveGateways].map((g) => g.stop()));
  await postgres?.stop().catch(() => undefined);
  postgres = undefined;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`\n${signal}: stopping the gateway processes and PostgreSQL…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  } finally {
    await client.end();
  }
}

// Production runs compiled JavaScript: so do the measured processes (built once, into a temporary
// directory next to a link to node_modules, as the image lays it out). --tsx measures the sources.
if (!flags.tsx) {
  const buildDir = mkdtempSync(join(tmpdir(), 'qlt-bench-build-'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(buildDir, 'node_modules'));
  progress('building the gateway and the DBOS peer (compiled JavaScript, as in production)…');
  execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/build.ts'), '--out', join(buildDir, 'dist'), '--project', 'tsconfig.bench.json'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  useCompiledBuild(join(buildDir, 'dist'));
  process.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));
}

// Numbers from a machine that something else keeps busy measure that something too: say so.
const busyBefore = round(await machineBusyOver(1_000), 3);
if (busyBefore > 0.1) progress(`warning: the machine is ${Math.round(busyBefore * 100)}% busy before the benchmark starts; figures will be lower and noisier`);

const startedAt = new Date();
const errors: Array<{ phase: string; store: StoreKind; message: string }> = [];
/** Each throughput run, with the round it belongs to (1-based; see --rounds). */
const throughput: Array<ThroughputResult & { round: number }> = [];
const overhead: OverheadResult[] = [];
const idleMemory: IdleResult[] = [];
const recovery: RecoveryResult[] = [];
const streams: StreamsResult[] = [];
const board: BoardResult[] = [];
const simulate: SimulateResult[] = [];
let postgresInfo: { source: string; serverVersion: string } | null = null;

async function phase<T>(name: string, store: StoreKind, into: T[], work: () => Promise<T>) {
  const t0 = Date.now();
  progress(`${name} on ${store}…`);
  try {
    into.push(await work());
    progress(`${name} on ${store}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ phase: name, store, message });
    progress(`${name} on ${store} FAILED: ${message}`);
  }
}

try {
  const needsPostgres =
    ((options.only.includes('throughput') || options.only.includes('overhead')) && options.stores.includes('postgres')) ||
    (options.only.includes('idle') && options.idleStores.includes('postgres')) ||
    (options.only.includes('recovery') && options.recoveryStores.includes('postgres')) ||
    (options.only.includes('board') && options.boardStores.includes('postgres'));
  if (needsPostgres) {
    // fsync, synchronous commit and full-page writes on: durability is not for sale, here either.
    postgres = await getTestPostgres({ durable: true });
    postgresInfo = { source: postgres.source, serverVersion: await postgresVersion(postgres.url) };
  }
  const postgresUrl = postgres?.url;
  const common = { postgresUrl, logLevel: options.logLevel, seed: options.seed };
  if (options.only.includes('throughput')) {
    for (const store of options.stores) {
      const engines: Engine[] = store === 'postgres' && options.peer === 'dbos' ? ['gateway', 'dbos'] : ['gateway'];
      for (let round = 1; round <= options.rounds; round++) {
        // Alternate which engine goes first (gateway, DBOS | DBOS, gateway | …): drift in the machine
        // over the run then hits both alike.
        for (const engine of round % 2 === 1 ? engines : [...engines].reverse()) {
          await phase(engine === 'dbos' ? 'throughput of the DBOS peer' : 'throughput', store, throughput, async () => ({
            ...(await runThroughput({ ...common, engine, store, postgresLocal: postgres?.source === 'local-cluster', n: options.n, warmup: options.warmup, concurrency: options.concurrency, settleTimeoutMs: 120_000, progress })),
            round,
          }));
        }
      }
    }
  }
  if (options.only.includes('overhead')) {
    for (const store of options.stores) {
      await phase('overhead', store, overhead, () => runOverhead({ ...common, store, postgresLocal: postgres?.source === 'local-cluster', runs: options.overheadRuns, warmup: options.overheadWarmup }));
    }
  }
  if (options.only.includes('idle')) {
    for (const store of options.idleStores) {
      await phase('idle memory', store, idleMemory, () =>
        runIdleMemory({ ...common, store, applications: options.idleApplications, idleSeconds: options.idleSeconds, repeats: options.idleRepeats, progress }),
      );
    }
  }
  if (options.only.includes('recovery')) {
    for (const store of options.recoveryStores) {
      await phase('recovery', store, recovery, () => runRecovery({ ...common, store, applications: options.recoveryApplications, progress }));
    }
  }
  if (options.only.includes('streams')) {
    await phase('event streams', 'sqlite', streams, () =>
      runStreams({ ...common, store: 'sqlite', streams: options.streams, eventsPerSecond: options.streamsEvents, seconds: options.streamsSeconds, progress }),
    );
  }
  if (options.only.includes('board')) {
    for (const store of options.boardStores) {
      await phase('SLA board and monthly report', store, board, () =>
        runBoard({ store, postgresUrl, applications: options.boardApplications, calls: options.boardCalls, logLevel: options.logLevel, progress }),
      );
    }
  }
  if (options.only.includes('simulate')) {
    await phase('what-if simulation', 'sqlite', simulate, async () => runSimulateBench(progress));
  }
} finally {
  await cleanUp();
}

/** The gateway on PostgreSQL against the DBOS peer, round by round (the issue's target: ≥ 2×, p99 no worse). */
const peerComparison = (() => {
  const rounds = [...new Set(throughput.map((t) => t.round))].flatMap((r) => {
    const ours = throughput.find((t) => t.round === r && t.engine === 'gateway' && t.store === 'postgres');
    const peer = throughput.find((t) => t.round === r && t.engine === 'dbos');
    if (!ours || !peer) return [];
    return [{ round: r, ratio: round(ours.applicationsPerSecond / peer.applicationsPerSecond, 2), gatewayP99Ms: ours.latencyMs.submitToComplete.p99, peerP99Ms: peer.latencyMs.submitToComplete.p99 }];
  });
  const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
  const middle = ratios.length === 0 ? null : ratios.length % 2 === 1 ? ratios[(ratios.length - 1) / 2]! : round((ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2, 2);
  return { rounds, medianRatio: middle, lowestRatio: ratios[0] ?? null, highestRatio: ratios.at(-1) ?? null };
})();

const finishedAt = new Date();
const report = {
  schemaVersion: 1,
  name: options.name,
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
  machine: {
    node: process.version,
    platform: `${process.platform} ${release()}`,
    arch: process.arch,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: totalmem(),
    /** Share of all cores busy during the second before the run: other load on the machine. */
    busyBeforeStart: busyBefore,
  },
  git: { commit: git(['rev-parse', 'HEAD']), dirty: (git(['status', '--porcelain']) ?? '') !== '' },
  options,
  postgres: postgresInfo,
  throughput,
  peerComparison,
  overhead,
  idleMemory,
  recovery,
  streams,
  board,
  simulate,
  errors,
};

const resultsDir = join(REPO_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `${options.name}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

// ── summary ──────────────────────────────────────────────────────────────────────────────────
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
/** Right-aligned columns, except those listed in `left`. */
const pad = (cells: Array<string | number>, widths: number[], left: number[] = []) =>
  cells.map((c, i) => (left.includes(i) ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
const out: string[] = [];
out.push('', `全链通 gateway benchmark (${report.durationSeconds} s) → ${relative(process.cwd(), file)}`);
out.push(`machine: ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${process.version}; ${Math.round(busyBefore * 100)}% busy before the start`);
if (postgresInfo) out.push(`PostgreSQL ${postgresInfo.serverVersion} from ${postgresInfo.source}`);
if (throughput.length > 0) {
  out.push('', `1. Throughput: ${options.n} applications per store, ${options.concurrency} in flight (closed loop), after ${options.warmup} warm-up; PostgreSQL with fsync on`);
  const w = [options.rounds > 1 ? 20 : 16, 8, 14, 10, 10, 10, 12, 12, 7];
  out.push(pad(['engine/store', 'apps/s', 'transitions/s', 'p50 ms', 'p90 ms', 'p99 ms', 'peak RSS', 'CPU ms/app', 'failed'], w, [0]));
  const label = (t: ThroughputResult & { round: number }) => `${t.engine === 'dbos' ? 'DBOS' : 'gateway'}/${t.store}${options.rounds > 1 ? ` #${t.round}` : ''}`;
  for (const t of throughput) {
    const l = t.latencyMs.submitToComplete;
    out.push(pad([label(t), t.applicationsPerSecond, t.engine === 'dbos' ? '—' : t.transitionsPerSecond, l.p50, l.p90, l.p99, mib(t.gatewayProcess.peakRssBytes), t.gatewayProcess.cpuMsPerApplication, t.failed], w, [0]));
  }
  const ours = throughput.filter((t) => t.engine === 'gateway');
  const firsts = ours.filter((t) => t.round === 1);
  out.push(`   transitions = events applied to an application (${firsts.map((t) => `${t.store}: ${t.transitionsPerApplication}`).join(', ')} per application), written in ${firsts.map((t) => `${t.store}: ${t.commitsPerApplication}`).join(', ')} commits per application (group commit); peak RSS of the engine's process, sampled every 100 ms`);
  for (const r of peerComparison.rounds) {
    out.push(`   gateway vs DBOS Transact on the same PostgreSQL${options.rounds > 1 ? `, round ${r.round}` : ''}: ${r.ratio}× the throughput; p99 ${r.gatewayP99Ms} ms vs ${r.peerP99Ms} ms`);
  }
  if (peerComparison.rounds.length > 1) {
    out.push(`   median over ${peerComparison.rounds.length} rounds: ${peerComparison.medianRatio}× the throughput (lowest ${peerComparison.lowestRatio}×, highest ${peerComparison.highestRatio}×)`);
  }
  for (const t of throughput) {
    const pgCpu = t.postgresServerCpuSeconds === null ? '' : `, PostgreSQL server ${t.postgresServerCpuSeconds} s`;
    out.push(
      `   CPU during the ${label(t)} run (${t.wallSeconds} s): ${t.engine === 'dbos' ? 'DBOS peer' : 'gateway'} ${t.gatewayProcess.cpuSeconds} s, load generator + mocks ${t.benchProcess.cpuSeconds} s${pgCpu}, ` +
        `other processes ${t.otherProcessesCpuSeconds} s; machine ${Math.round(t.machineCpuBusy * 100)}% busy`,
    );
  }
}
if (overhead.length > 0) {
  out.push('', `2. Overhead: one application at a time, ${options.overheadRuns} runs each, medians`);
  const w = [9, 13, 12, 8, 10, 16, 11];
  out.push(pad(['store', 'gateway ms', 'direct ms', 'ratio', 'added ms', 'gateway p90 ms', 'other CPU'], w));
  for (const o of overhead) out.push(pad([o.store, o.gatewayMs.p50, o.directMs.p50, `${o.ratio}×`, o.addedMs, o.gatewayMs.p90, `${o.cpu.otherSeconds} s`], w));
}
if (idleMemory.length > 0) {
  out.push(
    '',
    `3. Idle memory: the gateway process idle ${options.idleSeconds} s on a store with ${options.idleApplications} applications waiting on timers vs an empty one; ` +
      `median of ${options.idleRepeats} process${options.idleRepeats === 1 ? '' : 'es'} each`,
  );
  const w = [9, 34, 12, 12, 12, 10];
  out.push(pad(['store', 'reading', 'empty', 'loaded', 'delta', 'B/app'], w, [1]));
  const rows: Array<[string, keyof IdleResult['median']['empty']]> = [
    ['VmRSS after idling', 'rssAfterIdleBytes'],
    ['VmRSS after a full GC', 'rssAfterGcBytes'],
    ['VmRSS − free V8 heap (after GC)', 'rssLessFreeHeapAfterGcBytes'],
    ['V8 heap used (after GC)', 'heapUsedAfterGcBytes'],
  ];
  for (const i of idleMemory) {
    for (const [label, key] of rows) {
      out.push(pad([label === rows[0]![0] ? i.store : '', label, mib(i.median.empty[key]), mib(i.median.loaded[key]), mib(i.deltaBytes[key]), i.deltaPerApplicationBytes[key]], w, [1]));
    }
    const work = (samples: IdleResult['loaded']) => samples.reduce((s, x) => s + x.transitionsDuringIdle + x.departmentRequestsDuringIdle, 0);
    const cpu = (samples: IdleResult['loaded']) => samples.map((x) => x.cpuSecondsDuringIdle).join('/');
    out.push(
      `   ${i.store}: ${i.loaded[0]?.pendingEffects} pending effects; work while idle ${work(i.empty)} vs ${work(i.loaded)} (transitions + department requests); ` +
        `CPU while idle ${cpu(i.empty)} s vs ${cpu(i.loaded)} s; start-up ${i.empty.map((x) => x.startupMs).join('/')} ms vs ${i.loaded.map((x) => x.startupMs).join('/')} ms; ` +
        `written in ${i.seedSeconds} s`,
    );
  }
  out.push(`   (state: ${idleMemory[0]!.state})`);
}
if (recovery.length > 0) {
  out.push('', `4. Recovery: ${options.recoveryApplications} applications in flight when the gateway was killed (their calls due, leases expired); a fresh process takes over`);
  const w = [9, 11, 15, 16, 10, 12, 10, 8];
  out.push(pad(['store', 'start-up s', 'all claimed s', 'all recorded s', 'calls/s', 'peak RSS', 'CPU s', 'dupes'], w));
  for (const r of recovery) out.push(pad([r.store, r.startupSeconds, r.allClaimedSeconds, r.allRecordedSeconds, r.callsPerSecond, mib(r.peakRssBytes), r.cpuSeconds, r.duplicateRequests], w));
}
if (streams.length > 0) {
  for (const s of streams) {
    out.push('', `5. Event streams: ${s.streams} open streams (opened in ${s.openSeconds} s), ${s.store}; each phase ${options.streamsSeconds} s`);
    const w = [34, 12, 12, 16, 8, 12];
    out.push(pad(['phase', 'RSS', 'peak RSS', 'heap used/total', 'CPU %', 'events/s'], w, [0]));
    const heap = (p: { heapUsedBytes: number; heapTotalBytes: number }) => `${Math.round(p.heapUsedBytes / 2 ** 20)}/${Math.round(p.heapTotalBytes / 2 ** 20)} MiB`;
    out.push(pad(['no streams', mib(s.baseline.rssBytes), mib(s.baseline.peakRssBytes), heap(s.baseline), s.baseline.cpuPercent, s.baseline.eventsPerSecond], w, [0]));
    out.push(pad([`${s.streams} streams, idle`, mib(s.idle.rssBytes), mib(s.idle.peakRssBytes), heap(s.idle), s.idle.cpuPercent, s.idle.eventsPerSecond], w, [0]));
    out.push(pad([`${s.streams} streams, busy`, mib(s.busy.rssBytes), mib(s.busy.peakRssBytes), heap(s.busy), s.busy.cpuPercent, s.busy.eventsPerSecond], w, [0]));
  }
}
if (board.length > 0) {
  out.push('', `6. SLA board and monthly report: ${options.boardApplications} applications in the store (55% finished, 45% open in a mix of SLA states); ${options.boardCalls} calls each, one at a time, over HTTP`);
  const w = [9, 12, 12, 12, 12, 14, 14, 12, 10];
  out.push(pad(['store', 'board 1st', 'board p50', 'board p95', 'board max', 'report p50', 'report p95', 'open clocks', 'seeded s'], w));
  for (const b of board) out.push(pad([b.store, `${b.board.firstMs} ms`, `${b.board.p50Ms} ms`, `${b.board.p95Ms} ms`, `${b.board.maxMs} ms`, `${b.monthlyReport.p50Ms} ms`, `${b.monthlyReport.p95Ms} ms`, b.openClocks, b.seedSeconds], w));
  out.push('   board 1st: the first call, which computes the 30-day department statistics; the board reuses them for a minute (p50/p95/max are over the calls after the 3 warm-up calls)');
  for (const b of board) out.push(`   ${b.store}: open overall clocks by state on the board: ${JSON.stringify(b.overallCounts)}; database ${mib(b.databaseBytes)}`);
}
if (simulate.length > 0) {
  out.push('', '7. What-if simulation (the shipped normal-month scenario on a virtual clock, in-process, one process per run)');
  const w = [22, 13, 8, 12, 14, 10, 12];
  out.push(pad(['period', 'applications', 'wall s', 'transitions', 'transitions/s', 'peak RSS', 'on time 3d'], w, [0]));
  for (const r of [simulate[0]!.month, simulate[0]!.quarter]) {
    out.push(pad([`${r.period.from}…${r.period.to.slice(5)}`, r.applications, (r.wallMs / 1000).toFixed(1), r.transitions, r.transitionsPerSecond, mib(r.peakRssBytes), `${r.overallOnTimePercent ?? '—'}%`], w, [0]));
  }
}
for (const e of errors) out.push('', `FAILED ${e.phase} on ${e.store}: ${e.message}`);
process.stdout.write(out.join('\n') + '\n');
process.exit(errors.length > 0 ? 1 : 0);
