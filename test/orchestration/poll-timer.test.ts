// Regression: the poll timer of an accepted asynchronous step must turn into a department poll and
// re-arm itself. Its `after` transition re-enters `processing`, and XState hands back the SAME
// snapshot object with the actions (cancel, pollDepartment, raise); decide() once mistook that for
// "nothing changed", so no poll was ever made and a lost callback left the step stuck for ever
// (found by test/durability/crash.test.ts).
import t from 'tap';
import { createOrchestrator } from '../../gateway/orchestration/interpret.ts';
import { DEFAULT_STEP_DEFINITIONS } from '../../gateway/orchestration/steps.ts';
import type { WorkingTime } from '../../gateway/sla/clocks.ts';
import type { ApplicationContext, ApplicationRow, Json, SlaClockRow, Transition } from '../../gateway/store/types.ts';

// Wall-clock arithmetic is enough here: the test is about the poll, not the calendar.
const calendar: WorkingTime = {
  workingDayMs: 8 * 3_600_000,
  addWorkingTime: (from, ms) => ({ at: new Date(from.getTime() + ms), provisional: false }),
  addWorkingDays: (from, days) => ({ at: new Date(from.getTime() + days * 86_400_000), provisional: false }),
  workingTimeBetween: (from, to) => ({ ms: to.getTime() - from.getTime(), provisional: false }),
};

t.test('a poll timer that fires while the step is processing polls the department and re-arms', async (t) => {
  const orchestrator = createOrchestrator({ steps: DEFAULT_STEP_DEFINITIONS, pollIntervalMs: 500, clockPolicy: { calendar, atRiskFraction: 0.75 } });
  const now = new Date('2026-01-05T02:00:00.000Z');
  const at = now.toISOString();
  let snapshot = orchestrator.start('app-1', now).snapshot as Json;
  let clocks: SlaClockRow[] = [];
  const apply = (event: Parameters<typeof orchestrator.decide>[1]): Transition | null => {
    const current: ApplicationContext = { application: { id: 'app-1', snapshot } as ApplicationRow, clocks };
    const next = orchestrator.decide(current, event, now);
    // Through JSON, as the store keeps it.
    if (next?.snapshot !== undefined) snapshot = JSON.parse(JSON.stringify(next.snapshot)) as Json;
    if (next?.clocks) clocks = [...clocks.filter((c) => !next.clocks!.some((n) => n.clock === c.clock)), ...next.clocks];
    return next;
  };

  apply({ type: 'step.completed', step: 'business-licence', generation: 1, at, reference: 'SCJG1', result: { creditCode: '91411202MA45R7K29W' } });
  const accepted = apply({ type: 'step.accepted', step: 'seal-engraving', generation: 1, at, reference: 'GAYZ1', milestone: null });
  const timer = accepted?.newEffects?.find((e) => e.kind === 'timer' && e.key.startsWith('xstate:'));
  t.ok(timer, 'accepting the step arms a poll timer');
  const timerEvent = (timer!.payload as { event: Parameters<typeof orchestrator.decide>[1] }).event;

  for (let round = 1; round <= 2; round++) {
    const fired = apply(timerEvent);
    t.ok(fired, `round ${round}: the timer's event is a transition, not "no change"`);
    const keys = (fired?.newEffects ?? []).map((e) => e.key);
    t.ok(keys.includes('poll:seal-engraving'), `round ${round}: the department is polled`);
    t.ok(keys.includes(timer!.key), `round ${round}: the timer is armed again`);
    const poll = fired!.newEffects!.find((e) => e.key === 'poll:seal-engraving')!;
    t.match(poll.payload, { op: 'poll', step: 'seal-engraving', generation: 1, reference: 'GAYZ1' });
  }

  apply({ type: 'step.completed', step: 'seal-engraving', generation: 1, at, reference: 'GAYZ1', result: { seals: [] } });
  t.equal(apply(timerEvent), null, 'once the step is done, a stale timer changes nothing');
});
