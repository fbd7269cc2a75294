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
      /** Effects in flight at most per instance (department calls wait on the network: cheap to hold many). */
      batchSize: z.number().int().positive().default(128),
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
