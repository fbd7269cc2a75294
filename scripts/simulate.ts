// npm run simulate -- --scenario <file|shipped name> [--seed n] [--out file.json] [--advise <clock>:<percent>]
// npm run simulate -- --calibrate <YYYY-MM> [--out scenario.json]
//
// Runs a what-if scenario (docs/simulation.md) on a virtual clock through the real orchestration,
// SLA clocks and working-day calendar; prints a readable summary and writes the report as JSON.
// --advise overall:95 (or seal-engraving:95, …) adds the least capacities that meet the target.
// --calibrate fits a scenario to a month of the gateway's store (DATABASE_URL, else SQLITE_FILE: the
// store the gateway uses), writes it, replays it and prints the replayed on-time rates next to the
// recorded ones (docs/simulation.md "Calibration").

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimulationTarget } from '../contracts/index.ts';
import { CalendarYearDocument, createWorkingCalendar, loadShippedYears } from '../gateway/calendar/index.ts';
import { storeConfigFromEnv } from '../gateway/config.ts';
import { ScenarioInvalid, ScenarioTooLarge, calibrate, formatSummary, parseScenario, resolveScenario, runSimulation, shippedScenario, simulate } from '../gateway/simulation/index.ts';
import { shanghaiMonthRange } from '../gateway/sla/reports.ts';
import { createStore } from '../gateway/store/index.ts';

const USAGE = [
  'Usage: npm run simulate -- --scenario <file.json | shipped name> [--seed n] [--out report.json] [--advise <overall|step>:<percent>]',
  '       npm run simulate -- --calibrate <YYYY-MM> [--out scenario.json]   (the store: DATABASE_URL, else SQLITE_FILE)',
].join('\n');

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let values: { scenario?: string; seed?: string; out?: string; advise?: string; calibrate?: string };
try {
  values = parseArgs({ options: { scenario: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, advise: { type: 'string' }, calibrate: { type: 'string' } }, strict: true }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (values.calibrate !== undefined) {
  if (values.scenario !== undefined) fail(`--calibrate and --scenario do not go together\n${USAGE}`);
  await calibrateMonth(values.calibrate, values.out);
  process.exit(0);
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
  // A replayed month is read from the gateway's store (DATABASE_URL, else SQLITE_FILE) before the run.
  const replayed = await replayedInstants(document);
  const report = simulate({
    scenario: document,
    environment: { years: loadShippedYears() },
    ...(replayed ? { replay: () => replayed } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(advise ? { advise } : {}),
  });
  process.stdout.write(`${formatSummary(report)}\n`);
  const out = values.out ?? `simulation-${report.scenario}-${report.seed}.json`;
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`Report written to ${out}\n`);
} catch (error) {
  if (error instanceof ScenarioInvalid || error instanceof ScenarioTooLarge) fail(error.message, 1);
  throw error;
}

/** Fits a scenario to a month of the store, writes it, replays it, prints recorded vs replayed. */
async function calibrateMonth(month: string, out: string | undefined): Promise<void> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) fail('--calibrate takes a month, YYYY-MM');
  const config = storeConfigFromEnv(process.env);
  const store = createStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    await store.migrate();
    // The calendar the gateway uses: the shipped years, replaced by those ops loaded into the store.
    const years = new Map(loadShippedYears().map((y) => [y.year, y]));
    for (const year of await store.listCalendarYears()) {
      const parsed = CalendarYearDocument.safeParse(await store.getCalendarYear(year));
      if (parsed.success) years.set(year, parsed.data);
    }
    const environment = { years: [...years.values()] };
    const calibration = await calibrate(store, month, { office: createWorkingCalendar({ years: environment.years }) });
    if (calibration.fit.applications === 0) fail(`no application was submitted in ${month}: nothing to calibrate`, 1);
    const file = out ?? `calibrated-${month}.json`;
    writeFileSync(file, `${JSON.stringify(calibration.scenario, null, 2)}\n`);
    const replay = runSimulation(resolveScenario(calibration.scenario, environment)).report;
    const pct = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${n.toFixed(1)}%`);
    const lines = [
      `Calibrated from ${month}: ${calibration.fit.applications} applications, ${calibration.fit.arrivals.perWorkingDay} per working day; scenario written to ${file}`,
      '',
      `${'clock'.padEnd(18)} ${'recorded'.padStart(9)} ${'replayed'.padStart(9)}   fitted turnaround (office minutes)`,
      `${'overall'.padEnd(18)} ${pct(calibration.recorded.overallOnTimePercent).padStart(9)} ${pct(replay.overall.onTimePercent).padStart(9)}`,
      ...calibration.fit.departments.map((d) => {
        const recorded = calibration.recorded.departments.find((r) => r.step === d.step)?.onTimePercent;
        const replayed = replay.windows.find((w) => w.clock === d.step)?.onTimePercent;
        const fit = d.sync ? 'answers at once' : `median ${d.service.medianMinutes ?? '—'}, p90 ${d.service.p90Minutes ?? '—'} (${d.service.samples} samples), ${(d.rejectionRate * 100).toFixed(1)}% sent back`;
        return `${d.step.padEnd(18)} ${pct(recorded).padStart(9)} ${pct(replayed).padStart(9)}   ${fit}`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

/** The submission instants of the month a replay scenario names, from the store; undefined for other scenarios. */
async function replayedInstants(document: unknown): Promise<number[] | undefined> {
  let scenario;
  try {
    scenario = parseScenario(document);
  } catch {
    return undefined; // simulate() reports the errors
  }
  if (scenario.arrivals.kind !== 'replay') return undefined;
  const config = storeConfigFromEnv(process.env);
  const store = createStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    await store.migrate();
    const range = shanghaiMonthRange(scenario.arrivals.month);
    const applications = await store.listApplications({ submittedFrom: range.from, submittedTo: range.to, limit: 20_001 });
    if (applications.length === 0) fail(`no application was submitted in ${scenario.arrivals.month}: nothing to replay`, 1);
    return applications.map((a) => Date.parse(a.submittedAt));
  } finally {
    await store.close();
  }
}
