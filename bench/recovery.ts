// 4. Recovery: N applications in flight when the gateway process is killed; a fresh process starts
// on the same store. How long until every piece of due work has been claimed again (and performed),
// and how much memory the new process needs while it catches up — it must stream through the
// backlog, never load it.
//
// The N applications are written as POST /v1/applications would (idle-memory.ts
// seedWaitingApplications), each with its licence call claimed by an instance that died: due, with
// a lease that has expired — the state a store is in `leaseMs` (default 15 s) after an instance is
// killed (a live lease is waited out, never stolen). The market regulator then answers each call
// with 'accepted' and calls back an hour later (outside the window): each application's due work
// is exactly that one call, and catching up means claiming it, calling the regulator and recording
// the answer.

import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startGatewayProcess } from './gateway-handle.ts';
import { seedWaitingApplications } from './idle-memory.ts';
import { freshStore, gatewayConfig, startMocks, type StoreKind, type StoreTarget } from './setup.ts';
import { round, wallNow } from './stats.ts';

export interface RecoveryOptions {
  store: StoreKind;
  postgresUrl: string | undefined;
  applications: number;
  logLevel: string;
  seed: number;
  progress: (line: string) => void;
}

export interface RecoveryResult {
  store: StoreKind;
  applications: number;
  seedSeconds: number;
  /** Spawn until the new process listens (migrations, calendar, listen). */
  startupSeconds: number;
  /** Spawn until the regulator has received every application's call: all due work claimed again. */
  allClaimedSeconds: number;
  /** Spawn until every answer is recorded (the effects completed). */
  allRecordedSeconds: number;
  /** Calls performed per second between start-up and the last one. */
  callsPerSecond: number;
  /** Largest VmRSS of the new process, sampled every 100 ms while it caught up; and VmHWM. */
  peakRssBytes: number;
  vmHwmBytes: number;
  cpuSeconds: number;
  /** Department requests received beyond one per application (expected 0: nothing is done twice). */
  duplicateRequests: number;
}

export async function runRecovery(options: RecoveryOptions): Promise<RecoveryResult> {
  let target: StoreTarget;
  let seedTarget: StoreTarget;
  const seedStarted = wallNow();
  if (options.store === 'sqlite' && existsSync('/dev/shm')) {
    seedTarget = await freshStore('sqlite', undefined, mkdtempSync(join('/dev/shm', 'qlt-bench-seed-')));
    target = await freshStore('sqlite', undefined);
  } else {
    seedTarget = target = await freshStore(options.store, options.postgresUrl);
  }
  const mocks = await startMocks(options.seed, { 'business-licence': { mode: 'async', callbackDelayMs: 3_600_000 } });
  try {
    await seedWaitingApplications(seedTarget, options.applications, options.logLevel, options.progress, 'leased-by-dead-owner');
    if (seedTarget !== target) {
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(seedTarget.sqliteFile! + suffix)) copyFileSync(seedTarget.sqliteFile! + suffix, target.sqliteFile! + suffix);
      }
      await seedTarget.drop();
    }
    const seedSeconds = (wallNow() - seedStarted) / 1000;
    options.progress(`  ${options.store}: ${options.applications} applications in flight written in ${round(seedSeconds, 1)} s; starting a fresh gateway`);

    const regulator = mocks.departments['business-licence'];
    const spawned = wallNow();
    // No poll timer comes due inside the window (the regulator's callback is an hour away).
    const config = gatewayConfig(target, mocks.urls, { logLevel: options.logLevel, orchestration: { pollIntervalMs: 3_600_000 } });
    const gateway = await startGatewayProcess(config, { startTimeoutMs: 300_000 });
    try {
      const startupSeconds = (wallNow() - spawned) / 1000;
      const rss = gateway.sampleRss(100);
      const cpuBefore = gateway.cpuSeconds();
      let allClaimedAt = 0;
      let last = 0;
      for (;;) {
        const received = regulator.requests().length;
        if (received >= options.applications && allClaimedAt === 0) allClaimedAt = wallNow();
        const stats = await gateway.stats();
        if (allClaimedAt !== 0 && stats.counters.effectsCompleted >= options.applications) break;
        if (wallNow() - spawned > 1_800_000) throw new Error(`recovery did not finish within 30 min: ${received} calls received, ${stats.counters.effectsCompleted} recorded`);
        if (wallNow() - last > 3_000) {
          last = wallNow();
          const m = stats.memory;
          options.progress(`  ${options.store}: ${received} of ${options.applications} calls claimed again, ${stats.counters.effectsCompleted} recorded (rss ${Math.round(m.rss / 2 ** 20)} MiB, heap ${Math.round(m.heapUsed / 2 ** 20)}/${Math.round(m.heapTotal / 2 ** 20)} MiB, external ${Math.round(m.external / 2 ** 20)} MiB)`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const doneAt = wallNow();
      const sampled = rss.stop();
      const keys = new Set(regulator.requests().map((r) => r.idempotencyKey));
      return {
        store: options.store,
        applications: options.applications,
        seedSeconds: round(seedSeconds, 1),
        startupSeconds: round(startupSeconds, 2),
        allClaimedSeconds: round((allClaimedAt - spawned) / 1000, 2),
        allRecordedSeconds: round((doneAt - spawned) / 1000, 2),
        callsPerSecond: round(options.applications / ((allClaimedAt - spawned) / 1000 - startupSeconds)),
        peakRssBytes: sampled.peakRssBytes,
        vmHwmBytes: gateway.memory().hwmBytes,
        cpuSeconds: round(gateway.cpuSeconds() - cpuBefore, 2),
        duplicateRequests: regulator.requests().length - keys.size,
      };
    } finally {
      await gateway.stop();
    }
  } finally {
    await mocks.close();
    await target.drop();
    if (seedTarget !== target) rmSync(join(seedTarget.sqliteFile!, '..'), { recursive: true, force: true });
  }
}
