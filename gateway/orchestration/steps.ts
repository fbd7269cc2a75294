// The orchestration DAG as data (docs/design.md "Dependencies between steps"). The machine is generated
// from this list; adding a department is a new entry here (or in configuration), not a new state.

import type { StepId } from '../../contracts/index.ts';

export interface StepDefinition {
  id: StepId;
  /** Steps that must be done before this one is requested. */
  dependsOn: StepId[];
  /** The SLA window, in working days. */
  windowWorkingDays: number;
  /**
   * When the window starts: when the request is sent, or when the department accepts it and reports
   * its milestone (seal codes assigned 赋码; tax registration done — the reform's 0.5-day windows run
   * from those moments).
   */
  windowStartsAt: 'requested' | 'accepted';
  /** Optional sections of the application form this step needs (required when the step is enabled). */
  requiredFormSections?: string[];
}

export const DEFAULT_STEP_DEFINITIONS: readonly StepDefinition[] = [
  { id: 'business-licence', dependsOn: [], windowWorkingDays: 1, windowStartsAt: 'requested' },
  { id: 'seal-engraving', dependsOn: ['business-licence'], windowWorkingDays: 0.5, windowStartsAt: 'accepted' },
  { id: 'tax-invoice', dependsOn: ['business-licence'], windowWorkingDays: 0.5, windowStartsAt: 'accepted' },
  { id: 'social-insurance', dependsOn: ['business-licence'], windowWorkingDays: 1, windowStartsAt: 'requested' },
  { id: 'bank-account', dependsOn: ['business-licence', 'seal-engraving'], windowWorkingDays: 1, windowStartsAt: 'requested' },
  {
    id: 'postal-delivery',
    dependsOn: ['business-licence', 'seal-engraving', 'tax-invoice'],
    windowWorkingDays: 1,
    windowStartsAt: 'requested',
  },
];

/** The optional seventh step, enabled by configuration: parallel after the licence. */
export const HOUSING_FUND_STEP: StepDefinition = {
  id: 'housing-provident-fund',
  dependsOn: ['business-licence'],
  windowWorkingDays: 1,
  windowStartsAt: 'requested',
  requiredFormSections: ['housingFund'],
};

/** Steps a deployment may enable with OPTIONAL_STEPS; adding one is an entry here, not a new state. */
export const OPTIONAL_STEP_DEFINITIONS: Readonly<Partial<Record<StepId, StepDefinition>>> = {
  'housing-provident-fund': HOUSING_FUND_STEP,
};

/** The overall promise: everything within 3 working days of submission. */
export const OVERALL_WINDOW_WORKING_DAYS = 3;

/** Checks the list is a DAG over known steps, with the licence first; throws with a clear message otherwise. */
export function validateStepDefinitions(definitions: readonly StepDefinition[]): void {
  const ids = new Set(definitions.map((d) => d.id));
  if (ids.size !== definitions.length) throw new Error('Step definitions: each step may appear once');
  for (const d of definitions) {
    for (const dep of d.dependsOn) {
      if (!ids.has(dep)) throw new Error(`Step definitions: ${d.id} depends on ${dep}, which is not enabled`);
    }
    if (!(d.windowWorkingDays > 0)) throw new Error(`Step definitions: ${d.id} needs a positive window`);
  }
  // Kahn's algorithm: every step must be reachable without a cycle.
  const remaining = new Map(definitions.map((d) => [d.id, new Set(d.dependsOn)]));
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([id]) => id);
    if (ready.length === 0) throw new Error(`Step definitions: dependency cycle among ${[...remaining.keys()].join(', ')}`);
    for (const id of ready) remaining.delete(id);
    for (const deps of remaining.values()) for (const id of ready) deps.delete(id);
  }
}
