// 1. Throughput: N applications end to end through the real HTTP path, with a bounded number of
// applications in flight (closed loop: each of `concurrency` workers submits one application,
// waits until it settles, then submits the next). Latency is then the time one application takes
// under that load, not the length of a queue the load generator built up.

import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { makeApplication } from '../test/fixtures/application.ts';
import { CORE_STEP_IDS } from '../contracts/index.ts';
import type { PeerConfig } from './dbos-peer-process.ts';
import { startGatewayProcess, startPeerProcess, type GatewayHandle } from './gateway-handle.ts';
import type { GatewayCounters } from './gateway-process.ts';
import { sampleRss, startCpuAccount } from './proc.ts';
import { SECRETS, freshStore, gatewayConfig, startMocks, type StoreKind } from './setup.ts';
import { round, summarize, wallNow, type Summary } from './stats.ts';

/** What is measured: the gateway, or the DBOS Transact peer doing the same job (PostgreSQL only). */
export type Engine = 'gateway' | 'dbos';

export interface ThroughputOptions {
  engine: Engine;
  store: StoreKind;
  postgresUrl: string | undefined;
  /** The PostgreSQL server runs on this machine in our pid namespace (local-cluster): its CPU can be read. */
  postgresLocal: boolean;
  n: number;
  warmup: number;
  concurrency: number;
  logLevel: string;
  seed: number;
  settleTimeoutMs: number;
  progress: (line: string) => void;
}

export interface ThroughputResult {
  engine: Engine;
  store: StoreKind;
  n: number;
  warmup: number;
  concurrency: number;
  completed: number;
  failed: number;
  failures: string[];
  wallSeconds: number;
  applicationsPerSecond: number;
  transitions: number;
  transitionsPerSecond: number;
  transitionsPerApplication: number;
  /** Write transactions committed (group commit carries several transitions in one). */
  commits: number;
  commitsPerApplication: number;
  eventsWritten: number;
  eventsPerSecond: number;
  effectsCompleted: number;
  effectsCompletedPerSecond: number;
  latencyMs: { submitToComplete: Summary; submitAccepted: Summary };
  gatewayProcess: {
    peakRssBytes: number;
    rssSamples: number;
    vmHwmBytes: number;
    rssAtEndBytes: number;
    heapUsedAtEndBytes: number;
    cpuSeconds: number;
    cpuMsPerApplication: number;
  };
  /** This process: the load generator and the six mock departments. */
  benchProcess: { peakRssBytes: number; cpuSeconds: number };
  /**
   * CPU seconds of the PostgreSQL server's processes (those in pg_stat_activity: the gateway's
   * backends and the background workers) — when the server is a local cluster; null otherwise.
   */
  postgresServerCpuSeconds: number | null;
  /** Share of the machine's CPU time (all cores) that was busy during the measured run. */
  machineCpuBusy: number;
  /** Busy CPU seconds of the machine not accounted for by the processes above: other load that disturbed the run (≈ 0 on a quiet machine). */
  otherProcessesCpuSeconds: number;
  departmentRequests: number;
  databaseBytes: number;
  applicationsByState: Record<string, number>;
}

const body = JSON.stringify(makeApplication());

async function submitOne(gateway: GatewayHandle, agent: Agent, key: string, timeoutMs: number) {
  const started = wallNow();
  const response = await request(`${gateway.url}/v1/applications`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
  });
  const answer = (await response.body.json()) as { id?: string; code?: string; message?: string };
  const accepted = wallNow();
  if (response.statusCode !== 202 || !answer.id) throw new Error(`POST /v1/applications answered ${response.statusCode}: ${answer.code} ${answer.message}`);
  const settlement = await gateway.settled(answer.id, timeoutMs);
  if (settlement.state !== 'completed') throw new Error(`application ${answer.id} settled as ${settlement.state}`);
  return { total: settlement.at - started, accepted: accepted - started };
}

/** Runs `count` applications with `concurrency` workers; returns per-application latencies. */
async function closedLoop(gateway: GatewayHandle, agent: Agent, count: number, concurrency: number, prefix: string, timeoutMs: number) {
  const totals: number[] = [];
  const accepted: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        const r = await submitOne(gateway, agent, `${prefix}-${i}`, timeoutMs);
        totals.push(r.total);
        accepted.push(r.accepted);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { totals, accepted, failures };
}

const diff = (a: GatewayCounters, b: GatewayCounters): GatewayCounters => ({
  transitions: b.transitions - a.transitions,
  applicationsCreated: b.applicationsCreated - a.applicationsCreated,
  eventsWritten: b.eventsWritten - a.eventsWritten,
  effectsCreated: b.effectsCreated - a.effectsCreated,
  effectsCompleted: b.effectsCompleted - a.effectsCompleted,
  commits: b.commits - a.commits,
});

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const target = await freshStore(options.store, options.postgresUrl);
  const mocks = await startMocks(options.seed);
  const agent = new Agent({ connections: options.concurrency });
  let gateway: GatewayHandle | undefined;
  try {
    gateway =
      options.engine === 'dbos'
        ? await startPeerProcess({
            systemDatabaseUrl: target.url!,
            departments: Object.fromEntries(CORE_STEP_IDS.map((s) => [s, { url: mocks.urls[s], secret: SECRETS[s] }])) as PeerConfig['departments'],
            poolSize: 10,
          })
        : await startGatewayProcess(gatewayConfig(target, mocks.urls, { logLevel: options.logLevel }));
    const run = randomUUID().slice(0, 8);
    if (options.warmup > 0) {
      const warm = await closedLoop(gateway, agent, options.warmup, options.concurrency, `warm-${run}`, options.settleTimeoutMs);
      if (warm.failures.length > 0) throw new Error(`warm-up failed: ${warm.failures[0]}`);
    }
    const before = await gateway.stats();
    const requestsBefore = Object.values(mocks.departments).reduce((s, d) => s + d.requests().length, 0);
    const cpuAccount = await startCpuAccount(gateway.pid, options.store === 'postgres' && options.postgresLocal ? () => target.serverPids() : undefined);
    const gatewayRss = gateway.sampleRss(100);
    const benchRss = sampleRss(process.pid, 100);
    const mocksCompleted = () => Object.values(mocks.departments).reduce((s, d) => s + d.requests().length, 0) - requestsBefore;
    const ticker = setInterval(() => options.progress(`  ${options.store}: ${mocksCompleted()} department calls so far`), 10_000);

    const started = wallNow();
    const measured = await closedLoop(gateway, agent, options.n, options.concurrency, `bench-${run}`, options.settleTimeoutMs);
    const wallSeconds = (wallNow() - started) / 1000;

    clearInterval(ticker);
    const rss = gatewayRss.stop();
    const benchPeak = benchRss.stop().peakRssBytes;
    const cpu = await cpuAccount.stop();
    const after = await gateway.stats({ inspect: true });
    const counters = diff(before.counters, after.counters);
    const completed = measured.totals.length;
    return {
      engine: options.engine,
      store: options.store,
      n: options.n,
      warmup: options.warmup,
      concurrency: options.concurrency,
      completed,
      failed: measured.failures.length,
      failures: measured.failures.slice(0, 10),
      wallSeconds: round(wallSeconds, 3),
      applicationsPerSecond: round(completed / wallSeconds),
      transitions: counters.transitions,
      transitionsPerSecond: round(counters.transitions / wallSeconds),
      transitionsPerApplication: round(counters.transitions / Math.max(1, completed)),
      commits: counters.commits,
      commitsPerApplication: round(counters.commits / Math.max(1, completed)),
      eventsWritten: counters.eventsWritten,
      eventsPerSecond: round(counters.eventsWritten / wallSeconds),
      effectsCompleted: counters.effectsCompleted,
      effectsCompletedPerSecond: round(counters.effectsCompleted / wallSeconds),
      latencyMs: { submitToComplete: summarize(measured.totals), submitAccepted: summarize(measured.accepted) },
      gatewayProcess: {
        peakRssBytes: rss.peakRssBytes,
        rssSamples: rss.samples,
        vmHwmBytes: gateway.memory().hwmBytes,
        rssAtEndBytes: rss.lastRssBytes,
        heapUsedAtEndBytes: after.memory.heapUsed,
        cpuSeconds: cpu.gatewaySeconds,
        cpuMsPerApplication: round((cpu.gatewaySeconds * 1000) / Math.max(1, completed), 3),
      },
      benchProcess: { peakRssBytes: benchPeak, cpuSeconds: cpu.benchSeconds },
      postgresServerCpuSeconds: cpu.postgresSeconds,
      machineCpuBusy: cpu.machineBusy,
      otherProcessesCpuSeconds: cpu.otherSeconds,
      departmentRequests: mocksCompleted(),
      databaseBytes: await target.sizeBytes(),
      applicationsByState: after.applicationsByState ?? {},
    };
  } finally {
    await gateway?.stop();
    await agent.close();
    await mocks.close();
    await target.drop();
  }
}
