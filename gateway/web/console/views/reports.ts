/// <reference lib="dom" />
// 月度报告: each department's on-time percentage, breaches and median time for a month, the trend
// over the last 12 months, drawn with Chart.js (only the parts used are bundled; it draws on canvas
// and sets sizes through the CSSOM, which the page's CSP allows), each chart with its numbers as a
// table beside it for screen readers. Downloads: CSV (UTF-8 with BOM, opens in Excel on Chinese
// Windows) and an Excel workbook.

import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import type { MonthlyReport, ReportTrend } from '../../../../contracts/ops-console.ts';
import { STEP_LABELS_ZH } from '../../../../contracts/ops-labels.ts';
import type { StepId } from '../../../../contracts/steps.ts';
import { ApiFailure, download, json } from '../api.ts';
import { clear, errorBox, h, hours, percent, table } from '../dom.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
Chart.defaults.animation = false;

const COLOURS = ['#0b5cad', '#a15c00', '#0a7a2f', '#6b3fa0', '#b3261e', '#00707a', '#5f6368', '#8a4b08'];
const seriesName = (clock: string) => (clock === 'overall' ? '全部申请' : (STEP_LABELS_ZH[clock as StepId] ?? clock));

function chart(id: string, title: string, build: (canvas: HTMLCanvasElement) => void, data: HTMLElement): HTMLElement {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': `${title}（数据见下表）` });
  const figure = h('figure', { class: 'chart' }, h('figcaption', {}, title), h('div', { class: 'canvas' }, canvas), h('details', {}, h('summary', {}, '查看数据'), data));
  queueMicrotask(() => build(canvas));
  return figure;
}

export function reportsView(root: HTMLElement, month: string, signal: AbortSignal): void {
  const charts: Chart[] = [];
  signal.addEventListener('abort', () => charts.forEach((c) => c.destroy()));
  const picker = h('form', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'reportMonth' }, '月份'), h('input', { id: 'reportMonth', type: 'month', value: month, required: true })), h('div', { class: 'field actions' }, h('button', { type: 'submit' }, '查看')));
  picker.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (picker.querySelector('#reportMonth') as HTMLInputElement).value;
    if (value) location.hash = `#/reports/${value}`;
  });
  const problems = h('div', { 'aria-live': 'polite' });
  const fetchFile = (format: 'csv' | 'xlsx') => download(`/v1/ops/reports/monthly?month=${month}&format=${format}`, `qlt-report-${month}.${format}`).catch((error: unknown) => clear(problems, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
  const body = h('div', { id: 'reportBody' }, h('p', { class: 'muted' }, '正在加载…'));
  clear(
    root,
    h('h1', {}, `月度报告 ${month}`),
    picker,
    h('p', { class: 'downloads' }, h('button', { type: 'button', id: 'downloadCsv', onclick: () => void fetchFile('csv') }, '下载 CSV'), h('button', { type: 'button', id: 'downloadXlsx', class: 'secondary', onclick: () => void fetchFile('xlsx') }, '下载 Excel')),
    problems,
    body,
  );

  Promise.all([json<MonthlyReport>(`/v1/ops/reports/monthly?month=${month}`), json<ReportTrend>(`/v1/ops/reports/trend?to=${month}&months=12`)])
    .then(([report, trend]) => {
      if (signal.aborted) return;
      const labels = report.departments.map((d) => STEP_LABELS_ZH[d.step]);
      const bar = (canvas: HTMLCanvasElement, label: string, values: Array<number | null>, colour: string, max?: number) =>
        charts.push(
          new Chart(canvas, {
            type: 'bar',
            data: { labels, datasets: [{ label, data: values, backgroundColor: colour }] },
            options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ...(max ? { max } : {}) } } },
          }),
        );
      const o = report.overall;
      clear(
        body,
        h('p', { class: 'summary' }, `本月办结 ${o.completed} 件，按时率 ${percent(o.onTimePercent)}，中位用时 ${hours(o.medianWorkingHours)}，超时 ${o.breaches} 件，在办 ${o.open} 件。`),
        table(
          `${month} 各部门办理情况`,
          ['部门', '办结', '按时', '按时率', '中位用时', 'P90 用时', '超时', '在办'],
          [...report.departments.map((d) => [STEP_LABELS_ZH[d.step], d.handled, d.onTime, percent(d.onTimePercent), hours(d.medianWorkingHours), hours(d.p90WorkingHours), d.breaches, d.open]), ['全部申请（3 个工作日承诺）', o.completed, o.onTime, percent(o.onTimePercent), hours(o.medianWorkingHours), hours(o.p90WorkingHours), o.breaches, o.open]],
          { id: 'reportTable' },
        ),
        h(
          'div',
          { class: 'charts' },
          chart('chartOnTime', '各部门按时率（%）', (c) => bar(c, '按时率 %', report.departments.map((d) => d.onTimePercent), COLOURS[0]!, 100), table('按时率', ['部门', '按时率'], report.departments.map((d) => [STEP_LABELS_ZH[d.step], percent(d.onTimePercent)]))),
          chart('chartBreaches', '各部门超时数', (c) => bar(c, '超时数', report.departments.map((d) => d.breaches), COLOURS[4]!), table('超时数', ['部门', '超时'], report.departments.map((d) => [STEP_LABELS_ZH[d.step], d.breaches]))),
          chart('chartMedian', '各环节中位用时（工作小时）', (c) => bar(c, '中位用时', report.departments.map((d) => d.medianWorkingHours), COLOURS[2]!), table('中位用时', ['环节', '中位用时'], report.departments.map((d) => [STEP_LABELS_ZH[d.step], hours(d.medianWorkingHours)]))),
          chart(
            'chartTrend',
            '近 12 个月按时率趋势（%）',
            (canvas) =>
              charts.push(
                new Chart(canvas, {
                  type: 'line',
                  data: { labels: trend.months, datasets: trend.series.map((s, i) => ({ label: seriesName(s.clock), data: s.onTimePercent, borderColor: COLOURS[i % COLOURS.length], backgroundColor: COLOURS[i % COLOURS.length], spanGaps: true, borderWidth: s.clock === 'overall' ? 3 : 1.5 })) },
                  options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100 } } },
                }),
              ),
            table('近 12 个月按时率', ['环节', ...trend.months], trend.series.map((s) => [seriesName(s.clock), ...s.onTimePercent.map(percent)])),
          ),
        ),
        // 好差评 given in the month (the portal's five-level ratings): a 差评 is level 1 or 2.
        h(
          'section',
          { 'aria-labelledby': 'ratingsTitle' },
          h('h2', { id: 'ratingsTitle' }, '好差评'),
          report.ratings.every((r) => r.count === 0)
            ? h('p', { class: 'muted' }, '本月尚无评价。')
            : table(
                `${month} 好差评`,
                ['评价对象', '评价数', '平均评分', '差评', '满意率'],
                report.ratings.map((r) => [seriesName(r.target), r.count, r.average === null ? '—' : r.average.toFixed(2), r.poor, percent(r.satisfiedPercent)]),
                { id: 'ratingsTable' },
              ),
        ),
      );
    })
    .catch((error: unknown) => clear(body, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
}
