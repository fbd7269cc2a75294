// The mock kit's own pieces: the seeded RNG, the identifier generators, the behaviour document.
import t from 'tap';
import { isValidCreditCode, isValidS10TrackingNumber, SANMENXIA_DIVISIONS } from '../../contracts/index.ts';
import {
  generateCreditCode,
  generateRegistrationNumber,
  generateS10TrackingNumber,
  isValidIso7064Mod1110,
  iso7064Mod1110CheckDigit,
  mulberry32,
  pick,
  randomDigits,
  randomInt,
  resolveBehaviour,
} from '../../mocks/kit/index.ts';

t.test('mulberry32 is seeded, uniform enough, and in [0, 1)', async (t) => {
  const a = mulberry32(1);
  const b = mulberry32(1);
  const c = mulberry32(2);
  const xs = Array.from({ length: 1000 }, () => a());
  t.same(xs.slice(0, 10), Array.from({ length: 10 }, () => b()), 'same seed, same sequence');
  t.not(xs[0], c(), 'another seed, another sequence');
  t.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  t.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean.toFixed(3)}`);
  const random = mulberry32(3);
  const ints = Array.from({ length: 500 }, () => randomInt(random, 3, 5));
  t.same([...new Set(ints)].sort(), [3, 4, 5], 'randomInt covers both bounds');
  t.throws(() => pick(random, []));
  t.match(randomDigits(random, 12), /^[1-9]\d{11}$/);
  t.equal(randomDigits(random, 0), '');
});

t.test('generated credit codes are always valid and carry the division', async (t) => {
  const random = mulberry32(11);
  let invalid = 0;
  for (const division of Object.keys(SANMENXIA_DIVISIONS)) {
    for (let i = 0; i < 500; i++) {
      const code = generateCreditCode(random, { divisionCode: division });
      if (!isValidCreditCode(code) || code.slice(2, 8) !== division || !code.startsWith('91')) invalid++;
    }
  }
  t.equal(invalid, 0, '3500 codes, all valid');
  t.ok(isValidCreditCode(generateCreditCode(random, { divisionCode: '411200', authority: '5', category: '2' })), 'another authority and category');
  t.throws(() => generateCreditCode(random, { divisionCode: '4112' }), RangeError);
});

t.test('ISO 7064 MOD 11,10 registration numbers', async (t) => {
  const random = mulberry32(5);
  for (let i = 0; i < 100; i++) {
    const n = generateRegistrationNumber(random, '411202');
    t.match(n, /^411202\d{9}$/);
    t.ok(isValidIso7064Mod1110(n));
  }
  // MOD 11,10 catches every single-digit error.
  const n = generateRegistrationNumber(random, '411203');
  let missed = 0;
  for (let i = 0; i < 15; i++) {
    for (const d of '0123456789') if (d !== n[i] && isValidIso7064Mod1110(n.slice(0, i) + d + n.slice(i + 1))) missed++;
  }
  t.equal(missed, 0);
  t.equal(iso7064Mod1110CheckDigit(''), 1, 'the empty body');
  t.notOk(isValidIso7064Mod1110('4'));
});

t.test('S10 tracking numbers', async (t) => {
  const random = mulberry32(8);
  for (let i = 0; i < 200; i++) t.ok(isValidS10TrackingNumber(generateS10TrackingNumber(random)));
  t.match(generateS10TrackingNumber(random, 'RR'), /^RR\d{9}CN$/);
  t.throws(() => generateS10TrackingNumber(random, 'R1'), RangeError);
});

t.test('resolveBehaviour applies defaults and the step mode', async (t) => {
  t.equal(resolveBehaviour(undefined, 'async').mode, 'async');
  t.equal(resolveBehaviour({ mode: 'sync' }, 'async').mode, 'sync');
  t.same(resolveBehaviour({ capacity: { perWindow: 3, windowMs: 1000 } }, 'sync').capacity, { perWindow: 3, windowMs: 1000 });
  t.throws(() => resolveBehaviour({ latencyMs: { min: 2, max: 1 } }, 'sync'));
});
