// All time goes through one injectable clock (docs/design.md "Time"). Production uses the wall clock;
// tests use a fake one and move it on explicitly, so three working days pass in milliseconds.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface FakeClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): Date;
}

export function createFakeClock(start: Date | string): FakeClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
      return new Date(current);
    },
  };
}
