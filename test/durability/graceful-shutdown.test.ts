// Graceful shutdown (gateway/server.ts): SIGTERM mid-flight makes the instance stop taking work,
// finish or release what it has claimed, and exit 0 promptly. The proof that it released its
// leases: the leases here are long (LEASE_MS 60 s), yet the next instance finishes every
// application well within that time — it never had to wait for a lease to expire.
import t from 'tap';
import { startGatewayProcess, stopGateway, gatewayEnv } from '../support/gateway-process.ts';
import { countByState, leasedEffects, startDatabase, startDepartments, submitApplications, verifyExactlyOnce, waitForAllCompleted } from './workload.ts';

const APPLICATIONS = Number(process.env.DURABILITY_SIGTERM_APPLICATIONS ?? 100);
const LEASE_MS = 60_000;

t.test(`SIGTERM with ${APPLICATIONS} applications in flight: exit 0 promptly, leases released, the next instance finishes at once`, async (t) => {
  const started = Date.now();
  const db = await startDatabase(t);
  // Slow-ish departments, so that calls are in flight when the signal arrives.
  const slow = { latencyMs: { min: 100, max: 300 } };
  const departments = await startDepartments(t, {
    'business-licence': slow,
    'social-insurance': slow,
    'bank-account': slow,
    'postal-delivery': slow,
    'seal-engraving': { ...slow, callbackDelayMs: 150 },
    'tax-invoice': { ...slow, callbackDelayMs: 150 },
  });
  const env = gatewayEnv({
    databaseUrl: db.url,
    departments: departments.env,
    sms: departments.smsEnv,
    extra: { LEASE_MS: String(LEASE_MS), POLL_INTERVAL_MS: '500' },
  });

  const first = await startGatewayProcess(t, { name: 'gateway-1', env: { ...env, INSTANCE_ID: 'term-1' } });
  const ids = await submitApplications({ count: APPLICATIONS, concurrency: 8, keyPrefix: 'term', target: () => first.url });

  // Mid-flight: some applications done, and the instance holding live leases on department calls.
  let inFlight: Awaited<ReturnType<typeof leasedEffects>> = [];
  for (;;) {
    const completed = (await countByState(db)).completed ?? 0;
    inFlight = await leasedEffects(db, first.instanceId);
    if (completed >= APPLICATIONS / 10 && inFlight.length >= 5) break;
    if ((completed ?? 0) >= APPLICATIONS) throw new Error('the workload finished before SIGTERM could be sent mid-flight');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const completedAtSignal = (await countByState(db)).completed ?? 0;
  const exit = await stopGateway(first, 'SIGTERM', 15_000);
  t.equal(exit.code, 0, `exit code 0 (SIGTERM with ${inFlight.length} leased effects in flight, ${completedAtSignal}/${APPLICATIONS} completed)`);
  t.equal(exit.signal, null, 'it exited by itself, not by a signal');
  t.ok(exit.ms < 5_000, `it exited promptly: ${exit.ms} ms after SIGTERM`);
  t.equal(first.count('shutting down'), 1, 'it logged the shutdown');

  t.strictSame(await leasedEffects(db), [], 'no effect is left under a lease: what was claimed was finished or released');
  const { rows } = await db.client.query<{ id: string; state: string; lease_owner: string | null }>(
    'SELECT id, state, lease_owner FROM effects WHERE id = ANY($1::bigint[])',
    [inFlight.map((e) => e.id)],
  );
  const finished = rows.filter((r) => r.state === 'done' && r.lease_owner === first.instanceId).length;
  const released = rows.filter((r) => r.state === 'pending' && r.lease_owner === null).length;
  t.comment(`of the ${inFlight.length} effects leased when the signal arrived: ${finished} finished before exit, ${released} released, ${inFlight.length - rows.length} cancelled by later transitions`);
  const remaining = APPLICATIONS - ((await countByState(db)).completed ?? 0);
  t.ok(remaining > 0, `work was left for the next instance: ${remaining} applications`);

  // Same port: callbacks addressed to the first instance reach the second.
  const second = await startGatewayProcess(t, { name: 'gateway-2', port: first.port, env: { ...env, INSTANCE_ID: 'term-2' } });
  const waitedMs = await waitForAllCompleted(db, APPLICATIONS, LEASE_MS / 2);
  t.ok(waitedMs < LEASE_MS, `the second instance finished the remaining work in ${waitedMs} ms, without waiting for a ${LEASE_MS} ms lease`);

  const evidence = await verifyExactlyOnce(t, { db, departments, ids, statusUrl: second.url });
  t.comment(`${evidence.resent} department requests were re-sent (same key, no second effect)`);
  const stopped = await stopGateway(second, 'SIGTERM');
  t.equal(stopped.code, 0, `the second instance shut down cleanly too (${stopped.ms} ms)`);
  t.comment(`graceful-shutdown test took ${Date.now() - started} ms`);
});
