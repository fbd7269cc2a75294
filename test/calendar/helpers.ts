import type { CalendarYearDocument } from '../../gateway/calendar/index.ts';

/** An instant from Shanghai wall-clock time: sh('2026-11-27T16:30') is 2026-11-27 16:30 +08:00. */
export function sh(local: string): Date {
  const d = new Date(`${local.length === 16 ? `${local}:00` : local}+08:00`);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test time ${local}`);
  return d;
}

/** The Shanghai wall-clock time of an instant, shortest form: '2026-11-30T12:00', '…T11:08:34.286'. */
export function local(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000)
    .toISOString()
    .slice(0, 23)
    .replace(/:00\.000$/, '')
    .replace(/\.000$/, '');
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/**
 * A year document for tests. The 2027 schedule is NOT published yet (it comes around
 * November 2026): documents made here are fixtures, not data.
 */
export function makeYear(
  year: number,
  holidays: readonly string[],
  workdays: readonly string[] = [],
  name = 'test holiday',
): CalendarYearDocument {
  return {
    year,
    source: 'test fixture — not an official schedule',
    holidays: holidays.map((date) => ({ date, name })),
    workdays: workdays.map((date) => ({ date, name: `${name}调休` })),
  };
}
