// 6. The ops console's SLA board and monthly report on a large store (docs/operations.md "The
// console"): with N applications (default 100,000) in the store, how long GET /v1/ops/sla (the board)
// and GET /v1/ops/reports/monthly take, median and p95 over repeated calls. A figure, never a timed
// test; the target is under 200 ms for the board on this machine.
//
// The applications are written through the store API (store.createApplication with the real
// orchestrator's first transition, as POST /v1/applications commits it), with their SLA clock rows
// set to a realistic mix at the moment of the run — what the board and the report aggregate:
//   - 55 % finished: every clock (overall and the six steps) finished in the last 60 days, state met
//     or breached (about 8 % of steps and 10 % of applications late), durations in working hours
//     spread over each window; the application completed with its credit code;
//   - 45 % open: the overall clock and one step clock running — on track 60 %, at risk 20 %,
//     breached 15 %, paused 5 % — with deadlines that agree with the state (at risk: due within two
//     hours; breached: due up to two days ago); the licence step finished.
// The department calls and timers of the first transition are left out (nothing is due: the
// measured gateway does no background work). The gateway runs in this process (its executor off)
// and is called over loopback HTTP with a viewer credential, one call at a time.

import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { request } from 'undici';
import { CORE_STEP_IDS, type SlaState } from '../contracts/index.ts';
import { opsTokenSha256, parseConfig } from '../gateway/config.ts';
import { developmentOpsToken } from '../gateway/identity/index.ts';
import { createGateway } from '../gateway/runtime.ts';
import type { Orchestrator } from '../gateway/orchestration/interpret.ts';
import type { SlaClockRow, Store } from '../gateway/store/types.ts';
import { makeApplicationForm } from '../test/fixtures/application.ts';
import { freshStore, gatewayConfig, type StoreKind } from './setup.ts';
import { percentile, round, wallNow } from './stats.ts';

export interface BoardOptions {
  store: StoreKind;
  postgresUrl: string | undefined;
  applications: number;
  calls: number;
  logLevel: string;
  progress: (line: string) => void;
}

export interface Timing {
  /** The first call on the fresh gateway (the board computes its 30-day statistics then; later calls within a minute reuse them). */
  firstMs: number;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface BoardResult {
  store: StoreKind;
  applications: number;
  openClocks: number;
  finishedClocks: number;
  seedSeconds: number;
  databaseBytes: number;
  board: Timing;
  monthlyReport: Timing;
  /** The board's own answer, to show what was computed: counts of open overall clocks by state. */
  overallCounts: Record<string, number>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const WINDOW_HOURS: Record<string, number> = { overall: 21, 'business-licence': 7, 'seal-engraving': 3.5, 'tax-invoice': 3.5, 'social-insurance': 7, 'bank-account': 7, 'postal-delivery': 7 };

/** A small deterministic generator: the same store every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function clockRow(applicationId: string, clock: string, fields: Partial<SlaClockRow>): SlaClockRow {
  return {
    applicationId,
    clock,
    windowMs: WINDOW_HOURS[clock]! * HOUR,
    state: 'on_track',
    startedAt: null,
    runningSince: null,
    consumedMs: 0,
    pausedReasons: [],
    deadline: null,
    provisional: false,
    atRiskAt: null,
    breachedAt: null,
    finishedAt: null,
    durationMs: null,
    department: clock === 'overall' ? null : clock,
    ...fields,
  };
}

function mix(id: string, now: number, rnd: () => number): { submittedAt: string; clocks: SlaClockRow[]; completed: boolean } {
  const iso = (t: number) => new Date(t).toISOString();
  if (rnd() < 0.55) {
    const finishedAt = now - rnd() * 60 * DAY;
    const submittedAt = finishedAt - (1 + rnd() * 4) * DAY;
    const clocks = ['overall', ...CORE_STEP_IDS].map((clock) => {
      const window = WINDOW_HOURS[clock]! * HOUR;
      const late = rnd() < (clock === 'overall' ? 0.1 : 0.08);
      const duration = late ? window * (1 + rnd()) : window * (0.1 + 0.9 * rnd());
      return clockRow(id, clock, {
        state: late ? 'breached' : 'met',
        startedAt: iso(submittedAt),
        deadline: iso(submittedAt + window * 2),
        atRiskAt: late ? iso(submittedAt + window) : null,
        breachedAt: late ? iso(submittedAt + window * 1.5) : null,
        finishedAt: iso(finishedAt - (clock === 'overall' ? 0 : rnd() * DAY)),
        durationMs: Math.round(duration),
        consumedMs: Math.round(duration),
      });
    });
    return { submittedAt: iso(submittedAt), clocks, completed: true };
  }
  const submittedAt = now - rnd() * 3 * DAY;
  const r = rnd();
  const state: SlaState = r < 0.6 ? 'on_track' : r < 0.8 ? 'at_risk' : r < 0.95 ? 'breached' : 'paused';
  const deadline = state === 'on_track' ? now + (4 + rnd() * 16) * HOUR : state === 'at_risk' ? now + rnd() * 2 * HOUR : state === 'breached' ? now - rnd() * 2 * DAY : now + rnd() * DAY;
  const open = (clock: string): SlaClockRow =>
    clockRow(id, clock, {
      state,
      startedAt: iso(submittedAt),
      runningSince: state === 'paused' ? null : iso(submittedAt),
      pausedReasons: state === 'paused' ? ['correction'] : [],
      deadline: iso(deadline),
      atRiskAt: state === 'at_risk' || state === 'breached' ? iso(Math.min(now, deadline)) : null,
      breachedAt: state === 'breached' ? iso(deadline) : null,
    });
  const step = CORE_STEP_IDS[1 + Math.floor(rnd() * (CORE_STEP_IDS.length - 1))]!;
  const licence = clockRow(id, 'business-licence', { state: 'met', startedAt: iso(submittedAt), deadline: iso(submittedAt + 7 * HOUR), finishedAt: iso(submittedAt + HOUR), durationMs: HOUR, consumedMs: HOUR });
  return { submittedAt: iso(submittedAt), clocks: [open('overall'), open(step), licence], completed: false };
}

async function time(calls: number, call: () => Promise<void>): Promise<Timing> {
  const first = wallNow();
  await call();
  const firstMs = round(wallNow() - first, 1);
  for (let i = 0; i < 2; i++) await call(); // warm-up: prepared statements, caches
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = wallNow();
    await call();
    ms.push(wallNow() - t0);
  }
  ms.sort((a, b) => a - b);
  return { firstMs, calls, p50Ms: round(percentile(ms, 50), 1), p95Ms: round(percentile(ms, 95), 1), maxMs: round(ms.at(-1)!, 1) };
}

/** Writes `count` applications with the mix above, as of `now` (exported for profiling scripts). */
export async function seedBoardStore(store: Store, orchestrator: Orchestrator, count: number, now: number, progress: (done: number) => void): Promise<{ openClocks: number; finishedClocks: number }> {
  const rnd = random(20261130);
  const form = makeApplicationForm();
  let openClocks = 0;
  let finishedClocks = 0;
  const batch = 1_000;
  let lastReport = Date.now();
  for (let done = 0; done < count; done += batch) {
    const items = Array.from({ length: Math.min(batch, count - done) }, () => {
      const id = randomUUID();
      return { id, ...mix(id, now, rnd) };
    });
    for (const item of items) {
      for (const c of item.clocks) {
        if (c.finishedAt) finishedClocks++;
        else openClocks++;
      }
    }
    // Many at once: the store commits creations that arrive together in one transaction.
    await Promise.all(
      items.map(async (item, i) => {
        const first = orchestrator.start(item.id, new Date(item.submittedAt));
        const { created } = await store.createApplication(
          { id: item.id, idempotencyKey: null, bodyHash: `bench-${done + i}`, form, submittedAt: item.submittedAt },
          {
            ...first,
            newEffects: [],
            clocks: item.clocks,
            ...(item.completed ? { state: 'completed' as const, completedAt: item.clocks[0]!.finishedAt, creditCode: `91411202MA${String(done + i).padStart(8, '0')}` } : {}),
          },
        );
        if (!created) throw new Error(`board seed: ${item.id} was not created`);
      }),
    );
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      progress(done + items.length);
    }
  }
  return { openClocks, finishedClocks };
}

export async function runBoard(options: BoardOptions): Promise<BoardResult> {
  const target = await freshStore(options.store, options.postgresUrl);
  const token = developmentOpsToken('viewer').replace('dev', 'bch');
  const config = parseConfig({
    ...gatewayConfig(target, Object.fromEntries(CORE_STEP_IDS.map((s) => [s, 'http://127.0.0.1:9'])), { logLevel: options.logLevel }),
    opsCredentials: [{ name: 'bench-viewer', role: 'viewer', tokenSha256: opsTokenSha256(token) }],
  });
  const gateway = await createGateway(config, { runExecutor: false, log: pino({ level: 'silent' }) });
  try {
    const { store, orchestrator } = gateway.deps;
    const now = Date.now();
    const t0 = wallNow();
    const { openClocks, finishedClocks } = await seedBoardStore(store, orchestrator, options.applications, now, (done) => options.progress(`  ${options.store}: ${done} of ${options.applications} applications written`));
    const seedSeconds = round((wallNow() - t0) / 1000, 1);
    const url = await gateway.start();
    const headers = { authorization: `Bearer ${token}` };
    let overallCounts: Record<string, number> = {};
    const get = (path: string, keep?: (body: unknown) => void) => async () => {
      const response = await request(`${url}${path}`, { headers });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${path}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
      keep?.(JSON.parse(text));
    };
    const month = new Date(now + 8 * HOUR).toISOString().slice(0, 7);
    const board = await time(options.calls, get('/v1/ops/sla', (b) => (overallCounts = (b as { counts: Record<string, Record<string, number>> }).counts.overall ?? {})));
    const monthlyReport = await time(options.calls, get(`/v1/ops/reports/monthly?month=${month}`));
    return { store: options.store, applications: options.applications, openClocks, finishedClocks, seedSeconds, databaseBytes: await target.sizeBytes(), board, monthlyReport, overallCounts };
  } finally {
    await gateway.close();
    await target.drop();
  }
}
