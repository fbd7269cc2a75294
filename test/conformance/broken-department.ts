// A department that breaks the protocol on purpose, one switch per fault, so the conformance
// tests can show that each check fails when (and only when) its rule is broken. A tiny Fastify
// server on 127.0.0.1:0; its results come from the mock departments' generators.

import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { request } from 'undici';
import {
  DEPARTMENT_HEADER,
  DepartmentRequestEnvelope,
  NAME_CHECK_PATH,
  NameCheckRequest,
  SIGNATURE_HEADER,
  STEP_CONTRACTS,
  TIMESTAMP_HEADER,
  checkGatewayRequest,
  signCallback,
  type DepartmentAnswer,
  type StepId,
  type StepRequestData,
} from '../../contracts/index.ts';
import { MOCK_STEPS, checkCompanyName, createGatewayAuth } from '../../mocks/index.ts';

export interface Breaks {
  /** Answer 200 at once instead of 202 and a callback. */
  sync?: boolean;
  /** Every POST is a new request: a new reference and a new result, whatever the key. */
  ignoreIdempotency?: boolean;
  /** Sign callbacks with this secret instead of the shared one. */
  callbackSecret?: string;
  /** Sign callbacks with a timestamp an hour old. */
  staleTimestamp?: boolean;
  /** Send this x-department-id instead of the step. */
  departmentId?: string;
  /** Take anything: no JSON, no Idempotency-Key, wrong data — all get 202. */
  noValidation?: boolean;
  /** Answer 200 to a poll for a reference it never issued. */
  unknownReference200?: boolean;
  /** Send every answer and callback as text/plain. */
  textPlain?: boolean;
  /** Call back on this step's route instead of the callbackUrl of the request. */
  callbackToStep?: StepId;
  /** Never call back. */
  noCallback?: boolean;
  /** Put an invalid credit code (business-licence) into the results it answers with. */
  invalidResult?: boolean;
  /** Put an invalid credit code into the results it calls back with (its answers stay valid). */
  invalidCallbackResult?: boolean;
  /** Do not check the gateway's signature at all. */
  acceptUnsigned?: boolean;
  /** Check the signature but not its age. */
  acceptStale?: boolean;
  /** Check signature and age, but keep no nonces: a replayed request goes through. */
  acceptReplayed?: boolean;
}

/** Wrong check character (position 18). */
const INVALID_CREDIT_CODE = '91411202MA45R7K29X';

export interface BrokenDepartment {
  url: string;
  close(): Promise<void>;
}

interface Entry {
  applicationId: string;
  idempotencyKey: string;
  callbackUrl: string;
  answer: DepartmentAnswer;
}

export async function startBrokenDepartment(options: { step: StepId; secret: string; breaks: Breaks }): Promise<BrokenDepartment> {
  const { step, secret, breaks } = options;
  const contract = STEP_CONTRACTS[step];
  const definition = MOCK_STEPS[step] as unknown as { result(ctx: { data: StepRequestData<StepId>; random: () => number; now: Date; milestone: undefined }): Record<string, unknown> };
  const entries = new Map<string, Entry>();
  const byReference = new Map<string, Entry>();
  const timers = new Set<NodeJS.Timeout>();
  let serial = 0;

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    (request as FastifyRequest & { rawBody?: string }).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      if (breaks.noValidation) done(null, {});
      else done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) =>
    send(reply, error.statusCode ?? 500, { code: 'BROKEN_INVALID', message: error.message ?? 'invalid' }),
  );

  // Signature checks, correct unless a break says otherwise.
  const auth = createGatewayAuth({ secrets: [secret], clock: () => new Date(), ...(breaks.acceptStale ? { maxSkewSeconds: 10 * 365 * 86_400 } : {}) });
  function authorized(request: FastifyRequest, bodyOrPath: string): boolean {
    if (breaks.acceptUnsigned) return true;
    if (breaks.acceptReplayed) return checkGatewayRequest({ secrets: [secret], headers: request.headers, bodyOrPath, nowSeconds: Date.now() / 1000 }).ok;
    return auth.check(request.headers, bodyOrPath).ok;
  }

  function send(reply: FastifyReply, status: number, body: unknown) {
    return reply
      .code(status)
      .type(breaks.textPlain ? 'text/plain' : 'application/json')
      .send(JSON.stringify(body));
  }

  function result(data: StepRequestData<StepId>): Record<string, unknown> {
    const produced = definition.result({ data, random: Math.random, now: new Date(), milestone: undefined });
    return breaks.invalidResult ? { ...produced, creditCode: INVALID_CREDIT_CODE } : produced;
  }

  async function callBack(entry: Entry, reference: string, finalResult: Record<string, unknown>) {
    const body = JSON.stringify({
      eventId: `${reference}.e1`,
      applicationId: entry.applicationId,
      idempotencyKey: entry.idempotencyKey,
      reference,
      outcome: 'completed',
      result: breaks.invalidCallbackResult ? { ...finalResult, creditCode: INVALID_CREDIT_CODE } : finalResult,
    });
    const timestamp = String(Math.floor(Date.now() / 1000) - (breaks.staleTimestamp ? 3600 : 0));
    try {
      const url = breaks.callbackToStep ? entry.callbackUrl.replace(`/${step}/`, `/${breaks.callbackToStep}/`) : entry.callbackUrl;
      const response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': breaks.textPlain ? 'text/plain' : 'application/json',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signCallback(breaks.callbackSecret ?? secret, timestamp, body),
          [DEPARTMENT_HEADER]: breaks.departmentId ?? step,
        },
        body,
      });
      await response.body.dump();
    } catch {
      // The receiver is gone: a broken department does not retry.
    }
  }

  // The market regulator's name check: answered by the mock's rules, authenticated like /requests.
  if (step === 'business-licence') {
    app.post(NAME_CHECK_PATH, async (req, reply) => {
      if (!authorized(req, (req as FastifyRequest & { rawBody?: string }).rawBody ?? '')) return send(reply, 401, { code: 'BROKEN_UNAUTHENTICATED', message: 'Not signed by the gateway' });
      const parsed = NameCheckRequest.safeParse(req.body);
      if (!parsed.success) return send(reply, 400, { code: 'BROKEN_INVALID', message: 'invalid name check' });
      return send(reply, 200, checkCompanyName(parsed.data, []));
    });
  }

  app.post('/requests', async (req, reply) => {
    if (!authorized(req, (req as FastifyRequest & { rawBody?: string }).rawBody ?? '')) return send(reply, 401, { code: 'BROKEN_UNAUTHENTICATED', message: 'Not signed by the gateway' });
    const key = req.headers['idempotency-key'];
    const envelope = DepartmentRequestEnvelope.safeParse(req.body);
    const data = envelope.success ? contract.request.safeParse(envelope.data.data) : undefined;
    if (!breaks.noValidation) {
      if (typeof key !== 'string') return send(reply, 400, { code: 'BROKEN_NO_KEY', message: 'Send an Idempotency-Key' });
      if (!envelope.success || !data?.success) return send(reply, 400, { code: 'BROKEN_INVALID', message: 'The request is invalid' });
      if (key !== envelope.data.idempotencyKey) return send(reply, 400, { code: 'BROKEN_KEY_MISMATCH', message: 'The keys differ' });
    }
    const idempotencyKey = envelope.success ? envelope.data.idempotencyKey : String(key);
    const existing = entries.get(idempotencyKey);
    if (existing && !breaks.ignoreIdempotency) return send(reply, existing.answer.outcome === 'accepted' ? 202 : 200, existing.answer);

    const reference = `BRK${String(++serial).padStart(6, '0')}`;
    if (!envelope.success || !data?.success) {
      // Only reachable with noValidation: take it, and never finish it.
      return send(reply, 202, { outcome: 'accepted', reference });
    }
    const entry: Entry = {
      applicationId: envelope.data.applicationId,
      idempotencyKey,
      callbackUrl: envelope.data.callbackUrl,
      answer: { outcome: 'accepted', reference },
    };
    entries.set(idempotencyKey, entry);
    byReference.set(reference, entry);
    const produced = result(data.data as StepRequestData<StepId>);
    if (breaks.sync) {
      entry.answer = { outcome: 'completed', reference, result: produced };
      return send(reply, 200, entry.answer);
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      entry.answer = { outcome: 'completed', reference, result: produced };
      if (!breaks.noCallback) void callBack(entry, reference, produced);
    }, 20);
    timers.add(timer);
    return send(reply, 202, entry.answer);
  });

  app.get<{ Params: { reference: string } }>('/requests/:reference', async (req, reply) => {
    if (!authorized(req, req.url.split('?')[0]!)) return send(reply, 401, { code: 'BROKEN_UNAUTHENTICATED', message: 'Not signed by the gateway' });
    const entry = byReference.get(req.params.reference);
    if (entry) return send(reply, 200, entry.answer);
    if (breaks.unknownReference200) return send(reply, 200, { outcome: 'accepted', reference: req.params.reference });
    return send(reply, 404, { code: 'BROKEN_UNKNOWN', message: 'No such reference' });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await app.close();
    },
  };
}
