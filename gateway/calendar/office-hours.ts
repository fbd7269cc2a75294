import { z } from 'zod';

// Office hours of the service centre: sessions of a day (morning, afternoon — the gap is the lunch
// break), optionally a different timetable for a season (many offices in China keep a summer
// timetable with a longer lunch break). Configuration is validated once at boot (docs/style.md §8).

const CLOCK_RE = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const MONTH_DAY_RE = /^(\d{2})-(\d{2})$/;
// Days per month in a leap year: a season may start or end on 02-29.
const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const Clock = z.string().regex(CLOCK_RE, 'use a 24-hour HH:MM time between 00:00 and 24:00, e.g. "09:00"');

/** Minutes since midnight of a validated HH:MM. */
export function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export const OfficeSession = z
  .object({ start: Clock, end: Clock })
  .strict()
  .refine((s) => clockMinutes(s.start) < clockMinutes(s.end), {
    message: 'a session must end after it starts, e.g. { "start": "09:00", "end": "12:00" }',
    path: ['end'],
  })
  .meta({ id: 'OfficeSession' });
export type OfficeSession = z.infer<typeof OfficeSession>;

const Sessions = z
  .array(OfficeSession)
  .min(1, 'a timetable needs at least one session')
  .superRefine((sessions, ctx) => {
    for (let i = 1; i < sessions.length; i++) {
      const prev = sessions[i - 1]!;
      const cur = sessions[i]!;
      if (clockMinutes(cur.start) < clockMinutes(prev.end)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'start'],
          message: `sessions must be in time order without overlap: this one starts at ${cur.start}, before the previous one ends at ${prev.end}`,
        });
      }
    }
  });

/** `MM-DD` → month * 100 + day, e.g. "07-01" → 701. */
export function monthDayKey(mmdd: string): number {
  return Number(mmdd.slice(0, 2)) * 100 + Number(mmdd.slice(3, 5));
}

const MonthDay = z
  .string()
  .regex(MONTH_DAY_RE, 'use MM-DD, e.g. "07-01"')
  .refine(
    (s) => {
      const month = Number(s.slice(0, 2));
      const day = Number(s.slice(3, 5));
      return month >= 1 && month <= 12 && day >= 1 && day <= MONTH_LENGTHS[month - 1]!;
    },
    { message: 'not a real month and day; check both, e.g. "06-31" does not exist' },
  );

export const OfficeSeason = z
  .object({
    from: MonthDay.describe('First day of the season, inclusive (MM-DD)'),
    to: MonthDay.describe('Last day of the season, inclusive (MM-DD); may be before `from` to wrap over New Year'),
    sessions: Sessions,
  })
  .strict()
  .meta({ id: 'OfficeSeason' });
export type OfficeSeason = z.infer<typeof OfficeSeason>;

export function seasonContains(season: { from: string; to: string }, key: number): boolean {
  const from = monthDayKey(season.from);
  const to = monthDayKey(season.to);
  return from <= to ? key >= from && key <= to : key >= from || key <= to;
}

export const OfficeHours = z
  .object({
    default: Sessions.describe('Sessions of a working day outside every season'),
    seasons: z.array(OfficeSeason).optional(),
  })
  .strict()
  .superRefine((hours, ctx) => {
    const seasons = hours.seasons ?? [];
    // Check overlaps on every month-day of a leap year: simple, and wrap-around needs no special case.
    for (let month = 1; month <= 12; month++) {
      for (let day = 1; day <= MONTH_LENGTHS[month - 1]!; day++) {
        const key = month * 100 + day;
        const hits = seasons.flatMap((s, i) => (seasonContains(s, key) ? [i] : []));
        if (hits.length > 1) {
          const mmdd = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          ctx.addIssue({
            code: 'custom',
            path: ['seasons', hits[1]!],
            message: `seasons[${hits[1]}] overlaps seasons[${hits[0]}] on ${mmdd}; each day of the year may belong to at most one season`,
          });
          return;
        }
      }
    }
  })
  .meta({ id: 'OfficeHours' });
export type OfficeHours = z.infer<typeof OfficeHours>;

/** 09:00–12:00 and 13:00–17:00: 7 hours of office time, which is one working day. */
export const DEFAULT_OFFICE_HOURS: OfficeHours = Object.freeze({
  default: Object.freeze([
    Object.freeze({ start: '09:00', end: '12:00' }),
    Object.freeze({ start: '13:00', end: '17:00' }),
  ]) as OfficeSession[],
});

export const HalfDayRule = z.enum(['office-time', 'session']).meta({ id: 'HalfDayRule' });
export type HalfDayRule = z.infer<typeof HalfDayRule>;
