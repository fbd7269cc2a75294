// The peer the gateway is measured against: DBOS Transact 5.3 — the general-purpose durable
// workflow engine a team might pick instead of building the gateway — running the same job in its
// own process, on the same PostgreSQL, against the same mock departments, with the same load.
//
// One DBOS workflow per application; each department call is a DBOS step (checkpointed in
// PostgreSQL before the workflow goes on); an asynchronous department's callback reaches the
// workflow through DBOS.send/recv (durable messages, idempotent by the callback's event id). The
// steps run in parallel where the DAG allows, exactly as the gateway does: the licence; then seal,
// tax and social insurance together; the bank once the seal is done; the post once seal and tax are.
//
// Fair by construction: applications arrive over HTTP as JSON and are validated with the same zod
// contract; department requests are cut by the same adapters (buildRequest), carry the same
// envelope, headers and idempotency keys, one keep-alive pool per department; callbacks are
// authenticated with the same signature check. The workflow keeps only what the gateway's status
// document needs (each step's result), as DBOS keeps step outputs.
//
// Started by peer-handle.ts; speaks the same IPC protocol as gateway-process.ts ('ready',
// 'settled', 'stats'), so the benchmark drives both with one closed loop.

import { randomUUID } from 'node:crypto';
import { DBOS } from '@dbos-inc/dbos-sdk';
import Fastify from 'fastify';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import {
  ApplicationForm,
  CORE_STEP_IDS,
  DEPARTMENT_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  gatewayRequestHeaders,
  verifyCallbackSignature,
  type DepartmentAnswer,
  type DepartmentCallback,
  type StepId,
} from '../contracts/index.ts';
import { DEPARTMENT_ADAPTERS, type DepartmentAdapter, type PriorResults } from '../services/index.ts';
import { wallNow } from './stats.ts';
import type { ChildMessage, ParentMessage } from './gateway-process.ts';

export interface PeerConfig {
  systemDatabaseUrl: string;
  departments: Record<StepId, { url: string; secret: string }>;
  /** Connections of DBOS's system-database pool (the gateway's store uses 10). */
  poolSize: number;
}

type Result = Record<string, unknown>;
type Outcome = { kind: 'completed'; result: Result } | { kind: 'accepted'; reference: string };

const send = (message: ChildMessage) => process.send?.(message);

async function main() {
  const raw = process.env.BENCH_PEER_CONFIG;
  if (!raw) throw new Error('BENCH_PEER_CONFIG is not set; this file is started by bench/peer-handle.ts');
  const config = JSON.parse(raw) as PeerConfig;
  const silent = pino({ level: 'silent' });
  const builders = Object.fromEntries(
    CORE_STEP_IDS.map((s) => [s, (DEPARTMENT_ADAPTERS[s] as (o: { baseUrl: string; secrets: string[]; log: typeof silent }) => DepartmentAdapter)({ baseUrl: config.departments[s].url, secrets: [config.departments[s].secret], log: silent })]),
  ) as Record<StepId, DepartmentAdapter>;
  const agents = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, new Agent()])) as Record<StepId, Agent>;
  let callbackBase = '';

  /** One department request: the gateway's envelope, headers and idempotency key. Inside a DBOS step. */
  async function callDepartment(step: StepId, applicationId: string, data: Record<string, unknown>): Promise<Outcome> {
    const idempotencyKey = `${applicationId}:${step}:1`;
    const body = JSON.stringify({ applicationId, step, idempotencyKey, callbackUrl: `${callbackBase}/v1/departments/${step}/callbacks`, data });
    // Signed as the gateway signs its requests (contracts/signature.ts): departments refuse anything else.
    const signature = gatewayRequestHeaders({ secrets: [config.departments[step].secret], timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID().replaceAll('-', ''), bodyOrPath: body });
    const response = await request(`${config.departments[step].url}/requests`, {
      method: 'POST',
      dispatcher: agents[step],
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey, ...signature },
      body,
    });
    const answer = (await response.body.json()) as DepartmentAnswer;
    if (answer.outcome === 'completed') return { kind: 'completed', result: answer.result };
    if (answer.outcome === 'accepted') return { kind: 'accepted', reference: answer.reference };
    // A transient failure throws: DBOS retries the step (the mocks here answer every request).
    throw new Error(`${step} answered ${response.statusCode} ${answer.outcome}`);
  }

  /** A step's result: at once, or from its department's callback (a durable DBOS message). */
  async function resultOf(step: StepId, outcome: Outcome): Promise<Result> {
    if (outcome.kind === 'completed') return outcome.result;
    const callback = await DBOS.recv<DepartmentCallback>(step, 600);
    if (!callback || callback.outcome !== 'completed' || !callback.result) throw new Error(`${step}: no completion by callback`);
    return callback.result;
  }

  const openCompany = DBOS.registerWorkflow(
    async (applicationId: string, form: ApplicationForm): Promise<Record<string, Result>> => {
      const build = (step: StepId, prior: PriorResults) => builders[step].buildRequest(form, prior) as Record<string, unknown>;
      const step = (id: StepId, prior: PriorResults) => DBOS.runStep(() => callDepartment(id, applicationId, build(id, prior)), { name: id });

      const licence = await resultOf('business-licence', await step('business-licence', {}));
      const afterLicence = { 'business-licence': licence } as PriorResults;
      const [sealAnswer, taxAnswer, socialAnswer] = await Promise.all([
        step('seal-engraving', afterLicence),
        step('tax-invoice', afterLicence),
        step('social-insurance', afterLicence),
      ]);
      const seal = await resultOf('seal-engraving', sealAnswer);
      const bank = step('bank-account', { ...afterLicence, 'seal-engraving': seal } as PriorResults);
      const tax = await resultOf('tax-invoice', taxAnswer);
      const post = step('postal-delivery', { ...afterLicence, 'seal-engraving': seal, 'tax-invoice': tax } as PriorResults);
      const [bankAnswer, postAnswer] = await Promise.all([bank, post]);
      return {
        'business-licence': licence,
        'seal-engraving': seal,
        'tax-invoice': tax,
        'social-insurance': await resultOf('social-insurance', socialAnswer),
        'bank-account': await resultOf('bank-account', bankAnswer),
        'postal-delivery': await resultOf('postal-delivery', postAnswer),
      };
    },
    { name: 'openCompany' },
  );

  DBOS.setConfig({ name: 'qlt-bench-peer', systemDatabaseUrl: config.systemDatabaseUrl, systemDatabasePoolSize: config.poolSize, logLevel: 'error' });
  await DBOS.launch();

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    (req as unknown as { rawBody: string }).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  let nextId = 0;
  app.post('/v1/applications', async (req, reply) => {
    const parsed = ApplicationForm.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ code: 'APPLICATION_INVALID' });
    // The workflow id is the application id; the key makes a retried submission start nothing twice.
    const id = `peer-${process.pid}-${++nextId}-${String(req.headers['idempotency-key'] ?? '')}`;
    const handle = await DBOS.startWorkflow(openCompany, { workflowID: id })(id, parsed.data);
    void handle.getResult().then(
      () => send({ type: 'settled', id, state: 'completed', at: wallNow() }),
      () => send({ type: 'settled', id, state: 'needs_attention', at: wallNow() }),
    );
    return reply.code(202).send({ id, state: 'in_progress' });
  });

  app.post<{ Params: { step: StepId } }>('/v1/departments/:step/callbacks', async (req, reply) => {
    const { step } = req.params;
    const secret = config.departments[step]?.secret;
    const rawBody = (req as unknown as { rawBody: string }).rawBody;
    const ok =
      secret !== undefined &&
      req.headers[DEPARTMENT_HEADER] === step &&
      verifyCallbackSignature(secret, String(req.headers[TIMESTAMP_HEADER] ?? ''), rawBody, String(req.headers[SIGNATURE_HEADER] ?? ''));
    if (!ok) return reply.code(401).send({ code: 'CALLBACK_SIGNATURE_INVALID' });
    const callback = req.body as DepartmentCallback;
    // Durable and idempotent by event id: a redelivered callback is one message.
    if (callback.outcome !== 'progress') await DBOS.send(callback.applicationId, callback, step, `callback:${step}:${callback.eventId}`);
    return { received: true, applied: true };
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  callbackBase = url;

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await app.close();
      await DBOS.shutdown();
      await Promise.all(Object.values(agents).map((a) => a.close()));
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop(0);
    else if (message.type === 'stats') {
      send({
        type: 'stats',
        requestId: message.requestId,
        stats: { counters: { transitions: 0, applicationsCreated: nextId, eventsWritten: 0, effectsCreated: 0, effectsCompleted: 0, commits: 0 }, memory: process.memoryUsage() },
      });
    }
  });
  process.on('disconnect', () => void stop(1));
  send({ type: 'ready', url, pid: process.pid, store: 'postgres' });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
