// The shipped schedules (gateway/calendar/data/<year>.json): present, valid, cited, and in step
// with the chinese-days package they were imported from and with the import script.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import chineseDays from 'chinese-days';
import t from 'tap';
import { CalendarYearDocument, SHIPPED_DATA_DIR, createWorkingCalendar, loadShippedYears } from '../../gateway/calendar/index.ts';

const YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026];

t.test('2019–2026 are all shipped, each file validates and is named after its year', async (t) => {
  const files = readdirSync(SHIPPED_DATA_DIR).filter((f) => f.endsWith('.json')).sort();
  t.same(files, YEARS.map((y) => `${y}.json`));
  for (const file of files) {
    const raw: unknown = JSON.parse(readFileSync(new URL(file, SHIPPED_DATA_DIR), 'utf8'));
    const r = CalendarYearDocument.safeParse(raw);
    t.ok(r.success, `${file} validates${r.success ? '' : `: ${r.error.message}`}`);
    if (r.success) t.equal(`${r.data.year}.json`, file);
  }
  t.same(loadShippedYears().map((d) => d.year), YEARS, 'loadShippedYears returns them in order');
});

t.test('each file cites its State Council notice and the package version', async (t) => {
  const notices: Record<number, string> = {
    2019: '国办发明电〔2018〕15号',
    2020: '国办发明电〔2019〕16号',
    2021: '国办发明电〔2020〕27号',
    2022: '国办发明电〔2021〕11号',
    2023: '国办发明电〔2022〕16号',
    2024: '国办发明电〔2023〕7号',
    2025: '国办发明电〔2024〕12号',
    2026: '国办发明电〔2025〕7号',
  };
  for (const doc of loadShippedYears()) {
    t.match(doc.source, notices[doc.year]!, `${doc.year}`);
    t.match(doc.source, /gov\.cn/);
    t.match(doc.source, /chinese-days@\d+\.\d+\.\d+/);
  }
});

t.test('2026 make-up workdays are exactly those of 国办发明电〔2025〕7号', async (t) => {
  const doc = loadShippedYears().find((d) => d.year === 2026)!;
  t.same(
    doc.workdays.map((d) => d.date),
    ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
  );
  t.equal(doc.holidays.length, 33, '3 + 9 + 3 + 5 + 3 + 3 + 7 days off');
});

t.test('every day of 2019–2026 agrees with chinese-days', async (t) => {
  const cal = createWorkingCalendar({ years: loadShippedYears() });
  const disagreements: string[] = [];
  for (const year of YEARS) {
    for (let d = new Date(Date.UTC(year, 0, 1)); d.getUTCFullYear() === year; d.setUTCDate(d.getUTCDate() + 1)) {
      const date = d.toISOString().slice(0, 10);
      if (cal.isWorkingDay(date) !== chineseDays.isWorkday(date)) disagreements.push(date);
    }
  }
  t.same(disagreements, []);
});

t.test('the committed files are what scripts/import-calendar.ts generates', async (t) => {
  const run = promisify(execFile);
  const script = new URL('../../scripts/import-calendar.ts', import.meta.url).pathname;
  const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
  const { stderr } = await run(tsx, [script, '--check'], { timeout: 60_000 });
  t.equal(stderr, '');
});
