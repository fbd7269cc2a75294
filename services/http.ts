// The outbound HTTP policy, in one place (docs/style.md §6): how the gateway talks to every department.
//
//   - one undici Agent per department (keep-alive; connect, headers and body timeouts),
//   - every request signed with the department's secret (./outbound.ts, docs/departments.md §6a),
//   - one cockatiel circuit breaker per department, counting only transient failures,
//   - one classification of every answer and every transport error into a CallOutcome,
//   - the retry delay formula (retryDelayMs) — but NO retries here.
//
// Why no retries inside the adapter: a retry that sleeps in memory is lost when the process
// stops, and 100,000 applications waiting on retries would be 100,000 pending timers. Retries are
// durable instead: the gateway's executor records the failed attempt, computes the next due time
// with retryDelayMs() and stores it as a timer row; when the row comes due it calls the adapter
// again with the SAME idempotency key (docs/design.md "Orchestration"). So an adapter call is exactly
// one HTTP exchange (or none, when the circuit is open).

import { CircuitState, ConsecutiveBreaker, circuitBreaker, fullJitterGenerator, handleWhenResult, isBrokenCircuitError } from 'cockatiel';
import type { Logger } from 'pino';
import { request } from 'undici';
import type { Agent, Dispatcher } from 'undici';
import { DepartmentAnswer, ErrorBody, STEP_CONTRACTS, inspectJson, issuesToDetails } from '../contracts/index.ts';
import type { DepartmentRequestEnvelope, StepId } from '../contracts/index.ts';
import { MAX_ANSWER_BYTES, classifyTransportError, createRequestSigner, createServiceAgent } from './outbound.ts';
import type { AdapterOptions, BreakerState, CallObservation, CallOutcome } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_BREAKER = Object.freeze({ consecutiveFailures: 5, halfOpenAfterMs: 30_000 });
export { MAX_ANSWER_BYTES };

/**
 * The `code` of every failed CallOutcome this module produces. Stable strings (docs/style.md §5):
 * the gateway stores them as the step's problem and may branch on them.
 */
export const DEPARTMENT_FAILURES = {
  // transient: worth another attempt with the same idempotency key
  CIRCUIT_OPEN: { transient: true, message: 'The circuit to this department is open after repeated failures; no call was made' },
  DEPARTMENT_UNAVAILABLE: { transient: true, message: 'The department answered with a server error' },
  DEPARTMENT_RATE_LIMITED: { transient: true, message: 'The department asked us to slow down (HTTP 429)' },
  DEPARTMENT_TIMEOUT: { transient: true, message: 'The department did not answer in time' },
  DEPARTMENT_UNREACHABLE: { transient: true, message: 'Could not connect to the department' },
  DEPARTMENT_CONNECTION_RESET: { transient: true, message: 'The connection to the department broke during the call' },
  DEPARTMENT_ANSWER_MALFORMED: { transient: true, message: 'The department answer was not valid JSON (possibly cut off mid-answer)' },
  DEPARTMENT_CALL_FAILED: { transient: true, message: 'The call to the department failed unexpectedly' },
  // permanent: the same call would fail the same way; a person has to look
  DEPARTMENT_REQUEST_REFUSED: { transient: false, message: 'The department refused the request' },
  DEPARTMENT_AUTH_REFUSED: {
    transient: false,
    message: "The department refused the gateway's signature (HTTP 401); check that DEPT_<STEP>_SECRET is the same on both sides and the gateway's clock is right, then retry the step",
  },
  DEPARTMENT_ANSWER_INVALID: { transient: false, message: 'The department answer does not match the contract for this step' },
  DEPARTMENT_ANSWER_TOO_LARGE: { transient: false, message: `The department answer exceeds ${MAX_ANSWER_BYTES} bytes` },
  DEPARTMENT_REQUEST_INVALID: { transient: false, message: 'The request does not match the contract for this step; nothing was sent' },
  DEPARTMENT_CALL_INVALID: { transient: false, message: 'The call could not be made as configured (check the department base URL)' },
} as const;
export type DepartmentFailureCode = keyof typeof DEPARTMENT_FAILURES;

type Failure = Extract<CallOutcome, { kind: 'failed' }>;

function failure(code: DepartmentFailureCode, status: number | null, detail?: string, retryAfterMs: number | null = null): Failure {
  const { transient, message } = DEPARTMENT_FAILURES[code];
  return { kind: 'failed', transient, retryAfterMs, code, message: detail ? `${message}: ${detail}` : message, status };
}

// ── retry delay ───────────────────────────────────────────────────────────────────────────────

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * How long to wait before attempt `attempt + 1`, given that attempt number `attempt` (1-based)
 * just failed: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"), i.e. a uniform draw from [0, min(maxMs, baseMs · 2^(attempt−1))), and never less
 * than the department's Retry-After (RFC 9110 §10.2.3), which is a floor even above maxMs: a
 * department that says "come back in 5 minutes" means it.
 *
 * Cockatiel's `ExponentialBackoff` is a stateful chain (`backoff.next().next()…`) meant for
 * in-memory retry loops; our retries are durable rows, so all we have is the attempt number read
 * back from storage. Its `fullJitterGenerator` however is a plain function of (attempt, options),
 * so we call it directly: a stateless "attempt n" computation with cockatiel's formula.
 * (`decorrelatedJitterGenerator` would need the previous delay carried in storage as well.)
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, policy: RetryPolicy): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const [jittered] = fullJitterGenerator(exponent, { initialDelay: policy.baseMs, maxDelay: policy.maxMs, exponent: 2, generator: fullJitterGenerator });
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with a day name; this keeps
  // Date.parse's leniency ("-5" is year −5 to V8) out of it.
  if (!/^[A-Za-z]{3}/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

// ── the client ────────────────────────────────────────────────────────────────────────────────

export interface DepartmentClientOptions {
  step: StepId;
  baseUrl: string;
  /** The department's secrets, current first (and the previous one during a change-over): every request is signed with them. */
  secrets: readonly string[];
  /** The clock the signatures' timestamps come from (the gateway's); default the wall clock. */
  now?: () => Date;
  /** Connect, headers and body timeout in ms; default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Injected (tests); by default the client owns one undici Agent for this department. */
  dispatcher?: Dispatcher;
  breaker?: AdapterOptions['breaker'];
  observe?: AdapterOptions['observe'];
  onBreakerChange?: AdapterOptions['onBreakerChange'];
  log: Logger;
}

export interface DepartmentClient {
  /** POST {baseUrl}/requests with the Idempotency-Key header; never throws. */
  submit(envelope: DepartmentRequestEnvelope): Promise<CallOutcome>;
  /** GET {baseUrl}/requests/{reference}; never throws. */
  poll(reference: string): Promise<CallOutcome>;
  breakerState(): BreakerState;
  close(): Promise<void>;
}

/** A transport error (no HTTP answer, or an answer cut off) as a CallOutcome. Only the error code is kept. */
function transportFailure(error: unknown): Failure {
  const { problem, code } = classifyTransportError(error);
  switch (problem) {
    case 'timeout':
      return failure('DEPARTMENT_TIMEOUT', null, code);
    case 'reset':
      return failure('DEPARTMENT_CONNECTION_RESET', null, code);
    case 'unreachable':
      return failure('DEPARTMENT_UNREACHABLE', null, code);
    case 'too_large':
      return failure('DEPARTMENT_ANSWER_TOO_LARGE', null);
    case 'invalid_call':
      return failure('DEPARTMENT_CALL_INVALID', null, code);
    case 'unknown':
      // Assume transient. Retrying with the same idempotency key is always safe, and a department
      // that keeps failing this way opens the breaker and ends in needs_attention anyway.
      return failure('DEPARTMENT_CALL_FAILED', null, code);
  }
}

const isTransientFailure = (outcome: unknown): boolean =>
  (outcome as CallOutcome).kind === 'failed' && (outcome as Failure).transient;

function toBreakerState(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half_open';
  return 'open'; // Open, or Isolated (held open by hand)
}

function observation(outcome: CallOutcome): CallObservation['outcome'] {
  if (outcome.kind !== 'failed') return outcome.kind;
  return outcome.transient ? 'transient_failure' : 'permanent_failure';
}

export function createDepartmentClient(options: DepartmentClientOptions): DepartmentClient {
  const { step } = options;
  const contract = STEP_CONTRACTS[step];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = options.log.child({ step });
  const base = options.baseUrl.replace(/\/+$/, '');
  const signer = createRequestSigner(options.secrets, options.now);

  // One Agent (connection pool) per department (./outbound.ts).
  const ownAgent: Agent | null = options.dispatcher ? null : createServiceAgent(timeoutMs);
  const dispatcher: Dispatcher = options.dispatcher ?? ownAgent!;
  let closing: Promise<void> | undefined;

  // Only transient failures count against the department: a 4xx or a rejection is a working
  // department saying no. While open, calls fail fast with CIRCUIT_OPEN and no network traffic;
  // after halfOpenAfterMs the next call is the probe that closes (or re-opens) the circuit.
  const { consecutiveFailures, halfOpenAfterMs } = options.breaker ?? DEFAULT_BREAKER;
  const breaker = circuitBreaker(handleWhenResult(isTransientFailure), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(consecutiveFailures),
  });
  // cockatiel keeps its open timestamp private; it opens and measures with Date.now(), so do we.
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
  });
  breaker.onStateChange((circuit) => {
    const state = toBreakerState(circuit);
    if (state === 'open') log.warn({ breaker: state, halfOpenAfterMs }, 'department circuit opened');
    else log.info({ breaker: state }, 'department circuit state changed');
    options.onBreakerChange?.(step, state);
  });

  /** Performs and classifies one HTTP exchange; `seen.status` records the HTTP status for the log. */
  async function exchange(
    seen: { status: number | null },
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<CallOutcome> {
    let response: Dispatcher.ResponseData;
    try {
      // Signed per attempt (a fresh timestamp and nonce): over the body of a POST, the path of a GET.
      const signature = signer.headers(body ?? new URL(url).pathname);
      response = await request(url, { dispatcher, method, headers: { ...headers, ...signature }, body: body ?? null, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    } catch (error) {
      return transportFailure(error);
    }
    const status = response.statusCode;
    seen.status = status;
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      return transportFailure(error);
    }

    if (status === 429) {
      return failure('DEPARTMENT_RATE_LIMITED', status, undefined, parseRetryAfter(response.headers['retry-after']));
    }
    if (status >= 500) {
      return failure('DEPARTMENT_UNAVAILABLE', status, `HTTP ${status}`, parseRetryAfter(response.headers['retry-after']));
    }
    if ((status >= 200 && status < 300) || status === 422) return classifyAnswer(status, text);
    if (status === 401) {
      const departmentCode = readErrorCode(text);
      return failure('DEPARTMENT_AUTH_REFUSED', status, departmentCode);
    }
    // Other statuses (4xx, and 1xx/3xx which the protocol never uses) cannot improve on retry.
    // Only the department's error code is kept: its message might echo personal data.
    const departmentCode = readErrorCode(text);
    return failure('DEPARTMENT_REQUEST_REFUSED', status, `HTTP ${status}${departmentCode ? ` ${departmentCode}` : ''}`);
  }

  function classifyAnswer(status: number, text: string): CallOutcome {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A 2xx/422 whose body is not JSON most likely comes from a department that crashed or
      // was cut off mid-answer (a truncated body with a wrong Content-Length already surfaces as
      // a reset). Treated as transient: the retry carries the same idempotency key, so a
      // department that did record the request answers it again, properly this time.
      return failure('DEPARTMENT_ANSWER_MALFORMED', status);
    }
    // Text our stores cannot hold alike (U+0000, lone surrogates), nesting no contract has, and
    // "__proto__" keys are the department breaking the contract: permanent, not retried for ever.
    const problem = inspectJson(json);
    if (problem !== null) return failure('DEPARTMENT_ANSWER_INVALID', status, `${ANSWER_PROBLEMS[problem.kind]} (at ${problem.path || 'the answer'})`);
    const answer = DepartmentAnswer.safeParse(json);
    if (!answer.success) return invalid(status, 'answer', answer.error.issues);
    const value = answer.data;
    // The outcome field decides (a poll answers 200 whatever the outcome); a 422 must be a rejection.
    if (status === 422 && value.outcome !== 'rejected') {
      return failure('DEPARTMENT_ANSWER_INVALID', status, `HTTP 422 must carry outcome "rejected", got "${value.outcome}"`);
    }
    switch (value.outcome) {
      case 'completed': {
        const result = contract.result.safeParse(value.result);
        if (!result.success) return invalid(status, 'result', result.error.issues);
        return { kind: 'completed', reference: value.reference ?? null, result: result.data as Record<string, unknown> };
      }
      case 'accepted': {
        if (value.milestone === undefined) return { kind: 'accepted', reference: value.reference, milestone: null };
        const milestone = contract.milestone.safeParse(value.milestone);
        if (!milestone.success) return invalid(status, 'milestone', milestone.error.issues);
        return { kind: 'accepted', reference: value.reference, milestone: milestone.data as Record<string, unknown> };
      }
      case 'rejected':
        return { kind: 'rejected', reference: value.reference ?? null, reasons: value.reasons };
    }
  }

  /** Contract violations name the offending paths, never the offending values. */
  function invalid(status: number, prefix: string, issues: Parameters<typeof issuesToDetails>[0]): Failure {
    const paths = issuesToDetails(issues, [prefix])
      .slice(0, 5)
      .map((issue) => issue.path);
    return failure('DEPARTMENT_ANSWER_INVALID', status, `check ${paths.join(', ')}`);
  }

  type Send = (seen: { status: number | null }) => Promise<CallOutcome>;

  async function guarded(operation: CallObservation['operation'], context: Record<string, string>, send: Send): Promise<CallOutcome> {
    const started = performance.now();
    const seen = { status: null as number | null };
    let outcome: CallOutcome;
    try {
      outcome = await breaker.execute(() => send(seen));
    } catch (error) {
      // BrokenCircuitError (and IsolatedCircuitError, its subclass): open, nothing was sent.
      outcome = isBrokenCircuitError(error)
        ? failure('CIRCUIT_OPEN', null, undefined, Math.max(0, openedAt + halfOpenAfterMs - Date.now()))
        : transportFailure(error);
    }
    return report(operation, context, outcome, started, seen.status);
  }

  /** Logs the call and tells `observe`. A CIRCUIT_OPEN is observed too, as a transient failure. */
  function report(
    operation: CallObservation['operation'],
    context: Record<string, string>,
    outcome: CallOutcome,
    started: number,
    status: number | null,
  ): CallOutcome {
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const entry = {
      ...context,
      operation,
      outcome: outcome.kind,
      status,
      code: outcome.kind === 'failed' ? outcome.code : undefined,
      transient: outcome.kind === 'failed' ? outcome.transient : undefined,
      durationMs,
    };
    // Only identifiers of the call are logged, never request or answer data (personal data).
    if (outcome.kind === 'failed') log.warn(entry, 'department call failed');
    else log.info(entry, 'department call');
    try {
      options.observe?.({ step, operation, outcome: observation(outcome), ...(outcome.kind === 'failed' ? { code: outcome.code } : {}), durationMs });
    } catch {
      // Metrics must never turn an answered call into a failure.
    }
    return outcome;
  }

  return {
    async submit(envelope) {
      const context = { applicationId: envelope.applicationId, idempotencyKey: envelope.idempotencyKey };
      // The wire never carries more than the step's contract: the data goes through the request
      // schema (which drops unknown fields) before it is sent. A mismatch is a bug on our side and
      // is not the department's failure, so it does not touch the breaker.
      const data = envelope.step === step ? contract.request.safeParse(envelope.data) : undefined;
      if (!data?.success) {
        const detail = data
          ? `check ${issuesToDetails(data.error.issues, ['data']).map((issue) => issue.path).join(', ')}`
          : `the envelope is for step ${envelope.step}`;
        const outcome = failure('DEPARTMENT_REQUEST_INVALID', null, detail);
        // Not observed: no call was made and the department is not to blame for it.
        log.error({ ...context, operation: 'submit', outcome: outcome.kind, code: outcome.code }, 'department request does not match the contract');
        return outcome;
      }
      const body = JSON.stringify({ ...envelope, data: data.data });
      return guarded('submit', context, (seen) =>
        exchange(seen, 'POST', `${base}/requests`, {
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': envelope.idempotencyKey,
        }, body),
      );
    },

    async poll(reference) {
      return guarded('poll', { reference }, (seen) =>
        exchange(seen, 'GET', `${base}/requests/${encodeURIComponent(reference)}`, { accept: 'application/json' }),
      );
    },

    breakerState() {
      return toBreakerState(breaker.state);
    },

    close() {
      // An injected dispatcher belongs to whoever injected it. Closing twice is harmless.
      closing ??= ownAgent ? ownAgent.close() : Promise.resolve();
      return closing;
    },
  };
}

const ANSWER_PROBLEMS = {
  nul_character: 'the NUL character is not allowed',
  lone_surrogate: 'an unpaired UTF-16 surrogate is not text',
  too_deep: 'nested deeper than any contract allows',
  forbidden_key: 'the key "__proto__" is not allowed',
} as const;

/** The department's error code, if its answer has our { code } shape (only the code: a message may echo personal data). */
function readErrorCode(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    // Only code and message are required here: a department's details need not carry our detail codes.
    const parsed = ErrorBody.pick({ code: true, message: true }).safeParse(body);
    return parsed.success ? parsed.data.code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
