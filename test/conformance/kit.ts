// The department conformance kit: checks a LIVE department endpoint against the department
// protocol of contracts/department.ts, the way the gateway will use it (docs/departments.md §11). A library, so that tests run it in-process; test/conformance/cli.ts is the
// command-line shell around it.
//
// Like the gateway, the kit signs every request with the department's secret (x-gateway-timestamp,
// x-gateway-nonce, x-gateway-signature; contracts/signature.ts) — and checks that the department
// refuses requests that are unsigned, forged, stale or replayed.
//
// Every check makes its own requests with fresh ids, so one failure does not hide another. The
// checks that build on the answer to the valid request say SKIP (never PASS) when they have nothing
// to look at: the polls need its reference (and proof that the base URL is right, or a 404 for an
// unknown reference proves nothing), and the callback checks need it to have been accepted (a
// department that answers synchronously sends no callbacks).

import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import type { z } from 'zod';
import {
  CREDIT_CODE_ALPHABET,
  GATEWAY_MAX_SKEW_SECONDS,
  gatewayRequestHeaders,
  DEPARTMENT_HEADER,
  DepartmentAnswer,
  DepartmentCallback,
  NAME_CHECK_PATH,
  NameCheckAnswer,
  type NameCheckRequest,
  ErrorBody,
  SIGNATURE_HEADER,
  STEP_CONTRACTS,
  TIMESTAMP_HEADER,
  issuesToDetails,
  verifyCallbackSignature,
  type ApplicationForm,
  type DepartmentRequestEnvelope,
  type StepId,
} from '../../contracts/index.ts';
import { DEPARTMENT_ADAPTERS, type AdapterFactory, type PriorResults } from '../../services/index.ts';
import { creditCode, makeApplicationForm } from '../fixtures/application.ts';

// ── public surface ────────────────────────────────────────────────────────────────────────────

/** Every check, in the order it runs and is reported. */
export const CHECKS = [
  { id: 'valid-request', title: 'A valid request gets 200 completed, 202 accepted or 422 rejected, valid against DepartmentAnswer and the step schemas' },
  { id: 'idempotent-replay', title: 'The same Idempotency-Key again gets the same answer: same reference, same result (no second effect)' },
  { id: 'idempotent-concurrent', title: 'Three concurrent deliveries of one key share one reference (none is refused with 409)' },
  { id: 'distinct-keys', title: 'A different Idempotency-Key, same data, is a different request with a different reference' },
  { id: 'rejects-missing-field', title: 'Data without a required field (companyName) gets a 4xx {code, message}, not a rejection' },
  { id: 'rejects-wrong-type', title: 'Data with a wrongly typed field (companyName as a number) gets a 4xx {code, message}' },
  { id: 'rejects-malformed-json', title: 'A body that is not JSON gets a 4xx {code, message}' },
  { id: 'requires-idempotency-key', title: 'A request without the Idempotency-Key header gets a 4xx {code, message}' },
  { id: 'rejects-key-mismatch', title: 'An Idempotency-Key header that differs from the body idempotencyKey gets a 4xx {code, message}' },
  { id: 'refuses-unsigned', title: 'A request without the gateway signature (x-gateway-* headers) gets 401 {code, message}, a POST and a poll alike' },
  { id: 'refuses-forged-signature', title: 'A request signed with another secret, or whose body was changed after signing, gets 401 {code, message}' },
  { id: 'refuses-stale-signature', title: 'A correctly signed request whose timestamp is outside the replay window gets 401 {code, message}' },
  { id: 'refuses-replay', title: 'The exact bytes and headers of a request the department accepted, sent again, get 401 {code, message}' },
  { id: 'poll', title: 'GET /requests/{reference} answers 200 with a valid DepartmentAnswer consistent with the first answer' },
  { id: 'poll-unknown-reference', title: 'GET /requests/{unknown} answers 404 with {code, message}' },
  { id: 'callback-arrives', title: 'After 202 accepted, a final callback (completed or rejected) is POSTed to callbackUrl within the timeout' },
  { id: 'callback-signature', title: 'Every callback carries x-department-signature v1=<hex> that verifies with the secret' },
  { id: 'callback-timestamp', title: 'Every callback carries x-department-timestamp in unix seconds, within the allowed clock skew' },
  { id: 'callback-department-id', title: 'Every callback carries x-department-id equal to the step' },
  { id: 'callback-body', title: 'The callbacks are application/json DepartmentCallback documents for the request, with a valid result or milestone' },
  { id: 'callback-consistent', title: 'After the callback, a poll and a replay of the key give the same outcome and result (no second effect)' },
  {
    id: 'name-check',
    title: 'business-licence only: POST /name-checks (signed) answers 200 with a NameCheckAnswer: a fresh name is available, one with a forbidden word is not and says why; unsigned, 401',
  },
  { id: 'json-answers', title: 'Every answer the department sent is Content-Type application/json' },
] as const;

export type CheckId = (typeof CHECKS)[number]['id'];
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  check: CheckId;
  status: CheckStatus;
  /** Why it failed or was skipped; null when it passed. */
  reason: string | null;
  durationMs: number;
}

export interface ConformanceOptions {
  step: StepId;
  /** The department's base URL: the kit calls `${url}/requests` and `${url}/requests/{reference}`. */
  url: string;
  /** The secret shared with the department: the kit signs its requests with it and verifies callbacks with it. */
  secret: string;
  /** Receives one line per check as it finishes (see formatResult). */
  log?: (line: string) => void;
  /** Per HTTP call; default 10 s (the gateway's default department timeout). */
  requestTimeoutMs?: number;
  /** How long after 202 accepted the final callback may take; default 10 s. */
  callbackTimeoutMs?: number;
  /** Allowed difference between x-department-timestamp and the receiver's clock; default 300 s (the gateway's default). */
  maxSkewSeconds?: number;
  /** Where the callback receiver listens; default 127.0.0.1, port 0 (any free port). */
  callbackHost?: string;
  callbackPort?: number;
  /** The receiver's URL as the department reaches it (a tunnel or proxy); default http://{host}:{port}. */
  callbackPublicUrl?: string;
}

/** "PASS check", "FAIL check: reason", "SKIP check: reason". */
export function formatResult(result: CheckResult): string {
  const label = result.status.toUpperCase();
  return result.reason === null ? `${label} ${result.check}` : `${label} ${result.check}: ${result.reason}`;
}

/** "N passed, M failed" (and ", K skipped" when some were). */
export function summarise(results: readonly CheckResult[]): { passed: number; failed: number; skipped: number; line: string } {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const passed = count('pass');
  const failed = count('fail');
  const skipped = count('skip');
  return { passed, failed, skipped, line: `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}` };
}

/** Runs every check against the department at `url` and returns one result per check (see CHECKS). */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const receiver = await startReceiver(options.callbackHost ?? '127.0.0.1', options.callbackPort ?? 0, options.callbackPublicUrl);
  const agent = new Agent({ connect: { timeout: requestTimeoutMs }, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
  const ctx = createContext(options, agent, receiver, requestTimeoutMs);
  const results: CheckResult[] = [];
  try {
    for (const { id } of CHECKS) {
      const started = performance.now();
      let status: CheckStatus = 'pass';
      let reason: string | null = null;
      try {
        await RUNNERS[id](ctx);
      } catch (error) {
        if (error instanceof Skip) status = 'skip';
        else status = 'fail';
        reason = error instanceof Outcome ? error.message : `the check itself failed: ${describeError(error)}`;
      }
      const result: CheckResult = { check: id, status, reason, durationMs: Math.round(performance.now() - started) };
      results.push(result);
      options.log?.(formatResult(result));
    }
  } finally {
    await receiver.close();
    await agent.close();
  }
  return results;
}

// ── check outcomes ────────────────────────────────────────────────────────────────────────────

class Outcome extends Error {}
class Fail extends Outcome {}
class Skip extends Outcome {}
const fail = (reason: string): never => {
  throw new Fail(reason);
};
const skip = (reason: string): never => {
  throw new Skip(reason);
};

// ── HTTP, as the gateway's adapter does it (services/http.ts) ─────────────────────────────────

interface Exchange {
  method: 'GET' | 'POST';
  path: string;
  status: number;
  contentType: string;
  text: string;
  /** The parsed body; undefined when it is empty or not JSON. */
  json: unknown;
}

type Envelope = DepartmentRequestEnvelope;

interface Primary {
  envelope: Envelope;
  answer: DepartmentAnswer;
  answeredAt: number;
}

/** How the kit signs one request: as the gateway does (default), not at all, or wrongly on purpose. */
type Signing = 'gateway' | 'none' | { secret?: string; timestampOffsetSeconds?: number; signedPayload?: string };

interface Context {
  step: StepId;
  secret: string;
  /** The signature headers the gateway would send for `bodyOrPath` (a fresh nonce each time), or a deliberately wrong one. */
  signature(bodyOrPath: string, signing?: Signing): Record<string, string>;
  /** Sends exactly these headers and body (already signed, or not). */
  raw(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Exchange>;
  contract: (typeof STEP_CONTRACTS)[StepId];
  callbackTimeoutMs: number;
  maxSkewSeconds: number;
  receiver: Receiver;
  /** Every answer the department gave, for json-answers. */
  exchanges: Exchange[];
  /** Every idempotency key the kit sent, to attribute callbacks. */
  sentKeys: Set<string>;
  envelope(options?: { applicationId?: string; generation?: number }): Envelope;
  post(envelope: Envelope, options?: { headers?: Record<string, string>; idempotencyKey?: string | null; rawBody?: string; signing?: Signing }): Promise<Exchange>;
  get(path: string, signing?: Signing): Promise<Exchange>;
  /** The valid request of `valid-request`, sent once; later checks build on its answer. */
  primary(): Promise<{ ok: true; primary: Primary } | { ok: false; reason: string }>;
  /** The final callback for the primary request, awaited once; why there is none otherwise. */
  finalCallback(): Promise<{ ok: true; callback: ReceivedCallback } | { ok: false; status: 'fail' | 'skip'; reason: string }>;
}

function createContext(options: ConformanceOptions, agent: Agent, receiver: Receiver, requestTimeoutMs: number): Context {
  const { step, secret } = options;
  const base = options.url.replace(/\/+$/, '');
  const exchanges: Exchange[] = [];
  const sentKeys = new Set<string>();
  const requestData = requestBuilder(step, agent);
  let serial = 0;
  /** The path the department sees: its base URL's path prefix included. */
  const fullPath = (path: string) => new URL(`${base}${path}`).pathname;

  function signature(bodyOrPath: string, signing: Signing = 'gateway'): Record<string, string> {
    if (signing === 'none') return {};
    const wrong = typeof signing === 'object' ? signing : {};
    const now = Math.floor(Date.now() / 1000) + (wrong.timestampOffsetSeconds ?? 0);
    const headers = gatewayRequestHeaders({ secrets: [wrong.secret ?? secret], timestamp: String(now), nonce: randomUUID().replaceAll('-', ''), bodyOrPath: wrong.signedPayload ?? bodyOrPath });
    return headers;
  }

  async function exchange(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Exchange> {
    let response: Awaited<ReturnType<typeof request>>;
    let text: string;
    try {
      response = await request(`${base}${path}`, { method, dispatcher: agent, headers, body: body ?? null, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
      text = await response.body.text();
    } catch (error) {
      return fail(`${method} ${path} got no answer: ${describeError(error)}`);
    }
    const header = response.headers['content-type'];
    const contentType = (Array.isArray(header) ? header[0] : header) ?? '';
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const result: Exchange = { method, path, status: response.statusCode, contentType, text, json };
    exchanges.push(result);
    return result;
  }

  let primary: ReturnType<Context['primary']> | undefined;
  let finalCallback: ReturnType<Context['finalCallback']> | undefined;

  const ctx: Context = {
    step,
    secret,
    contract: STEP_CONTRACTS[step],
    callbackTimeoutMs: options.callbackTimeoutMs ?? 10_000,
    maxSkewSeconds: options.maxSkewSeconds ?? 300,
    receiver,
    exchanges,
    sentKeys,

    envelope(envelopeOptions = {}) {
      serial++;
      const applicationId = envelopeOptions.applicationId ?? randomUUID();
      const idempotencyKey = `${applicationId}:${step}:${envelopeOptions.generation ?? 1}`;
      sentKeys.add(idempotencyKey);
      return {
        applicationId,
        step,
        // The gateway's key format (gateway/orchestration/machine.ts idempotencyKeyFor).
        idempotencyKey,
        callbackUrl: receiver.callbackUrl(step),
        data: requestData(serial),
      };
    },

    signature,
    raw: (method, path, headers, body) => exchange(method, path, headers, body),

    post(envelope, postOptions = {}) {
      const key = postOptions.idempotencyKey === undefined ? envelope.idempotencyKey : postOptions.idempotencyKey;
      const body = postOptions.rawBody ?? JSON.stringify(envelope);
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...signature(body, postOptions.signing), ...postOptions.headers };
      if (key !== null) headers['idempotency-key'] = key;
      return exchange('POST', '/requests', headers, body);
    },

    get(path, signing) {
      return exchange('GET', path, { accept: 'application/json', ...signature(fullPath(path), signing) });
    },

    primary() {
      primary ??= (async () => {
        const envelope = ctx.envelope();
        try {
          const answer = readAnswer(ctx, await ctx.post(envelope), 'submit');
          return { ok: true as const, primary: { envelope, answer, answeredAt: Date.now() } };
        } catch (error) {
          if (error instanceof Outcome) return { ok: false as const, reason: error.message };
          throw error;
        }
      })();
      return primary;
    },

    finalCallback() {
      finalCallback ??= (async () => {
        const primary = await ctx.primary();
        if (!primary.ok) return { ok: false as const, status: 'skip' as const, reason: 'needs a valid answer to the valid request (see valid-request)' };
        const { envelope, answer, answeredAt } = primary.primary;
        if (answer.outcome !== 'accepted') {
          return {
            ok: false as const,
            status: 'skip' as const,
            reason: `the valid request was answered "${answer.outcome}" synchronously; callbacks follow only a 202 "accepted" answer`,
          };
        }
        const key = envelope.idempotencyKey;
        const isFinal = (c: ReceivedCallback) => c.key === key && c.outcome !== 'progress' && c.outcome !== undefined;
        const found = await receiver.waitFor(isFinal, answeredAt + ctx.callbackTimeoutMs - Date.now());
        if (found) return { ok: true as const, callback: found };
        const mine = receiver.received.filter((c) => c.key === key);
        const seconds = ctx.callbackTimeoutMs / 1000;
        const reason =
          mine.length > 0
            ? `only ${mine.length} callback(s) without a final outcome arrived for ${key} within ${seconds} s (outcomes: ${mine.map((c) => c.outcome ?? 'unreadable').join(', ')}); send outcome "completed" or "rejected" when done`
            : receiver.received.length > 0
              ? `no callback for idempotencyKey ${key} arrived within ${seconds} s (${receiver.received.length} other callback(s) arrived); echo the request's idempotencyKey in the callback`
              : `no callback arrived at ${envelope.callbackUrl} within ${seconds} s of the 202 answer; POST the signed callback to the callbackUrl of the request`;
        return { ok: false as const, status: 'fail' as const, reason };
      })();
      return finalCallback;
    },
  };
  return ctx;
}

async function needPrimary(ctx: Context): Promise<Primary> {
  const outcome = await ctx.primary();
  if (!outcome.ok) return skip('needs a valid answer to the valid request (see valid-request)');
  return outcome.primary;
}

// ── the valid request ─────────────────────────────────────────────────────────────────────────

/**
 * Plausible results of the steps a request draws on, with a fresh credit code each time, so that
 * a department that refuses to register one company twice still sees a new company per request.
 */
function priorResults(): PriorResults {
  const orgBody = 'MA' + Array.from({ length: 6 }, () => CREDIT_CODE_ALPHABET[randomInt(CREDIT_CODE_ALPHABET.length)]).join('');
  const code = creditCode('91', '411202', orgBody);
  const at = new Date().toISOString();
  const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
  const prior: PriorResults = {
    'business-licence': { creditCode: code, licenceNumber: `411202${digits(9)}`, registeredAt: at, eLicenceUrl: `https://e-licence.example.gov.cn/${code}` },
    'seal-engraving': {
      maker: { id: 'SM0001', name: '三门峡市湖滨区诚信刻章有限公司' },
      seals: [{ kind: 'company', sealCode: `411202${digits(7)}` }],
      filingNumber: `BA411202${at.slice(0, 10).replaceAll('-', '')}${digits(4)}`,
      engravedAt: at,
    },
    'tax-invoice': { taxRegistrationNumber: code, invoices: [{ kind: 'e_invoice', invoiceCode: `04112${at.slice(2, 4)}00111`, firstNumber: digits(8), quantity: 25 }], issuedAt: at },
  };
  // The kit's own fixtures must satisfy the contract, or every check would blame the department.
  for (const [step, result] of Object.entries(prior)) STEP_CONTRACTS[step as StepId].result.parse(result);
  return prior;
}

/**
 * Builds the step's request data the way the gateway does: the gateway's own adapter cuts it from
 * the fixture application (a new company name each time) and plausible earlier results.
 */
function requestBuilder(step: StepId, agent: Agent): (serial: number) => Record<string, unknown> {
  const factory = DEPARTMENT_ADAPTERS[step] as unknown as AdapterFactory;
  // Only buildRequest is used, which is pure; the adapter never calls anything.
  const adapter = factory({ baseUrl: 'http://127.0.0.1:9', secrets: ['never-used-for-a-call-0000'], dispatcher: agent, log: pino({ level: 'silent' }) });
  const run = randomInt(1000, 10000);
  return (serial) => {
    const form: ApplicationForm = makeApplicationForm({ companyName: `三门峡黄河示范科技${run}${String(serial).padStart(2, '0')}有限公司` });
    return adapter.buildRequest(form, priorResults()) as Record<string, unknown>;
  };
}

// ── reading answers ───────────────────────────────────────────────────────────────────────────

const STATUS_OF = { completed: 200, accepted: 202, rejected: 422 } as const;

function readAnswer(ctx: Context, ex: Exchange, kind: 'submit' | 'poll'): DepartmentAnswer {
  const what = `${ex.method} ${ex.path}`;
  // The gateway retries 5xx and 429 with the same key; a conformance run needs a department that answers.
  const transient =
    ex.status >= 500 || ex.status === 429
      ? ' (the gateway would retry this; run the kit again once the department answers without faults)'
      : ex.status === 404 || ex.status === 405
        ? ` (is --url the department's base URL? The kit calls <url>${ex.path})`
        : ex.status === 401
          ? ' (the department refused the kit\'s signature: is --secret the secret the department verifies with? See docs/departments.md §6a)'
          : '';
  if (kind === 'submit' && ex.status !== 200 && ex.status !== 202 && ex.status !== 422) {
    fail(`${what} answered HTTP ${ex.status}; expected 200 completed, 202 accepted or 422 rejected${transient}${bodyNote(ex)}`);
  }
  if (kind === 'poll' && ex.status !== 200) fail(`${what} answered HTTP ${ex.status}; a poll answers 200 whatever the outcome${transient}${bodyNote(ex)}`);
  if (ex.json === undefined) fail(`${what} answered HTTP ${ex.status} with a body that is not JSON${bodyNote(ex)}`);
  const parsed = DepartmentAnswer.safeParse(ex.json);
  if (!parsed.success) fail(`${what} answered HTTP ${ex.status} with a body that is not a DepartmentAnswer: ${issueList(parsed.error.issues)}`);
  const answer = parsed.data!;
  if (kind === 'submit' && ex.status !== STATUS_OF[answer.outcome]) {
    fail(`${what} answered HTTP ${ex.status} with outcome "${answer.outcome}"; outcome "${answer.outcome}" comes with HTTP ${STATUS_OF[answer.outcome]}`);
  }
  if (answer.outcome === 'completed') {
    const result = ctx.contract.result.safeParse(answer.result);
    if (!result.success) fail(`${what}: the result does not match ${schemaName(ctx.contract.result, 'the result schema')}: ${issueList(result.error.issues, ['result'])}`);
  }
  if (answer.outcome === 'accepted' && answer.milestone !== undefined) {
    const milestone = ctx.contract.milestone.safeParse(answer.milestone);
    if (!milestone.success) fail(`${what}: the milestone does not match ${schemaName(ctx.contract.milestone, 'the milestone schema')}: ${issueList(milestone.error.issues, ['milestone'])}`);
  }
  return answer;
}

/**
 * Two answers to one request (a replay, a poll, a concurrent duplicate): one reference, and an
 * outcome that only moves forward — accepted may become completed or rejected, nothing else changes.
 */
function sameRequest(first: DepartmentAnswer, later: DepartmentAnswer, what: string): void {
  if (first.reference !== later.reference) {
    fail(`${what} answered reference ${String(later.reference)} where the first answer had ${String(first.reference)}: the department treated one request as two (a second effect)`);
  }
  if (first.outcome !== 'accepted' && later.outcome !== first.outcome) {
    fail(`${what} answered outcome "${later.outcome}" after "${first.outcome}"; a final outcome never changes`);
  }
  if (first.outcome === 'completed' && later.outcome === 'completed' && !isDeepStrictEqual(first.result, later.result)) {
    fail(`${what} answered a different result (first difference at ${firstDifference(first.result, later.result, 'result')}): the same request produced a second effect`);
  }
  if (first.outcome === 'rejected' && later.outcome === 'rejected' && !isDeepStrictEqual(first.reasons, later.reasons)) {
    fail(`${what} answered different rejection reasons`);
  }
  if (first.outcome === 'accepted' && later.outcome === 'accepted' && first.milestone && later.milestone && !isDeepStrictEqual(first.milestone, later.milestone)) {
    fail(`${what} answered a different milestone (first difference at ${firstDifference(first.milestone, later.milestone, 'milestone')})`);
  }
}

/** A malformed request is the gateway's fault: a 4xx with {code, message}, which the gateway treats as permanent. */
function expectRefusal(ex: Exchange, what: string): void {
  if (ex.status >= 200 && ex.status < 300) fail(`${what} got HTTP ${ex.status}: the department took a request that breaks the contract; answer 400 with {code, message}`);
  // A refused signature proves nothing about how the department validates what it accepts.
  if (ex.status === 401) fail(`${what} got HTTP 401: the department refused the kit's signature before looking at the request (is --secret right?)${bodyNote(ex)}`);
  if (ex.status === 429) fail(`${what} got HTTP 429, which the gateway retries; a malformed request will not improve: answer 400 with {code, message}`);
  if (ex.status < 400 || ex.status >= 500) fail(`${what} got HTTP ${ex.status}; expected a 4xx with {code, message}${bodyNote(ex)}`);
  // A "no such route" proves nothing about how the department validates: the refusal must come from the endpoint.
  if (ex.status === 404 || ex.status === 405) fail(`${what} got HTTP ${ex.status}, which says there is no such endpoint (is --url the department's base URL?); answer 400 with {code, message}`);
  if (ex.status === 422 && DepartmentAnswer.safeParse(ex.json).success) {
    fail(`${what} got 422 "rejected": a rejection asks the applicant to correct the application, but this request is malformed (the gateway's fault); answer 400 with {code, message}`);
  }
  const body = ErrorBody.safeParse(ex.json);
  if (!body.success) fail(`${what} got HTTP ${ex.status}, but the body is not an error document {code, message}${bodyNote(ex)}`);
}

/** A request the department must refuse as unauthenticated: 401 with {code, message}, and nothing else. */
function expectAuthRefusal(ex: Exchange, what: string): void {
  if (ex.status >= 200 && ex.status < 300 || ex.status === 422) {
    fail(`${what} got HTTP ${ex.status}: the department acted on a request the gateway did not sign; verify x-gateway-signature over "<timestamp>.<nonce>.<body or path>" first (docs/departments.md §6a)`);
  }
  if (ex.status !== 401) fail(`${what} got HTTP ${ex.status}; expected 401 with {code, message}${bodyNote(ex)}`);
  if (!ErrorBody.safeParse(ex.json).success) fail(`${what} got 401, but the body is not an error document {code, message}${bodyNote(ex)}`);
}

// ── the checks ────────────────────────────────────────────────────────────────────────────────

type Runner = (ctx: Context) => Promise<void>;

const RUNNERS: Record<CheckId, Runner> = {
  async 'valid-request'(ctx) {
    const outcome = await ctx.primary();
    if (!outcome.ok) fail(outcome.reason);
  },

  async 'idempotent-replay'(ctx) {
    const envelope = ctx.envelope();
    const first = readAnswer(ctx, await ctx.post(envelope), 'submit');
    const second = readAnswer(ctx, await ctx.post(envelope), 'submit');
    sameRequest(first, second, 'the repeat with the same Idempotency-Key');
  },

  async 'idempotent-concurrent'(ctx) {
    const envelope = ctx.envelope();
    const exchanges = await Promise.all([ctx.post(envelope), ctx.post(envelope), ctx.post(envelope)]);
    const conflict = exchanges.find((ex) => ex.status === 409);
    if (conflict) {
      fail('a concurrent duplicate got HTTP 409, which the gateway treats as permanent; answer it like the original (or 429/503 with Retry-After, which the gateway retries)');
    }
    // A department may shed a duplicate that is still in flight with 429/503: the gateway retries those.
    const answered = exchanges.filter((ex) => ex.status !== 429 && ex.status !== 503);
    if (answered.length === 0) fail('all three concurrent deliveries got 429/503; at least one must be answered');
    const answers = answered.map((ex) => readAnswer(ctx, ex, 'submit'));
    for (const later of answers.slice(1)) sameRequest(answers[0]!, later, 'a concurrent delivery of the same key');
  },

  async 'distinct-keys'(ctx) {
    const applicationId = randomUUID();
    const first = ctx.envelope({ applicationId, generation: 1 });
    // A new generation of the same application (after a correction): same data, a new key.
    const second = { ...ctx.envelope({ applicationId, generation: 2 }), data: first.data };
    const a = readAnswer(ctx, await ctx.post(first), 'submit');
    const b = readAnswer(ctx, await ctx.post(second), 'submit');
    if (a.reference !== undefined && b.reference !== undefined) {
      if (a.reference === b.reference) {
        fail(`keys ${first.idempotencyKey} and ${second.idempotencyKey} got the same reference ${a.reference}: deduplicate by the Idempotency-Key, not by the data`);
      }
      return;
    }
    if (a.outcome === 'completed' && b.outcome === 'completed' && isDeepStrictEqual(a.result, b.result)) {
      fail(`keys ${first.idempotencyKey} and ${second.idempotencyKey} got identical results and no references: deduplicate by the Idempotency-Key, not by the data`);
    }
  },

  async 'rejects-missing-field'(ctx) {
    const envelope = ctx.envelope();
    delete envelope.data.companyName;
    expectRefusal(await ctx.post(envelope), 'a request whose data lacks companyName');
  },

  async 'rejects-wrong-type'(ctx) {
    const envelope = ctx.envelope();
    envelope.data.companyName = 20260101;
    expectRefusal(await ctx.post(envelope), 'a request whose data.companyName is a number');
  },

  async 'rejects-malformed-json'(ctx) {
    const envelope = ctx.envelope();
    const rawBody = JSON.stringify(envelope).slice(0, 40);
    expectRefusal(await ctx.post(envelope, { rawBody }), 'a request whose body is cut-off JSON');
  },

  async 'requires-idempotency-key'(ctx) {
    expectRefusal(await ctx.post(ctx.envelope(), { idempotencyKey: null }), 'a request without the Idempotency-Key header');
  },

  async 'rejects-key-mismatch'(ctx) {
    const envelope = ctx.envelope();
    expectRefusal(await ctx.post(envelope, { idempotencyKey: `${envelope.idempotencyKey}-other` }), 'a request whose Idempotency-Key header differs from idempotencyKey');
  },

  async 'refuses-unsigned'(ctx) {
    expectAuthRefusal(await ctx.post(ctx.envelope(), { signing: 'none' }), 'a POST /requests without the signature headers');
    const outcome = await ctx.primary();
    const reference = outcome.ok ? outcome.primary.answer.reference : undefined;
    const path = `/requests/${encodeURIComponent(reference ?? `CONFORMANCE-UNKNOWN-${randomUUID()}`)}`;
    expectAuthRefusal(await ctx.get(path, 'none'), `a poll GET ${path} without the signature headers`);
  },

  async 'refuses-forged-signature'(ctx) {
    expectAuthRefusal(await ctx.post(ctx.envelope(), { signing: { secret: `${ctx.secret}-not-it` } }), 'a request signed with another secret');
    const envelope = ctx.envelope();
    const signedFor = JSON.stringify({ ...envelope, callbackUrl: 'https://attacker.example/collect' });
    expectAuthRefusal(await ctx.post(envelope, { signing: { signedPayload: signedFor } }), 'a request whose body differs from the one that was signed');
  },

  async 'refuses-stale-signature'(ctx) {
    const offset = -(GATEWAY_MAX_SKEW_SECONDS + 3600);
    expectAuthRefusal(await ctx.post(ctx.envelope(), { signing: { timestampOffsetSeconds: offset } }), `a request signed ${-offset} s ago`);
  },

  async 'refuses-replay'(ctx) {
    await needPrimary(ctx);
    const envelope = ctx.envelope();
    const body = JSON.stringify(envelope);
    const headers = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': envelope.idempotencyKey, ...ctx.signature(body) };
    const first = await ctx.raw('POST', '/requests', headers, body);
    readAnswer(ctx, first, 'submit');
    expectAuthRefusal(await ctx.raw('POST', '/requests', headers, body), 'the same signed request (same nonce, same bytes) sent a second time');
  },

  async poll(ctx) {
    const { answer } = await needPrimary(ctx);
    if (answer.reference === undefined) {
      skip(`the answer to the valid request ("${answer.outcome}") has no reference, which the protocol allows for completed and rejected answers; there is nothing to poll`);
    }
    const polled = readAnswer(ctx, await ctx.get(`/requests/${encodeURIComponent(answer.reference!)}`), 'poll');
    sameRequest(answer, polled, 'the poll');
  },

  async 'poll-unknown-reference'(ctx) {
    // Only meaningful once the endpoint is known to be there: a wrong base URL answers 404 to everything.
    await needPrimary(ctx);
    const path = `/requests/CONFORMANCE-UNKNOWN-${randomUUID()}`;
    const ex = await ctx.get(path);
    if (ex.status !== 404) fail(`GET ${path} answered HTTP ${ex.status}; an unknown reference is 404 with {code, message}${bodyNote(ex)}`);
    if (!ErrorBody.safeParse(ex.json).success) fail(`GET ${path} answered 404, but the body is not an error document {code, message}${bodyNote(ex)}`);
  },

  async 'callback-arrives'(ctx) {
    const callback = await needFinalCallback(ctx);
    const expected = new URL((await needPrimary(ctx)).envelope.callbackUrl);
    if (callback.method !== 'POST') fail(`the callback came as ${callback.method}; send it as POST`);
    if (callback.path !== expected.pathname + expected.search) fail(`the callback came to ${callback.path}; POST it to the callbackUrl of the request (${expected.pathname})`);
  },

  async 'callback-signature'(ctx) {
    everyCallback(await callbacksToInspect(ctx), (c) => signatureProblem(ctx.secret, c));
  },

  async 'callback-timestamp'(ctx) {
    everyCallback(await callbacksToInspect(ctx), (c) => {
      const timestamp = header(c.headers, TIMESTAMP_HEADER);
      if (timestamp === undefined) return `no ${TIMESTAMP_HEADER} header`;
      if (/^\d{12,14}$/.test(timestamp)) return `${TIMESTAMP_HEADER} ${timestamp} looks like milliseconds; send unix seconds`;
      if (!/^\d{9,11}$/.test(timestamp)) return `${TIMESTAMP_HEADER} "${timestamp}" is not unix seconds`;
      const skew = Number(timestamp) - c.receivedAt / 1000;
      if (Math.abs(skew) <= ctx.maxSkewSeconds) return undefined;
      return `${TIMESTAMP_HEADER} is ${Math.round(Math.abs(skew))} s ${skew < 0 ? 'old' : 'in the future'} (at most ${ctx.maxSkewSeconds} s); sign each delivery afresh with the current time`;
    });
  },

  async 'callback-department-id'(ctx) {
    everyCallback(await callbacksToInspect(ctx), (c) => {
      const id = header(c.headers, DEPARTMENT_HEADER);
      return id === ctx.step ? undefined : `${DEPARTMENT_HEADER} is ${id === undefined ? 'missing' : `"${id}"`}, expected "${ctx.step}"`;
    });
  },

  async 'callback-body'(ctx) {
    const final = await ctx.finalCallback();
    if (!final.ok && final.status === 'skip') skip(final.reason);
    const { envelope, answer } = await needPrimary(ctx);
    const mine = ctx.receiver.received.filter((r) => r.key === envelope.idempotencyKey);
    if (mine.length === 0) skip('no callback for the valid request arrived to inspect (see callback-arrives)');
    const problems: string[] = [];
    for (const c of mine) {
      const label = c.eventId ?? 'a callback';
      if (!isJson(c.contentType)) problems.push(`${label}: Content-Type is "${c.contentType}", expected application/json`);
      if (c.json === undefined) {
        problems.push(`${label}: the body is not JSON`);
        continue;
      }
      const parsed = DepartmentCallback.safeParse(c.json);
      if (!parsed.success) {
        problems.push(`${label}: not a DepartmentCallback: ${issueList(parsed.error.issues)}`);
        continue;
      }
      const body = parsed.data;
      if (body.applicationId !== envelope.applicationId) problems.push(`${label}: applicationId is ${body.applicationId}, expected ${envelope.applicationId}`);
      if (body.reference !== answer.reference) problems.push(`${label}: reference is ${body.reference}, but the 202 answer said ${String(answer.reference)}`);
      if (body.outcome === 'completed') {
        const result = ctx.contract.result.safeParse(body.result);
        if (!result.success) problems.push(`${label}: the result does not match ${schemaName(ctx.contract.result, 'the result schema')}: ${issueList(result.error.issues, ['result'])}`);
      } else if (body.outcome === 'rejected') {
        if (!body.reasons?.length) problems.push(`${label}: a rejection needs at least one reason`);
      } else if (body.milestone !== undefined) {
        const milestone = ctx.contract.milestone.safeParse(body.milestone);
        if (!milestone.success) problems.push(`${label}: the milestone does not match ${schemaName(ctx.contract.milestone, 'the milestone schema')}: ${issueList(milestone.error.issues, ['milestone'])}`);
      }
    }
    const eventIds = ours(ctx).map((c) => c.eventId).filter((id): id is string => id !== undefined);
    if (new Set(eventIds).size !== eventIds.length) problems.push('two different callbacks share an eventId; the gateway refuses a repeated eventId as a replay');
    if (problems.length > 0) fail(listOf(problems));
  },

  async 'callback-consistent'(ctx) {
    const final = await ctx.finalCallback();
    if (!final.ok) skip(final.status === 'skip' ? final.reason : 'needs the final callback (see callback-arrives)');
    const { envelope, answer } = await needPrimary(ctx);
    const callback = DepartmentCallback.safeParse(final.ok ? final.callback.json : undefined);
    if (!callback.success) skip('needs a readable final callback (see callback-body)');
    const body = callback.data!;
    const polled = readAnswer(ctx, await ctx.get(`/requests/${encodeURIComponent(answer.reference!)}`), 'poll');
    if (polled.outcome !== body.outcome) {
      fail(`after the "${body.outcome}" callback, the poll still answers "${polled.outcome}"; a poll reports the final outcome once there is one`);
    }
    if (polled.outcome === 'completed' && !isDeepStrictEqual(polled.result, body.result)) {
      fail(`the poll answers another result than the callback (first difference at ${firstDifference(body.result, polled.result, 'result')})`);
    }
    const replay = readAnswer(ctx, await ctx.post(envelope), 'submit');
    sameRequest(answer, replay, 'a repeat of the key after the callback');
    if (replay.outcome === 'completed' && !isDeepStrictEqual(replay.result, body.result)) {
      fail(`a repeat of the key after the callback answered another result (first difference at ${firstDifference(body.result, replay.result, 'result')}): a second effect`);
    }
    if (replay.outcome !== 'accepted' && replay.outcome !== body.outcome) fail(`a repeat of the key after the "${body.outcome}" callback answered "${replay.outcome}"`);
  },

  async 'name-check'(ctx) {
    if (ctx.step !== 'business-licence') skip(`only the market regulator (business-licence) answers name checks, not ${ctx.step}`);
    const check = async (request: NameCheckRequest, signing?: Signing) => {
      const body = JSON.stringify(request);
      return ctx.raw('POST', NAME_CHECK_PATH, { 'content-type': 'application/json', accept: 'application/json', ...ctx.signature(body, signing) }, body);
    };
    const trade = `合规${randomInt(100_000, 999_999)}`;
    const fresh = await check({ name: `三门峡${trade}科技有限公司`, entityType: 'limited_liability_company', divisionCode: '411202', businessScope: '软件开发；信息技术咨询服务' });
    if (fresh.status !== 200) fail(`POST ${NAME_CHECK_PATH} with a fresh name answered HTTP ${fresh.status}; expected 200 with a NameCheckAnswer${bodyNote(fresh)}`);
    const freshAnswer = NameCheckAnswer.safeParse(fresh.json);
    if (!freshAnswer.success) fail(`the answer is not a NameCheckAnswer: ${issuesToDetails(freshAnswer.error.issues).map((d) => `${d.path}: ${d.message}`).join('; ')}`);
    if (!freshAnswer.data!.available) fail(`a name nobody registered, with the industry of its scope and the right legal form, was refused: ${freshAnswer.data!.reasons.map((r) => r.code).join(', ')}`);
    const forbidden = await check({ name: `中国${trade}科技有限公司`, entityType: 'limited_liability_company', divisionCode: '411202' });
    const forbiddenAnswer = NameCheckAnswer.safeParse(forbidden.json);
    if (forbidden.status !== 200 || !forbiddenAnswer.success) fail(`a name with “中国” answered HTTP ${forbidden.status} without a NameCheckAnswer${bodyNote(forbidden)}`);
    if (forbiddenAnswer.data!.available || !forbiddenAnswer.data!.reasons.some((r) => r.code === 'forbidden_word')) {
      fail('a name with “中国” (which needs the State Council’s approval) was not refused with the reason forbidden_word');
    }
    const unsigned = await check({ name: `三门峡${trade}科技有限公司`, entityType: 'limited_liability_company', divisionCode: '411202' }, 'none');
    expectAuthRefusal(unsigned, `an unsigned POST ${NAME_CHECK_PATH}`);
  },

  async 'json-answers'(ctx) {
    if (ctx.exchanges.length === 0) await ctx.get(`/requests/CONFORMANCE-UNKNOWN-${randomUUID()}`);
    const offenders = ctx.exchanges.filter((ex) => ex.text !== '' && !isJson(ex.contentType));
    const empty = ctx.exchanges.filter((ex) => ex.text === '');
    const problems = [
      ...offenders.map((ex) => `${ex.method} ${ex.path} → ${ex.status} came as "${ex.contentType || 'no Content-Type'}"`),
      ...empty.map((ex) => `${ex.method} ${ex.path} → ${ex.status} had an empty body`),
    ];
    if (problems.length > 0) fail(`${problems.length} of ${ctx.exchanges.length} answers are not JSON documents: ${listOf(problems)}`);
  },
};

// ── the callback receiver ─────────────────────────────────────────────────────────────────────

interface ReceivedCallback {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  contentType: string;
  rawBody: string;
  json: unknown;
  /** Read leniently from the body, to attribute a callback even when it breaks the schema. */
  key: string | undefined;
  eventId: string | undefined;
  outcome: string | undefined;
  receivedAt: number;
}

interface Receiver {
  callbackUrl(step: StepId): string;
  received: ReceivedCallback[];
  /** The first callback (already received or arriving within `timeoutMs`) that `predicate` accepts. */
  waitFor(predicate: (callback: ReceivedCallback) => boolean, timeoutMs: number): Promise<ReceivedCallback | undefined>;
  close(): Promise<void>;
}

const MAX_CALLBACK_BYTES = 1024 * 1024;

/** A stand-in for the gateway's callback route: records each delivery with its raw bytes and answers 200. */
async function startReceiver(host: string, port: number, publicUrl: string | undefined): Promise<Receiver> {
  const received: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_CALLBACK_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const field = (name: string) => {
        const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
        return typeof value === 'string' ? value : undefined;
      };
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        contentType: header(req.headers, 'content-type') ?? '',
        rawBody,
        json,
        key: field('idempotencyKey'),
        eventId: field('eventId'),
        outcome: field('outcome'),
        receivedAt: Date.now(),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true,"applied":true}');
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  base = (publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`).replace(/\/+$/, '');

  return {
    callbackUrl: (step) => `${base}/v1/departments/${step}/callbacks`,
    received,
    async waitFor(predicate, timeoutMs) {
      const found = received.find(predicate);
      if (found || timeoutMs <= 0) return found;
      return new Promise((resolve) => {
        const done = (value: ReceivedCallback | undefined) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(value);
        };
        const check = () => {
          const hit = received.find(predicate);
          if (hit) done(hit);
        };
        const timer = setTimeout(() => done(undefined), timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The final callback of the valid request; the check fails or skips the way callback-arrives does. */
async function needFinalCallback(ctx: Context): Promise<ReceivedCallback> {
  const final = await ctx.finalCallback();
  if (final.ok) return final.callback;
  return final.status === 'skip' ? skip(final.reason) : fail(final.reason);
}

/**
 * The callbacks of this run to inspect for headers, once the final one has arrived or timed out;
 * SKIP when there are none (the missing callback itself is callback-arrives' failure).
 */
async function callbacksToInspect(ctx: Context): Promise<ReceivedCallback[]> {
  const final = await ctx.finalCallback();
  const callbacks = ours(ctx);
  if (callbacks.length > 0) return callbacks;
  if (!final.ok && final.status === 'skip') return skip(final.reason);
  return skip('no callback arrived to inspect (see callback-arrives)');
}

/** Fails with the first callback's problem (and how many share it); the header rules hold for every delivery. */
function everyCallback(callbacks: readonly ReceivedCallback[], problemOf: (c: ReceivedCallback) => string | undefined): void {
  const problems = callbacks.flatMap((c) => {
    const problem = problemOf(c);
    return problem === undefined ? [] : [`${c.eventId ?? 'a callback'}: ${problem}`];
  });
  if (problems.length === 0) return;
  fail(problems.length === 1 ? problems[0]! : `${problems.length} of ${callbacks.length} callbacks fail; the first, ${problems[0]}`);
}

/** The callbacks that answer requests this run sent. */
function ours(ctx: Context): ReceivedCallback[] {
  return ctx.receiver.received.filter((c) => c.key !== undefined && ctx.sentKeys.has(c.key));
}

/** Why a callback's signature does not verify, naming the usual mistakes; undefined when it does. */
function signatureProblem(secret: string, c: ReceivedCallback): string | undefined {
  const signature = header(c.headers, SIGNATURE_HEADER);
  const timestamp = header(c.headers, TIMESTAMP_HEADER);
  if (signature === undefined) return `no ${SIGNATURE_HEADER} header`;
  if (timestamp === undefined) return `no ${TIMESTAMP_HEADER} header, so the signature cannot be checked`;
  if (verifyCallbackSignature(secret, timestamp, c.rawBody, signature)) return undefined;
  const hmac = (text: string) => createHmac('sha256', secret).update(text);
  const hex = hmac(`${timestamp}.${c.rawBody}`).digest('hex');
  if (signature === hex) return 'the "v1=" prefix is missing; send "v1=<hex>"';
  if (signature.toLowerCase() === `v1=${hex}`) return 'the hex digest must be lowercase';
  if (signature === `v1=${hmac(`${timestamp}.${c.rawBody}`).digest('base64')}`) return 'the digest is base64; send it hex-encoded';
  if (signature === `v1=${hmac(c.rawBody).digest('hex')}`) return 'the body alone was signed; sign "<timestamp>.<body>"';
  return `${SIGNATURE_HEADER} does not verify with the given secret over "<timestamp>.<raw body>"; check the secret, and sign exactly the bytes you send`;
}

// ── small helpers ─────────────────────────────────────────────────────────────────────────────

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function isJson(contentType: string): boolean {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

function bodyNote(ex: Exchange): string {
  if (ex.text === '') return ' (empty body)';
  const text = ex.text.replace(/\s+/g, ' ');
  return `: ${text.length > 160 ? `${text.slice(0, 160)}…` : text}`;
}

function issueList(issues: readonly z.core.$ZodIssue[], prefix: readonly string[] = []): string {
  const details = issuesToDetails(issues, prefix);
  const shown = details.slice(0, 3).map((issue) => `${issue.path}: ${issue.message}`);
  return shown.join('; ') + (details.length > 3 ? ` (and ${details.length - 3} more)` : '');
}

function schemaName(schema: z.ZodType, fallback: string): string {
  const id = (schema.meta() as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : fallback;
}

function listOf(problems: readonly string[]): string {
  return problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
}

/** The dotted path of the first place where two JSON values differ. */
function firstDifference(a: unknown, b: unknown, path: string): string {
  if (isDeepStrictEqual(a, b)) return path;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const left = (a as Record<string, unknown>)[key];
    const right = (b as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(left, right)) return firstDifference(left, right, `${path}.${key}`);
  }
  return path;
}

function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, errors, cause, message } = error as { code?: unknown; errors?: unknown; cause?: unknown; message?: unknown };
  if (typeof code === 'string') return typeof message === 'string' && message ? `${code} (${message})` : code;
  if (Array.isArray(errors) && errors.length > 0) return describeError(errors[0]);
  if (cause !== undefined) return describeError(cause);
  return typeof message === 'string' ? message : String(error);
}
