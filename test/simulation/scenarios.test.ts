// Scenario documents: the shipped examples validate and run; a wrong one is refused with errors
// that name the field and say what to fix; limits hold.
import t from 'tap';
import { loadShippedYears } from '../../gateway/calendar/index.ts';
import { ScenarioInvalid, ScenarioTooLarge, expectedArrivals, loadShippedScenarios, parseScenario, prepareScenario, shippedScenario } from '../../gateway/simulation/index.ts';

const environment = { years: loadShippedYears() };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document edited freely to break it
type Doc = Record<string, any>;

t.test('the shipped scenarios validate, and each expects a month-sized load', async (t) => {
  const shipped = loadShippedScenarios();
  t.same(shipped.map((s) => s.name), ['normal-month', 'seal-maker-half-capacity', 'spring-festival-2027']);
  for (const s of shipped) {
    const scenario = parseScenario(s.document);
    t.equal(scenario.name, s.name, `${s.name}: the name inside is the file name`);
    t.ok(s.description.length > 20, `${s.name}: described`);
    const resolved = prepareScenario(s.document, environment);
    t.ok(resolved.arrivals.length > 2_000 && resolved.arrivals.length < 6_000, `${s.name}: ${resolved.arrivals.length} submissions`);
  }
  const spring = prepareScenario(shippedScenario('spring-festival-2027')!.document, environment);
  t.same(spring.assumedYears, [2027], 'the 2027 schedule is an assumption of the scenario');
  t.notOk(spring.office.isWorkingDay('2027-02-10'), 'the assumed Spring Festival is a holiday');
  t.ok(expectedArrivals(spring.scenario, spring.office) > 136 * 20, 'the surge after the holiday adds submissions');
  t.equal(shippedScenario('../package'), undefined, 'names are looked up, never joined into a path');
});

function refusal(document: unknown): string[] {
  try {
    parseScenario(document);
  } catch (error) {
    if (error instanceof ScenarioInvalid) return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw error;
  }
  return [];
}

t.test('a wrong scenario is refused with the field and the fix', async (t) => {
  const base = structuredClone(shippedScenario('normal-month')!.document) as Doc;
  t.same(refusal(base), []);
  t.match(refusal({ ...base, period: { from: '2026-11-30', to: '2026-11-01' } }), ['period.to: simulation.period_order']);
  t.match(refusal({ ...base, period: { from: '2026-01-01', to: '2026-12-31' } }), ['period.to: simulation.period_too_long']);
  const noSeal = structuredClone(base);
  delete noSeal.departments['seal-engraving'];
  t.match(refusal(noSeal), ['departments.seal-engraving: simulation.department_missing']);
  const spread = structuredClone(base);
  spread.departments['tax-invoice'].serviceTime = { kind: 'lognormal', medianMinutes: 30, p90Minutes: 10 };
  t.match(refusal(spread), ['departments.tax-invoice.serviceTime.p90Minutes: simulation.lognormal_spread']);
  const hours = structuredClone(base);
  hours.departments['bank-account'].hours = [{ start: '8:30', end: '17:30' }];
  t.match(refusal(hours), [/departments\.bank-account\.hours\.0\.start: simulation\.clock_time/]);
  const sync = structuredClone(base);
  sync.departments['seal-engraving'].mode = 'sync';
  t.match(refusal(sync), ['departments.seal-engraving.quota: simulation.sync_without_queue']);
  t.ok(refusal({ ...base, extra: 1 }).length === 1, 'unknown fields are refused');
});

t.test('a scenario beyond the limits is refused before it runs', async (t) => {
  const base = structuredClone(shippedScenario('normal-month')!.document) as Doc;
  t.throws(() => prepareScenario({ ...base, arrivals: { kind: 'profile', perWorkingDay: 5_000 } }, environment), ScenarioTooLarge);
  t.throws(() => prepareScenario({ ...base, arrivals: { kind: 'replay', month: '2026-11' } }, environment), /needs the store/);
});
