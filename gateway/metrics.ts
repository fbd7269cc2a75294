// Prometheus metrics (prom-client: exposition format, histograms and registry are its job, not ours).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qlt_' });
  const workingHourBuckets = [0.5, 1, 2, 3.5, 5, 7, 10.5, 14, 21, 28, 35];
  return {
    registry,
    stepDuration: new Histogram({
      name: 'qlt_step_duration_working_hours',
      help: 'Time from a step window opening to the step finishing, in working (office) hours',
      labelNames: ['step'],
      buckets: workingHourBuckets,
      registers: [registry],
    }),
    slaTransitions: new Counter({
      name: 'qlt_sla_transitions_total',
      help: 'SLA clock state transitions by clock (overall or step) and new state',
      labelNames: ['clock', 'state'],
      registers: [registry],
    }),
    slaBreaches: new Counter({ name: 'qlt_sla_breaches_total', help: 'SLA breaches by clock', labelNames: ['clock'], registers: [registry] }),
    applicationsByState: new Gauge({ name: 'qlt_applications', help: 'Applications by state', labelNames: ['state'], registers: [registry] }),
    departmentCalls: new Histogram({
      name: 'qlt_department_call_seconds',
      help: 'Department call latency by step, operation and outcome',
      labelNames: ['step', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    departmentErrors: new Counter({
      name: 'qlt_department_call_errors_total',
      help: 'Department calls that failed, by step, kind (transient_failure or permanent_failure) and code (DEPARTMENT_TIMEOUT, CIRCUIT_OPEN…)',
      labelNames: ['step', 'kind', 'code'],
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'qlt_department_circuit_state',
      help: 'Circuit breaker per department: 0 closed, 1 half-open, 2 open',
      labelNames: ['step'],
      registers: [registry],
    }),
    callbacks: new Counter({
      name: 'qlt_department_callbacks_total',
      help: 'Department callbacks received, by step and result (accepted, or why refused)',
      labelNames: ['step', 'result'],
      registers: [registry],
    }),
    effects: new Counter({ name: 'qlt_effects_total', help: 'Effects performed by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] }),
    pendingEffects: new Gauge({ name: 'qlt_pending_effects', help: 'Pending outbox rows (department calls, timers, notifications)', registers: [registry] }),

    // ── monitoring gauges (docs/operations.md "Monitoring") ────────────────────────────────────
    // Set at every scrape by GET /metrics (routes/system.ts). Those read from the store describe the
    // shared database, so every replica reports the same value: dashboards and alert rules take
    // max() over instances, never sum().
    slaOpenClocks: new Gauge({
      name: 'qlt_sla_open_clocks',
      help: 'Open SLA clocks (started, not finished) by clock (overall or step) and state (on_track, at_risk, breached, paused)',
      labelNames: ['clock', 'state'],
      registers: [registry],
    }),
    slaWindow: new Gauge({
      name: 'qlt_sla_window_working_hours',
      help: 'The configured SLA window of each clock (overall or step), in working (office) hours',
      labelNames: ['clock'],
      registers: [registry],
    }),
    dueEffects: new Gauge({
      name: 'qlt_executor_due_effects',
      help: 'Effects due now that no executor holds (could be claimed, are not), by kind (department_call, timer)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    oldestDueSeconds: new Gauge({
      name: 'qlt_executor_oldest_due_seconds',
      help: 'Executor lag: how long the oldest due, unclaimed effect has been waiting, in seconds, by kind; 0 when none',
      labelNames: ['kind'],
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'qlt_ready',
      help: '1 when this instance is ready (GET /ready answers 200: started, not draining, store answering), else 0',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
