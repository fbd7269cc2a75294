// Configuration, validated once at boot, typed, frozen (docs/style.md §8). Nothing else reads process.env.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CORE_STEP_IDS, MobileNumber, OpsCredentialName, OpsRole, SANMENXIA_DIVISIONS, STEP_IDS, type StepId } from '../contracts/index.ts';
import { DEFAULT_OFFICE_HOURS, HalfDayRule, OfficeHours } from './calendar/index.ts';
import { DEFAULT_STEP_DEFINITIONS, OPTIONAL_STEP_DEFINITIONS, type StepDefinition } from './orchestration/steps.ts';

const StepEnvPrefix = (step: StepId) => `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
const Secret = z.string().min(16, 'secrets are at least 16 characters');

/** An ops credential named in the configuration: its token is never in the configuration, only its SHA-256. */
const ConfiguredOpsCredential = z.object({
  name: OpsCredentialName,
  role: OpsRole,
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the token, 64 lower-case hex digits (npm run ops:token prints it)'),
});
export type ConfiguredOpsCredential = z.infer<typeof ConfiguredOpsCredential>;

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
    z.object({
      url: z.url(),
      secret: Secret,
      /** During a secret change-over: the previous secret, still accepted on callbacks (docs/departments.md "Rotating a secret"). */
      previousSecret: Secret.optional(),
      timeoutMs: z.number().int().positive().default(10_000),
    }),
  ),
  optionalSteps: z.array(z.enum(STEP_IDS)).default([]),
  /**
   * Whom ops may escalate a step to (docs/operations.md "Escalating to a department"): per department,
   * its duty contacts, sent a text message by the SMS service. DEPARTMENT_CONTACTS, JSON.
   */
  departmentContacts: z
    .partialRecord(
      z.enum(STEP_IDS),
      z.array(z.strictObject({ name: z.string().trim().min(1).max(30), mobile: MobileNumber })).min(1, 'list at least one contact, or leave the department out').max(10),
    )
    .default({}),
  /** Requests a department can take per half day (e.g. a seal maker's orders), shown on the console. DEPARTMENT_CAPACITY, JSON. */
  departmentCapacity: z.partialRecord(z.enum(STEP_IDS), z.strictObject({ perHalfDay: z.number().int().positive() })).default({}),
  /** Ops credentials from the configuration (bootstrap): at least one admin in production. */
  opsCredentials: z.array(ConfiguredOpsCredential).default([]),
  /**
   * Key of the keyed hashes (HMAC-SHA256) under which mobile numbers and sign-in codes are stored.
   * Required in production; never change it on a running deployment (docs/security.md).
   */
  identityKey: z.string().min(32, 'IDENTITY_KEY is at least 32 characters').optional(),
  /** The SMS service (sign-in codes, notices). */
  sms: z.object({ url: z.url(), secret: Secret, previousSecret: Secret.optional(), timeoutMs: z.number().int().positive().default(5_000) }).optional(),
  applicants: z
    .object({
      sessionTtlSeconds: z.number().int().positive().default(8 * 3600),
      codeTtlSeconds: z.number().int().min(60).max(3600).default(300),
      codeMaxAttempts: z.number().int().min(1).max(10).default(5),
      codeIntervalSeconds: z.number().int().min(1).default(60),
      /** Codes per number per 24 hours (a cap on text messages to one phone, and on guesses at one account). */
      codesPerDay: z.number().int().min(1).default(10),
    })
    .prefault({}),
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

/** A configuration the gateway cannot run with; the message names every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid gateway configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ParseOptions {
  /**
   * Production (gateway/server.ts) fails closed: it also requires an admin ops credential, the
   * identity key and the SMS service, and reports everything missing in one message.
   */
  production?: boolean;
}

export function parseConfig(input: GatewayConfigInput, options: ParseOptions = {}): GatewayConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
  }
  const config = parsed.data;
  const problems: string[] = [];
  for (const step of enabledStepIds(config)) {
    if (!config.departments[step]) problems.push(`no department for the enabled step ${step}: set ${StepEnvPrefix(step)}_URL and ${StepEnvPrefix(step)}_SECRET`);
  }
  for (const step of [...Object.keys(config.departmentContacts), ...Object.keys(config.departmentCapacity)] as StepId[]) {
    if (!enabledStepIds(config).includes(step)) problems.push(`DEPARTMENT_CONTACTS / DEPARTMENT_CAPACITY name ${step}, which is not an enabled step`);
  }
  const names = config.opsCredentials.map((c) => c.name);
  const twice = names.filter((name, i) => names.indexOf(name) !== i);
  if (twice.length > 0) problems.push(`OPS_CREDENTIALS: the name ${twice[0]} is given twice`);
  if (options.production) problems.push(...productionProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** What production needs beyond a valid configuration (fail closed, docs/operations.md "Running it"). */
function productionProblems(config: z.infer<typeof ConfigSchema>): string[] {
  const problems: string[] = [];
  if (!config.opsCredentials.some((c) => c.role === 'admin')) {
    problems.push('no ops admin credential: set OPS_ADMIN_TOKEN, or OPS_CREDENTIALS with an entry name:admin:<sha256 of the token> (npm run ops:token)');
  }
  if (!config.identityKey) problems.push('IDENTITY_KEY is not set: at least 32 random characters, kept secret and never changed (it keys the stored mobile numbers and codes)');
  if (!config.sms) problems.push('the SMS service is not configured: set SMS_URL and SMS_SECRET (applicants sign in with a code sent by text message)');
  return problems;
}

/** The SHA-256 (hex) of an ops token, as OPS_CREDENTIALS lists it. */
export const opsTokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The name OPS_ADMIN_TOKEN's credential has in the audit log. */
export const BOOTSTRAP_ADMIN = 'bootstrap-admin';

/** OPS_CREDENTIALS: "name:role:sha256[,name:role:sha256…]" (whitespace and newlines allowed between entries). */
function parseOpsCredentials(text: string | undefined, problems: string[]): unknown[] {
  if (!text?.trim()) return [];
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((entry) => {
      const [name, role, tokenSha256, ...rest] = entry.split(':');
      if (rest.length > 0 || tokenSha256 === undefined) problems.push(`OPS_CREDENTIALS: "${entry.slice(0, 40)}" is not name:role:sha256`);
      return { name, role, tokenSha256 };
    });
}

/** Reads configuration from environment variables (docs/operations.md "Running it"). */
export function configFromEnv(env: NodeJS.ProcessEnv, options: ParseOptions = {}): GatewayConfig {
  const problems: string[] = [];
  const optionalSteps = env.OPTIONAL_STEPS ? env.OPTIONAL_STEPS.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const enabled = new Set<string>([...CORE_STEP_IDS, ...(optionalSteps ?? [])]);
  const departments: Record<string, { url: string | undefined; secret: string | undefined; previousSecret?: string; timeoutMs?: number }> = {};
  for (const step of STEP_IDS) {
    const prefix = StepEnvPrefix(step);
    const missing = [`${prefix}_URL`, `${prefix}_SECRET`].filter((name) => !env[name]);
    if (enabled.has(step) && missing.length > 0) {
      // Named by the variables to set, and reported with everything else that is missing.
      problems.push(`the enabled department ${step} needs ${missing.join(' and ')}`);
      continue;
    }
    if (env[`${prefix}_URL`] || env[`${prefix}_SECRET`]) {
      departments[step] = {
        url: env[`${prefix}_URL`],
        secret: env[`${prefix}_SECRET`],
        ...(env[`${prefix}_SECRET_PREVIOUS`] ? { previousSecret: env[`${prefix}_SECRET_PREVIOUS`] } : {}),
        ...(env[`${prefix}_TIMEOUT_MS`] ? { timeoutMs: Number(env[`${prefix}_TIMEOUT_MS`]) } : {}),
      };
    }
  }
  if (env.OPS_TOKEN) problems.push('OPS_TOKEN is no longer read: ops credentials have roles now. Set OPS_ADMIN_TOKEN (an admin) or OPS_CREDENTIALS instead (docs/operations.md)');
  const opsCredentials = parseOpsCredentials(env.OPS_CREDENTIALS, problems);
  if (env.OPS_ADMIN_TOKEN) {
    if (env.OPS_ADMIN_TOKEN.length < 32) problems.push('OPS_ADMIN_TOKEN is at least 32 characters (npm run ops:token makes one)');
    else opsCredentials.push({ name: BOOTSTRAP_ADMIN, role: 'admin', tokenSha256: opsTokenSha256(env.OPS_ADMIN_TOKEN) });
  }
  if (options.production) {
    if (!opsCredentials.some((c) => (c as { role?: unknown }).role === 'admin')) {
      problems.push('no ops admin credential: set OPS_ADMIN_TOKEN, or OPS_CREDENTIALS with an entry name:admin:<sha256 of the token> (npm run ops:token)');
    }
    if (!env.IDENTITY_KEY) problems.push('IDENTITY_KEY is not set: at least 32 random characters, kept secret and never changed (it keys the stored mobile numbers and codes)');
    const sms = ['SMS_URL', 'SMS_SECRET'].filter((name) => !env[name]);
    if (sms.length > 0) problems.push(`the SMS service needs ${sms.join(' and ')} (applicants sign in with a code sent by text message)`);
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
  const input = {
    host: env.HOST,
    port: env.PORT as unknown as number,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    databaseUrl: env.DATABASE_URL || undefined,
    sqliteFile: env.SQLITE_FILE,
    logLevel: env.LOG_LEVEL as never,
    instanceId: env.INSTANCE_ID,
    opsCredentials,
    identityKey: env.IDENTITY_KEY || undefined,
    sms:
      env.SMS_URL || env.SMS_SECRET
        ? {
            url: env.SMS_URL,
            secret: env.SMS_SECRET,
            ...(env.SMS_SECRET_PREVIOUS ? { previousSecret: env.SMS_SECRET_PREVIOUS } : {}),
            ...(env.SMS_TIMEOUT_MS ? { timeoutMs: Number(env.SMS_TIMEOUT_MS) } : {}),
          }
        : undefined,
    applicants: {
      sessionTtlSeconds: number('APPLICANT_SESSION_TTL_SECONDS'),
      codeTtlSeconds: number('SIGN_IN_CODE_TTL_SECONDS'),
      codeMaxAttempts: number('SIGN_IN_CODE_MAX_ATTEMPTS'),
      codeIntervalSeconds: number('SIGN_IN_CODE_INTERVAL_SECONDS'),
      codesPerDay: number('SIGN_IN_CODES_PER_DAY'),
    },
    cityDivisions: json('CITY_DIVISIONS') as never,
    departments: departments as never,
    optionalSteps: optionalSteps as never,
    departmentContacts: json('DEPARTMENT_CONTACTS') as never,
    departmentCapacity: json('DEPARTMENT_CAPACITY') as never,
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
  } as GatewayConfigInput;
  // Every problem in one message: a missing department, a missing admin and a malformed value alike.
  let config: GatewayConfig | undefined;
  try {
    config = parseConfig(input);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.filter((p) => !problems.includes(p)));
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/**
 * The store part of the configuration alone (DATABASE_URL, SQLITE_FILE), read by the same schema as
 * the gateway's: tools such as `npm run audit:verify` open the very store the gateway uses.
 */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv): { databaseUrl: string | undefined; sqliteFile: string } {
  const parsed = ConfigSchema.pick({ databaseUrl: true, sqliteFile: true }).safeParse({ databaseUrl: env.DATABASE_URL || undefined, sqliteFile: env.SQLITE_FILE });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return { databaseUrl: parsed.data.databaseUrl, sqliteFile: parsed.data.sqliteFile };
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
