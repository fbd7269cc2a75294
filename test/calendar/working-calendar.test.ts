// The working-day calendar: pure unit tests, shipped 2019–2026 data, no clock, no I/O in the core.
import t from 'tap';
import { z } from 'zod';
import { createWorkingCalendar, loadShippedYears } from '../../gateway/calendar/index.ts';
import type { OfficeHours, WorkingCalendar } from '../../gateway/calendar/index.ts';
import { HOUR, MINUTE, local, makeYear, sh } from './helpers.ts';

const shipped = loadShippedYears();
const calendar = (options: Parameters<typeof createWorkingCalendar>[0] = {}): WorkingCalendar =>
  createWorkingCalendar({ years: shipped, ...options });
const W = 7 * HOUR;

/** addWorkingDays rendered as Shanghai wall-clock time plus the provisional flag. */
function plusDays(cal: WorkingCalendar, from: string, days: number): [string, boolean] {
  const r = cal.addWorkingDays(sh(from), days);
  return [local(r.at), r.provisional];
}

t.test('the required vectors (default hours, shipped data)', async (t) => {
  const cal = calendar();
  t.same(plusDays(cal, '2026-11-27T16:30', 0.5), ['2026-11-30T12:00', false], 'Friday 16:30 + 0.5 → Monday 12:00 (stays at the session end)');
  t.same(plusDays(cal, '2026-11-27T11:00', 0.5), ['2026-11-27T15:30', false], '11:00 + 0.5 → 15:30 the same day, over lunch');
  t.same(plusDays(cal, '2026-02-13T15:00', 0.5), ['2026-02-14T10:30', false], 'into the make-up Saturday 2026-02-14');
  t.same(plusDays(cal, '2026-09-30T16:00', 0.5), ['2026-10-08T11:30', false], 'over National Day 2026');

  const before = cal.addWorkingDays(sh('2026-12-31T16:00'), 1);
  t.equal(before.provisional, true, '2027 is not loaded: provisional');
  t.equal(local(before.at), '2027-01-01T16:00', 'weekends only in an unknown year');

  cal.loadYear(makeYear(2027, ['2027-01-01', '2027-01-02', '2027-01-03'], [], '元旦'));
  const after = cal.addWorkingDays(sh('2026-12-31T16:00'), 1);
  t.equal(after.provisional, false, 'not provisional once 2027 is loaded');
  t.equal(local(after.at), '2027-01-04T16:00');
});

t.test('workingDayMs comes from the default timetable', async (t) => {
  t.equal(calendar().workingDayMs, W);
  t.equal(createWorkingCalendar({ officeHours: { default: [{ start: '08:30', end: '12:00' }, { start: '14:00', end: '17:30' }] } }).workingDayMs, 7 * HOUR);
  t.equal(createWorkingCalendar({ officeHours: { default: [{ start: '09:00', end: '17:00' }] } }).workingDayMs, 8 * HOUR);
});

t.test('Spring Festival 2025', async (t) => {
  const cal = calendar();
  t.same(plusDays(cal, '2025-01-24T15:00', 1), ['2025-01-26T15:00', false], 'Friday → make-up Sunday 2025-01-26');
  t.same(plusDays(cal, '2025-01-27T16:00', 0.5), ['2025-02-05T11:30', false], '1 h before the break, 2.5 h after (28 Jan – 4 Feb off)');
  t.same(plusDays(cal, '2025-02-07T17:00', 0.5), ['2025-02-08T13:30', false], 'make-up Saturday 2025-02-08');
  t.same(plusDays(cal, '2025-01-27T09:00', 3), ['2025-02-06T17:00', false], '3 working days: 27 Jan, 5 Feb, 6 Feb');
  t.equal(cal.workingTimeBetween(sh('2025-01-27T17:00'), sh('2025-02-05T09:00')).ms, 0, 'the whole break holds no working time');
});

t.test('Spring Festival 2026', async (t) => {
  const cal = calendar();
  t.same(plusDays(cal, '2026-02-13T09:00', 3), ['2026-02-24T17:00', false], 'Fri 13, make-up Sat 14, then 15–23 off, Tue 24');
  t.same(plusDays(cal, '2026-02-14T12:30', 0.5), ['2026-02-14T16:30', false], 'from the make-up Saturday lunch break');
  t.same(plusDays(cal, '2026-02-14T16:00', 0.5), ['2026-02-24T11:30', false], 'from the make-up Saturday into the break');
  t.same(plusDays(cal, '2026-02-27T16:00', 0.5), ['2026-02-28T11:30', false], 'make-up Saturday 2026-02-28');
  t.same(plusDays(cal, '2026-02-15T10:00', 1), ['2026-02-24T17:00', false], 'from inside the break: counting starts on 24 Feb');
});

t.test('from outside office time, counting starts at the next office instant', async (t) => {
  const cal = calendar();
  t.same(plusDays(cal, '2026-11-26T12:30', 0.5), ['2026-11-26T16:30', false], 'lunch break: from 13:00');
  t.same(plusDays(cal, '2026-11-26T12:00', 0.5), ['2026-11-26T16:30', false], 'exactly at the end of the morning');
  t.same(plusDays(cal, '2026-11-26T13:00', 0.5), ['2026-11-26T16:30', false], 'exactly at the start of the afternoon');
  t.same(plusDays(cal, '2026-11-26T14:00', 0.5), ['2026-11-27T09:30', false], 'into the next morning');
  t.same(plusDays(cal, '2026-11-26T07:00', 0.5), ['2026-11-26T13:30', false], 'before 09:00');
  t.same(plusDays(cal, '2026-11-26T00:00', 1), ['2026-11-26T17:00', false], 'from midnight');
  t.same(plusDays(cal, '2026-11-26T18:00', 0.5), ['2026-11-27T13:30', false], 'after 17:00: next working day');
  t.same(plusDays(cal, '2026-11-27T17:00', 0.5), ['2026-11-30T13:30', false], 'Friday 17:00: Monday');
  t.same(plusDays(cal, '2026-11-28T10:00', 0.5), ['2026-11-30T13:30', false], 'a plain Saturday');
});

t.test('a deadline at a session end stays there', async (t) => {
  const cal = calendar();
  t.equal(local(cal.addWorkingTime(sh('2026-11-26T09:00'), 3 * HOUR).at), '2026-11-26T12:00', 'not 13:00');
  t.equal(local(cal.addWorkingTime(sh('2026-11-26T10:00'), 2 * HOUR).at), '2026-11-26T12:00');
  t.equal(local(cal.addWorkingTime(sh('2026-11-26T10:00'), 2 * HOUR + 1).at), '2026-11-26T13:00:00.001');
  t.equal(local(cal.addWorkingDays(sh('2026-11-26T09:00'), 1).at), '2026-11-26T17:00', 'one day from the opening is the close');
  t.equal(local(cal.addWorkingTime(sh('2026-11-26T12:00'), HOUR).at), '2026-11-26T14:00');
});

t.test('zero and fractional durations', async (t) => {
  const cal = calendar();
  for (const from of ['2026-11-26T10:00', '2026-11-26T12:30', '2026-11-28T10:00']) {
    t.same(plusDays(cal, from, 0), [from, false], `0 days from ${from} is ${from} itself`);
    t.equal(cal.addWorkingTime(sh(from), 0).at.getTime(), sh(from).getTime());
  }
  t.same(plusDays(cal, '2026-11-26T09:00', 0.25), ['2026-11-26T10:45', false], 'a quarter day is 1 h 45 min');
  t.same(plusDays(cal, '2026-11-26T09:00', 1.5), ['2026-11-27T13:30', false]);
  t.same(plusDays(cal, '2026-11-26T09:00', 2.5), ['2026-11-30T13:30', false], 'over the weekend');
  const third = cal.addWorkingDays(sh('2026-11-26T09:00'), 1 / 3);
  t.ok(Number.isInteger(third.at.getTime()), 'rounded to whole ms');
  t.equal(local(third.at), '2026-11-26T11:20');
});

t.test('3 working days across 国庆', async (t) => {
  const cal = calendar();
  t.same(plusDays(cal, '2026-09-29T10:00', 3), ['2026-10-09T10:00', false], '2026: 29–30 Sep, 8 Oct, 9 Oct');
  t.same(plusDays(cal, '2026-09-18T14:00', 3), ['2026-09-22T14:00', false], '2026: through the make-up Sunday 20 Sep');
  t.same(plusDays(cal, '2026-10-09T09:00', 2), ['2026-10-10T17:00', false], '2026: make-up Saturday 10 Oct');
  t.same(plusDays(cal, '2025-09-30T09:00', 3), ['2025-10-10T17:00', false], '2025: 1–8 Oct off');
  t.same(plusDays(cal, '2025-09-26T13:00', 3), ['2025-09-30T12:00', false], '2025: make-up Sunday 28 Sep, ends at a session end');
  t.same(plusDays(cal, '2024-09-30T17:00', 3), ['2024-10-10T17:00', false], '2024: 1–7 Oct off, 8–10 Oct');
  t.same(plusDays(cal, '2023-09-28T09:00', 3), ['2023-10-08T17:00', false], '2023: 中秋+国庆 29 Sep – 6 Oct, make-up 7–8 Oct');
  t.same(plusDays(cal, '2019-09-30T13:00', 1), ['2019-10-08T12:00', false], '2019: 4 h before, 3 h after — ends at noon');
});

t.test('other years and notices: amendments are in the data', async (t) => {
  const cal = calendar();
  t.equal(cal.dayKind('2020-02-01').kind, 'holiday', '2020: Spring Festival extended to 2 Feb, 1 Feb no longer worked');
  t.equal(cal.dayKind('2020-01-31').kind, 'holiday');
  t.same(plusDays(cal, '2020-01-23T09:00', 1.5), ['2020-02-03T13:30', false], '23 Jan, then 24 Jan – 2 Feb off');
  t.equal(cal.dayKind('2019-05-05').kind, 'makeup_workday', '2019: Labour Day amended to 1–4 May, Sunday 5 May worked');
  t.equal(cal.dayKind('2019-05-03').kind, 'holiday');
  t.equal(cal.dayKind('2022-12-31').kind, 'holiday', '2022-12-31 from the 2023 notice');
});

t.test('workingTimeBetween', async (t) => {
  const cal = calendar();
  const between = (a: string, b: string) => cal.workingTimeBetween(sh(a), sh(b));
  t.same(between('2026-11-27T16:30', '2026-11-30T12:00'), { ms: 3.5 * HOUR, provisional: false });
  t.same(between('2026-11-27T11:00', '2026-11-27T15:30'), { ms: 3.5 * HOUR, provisional: false });
  t.same(between('2026-11-27T12:10', '2026-11-27T12:50'), { ms: 0, provisional: false }, 'inside the lunch break');
  t.same(between('2026-11-30T12:00', '2026-11-27T16:30'), { ms: 0, provisional: false }, 'to before from');
  t.same(between('2026-11-27T10:00', '2026-11-27T10:00'), { ms: 0, provisional: false }, 'empty interval');
  t.same(between('2026-11-23T00:00', '2026-11-30T00:00'), { ms: 5 * W, provisional: false }, 'a plain week');
  t.same(between('2026-09-28T00:00', '2026-10-12T00:00'), { ms: 6 * W, provisional: false }, 'National Day fortnight: 28–30 Sep, 8–10 Oct (10 Oct a make-up Saturday)');
  t.same(between('2026-01-01T00:00', '2027-01-01T00:00'), { ms: 248 * W, provisional: false }, '2026 has 248 working days; 2027-01-01 00:00 is not touched');
  t.same(between('2026-12-31T16:00', '2027-01-01T10:00'), { ms: 2 * HOUR, provisional: true }, 'touches unknown 2027');
  t.same(between('2026-12-31T16:00', '2027-01-01T08:00'), { ms: HOUR, provisional: true }, 'the 2027 day is touched even before its office hours');
});

t.test('working days per shipped year match the notices', async (t) => {
  const cal = calendar();
  // 365/366 days − weekends − weekday holidays + make-up workdays.
  // Counted independently with chinese-days' getWorkdaysInRange(…, true) when the data was imported.
  const expected: Record<number, number> = { 2019: 250, 2020: 249, 2021: 250, 2022: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248 };
  for (const [year, days] of Object.entries(expected)) {
    const r = cal.workingTimeBetween(sh(`${year}-01-01T00:00`), sh(`${Number(year) + 1}-01-01T00:00`));
    t.equal(r.ms / W, days, `${year}`);
  }
});

t.test('addWorkingTime and workingTimeBetween round-trip, and the deadline is the earliest instant', async (t) => {
  const cal = calendar();
  const durations = [1, 30 * MINUTE, 3 * HOUR, 3.5 * HOUR, W - 1, W, W + 1, 3 * W, 10 * W + 17];
  let checked = 0;
  // Every 37 minutes across Sep–Oct 2026 (National Day, make-up days, lunch breaks, nights).
  for (let from = sh('2026-09-15T00:00').getTime(); from < sh('2026-10-20T00:00').getTime(); from += 37 * MINUTE) {
    for (const w of durations) {
      const { at } = cal.addWorkingTime(new Date(from), w);
      const there = cal.workingTimeBetween(new Date(from), at).ms;
      const justBefore = cal.workingTimeBetween(new Date(from), new Date(at.getTime() - 1)).ms;
      if (there !== w || justBefore >= w) {
        t.fail(`from ${local(new Date(from))} + ${w} ms → ${local(at)}: between = ${there}, 1 ms earlier = ${justBefore}`);
        return;
      }
      checked++;
    }
  }
  t.pass(`${checked} round trips exact and minimal`);

  // And the other way: addWorkingTime(from, workingTimeBetween(from, to)) is at most `to`, and at
  // `to` itself whenever `to` is inside office time.
  const from = sh('2026-09-30T10:17');
  for (const to of ['2026-10-08T09:00:00.001', '2026-10-08T12:00', '2026-10-09T15:45', '2026-10-10T11:11']) {
    const ms = cal.workingTimeBetween(from, sh(to)).ms;
    t.equal(local(cal.addWorkingTime(from, ms).at), to);
  }
  const ms = cal.workingTimeBetween(from, sh('2026-10-08T12:45')).ms;
  t.equal(local(cal.addWorkingTime(from, ms).at), '2026-10-08T12:00', 'a lunch-break `to` maps back to the session end');
});

t.test('dayKind and isWorkingDay', async (t) => {
  const cal = calendar();
  t.same(cal.dayKind('2026-02-14'), { date: '2026-02-14', kind: 'makeup_workday', known: true, name: '春节调休' });
  t.same(cal.dayKind('2026-10-01'), { date: '2026-10-01', kind: 'holiday', known: true, name: '国庆节' });
  t.same(cal.dayKind('2026-10-03'), { date: '2026-10-03', kind: 'holiday', known: true, name: '国庆节' }, 'a Saturday inside the period is a holiday');
  t.same(cal.dayKind('2026-11-28'), { date: '2026-11-28', kind: 'weekend', known: true });
  t.same(cal.dayKind('2026-11-27'), { date: '2026-11-27', kind: 'workday', known: true });
  t.same(cal.dayKind('2027-01-01'), { date: '2027-01-01', kind: 'workday', known: false }, 'unknown year: weekday only');
  t.same(cal.dayKind('2027-01-02'), { date: '2027-01-02', kind: 'weekend', known: false });
  t.same(cal.dayKind('2018-12-31'), { date: '2018-12-31', kind: 'workday', known: false }, '2018 is not shipped');

  t.equal(cal.isWorkingDay('2026-02-14'), true);
  t.equal(cal.isWorkingDay('2026-02-16'), false);
  t.equal(cal.isWorkingDay('2026-11-29'), false);
  t.equal(cal.isWorkingDay(new Date('2026-02-13T16:30:00Z')), true, 'a Date is read in Shanghai: 2026-02-14 00:30');
  t.equal(cal.isWorkingDay(new Date('2026-02-14T16:30:00Z')), false, '2026-02-15 00:30 in Shanghai');
  t.equal(cal.isWorkingDay(new Date('2026-02-13T15:59:59.999Z')), true, '2026-02-13 23:59:59.999 in Shanghai (Friday)');

  t.throws(() => cal.dayKind('2026-02-30'), RangeError);
  t.throws(() => cal.dayKind('2026-2-3'), RangeError);
  t.throws(() => cal.isWorkingDay(new Date(Number.NaN)), RangeError);
});

t.test('loadYear, hasYear, years, getYear', async (t) => {
  const cal = createWorkingCalendar();
  t.same(cal.years(), []);
  t.equal(cal.hasYear(2026), false);
  t.equal(cal.addWorkingDays(sh('2026-09-30T16:00'), 0.5).provisional, true, 'nothing loaded: everything provisional');
  t.equal(local(cal.addWorkingDays(sh('2026-09-30T16:00'), 0.5).at), '2026-10-01T11:30', 'and weekends only');

  const doc2026 = shipped.find((d) => d.year === 2026)!;
  t.same(cal.loadYear(doc2026), { replaced: false });
  t.same(cal.loadYear(shipped.find((d) => d.year === 2019)!), { replaced: false });
  t.same(cal.years(), [2019, 2026], 'ascending');
  t.equal(cal.hasYear(2026), true);
  t.same(cal.addWorkingDays(sh('2026-09-30T16:00'), 0.5), { at: sh('2026-10-08T11:30'), provisional: false });

  const stored = cal.getYear(2026)!;
  t.same(stored, doc2026);
  t.ok(Object.isFrozen(stored) && Object.isFrozen(stored.holidays) && Object.isFrozen(stored.holidays[0]), 'frozen');
  t.equal(cal.getYear(2030), undefined);

  // Replacing a year takes effect immediately (e.g. a corrected upload).
  const moved = { ...doc2026, holidays: doc2026.holidays.filter((d) => !d.date.startsWith('2026-10')) };
  t.same(cal.loadYear(moved), { replaced: true });
  t.equal(local(cal.addWorkingDays(sh('2026-09-30T16:00'), 0.5).at), '2026-10-01T11:30');

  // An invalid document is refused and the loaded one stays.
  t.throws(() => cal.loadYear({ ...doc2026, workdays: [{ date: '2026-10-05', name: 'x' }] }), z.ZodError);
  t.equal(cal.getYear(2026)!.holidays.length, moved.holidays.length);

  // The caller's object is copied: mutating it later changes nothing.
  const mine = structuredClone(doc2026);
  cal.loadYear(mine);
  mine.holidays.length = 0;
  t.equal(cal.getYear(2026)!.holidays.length, doc2026.holidays.length);
});

t.test('years may be given as a Map or a record keyed by year', async (t) => {
  const doc = shipped.find((d) => d.year === 2026)!;
  t.same(createWorkingCalendar({ years: new Map([[2026, doc]]) }).years(), [2026]);
  t.same(createWorkingCalendar({ years: { 2026: doc } }).years(), [2026]);
  t.throws(() => createWorkingCalendar({ years: { 2025: doc } }), /key 2025 holds the document of 2026/);
  t.throws(() => createWorkingCalendar({ years: new Map([[2027, doc]]) }), /key 2027/);
});

t.test('provisional: any touched day of an unknown year', async (t) => {
  const only2026 = createWorkingCalendar({ years: shipped.filter((d) => d.year === 2026) });
  t.same(plusDays(only2026, '2025-12-31T16:00', 0.5), ['2026-01-04T11:30', true], 'starts in unknown 2025, lands on the 2026 make-up Sunday');
  t.same(plusDays(only2026, '2026-12-31T09:00', 1), ['2026-12-31T17:00', false], 'stays inside 2026');
  t.same(plusDays(only2026, '2026-12-31T17:00', 0), ['2026-12-31T17:00', false]);
  t.same(plusDays(only2026, '2026-12-31T17:00', 0.5), ['2027-01-01T13:30', true]);
  t.equal(only2026.workingTimeBetween(sh('2025-12-31T16:00'), sh('2026-01-04T10:00')).provisional, true);
  t.equal(only2026.workingTimeBetween(sh('2026-01-01T00:00'), sh('2026-01-04T10:00')).provisional, false);
});

t.test('bad data cannot make the search run forever', async (t) => {
  const everyDay = (year: number) => {
    const days: string[] = [];
    for (let d = new Date(Date.UTC(year, 0, 1)); d.getUTCFullYear() === year; d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
    return days;
  };
  const cal = createWorkingCalendar({ years: [makeYear(2030, everyDay(2030)), makeYear(2031, everyDay(2031))] });
  t.throws(() => cal.addWorkingDays(sh('2030-01-01T09:00'), 1), /no working day in 400 consecutive days from 2030-01-01/);
});

t.test('argument checks', async (t) => {
  const cal = calendar();
  t.throws(() => cal.addWorkingDays(sh('2026-11-26T09:00'), -1), RangeError);
  t.throws(() => cal.addWorkingDays(sh('2026-11-26T09:00'), Number.NaN), RangeError);
  t.throws(() => cal.addWorkingDays(sh('2026-11-26T09:00'), Number.POSITIVE_INFINITY), RangeError);
  t.throws(() => cal.addWorkingDays(sh('2026-11-26T09:00'), 10_001), RangeError);
  t.throws(() => cal.addWorkingDays(new Date('nope'), 1), /from must be a valid Date/);
  t.throws(() => cal.addWorkingTime(sh('2026-11-26T09:00'), 0.5), RangeError, 'whole ms only');
  t.throws(() => cal.addWorkingTime(sh('2026-11-26T09:00'), -1), RangeError);
  t.throws(() => cal.workingTimeBetween(sh('2026-11-26T09:00'), new Date(Number.NaN)), RangeError);
  t.throws(() => cal.workingTimeBetween(new Date(0), new Date(8.64e15)), /days apart/);
  t.throws(() => createWorkingCalendar({ halfDayRule: 'morning' as never }), z.ZodError);
});

// Summer timetable 1 Jun – 30 Sep: 09:00–12:00 and 14:30–17:30 (6 h). One working day is still one
// day's sessions; the unit stays the default 7 h, so a summer hour is worth 7/6 working hours.
const summer: OfficeHours = {
  default: [
    { start: '09:00', end: '12:00' },
    { start: '13:00', end: '17:00' },
  ],
  seasons: [{ from: '06-01', to: '09-30', sessions: [{ start: '09:00', end: '12:00' }, { start: '14:30', end: '17:30' }] }],
};

t.test('seasonal timetable', async (t) => {
  const cal = calendar({ officeHours: summer });
  t.equal(cal.workingDayMs, W, 'defined by the default timetable');
  t.same(plusDays(cal, '2026-07-01T09:00', 0.5), ['2026-07-01T12:00', false], 'half of a 6 h summer day is 3 h');
  t.same(plusDays(cal, '2026-07-01T09:00', 1), ['2026-07-01T17:30', false], 'one summer day is its 6 h');
  t.same(plusDays(cal, '2026-07-01T13:00', 0.5), ['2026-07-01T17:30', false], 'summer lunch lasts until 14:30; 14:30–17:30 is exactly half a summer day');
  t.same(plusDays(cal, '2026-07-01T15:00', 0.5), ['2026-07-02T09:30', false], 'half a summer day is 3 real hours: 2.5 h today, 0.5 h tomorrow');
  t.same(plusDays(cal, '2026-07-01T12:00', 0.5), ['2026-07-01T17:30', false]);
  t.same(plusDays(cal, '2026-05-29T16:00', 0.5), ['2026-06-01T11:08:34.286', false], '1 h of 7 in May, 2.5/7 of a summer day in June');
  t.same(plusDays(cal, '2026-09-30T16:00', 0.5), ['2026-10-08T10:45', false], 'summer ends on 30 Sep: 1.5 h of 6 left = 1.75 working h; then 1.75 h on 8 Oct');
  t.same(plusDays(cal, '2026-09-30T17:00', 0.5), ['2026-10-08T11:55', false], 'summer afternoon lasts till 17:30 on 30 Sep: 30 min = 35 working min');
  t.same(cal.workingTimeBetween(sh('2026-07-01T00:00'), sh('2026-07-02T00:00')), { ms: W, provisional: false }, 'a summer day measures one working day');
  t.same(cal.workingTimeBetween(sh('2026-07-01T09:00'), sh('2026-07-01T12:00')), { ms: W / 2, provisional: false });
  t.same(cal.workingTimeBetween(sh('2026-07-01T13:00'), sh('2026-07-01T14:30')), { ms: 0, provisional: false }, 'summer lunch');

  // Round trips on a 6 h day are within ⌈7/6⌉ − 1 = 1 working ms, and the deadline stays minimal.
  for (let from = sh('2026-06-29T08:00').getTime(); from < sh('2026-07-03T18:00').getTime(); from += 41 * MINUTE) {
    for (const w of [1, 7, 999, HOUR, 3.5 * HOUR, W, 2 * W + 12_345]) {
      const { at } = cal.addWorkingTime(new Date(from), w);
      const there = cal.workingTimeBetween(new Date(from), at).ms;
      const justBefore = cal.workingTimeBetween(new Date(from), new Date(at.getTime() - 1)).ms;
      if (there < w || there > w + 1 || justBefore >= w) {
        t.fail(`from ${local(new Date(from))} + ${w}: ${local(at)} measures ${there}, 1 ms earlier ${justBefore}`);
        return;
      }
    }
  }
  t.pass('summer round trips within 1 ms and minimal');
});

t.test('a season may wrap over New Year and be longer than the default', async (t) => {
  const winter: OfficeHours = {
    default: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }],
    seasons: [{ from: '11-01', to: '02-28', sessions: [{ start: '08:30', end: '12:00' }, { start: '13:30', end: '18:00' }] }],
  };
  const cal = calendar({ officeHours: winter });
  t.same(plusDays(cal, '2026-12-01T08:30', 0.5), ['2026-12-01T14:00', false], 'half of an 8 h winter day is 4 h');
  t.same(plusDays(cal, '2026-01-05T08:30', 1), ['2026-01-05T18:00', false], 'January is in the wrapped season');
  t.same(plusDays(cal, '2026-03-02T09:00', 0.5), ['2026-03-02T13:30', false], 'March is default again');
  // A longer day than the unit: every round trip is exact.
  for (let from = sh('2026-12-01T07:00').getTime(); from < sh('2026-12-04T19:00').getTime(); from += 29 * MINUTE) {
    for (const w of [1, 7, 999, HOUR, 3.5 * HOUR, W, 2 * W + 12_345]) {
      const { at } = cal.addWorkingTime(new Date(from), w);
      if (cal.workingTimeBetween(new Date(from), at).ms !== w) {
        t.fail(`from ${local(new Date(from))} + ${w}`);
        return;
      }
    }
  }
  t.pass('winter round trips exact');
});

t.test("halfDayRule 'session': 0.5 day ends at the end of the next full session", async (t) => {
  const cal = calendar({ halfDayRule: 'session' });
  t.equal(cal.halfDayRule, 'session');
  t.same(plusDays(cal, '2026-11-27T09:00', 0.5), ['2026-11-27T12:00', false], 'at a session start: that session');
  t.same(plusDays(cal, '2026-11-27T08:00', 0.5), ['2026-11-27T12:00', false], 'before opening: the morning');
  t.same(plusDays(cal, '2026-11-27T11:00', 0.5), ['2026-11-27T17:00', false], 'inside the morning: the afternoon');
  t.same(plusDays(cal, '2026-11-27T12:30', 0.5), ['2026-11-27T17:00', false], 'lunch break: the afternoon');
  t.same(plusDays(cal, '2026-11-27T13:00', 0.5), ['2026-11-27T17:00', false]);
  t.same(plusDays(cal, '2026-11-27T16:30', 0.5), ['2026-11-30T12:00', false], 'Friday afternoon: Monday morning');
  t.same(plusDays(cal, '2026-11-27T17:00', 0.5), ['2026-11-30T12:00', false]);
  t.same(plusDays(cal, '2026-09-30T16:00', 0.5), ['2026-10-08T12:00', false], 'over National Day');
  t.same(plusDays(cal, '2026-02-13T15:00', 0.5), ['2026-02-14T12:00', false], 'make-up Saturday morning');
  t.same(plusDays(cal, '2026-11-27T11:00', 1.5), ['2026-11-30T17:00', false], 'whole days first (Mon 11:00), then the next full session');
  t.same(plusDays(cal, '2026-11-26T09:00', 1), ['2026-11-26T17:00', false], 'whole days are office time as usual');
  t.same(plusDays(cal, '2026-11-26T10:00', 0), ['2026-11-26T10:00', false]);
  t.same(plusDays(cal, '2026-12-31T13:30', 0.5), ['2027-01-01T12:00', true], 'into unknown 2027');
  t.throws(() => cal.addWorkingDays(sh('2026-11-27T09:00'), 0.3), /multiple of 0.5/);
  t.throws(() => cal.addWorkingDays(sh('2026-11-27T09:00'), 1.25), /multiple of 0.5/);

  const summerSessions = calendar({ halfDayRule: 'session', officeHours: summer });
  t.same(plusDays(summerSessions, '2026-07-01T12:30', 0.5), ['2026-07-01T17:30', false], 'seasonal sessions');
});

t.test('office hours are validated at construction', async (t) => {
  const bad = (officeHours: unknown) => () => createWorkingCalendar({ officeHours: officeHours as OfficeHours });
  t.throws(bad({ default: [] }), /at least one session/);
  t.throws(bad({ default: [{ start: '9:00', end: '12:00' }] }), /HH:MM/);
  t.throws(bad({ default: [{ start: '12:00', end: '09:00' }] }), /end after it starts/);
  t.throws(bad({ default: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '17:00' }] }), /in time order without overlap/);
  t.throws(bad({ default: [{ start: '13:00', end: '17:00' }, { start: '09:00', end: '12:00' }] }), /in time order/);
  t.throws(bad({ default: summer.default, seasons: [{ from: '06-31', to: '09-30', sessions: summer.default }] }), /not a real month and day/);
  t.throws(
    bad({
      default: summer.default,
      seasons: [
        { from: '06-01', to: '09-30', sessions: summer.default },
        { from: '09-15', to: '10-31', sessions: summer.default },
      ],
    }),
    /seasons\[1\] overlaps seasons\[0\] on 09-15/,
  );
  t.throws(bad({ default: summer.default, lunch: '12:00' }), z.ZodError, 'unknown keys are refused');
  t.doesNotThrow(bad({ default: [{ start: '00:00', end: '24:00' }] }), 'a 24-hour office is allowed');
  t.doesNotThrow(bad({ default: summer.default, seasons: [{ from: '02-29', to: '02-29', sessions: summer.default }] }), '02-29 is a day');
});

t.test('results survive a JSON round trip (durable timers store them)', async (t) => {
  const r = calendar().addWorkingDays(sh('2026-09-30T16:00'), 3);
  const back = JSON.parse(JSON.stringify(r)) as { at: string; provisional: boolean };
  t.equal(new Date(back.at).getTime(), r.at.getTime());
  t.equal(back.provisional, false);
});
