// toIso: every stored time in Date#toISOString()'s form. Times already in that form skip the parse
// (a fast path); the property is that the answer is exactly what the parse would give.

import fc from 'fast-check';
import t from 'tap';
import { toIso } from '../../gateway/store/common.ts';

const two = (n: number) => String(n).padStart(2, '0');

t.test('a time in toISOString form, any day 01–31 of any month: the same answer as the parse', async (t) => {
  fc.assert(
    fc.property(
      fc.record({
        year: fc.integer({ min: 0, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        ms: fc.integer({ min: 0, max: 999 }),
      }),
      ({ year, month, day, hour, minute, second, ms }) => {
        const text = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${String(ms).padStart(3, '0')}Z`;
        return toIso(text) === new Date(text).toISOString();
      },
    ),
    { numRuns: 5_000 },
  );
  t.pass('5,000 times agree');
});

t.test('other forms are normalised; impossible dates roll over as before; non-times are refused', async (t) => {
  t.equal(toIso('2026-01-05T09:00:00+08:00'), '2026-01-05T01:00:00.000Z', 'an offset');
  t.equal(toIso('2026-01-05T01:00:00Z'), '2026-01-05T01:00:00.000Z', 'no milliseconds');
  t.equal(toIso('2026-02-30T00:00:00.000Z'), '2026-03-02T00:00:00.000Z', '30 February');
  t.equal(toIso('2026-02-29T23:00:00.000Z'), '2026-03-01T23:00:00.000Z', '29 February of a common year');
  t.equal(toIso(new Date(Date.UTC(2026, 0, 5))), '2026-01-05T00:00:00.000Z', 'a Date');
  t.throws(() => toIso('2026-01-01T23:59:60.000Z'), RangeError, 'a leap second is not a time JavaScript knows');
  t.throws(() => toIso('tomorrow'), RangeError);
});
