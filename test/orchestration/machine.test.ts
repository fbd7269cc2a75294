// The orchestration machine through XState's pure transition(): no servers, no sleeps.
import t from 'tap';
import { initialTransition, transition } from 'xstate';
import type { StepId } from '../../contracts/index.ts';
import { createApplicationMachine, stepPhase, type ApplicationContext, type ApplicationEvent } from '../../gateway/orchestration/machine.ts';
import { CORE_STEP_IDS } from '../../contracts/index.ts';
import { DEFAULT_STEP_DEFINITIONS, HOUSING_FUND_STEP, validateStepDefinitions } from '../../gateway/orchestration/steps.ts';
import { applicationStateOf } from '../../gateway/orchestration/interpret.ts';

const machine = createApplicationMachine(DEFAULT_STEP_DEFINITIONS);
const at = '2026-11-30T01:00:00.000Z';
type Snap = ReturnType<typeof machine.resolveState>;
type Action = { type: string; params?: unknown };

const start = () => initialTransition(machine, { applicationId: 'app-1', submittedAt: at }) as [Snap, Action[]];
const send = (s: Snap, e: ApplicationEvent) => transition(machine, s, e) as [Snap, Action[]];
const ctx = (s: Snap) => s.context as ApplicationContext;
const phase = (s: Snap, step: StepId) => stepPhase(s, step);
const stateOf = (s: Snap) => applicationStateOf(s, CORE_STEP_IDS);
const calls = (actions: Action[]) =>
  actions.filter((a) => a.type === 'callDepartment').map((a) => (a.params as { step: StepId }).step);
const notices = (actions: Action[]) => actions.filter((a) => a.type === 'notifyApplicant').map((a) => a.params);
const gen = (s: Snap, step: StepId) => ctx(s).steps[step]!.generation;
const complete = (s: Snap, step: StepId, result: Record<string, unknown> = { ok: true }) =>
  send(s, { type: 'step.completed', step, generation: gen(s, step), at, reference: null, result });
const accept = (s: Snap, step: StepId) =>
  send(s, { type: 'step.accepted', step, generation: gen(s, step), at, reference: `ref-${step}`, milestone: { m: 1 } });
/** Round-trips a snapshot through JSON as the store does. */
const roundTrip = (s: Snap) => machine.resolveState(JSON.parse(JSON.stringify(machine.getPersistedSnapshot(s))));

t.test('submission requests the licence only, starts the overall clock and publishes', async (t) => {
  const [s, actions] = start();
  t.same(calls(actions), ['business-licence']);
  t.equal(phase(s, 'business-licence'), 'requested');
  t.equal(phase(s, 'seal-engraving'), 'waiting');
  t.ok(actions.some((a) => a.type === 'startClock' && (a.params as { clock: string }).clock === 'overall'));
  t.ok(actions.some((a) => a.type === 'startClock' && (a.params as { clock: string }).clock === 'business-licence'));
  const call = actions.find((a) => a.type === 'callDepartment')!.params as { idempotencyKey: string };
  t.equal(call.idempotencyKey, 'app-1:business-licence:1');
  t.equal(stateOf(s), 'in_progress');
});

t.test('the licence fans out to seal, tax and social insurance in parallel; bank after the seal; post after seal and tax', async (t) => {
  let [s] = start();
  let actions: Action[];
  [s, actions] = complete(s, 'business-licence', { creditCode: 'X' });
  t.same(calls(actions).sort(), ['seal-engraving', 'social-insurance', 'tax-invoice']);
  [s, actions] = accept(s, 'seal-engraving');
  t.equal(phase(s, 'seal-engraving'), 'processing');
  t.ok(actions.some((a) => a.type === 'startClock' && (a.params as { clock: string }).clock === 'seal-engraving'), 'seal window opens at code assignment');
  t.ok(actions.some((a) => a.type === 'startPollTimer' && (a.params as { step: string }).step === 'seal-engraving'), 'a poll timer of ours is scheduled');
  t.notOk(actions.some((a) => a.type === 'xstate.raise'), 'no XState delayed event (its name would be a state path)');
  [s, actions] = complete(s, 'seal-engraving');
  t.same(calls(actions), ['bank-account']);
  t.ok(actions.some((a) => a.type === 'stopPollTimer'), 'leaving processing cancels the poll timer');
  [s, actions] = complete(s, 'social-insurance');
  t.same(calls(actions), []);
  [s, actions] = complete(s, 'tax-invoice');
  t.same(calls(actions), ['postal-delivery']);
  [s] = complete(s, 'bank-account');
  s = roundTrip(s);
  [s, actions] = complete(s, 'postal-delivery');
  t.equal(s.value, 'completed');
  t.equal(stateOf(s), 'completed');
  t.equal(ctx(s).completedAt, at);
  t.ok(actions.some((a) => a.type === 'stopClock' && (a.params as { clock: string }).clock === 'overall'));
  t.ok(actions.some((a) => a.type === 'publish' && (a.params as { type: string }).type === 'application.completed'));
  t.same(notices(actions), [{ notice: 'application_completed', step: null, generation: 0 }], 'the applicant is told once, on completion');
});

t.test('answers to another generation, other steps or after completion change nothing', async (t) => {
  let [s] = start();
  const [stale] = send(s, { type: 'step.completed', step: 'business-licence', generation: 7, at, reference: null, result: {} });
  t.equal(phase(stale, 'business-licence'), 'requested');
  [s] = complete(s, 'business-licence');
  const [again, actions] = complete(s, 'business-licence');
  t.same(actions, [], 'a duplicate completion does nothing');
  t.equal(again.context, s.context);
  const [late] = send(again, { type: 'step.accepted', step: 'business-licence', generation: 1, at, reference: 'r', milestone: null });
  t.equal(phase(late, 'business-licence'), 'done', 'an out-of-order progress report after completion is ignored');
});

t.test('a rejection pauses the overall clock; a correction resubmits only that step with a new key', async (t) => {
  let [s] = start();
  [s] = complete(s, 'business-licence');
  let actions: Action[];
  [s, actions] = send(s, { type: 'step.rejected', step: 'tax-invoice', generation: 1, at, reference: null, reasons: [{ path: 'tax.taxpayerType', message: 'wrong' }] });
  t.equal(phase(s, 'tax-invoice'), 'needs_correction');
  t.equal(stateOf(s), 'needs_correction');
  t.ok(actions.some((a) => a.type === 'pauseClock'));
  t.same(notices(actions), [{ notice: 'correction_needed', step: 'tax-invoice', generation: 1 }], 'the applicant is told a correction is needed, for this request');
  [s, actions] = complete(s, 'social-insurance');
  t.same(notices(actions), [], 'other steps tell the applicant nothing');
  t.equal(phase(s, 'social-insurance'), 'done', 'other steps go on');
  s = roundTrip(s);
  [s, actions] = send(s, { type: 'correction.submitted', at, fields: ['tax'] });
  t.same(calls(actions), ['tax-invoice']);
  t.ok(actions.some((a) => a.type === 'resumeClock'));
  const call = actions.find((a) => a.type === 'callDepartment')!.params as { idempotencyKey: string; generation: number };
  t.equal(call.idempotencyKey, 'app-1:tax-invoice:2');
  t.equal(ctx(s).steps['tax-invoice']!.reasons, null);
  t.equal(stateOf(s), 'in_progress');
  [s, actions] = send(s, { type: 'step.rejected', step: 'tax-invoice', generation: 2, at, reference: null, reasons: [{ path: 'tax.taxpayerType', message: 'still wrong' }] });
  t.same(notices(actions), [{ notice: 'correction_needed', step: 'tax-invoice', generation: 2 }], 'a second rejection is a second occasion');
});

t.test('a failed step waits for ops; retry resends with the same idempotency key', async (t) => {
  let [s] = start();
  let actions: Action[];
  [s] = send(s, { type: 'step.failed', step: 'business-licence', generation: 1, at, problem: 'department unreachable' });
  t.equal(stateOf(s), 'needs_attention');
  [s, actions] = send(s, { type: 'ops.retry', step: 'seal-engraving', at });
  t.same(calls(actions), [], 'retrying another step does nothing');
  [s, actions] = send(s, { type: 'ops.retry', step: 'business-licence', at });
  const call = actions.find((a) => a.type === 'callDepartment')!.params as { idempotencyKey: string };
  t.equal(call.idempotencyKey, 'app-1:business-licence:1');
  t.equal(ctx(s).steps['business-licence']!.requests, 2);
});

t.test('withdrawal: refused while the licence request is outstanding or once it is issued; allowed while it waits on a correction', async (t) => {
  const [s0] = start();
  const withdraw = (s: Snap) => send(s, { type: 'withdraw', at, reason: 'changed my mind' });
  // Requested: the regulator may issue the licence any moment.
  t.equal(withdraw(s0)[0].value, s0.value, 'refused while the licence is requested');
  const [accepted] = accept(s0, 'business-licence');
  t.equal(phase(accepted, 'business-licence'), 'processing');
  t.same(withdraw(accepted)[1], [], 'refused while the regulator processes it');
  const [failed] = send(s0, { type: 'step.failed', step: 'business-licence', generation: 1, at, problem: 'timeouts' });
  t.same(withdraw(failed)[1], [], 'refused while the fate of the last attempt is unknown (needs attention)');
  const [issued] = complete(s0, 'business-licence');
  t.same(withdraw(issued)[1], [], 'refused once the licence is issued');

  const [rejected] = send(s0, { type: 'step.rejected', step: 'business-licence', generation: 1, at, reference: null, reasons: [{ path: 'companyName', message: '重名' }] });
  const [w, actions] = withdraw(roundTrip(rejected));
  t.equal(w.value, 'withdrawn', 'allowed while the licence waits on the applicant: nothing can be issued');
  t.ok(actions.some((a) => a.type === 'cancelDepartmentCalls'));
  t.equal(phase(w, 'business-licence'), 'cancelled');
  t.equal(phase(w, 'seal-engraving'), 'cancelled');
  t.equal(stateOf(w), 'withdrawn');
});

t.test('an accepted request is polled on a timer of ours; a poll for another generation or step is ignored', async (t) => {
  let [s] = start();
  [s] = complete(s, 'business-licence');
  [s] = accept(s, 'seal-engraving');
  const [polled, actions] = send(s, { type: 'step.poll_due', step: 'seal-engraving', generation: 1 });
  s = polled;
  t.same(actions.map((a) => a.type), ['pollDepartment', 'startPollTimer'], 'poll, then re-arm');
  t.match(actions[0]!.params, { step: 'seal-engraving', generation: 1, reference: 'ref-seal-engraving' });
  t.same(send(s, { type: 'step.poll_due', step: 'seal-engraving', generation: 2 })[1], [], 'another generation');
  t.same(send(s, { type: 'step.poll_due', step: 'tax-invoice', generation: 1 })[1], [], 'a step that is not processing');
  t.same(send(s, { type: 'step.poll_due', step: 'seal-engraving' })[1].map((a) => a.type), ['pollDepartment', 'startPollTimer'], 'no generation: the current request (a timer row from an older gateway)');
});

t.test('the DAG is data: an optional step runs in parallel after the licence', async (t) => {
  const seven = createApplicationMachine([...DEFAULT_STEP_DEFINITIONS, HOUSING_FUND_STEP]);
  const [s0] = initialTransition(seven, { applicationId: 'a', submittedAt: at });
  const [, actions] = transition(seven, s0, { type: 'step.completed', step: 'business-licence', generation: 1, at, reference: null, result: {} });
  t.ok(calls(actions as Action[]).includes('housing-provident-fund'));
});

t.test('step definitions are validated', async (t) => {
  t.throws(() => validateStepDefinitions([{ id: 'bank-account', dependsOn: ['seal-engraving'], windowWorkingDays: 1, windowStartsAt: 'requested' }]), /not enabled/);
  t.throws(
    () =>
      validateStepDefinitions([
        { id: 'business-licence', dependsOn: ['bank-account'], windowWorkingDays: 1, windowStartsAt: 'requested' },
        { id: 'bank-account', dependsOn: ['business-licence'], windowWorkingDays: 1, windowStartsAt: 'requested' },
      ]),
    /cycle/,
  );
  t.doesNotThrow(() => validateStepDefinitions(DEFAULT_STEP_DEFINITIONS));
});

t.test('a step finished by a callback settles its own call and poll, and nobody else’s', async (t) => {
  let [s] = start();
  let actions: Action[];
  [s] = complete(s, 'business-licence', { creditCode: 'X' });
  const settled = (list: Action[]) => list.filter((a) => a.type === 'settleDepartmentCalls').map((a) => (a.params as { step: StepId }).step);
  // The seal's callback arrives before its request was answered (the call is still under way).
  [s, actions] = complete(s, 'seal-engraving');
  t.equal(phase(s, 'seal-engraving'), 'done');
  t.same(settled(actions), ['seal-engraving'], 'leaving requested settles the seal call');
  // Tax accepted, then completed by callback while a poll may be under way: leaving processing settles it too.
  [s] = accept(s, 'tax-invoice');
  [s, actions] = complete(s, 'tax-invoice');
  t.same(settled(actions), ['tax-invoice']);
  t.ok(actions.some((a) => a.type === 'stopPollTimer'));
  // A rejection leaves requested as well.
  [s, actions] = send(s, { type: 'step.rejected', step: 'social-insurance', generation: gen(s, 'social-insurance'), at, reference: null, reasons: [{ path: 'legalRepresentative.name', message: 'x' }] });
  t.same(settled(actions), ['social-insurance']);
  // An answer that changes nothing (a stale generation) settles nothing.
  [, actions] = send(s, { type: 'step.completed', step: 'bank-account', generation: 99, at, reference: null, result: {} });
  t.same(settled(actions), []);
});
