// A report as a person reads it in a terminal (npm run simulate): what breaks first, on-time rates,
// working hours, queues, utilisation, and the advice if asked for.

import type { SimulationReport, SimulationWindow } from '../../contracts/index.ts';

const pct = (n: number | null) => (n === null ? '—' : `${n.toFixed(1)}%`);
const h = (n: number | null) => (n === null ? '—' : n.toFixed(2));
const pad = (cells: Array<string | number>, widths: number[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');

export function formatSummary(report: SimulationReport): string {
  const out: string[] = [];
  const a = report.applications;
  out.push(`Scenario ${report.scenario} (seed ${report.seed}), ${report.period.from} → ${report.period.to}; work finished ${report.end.slice(0, 16).replace('T', ' ')} UTC${report.drained ? '' : ' (NOT drained: work still in flight at the limit)'}`);
  if (report.calendar.assumedYears.length > 0) out.push(`Calendar: ${report.calendar.assumedYears.join(', ')} ASSUMED by the scenario (not published)`);
  if (report.calendar.ignoredAssumedYears.length > 0) out.push(`Calendar: the published ${report.calendar.ignoredAssumedYears.join(', ')} schedule replaces the scenario's assumption`);
  if (report.calendar.provisional) out.push('Calendar: some deadlines fall in a year with no schedule (weekdays only): provisional');
  out.push(`Applications: ${a.submitted} submitted, ${a.completed} completed, ${a.withdrawn} withdrawn, ${a.open} open (${a.waitingForApplicant} waiting for the applicant, ${a.needsAttention} needing attention)`);
  out.push('', `Companies open within 3 working days: ${pct(report.overall.onTimePercent)} (${report.overall.onTime} of ${report.overall.finished})`);
  out.push(`First window to break: ${report.firstToBreak ?? 'none'}${report.bottleneck ? `; bottleneck: ${report.bottleneck}` : ''}`);
  out.push('');
  const w = [18, 7, 9, 8, 8, 8, 6, 12, 12];
  out.push(pad(['window', 'days', 'on time', 'median h', 'p90 h', 'max h', 'open', 'first late', 'breaks on'], w));
  const row = (x: SimulationWindow) => pad([x.clock, x.windowWorkingDays, pct(x.onTimePercent), h(x.medianWorkingHours), h(x.p90WorkingHours), h(x.maxWorkingHours), x.open, x.firstBreachDay ?? '—', x.firstBreakDay ?? '—'], w);
  out.push(row(report.overall));
  for (const x of report.windows) out.push(row(x));
  out.push('');
  const d = [18, 10, 16, 9, 9, 7, 10, 10];
  out.push(pad(['department', 'clerks', 'quota', 'received', 'util', 'max q', 'wait h', 'p90 wait'], d));
  for (const x of report.departments) {
    out.push(pad([x.step, x.clerks, x.quota ? `${x.quota.max}/${x.quota.per}` : '—', x.received, pct(x.utilisationPercent), x.maxQueue, h(x.meanWaitWorkingHours), h(x.p90WaitWorkingHours)], d));
  }
  if (report.advice) {
    const adv = report.advice;
    out.push('', `Advice for ${adv.target.onTimePercent}% on time (${adv.target.clock}): ${adv.met ? 'met' : 'NOT met'} at ${pct(adv.onTimePercent)} after ${adv.runs} runs${adv.complete ? '' : ' (search stopped at its budget)'}`);
    if (adv.bottleneck) out.push(`Bottleneck: ${adv.bottleneck}`);
    for (const x of adv.departments) {
      if (x.lever === null) continue;
      const change = x.advised === x.current ? 'unchanged' : `${x.advised! > x.current! ? '+' : ''}${x.advised! - x.current!}`;
      out.push(`  ${x.step.padEnd(18)} ${x.lever.padEnd(7)} ${String(x.current).padStart(6)} → ${String(x.advised).padStart(6)}  (${change}${x.lever === 'quota' && x.advised !== x.current ? ', clerks in proportion' : ''})`);
    }
  }
  out.push('', `${report.run.transitions} transitions, ${report.run.departmentCalls} department calls in ${(report.run.wallMs / 1000).toFixed(1)} s`);
  return out.join('\n');
}
