// One simulation in a process of its own (bench/simulate.ts starts it), so that its peak RSS is the
// simulation's alone. argv: <shipped scenario> [<from> <to>]; prints one JSON line.
import { loadShippedYears } from '../gateway/calendar/index.ts';
import { prepareScenario, runSimulation, shippedScenario } from '../gateway/simulation/index.ts';

const [name = 'normal-month', from, to] = process.argv.slice(2);
const document = { ...shippedScenario(name)!.document, ...(from && to ? { period: { from, to } } : {}) };
const resolved = prepareScenario(document, { years: loadShippedYears() });
const t0 = performance.now();
const { report } = runSimulation(resolved);
const wallMs = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({
    scenario: name,
    period: report.period,
    applications: report.applications.submitted,
    transitions: report.run.transitions,
    departmentCalls: report.run.departmentCalls,
    wallMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    overallOnTimePercent: report.overall.onTimePercent,
  })}\n`,
);
