import { z } from 'zod';
import { OPTIONAL_STEP_IDS, StepId } from './steps.ts';

// The what-if simulator's documents (docs/simulation.md): a SCENARIO says what to simulate — the
// period, how applications arrive, each department's capacity and service times, rejections,
// corrections and faults — and a REPORT says what happened. The CLI (npm run simulate), the ops API
// (POST /v1/ops/simulations) and the chart page (/ops/simulation) all validate and read these.
//
// Units: service times are minutes of the department's STAFFED time (work stops at lunch and at
// night); an applicant's correction delay is minutes of calendar time (applicants answer whenever
// they like); ops' reaction to a step that needs attention is minutes of office time.

/** Hard limits: a scenario beyond them is refused (400 SIMULATION_INVALID / 422 SIMULATION_TOO_LARGE). */
export const SIMULATION_LIMITS = {
  /** Longest period, in calendar days. */
  maxPeriodDays: 92,
  /** Most applications one run may simulate (expected, for an arrival profile). */
  maxApplications: 20_000,
  /** After the period ends, the run goes on until everything in flight has finished, at most this long. */
  drainDays: 60,
  maxClerks: 1_000,
  maxEmpiricalSamples: 10_000,
} as const;

const MAX_MINUTES = 60 * 24 * 365;

const Day = z.iso.date().describe('A date in Asia/Shanghai, YYYY-MM-DD');
const Instant = z.iso.datetime({ offset: true });
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month.format');
const ClockTime = z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'simulation.clock_time');

/** A duration drawn at random for every job (or every applicant, or every ops reaction). */
export const SimulationDistribution = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed'), minutes: z.number().min(0).max(MAX_MINUTES) }),
    z.strictObject({ kind: z.literal('exponential'), meanMinutes: z.number().positive().max(MAX_MINUTES) }),
    z
      .strictObject({
        kind: z.literal('lognormal'),
        medianMinutes: z.number().positive().max(MAX_MINUTES),
        p90Minutes: z.number().positive().max(MAX_MINUTES),
      })
      .refine((d) => d.p90Minutes > d.medianMinutes, { message: 'simulation.lognormal_spread', path: ['p90Minutes'] }),
    z.strictObject({
      kind: z.literal('empirical'),
      /** Observed durations; each draw picks one of them at random (bootstrap). */
      minutes: z.array(z.number().min(0).max(MAX_MINUTES)).min(1).max(SIMULATION_LIMITS.maxEmpiricalSamples),
    }),
  ])
  .describe('fixed | exponential (mean) | lognormal (median and 90th percentile) | empirical (observed values, resampled)')
  .meta({ id: 'SimulationDistribution' });
export type SimulationDistribution = z.infer<typeof SimulationDistribution>;

const Session = z.strictObject({ start: ClockTime, end: ClockTime });

export const SimulatedDepartment = z
  .strictObject({
    clerks: z
      .union([z.number().int().min(1).max(SIMULATION_LIMITS.maxClerks), z.literal('unlimited')])
      .describe('People (or machines) working in parallel; "unlimited" = no queue (e.g. a calibrated department)'),
    quota: z
      .strictObject({ per: z.enum(['hour', 'half-day', 'day']), max: z.number().int().min(1).max(100_000) })
      .optional()
      .describe('At most `max` jobs start per hour, per half-day (office session) or per working day, e.g. a seal maker engraving 40 sets per half-day'),
    hours: z.array(Session).min(1).max(6).optional().describe("Staffed sessions of a working day (default: the office hours); e.g. a bank's 08:30–17:30"),
    serviceTime: SimulationDistribution.describe('Staffed minutes one job takes'),
    mode: z.enum(['async', 'sync']).default('async').describe('async: accepts, queues, calls back when done; sync: answers at once (no queue, no time)'),
    rejectionRate: z.number().min(0).max(1).default(0).describe('Share of requests sent back for correction (补正), decided at the end of service'),
    faults: z
      .strictObject({
        rate: z.number().min(0).max(1).default(0).describe('Share of calls (requests and polls) that fail and are retried by the executor'),
        kind: z.enum(['error', 'timeout', 'busy']).default('error').describe('error: 5xx at once; timeout: no answer within gateway.timeoutMs; busy: 429 with Retry-After 60 s'),
        lostCallbackRate: z.number().min(0).max(1).default(0).describe('Share of finished jobs whose callback never arrives (the gateway learns at its next poll)'),
        outages: z
          .array(z.strictObject({ from: Instant, to: Instant }))
          .max(50)
          .default([])
          .describe('Intervals in which every call fails (connection refused)'),
      })
      .prefault({}),
  })
  .meta({ id: 'SimulatedDepartment' });
export type SimulatedDepartment = z.infer<typeof SimulatedDepartment>;
export type SimulatedDepartmentInput = z.input<typeof SimulatedDepartment>;

/**
 * Weights of the 24 hours of a day (Asia/Shanghai) for submissions: online applications arrive
 * mostly in office hours, with an evening tail. Normalised by the simulator; used when a profile
 * gives none.
 */
export const DEFAULT_HOURLY_PROFILE: readonly number[] = [
  0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.5, 6, 7, 6.5, 3, 4.5, 6.5, 6.5, 5.5, 3, 1.5, 1.5, 1.6, 1.4, 0.9, 0.4,
];

const Arrivals = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('profile'),
      perWorkingDay: z.number().min(0).max(SIMULATION_LIMITS.maxApplications).describe('Applications submitted on an ordinary working day'),
      nonWorkingDayShare: z.number().min(0).max(5).default(0.1).describe('Submissions on a weekend or holiday day, as a share of a working day (online submission never closes)'),
      hourly: z.array(z.number().min(0).max(1_000)).length(24).optional().describe('Weights of the 24 hours of a day; default DEFAULT_HOURLY_PROFILE'),
      surges: z
        .array(z.strictObject({ from: Day, to: Day, factor: z.number().min(0).max(20) }))
        .max(50)
        .default([])
        .describe('Days (inclusive) on which submissions are multiplied by factor'),
      afterHoliday: z
        .strictObject({
          minDaysOff: z.number().int().min(1).max(30).default(3).describe('A run of at least this many days off counts as a holiday (a weekend is 2)'),
          workingDays: z.number().int().min(1).max(30),
          factor: z.number().min(0).max(20),
        })
        .optional()
        .describe('The first working days after a holiday get factor × the usual submissions'),
    }),
    z.strictObject({
      kind: z.literal('replay'),
      month: Month.describe("The store's submissions of this month (Asia/Shanghai), at their recorded instants"),
    }),
    z.strictObject({
      kind: z.literal('times'),
      at: z.array(Instant).max(SIMULATION_LIMITS.maxApplications).describe('Submission instants (what a replay resolves to)'),
    }),
  ])
  .meta({ id: 'SimulationArrivals' });
export type SimulationArrivals = z.infer<typeof Arrivals>;

/** A year's holiday schedule the scenario assumes (a year not published yet); the same shape as PUT /v1/ops/calendar/{year}. */
const AssumedYear = z.looseObject({ year: z.number().int().min(2000).max(2100) });

const CORE_DEPARTMENTS = ['business-licence', 'seal-engraving', 'tax-invoice', 'social-insurance', 'bank-account', 'postal-delivery'] as const;

export const SimulationScenario = z
  .strictObject({
    name: z.string().trim().min(1).max(80),
    description: z.string().max(2_000).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1).describe('Same scenario + same seed = the same report'),
    period: z.strictObject({ from: Day, to: Day }).describe('Submissions happen from `from` to `to` (inclusive); the run then goes on until all work is done'),
    arrivals: Arrivals,
    departments: z.partialRecord(StepId, SimulatedDepartment).describe('One entry per enabled step'),
    optionalSteps: z.array(z.enum(OPTIONAL_STEP_IDS)).max(OPTIONAL_STEP_IDS.length).default([]),
    windows: z.partialRecord(StepId, z.number().positive().max(30)).default({}).describe('SLA windows in working days, overriding the gateway defaults (what if the seal window were 1 day?)'),
    corrections: z
      .strictObject({
        share: z.number().min(0).max(1).default(0.9).describe('Share of applicants asked for a correction who send one; the others withdraw if they may'),
        delay: SimulationDistribution.default({ kind: 'lognormal', medianMinutes: 240, p90Minutes: 1_440 }).describe('Calendar minutes until the correction arrives'),
      })
      .prefault({}),
    ops: z
      .strictObject({
        retryAfter: SimulationDistribution.default({ kind: 'lognormal', medianMinutes: 60, p90Minutes: 240 }).describe('Office minutes until ops retry a step that needs attention'),
      })
      .prefault({}),
    gateway: z
      .strictObject({
        pollIntervalMs: z.number().int().min(1_000).optional(),
        maxAttempts: z.number().int().min(1).max(50).optional(),
        retryBaseMs: z.number().int().positive().optional(),
        retryMaxMs: z.number().int().positive().optional(),
        timeoutMs: z.number().int().positive().max(600_000).optional(),
        atRiskFraction: z.number().gt(0).lt(1).optional(),
      })
      .prefault({})
      .describe("The gateway's settings (default: the gateway's configuration defaults)"),
    calendar: z
      .strictObject({
        officeHours: z.array(Session).min(1).max(6).optional().describe('Office sessions of a working day (default 09:00–12:00, 13:00–17:00)'),
        halfDayRule: z.enum(['office-time', 'session']).optional(),
        assumedYears: z.array(AssumedYear).max(5).default([]).describe('Schedules for years not published yet (planning assumptions); a published schedule of the same year wins'),
      })
      .prefault({}),
    target: z
      .strictObject({
        onTimePercent: z.number().min(0).max(100).default(95).describe('A window "breaks" on the first day whose on-time rate falls below this'),
        minPerDay: z.number().int().min(1).max(1_000).default(5).describe('Days with fewer finished clocks are not judged'),
      })
      .prefault({}),
    sampleEveryMinutes: z.number().int().min(5).max(1_440).default(60).describe('How often queue lengths are sampled for the chart'),
  })
  .superRefine((s, ctx) => {
    const from = Date.parse(`${s.period.from}T00:00:00Z`);
    const to = Date.parse(`${s.period.to}T00:00:00Z`);
    if (Number.isFinite(from) && Number.isFinite(to)) {
      if (to < from) ctx.addIssue({ code: 'custom', path: ['period', 'to'], message: 'simulation.period_order' });
      else if ((to - from) / 86_400_000 + 1 > SIMULATION_LIMITS.maxPeriodDays) {
        ctx.addIssue({ code: 'custom', path: ['period', 'to'], message: 'simulation.period_too_long', params: { maxDays: SIMULATION_LIMITS.maxPeriodDays } });
      }
    }
    for (const step of [...CORE_DEPARTMENTS, ...s.optionalSteps]) {
      if (!s.departments[step]) ctx.addIssue({ code: 'custom', path: ['departments', step], message: 'simulation.department_missing', params: { step } });
    }
    for (const [step, department] of Object.entries(s.departments)) {
      department?.faults.outages.forEach((o, i) => {
        if (Date.parse(o.to) <= Date.parse(o.from)) ctx.addIssue({ code: 'custom', path: ['departments', step, 'faults', 'outages', i, 'to'], message: 'simulation.interval_order' });
      });
      if (department?.mode === 'sync' && department.quota) {
        ctx.addIssue({ code: 'custom', path: ['departments', step, 'quota'], message: 'simulation.sync_without_queue' });
      }
    }
    if (s.arrivals.kind === 'profile') {
      const { hourly, surges } = s.arrivals;
      if (hourly && !hourly.some((w) => w > 0)) ctx.addIssue({ code: 'custom', path: ['arrivals', 'hourly'], message: 'simulation.profile_empty' });
      surges.forEach((surge, i) => {
        if (surge.to < surge.from) ctx.addIssue({ code: 'custom', path: ['arrivals', 'surges', i, 'to'], message: 'simulation.interval_order' });
      });
    }
  })
  .meta({ id: 'SimulationScenario' });
export type SimulationScenario = z.infer<typeof SimulationScenario>;
export type SimulationScenarioInput = z.input<typeof SimulationScenario>;

/** The clocks a target may name: the overall 3-working-day promise or a step's own window. */
export const SimulationClock = z.union([z.literal('overall'), StepId]).meta({ id: 'SimulationClock' });
export type SimulationClock = z.infer<typeof SimulationClock>;

/** Capacity advice: the least capacity per department that meets the target (e.g. 95% of seals on time). */
export const SimulationTarget = z
  .strictObject({
    clock: SimulationClock,
    onTimePercent: z.number().min(1).max(100),
  })
  .meta({ id: 'SimulationTarget' });
export type SimulationTarget = z.infer<typeof SimulationTarget>;

/** POST /v1/ops/simulations: a scenario (or the name of a shipped one), optionally a seed and a capacity target. */
export const SimulationRequest = z
  .strictObject({
    scenario: z
      .union([z.string().regex(/^[a-z0-9-]{1,64}$/), z.record(z.string(), z.unknown())])
      .describe('A SimulationScenario document, or the name of a shipped scenario (GET /v1/ops/simulations/scenarios)'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional().describe("Overrides the scenario's seed"),
    advise: SimulationTarget.optional(),
  })
  .meta({ id: 'SimulationRequest' });
export type SimulationRequest = z.infer<typeof SimulationRequest>;

// ── the report ──────────────────────────────────────────────────────────────────────────────────

const Percent = z.number().nullable();
const Hours = z.number().nullable();

export const SimulationWindow = z
  .object({
    clock: SimulationClock,
    windowWorkingDays: z.number(),
    started: z.number().int(),
    finished: z.number().int().describe('Clocks that stopped (met or late); withdrawn ones are left out, as in the monthly report'),
    onTime: z.number().int(),
    onTimePercent: Percent,
    medianWorkingHours: Hours,
    p90WorkingHours: Hours,
    maxWorkingHours: Hours,
    open: z.number().int().describe('Still running when the run ended'),
    openBreached: z.number().int(),
    firstBreachDay: z.string().nullable().describe('First day (window start) with a late clock'),
    firstBreakDay: z.string().nullable().describe("First day (window start) whose on-time rate is below the scenario's target"),
    daily: z.array(z.object({ day: z.string(), finished: z.number().int(), onTimePercent: Percent })),
  })
  .meta({ id: 'SimulationWindow' });
export type SimulationWindow = z.infer<typeof SimulationWindow>;

export const SimulationDepartmentResult = z
  .object({
    step: StepId,
    department: z.string(),
    clerks: z.union([z.number().int(), z.literal('unlimited')]),
    quota: z.object({ per: z.string(), max: z.number().int() }).nullable(),
    received: z.number().int().describe('Requests that reached the department (corrections are new requests)'),
    served: z.number().int(),
    rejected: z.number().int(),
    failedCalls: z.number().int().describe('Calls that failed (faults, outages) and were retried or gave up'),
    utilisationPercent: Percent.describe('Service time started in the period / (clerks × staffed time of the period)'),
    maxQueue: z.number().int(),
    meanWaitWorkingHours: Hours.describe('Office time between arriving and a clerk starting'),
    p90WaitWorkingHours: Hours,
    daily: z.array(z.object({ day: z.string(), utilisationPercent: Percent, maxQueue: z.number().int() })),
  })
  .meta({ id: 'SimulationDepartmentResult' });
export type SimulationDepartmentResult = z.infer<typeof SimulationDepartmentResult>;

export const SimulationAdvice = z
  .object({
    target: SimulationTarget,
    met: z.boolean().describe('Whether the advised capacities meet the target'),
    complete: z.boolean().describe('false when the search stopped at its run or time budget'),
    runs: z.number().int(),
    onTimePercent: Percent.describe("The target clock's on-time rate with the advised capacities"),
    bottleneck: StepId.nullable().describe('The department whose capacity holds the target back at the current capacities'),
    departments: z.array(
      z.object({
        step: StepId,
        lever: z.enum(['clerks', 'quota']).nullable().describe('What the search varies; null when the department has no capacity to vary (unlimited, sync)'),
        current: z.number().int().nullable(),
        advised: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'SimulationAdvice' });
export type SimulationAdvice = z.infer<typeof SimulationAdvice>;

export const SimulationReport = z
  .object({
    scenario: z.string(),
    seed: z.number().int(),
    period: z.object({ from: z.string(), to: z.string() }),
    end: z.string().describe('When the last work finished (or the drain limit)'),
    drained: z.boolean().describe('false when work was still in flight at the drain limit'),
    calendar: z.object({
      years: z.array(z.number().int()),
      assumedYears: z.array(z.number().int()).describe("Years taken from the scenario's assumptions"),
      ignoredAssumedYears: z.array(z.number().int()).describe('Assumed years ignored because a published schedule is loaded'),
      provisional: z.boolean().describe('Some deadline fell in a year with no schedule (weekdays only)'),
    }),
    applications: z.object({
      submitted: z.number().int(),
      completed: z.number().int(),
      withdrawn: z.number().int(),
      open: z.number().int(),
      waitingForApplicant: z.number().int(),
      needsAttention: z.number().int(),
    }),
    overall: SimulationWindow.describe('The 3-working-day promise: onTimePercent is the share of companies open within 3 working days'),
    windows: z.array(SimulationWindow),
    departments: z.array(SimulationDepartmentResult),
    firstToBreak: SimulationClock.nullable().describe('The window that breaks first'),
    bottleneck: StepId.nullable(),
    series: z.object({
      at: z.array(z.string()),
      queue: z.record(z.string(), z.array(z.number().int())),
      inService: z.record(z.string(), z.array(z.number().int())),
    }),
    days: z.array(z.string()),
    run: z.object({
      transitions: z.number().int().describe('Events applied to applications through the machine'),
      departmentCalls: z.number().int(),
      wallMs: z.number().describe('Not deterministic: how long the run took'),
    }),
    advice: SimulationAdvice.optional(),
  })
  .meta({ id: 'SimulationReport' });
export type SimulationReport = z.infer<typeof SimulationReport>;

export const SIMULATION_JOB_STATES = ['running', 'done', 'failed'] as const;

export const SimulationJob = z
  .object({
    id: z.string(),
    state: z.enum(SIMULATION_JOB_STATES),
    scenario: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    startedBy: z.string(),
    report: SimulationReport.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'SimulationJob' });
export type SimulationJob = z.infer<typeof SimulationJob>;
