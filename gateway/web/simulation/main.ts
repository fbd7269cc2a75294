/// <reference lib="dom" />
// The what-if chart page's script (gateway/web/simulation-page.ts), bundled by esbuild (WEB_ENTRIES).
// Signs in with an ops bearer credential (kept in sessionStorage, gone with the tab; sent in the
// Authorization header, never in a URL), lists the shipped scenarios (viewer), runs one (admin:
// POST /v1/ops/simulations, then reads GET /v1/ops/simulations/{id} until it is done) and draws the
// report with Chart.js (canvas; no inline style, so the CSP holds). Contract files are imported
// directly, as types only (never contracts/index.ts, which needs node:crypto); the department names
// come with the report, so the bundle holds Chart.js and this file, not zod.

import { CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Title, Tooltip } from 'chart.js';
import type { ErrorBody } from '../../../contracts/errors.ts';
import type { SimulationJob, SimulationReport, SimulationScenario } from '../../../contracts/simulation.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Title);

// The console's key (gateway/web/console/api.ts): one sign-in in a tab serves the console and this page.
const TOKEN_KEY = 'qlt-ops-credential';
/** One colour per department (the same in both charts); the overall promise is drawn thick and black. */
const COLOURS: Record<string, string> = {
  overall: '#111111',
  'business-licence': '#1f5fa8',
  'seal-engraving': '#c0392b',
  'tax-invoice': '#1e8449',
  'social-insurance': '#8e44ad',
  'bank-account': '#d35400',
  'postal-delivery': '#117a8b',
  'housing-provident-fund': '#7f6000',
};
const colourOf = (clock: string) => COLOURS[clock] ?? '#666666';
/** Names of the clocks: the overall promise, and each department as the report names it (contracts/steps.ts DEPARTMENT_NAMES). */
const CLOCK_NAMES: Record<string, string> = { overall: '3 个工作日总时限' };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const clockName = (clock: string) => CLOCK_NAMES[clock] ?? clock;
const pct = (n: number | null) => (n === null ? '—' : `${n.toFixed(1)}%`);
const hours = (n: number | null) => (n === null ? '—' : n.toFixed(2));

function cell(row: HTMLTableRowElement, text: string | number, className?: string): void {
  const td = row.insertCell();
  td.textContent = String(text);
  if (className) td.className = className;
}

function showError(id: string, message: string | null): void {
  const box = $(id);
  box.textContent = message ?? '';
  box.className = message ? 'error' : '';
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`);
  headers.set('accept-language', 'zh-CN');
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(path, { ...init, headers });
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as ErrorBody;
    return [body.message, ...(body.details ?? []).map((d) => `${d.path}: ${d.message}`)].join('\n');
  } catch {
    return `HTTP ${response.status}`;
  }
}

// ── sign-in and the scenario list ──────────────────────────────────────────────────────────────
let scenarios: Array<{ name: string; description: string; scenario: SimulationScenario }> = [];

async function enter(): Promise<void> {
  const response = await api('/v1/ops/simulations/scenarios');
  if (!response.ok) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('signIn').hidden = false;
    $('runner').hidden = true;
    showError('signInError', await errorText(response));
    return;
  }
  scenarios = (await response.json()) as typeof scenarios;
  const select = $<HTMLSelectElement>('scenario');
  select.replaceChildren(...scenarios.map((s) => new Option(s.name, s.name)));
  describe();
  showError('signInError', null);
  $('signIn').hidden = true;
  $('runner').hidden = false;
}

function describe(): void {
  const chosen = scenarios.find((s) => s.name === $<HTMLSelectElement>('scenario').value);
  $('scenarioDescription').textContent = chosen ? `${chosen.scenario.period.from} → ${chosen.scenario.period.to}：${chosen.description}` : '';
}

$('signInForm').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $<HTMLInputElement>('token').value.trim());
  $<HTMLInputElement>('token').value = '';
  void enter();
});
$('signOut').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  $('runner').hidden = true;
  $('result').hidden = true;
  $('signIn').hidden = false;
});
$('scenario').addEventListener('change', describe);

// ── running ────────────────────────────────────────────────────────────────────────────────────
$('runForm').addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});

async function run(): Promise<void> {
  showError('runError', null);
  const seed = $<HTMLInputElement>('seed').value.trim();
  const clock = $<HTMLSelectElement>('adviseClock').value;
  const body = {
    scenario: $<HTMLSelectElement>('scenario').value,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(clock ? { advise: { clock, onTimePercent: Number($<HTMLInputElement>('advisePercent').value) } } : {}),
  };
  const button = $<HTMLButtonElement>('run');
  button.disabled = true;
  $('runStatus').textContent = '正在运行…';
  try {
    const response = await api('/v1/ops/simulations', { method: 'POST', body: JSON.stringify(body) });
    if (response.status !== 202) {
      $('runStatus').textContent = '';
      showError('runError', await errorText(response));
      return;
    }
    let job = (await response.json()) as SimulationJob;
    while (job.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const poll = await api(`/v1/ops/simulations/${job.id}`);
      if (!poll.ok) {
        showError('runError', await errorText(poll));
        $('runStatus').textContent = '';
        return;
      }
      job = (await poll.json()) as SimulationJob;
    }
    if (job.state === 'failed' || !job.report) {
      $('runStatus').textContent = '';
      showError('runError', job.error ? `${job.error.code}: ${job.error.message}` : '模拟失败');
      return;
    }
    $('runStatus').textContent = `完成：${job.report.applications.submitted} 件申请，用时 ${(job.report.run.wallMs / 1000).toFixed(1)} 秒`;
    render(job.report);
  } finally {
    button.disabled = false;
  }
}

// ── the report ─────────────────────────────────────────────────────────────────────────────────
const charts: Chart[] = [];

function render(report: SimulationReport): void {
  for (const d of report.departments) CLOCK_NAMES[d.step] = d.department.split(' (')[0]!;
  $('result').hidden = false;
  const overall = report.overall;
  $('headline').textContent = `3 个工作日内开办的企业：${pct(overall.onTimePercent)}（${overall.onTime} / ${overall.finished}）`;
  const facts = [
    `最先突破的时限：${report.firstToBreak ? clockName(report.firstToBreak) : '无'}`,
    `瓶颈部门：${report.bottleneck ? clockName(report.bottleneck) : '无'}`,
    `申请：提交 ${report.applications.submitted}，办结 ${report.applications.completed}，撤回 ${report.applications.withdrawn}，未结 ${report.applications.open}`,
    `模拟期 ${report.period.from} → ${report.period.to}，种子 ${report.seed}${report.drained ? '' : '（到达时限仍有在办件）'}`,
    ...(report.calendar.assumedYears.length > 0 ? [`${report.calendar.assumedYears.join('、')} 年节假日为情景假设（尚未公布）`] : []),
  ];
  $('facts').replaceChildren(...facts.map((text) => Object.assign(document.createElement('li'), { textContent: text })));

  const windows = $<HTMLTableElement>('windows').tBodies[0]!;
  windows.replaceChildren();
  for (const w of [report.overall, ...report.windows]) {
    const row = windows.insertRow();
    cell(row, clockName(w.clock));
    cell(row, w.windowWorkingDays);
    cell(row, pct(w.onTimePercent), w.firstBreakDay ? 'bad' : 'good');
    cell(row, hours(w.medianWorkingHours));
    cell(row, hours(w.p90WorkingHours));
    cell(row, hours(w.maxWorkingHours));
    cell(row, w.firstBreachDay ?? '—');
    cell(row, w.firstBreakDay ?? '—', w.firstBreakDay ? 'bad' : undefined);
  }
  const departments = $<HTMLTableElement>('departments').tBodies[0]!;
  departments.replaceChildren();
  for (const d of report.departments) {
    const row = departments.insertRow();
    cell(row, clockName(d.step));
    cell(row, d.clerks === 'unlimited' ? '不限' : d.clerks);
    cell(row, d.quota ? `${d.quota.max} / ${d.quota.per}` : '—');
    cell(row, d.received);
    cell(row, pct(d.utilisationPercent));
    cell(row, d.maxQueue);
    cell(row, hours(d.meanWaitWorkingHours));
  }
  renderAdvice(report);
  drawCharts(report);
}

function renderAdvice(report: SimulationReport): void {
  const box = $('advice');
  box.replaceChildren();
  const advice = report.advice;
  if (!advice) return;
  const title = Object.assign(document.createElement('h3'), { textContent: `产能建议：${clockName(advice.target.clock)} 按时率 ≥ ${advice.target.onTimePercent}%` });
  const verdict = Object.assign(document.createElement('p'), {
    textContent: `${advice.met ? '可以达到' : '未能达到'}（${pct(advice.onTimePercent)}，运行 ${advice.runs} 次${advice.complete ? '' : '，搜索在预算处停止'}）；瓶颈：${advice.bottleneck ? clockName(advice.bottleneck) : '无'}`,
  });
  const list = document.createElement('ul');
  for (const d of advice.departments) {
    if (d.lever === null) continue;
    list.append(Object.assign(document.createElement('li'), { textContent: `${clockName(d.step)}：${d.lever === 'quota' ? '限额' : '人员'} ${d.current} → ${d.advised}` }));
  }
  box.append(title, verdict, list);
}

function drawCharts(report: SimulationReport): void {
  while (charts.length > 0) charts.pop()!.destroy();
  // Queue length: one line per department, labelled by local time (Asia/Shanghai).
  const labels = report.series.at.map((at) => new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(5, 16).replace('T', ' '));
  const queue = Object.entries(report.series.queue).map(([step, values]) => ({
    label: clockName(step),
    data: values,
    borderColor: colourOf(step),
    backgroundColor: colourOf(step),
    pointRadius: 0,
    borderWidth: 1.5,
  }));
  charts.push(
    new Chart($<HTMLCanvasElement>('queueChart'), {
      type: 'line',
      data: { labels, datasets: queue },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: '排队件数' } }, x: { ticks: { maxTicksLimit: 12 } } } },
    }),
  );
  // On-time rate per day of the clocks that started that day, per window and overall, with the target.
  const target = report.overall.daily.length > 0 ? report.days.map(() => targetOf(report)) : [];
  const rate = [report.overall, ...report.windows].map((w) => {
    const byDay = new Map(w.daily.map((d) => [d.day, d.onTimePercent]));
    return { label: clockName(w.clock), data: report.days.map((day) => byDay.get(day) ?? null), borderColor: colourOf(w.clock), backgroundColor: colourOf(w.clock), pointRadius: 2, borderWidth: w.clock === 'overall' ? 3 : 1.5, spanGaps: true };
  });
  charts.push(
    new Chart($<HTMLCanvasElement>('onTimeChart'), {
      type: 'line',
      data: { labels: report.days, datasets: [...rate, { label: '目标', data: target, borderColor: '#888888', backgroundColor: '#888888', borderDash: [6, 4], pointRadius: 0, borderWidth: 1, spanGaps: true }] },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100, title: { display: true, text: '按时率 %' } } } },
    }),
  );
}

/** The target the report judged breaks against (the advice's, else the scenario's default 95%). */
const targetOf = (report: SimulationReport) => report.advice?.target.onTimePercent ?? 95;

if (sessionStorage.getItem(TOKEN_KEY)) void enter();
