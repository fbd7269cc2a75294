// Crash safety (docs/design.md "Orchestration"): SIGKILL the gateway at random instants while hundreds of
// applications are in flight, start it again each time, and prove from the departments' own
// records that every application completed with exactly one effect and one recorded result per
// step, every request for a step carrying the same idempotency key.
//
// One instance at a time, restarted on the same port: its callback URL stays valid, so callbacks
// that failed while it was down are retried by the department; those the department gave up on
// are fetched by the gateway's poll. The restarted instance has a new lease owner id: the dead
// one's leases (2 s) must expire before the work they cover is taken up again.
import t from 'tap';
import { startGatewayProcess, stopGateway, gatewayEnv, type GatewayProcess } from '../support/gateway-process.ts';
import { freePort } from '../support/net.ts';
import { countByState, leasedEffects, seededRandom, startDatabase, startDepartments, submitApplications, verifyExactlyOnce, waitForAllCompleted } from './workload.ts';

const APPLICATIONS = Number(process.env.DURABILITY_APPLICATIONS ?? 200);
const KILLS = Number(process.env.DURABILITY_KILLS ?? 4);
const LEASE_MS = 2_000;

t.test(`SIGKILL at ${KILLS} random instants with ${APPLICATIONS} applications in flight: every application completes exactly once`, async (t) => {
  const started = Date.now();
  const { random } = seededRandom(t);
  const db = await startDatabase(t);
  const departments = await startDepartments(t);
  const port = await freePort();
  const env = gatewayEnv({
    databaseUrl: db.url,
    departments: departments.env,
    sms: departments.smsEnv,
    extra: { LEASE_MS: String(LEASE_MS), POLL_INTERVAL_MS: '500', RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000' },
  });

  let generation = 1;
  let current: GatewayProcess | undefined = await startGatewayProcess(t, { name: 'gateway#1', port, env: { ...env, INSTANCE_ID: 'crash-1' } });
  t.comment(`gateway#1 ready in ${current.readyAt - current.startedAt} ms`);

  let retries = 0;
  const submitting = submitApplications({
    count: APPLICATIONS,
    concurrency: 8,
    keyPrefix: 'crash',
    target: () => (current?.alive() ? current.url : undefined),
    onRetry: () => retries++,
  });
  submitting.catch(() => undefined); // awaited below; a failure must not be an unhandled rejection meanwhile

  // Random instants spread over the whole run: kill k waits until a random share of the
  // applications has completed (drawn in [0, 0.75), sorted) and a random uptime (0.2–1.5 s) has passed.
  const thresholds = Array.from({ length: KILLS }, () => Math.floor(random() * 0.75 * APPLICATIONS)).sort((a, b) => a - b);
  const kills: Array<{ uptimeMs: number; completed: number; inFlight: number }> = [];
  for (let k = 1; k <= KILLS; k++) {
    const minUptime = 200 + Math.floor(random() * 1_300);
    for (;;) {
      const completed = (await countByState(db)).completed ?? 0;
      if (completed >= thresholds[k - 1]! && Date.now() - current.readyAt >= minUptime) break;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 60)));
    }
    const victim: GatewayProcess = current;
    current = undefined;
    const exit = await stopGateway(victim, 'SIGKILL');
    const uptimeMs = Date.now() - victim.readyAt;
    // Counted after the kill: what the dead instance held is exactly what it left behind.
    const inFlight = (await leasedEffects(db, victim.instanceId)).length;
    const completed = (await countByState(db)).completed ?? 0;
    kills.push({ uptimeMs, completed, inFlight });
    t.equal(exit.signal, 'SIGKILL', `kill ${k}: ${victim.name} died by SIGKILL ${uptimeMs} ms after it was ready, holding ${inFlight} leased effects, ${completed}/${APPLICATIONS} completed`);
    generation++;
    current = await startGatewayProcess(t, { name: `gateway#${generation}`, port, env: { ...env, INSTANCE_ID: `crash-${generation}` } });
  }
  t.ok(
    kills.every((k) => k.completed < APPLICATIONS),
    'every kill struck while applications were still in flight',
  );
  t.ok(
    kills.some((k) => k.inFlight > 0),
    'at least one kill struck with department calls or timers claimed and unfinished',
  );

  const ids = await submitting;
  t.comment(`${APPLICATIONS} submitted (${retries} submission retries with the same key while the gateway was down)`);
  const waitedMs = await waitForAllCompleted(db, APPLICATIONS, 60_000);
  t.comment(`all completed ${waitedMs} ms after the last restart`);

  const evidence = await verifyExactlyOnce(t, { db, departments, ids, statusUrl: current.url });
  t.comment(`${evidence.resent} department requests were re-sent after crashes (same key, no second effect); ${evidence.undeliveredCallbacks} callbacks could not be delivered and were replaced by polls`);

  const last = await stopGateway(current, 'SIGTERM');
  t.equal(last.code, 0, `the last instance shut down cleanly on SIGTERM in ${last.ms} ms`);
  t.comment(`crash test took ${Date.now() - started} ms`);
});
