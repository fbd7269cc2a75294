// retryDelayMs is pure: exponential backoff with full jitter, Retry-After as a floor.

import t from 'tap';
import { parseRetryAfter, retryDelayMs } from '../../services/index.ts';

const policy = { baseMs: 1000, maxMs: 60_000 };

function sample(attempt: number, retryAfterMs: number | null, n = 2000): number[] {
  return Array.from({ length: n }, () => retryDelayMs(attempt, retryAfterMs, policy));
}

t.test('attempt n draws from [0, min(max, base · 2^(n−1)))', async (t) => {
  for (const [attempt, ceiling] of [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
    [5000, 60_000],
  ] as const) {
    const delays = sample(attempt, null);
    t.ok(delays.every((d) => Number.isInteger(d) && d >= 0 && d < ceiling), `attempt ${attempt} within [0, ${ceiling})`);
    // Full jitter spreads over the whole range (a thundering herd of retries is the thing to avoid).
    t.ok(Math.max(...delays) > ceiling * 0.9 && Math.min(...delays) < ceiling * 0.1, `attempt ${attempt} spread`);
  }
});

t.test('attempt numbers below 1 count as the first attempt', async (t) => {
  t.ok(sample(0, null).every((d) => d < 1000));
  t.ok(sample(-3, null).every((d) => d < 1000));
});

t.test('Retry-After is a floor, even above maxMs', async (t) => {
  t.ok(sample(1, 5000).every((d) => d === 5000), 'above the jitter ceiling: exactly Retry-After');
  t.ok(sample(10, 30_000).every((d) => d >= 30_000 && d < 60_000), 'below the ceiling: at least Retry-After');
  t.ok(sample(3, 120_000).every((d) => d === 120_000), 'above maxMs: still honoured');
  t.ok(sample(2, 0).every((d) => d >= 0 && d < 2000));
});

t.test('parseRetryAfter reads delay-seconds and HTTP-dates', async (t) => {
  const now = Date.parse('2026-03-02T02:00:00Z');
  t.equal(parseRetryAfter('120', now), 120_000);
  t.equal(parseRetryAfter(' 0 ', now), 0);
  t.equal(parseRetryAfter('Mon, 02 Mar 2026 02:00:30 GMT', now), 30_000);
  t.equal(parseRetryAfter('Mon, 02 Mar 2026 01:00:00 GMT', now), 0, 'a date in the past means now');
  t.equal(parseRetryAfter(['5', '9'], now), 5000);
  t.equal(parseRetryAfter(undefined, now), null);
  t.equal(parseRetryAfter('', now), null);
  t.equal(parseRetryAfter('soon', now), null);
  t.equal(parseRetryAfter('-5', now), null);
});
