// Wiring: builds the store, calendar, orchestrator, adapters, executor and app from a validated
// configuration. server.ts (production), dev.ts (npm start) and the tests all start here.

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { StepId } from '../contracts/index.ts';
import { DEPARTMENT_ADAPTERS, createSmsAdapter, type DepartmentAdapter, type SmsAdapter } from '../services/index.ts';
import { buildApp } from './app.ts';
import { createCalendarService } from './calendar-service.ts';
import { systemClock, type Clock } from './clock.ts';
import { stepDefinitions, type GatewayConfig } from './config.ts';
import type { GatewayDeps } from './deps.ts';
import { DEVELOPMENT_IDENTITY_KEY, createApplicantAuth, createAuditLog, createOpsAuth } from './identity/index.ts';
import { createLogger } from './logger.ts';
import { createApplicantNotifier } from './notifications.ts';
import { createMetrics } from './metrics.ts';
import { createExecutor, type Executor } from './orchestration/executor.ts';
import { createOrchestrator } from './orchestration/interpret.ts';
import type { WorkingTime } from './sla/clocks.ts';
import { createStore } from './store/index.ts';
import type { NewEvent, Store } from './store/types.ts';
import { createLiveFeed } from './live/feed.ts';
import type { Metrics } from './metrics.ts';

export interface Gateway {
  app: FastifyInstance;
  deps: GatewayDeps;
  store: Store;
  executor: Executor;
  /** Listens and starts the executor; returns the base URL. */
  start(): Promise<string>;
  /** Graceful: stop taking requests and work, finish or release what is claimed, close the store. */
  close(): Promise<void>;
}

export interface GatewayOverrides {
  clock?: Clock;
  log?: Logger;
  store?: Store;
  /** Start the background executor loop (default true); tests with a fake clock call executor.drain(). */
  runExecutor?: boolean;
}

export async function createGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Promise<Gateway> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const owner = config.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const store = overrides.store ?? createStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile, now: () => clock.now() });
  await store.migrate();

  const metrics = createMetrics();
  const live = createLiveFeed(store);
  // SLA metrics and escalation logs from this process's commits (reported once, after the commit:
  // a transaction that rolled back is never counted; another instance reports its own).
  live.subscribeAll((change) => {
    if (change.kind === 'committed' && change.local && change.events) recordSlaMetrics(change.events, metrics, log.child({ applicationId: change.applicationId }));
  });
  const calendar = createCalendarService({ store, officeHours: config.calendar.officeHours, halfDayRule: config.calendar.halfDayRule, log });
  await calendar.refresh();
  // The orchestrator sees the calendar through this view, so a year loaded at run time applies at once.
  const workingTime: WorkingTime = {
    get workingDayMs() {
      return calendar.calendar.workingDayMs;
    },
    addWorkingTime: (from, ms) => calendar.calendar.addWorkingTime(from, ms),
    addWorkingDays: (from, days) => calendar.calendar.addWorkingDays(from, days),
    workingTimeBetween: (from, to) => calendar.calendar.workingTimeBetween(from, to),
  };
  const steps = stepDefinitions(config);
  const orchestrator = createOrchestrator({
    steps,
    pollIntervalMs: config.orchestration.pollIntervalMs,
    clockPolicy: { calendar: workingTime, atRiskFraction: config.sla.atRiskFraction },
    // Without an SMS service (development, benchmarks) no notification rows are written at all.
    notifyApplicants: config.sms !== undefined,
  });

  // Every clock's breach counter exists from the start at 0, so the first breach after a restart is
  // an increase Prometheus can see (a series born at 1 has no increase), and dashboards show zeros.
  for (const clock of ['overall', ...steps.map((s) => s.id)]) metrics.slaBreaches.inc({ clock }, 0);

  const adapters: Partial<Record<StepId, DepartmentAdapter>> = {};
  for (const { id } of steps) {
    const department = config.departments[id]!;
    adapters[id] = (DEPARTMENT_ADAPTERS[id] as (o: Parameters<(typeof DEPARTMENT_ADAPTERS)[StepId]>[0]) => DepartmentAdapter)({
      baseUrl: department.url,
      // Signed with the current secret, and the previous one too during a change-over.
      secrets: department.previousSecret ? [department.secret, department.previousSecret] : [department.secret],
      now: () => clock.now(),
      timeoutMs: department.timeoutMs,
      log,
      breaker: config.breaker,
      observe: ({ step, operation, outcome, code, durationMs }) => {
        metrics.departmentCalls.observe({ step, operation, outcome }, durationMs / 1000);
        if (outcome === 'transient_failure' || outcome === 'permanent_failure') metrics.departmentErrors.inc({ step, kind: outcome, code: code ?? 'UNKNOWN' });
      },
      onBreakerChange: (step, state) => {
        metrics.breakerState.set({ step }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0);
        log.warn({ step, circuit: state }, 'department circuit breaker changed state');
      },
    });
  }

  const sms: SmsAdapter | null = config.sms
    ? createSmsAdapter({
        baseUrl: config.sms.url,
        secrets: config.sms.previousSecret ? [config.sms.secret, config.sms.previousSecret] : [config.sms.secret],
        timeoutMs: config.sms.timeoutMs,
        now: () => clock.now(),
        log,
      })
    : null;
  const identityKey = config.identityKey ?? DEVELOPMENT_IDENTITY_KEY;
  if (!config.identityKey) log.warn('IDENTITY_KEY is not set: using the public development key (never in production; gateway/server.ts refuses to start without one)');
  if (!config.sms) log.warn('no SMS service configured (SMS_URL, SMS_SECRET): applicants can neither sign in nor get text messages about their applications');
  let baseUrl = config.publicBaseUrl ?? `http://${config.host}:${config.port}`;
  let ready = false;

  const executor = createExecutor({
    store,
    orchestrator,
    adapters,
    clock,
    log,
    owner,
    publicBaseUrl: () => baseUrl,
    leaseMs: config.orchestration.leaseMs,
    batchSize: config.orchestration.batchSize,
    idleWaitMs: config.orchestration.idleWaitMs,
    maxAttempts: config.orchestration.maxAttempts,
    retryBaseMs: config.orchestration.retryBaseMs,
    retryMaxMs: config.orchestration.retryMaxMs,
    onEffect: (kind, outcome) => metrics.effects.inc({ kind, outcome }),
    notifier: sms ? createApplicantNotifier(sms) : null,
    // A re-plan is for a schedule some instance loaded: have it here before computing deadlines with it.
    beforeTimer: async (event) => {
      if (event.type === 'sla.replan' && event.calendar) await calendar.ensure(event.calendar);
    },
  });

  const deps: GatewayDeps = {
    config,
    store,
    orchestrator,
    executor,
    adapters,
    sms,
    applicants: createApplicantAuth({ store, clock, identityKey }),
    ops: createOpsAuth({ store, credentials: config.opsCredentials }),
    audit: createAuditLog({ store, clock, log }),
    identityKey,
    calendar,
    metrics,
    clock,
    log,
    live,
    isReady: () => ready,
  };
  const app = await buildApp(deps);
  let refreshTimer: NodeJS.Timeout | undefined;

  return {
    app,
    deps,
    store,
    executor,
    async start() {
      const address = await app.listen({ host: config.host, port: config.port });
      if (!config.publicBaseUrl) baseUrl = address.replace('[::1]', '127.0.0.1');
      if (overrides.runExecutor !== false) executor.start();
      // Other instances may load a calendar year; pick it up within a minute.
      refreshTimer = setInterval(() => {
        calendar.refresh().catch((error: unknown) => log.error({ err: error }, 'calendar refresh failed'));
      }, 60_000);
      refreshTimer.unref();
      ready = true;
      return baseUrl;
    },
    async close() {
      ready = false;
      clearInterval(refreshTimer);
      await app.close();
      await executor.stop();
      await Promise.all([...Object.values(adapters).map((a) => a.close()), sms?.close()]);
      live.close();
      await store.close();
      // Buffered log lines (logger.ts) go out before the process exits.
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}

const HOUR_MS = 3_600_000;

function recordSlaMetrics(events: NewEvent[], metrics: Metrics, log: Logger): void {
  for (const event of events) {
    const data = (event.data ?? {}) as { clock?: string; workingMs?: number; deadline?: string };
    const clock = data.clock ?? 'overall';
    switch (event.type) {
      case 'sla.started':
        metrics.slaTransitions.inc({ clock, state: 'on_track' });
        break;
      case 'sla.at_risk':
        metrics.slaTransitions.inc({ clock, state: 'at_risk' });
        log.warn({ clock, deadline: data.deadline, step: event.step }, 'SLA at risk');
        break;
      case 'sla.breached':
        metrics.slaTransitions.inc({ clock, state: 'breached' });
        metrics.slaBreaches.inc({ clock });
        // Escalation: ops see it in /v1/ops/sla and alerting picks up this line and the metric.
        log.error({ clock, deadline: data.deadline, step: event.step, escalated: true }, 'SLA breached');
        break;
      case 'sla.met':
      case 'sla.finished_late':
        metrics.slaTransitions.inc({ clock, state: event.type === 'sla.met' ? 'met' : 'finished_late' });
        if (clock !== 'overall') metrics.stepDuration.observe({ step: clock }, (data.workingMs ?? 0) / HOUR_MS);
        break;
    }
  }
}
