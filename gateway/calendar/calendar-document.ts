import { z } from 'zod';
import { WEEKDAY_NAMES, dayParts, parseDay } from './shanghai-time.ts';

// One year's State Council holiday schedule (国务院办公厅关于 YYYY 年部分节假日安排的通知), as ops
// upload it with PUT /v1/ops/calendar/{year} and as shipped in gateway/calendar/data/<year>.json.
// Ops write these by hand from the notice each November, so every message names the offending
// date and says how to fix it (docs/style.md §5). The schema imports only zod: it can move to
// contracts/ unchanged if the route wants it there.

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_SHAPE = '{ "date": "YYYY-MM-DD", "name": "…" }';

/** Object-level messages: a wrong type, or unknown keys (a typo must not pass silently). */
const objectError =
  (allowed: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}: only ${allowed} are allowed; check the spelling`;
    }
    return issue.code === 'invalid_type' ? `expected an object with ${allowed}` : undefined;
  };

// One message per date: a malformed date is not also reported as an impossible one. The regex
// stays a regex (not inside the refinement) so that the OpenAPI schema shows the pattern.
const DateString = z
  .string({ error: 'date is required, written YYYY-MM-DD, e.g. "2026-10-01"' })
  .regex(DATE_RE, 'date must be written YYYY-MM-DD, e.g. "2026-10-01"')
  .superRefine((s, ctx) => {
    if (DATE_RE.test(s) && parseDay(s) === undefined) {
      ctx.addIssue({ code: 'custom', message: `${s} is not a real calendar date; check the month and day` });
    }
  })
  .describe('A date in Asia/Shanghai, YYYY-MM-DD');

const NAME_REQUIRED = 'name is required: the holiday it belongs to, e.g. "国庆节" or "国庆节调休"';

export const CalendarDay = z
  .object(
    {
      date: DateString,
      name: z.string({ error: NAME_REQUIRED }).trim().min(1, NAME_REQUIRED).max(60, 'name must be at most 60 characters'),
    },
    { error: objectError('"date" and "name"') },
  )
  .strict()
  .meta({ id: 'CalendarDay' });
export type CalendarDay = z.infer<typeof CalendarDay>;

const YEAR_RANGE = 'year must be between 2000 and 2100';

export const CalendarYearDocument = z
  .object(
    {
      year: z
        .number({ error: 'year must be a number, e.g. 2027' })
        .int('year must be a whole number, e.g. 2027')
        .min(2000, YEAR_RANGE)
        .max(2100, YEAR_RANGE),
      source: z
        .string({ error: 'source is required: cite the notice and its URL' })
        .trim()
        .min(1, 'source is required: cite the notice, e.g. "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）" and its URL')
        .max(2000, 'source must be at most 2000 characters'),
      holidays: z
        .array(CalendarDay, { error: `holidays is required: a list of ${DAY_SHAPE}` })
        .min(1, 'holidays is empty: list every day off of every holiday period (weekend days inside a period too)')
        .max(366, 'holidays can list at most 366 days'),
      workdays: z
        .array(CalendarDay, { error: `workdays is required: a list of ${DAY_SHAPE} (may be empty)` })
        .max(106, 'workdays can list at most the 106 weekend days of a year'),
    },
    { error: objectError('"year", "source", "holidays" and "workdays"') },
  )
  .strict()
  .superRefine((doc, ctx) => {
    // When `year` itself is wrong it is reported once; do not also flag every date against it.
    const yearOk = Number.isInteger(doc.year) && doc.year >= 2000 && doc.year <= 2100;
    const seen = new Map<string, string>();
    const check = (list: 'holidays' | 'workdays', days: readonly CalendarDay[]): void => {
      days.forEach((entry, i) => {
        const path = [list, i, 'date'];
        const day = parseDay(entry.date);
        if (day === undefined) return; // already reported by CalendarDay
        const { year, weekday } = dayParts(day);
        if (yearOk && year !== doc.year) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${entry.date} is not in ${doc.year}; a document lists only dates of its own year, so put this date in the ${year} document (a notice's days that fall in the previous year belong to that year's document)`,
          });
        }
        if (list === 'workdays' && weekday !== 0 && weekday !== 6) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${entry.date} is a ${WEEKDAY_NAMES[weekday]}; workdays lists only the Saturdays and Sundays that the notice turns into working days (调休上班). Weekdays are working days already — remove it, or put it in holidays if it is a day off`,
          });
        }
        const first = seen.get(entry.date);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: first.startsWith(list)
              ? `${entry.date} is listed twice in ${list} (first at ${first}); list each day once`
              : `${entry.date} is in both holidays and workdays (first at ${first}); a day is either off or worked — remove it from one list`,
          });
        } else {
          seen.set(entry.date, `${list}[${i}]`);
        }
      });
    };
    check('holidays', doc.holidays);
    check('workdays', doc.workdays);
  })
  .meta({ id: 'CalendarYearDocument' });
export type CalendarYearDocument = z.infer<typeof CalendarYearDocument>;
