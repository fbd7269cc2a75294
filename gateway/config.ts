// Configuration, validated once at boot, typed, frozen (docs/style.md §8). Nothing else reads process.env.

import { z } from 'zod';
import { SANMENXIA_DIVISIONS, STEP_IDS, type StepId } from '../contracts/index.ts';
import { DEFAULT_OFFICE_HOURS, HalfDayRule, OfficeHours } from './calendar/index.ts';
import { DEFAULT_STEP_DEFINITIONS, OPTIONAL_STEP_DEFINITIONS, type StepDefinition } from './orchestration/steps.ts';

const StepEnvPrefix = (step: StepId) => `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;


export const ConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Base URL departments use to reach this gateway (callbacks). */
  publicBaseUrl: z.url().optional(),
  databaseUrl: z.string().optional(),
  sqliteFile: z.string().default('data/gateway.db'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  instanceId: z.string().min(1).optional(),
  cityDivisions: z.record(z.string().regex(/^\d{6}$/), z.string()).default({ ...SANMENXIA_DIVISIONS }),
  departments: z.partialRecord(
    z.enum(STEP_IDS),
    z.object({ url: z.url(), secret: z.string().min(16, 'department secrets are at least 16 characters'), timeoutMs: z.number().int().positive().default(10_000) }),
  ),
  optionalSteps: z.array(z.enum(STEP_IDS)).default([]),
  /** Bearer token for /v1/ops/*; when unset the ops API is open (development only). */
  opsToken: z.string().min(16).optional(),
  /** Per-step SLA windows in working days, overriding the defaults. */
  stepWindows: z.partialRecord(z.enum(STEP_IDS), z.number().positive()).default({}),
  orchestration: z
    .object({
      pollIntervalMs: z.number().int().positive().default(30_000),
      leaseMs: z.number().int().positive().default(15_000),
      batchSize: z.number().int().positive().default(32),
      idleWaitMs: z.number().int().positive().default(1_000),
      maxAttempts: z.number().int().min(1).default(8),
      retryBaseMs: z.number().int().positive().default(500),
      retryMaxMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  breaker: z.object({ consecutiveFailures: z.number().int().positive().default(5), halfOpenAfterMs: z.number().int().positive().default(10_000) }).prefault({}),
  callbacks: z.object({ maxSkewSeconds: z.number().int().positive().default(300) }).prefault({}),
  sla: z.object({ atRiskFraction: z.number().gt(0).lt(1).default(0.75) }).prefault({}),
  calendar: z
    .object({
      officeHours: OfficeHours.default(DEFAULT_OFFICE_HOURS),
      halfDayRule: HalfDayRule.default('office-time'),
    })
    .prefault({}),
  /** The HTTP server's own limits (docs/operations.md "Limits and timeouts"). */
  http: z
    .object({
      /** Whole request (headers and body) must arrive within this; 0 disables. Slow bodies get 408. */
      requestTimeoutMs: z.number().int().min(0).default(30_000),
      /** Headers must arrive within this (at most requestTimeoutMs). */
      headersTimeoutMs: z.number().int().positive().default(10_000),
      /** An idle keep-alive connection is closed after this. */
      keepAliveTimeoutMs: z.number().int().positive().default(5_000),
      /** A socket with no traffic at all is closed after this; 0 disables (event streams send a heartbeat every 15 s). */
      connectionTimeoutMs: z.number().int().min(0).default(120_000),
      /** How often Node checks the two timeouts above (their precision). */
      timeoutCheckIntervalMs: z.number().int().positive().default(5_000),
      /** Trust X-Forwarded-For from a reverse proxy for the client address (rate limits, logs). */
      trustProxy: z.boolean().default(false),
      /** Origins (e.g. https://portal.example.gov.cn) allowed to call the API from a browser; none by default. */
      corsOrigins: z.array(z.url()).default([]),
    })
    .prefault({})
    .refine((h) => h.requestTimeoutMs === 0 || h.headersTimeoutMs <= h.requestTimeoutMs, { message: 'headersTimeoutMs must not exceed requestTimeoutMs', path: ['headersTimeoutMs'] }),
  /**
   * Per-client limits per window: a client is its bearer credential when it sends one, else its IP
   * address; a client with a credential is also held to ipBackstopFactor × the limit per IP.
   */
  rateLimits: z
    .object({
      enabled: z.boolean().default(true),
      windowMs: z.number().int().positive().default(60_000),
      /** POST /v1/applications, corrections and withdrawals. */
      submissions: z.number().int().positive().default(60),
      /** GET /v1/applications/{id}. */
      statusReads: z.number().int().positive().default(600),
      /** Opening GET /v1/applications/{id}/events. */
      eventStreams: z.number().int().positive().default(60),
      /** POST /v1/departments/{step}/callbacks. */
      callbacks: z.number().int().positive().default(1_200),
      ipBackstopFactor: z.number().int().min(1).default(5),
    })
    .prefault({}),
  /** Concurrent server-sent event streams. */
  eventStreams: z
    .object({ maxPerApplication: z.number().int().positive().default(5), maxPerClient: z.number().int().positive().default(20) })
    .prefault({}),
  /** Days after completion during which departments may still read an application's data-minimised view. */
  departmentViewRetentionDays: z.number().int().min(0).default(30),
});

export type GatewayConfig = Readonly<z.infer<typeof ConfigSchema>>;
export type GatewayConfigInput = z.input<typeof ConfigSchema>;

export function parseConfig(input: GatewayConfigInput): GatewayConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`Invalid gateway configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  for (const step of enabledStepIds(config)) {
    if (!config.departments[step]) throw new Error(`Invalid gateway configuration: no department configured for enabled step ${step} (set ${StepEnvPrefix(step)}_URL and _SECRET)`);
  }
  return Object.freeze(config);
}

/** Reads configuration from environment variables (see README "Configuration"). */
export function configFromEnv(env: NodeJS.ProcessEnv): GatewayConfig {
  const departments: Record<string, { url: string | undefined; secret: string | undefined; timeoutMs?: number }> = {};
  for (const step of STEP_IDS) {
    const prefix = StepEnvPrefix(step);
    if (env[`${prefix}_URL`] || env[`${prefix}_SECRET`]) {
      departments[step] = {
        url: env[`${prefix}_URL`],
        secret: env[`${prefix}_SECRET`],
        ...(env[`${prefix}_TIMEOUT_MS`] ? { timeoutMs: Number(env[`${prefix}_TIMEOUT_MS`]) } : {}),
      };
    }
  }
  const json = (name: string) => {
    const raw = env[name];
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new Error(`Invalid gateway configuration: ${name} must be JSON`);
    }
  };
  const number = (name: string) => (env[name] === undefined ? undefined : Number(env[name]));
  const list = (name: string) => (env[name] === undefined ? undefined : env[name].split(',').map((s) => s.trim()).filter(Boolean));
  const boolean = (name: string) => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return undefined;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new Error(`Invalid gateway configuration: ${name} must be true or false`);
  };
  return parseConfig({
    host: env.HOST,
    port: env.PORT as unknown as number,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    databaseUrl: env.DATABASE_URL || undefined,
    sqliteFile: env.SQLITE_FILE,
    logLevel: env.LOG_LEVEL as never,
    instanceId: env.INSTANCE_ID,
    opsToken: env.OPS_TOKEN || undefined,
    cityDivisions: json('CITY_DIVISIONS') as never,
    departments: departments as never,
    optionalSteps: env.OPTIONAL_STEPS ? (env.OPTIONAL_STEPS.split(',').map((s) => s.trim()).filter(Boolean) as never) : undefined,
    stepWindows: json('STEP_WINDOWS') as never,
    orchestration: {
      pollIntervalMs: number('POLL_INTERVAL_MS'),
      leaseMs: number('LEASE_MS'),
      maxAttempts: number('MAX_ATTEMPTS'),
      retryBaseMs: number('RETRY_BASE_MS'),
      retryMaxMs: number('RETRY_MAX_MS'),
    },
    breaker: { consecutiveFailures: number('BREAKER_FAILURES'), halfOpenAfterMs: number('BREAKER_COOLDOWN_MS') },
    callbacks: { maxSkewSeconds: number('CALLBACK_MAX_SKEW_SECONDS') },
    sla: { atRiskFraction: number('SLA_AT_RISK_FRACTION') },
    calendar: {
      officeHours: json('OFFICE_HOURS') as never,
      halfDayRule: env.HALF_DAY_RULE as never,
    },
    http: {
      requestTimeoutMs: number('HTTP_REQUEST_TIMEOUT_MS'),
      headersTimeoutMs: number('HTTP_HEADERS_TIMEOUT_MS'),
      keepAliveTimeoutMs: number('HTTP_KEEP_ALIVE_TIMEOUT_MS'),
      connectionTimeoutMs: number('HTTP_CONNECTION_TIMEOUT_MS'),
      trustProxy: boolean('TRUST_PROXY'),
      corsOrigins: list('CORS_ORIGINS'),
    },
    rateLimits: {
      enabled: boolean('RATE_LIMITS_ENABLED'),
      windowMs: number('RATE_LIMIT_WINDOW_MS'),
      submissions: number('RATE_LIMIT_SUBMISSIONS'),
      statusReads: number('RATE_LIMIT_STATUS_READS'),
      eventStreams: number('RATE_LIMIT_EVENT_STREAMS'),
      callbacks: number('RATE_LIMIT_CALLBACKS'),
    },
    eventStreams: { maxPerApplication: number('MAX_EVENT_STREAMS_PER_APPLICATION'), maxPerClient: number('MAX_EVENT_STREAMS_PER_CLIENT') },
    departmentViewRetentionDays: number('DEPARTMENT_VIEW_RETENTION_DAYS'),
  } as GatewayConfigInput);
}

export function enabledStepIds(config: GatewayConfig): StepId[] {
  return stepDefinitions(config).map((d) => d.id);
}

/** The DAG this deployment runs: the six core steps, plus the optional ones enabled, with window overrides. */
export function stepDefinitions(config: GatewayConfig): StepDefinition[] {
  const optional = config.optionalSteps.map((id) => {
    const definition = OPTIONAL_STEP_DEFINITIONS[id];
    if (!definition) throw new Error(`Invalid gateway configuration: ${id} is not an optional step (known: ${Object.keys(OPTIONAL_STEP_DEFINITIONS).join(', ')})`);
    return definition;
  });
  return [...DEFAULT_STEP_DEFINITIONS, ...optional].map((d) => ({ ...d, windowWorkingDays: config.stepWindows[d.id] ?? d.windowWorkingDays }));
}
