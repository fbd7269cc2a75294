// Part "simulate" of npm run bench: how long the what-if simulator takes for a month of 3,000
// applications (the shipped normal-month scenario), and its peak memory — compared with three months
// of the same load, to show memory follows the work in flight, not the length of the period.
// Each run is its own process (bench/simulate-child.ts). A figure, never a timed test.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { round } from './stats.ts';

export interface SimulateRun {
  scenario: string;
  period: { from: string; to: string };
  applications: number;
  transitions: number;
  departmentCalls: number;
  wallMs: number;
  transitionsPerSecond: number;
  peakRssBytes: number;
  overallOnTimePercent: number | null;
}

export interface SimulateResult {
  month: SimulateRun;
  quarter: SimulateRun;
}

const CHILD = fileURLToPath(new URL('./simulate-child.ts', import.meta.url));

function once(args: string[]): SimulateRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const run = JSON.parse(out.trim().split('\n').pop()!) as Omit<SimulateRun, 'transitionsPerSecond'>;
  return { ...run, wallMs: round(run.wallMs, 0), transitionsPerSecond: round(run.transitions / (run.wallMs / 1000), 0) };
}

export function runSimulateBench(progress: (line: string) => void): SimulateResult {
  progress('  simulate: normal-month (November 2026)…');
  const month = once(['normal-month']);
  progress('  simulate: the same load over three months (September–November 2026)…');
  const quarter = once(['normal-month', '2026-09-01', '2026-11-30']);
  return { month, quarter };
}
