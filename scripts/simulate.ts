// npm run simulate -- --scenario <file|shipped name> [--seed n] [--out file.json] [--advise <clock>:<percent>]
//
// Runs a what-if scenario (docs/simulation.md) on a virtual clock through the real orchestration,
// SLA clocks and working-day calendar; prints a readable summary and writes the report as JSON.
// --advise overall:95 (or seal-engraving:95, …) adds the least capacities that meet the target.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimulationTarget } from '../contracts/index.ts';
import { loadShippedYears } from '../gateway/calendar/index.ts';
import { ScenarioInvalid, ScenarioTooLarge, formatSummary, shippedScenario, simulate } from '../gateway/simulation/index.ts';

const USAGE = 'Usage: npm run simulate -- --scenario <file.json | shipped name> [--seed n] [--out report.json] [--advise <overall|step>:<percent>]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let values: { scenario?: string; seed?: string; out?: string; advise?: string };
try {
  values = parseArgs({ options: { scenario: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, advise: { type: 'string' } }, strict: true }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (!values.scenario) fail(`--scenario is required\n${USAGE}`);

let document: unknown;
if (existsSync(values.scenario)) {
  try {
    document = JSON.parse(readFileSync(values.scenario, 'utf8'));
  } catch (error) {
    fail(`${values.scenario} is not JSON: ${(error as Error).message}`);
  }
} else {
  const shipped = shippedScenario(values.scenario);
  if (!shipped) fail(`${values.scenario}: no such file, and no shipped scenario of that name (see scenarios/)`);
  document = shipped.document;
}

let seed: number | undefined;
if (values.seed !== undefined) {
  seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) fail('--seed is an integer from 0 to 2147483647');
}

let advise: SimulationTarget | undefined;
if (values.advise !== undefined) {
  const [clock, percent] = values.advise.split(':');
  const parsed = SimulationTarget.safeParse({ clock, onTimePercent: Number(percent) });
  if (!parsed.success) fail('--advise is <overall|step id>:<percent>, e.g. overall:95 or seal-engraving:95');
  advise = parsed.data;
}

try {
  const report = simulate({ scenario: document, environment: { years: loadShippedYears() }, ...(seed !== undefined ? { seed } : {}), ...(advise ? { advise } : {}) });
  process.stdout.write(`${formatSummary(report)}\n`);
  const out = values.out ?? `simulation-${report.scenario}-${report.seed}.json`;
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`Report written to ${out}\n`);
} catch (error) {
  if (error instanceof ScenarioInvalid || error instanceof ScenarioTooLarge) fail(error.message, 1);
  throw error;
}
