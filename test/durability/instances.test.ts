// Several instances on one PostgreSQL (docs/design.md "Orchestration"): three gateway processes share the
// work; one is SIGKILLed mid-way while it holds leases; the other two take its work over once those
// leases expire (LEASE_MS, 2 s here) — not before — and every application completes with exactly
// one effect per (application, step) at the departments.
//
// Each instance gives departments its own callback URL. Callbacks meant for the dead instance are
// lost (the mock gives up after its retries); the survivors' polls fetch those results instead.
import t from 'tap';
import { startGatewayProcess, stopGateway, gatewayEnv, type GatewayProcess } from '../support/gateway-process.ts';
import { countByState, leasedEffects, seededRandom, startDatabase, startDepartments, submitApplications, verifyExactlyOnce, waitForAllCompleted } from './workload.ts';

const APPLICATIONS = Number(process.env.DURABILITY_APPLICATIONS ?? 200);
const LEASE_MS = 2_000;

t.test(`three instances share ${APPLICATIONS} applications; one is killed mid-way; the others finish its work after its leases expire`, async (t) => {
  const started = Date.now();
  const { random } = seededRandom(t);
  const db = await startDatabase(t);
  // A little department latency keeps calls in flight, so the victim dies holding some.
  const latency = { latencyMs: { min: 10, max: 60 } };
  const departments = await startDepartments(t, {
    'business-licence': latency,
    'social-insurance': latency,
    'bank-account': latency,
    'postal-delivery': latency,
    'seal-engraving': { ...latency, callbackDelayMs: 150, callbackRetry: { attempts: 3, backoffMs: 200 } },
    'tax-invoice': { ...latency, callbackDelayMs: 150, callbackRetry: { attempts: 3, backoffMs: 200 } },
  });
  const env = gatewayEnv({
    databaseUrl: db.url,
    departments: departments.env,
    sms: departments.smsEnv,
    extra: { LEASE_MS: String(LEASE_MS), POLL_INTERVAL_MS: '500', RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000' },
  });
  // Started one after the other: three cold starts at once on two cores only slow each other down.
  const instances: GatewayProcess[] = [];
  for (const name of ['gw-a', 'gw-b', 'gw-c']) instances.push(await startGatewayProcess(t, { name, env: { ...env, INSTANCE_ID: name } }));
  const [a, b, c] = instances as [GatewayProcess, GatewayProcess, GatewayProcess];
  t.comment(`three instances ready in ${Date.now() - started} ms`);

  let turn = 0;
  const submitting = submitApplications({
    count: APPLICATIONS,
    concurrency: 6,
    keyPrefix: 'three',
    target: () => {
      const alive = instances.filter((i) => i.alive());
      return alive[turn++ % alive.length]?.url;
    },
  });
  submitting.catch(() => undefined);

  // Mid-way: once a random 20–50 % of the applications have completed, kill b the moment it holds leases.
  const threshold = Math.floor((0.2 + random() * 0.3) * APPLICATIONS);
  for (;;) {
    const completed = (await countByState(db)).completed ?? 0;
    if (completed >= threshold && (await leasedEffects(db, b.instanceId)).length > 0) break;
    if (completed >= APPLICATIONS) throw new Error(`the workload finished before ${b.name} could be killed mid-way`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const exit = await stopGateway(b, 'SIGKILL');
  const killedAt = new Date();
  t.equal(exit.signal, 'SIGKILL', `${b.name} died by SIGKILL`);
  // What the dead instance left behind: effects still pending under its (not yet expired) leases.
  const orphans = await leasedEffects(db, b.instanceId);
  const completedAtKill = (await countByState(db)).completed ?? 0;
  t.ok(orphans.length > 0, `${b.name} died holding ${orphans.length} leased effects, with ${completedAtKill}/${APPLICATIONS} applications completed`);

  const ids = await submitting;
  const waitedMs = await waitForAllCompleted(db, APPLICATIONS, 60_000);
  t.comment(`all completed ${waitedMs} ms after the submissions ended`);

  // Every orphan was taken over by a survivor, only after the dead instance's lease had expired
  // (or cancelled by a later transition, e.g. a poll made moot by a callback).
  const { rows } = await db.client.query<{ id: string; state: string; lease_owner: string | null; completed_at: Date | null }>(
    'SELECT id, state, lease_owner, completed_at FROM effects WHERE id = ANY($1::bigint[])',
    [orphans.map((o) => o.id)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const survivors = new Set([a.instanceId, c.instanceId]);
  const problems: string[] = [];
  let takenOver = 0;
  for (const orphan of orphans) {
    const row = byId.get(orphan.id);
    if (!row) continue; // cancelled (deleted) by a later transition
    if (row.state !== 'done') problems.push(`effect ${orphan.id} (${orphan.key}) is still ${row.state}`);
    else if (!row.lease_owner || !survivors.has(row.lease_owner)) problems.push(`effect ${orphan.id} (${orphan.key}) was completed by ${row.lease_owner}`);
    else if (row.completed_at! < orphan.leaseUntil) problems.push(`effect ${orphan.id} (${orphan.key}) was taken over at ${row.completed_at!.toISOString()}, before the lease expired at ${orphan.leaseUntil.toISOString()}`);
    else takenOver++;
  }
  t.strictSame(problems, [], `the survivors took over ${takenOver} of the ${orphans.length} orphaned effects after the lease expired (the rest were cancelled)`);
  t.ok(orphans.every((o) => o.leaseUntil.getTime() - killedAt.getTime() <= LEASE_MS), `the orphans' leases ran out within LEASE_MS (${LEASE_MS} ms) of the kill`);

  // The work was shared: every instance completed effects (done rows keep the last claimant).
  const { rows: shares } = await db.client.query<{ lease_owner: string; n: string }>(
    "SELECT lease_owner, COUNT(*) AS n FROM effects WHERE state = 'done' AND lease_owner IS NOT NULL GROUP BY lease_owner ORDER BY lease_owner",
  );
  const share = Object.fromEntries(shares.map((s) => [s.lease_owner, Number(s.n)]));
  t.ok(instances.every((i) => (share[i.instanceId] ?? 0) > 0), `every instance did part of the work: ${JSON.stringify(share)}`);

  const evidence = await verifyExactlyOnce(t, { db, departments, ids, statusUrl: a.url });
  t.comment(`${evidence.resent} department requests were re-sent (same key, no second effect); ${evidence.undeliveredCallbacks} callbacks could not be delivered and were replaced by polls`);

  for (const survivor of [a, c]) {
    const stopped = await stopGateway(survivor, 'SIGTERM');
    t.equal(stopped.code, 0, `${survivor.name} shut down cleanly on SIGTERM in ${stopped.ms} ms`);
  }
  t.comment(`three-instance test took ${Date.now() - started} ms`);
});
