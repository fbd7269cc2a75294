// The one shape every department adapter has (docs/style.md §2): the gateway's executor talks to
// departments only through this interface. Adding a department = a folder implementing it plus a
// registration line in services/index.ts.

import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type {
  ApplicationForm,
  DepartmentRequestEnvelope,
  FieldIssue,
  StepId,
  StepRequestData,
  StepResult,
} from '../contracts/index.ts';

/** Results of the steps already done, which later steps' requests draw on (the credit code above all). */
export type PriorResults = { [S in StepId]?: StepResult<S> };

export type CallOutcome =
  | { kind: 'completed'; reference: string | null; result: Record<string, unknown> }
  | { kind: 'accepted'; reference: string; milestone: Record<string, unknown> | null }
  | { kind: 'rejected'; reference: string | null; reasons: FieldIssue[] }
  /**
   * The call did not produce an answer. transient = worth retrying with the same idempotency key
   * (connection error, timeout, 5xx, 429, circuit open); permanent = retrying cannot help (4xx, a
   * malformed or contract-violating answer).
   */
  | { kind: 'failed'; transient: boolean; retryAfterMs: number | null; code: string; message: string; status: number | null };

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CallObservation {
  step: StepId;
  operation: 'submit' | 'poll';
  outcome: CallOutcome['kind'] | 'transient_failure' | 'permanent_failure';
  /** A failure's code from the closed catalogue DEPARTMENT_FAILURES (e.g. DEPARTMENT_TIMEOUT, CIRCUIT_OPEN); undefined for answers. */
  code?: string;
  durationMs: number;
}

export interface AdapterOptions {
  baseUrl: string;
  /**
   * The department's shared secrets, current first (plus the previous one during a change-over):
   * every request is signed with them (docs/departments.md §6a). A department refuses unsigned requests.
   */
  secrets: readonly string[];
  /** The gateway's clock, for the signatures' timestamps; default the wall clock. */
  now?: () => Date;
  log: Logger;
  /** Per-department connect/headers/body timeouts in ms (defaults in services/http.ts). */
  timeoutMs?: number;
  /** Consecutive failures that open the circuit, and how long it stays open before a probe. */
  breaker?: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** Injected for tests; by default one undici Agent per department. */
  dispatcher?: Dispatcher;
  /** Called after every call, for metrics (services/ does not import the gateway's metrics). */
  observe?: (observation: CallObservation) => void;
  /** Breaker state changes, for metrics and the ops API. */
  onBreakerChange?: (step: StepId, state: BreakerState) => void;
}

export interface DepartmentAdapter<S extends StepId = StepId> {
  readonly step: S;
  /**
   * Cuts this department's request out of the application form and earlier results: exactly the
   * fields it is entitled to (also what GET /v1/departments/{step}/applications/{id} returns).
   * Throws if a needed earlier result is missing (the orchestration never lets that happen).
   */
  buildRequest(form: ApplicationForm, prior: PriorResults): StepRequestData<S>;
  /** POST {baseUrl}/requests with the Idempotency-Key header; never throws. */
  submit(envelope: DepartmentRequestEnvelope): Promise<CallOutcome>;
  /** GET {baseUrl}/requests/{reference}; never throws. */
  poll(reference: string): Promise<CallOutcome>;
  /** Validates a result (from an answer or a callback) against the step's contract. */
  parseResult(result: unknown): { ok: true; result: StepResult<S> } | { ok: false; issues: FieldIssue[] };
  breakerState(): BreakerState;
  close(): Promise<void>;
}

export type AdapterFactory<S extends StepId = StepId> = (options: AdapterOptions) => DepartmentAdapter<S>;
