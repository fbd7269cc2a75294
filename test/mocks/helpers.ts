// Shared by the mock-department tests: request data cut from the fixture form (as the gateway
// will cut it), envelopes, a tiny HTTP client that signs requests to /requests as the gateway does
// (mocks refuse unsigned ones), and a callback receiver on 127.0.0.1:0.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { request } from 'undici';
import type { Test } from 'tap';
import {
  DepartmentCallback,
  gatewayRequestHeaders,
  type ApplicationForm,
  type DepartmentRequestEnvelope,
  type StepId,
  type StepRequestData,
} from '../../contracts/index.ts';
import { startMockDepartment, type MockDepartment, type MockDepartmentOptions } from '../../mocks/index.ts';
import { creditCode, makeApplicationForm } from '../fixtures/application.ts';

export const SECRET = 'mock-test-secret-0123456789';

/** How to sign for each mock (by origin): its secret and clock. Unregistered mocks: SECRET and the wall clock. */
const signing = new Map<string, { secret: string; now: () => Date }>();

/** Tells call() how to sign requests to a mock started without startMockFor. */
export function registerMock(url: string, secret: string, now: () => Date = () => new Date()): void {
  signing.set(new URL(url).origin, { secret, now });
}

/** The gateway's signature headers for a request to `url` (a POST's raw body, or a GET's path). */
export function gatewaySignature(url: string, body: string | undefined, options: { secret?: string; now?: () => Date; nonce?: string } = {}): Record<string, string> {
  const parsed = new URL(url);
  const known = signing.get(parsed.origin);
  const now = options.now ?? known?.now ?? (() => new Date());
  return gatewayRequestHeaders({
    secrets: [options.secret ?? known?.secret ?? SECRET],
    timestamp: String(Math.floor(now().getTime() / 1000)),
    nonce: options.nonce ?? randomUUID().replaceAll('-', ''),
    bodyOrPath: body ?? parsed.pathname,
  });
}

/** What later steps know from earlier ones (the licence, the seal filing). */
export interface Upstream {
  creditCode: string;
  eLicenceUrl: string;
  sealFilingNumber: string;
  licenceNumber: string;
}

const CREDIT_CODE = creditCode('91', '411202', 'MA5GK1D3');
export const UPSTREAM: Upstream = {
  creditCode: CREDIT_CODE,
  eLicenceUrl: `https://e-licence.example.gov.cn/${CREDIT_CODE}`,
  sealFilingNumber: 'BA411202202601050001',
  licenceNumber: '411202000000018',
};

/** The step's request data, cut from an application form exactly as the step contract describes. */
export function requestDataFor<S extends StepId>(step: S, form: ApplicationForm = makeApplicationForm(), upstream: Upstream = UPSTREAM): StepRequestData<S> {
  const lr = form.legalRepresentative;
  const { creditCode } = upstream;
  const data: { [K in StepId]: () => StepRequestData<K> } = {
    'business-licence': () => ({
      companyName: form.companyName,
      entityType: form.entityType,
      registeredCapitalYuan: form.registeredCapitalYuan,
      address: form.address,
      businessScope: form.businessScope,
      legalRepresentative: { name: lr.name, idNumber: lr.idNumber, mobile: lr.mobile },
      shareholders: form.shareholders,
    }),
    'seal-engraving': () => ({ creditCode, companyName: form.companyName, legalRepresentative: { name: lr.name, idNumber: lr.idNumber }, sealOrder: form.sealOrder }),
    'tax-invoice': () => ({ creditCode, companyName: form.companyName, address: form.address, legalRepresentative: { name: lr.name, mobile: lr.mobile }, tax: form.tax }),
    'social-insurance': () => ({ creditCode, companyName: form.companyName, address: form.address, legalRepresentative: { name: lr.name }, socialInsurance: form.socialInsurance }),
    'bank-account': () => ({
      creditCode,
      companyName: form.companyName,
      legalRepresentative: { name: lr.name, mobile: lr.mobile },
      bank: form.bank,
      eLicenceUrl: upstream.eLicenceUrl,
      sealFilingNumber: upstream.sealFilingNumber,
    }),
    'postal-delivery': () => ({
      companyName: form.companyName,
      delivery: form.delivery,
      items: [
        { kind: 'business_licence', reference: upstream.licenceNumber },
        { kind: 'seals', reference: upstream.sealFilingNumber },
      ],
    }),
    'housing-provident-fund': () => ({
      creditCode,
      companyName: form.companyName,
      address: form.address,
      housingFund: form.housingFund ?? { depositRatePercent: 12, employeeCount: 8 },
    }),
  };
  return data[step]() as StepRequestData<S>;
}

export function makeEnvelope<S extends StepId>(
  step: S,
  options: { data?: unknown; applicationId?: string; idempotencyKey?: string; callbackUrl?: string } = {},
): DepartmentRequestEnvelope {
  const applicationId = options.applicationId ?? `app-${randomUUID()}`;
  return {
    applicationId,
    step,
    idempotencyKey: options.idempotencyKey ?? `${applicationId}:${step}:1`,
    callbackUrl: options.callbackUrl ?? 'http://127.0.0.1:9/v1/departments/callbacks',
    data: (options.data ?? requestDataFor(step)) as Record<string, unknown>,
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test responses are asserted field by field
}

/** A request to a mock; requests to /requests… are signed as the gateway signs them unless `sign` is false. */
export async function call(
  url: string,
  options: { method?: 'GET' | 'POST' | 'PUT'; body?: unknown; headers?: Record<string, string>; timeoutMs?: number; sign?: boolean } = {},
): Promise<HttpAnswer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  // A POST signs its body, empty or not; a GET its path.
  const signed = options.sign !== false && /\/requests(\/|$)/.test(new URL(url).pathname) ? gatewaySignature(url, method === 'GET' ? undefined : (body ?? '')) : {};
  const response = await request(url, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...signed, ...options.headers },
    body,
    ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

/** POST {mock}/requests with the envelope, its key repeated in the Idempotency-Key header. */
export function send(mock: { url: string }, envelope: DepartmentRequestEnvelope, headers?: Record<string, string>): Promise<HttpAnswer> {
  return call(`${mock.url}/requests`, { body: envelope, headers: { 'idempotency-key': envelope.idempotencyKey, ...headers } });
}

/** Starts a mock on 127.0.0.1:0, closed in t.teardown. */
export async function startMockFor<S extends StepId>(t: Test, step: S, options: Partial<MockDepartmentOptions> = {}): Promise<MockDepartment<S>> {
  const mock = await startMockDepartment({ step, secret: SECRET, host: '127.0.0.1', port: 0, ...options });
  registerMock(mock.url, options.secret ?? SECRET, options.clock);
  t.teardown(() => mock.close());
  return mock;
}

export interface ReceivedCallback {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: DepartmentCallback;
  at: number;
}

/**
 * A stand-in for the gateway's callback route: records every delivery with its raw body (the
 * signature covers the raw bytes) and answers with `respond(n)` for the n-th delivery (default 204).
 */
export async function startReceiver(t: Test, respond: (n: number) => number = () => 204) {
  const received: ReceivedCallback[] = [];
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/v1/departments/:step/callbacks', async (request, reply) => {
    const rawBody = request.body as string;
    received.push({ headers: request.headers, rawBody, body: DepartmentCallback.parse(JSON.parse(rawBody)), at: Date.now() });
    return reply.code(respond(received.length)).send();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    received,
    callbackUrl: (step: StepId) => `http://127.0.0.1:${port}/v1/departments/${step}/callbacks`,
    /** Resolves once `n` deliveries have arrived (fails the test after `timeoutMs`). */
    async waitFor(n: number, timeoutMs = 5_000): Promise<ReceivedCallback[]> {
      const until = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} callbacks, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return received;
    },
  };
}

/** A clock tests move by hand. */
export function fakeClock(start = '2026-03-02T09:00:00+08:00') {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}
