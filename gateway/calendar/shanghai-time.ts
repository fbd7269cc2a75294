// Wall-clock arithmetic for Asia/Shanghai without a time-zone database.
//
// China has used one fixed offset, UTC+08:00, with no daylight saving time since 1991
// (IANA tzdata, zone Asia/Shanghai). So a local calendar day is exactly 86 400 000 ms and
// "local midnight" is a fixed shift of UTC midnight: we never need Intl or a tz library, and
// the arithmetic stays in integers. Instants before 1991 are out of scope for this service.

export const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A local position: `day` = days since 1970-01-01 in Shanghai, `tod` = ms since local midnight. */
export interface LocalPosition {
  day: number;
  tod: number;
}

export function localPosition(instantMs: number): LocalPosition {
  const local = instantMs + SHANGHAI_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  return { day, tod: local - day * DAY_MS };
}

export function instantOf(day: number, tod: number): number {
  return day * DAY_MS + tod - SHANGHAI_OFFSET_MS;
}

/** `YYYY-MM-DD` → day number, or undefined when it is not a real calendar date (e.g. 2026-02-30). */
export function parseDay(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC maps years 0–99 to 1900–1999; reject those along with overflowed days/months.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export interface DayParts {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  date: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

export function dayParts(day: number): DayParts {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, date: d.getUTCDate(), weekday: d.getUTCDay() };
}

/** The Shanghai calendar date (`YYYY-MM-DD`) of an instant. */
export function shanghaiDate(at: Date): string {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('shanghaiDate: the date is invalid (NaN)');
  return formatDay(localPosition(ms).day);
}

export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
