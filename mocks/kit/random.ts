// Seedable randomness, so a test that fails once fails the same way every time.

/** A source of uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit-state PRNG, tiny and good enough for test data (not for secrets).
 * https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [min, max] (both inclusive). */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, list: readonly T[]): T {
  if (list.length === 0) throw new RangeError('pick() needs a non-empty list');
  return list[randomInt(random, 0, list.length - 1)]!;
}

/** `length` characters drawn from `alphabet`. */
export function randomChars(random: Random, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(random, 0, alphabet.length - 1)];
  return out;
}

/** `length` decimal digits; the first is never 0 (account and invoice numbers do not start with 0). */
export function randomDigits(random: Random, length: number): string {
  if (length <= 0) return '';
  return randomChars(random, '123456789', 1) + randomChars(random, '0123456789', length - 1);
}
