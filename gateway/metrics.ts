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
      help: 'Department calls that failed, by step and kind (transient or permanent)',
      labelNames: ['step', 'kind'],
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
    pendingEffects: new Gauge({ name: 'qlt_pending_effects', help: 'Pending outbox rows (calls and timers)', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
