// 3. Idle memory: what 100,000 in-flight applications cost a gateway process that is waiting on
// their timers. docs/design.md: "100,000 applications waiting on half-day windows cost rows, not
// actors or timers." Measured as the VmRSS of a fresh gateway process, after 10 s of idling, on a
// store holding N waiting applications, against the same on an empty store.
//
// The N applications are written through the store API with the real orchestrator, in the state
// the executor leaves an application in when the market regulator is down and says so:
//   1. store.createApplication(app, orchestrator.start(id, now)) — exactly what POST
//      /v1/applications commits: the application (state in_progress, business-licence step
//      'requested'), its events (application.submitted, step.requested), the SLA clock rows
//      (overall, business-licence) and three pending effects: the department call
//      `call:business-licence` (due now) and the SLA timers `sla:overall`, `sla:business-licence`
//      (due at their at-risk instants, working hours away);
//   2. store.claimDueEffects + store.rescheduleEffect — exactly what the executor does with a
//      transient failure: the call is given back with attempts = 1, last_error "HTTP 503,
//      Retry-After: 3600" and due one hour later (a Retry-After is a floor, even above
//      retryMaxMs: services/http.ts retryDelayMs).
// So every application has three pending effect rows, all due in the future: the executor of the
// measured process wakes every idleWaitMs, finds nothing due, and sleeps — it must not load,
// schedule or remember anything per application.
//
// SQLite applications are written to a file on tmpfs (/dev/shm, where fsync costs nothing; the
// store runs with synchronous=FULL) and the file is then copied to disk for the measured process.

import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { CORE_STEP_IDS } from '../contracts/index.ts';
import { parseConfig } from '../gateway/config.ts';
import { principal, sha256Hex, TOKEN_PREFIX } from '../gateway/identity/credentials.ts';
import { createGateway } from '../gateway/runtime.ts';
import { makeApplicationForm } from '../test/fixtures/application.ts';
import { startGatewayProcess } from './gateway-handle.ts';
import type { GatewayCounters } from './gateway-process.ts';
import { freshStore, gatewayConfig, startMocks, type StoreKind, type StoreTarget } from './setup.ts';
import { percentile, round, wallNow } from './stats.ts';

export interface IdleOptions {
  store: StoreKind;
  postgresUrl: string | undefined;
  applications: number;
  idleSeconds: number;
  repeats: number;
  logLevel: string;
  seed: number;
  progress: (line: string) => void;
}

/** One reading of the gateway process's memory: /proc (proc.ts) and its own process.memoryUsage(). */
export interface MemoryReading {
  rssBytes: number;
  /** The parts of rssBytes (see proc.ts). */
  rssAnonBytes: number;
  rssFileBytes: number;
  rssShmemBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /**
   * rssBytes − (heapTotalBytes − heapUsedBytes): VmRSS without the V8 heap reserved but unused.
   * Approximate (not all of that reservation is resident), but it removes the largest source of
   * difference between otherwise identical processes: whether V8 has shrunk its heap yet.
   */
  rssLessFreeHeapBytes: number;
}

export interface IdleSample {
  applications: number;
  /** Spawn until the gateway listens (migrations, calendar load, listen). */
  startupMs: number;
  /** At the end of the idle window, as the process is. */
  afterIdle: MemoryReading;
  /** Right after, once a full garbage collection has run: what the process retains. */
  afterGc: MemoryReading;
  /** Largest VmRSS sampled (every 100 ms) during the idle window. */
  peakRssDuringIdleBytes: number;
  /** VmHWM: peak VmRSS since the process started, start-up included. */
  vmHwmBytes: number;
  /** CPU the gateway process used during the idle window (its executor polling for due work, timers). */
  cpuSecondsDuringIdle: number;
  /** Transitions the gateway committed while idling (expected 0). */
  transitionsDuringIdle: number;
  /** Requests the mock departments received while the gateway idled (expected 0). */
  departmentRequestsDuringIdle: number;
  pendingEffects: number;
  applicationsByState: Record<string, number>;
  databaseBytes: number;
}

/** The readings compared between the empty and the loaded gateway: medians over the repeats. */
export interface IdleFigures {
  rssAfterIdleBytes: number;
  rssAfterGcBytes: number;
  rssLessFreeHeapAfterGcBytes: number;
  heapUsedAfterGcBytes: number;
}

export interface IdleResult {
  store: StoreKind;
  idleSeconds: number;
  /** Gateway processes measured per configuration (fresh process each time, same store). */
  repeats: number;
  state: string;
  seedSeconds: number;
  empty: IdleSample[];
  loaded: IdleSample[];
  median: { empty: IdleFigures; loaded: IdleFigures };
  /** loaded − empty, of each median. */
  deltaBytes: IdleFigures;
  /** deltaBytes divided by the number of waiting applications. */
  deltaPerApplicationBytes: IdleFigures;
}

export const IDLE_STATE =
  'in_progress; business-licence requested, its call failed transiently (HTTP 503, Retry-After 3600) and is rescheduled 1 h ahead (attempts=1); ' +
  'pending effects per application: call:business-licence (retry, +1 h), sla:business-licence and sla:overall timers (at-risk instants, working hours ahead)';

const RETRY_AFTER_MS = 3_600_000;
const OWNER = 'bench-seed';

/**
 * Writes `count` applications as POST /v1/applications would, then does to each one's licence call
 * what `leave` says: 'rescheduled' — the executor's answer to a transient failure (due in an hour);
 * 'leased-by-dead-owner' — claimed by an instance that then died, its lease already expired (due
 * now: the next instance must take it over).
 */
/** The access token of a seeded application: derived from its id, so a benchmark can follow it without keeping 100,000 tokens. */
export function benchAccessToken(id: string): string {
  return TOKEN_PREFIX.application + createHash('sha256').update(`bench:${id}`).digest('base64url');
}

export async function seedWaitingApplications(
  target: StoreTarget,
  count: number,
  logLevel: string,
  progress: (line: string) => void,
  leave: 'rescheduled' | 'leased-by-dead-owner' = 'rescheduled',
): Promise<void> {
  // Port 9 (discard): nothing is performed while seeding, only written, so no department is called.
  const config = parseConfig(gatewayConfig(target, Object.fromEntries(CORE_STEP_IDS.map((s) => [s, 'http://127.0.0.1:9'])), { logLevel }));
  const gateway = await createGateway(config, { runExecutor: false, log: pino({ level: 'silent' }) });
  const { store, orchestrator } = gateway.deps;
  const form = makeApplicationForm();
  const bodyHash = createHash('sha256').update(JSON.stringify(form)).digest('hex');
  // Many at once: the store commits creations that arrive together in one transaction.
  const parallel = 64;
  const batch = 1_000;
  const lastError = 'DEPARTMENT_UNAVAILABLE: The department answered with a server error (HTTP 503, Retry-After: 3600)';
  const pool = async <T>(items: T[], work: (item: T) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < items.length) await work(items[next++]!);
    }));
  };
  try {
    let lastReport = Date.now();
    for (let done = 0; done < count; done += batch) {
      const ids = Array.from({ length: Math.min(batch, count - done) }, () => randomUUID());
      await pool(ids, async (id) => {
        const now = new Date();
        // Owned by its own access token, as an anonymous submission is (benchAccessToken(id) recomputes it).
        const access = [{ principal: principal.token(sha256Hex(benchAccessToken(id))), relation: 'owner' as const }];
        const { created } = await store.createApplication({ id, idempotencyKey: null, bodyHash, form, submittedAt: now.toISOString(), access }, orchestrator.start(id, now));
        if (!created) throw new Error(`seed: application ${id} was not created`);
      });
      // The executor's part: claim the due licence calls and give each back as a durable retry,
      // or leave them claimed by an owner that will never come back (a lease of 1 ms).
      let rescheduled = 0;
      for (;;) {
        const now = new Date();
        const claimed = await store.claimDueEffects(OWNER, now.toISOString(), leave === 'rescheduled' ? 60_000 : 1, batch);
        if (claimed.length === 0) break;
        if (leave === 'leased-by-dead-owner') {
          // Claimed once, never completed: the rows carry the dead owner's (expired) lease.
          rescheduled = claimed.length;
          break;
        }
        const dueAt = new Date(now.getTime() + RETRY_AFTER_MS).toISOString();
        await pool(claimed, async (effect) => {
          if (effect.key !== 'call:business-licence') throw new Error(`seed: unexpected due effect ${effect.key}`);
          if (!(await store.rescheduleEffect(effect.id, OWNER, dueAt, lastError))) throw new Error(`seed: could not reschedule ${effect.id}`);
          rescheduled++;
        });
      }
      if (rescheduled !== ids.length) throw new Error(`seed: ${rescheduled} calls rescheduled for ${ids.length} applications`);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        progress(`  ${target.kind}: ${done + ids.length} of ${count} applications written`);
      }
    }
  } finally {
    await gateway.close();
  }
}

async function measure(target: StoreTarget, applications: number, options: IdleOptions): Promise<IdleSample> {
  const mocks = await startMocks(options.seed);
  const spawned = wallNow();
  const gateway = await startGatewayProcess(gatewayConfig(target, mocks.urls, { logLevel: options.logLevel }), { startTimeoutMs: 300_000 });
  try {
    const startupMs = wallNow() - spawned;
    const before = await gateway.stats();
    const cpuBefore = gateway.cpuSeconds();
    const sampler = gateway.sampleRss(100);
    await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    const rss = sampler.stop();
    const cpuSecondsDuringIdle = gateway.cpuSeconds() - cpuBefore;
    const reading = async (gc: boolean): Promise<MemoryReading & { counters: GatewayCounters }> => {
      const stats = await gateway.stats({ gc });
      const memory = gateway.memory();
      return {
        rssLessFreeHeapBytes: memory.rssBytes - (stats.memory.heapTotal - stats.memory.heapUsed),
        rssBytes: memory.rssBytes,
        rssAnonBytes: memory.rssAnonBytes,
        rssFileBytes: memory.rssFileBytes,
        rssShmemBytes: memory.rssShmemBytes,
        heapUsedBytes: stats.memory.heapUsed,
        heapTotalBytes: stats.memory.heapTotal,
        externalBytes: stats.memory.external,
        counters: stats.counters,
      };
    };
    const { counters, ...afterIdle } = await reading(false);
    const { counters: _, ...afterGc } = await reading(true);
    const vmHwmBytes = gateway.memory().hwmBytes;
    const inspected = await gateway.stats({ inspect: true });
    return {
      applications,
      startupMs: round(startupMs, 1),
      afterIdle,
      afterGc,
      peakRssDuringIdleBytes: rss.peakRssBytes,
      vmHwmBytes,
      cpuSecondsDuringIdle: round(cpuSecondsDuringIdle, 3),
      transitionsDuringIdle: counters.transitions - before.counters.transitions,
      departmentRequestsDuringIdle: Object.values(mocks.departments).reduce((s, d) => s + d.requests().length, 0),
      pendingEffects: inspected.pendingEffects ?? NaN,
      applicationsByState: inspected.applicationsByState ?? {},
      databaseBytes: await target.sizeBytes(),
    };
  } finally {
    await gateway.stop();
    await mocks.close();
  }
}

const median = (values: number[]) => percentile([...values].sort((x, y) => x - y), 50);

function medians(samples: IdleSample[]): IdleFigures {
  return {
    rssAfterIdleBytes: median(samples.map((s) => s.afterIdle.rssBytes)),
    rssAfterGcBytes: median(samples.map((s) => s.afterGc.rssBytes)),
    rssLessFreeHeapAfterGcBytes: median(samples.map((s) => s.afterGc.rssLessFreeHeapBytes)),
    heapUsedAfterGcBytes: median(samples.map((s) => s.afterGc.heapUsedBytes)),
  };
}

const each = (a: IdleFigures, f: (key: keyof IdleFigures) => number): IdleFigures =>
  Object.fromEntries(Object.keys(a).map((k) => [k, f(k as keyof IdleFigures)])) as unknown as IdleFigures;

async function measureRepeatedly(target: StoreTarget, applications: number, options: IdleOptions): Promise<IdleSample[]> {
  const samples: IdleSample[] = [];
  // Each process sizes its V8 heap and malloc arenas a little differently: one reading is noisy.
  for (let i = 0; i < options.repeats; i++) samples.push(await measure(target, applications, options));
  return samples;
}

export async function runIdleMemory(options: IdleOptions): Promise<IdleResult> {
  const empty = await freshStore(options.store, options.postgresUrl);
  let emptySamples: IdleSample[];
  try {
    emptySamples = await measureRepeatedly(empty, 0, options);
  } finally {
    await empty.drop();
  }

  let target: StoreTarget;
  let seedTarget: StoreTarget;
  const started = wallNow();
  if (options.store === 'sqlite' && existsSync('/dev/shm')) {
    seedTarget = await freshStore('sqlite', undefined, mkdtempSync(join('/dev/shm', 'qlt-bench-seed-')));
    target = await freshStore('sqlite', undefined);
  } else {
    seedTarget = target = await freshStore(options.store, options.postgresUrl);
  }
  try {
    await seedWaitingApplications(seedTarget, options.applications, options.logLevel, options.progress);
    if (seedTarget !== target) {
      // The store was closed, so the WAL is checkpointed into the main file; copy what exists.
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(seedTarget.sqliteFile! + suffix)) copyFileSync(seedTarget.sqliteFile! + suffix, target.sqliteFile! + suffix);
      }
      await seedTarget.drop();
    }
    const seedSeconds = (wallNow() - started) / 1000;
    const loadedSamples = await measureRepeatedly(target, options.applications, options);
    const e = medians(emptySamples);
    const l = medians(loadedSamples);
    return {
      store: options.store,
      idleSeconds: options.idleSeconds,
      repeats: options.repeats,
      state: IDLE_STATE,
      seedSeconds: round(seedSeconds, 1),
      empty: emptySamples,
      loaded: loadedSamples,
      median: { empty: e, loaded: l },
      deltaBytes: each(e, (k) => l[k] - e[k]),
      deltaPerApplicationBytes: each(e, (k) => round((l[k] - e[k]) / options.applications, 1)),
    };
  } finally {
    await target.drop();
    if (seedTarget !== target) rmSync(join(seedTarget.sqliteFile!, '..'), { recursive: true, force: true });
  }
}
