// One mock department system: a Fastify server speaking the department protocol of
// contracts/department.ts for one step, with the failure modes real departments have, switchable
// at run time through /_mock/* control routes (which exist only on mocks, never in the protocol).
//
// Idempotency: every answer is stored under the request's Idempotency-Key BEFORE anything can
// await, so two deliveries of one key — sequential, concurrent, or a retry after a hang — share one
// reference and produce at most one effect. Injected 500/429/reset/malformed faults are answered
// before the request is processed (a retry with the same key then does the work once); a
// 'timeout' fault processes the request and only withholds the answer, like a department that did
// the work and lost the reply.
//
// Authentication: every request to /requests must be signed by the gateway (./gateway-auth.ts);
// an unsigned, forged, stale or replayed one is refused with 401 before anything else happens.
// Callbacks are signed with the shared secret (and the previous one too during a change-over).
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Agent, request as httpRequest } from 'undici';
import type { z } from 'zod';
import {
  DEPARTMENT_HEADER,
  DepartmentRequestEnvelope,
  SIGNATURE_HEADER,
  STEP_CONTRACTS,
  TIMESTAMP_HEADER,
  issuesToDetails,
  signatureHeader,
  type DepartmentAnswer,
  type DepartmentCallback,
  type FieldIssue,
  type StepContracts,
  type StepId,
  type StepRequestData,
  type StepResult,
} from '../../contracts/index.ts';
import { createGatewayAuth } from './gateway-auth.ts';
import { MockBehaviourDocument, resolveBehaviour, type ErrorKind, type MockBehaviour, type MockBehaviourInput, type MockMode } from './behaviour.ts';
import { mulberry32, pick, randomChars, randomInt, type Random } from './random.ts';

export type StepMilestone<S extends StepId> = z.infer<StepContracts[S]['milestone']>;

export interface MockStepContext<S extends StepId> {
  /** The step request, parsed by its contract schema (defaults applied). */
  data: StepRequestData<S>;
  random: Random;
  now: Date;
}

/** What makes one department different from the others; the kit does the rest. */
export interface MockStepDefinition<S extends StepId> {
  readonly step: S;
  readonly defaultMode: MockMode;
  /** Prefix of the department's own references, e.g. "SCJG" for the market regulator. */
  readonly referencePrefix: string;
  /** Reasons used by rejectRate, and by a reject rule that names none. Paths are application-form paths. */
  readonly rejectionReasons: readonly FieldIssue[];
  /** Rules the department enforces whatever the behaviour; a non-empty answer is an immediate 422. */
  check?(data: StepRequestData<S>): FieldIssue[] | undefined;
  /** Async mode: what the department reports when it accepts (e.g. seal codes assigned). */
  milestone?(ctx: MockStepContext<S>): StepMilestone<S>;
  /** The final result; in async mode `milestone` is what was reported on acceptance. */
  result(ctx: MockStepContext<S> & { milestone: StepMilestone<S> | undefined }): StepResult<S>;
  /**
   * Further operations of this department's protocol (e.g. the market regulator's name check),
   * registered on the mock's server. They must authenticate the gateway like /requests does.
   */
  routes?(ctx: MockRoutesContext<S>): void;
}

/** What a department's own routes get from the kit. */
export interface MockRoutesContext<S extends StepId> {
  app: FastifyInstance;
  /** Refuses (401) a request the gateway did not sign over this body (POST) or path (GET); true when it may proceed. */
  authenticated(request: FastifyRequest, reply: FastifyReply): boolean;
  /** The requests this department completed (e.g. the companies it registered), oldest first. */
  completed(): Array<StepRequestData<S>>;
}

export interface MockDepartmentOptions {
  /** HMAC secret shared with the gateway: signs callbacks, verifies the gateway's requests. */
  secret: string;
  /**
   * During a secret change-over: the other secret still valid. The gateway's requests may be
   * signed with either; callbacks carry a signature with each (docs/departments.md "Rotating a secret").
   */
  previousSecret?: string;
  /** Replay window for the gateway's requests, in seconds (default 300). */
  maxSkewSeconds?: number;
  /** Default '127.0.0.1': tests and benchmarks stay on loopback. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  behaviour?: MockBehaviourInput;
  /** Source of every timestamp the mock issues (results, capacity windows, callback signatures). */
  clock?: () => Date;
  /** Randomness for identifiers, faults and rejections; wins over `seed`. Default Math.random. */
  random?: Random;
  /** Shorthand for `random: mulberry32(seed)`. */
  seed?: number;
  /** A pino(-compatible) logger; by default the mock logs nothing. */
  logger?: FastifyBaseLogger;
}

/** One delivery of POST /requests with a well-formed envelope (GET /_mock/requests). */
export interface ReceivedRequest {
  idempotencyKey: string;
  applicationId: string;
  receivedAt: string;
  data: Record<string, unknown>;
  /** True when the key already had an answer: this delivery was answered from the store. */
  duplicate: boolean;
  /** The fault injected into this delivery's answer ('capacity' for a 429 beyond capacity), if any. */
  fault: ErrorKind | 'capacity' | null;
}

/** One department effect (a licence issued, seals engraved …): at most one per idempotency key. */
export interface MockEffect {
  idempotencyKey: string;
  applicationId: string;
  reference: string;
  at: string;
  result: Record<string, unknown>;
}

export interface SentCallback {
  eventId: string;
  idempotencyKey: string;
  applicationId: string;
  reference: string;
  outcome: DepartmentCallback['outcome'];
  url: string;
  attempts: number;
  delivered: boolean;
  lastStatus: number | null;
  lastError: string | null;
}

export interface MockDepartment<S extends StepId = StepId> {
  readonly step: S;
  /** Base URL, e.g. http://127.0.0.1:43121 — the department endpoint is `${url}/requests`. */
  readonly url: string;
  readonly app: FastifyInstance;
  behaviour(): MockBehaviour;
  /** Replaces the behaviour document (fields left out take their defaults); throws on an invalid one. */
  setBehaviour(input: MockBehaviourInput): MockBehaviour;
  requests(): ReceivedRequest[];
  effects(): MockEffect[];
  callbacks(): SentCallback[];
  /** Forgets every request, answer, effect and callback, cancels pending work, restores the initial behaviour. */
  reset(): void;
  /** Resolves once no accepted request is still being processed and no callback is being delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  idempotencyKey: string;
  data: unknown;
  applicationId: string;
  callbackUrl: string;
  reference: string;
  answer: DepartmentAnswer;
  milestone: Record<string, unknown> | undefined;
  events: number;
}

const HTTP_STATUS = { completed: 200, accepted: 202, rejected: 422 } as const;
/** The parsed body of a request whose text is not JSON (reported after authentication). */
const NOT_JSON = Symbol('not JSON');
const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** yyyymmdd in China Standard Time (UTC+8, no daylight saving), as departments stamp their references. */
export function chinaDate(now: Date): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

function hangUp(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

export async function startMock<S extends StepId>(definition: MockStepDefinition<S>, options: MockDepartmentOptions): Promise<MockDepartment<S>> {
  const step = definition.step;
  const contract = STEP_CONTRACTS[step] as unknown as {
    request: z.ZodType<StepRequestData<S>>;
    milestone: z.ZodType<StepMilestone<S>>;
    result: z.ZodType<StepResult<S>>;
  };
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? (options.seed === undefined ? Math.random : mulberry32(options.seed));
  const host = options.host ?? '127.0.0.1';
  const initialBehaviour = resolveBehaviour(options.behaviour, definition.defaultMode);

  let behaviour = initialBehaviour;
  let capacityWindow: { start: number; count: number } | undefined;
  let received: ReceivedRequest[] = [];
  let effects: MockEffect[] = [];
  let callbacks: SentCallback[] = [];
  const entries = new Map<string, Entry>();
  const byReference = new Map<string, Entry>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<void>>();
  let referenceSeq = 0;
  let closing: Promise<void> | undefined;
  // Aborted on close: ends latency sleeps, hangs, callback retries and in-flight callbacks.
  const lifetime = new AbortController();
  // Every pending wait and callback delivery listens on this one signal; under load there are many.
  setMaxListeners(0, lifetime.signal);
  const agent = new Agent({ connect: { timeout: 2_000 }, headersTimeout: 5_000, bodyTimeout: 5_000, keepAliveTimeout: 1_000 });
  const secrets = options.previousSecret ? [options.secret, options.previousSecret] : [options.secret];
  const gatewayAuth = createGatewayAuth({ secrets, clock, ...(options.maxSkewSeconds !== undefined ? { maxSkewSeconds: options.maxSkewSeconds } : {}) });

  const app: FastifyInstance = options.logger
    ? Fastify({ loggerInstance: options.logger.child({ mock: step }), forceCloseConnections: true })
    : Fastify({ logger: false, forceCloseConnections: true });

  /** Sleeps unless the mock is closing; false when it was cut short. */
  async function wait(ms: number): Promise<boolean> {
    if (ms <= 0) return !lifetime.signal.aborted;
    try {
      await sleep(ms, undefined, { signal: lifetime.signal });
      return true;
    } catch {
      return false;
    }
  }

  function track(work: Promise<void>): void {
    const guarded: Promise<void> = work
      .catch((error: unknown) => app.log.error({ err: error }, 'mock department background work failed'))
      .finally(() => inflight.delete(guarded));
    inflight.add(guarded);
  }

  const latency = (b: MockBehaviour) => (b.latencyMs.max > 0 ? randomInt(random, b.latencyMs.min, b.latencyMs.max) : 0);
  const drawFault = (b: MockBehaviour): ErrorKind | null =>
    b.errorRate > 0 && random() < b.errorRate ? pick(random, b.errorKinds) : null;

  function sendFault(kind: Exclude<ErrorKind, 'timeout'>, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    switch (kind) {
      case '500':
        return reply.code(500).send({ code: 'DEPARTMENT_UNAVAILABLE', message: 'Injected fault: internal error. Retry with the same Idempotency-Key.' });
      case '429':
        return reply.code(429).header('retry-after', '1').send({ code: 'DEPARTMENT_BUSY', message: 'Injected fault: too many requests. Retry after the Retry-After delay.' });
      case 'malformed_json':
        return reply.code(200).type('application/json; charset=utf-8').send('{"outcome":"completed","result":{"trunc');
      case 'reset':
        return hangUp(request, reply);
    }
  }

  /** Seconds to wait if the request is beyond capacity, else undefined (and the request is counted). */
  function admit(): number | undefined {
    const capacity = behaviour.capacity;
    if (!capacity) return undefined;
    const now = clock().getTime();
    if (!capacityWindow || now >= capacityWindow.start + capacity.windowMs) capacityWindow = { start: now, count: 0 };
    if (capacityWindow.count >= capacity.perWindow) {
      return Math.max(1, Math.ceil((capacityWindow.start + capacity.windowMs - now) / 1000));
    }
    capacityWindow.count++;
    return undefined;
  }

  function behaviouralRejection(data: StepRequestData<S>, b: MockBehaviour): FieldIssue[] | undefined {
    const companyName = (data as { companyName?: unknown }).companyName;
    if (b.reject) {
      const hit = b.reject.when === 'always' || (typeof companyName === 'string' && companyName.includes(b.reject.value ?? ''));
      if (hit) return [...(b.reject.reasons ?? definition.rejectionReasons)];
    }
    if (b.rejectRate > 0 && random() < b.rejectRate) return [...definition.rejectionReasons];
    return undefined;
  }

  function produceResult(data: StepRequestData<S>, milestone: StepMilestone<S> | undefined, now: Date): Record<string, unknown> {
    // Parsing our own output keeps a generator bug from ever reaching the gateway as a "valid" result.
    return contract.result.parse(definition.result({ data, random, now, milestone })) as Record<string, unknown>;
  }

  function recordEffect(entry: Entry, result: Record<string, unknown>, now: Date): void {
    effects.push({ idempotencyKey: entry.idempotencyKey, applicationId: entry.applicationId, reference: entry.reference, at: now.toISOString(), result });
  }

  function store(entry: Entry): Entry {
    entries.set(entry.idempotencyKey, entry);
    byReference.set(entry.reference, entry);
    return entry;
  }

  /** Processes a new key. Synchronous from start to store: nothing can interleave. */
  function accept(envelope: DepartmentRequestEnvelope, data: StepRequestData<S>, b: MockBehaviour): Entry {
    const now = clock();
    const reference = `${definition.referencePrefix}${chinaDate(now)}${String(++referenceSeq).padStart(6, '0')}${randomChars(random, REFERENCE_ALPHABET, 4)}`;
    const entry: Entry = {
      idempotencyKey: envelope.idempotencyKey,
      data,
      applicationId: envelope.applicationId,
      callbackUrl: envelope.callbackUrl,
      reference,
      answer: { outcome: 'accepted', reference },
      milestone: undefined,
      events: 0,
    };
    // The department's own rules are checked at the door, in either mode.
    const refused = definition.check?.(data);
    if (refused && refused.length > 0) {
      entry.answer = { outcome: 'rejected', reference, reasons: refused };
      return store(entry);
    }
    const reasons = behaviouralRejection(data, b);
    if (b.mode === 'sync') {
      if (reasons) {
        entry.answer = { outcome: 'rejected', reference, reasons };
      } else {
        const result = produceResult(data, undefined, now);
        entry.answer = { outcome: 'completed', reference, result };
        recordEffect(entry, result, now);
      }
      return store(entry);
    }
    // Async: a rejection decided on review arrives by callback, like a completion.
    const milestone = reasons ? undefined : definition.milestone?.({ data, random, now });
    if (milestone !== undefined) {
      entry.milestone = contract.milestone.parse(milestone) as Record<string, unknown>;
      entry.answer = { outcome: 'accepted', reference, milestone: entry.milestone };
    }
    store(entry);
    const timer = setTimeout(() => {
      timers.delete(timer);
      const finishedAt = clock();
      if (reasons) {
        entry.answer = { outcome: 'rejected', reference, reasons };
      } else {
        const result = produceResult(data, milestone, finishedAt);
        entry.answer = { outcome: 'completed', reference, result };
        recordEffect(entry, result, finishedAt);
      }
      track(sendCallbacks(entry, b));
    }, b.callbackDelayMs);
    timers.add(timer);
    return entry;
  }

  function callbackBody(entry: Entry, outcome: DepartmentCallback['outcome']): DepartmentCallback {
    const body: DepartmentCallback = {
      eventId: `${entry.reference}.e${++entry.events}`,
      applicationId: entry.applicationId,
      idempotencyKey: entry.idempotencyKey,
      reference: entry.reference,
      outcome,
    };
    if (outcome === 'progress') body.milestone = entry.milestone ?? {};
    else if (entry.answer.outcome === 'completed') body.result = entry.answer.result;
    else if (entry.answer.outcome === 'rejected') body.reasons = entry.answer.reasons;
    return body;
  }

  async function sendCallbacks(entry: Entry, b: MockBehaviour): Promise<void> {
    const outcome = entry.answer.outcome === 'rejected' ? 'rejected' : 'completed';
    const events = [callbackBody(entry, outcome)];
    // At-least-once and out of order: the same outcome again under a new event id, then a
    // 'progress' event that is older than the completion it arrives after.
    if (b.duplicateCallbacks) events.push(callbackBody(entry, outcome), callbackBody(entry, 'progress'));
    for (const body of events) await deliver(entry.callbackUrl, body, b.callbackRetry);
  }

  async function deliver(url: string, body: DepartmentCallback, retry: MockBehaviour['callbackRetry']): Promise<void> {
    const rawBody = JSON.stringify(body);
    const sent: SentCallback = {
      eventId: body.eventId,
      idempotencyKey: body.idempotencyKey,
      applicationId: body.applicationId,
      reference: body.reference,
      outcome: body.outcome,
      url,
      attempts: 0,
      delivered: false,
      lastStatus: null,
      lastError: null,
    };
    callbacks.push(sent);
    for (let attempt = 1; attempt <= retry.attempts && !lifetime.signal.aborted; attempt++) {
      sent.attempts = attempt;
      // Signed afresh on every attempt: the timestamp must be current for the gateway's skew check.
      const timestamp = String(Math.floor(clock().getTime() / 1000));
      try {
        const response = await httpRequest(url, {
          method: 'POST',
          dispatcher: agent,
          signal: lifetime.signal,
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, rawBody),
            [DEPARTMENT_HEADER]: step,
          },
          body: rawBody,
        });
        const text = await response.body.text();
        sent.lastStatus = response.statusCode;
        if (response.statusCode >= 200 && response.statusCode < 300) {
          sent.delivered = true;
          return;
        }
        // The gateway already has this event (our earlier attempt got through, its answer did not):
        // delivered. docs/departments.md asks departments to do the same.
        if (response.statusCode === 401 && text.includes('"CALLBACK_REPLAYED"')) {
          sent.delivered = true;
          return;
        }
      } catch (error) {
        sent.lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < retry.attempts && !(await wait(retry.backoffMs * 2 ** (attempt - 1)))) break;
    }
    app.log.warn({ eventId: body.eventId, reference: body.reference, attempts: sent.attempts, lastStatus: sent.lastStatus }, 'callback not delivered');
  }

  type Parsed = { ok: true; envelope: DepartmentRequestEnvelope; data: StepRequestData<S> } | { ok: false; details: FieldIssue[] };

  function parseRequest(request: FastifyRequest): Parsed {
    const details: FieldIssue[] = [];
    const header = request.headers['idempotency-key'];
    const envelope = DepartmentRequestEnvelope.safeParse(request.body);
    if (!envelope.success) details.push(...issuesToDetails(envelope.error.issues));
    if (typeof header !== 'string' || header.length === 0) {
      details.push({ path: 'headers.idempotency-key', message: 'Send the Idempotency-Key header; it repeats idempotencyKey of the body' });
    } else if (envelope.success && header !== envelope.data.idempotencyKey) {
      details.push({ path: 'headers.idempotency-key', message: 'The Idempotency-Key header must equal idempotencyKey of the body' });
    }
    if (!envelope.success) return { ok: false, details };
    if (envelope.data.step !== step) details.push({ path: 'step', message: `This department handles the step ${step} only` });
    const data = contract.request.safeParse(envelope.data.data);
    if (!data.success) details.push(...issuesToDetails(data.error.issues, ['data']));
    if (!data.success || details.length > 0) return { ok: false, details };
    return { ok: true, envelope: envelope.data, data: data.data };
  }

  // The raw text is kept: the gateway's signature covers the exact bytes. A body that is not JSON is
  // reported only after the signature was checked (an unauthenticated caller learns nothing).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const raw = body as string;
    (request as FastifyRequest & { rawBody?: string }).rawBody = raw;
    try {
      done(null, raw === '' ? undefined : JSON.parse(raw));
    } catch {
      done(null, NOT_JSON);
    }
  });

  /** Refuses a request the gateway did not sign (401 { code, message }); true when it may proceed. */
  function authenticated(request: FastifyRequest, reply: FastifyReply, bodyOrPath: string): boolean {
    const result = gatewayAuth.check(request.headers, bodyOrPath);
    if (result.ok) return true;
    void reply.code(result.status).send(result.body);
    return false;
  }

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ code: 'DEPARTMENT_REQUEST_INVALID', message: error.message ?? 'Bad request' });
    request.log.error({ err: error }, 'mock department failed');
    return reply.code(500).send({ code: 'DEPARTMENT_INTERNAL', message: 'The mock department failed; see its log.' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}; the department serves POST /requests and GET /requests/:reference.` }),
  );

  app.get('/health', async () => ({ status: 'ok', step }));

  app.post('/requests', async (request, reply) => {
    if (!authenticated(request, reply, (request as FastifyRequest & { rawBody?: string }).rawBody ?? '')) return reply;
    const b = behaviour;
    const receivedAt = clock().toISOString();
    if (!(await wait(latency(b)))) return hangUp(request, reply);
    if (request.body === NOT_JSON) {
      return reply.code(400).send({ code: 'DEPARTMENT_REQUEST_INVALID', message: 'The body is not valid JSON; send the request envelope as application/json.' });
    }
    const parsed = parseRequest(request);
    if (!parsed.ok) {
      return reply.code(400).send({ code: 'DEPARTMENT_REQUEST_INVALID', message: 'The request is invalid; correct the fields listed in details.', details: parsed.details });
    }
    const { envelope, data } = parsed;
    const existing = entries.get(envelope.idempotencyKey);
    const fault = drawFault(b);
    const record: ReceivedRequest = {
      idempotencyKey: envelope.idempotencyKey,
      applicationId: envelope.applicationId,
      receivedAt,
      data: envelope.data,
      duplicate: existing !== undefined,
      fault,
    };
    received.push(record);
    if (fault !== null && fault !== 'timeout') return sendFault(fault, request, reply);

    let entry: Entry;
    if (existing) {
      if (existing.applicationId !== envelope.applicationId) {
        return reply.code(409).send({ code: 'IDEMPOTENCY_KEY_REUSED', message: 'This Idempotency-Key was used for another application; use a new key.' });
      }
      entry = existing;
    } else {
      const retryAfter = admit();
      if (retryAfter !== undefined) {
        record.fault = 'capacity';
        return reply
          .code(429)
          .header('retry-after', String(retryAfter))
          .send({ code: 'DEPARTMENT_AT_CAPACITY', message: `The department is at capacity; retry after ${retryAfter} s.` });
      }
      entry = accept(envelope, data, b);
    }
    // A 'timeout' fault: the work is done (and stored), only the answer is late.
    if (fault === 'timeout' && !(await wait(b.hangMs))) return hangUp(request, reply);
    return reply.code(HTTP_STATUS[entry.answer.outcome]).send(entry.answer);
  });

  app.get<{ Params: { reference: string } }>('/requests/:reference', async (request, reply) => {
    if (!authenticated(request, reply, request.url.split('?')[0]!)) return reply;
    const b = behaviour;
    if (!(await wait(latency(b)))) return hangUp(request, reply);
    const fault = drawFault(b);
    if (fault !== null && fault !== 'timeout') return sendFault(fault, request, reply);
    if (fault === 'timeout' && !(await wait(b.hangMs))) return hangUp(request, reply);
    const entry = byReference.get(request.params.reference);
    if (!entry) {
      return reply.code(404).send({ code: 'DEPARTMENT_REFERENCE_UNKNOWN', message: 'No request has this reference; check the reference the department answered with.' });
    }
    return reply.code(200).send(entry.answer);
  });

  // ── control routes: mocks only ────────────────────────────────────────────────────────────
  app.get('/_mock/behaviour', async () => behaviour);
  app.put('/_mock/behaviour', async (request, reply) => {
    const parsed = MockBehaviourDocument.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ code: 'MOCK_BEHAVIOUR_INVALID', message: 'The behaviour document is invalid; correct the fields listed in details.', details: issuesToDetails(parsed.error.issues) });
    }
    return setBehaviour(parsed.data);
  });
  app.get('/_mock/requests', async () => received);
  app.get('/_mock/effects', async () => effects);
  app.get('/_mock/callbacks', async () => callbacks);
  app.post('/_mock/reset', async (_request, reply) => {
    reset();
    return reply.code(204).send();
  });

  definition.routes?.({
    app,
    authenticated: (request, reply) =>
      authenticated(request, reply, request.method === 'GET' ? request.url.split('?')[0]! : ((request as FastifyRequest & { rawBody?: string }).rawBody ?? '')),
    completed: () => [...entries.values()].filter((e) => e.answer.outcome === 'completed').map((e) => e.data as StepRequestData<S>),
  });

  function setBehaviour(input: MockBehaviourInput): MockBehaviour {
    behaviour = resolveBehaviour(input, definition.defaultMode);
    capacityWindow = undefined;
    return behaviour;
  }

  function reset(): void {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    entries.clear();
    byReference.clear();
    received = [];
    effects = [];
    callbacks = [];
    behaviour = initialBehaviour;
    capacityWindow = undefined;
    gatewayAuth.reset();
  }

  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    await app.close();
    await agent.destroy();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    step,
    url,
    app,
    behaviour: () => behaviour,
    setBehaviour,
    requests: () => received,
    effects: () => effects,
    callbacks: () => callbacks,
    reset,
    async settled() {
      // Pending timers have no promise to wait on: poll them with a real sleep (a resolved race
      // here would spin on microtasks and starve the very timers it waits for).
      while (timers.size > 0 || inflight.size > 0) {
        if (inflight.size > 0) await Promise.allSettled([...inflight]);
        else await sleep(5);
      }
    },
    close() {
      closing ??= (async () => {
        lifetime.abort();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        await app.close();
        await Promise.allSettled([...inflight]);
        await agent.destroy();
      })();
      return closing;
    },
  };
}
