// The working-day calendar of Asia/Shanghai (docs/design.md "Time"; docs/calendar.md for ops).
//
// Pure: no I/O, no clock. Year schedules come in as data; every answer is a function of the
// arguments and the loaded years. Internally all time is integer milliseconds.
//
// Definitions (the subtle part — docs/calendar.md says the same for ops):
//
// * A working day is a weekday that the year's schedule does not make a holiday, or a weekend
//   day that it moves to a working day (调休上班). Office time is the union of that day's sessions.
//
// * The unit of duration is the WORKING MILLISECOND, and one working day is `workingDayMs`, the
//   length of the DEFAULT timetable (7 h with 09:00–12:00 + 13:00–17:00). A day under a seasonal
//   timetable of another length is still ONE working day: its office time is scaled onto
//   [0, workingDayMs] linearly, so 0.5 day is always half of that day's office time. On days whose
//   office time equals workingDayMs (every day without seasons) the scale is the identity and all
//   arithmetic is exact; otherwise positions are floored to whole working ms and instants rounded
//   up to whole real ms, so a round trip is exact or errs by at most ⌈W/D⌉−1 ms.
//
// * addWorkingTime(from, w) is the EARLIEST instant t ≥ from with workingTimeBetween(from, t) ≥ w.
//   Consequences: counting starts at the next office instant when `from` is outside office time;
//   a deadline that falls exactly at a session end stays there (12:00, not 13:00 after lunch);
//   adding 0 returns `from` itself.
//
// * A year with no loaded schedule is UNKNOWN: its days are classified by weekday only, and any
//   result whose computation looked at one of its days is `provisional: true`. The next year's
//   schedule is published around November, so a deadline computed earlier can move when it is
//   loaded — callers must recompute provisional deadlines after loadYear().

import { CalendarYearDocument } from './calendar-document.ts';
import { DEFAULT_OFFICE_HOURS, HalfDayRule, OfficeHours, clockMinutes, seasonContains } from './office-hours.ts';
import type { OfficeSession } from './office-hours.ts';
import { dayParts, formatDay, instantOf, localPosition, parseDay } from './shanghai-time.ts';

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup_workday';

export interface DayInfo {
  /** `YYYY-MM-DD` */
  date: string;
  kind: DayKind;
  /** false when the day's year has no loaded schedule: `kind` then reflects the weekday only. */
  known: boolean;
  /** The schedule's name for a holiday or make-up workday, e.g. "国庆节". */
  name?: string;
}

export interface Deadline {
  at: Date;
  /** true when the computation looked at a day of a year with no loaded schedule. */
  provisional: boolean;
}

export interface WorkingDuration {
  /** Working milliseconds; `workingDayMs` of them make one working day. */
  ms: number;
  provisional: boolean;
}

export type CalendarYears =
  | ReadonlyMap<number, CalendarYearDocument>
  | Readonly<Record<number, CalendarYearDocument>>
  | readonly CalendarYearDocument[];

export interface WorkingCalendarOptions {
  /** Year schedules to start with (validated here). Map/record keys must equal each document's year. */
  years?: CalendarYears;
  /** Defaults to DEFAULT_OFFICE_HOURS (09:00–12:00, 13:00–17:00). */
  officeHours?: OfficeHours;
  /** How addWorkingDays reads a half day. Defaults to 'office-time'. */
  halfDayRule?: HalfDayRule;
}

export interface WorkingCalendar {
  /** One working day in working ms: the length of the default timetable (25 200 000 for 7 h). */
  readonly workingDayMs: number;
  readonly officeHours: OfficeHours;
  readonly halfDayRule: HalfDayRule;
  /**
   * The deadline `days` working days after `from`. 'office-time': days × workingDayMs of working
   * time (rounded to the ms). 'session': whole days as working time, then a half day (if any) ends
   * at the end of the next session that starts at or after that point; days must be a multiple of 0.5.
   */
  addWorkingDays(from: Date, days: number): Deadline;
  /** The earliest instant t ≥ from with workingTimeBetween(from, t) ≥ workingMs. */
  addWorkingTime(from: Date, workingMs: number): Deadline;
  /** Working ms in [from, to); 0 when to ≤ from. */
  workingTimeBetween(from: Date, to: Date): WorkingDuration;
  /** Whether the Shanghai calendar day (of an instant, or a `YYYY-MM-DD`) is a working day. */
  isWorkingDay(date: Date | string): boolean;
  dayKind(date: string): DayInfo;
  /** Validates and loads (or replaces) one year's schedule. Takes effect for the next call. */
  loadYear(doc: CalendarYearDocument): { replaced: boolean };
  hasYear(year: number): boolean;
  /** Loaded years, ascending. */
  years(): number[];
  /** The loaded document of a year (frozen), or undefined. */
  getYear(year: number): CalendarYearDocument | undefined;
}

const MINUTE_MS = 60_000;
/** A working-day search that meets this many consecutive non-working days stops (bad data). */
const MAX_CONSECUTIVE_DAYS_OFF = 400;
/** Longest duration (in working days) and span (in calendar days) accepted: the loops walk day by day. */
export const MAX_WORKING_DAYS = 10_000;
const MAX_SPAN_DAYS = 36_600;

interface Timetable {
  /** [start, end) in ms since local midnight, in time order. */
  sessions: readonly { start: number; end: number }[];
  /** Total office ms of the day (D). */
  officeMs: number;
}

interface LoadedYear {
  doc: CalendarYearDocument;
  holidays: ReadonlyMap<number, string>;
  workdays: ReadonlyMap<number, string>;
}

interface Classified {
  working: boolean;
  known: boolean;
  kind: DayKind;
  name?: string;
}

function compileTimetable(sessions: readonly OfficeSession[]): Timetable {
  const compiled = sessions.map((s) => ({ start: clockMinutes(s.start) * MINUTE_MS, end: clockMinutes(s.end) * MINUTE_MS }));
  return { sessions: compiled, officeMs: compiled.reduce((sum, s) => sum + s.end - s.start, 0) };
}

/** Office ms of the day before local time `tod`. */
function elapsedAt(tt: Timetable, tod: number): number {
  let e = 0;
  for (const s of tt.sessions) {
    if (tod <= s.start) break;
    e += Math.min(tod, s.end) - s.start;
  }
  return e;
}

/** Earliest local time at which `e` (> 0) office ms of the day have elapsed: a session end stays a session end. */
function timeAtElapsed(tt: Timetable, e: number): number {
  let acc = 0;
  for (const s of tt.sessions) {
    const len = s.end - s.start;
    if (acc + len >= e) return s.start + (e - acc);
    acc += len;
  }
  throw new Error(`internal: ${e} ms exceeds the day's office time ${tt.officeMs} ms`);
}

function toDate(value: Date, what: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be a valid Date`);
  return ms;
}

function freezeDoc(doc: CalendarYearDocument): CalendarYearDocument {
  return Object.freeze({
    ...doc,
    holidays: Object.freeze(doc.holidays.map((d) => Object.freeze({ ...d }))) as CalendarYearDocument['holidays'],
    workdays: Object.freeze(doc.workdays.map((d) => Object.freeze({ ...d }))) as CalendarYearDocument['workdays'],
  });
}

function docsOf(years: CalendarYears | undefined): CalendarYearDocument[] {
  if (years === undefined) return [];
  if (Array.isArray(years)) return [...(years as readonly CalendarYearDocument[])];
  const entries: [PropertyKey, CalendarYearDocument][] =
    years instanceof Map ? [...(years as ReadonlyMap<number, CalendarYearDocument>).entries()] : Object.entries(years);
  return entries.map(([key, doc]) => {
    if (Number(key) !== doc.year) {
      throw new RangeError(`calendar years: key ${String(key)} holds the document of ${doc.year}; key each document by its own year`);
    }
    return doc;
  });
}

export function createWorkingCalendar(options: WorkingCalendarOptions = {}): WorkingCalendar {
  const officeHours = OfficeHours.parse(options.officeHours ?? DEFAULT_OFFICE_HOURS);
  const halfDayRule = HalfDayRule.parse(options.halfDayRule ?? 'office-time');
  const defaultTimetable = compileTimetable(officeHours.default);
  const seasons = (officeHours.seasons ?? []).map((s) => ({ season: s, timetable: compileTimetable(s.sessions) }));
  const W = defaultTimetable.officeMs;

  const loaded = new Map<number, LoadedYear>();

  function loadYear(input: CalendarYearDocument): { replaced: boolean } {
    const doc = freezeDoc(CalendarYearDocument.parse(input));
    const byDay = (days: readonly { date: string; name: string }[]): Map<number, string> =>
      new Map(days.map((d) => [parseDay(d.date)!, d.name]));
    const replaced = loaded.has(doc.year);
    // Validated and indexed before the one `set`: a refused document leaves the previous schedule.
    loaded.set(doc.year, { doc, holidays: byDay(doc.holidays), workdays: byDay(doc.workdays) });
    return { replaced };
  }

  for (const doc of docsOf(options.years)) loadYear(doc);

  function classify(day: number): Classified {
    const { year, weekday } = dayParts(day);
    const weekend = weekday === 0 || weekday === 6;
    const y = loaded.get(year);
    if (y === undefined) return { working: !weekend, known: false, kind: weekend ? 'weekend' : 'workday' };
    const makeup = y.workdays.get(day);
    if (makeup !== undefined) return { working: true, known: true, kind: 'makeup_workday', name: makeup };
    const holiday = y.holidays.get(day);
    if (holiday !== undefined) return { working: false, known: true, kind: 'holiday', name: holiday };
    return { working: !weekend, known: true, kind: weekend ? 'weekend' : 'workday' };
  }

  function timetableFor(day: number): Timetable {
    if (seasons.length === 0) return defaultTimetable;
    const { month, date } = dayParts(day);
    const key = month * 100 + date;
    return seasons.find((s) => seasonContains(s.season, key))?.timetable ?? defaultTimetable;
  }

  // Position of office time `e` on the day's [0, W] working scale (floored), and its inverse
  // (the least e whose position reaches p). Products stay below 2^53: both factors ≤ 86 400 000.
  const position = (tt: Timetable, e: number): number => (tt.officeMs === W ? e : Math.floor((e * W) / tt.officeMs));
  const officeFor = (tt: Timetable, p: number): number => (tt.officeMs === W ? p : Math.ceil((p * tt.officeMs) / W));

  function tooManyDaysOff(from: number): never {
    throw new Error(
      `no working day in ${MAX_CONSECUTIVE_DAYS_OFF} consecutive days from ${formatDay(from)}; check the loaded calendar documents`,
    );
  }

  function addWorkingMs(fromMs: number, workingMs: number): Deadline {
    if (workingMs === 0) return { at: new Date(fromMs), provisional: false };
    let { day, tod } = localPosition(fromMs);
    let remaining = workingMs;
    let provisional = false;
    let daysOff = 0;
    for (;;) {
      const info = classify(day);
      if (!info.known) provisional = true;
      if (info.working) {
        daysOff = 0;
        const tt = timetableFor(day);
        const p0 = position(tt, elapsedAt(tt, tod));
        const capacity = W - p0;
        if (remaining <= capacity) {
          const e1 = officeFor(tt, p0 + remaining);
          return { at: new Date(instantOf(day, timeAtElapsed(tt, e1))), provisional };
        }
        remaining -= capacity;
      } else if (++daysOff > MAX_CONSECUTIVE_DAYS_OFF) {
        tooManyDaysOff(day - daysOff + 1);
      }
      day += 1;
      tod = 0;
    }
  }

  function addWorkingTime(from: Date, workingMs: number): Deadline {
    const fromMs = toDate(from, 'addWorkingTime: from');
    if (!Number.isSafeInteger(workingMs) || workingMs < 0 || workingMs > MAX_WORKING_DAYS * W) {
      throw new RangeError(
        `addWorkingTime: workingMs must be a whole number of milliseconds from 0 to ${MAX_WORKING_DAYS} working days (got ${workingMs})`,
      );
    }
    return addWorkingMs(fromMs, workingMs);
  }

  /** End of the next session that starts at or after `atMs`, on a working day. */
  function nextFullSessionEnd(atMs: number): Deadline {
    let { day, tod } = localPosition(atMs);
    let provisional = false;
    let daysOff = 0;
    for (;;) {
      const info = classify(day);
      if (!info.known) provisional = true;
      if (info.working) {
        daysOff = 0;
        const session = timetableFor(day).sessions.find((s) => s.start >= tod);
        if (session !== undefined) return { at: new Date(instantOf(day, session.end)), provisional };
      } else if (++daysOff > MAX_CONSECUTIVE_DAYS_OFF) {
        tooManyDaysOff(day - daysOff + 1);
      }
      day += 1;
      tod = 0;
    }
  }

  function addWorkingDays(from: Date, days: number): Deadline {
    const fromMs = toDate(from, 'addWorkingDays: from');
    if (!Number.isFinite(days) || days < 0 || days > MAX_WORKING_DAYS) {
      throw new RangeError(`addWorkingDays: days must be a number from 0 to ${MAX_WORKING_DAYS} (got ${days})`);
    }
    if (halfDayRule === 'office-time') return addWorkingMs(fromMs, Math.round(days * W));
    const halves = days * 2;
    if (!Number.isInteger(halves)) {
      throw new RangeError(`addWorkingDays: with halfDayRule 'session', days must be a multiple of 0.5 (got ${days})`);
    }
    const whole = addWorkingMs(fromMs, Math.floor(days) * W);
    if (halves % 2 === 0) return whole;
    const half = nextFullSessionEnd(whole.at.getTime());
    return { at: half.at, provisional: whole.provisional || half.provisional };
  }

  function workingTimeBetween(from: Date, to: Date): WorkingDuration {
    const fromMs = toDate(from, 'workingTimeBetween: from');
    const toMs = toDate(to, 'workingTimeBetween: to');
    if (toMs <= fromMs) return { ms: 0, provisional: false };
    const a = localPosition(fromMs);
    const b = localPosition(toMs);
    if (b.day - a.day > MAX_SPAN_DAYS) {
      throw new RangeError(`workingTimeBetween: from and to are more than ${MAX_SPAN_DAYS} days apart`);
    }
    let ms = 0;
    let provisional = false;
    for (let day = a.day; day <= b.day; day++) {
      // [from, to) holds nothing of the last day when `to` is its midnight: do not touch that day.
      if (day === b.day && b.tod === 0) break;
      const info = classify(day);
      if (!info.known) provisional = true;
      if (!info.working) continue;
      const tt = timetableFor(day);
      const start = day === a.day ? position(tt, elapsedAt(tt, a.tod)) : 0;
      const end = day === b.day ? position(tt, elapsedAt(tt, b.tod)) : W;
      ms += end - start;
    }
    return { ms, provisional };
  }

  function dayOf(date: Date | string, what: string): number {
    if (typeof date === 'string') {
      const day = parseDay(date);
      if (day === undefined) throw new RangeError(`${what}: "${date}" is not a YYYY-MM-DD calendar date`);
      return day;
    }
    return localPosition(toDate(date, what)).day;
  }

  function dayKind(date: string): DayInfo {
    const day = dayOf(date, 'dayKind');
    const { kind, known, name } = classify(day);
    return name === undefined ? { date: formatDay(day), kind, known } : { date: formatDay(day), kind, known, name };
  }

  return Object.freeze({
    workingDayMs: W,
    officeHours,
    halfDayRule,
    addWorkingDays,
    addWorkingTime,
    workingTimeBetween,
    isWorkingDay: (date: Date | string) => classify(dayOf(date, 'isWorkingDay')).working,
    dayKind,
    loadYear,
    hasYear: (year: number) => loaded.has(year),
    years: () => [...loaded.keys()].sort((x, y) => x - y),
    getYear: (year: number) => loaded.get(year)?.doc,
  });
}
