// The baseline of the overhead measurement: the same six department calls the gateway makes for
// one application, made directly with undici and nothing else — no store, no machine, no outbox.
// Parallel wherever the DAG allows (docs/design.md): the licence first; then seal, tax and social
// insurance together; the bank as soon as the seal is filed; the post once seal and tax are done.
// An asynchronous department (seal, tax) answers 202 and calls back: a small HTTP server on
// loopback receives the signed callback, checks the signature and resumes the waiting step —
// the least a caller can do to use the same protocol.
//
// Request bodies come from the real adapters' buildRequest (pure: it cuts the department's fields
// out of the form and earlier results), so both paths send the same bytes.

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import {
  CORE_STEP_IDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  gatewayRequestHeaders,
  verifyCallbackSignature,
  type ApplicationForm,
  type DepartmentAnswer,
  type DepartmentCallback,
  type StepId,
} from '../contracts/index.ts';
import { DEPARTMENT_ADAPTERS, type DepartmentAdapter, type PriorResults } from '../services/index.ts';
import { SECRETS } from './setup.ts';

type Result = Record<string, unknown>;

export interface DirectClient {
  /** Runs one application's calls; resolves when every department has produced its result. */
  run(form: ApplicationForm): Promise<void>;
  close(): Promise<void>;
}

export async function createDirectClient(urls: Record<string, string>): Promise<DirectClient> {
  const silent = pino({ level: 'silent' });
  // Only buildRequest is used; the adapters' own HTTP clients stay idle.
  const builders = Object.fromEntries(
    CORE_STEP_IDS.map((s) => [s, (DEPARTMENT_ADAPTERS[s] as (o: { baseUrl: string; secrets: string[]; log: typeof silent }) => DepartmentAdapter)({ baseUrl: urls[s]!, secrets: [SECRETS[s]!], log: silent })]),
  ) as Record<StepId, DepartmentAdapter>;
  // One keep-alive pool per department, as the gateway has.
  const agents = Object.fromEntries(CORE_STEP_IDS.map((s) => [s, new Agent()])) as Record<StepId, Agent>;

  const waiting = new Map<string, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const step = (req.url ?? '').split('/').pop() as StepId;
      const secret = SECRETS[step];
      const timestamp = String(req.headers[TIMESTAMP_HEADER] ?? '');
      const signature = String(req.headers[SIGNATURE_HEADER] ?? '');
      if (!secret || !verifyCallbackSignature(secret, timestamp, raw, signature)) {
        res.writeHead(401).end();
        return;
      }
      const callback = JSON.parse(raw) as DepartmentCallback;
      res.writeHead(204).end();
      const waiter = waiting.get(callback.idempotencyKey);
      if (!waiter || callback.outcome === 'progress') return;
      waiting.delete(callback.idempotencyKey);
      if (callback.outcome === 'completed' && callback.result) waiter.resolve(callback.result);
      else waiter.reject(new Error(`${step} answered ${callback.outcome} by callback`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const callbackBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/callbacks`;

  async function call(step: StepId, applicationId: string, data: Record<string, unknown>): Promise<Result> {
    const idempotencyKey = `${applicationId}:${step}:1`;
    // Registered before the request: a zero-delay callback can arrive before the 202 is read.
    const viaCallback = new Promise<Result>((resolve, reject) => waiting.set(idempotencyKey, { resolve, reject }));
    viaCallback.catch(() => undefined);
    const body = JSON.stringify({ applicationId, step, idempotencyKey, callbackUrl: `${callbackBase}/${step}`, data });
    // Signed as the gateway signs (the departments refuse unsigned requests): the baseline pays the same HMAC.
    const signature = gatewayRequestHeaders({ secrets: [SECRETS[step]!], timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID().replaceAll('-', ''), bodyOrPath: body });
    const response = await request(`${urls[step]}/requests`, {
      method: 'POST',
      dispatcher: agents[step],
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...signature },
      body,
    });
    const answer = (await response.body.json()) as DepartmentAnswer;
    if (answer.outcome === 'completed') {
      waiting.delete(idempotencyKey);
      return answer.result;
    }
    if (answer.outcome === 'accepted') return viaCallback;
    waiting.delete(idempotencyKey);
    throw new Error(`${step} answered ${response.statusCode} ${answer.outcome}`);
  }

  return {
    async run(form) {
      const id = randomUUID();
      const build = (step: StepId, prior: PriorResults) => builders[step].buildRequest(form, prior) as Record<string, unknown>;
      const licence = await call('business-licence', id, build('business-licence', {}));
      const afterLicence = { 'business-licence': licence } as PriorResults;
      const seal = call('seal-engraving', id, build('seal-engraving', afterLicence));
      const tax = call('tax-invoice', id, build('tax-invoice', afterLicence));
      const social = call('social-insurance', id, build('social-insurance', afterLicence));
      const bank = seal.then((s) => call('bank-account', id, build('bank-account', { ...afterLicence, 'seal-engraving': s } as PriorResults)));
      const postal = Promise.all([seal, tax]).then(([s, t]) =>
        call('postal-delivery', id, build('postal-delivery', { ...afterLicence, 'seal-engraving': s, 'tax-invoice': t } as PriorResults)),
      );
      await Promise.all([social, bank, postal]);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.all([...Object.values(agents).map((a) => a.close()), ...Object.values(builders).map((b) => b.close())]);
    },
  };
}
