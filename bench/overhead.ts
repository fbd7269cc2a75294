// 2. Overhead: the critical path of ONE application (nothing else running) through the gateway —
// POST /v1/applications until the transition to completed has committed — against the same
// department calls made directly (direct-client.ts). Runs alternate between the two, so drift in
// the machine (other load, frequency scaling, a GC) hits both alike; the medians are compared.

import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { makeApplication, makeApplicationForm } from '../test/fixtures/application.ts';
import { createDirectClient } from './direct-client.ts';
import { startGatewayProcess, type GatewayHandle } from './gateway-handle.ts';
import { startCpuAccount, type CpuAccount } from './proc.ts';
import { freshStore, gatewayConfig, startMocks, type StoreKind } from './setup.ts';
import { round, summarize, wallNow, type Summary } from './stats.ts';

export interface OverheadOptions {
  store: StoreKind;
  postgresUrl: string | undefined;
  /** The PostgreSQL server runs on this machine in our pid namespace (local-cluster): its CPU can be read. */
  postgresLocal: boolean;
  runs: number;
  warmup: number;
  logLevel: string;
  seed: number;
}

export interface OverheadResult {
  store: StoreKind;
  runs: number;
  warmup: number;
  gatewayMs: Summary;
  directMs: Summary;
  /** median(gateway) / median(direct) */
  ratio: number;
  /** median(gateway) − median(direct), ms */
  addedMs: number;
  /** CPU over the measured runs (both paths): see proc.ts CpuAccount. otherSeconds ≈ 0 on a quiet machine. */
  cpu: CpuAccount;
}

export async function runOverhead(options: OverheadOptions): Promise<OverheadResult> {
  const target = await freshStore(options.store, options.postgresUrl);
  const mocks = await startMocks(options.seed);
  const direct = await createDirectClient(mocks.urls);
  const agent = new Agent();
  const body = JSON.stringify(makeApplication());
  const form = makeApplicationForm();
  let gateway: GatewayHandle | undefined;
  try {
    gateway = await startGatewayProcess(gatewayConfig(target, mocks.urls, { logLevel: options.logLevel }));
    const g = gateway;
    const viaGateway = async () => {
      const started = wallNow();
      const response = await request(`${g.url}/v1/applications`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'idempotency-key': `overhead-${randomUUID()}` },
        body,
      });
      const { id } = (await response.body.json()) as { id: string };
      if (response.statusCode !== 202) throw new Error(`POST /v1/applications answered ${response.statusCode}`);
      const settled = await g.settled(id, 30_000);
      if (settled.state !== 'completed') throw new Error(`application ${id} settled as ${settled.state}`);
      return settled.at - started;
    };
    const viaDirect = async () => {
      const started = wallNow();
      await direct.run(form);
      return wallNow() - started;
    };

    for (let i = 0; i < options.warmup; i++) {
      await viaGateway();
      await viaDirect();
    }
    const cpuAccount = await startCpuAccount(g.pid, options.store === 'postgres' && options.postgresLocal ? () => target.serverPids() : undefined);
    const gatewayMs: number[] = [];
    const directMs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      if (i % 2 === 0) {
        gatewayMs.push(await viaGateway());
        directMs.push(await viaDirect());
      } else {
        directMs.push(await viaDirect());
        gatewayMs.push(await viaGateway());
      }
    }
    const cpu = await cpuAccount.stop();
    const g50 = summarize(gatewayMs);
    const d50 = summarize(directMs);
    return {
      store: options.store,
      runs: options.runs,
      warmup: options.warmup,
      gatewayMs: g50,
      directMs: d50,
      ratio: round(g50.p50 / d50.p50),
      addedMs: round(g50.p50 - d50.p50),
      cpu,
    };
  } finally {
    await gateway?.stop();
    await agent.close();
    await direct.close();
    await mocks.close();
    await target.drop();
  }
}
