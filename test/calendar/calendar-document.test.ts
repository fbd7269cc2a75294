// The document ops upload with PUT /v1/ops/calendar/{year}: every refusal names the date and the fix.
import t from 'tap';
import type { Test } from 'tap';
import { CalendarYearDocument } from '../../gateway/calendar/index.ts';
import { makeYear } from './helpers.ts';

const valid = () => makeYear(2027, ['2027-01-01', '2027-01-02', '2027-01-03'], ['2027-01-09'], '元旦');

/** The issues of a refused document as "path: message". */
function issues(doc: unknown): string[] {
  const r = CalendarYearDocument.safeParse(doc);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Asserts the document is refused with exactly one issue, matching `pattern`. */
function refusedWith(t: Test, doc: unknown, pattern: RegExp, message?: string): void {
  const list = issues(doc);
  t.equal(list.length, 1, `one issue: ${list.join(' | ')}`);
  t.match(list[0] ?? '', pattern, message ?? 'the issue says what to fix');
}

t.test('a valid document passes unchanged', async (t) => {
  const doc = valid();
  t.same(CalendarYearDocument.parse(doc), doc);
  t.same(issues({ ...doc, workdays: [] }), [], 'a year may have no make-up workdays');
  t.same(CalendarYearDocument.parse({ ...doc, source: '  国办发明电  ' }).source, '国办发明电', 'trimmed');
});

t.test('dates must be real dates of the document year', async (t) => {
  const doc = valid();
  doc.holidays[0]!.date = '2026-12-31';
  refusedWith(t, doc, /^holidays\.0\.date: 2026-12-31 is not in 2027; .*put this date in the 2026 document/);

  doc.holidays[0]!.date = '2027-02-30';
  refusedWith(t, doc, /^holidays\.0\.date: 2027-02-30 is not a real calendar date/);

  doc.holidays[0]!.date = '2027/01/01';
  refusedWith(t, doc, /^holidays\.0\.date: date must be written YYYY-MM-DD/);

  doc.holidays[0]!.date = '2027-1-1';
  refusedWith(t, doc, /YYYY-MM-DD/);
});

t.test('workdays are weekend days only', async (t) => {
  const doc = valid();
  doc.workdays.push({ date: '2027-01-04', name: '元旦调休' });
  refusedWith(t, doc, /^workdays\.1\.date: 2027-01-04 is a Monday; workdays lists only the Saturdays and Sundays/);
});

t.test('no duplicates, no day in both lists', async (t) => {
  const dup = valid();
  dup.holidays.push({ date: '2027-01-02', name: '元旦' });
  refusedWith(t, dup, /^holidays\.3\.date: 2027-01-02 is listed twice in holidays \(first at holidays\[1\]\); list each day once/);

  const dupWork = valid();
  dupWork.workdays.push({ date: '2027-01-09', name: '元旦调休' });
  refusedWith(t, dupWork, /^workdays\.1\.date: 2027-01-09 is listed twice in workdays \(first at workdays\[0\]\)/);

  const both = valid();
  both.workdays.push({ date: '2027-01-02', name: '元旦调休' });
  refusedWith(t, both, /^workdays\.1\.date: 2027-01-02 is in both holidays and workdays \(first at holidays\[1\]\); a day is either off or worked/);
});

t.test('every problem is reported at once', async (t) => {
  const doc = valid();
  doc.holidays.push({ date: '2026-10-01', name: '国庆节' }, { date: '2027-01-01', name: '元旦' });
  doc.workdays.push({ date: '2027-01-05', name: 'x' });
  t.equal(issues(doc).length, 3);
});

t.test('shape: year, source, names, unknown keys', async (t) => {
  refusedWith(t, { ...valid(), year: 2027.5 }, /^year: year must be a whole number/);
  refusedWith(t, { ...valid(), year: '2027' }, /^year: year must be a number/);
  refusedWith(t, { ...valid(), year: 1999 }, /^year: year must be between 2000 and 2100/);
  refusedWith(t, { ...valid(), source: ' ' }, /^source: source is required: cite the notice/);
  refusedWith(t, { ...valid(), holidays: [] }, /^holidays: holidays is empty: list every day off/);
  refusedWith(t, { ...valid(), holidays: [{ date: '2027-01-01', name: '' }] }, /^holidays\.0\.name: name is required/);
  refusedWith(t, { ...valid(), holidays: [{ date: '2027-01-01' }] }, /^holidays\.0\.name: name is required/);
  refusedWith(t, { ...valid(), holidays: [{ name: '元旦' }] }, /^holidays\.0\.date: date is required/);
  refusedWith(t, { ...valid(), holidays: ['2027-01-01'] }, /^holidays\.0: expected an object with "date" and "name"/);
  refusedWith(t, { ...valid(), comment: 'x' }, /^: unknown field "comment": only "year", "source", "holidays" and "workdays" are allowed/, 'typos do not pass silently');
  refusedWith(t, { ...valid(), holidays: [{ date: '2027-01-01', name: '元旦', kind: 'off' }] }, /^holidays\.0: unknown field "kind"/);
  const { source: _source, ...noSource } = valid();
  refusedWith(t, noSource, /^source: source is required/);
  const { workdays: _workdays, ...noWorkdays } = valid();
  refusedWith(t, noWorkdays, /^workdays: workdays is required/);
  refusedWith(t, 'hello', /^: expected an object with "year"/);
});

t.test('the schema carries an OpenAPI id', async (t) => {
  t.equal(CalendarYearDocument.meta()?.id, 'CalendarYearDocument');
});
