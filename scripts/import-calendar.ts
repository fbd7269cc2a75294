// Regenerates gateway/calendar/data/<year>.json from the `chinese-days` package (a devDependency).
//
//   npx tsx scripts/import-calendar.ts            # write 2019–2026
//   npx tsx scripts/import-calendar.ts 2024 2025  # write only these years
//   npx tsx scripts/import-calendar.ts --check    # exit 1 if a committed file differs
//
// The JSON files are the data the gateway ships; this script only reproduces them. Each document
// cites the State Council notice it encodes (checked against the notice text, which chinese-days
// quotes in src/holidays/generate.ts) and the package version it was read from. A year the
// package does not carry (2027 onwards) must be written by hand from the notice and uploaded with
// PUT /v1/ops/calendar/{year}: see docs/calendar.md.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CalendarYearDocument } from '../gateway/calendar/index.ts';

const DATA_DIR = new URL('../gateway/calendar/data/', import.meta.url);
const DEFAULT_YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026];

/** The notices: 国务院办公厅关于 YYYY 年部分节假日安排的通知, plus the later changes to 2019 and 2020. */
const NOTICES: Record<number, string> = {
  2019:
    '国务院办公厅关于2019年部分节假日安排的通知（国办发明电〔2018〕15号）http://www.gov.cn/xinwen/2018-12/06/content_5346287.htm ; ' +
    'as amended by 国务院办公厅关于调整2019年劳动节假期安排的通知 (2019-03-22; 劳动节 5月1日至4日, 4月28日、5月5日上班) http://www.gov.cn/zhengce/content/2019-03/22/content_5375877.htm',
  2020:
    '国务院办公厅关于2020年部分节假日安排的通知（国办发明电〔2019〕16号）http://www.gov.cn/zhengce/content/2019-11/21/content_5454164.htm ; ' +
    'as amended by 国务院办公厅关于延长2020年春节假期的通知 (2020-01-27; 春节 extended to 2月2日, so 2月1日 is no longer a workday) http://www.gov.cn/zhengce/content/2020-01/27/content_5472352.htm',
  2021: '国务院办公厅关于2021年部分节假日安排的通知（国办发明电〔2020〕27号）http://www.gov.cn/zhengce/content/2020-11/25/content_5564127.htm',
  2022:
    '国务院办公厅关于2022年部分节假日安排的通知（国办发明电〔2021〕11号）http://www.gov.cn/zhengce/content/2021-10/25/content_5644835.htm ; ' +
    '2022-12-31 (元旦 2023, a Saturday) is from 国办发明电〔2022〕16号, the 2023 notice',
  2023: '国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号）http://www.gov.cn/zhengce/content/2022-12/08/content_5730844.htm',
  2024: '国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）https://www.gov.cn/zhengce/content/202310/content_6911527.htm',
  2025: '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm',
  2026: '国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号, 2025-11-04）https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm',
};

/**
 * Make-up workdays (调休上班) copied by hand from each notice: an independent check on the package.
 * The 2026 list is also in docs/design.md "Platform notes".
 */
const EXPECTED_WORKDAYS: Record<number, string[]> = {
  2019: ['02-02', '02-03', '04-28', '05-05', '09-29', '10-12'],
  2020: ['01-19', '04-26', '05-09', '06-28', '09-27', '10-10'],
  2021: ['02-07', '02-20', '04-25', '05-08', '09-18', '09-26', '10-09'],
  2022: ['01-29', '01-30', '04-02', '04-24', '05-07', '10-08', '10-09'],
  2023: ['01-28', '01-29', '04-23', '05-06', '06-25', '10-07', '10-08'],
  2024: ['02-04', '02-18', '04-07', '04-28', '05-11', '09-14', '09-29', '10-12'],
  2025: ['01-26', '02-08', '04-27', '09-28', '10-11'],
  2026: ['01-04', '02-14', '02-28', '05-09', '09-20', '10-10'],
};

/** chinese-days names ("Labour Day,劳动节,2") → the notice's names. */
const NAMES: Record<string, string> = {
  元旦: '元旦',
  春节: '春节',
  清明: '清明节',
  劳动节: '劳动节',
  端午: '端午节',
  中秋: '中秋节',
  国庆节: '国庆节',
};

interface PackageYear {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('chinese-days/package.json'));
const packageVersion = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;

function holidayName(raw: string, date: string): string {
  const zh = raw.split(',')[1];
  const name = zh === undefined ? undefined : NAMES[zh];
  if (name === undefined) throw new Error(`chinese-days names ${date} "${raw}", which this script does not know; add it to NAMES`);
  return name;
}

function buildYear(year: number): CalendarYearDocument {
  const notice = NOTICES[year];
  if (notice === undefined) {
    throw new Error(`no notice recorded for ${year}; add it to NOTICES after checking the State Council notice`);
  }
  let data: PackageYear;
  try {
    data = JSON.parse(readFileSync(join(packageDir, 'dist', 'years', `${year}.json`), 'utf8')) as PackageYear;
  } catch {
    throw new Error(
      `chinese-days@${packageVersion} has no data for ${year}; write gateway/calendar/data/${year}.json by hand from the notice (docs/calendar.md)`,
    );
  }
  const entries = (days: Record<string, string>, suffix: string) =>
    Object.entries(days)
      .filter(([date]) => date.startsWith(`${year}-`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, raw]) => ({ date, name: holidayName(raw, date) + suffix }));
  const doc = CalendarYearDocument.parse({
    year,
    source: `${notice} ; imported from chinese-days@${packageVersion} (dist/years/${year}.json) by scripts/import-calendar.ts`,
    holidays: entries(data.holidays, ''),
    workdays: entries(data.workdays, '调休'),
  });
  const expected = EXPECTED_WORKDAYS[year];
  const got = doc.workdays.map((d) => d.date.slice(5));
  if (expected !== undefined && JSON.stringify(expected) !== JSON.stringify(got)) {
    throw new Error(`${year}: chinese-days gives make-up workdays ${got.join(', ')}, the notice ${expected.join(', ')}; check before importing`);
  }
  return doc;
}

/** Stable layout: one day per line, so a diff of a re-import shows exactly the days that changed. */
function format(doc: CalendarYearDocument): string {
  const days = (list: readonly { date: string; name: string }[]) =>
    list.length === 0 ? '[]' : `[\n${list.map((d) => `    ${JSON.stringify({ date: d.date, name: d.name })}`).join(',\n')}\n  ]`;
  return (
    `{\n  "year": ${doc.year},\n  "source": ${JSON.stringify(doc.source)},\n` +
    `  "holidays": ${days(doc.holidays)},\n  "workdays": ${days(doc.workdays)}\n}\n`
  );
}

function main(args: string[]): number {
  const check = args.includes('--check');
  const years = args.filter((a) => a !== '--check').map(Number);
  let failed = 0;
  for (const year of years.length > 0 ? years : DEFAULT_YEARS) {
    const text = format(buildYear(year));
    const file = new URL(`${year}.json`, DATA_DIR);
    if (check) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing file: reported below as a difference
      }
      if (current !== text) {
        console.error(`${year}.json differs from chinese-days@${packageVersion}; run npx tsx scripts/import-calendar.ts ${year}`);
        failed++;
      }
    } else {
      writeFileSync(file, text);
      console.log(`wrote gateway/calendar/data/${year}.json`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
