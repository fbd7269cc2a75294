// The monthly report as files (docs/operations.md "Monthly report"): CSV — UTF-8 with a byte-order
// mark, so Excel on Chinese Windows reads it as UTF-8 instead of GBK, with the overall row the JSON
// has — and an Excel workbook (exceljs) with the same table and the 12-month trend.

import { stringify } from 'csv-stringify/sync';
import { STEP_LABELS_ZH, type MonthlyReport, type ReportTrend, type StepId } from '../../contracts/index.ts';

/** Stable columns; the ratings (好差评) of each row's target come last. */
export const CSV_COLUMNS = ['month', 'step', 'department', 'handled', 'on_time', 'on_time_percent', 'median_working_hours', 'p90_working_hours', 'breaches', 'open', 'ratings', 'average_rating', 'poor_ratings', 'satisfied_percent'] as const;
/** The overall promise's row: `step` is "overall". */
export const OVERALL_DEPARTMENT = '全部申请（3 个工作日承诺） (all applications, 3-working-day promise)';
const BOM = '\uFEFF';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const blank = (n: number | null) => (n === null ? '' : n);

function rows(report: MonthlyReport): Array<Array<string | number>> {
  const o = report.overall;
  const rated = new Map(report.ratings.map((r) => [r.target as string, r]));
  const ratings = (target: string) => {
    const r = rated.get(target);
    return [r?.count ?? 0, blank(r?.average ?? null), r?.poor ?? 0, blank(r?.satisfiedPercent ?? null)];
  };
  return [
    ...report.departments.map((d) => [report.month, d.step, d.department, d.handled, d.onTime, blank(d.onTimePercent), blank(d.medianWorkingHours), blank(d.p90WorkingHours), d.breaches, d.open, ...ratings(d.step)]),
    [report.month, 'overall', OVERALL_DEPARTMENT, o.completed, o.onTime, blank(o.onTimePercent), blank(o.medianWorkingHours), blank(o.p90WorkingHours), o.breaches, o.open, ...ratings('overall')],
  ];
}

export function reportCsv(report: MonthlyReport): string {
  return BOM + stringify(rows(report), { header: true, columns: [...CSV_COLUMNS] });
}

const HEADERS_ZH = ['月份', '环节', '部门', '办结数', '按时办结', '按时率 %', '中位用时（工作小时）', 'P90 用时（工作小时）', '超时数', '在办数', '评价数', '平均评分', '差评数', '满意率 %'];

export async function reportWorkbook(report: MonthlyReport, trend: ReportTrend): Promise<Buffer> {
  // Loaded on the first export, not at start-up: exceljs (with its zip and XML stack) is ~25 MiB of
  // resident memory in every gateway process, and only the monthly spreadsheet uses it.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '全链通网关';
  workbook.created = new Date(report.generatedAt);
  const sheet = workbook.addWorksheet(`月报 ${report.month}`);
  sheet.addRow(HEADERS_ZH).font = { bold: true };
  sheet.addRow([...CSV_COLUMNS]).font = { italic: true, color: { argb: 'FF555555' } };
  for (const row of rows(report)) sheet.addRow(row);
  sheet.columns.forEach((column, i) => (column.width = i === 2 ? 48 : 16));
  sheet.views = [{ state: 'frozen', ySplit: 2 }];

  const trendSheet = workbook.addWorksheet('近 12 个月趋势');
  trendSheet.addRow(['环节', '指标', ...trend.months]).font = { bold: true };
  for (const series of trend.series) {
    const name = series.clock === 'overall' ? '全部申请' : (STEP_LABELS_ZH[series.clock as StepId] ?? series.clock);
    trendSheet.addRow([name, '办结数', ...series.handled]);
    trendSheet.addRow([name, '按时率 %', ...series.onTimePercent.map(blank)]);
    trendSheet.addRow([name, '超时数', ...series.breaches]);
    trendSheet.addRow([name, '中位用时（工作小时）', ...series.medianWorkingHours.map(blank)]);
  }
  trendSheet.columns.forEach((column, i) => (column.width = i < 2 ? 20 : 10));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
