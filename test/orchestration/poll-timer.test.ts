// Regression: the poll timer of an accepted asynchronous step must turn into a department poll and
// re-arm itself. The poll changes no context, and decide() once mistook a transition that hands back
// an unchanged snapshot with actions for "nothing changed", so no poll was ever made and a lost
// callback left the step stuck for ever (found by test/durability/crash.test.ts). The timer row is
// named by us ("timer:poll:<step>"), and a row an older gateway stored under XState's delayed-event
// name is read through the effect upgrade chain.
import t from 'tap';
import { createOrchestrator, upgradeEffect } from '../../gateway/orchestration/interpret.ts';
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
  const timer = accepted?.newEffects?.find((e) => e.kind === 'timer' && e.key === 'timer:poll:seal-engraving');
  t.ok(timer, 'accepting the step arms a poll timer under a name of ours');
  t.same(timer!.payload, { event: { type: 'step.poll_due', step: 'seal-engraving', generation: 1 } });
  t.equal(timer!.dueAt, new Date(now.getTime() + 500).toISOString(), 'due one poll interval later');
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

  // A timer row written by machine schema 1 (XState's delayed-event name) still polls, and is cancelled by name.
  const legacy = upgradeEffect({
    key: 'xstate:xstate.after.POLL_INTERVAL.application.active.seal-engraving.processing',
    payload: { event: { type: 'xstate.after.POLL_INTERVAL.application.active.seal-engraving.processing' } },
  });
  t.same(legacy, { key: 'timer:poll:seal-engraving', payload: { event: { type: 'step.poll_due', step: 'seal-engraving' } } });
  const fired = apply((legacy.payload as { event: Parameters<typeof orchestrator.decide>[1] }).event);
  t.ok(fired?.newEffects?.some((e) => e.key === 'poll:seal-engraving'), 'an upgraded legacy timer polls the current request');

  const done = apply({ type: 'step.completed', step: 'seal-engraving', generation: 1, at, reference: 'GAYZ1', result: { seals: [] } });
  t.ok(done?.cancelEffectKeys?.includes('timer:poll:seal-engraving'), 'finishing the step cancels the timer');
  t.ok(done?.cancelEffectKeys?.includes('xstate:xstate.after.POLL_INTERVAL.application.active.seal-engraving.processing'), 'and any legacy row of it');
  t.equal(apply(timerEvent), null, 'once the step is done, a stale timer changes nothing');
});
