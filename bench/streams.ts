// 5. Event streams: N open server-sent event streams (one per application in flight) — the gateway's
// memory and CPU with all of them idle, then while applications elsewhere produce ~E events per
// second (each new one followed live on a stream of its own). Streams are fed from commits
// (gateway/live): an idle stream must cost no query and no timer of its own, so CPU while idle
// should be the same as with no streams at all.

import { request as httpRequest, Agent, type ClientRequest } from 'node:http';
import { Agent as UndiciAgent, request } from 'undici';
import { makeApplication } from '../test/fixtures/application.ts';
import { startGatewayProcess } from './gateway-handle.ts';
import { benchAccessToken, seedWaitingApplications } from './idle-memory.ts';
import { freshStore, gatewayConfig, startMocks, type StoreKind } from './setup.ts';
import { round, wallNow } from './stats.ts';

export interface StreamsOptions {
  store: StoreKind;
  postgresUrl: string | undefined;
  streams: number;
  /** Target events per second in the busy phase (each application's journey publishes ~30). */
  eventsPerSecond: number;
  seconds: number;
  logLevel: string;
  seed: number;
  progress: (line: string) => void;
}

interface Phase {
  seconds: number;
  rssBytes: number;
  peakRssBytes: number;
  /** V8 heap used and reserved at the end of the phase (process.memoryUsage() in the gateway). */
  heapUsedBytes: number;
  heapTotalBytes: number;
  cpuSeconds: number;
  cpuPercent: number;
  /** Events received by all stream clients during the phase. */
  eventsDelivered: number;
  eventsPerSecond: number;
}

export interface StreamsResult {
  store: StoreKind;
  streams: number;
  openSeconds: number;
  baseline: Phase;
  idle: Phase;
  busy: Phase;
  applicationsSubmittedWhileBusy: number;
}

export async function runStreams(options: StreamsOptions): Promise<StreamsResult> {
  const target = await freshStore(options.store, options.postgresUrl);
  // The regulator answers 'accepted' and never calls back within the run: the seeded applications stay quiet.
  const mocks = await startMocks(options.seed, { 'business-licence': { mode: 'async', callbackDelayMs: 3_600_000 } });
  const sockets = new Set<ClientRequest>();
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const submitter = new UndiciAgent({ connections: 8 });
  let delivered = 0;
  try {
    await seedWaitingApplications(target, options.streams, options.logLevel, options.progress, 'rescheduled');
    const ids = await seedIds(target, options.streams);
    // Streams are many by design here: lift the per-client limits for this measurement only.
    const config = gatewayConfig(target, mocks.urls, { logLevel: options.logLevel });
    const gateway = await startGatewayProcess(config, { startTimeoutMs: 300_000 });
    try {
      const measure = async (seconds: number, during?: () => Promise<number>): Promise<Phase & { extra: number }> => {
        const cpuBefore = gateway.cpuSeconds();
        const deliveredBefore = delivered;
        const rss = gateway.sampleRss(100);
        const started = wallNow();
        const extra = during ? await during() : (await new Promise((resolve) => setTimeout(resolve, seconds * 1000)), 0);
        const elapsed = (wallNow() - started) / 1000;
        const sampled = rss.stop();
        const cpu = gateway.cpuSeconds() - cpuBefore;
        const events = delivered - deliveredBefore;
        const { memory } = await gateway.stats();
        return {
          seconds: round(elapsed, 2),
          rssBytes: sampled.lastRssBytes,
          peakRssBytes: sampled.peakRssBytes,
          heapUsedBytes: memory.heapUsed,
          heapTotalBytes: memory.heapTotal,
          cpuSeconds: round(cpu, 3),
          cpuPercent: round((100 * cpu) / elapsed, 1),
          eventsDelivered: events,
          eventsPerSecond: round(events / elapsed, 1),
          extra,
        };
      };
      const open = (id: string, token: string) =>
        new Promise<void>((resolve, reject) => {
          const url = new URL(`${gateway.url}/v1/applications/${id}/events`);
          const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, agent, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
            if (res.statusCode !== 200) {
              reject(new Error(`stream for ${id}: HTTP ${res.statusCode}`));
              res.resume();
              return;
            }
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              for (const line of chunk.split('\n')) if (line.startsWith('event: ')) delivered++;
            });
            resolve();
          });
          req.on('error', reject);
          sockets.add(req);
          req.end();
        });

      const baseline = await measure(options.seconds);
      const openStarted = wallNow();
      for (let i = 0; i < ids.length; i += 200) await Promise.all(ids.slice(i, i + 200).map((id) => open(id, benchAccessToken(id))));
      const openSeconds = (wallNow() - openStarted) / 1000;
      options.progress(`  ${options.store}: ${ids.length} streams open in ${round(openSeconds, 1)} s`);
      // Let the backlog each stream was sent on connecting drain before measuring idleness.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const idle = await measure(options.seconds);

      // Busy: new applications at a rate that publishes ~eventsPerSecond, each followed on its own
      // stream; the regulator now answers at once, so each goes through its whole journey.
      mocks.departments['business-licence'].setBehaviour({ mode: 'sync' });
      const perApplication = 30;
      const intervalMs = (1000 * perApplication) / options.eventsPerSecond;
      const busy = await measure(options.seconds, async () => {
        let submitted = 0;
        const end = wallNow() + options.seconds * 1000;
        while (wallNow() < end) {
          const next = wallNow() + intervalMs;
          const response = await request(`${gateway.url}/v1/applications`, {
            method: 'POST',
            dispatcher: submitter,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(makeApplication()),
          });
          const { id, accessToken } = (await response.body.json()) as { id: string; accessToken: string };
          submitted++;
          await open(id, accessToken);
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - wallNow())));
        }
        return submitted;
      });
      return { store: options.store, streams: ids.length, openSeconds: round(openSeconds, 2), baseline: strip(baseline), idle: strip(idle), busy: strip(busy), applicationsSubmittedWhileBusy: busy.extra };
    } finally {
      for (const req of sockets) req.destroy();
      await gateway.stop();
    }
  } finally {
    agent.destroy();
    await submitter.close();
    await mocks.close();
    await target.drop();
  }
}

const strip = ({ extra: _extra, ...phase }: Phase & { extra: number }): Phase => phase;

/** The ids of the seeded applications (read straight from the store's database). */
async function seedIds(target: Awaited<ReturnType<typeof freshStore>>, limit: number): Promise<string[]> {
  const { createStore } = await import('../gateway/store/index.ts');
  const store = createStore({ databaseUrl: target.url, sqliteFile: target.sqliteFile ?? ':memory:' });
  try {
    return (await store.listApplications({ limit })).map((a) => a.id);
  } finally {
    await store.close();
  }
}
