// The behaviour document of a mock department (GET/PUT /_mock/behaviour). PUT replaces the whole
// document: fields left out take their defaults, so a test states everything it relies on.
import { z } from 'zod';
import { FieldIssue } from '../../contracts/index.ts';

export const ERROR_KINDS = ['500', 'timeout', 'reset', 'malformed_json', '429'] as const;
export const ErrorKind = z.enum(ERROR_KINDS);
export type ErrorKind = z.infer<typeof ErrorKind>;

export const MockMode = z.enum(['sync', 'async']);
export type MockMode = z.infer<typeof MockMode>;

const Ms = z.number().int().min(0).max(3_600_000);

export const MockBehaviourDocument = z
  .strictObject({
    /** Extra latency before every answer, uniform in [min, max]. */
    latencyMs: z
      .strictObject({ min: Ms, max: Ms })
      .refine((l) => l.min <= l.max, { message: 'latencyMs.min must not exceed latencyMs.max', path: ['max'] })
      .default({ min: 0, max: 0 }),
    /** Share of requests (POST /requests and polls) answered with an injected fault. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Faults drawn from (uniformly) when a request is picked by errorRate. */
    errorKinds: z.array(ErrorKind).min(1).default(['500']),
    /** How long a 'timeout' fault holds the response before answering. */
    hangMs: Ms.default(10_000),
    /** Share of new requests the department rejects (with the step's default reasons). */
    rejectRate: z.number().min(0).max(1).default(0),
    /** A deterministic rejection rule; reasons default to the step's default reasons. */
    reject: z
      .strictObject({
        when: z.enum(['always', 'companyNameContains']),
        value: z.string().min(1).optional(),
        reasons: z.array(FieldIssue).min(1).optional(),
      })
      .refine((r) => r.when !== 'companyNameContains' || r.value !== undefined, {
        message: "reject.value is required when reject.when is 'companyNameContains'",
        path: ['value'],
      })
      .optional(),
    /** sync: answer 200/422 at once; async: answer 202 and call back later. Defaults per step. */
    mode: MockMode.optional(),
    /** Async mode: delay between accepting and finishing (then the callback is sent). */
    callbackDelayMs: Ms.default(200),
    /** Callback delivery: attempts in all, and the first back-off (doubling each time). */
    callbackRetry: z
      .strictObject({ attempts: z.number().int().min(1).max(20), backoffMs: Ms })
      .default({ attempts: 4, backoffMs: 100 }),
    /**
     * Async mode: send the final callback twice (distinct eventIds, same content), then a stale
     * 'progress' callback after it — the out-of-order, at-least-once delivery real systems do.
     */
    duplicateCallbacks: z.boolean().default(false),
    /** At most perWindow new requests per fixed window (e.g. a seal maker's half-day); beyond: 429 + Retry-After. */
    capacity: z.strictObject({ perWindow: z.number().int().min(0), windowMs: z.number().int().positive() }).optional(),
  })
  .describe('MockBehaviour: the switchable behaviour of a mock department'); // no registry id: the gateway's OpenAPI must not list mock schemas

/** What a test may send (every field optional). */
export type MockBehaviourInput = z.input<typeof MockBehaviourDocument>;
/** The effective behaviour, defaults applied and the mode resolved for the step. */
export type MockBehaviour = Omit<z.output<typeof MockBehaviourDocument>, 'mode'> & { mode: MockMode };

export function resolveBehaviour(input: MockBehaviourInput | undefined, defaultMode: MockMode): MockBehaviour {
  const parsed = MockBehaviourDocument.parse(input ?? {});
  return { ...parsed, mode: parsed.mode ?? defaultMode };
}
