// The interpreter: machine actions → rows, and persisted snapshots read back across versions.
import t from 'tap';
import { createWorkingCalendar, loadShippedYears } from '../../gateway/calendar/index.ts';
import { createOrchestrator } from '../../gateway/orchestration/interpret.ts';
import { MACHINE_SCHEMA_VERSION } from '../../gateway/orchestration/machine.ts';
import { DEFAULT_STEP_DEFINITIONS } from '../../gateway/orchestration/steps.ts';

const orchestrator = createOrchestrator({
  steps: DEFAULT_STEP_DEFINITIONS,
  pollIntervalMs: 5_000,
  clockPolicy: { calendar: createWorkingCalendar({ years: loadShippedYears() }), atRiskFraction: 0.75 },
});
const submittedAt = new Date('2026-11-30T09:00:00+08:00');

t.test('the first transition asks for the licence call and the overall and licence clocks, as rows', async (t) => {
  const first = orchestrator.start('app-1', submittedAt);
  t.same(first.newEffects!.map((e) => e.key).sort(), ['call:business-licence', 'sla:business-licence', 'sla:overall']);
  const call = first.newEffects!.find((e) => e.key === 'call:business-licence')!;
  t.same(call.payload, { op: 'submit', step: 'business-licence', generation: 1, idempotencyKey: 'app-1:business-licence:1' });
  t.equal(call.dueAt, submittedAt.toISOString(), 'due at once');
  const overall = first.clocks!.find((c) => c.clock === 'overall')!;
  t.equal(overall.deadline, new Date('2026-12-02T17:00:00+08:00').toISOString(), 'Monday 09:00 + 3 working days = Wednesday at close of office');
  t.equal(first.newEffects!.find((e) => e.key === 'sla:overall')!.dueAt, overall.atRiskAt, 'the clock timer is due at the at-risk instant');
  t.equal(first.snapshotVersion, MACHINE_SCHEMA_VERSION);
  t.same(first.events!.map((e) => e.type), ['application.submitted', 'sla.started', 'step.requested', 'sla.started']);
});

t.test('a snapshot survives JSON and is read back; a newer schema version is refused clearly', async (t) => {
  const first = orchestrator.start('app-2', submittedAt);
  const stored = { snapshot: JSON.parse(JSON.stringify(first.snapshot)), snapshotVersion: MACHINE_SCHEMA_VERSION };
  t.equal(orchestrator.view(stored).steps['business-licence']!.phase, 'requested');
  t.equal(orchestrator.stateOf(stored), 'in_progress');
  t.throws(() => orchestrator.contextOf({ ...stored, snapshotVersion: MACHINE_SCHEMA_VERSION + 1 }), /newer gateway/);
});

t.test('a snapshot written by machine schema 1 (phase in the step context) is upgraded when read', async (t) => {
  const first = orchestrator.start('app-3', submittedAt);
  const v2 = JSON.parse(JSON.stringify(first.snapshot)) as { context: { steps: Record<string, Record<string, unknown>> } };
  // What schema 1 stored: the same, with a phase per step.
  const v1 = structuredClone(v2);
  for (const [id, step] of Object.entries(v1.context.steps)) step.phase = id === 'business-licence' ? 'requested' : 'waiting';
  const stored = { snapshot: v1 as never, snapshotVersion: 1 };
  t.same(orchestrator.contextOf(stored), v2.context as never, 'phase dropped, nothing else changed');
  t.equal(orchestrator.view(stored).steps['business-licence']!.phase, 'requested', 'the phase is read from the state value');
  const next = orchestrator.decide({ application: { id: 'app-3', ...stored } as never, clocks: [] }, { type: 'step.completed', step: 'business-licence', generation: 1, at: submittedAt.toISOString(), reference: 'r', result: { creditCode: 'x' } }, submittedAt);
  t.equal(next?.snapshotVersion, MACHINE_SCHEMA_VERSION, 'a transition writes the current version');
  t.same(next!.newEffects!.filter((e) => e.kind === 'department_call').map((e) => e.key).sort(), ['call:seal-engraving', 'call:social-insurance', 'call:tax-invoice']);
});
