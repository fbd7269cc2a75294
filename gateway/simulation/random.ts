// Deterministic randomness for the simulator: every draw comes from a stream named by what it is for
// (the arrivals; one job's service time; one call's fault …), seeded by the scenario's seed and that
// name. So a run is a function of the scenario and its seed, and — what capacity advice relies on —
// changing one department's capacity changes WHEN jobs run but not how long each one takes or whether
// it is rejected (common random numbers): two runs differ only by what was changed.

import type { SimulationDistribution } from '../../contracts/index.ts';

export type Random = () => number;

/** 32-bit FNV-1a of the parts, finished with a murmur3 avalanche: a seed per stream name. */
export function hash32(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${part}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, and good enough for queueing draws; uniform in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The stream of `name` under `seed`. */
export const stream = (seed: number, ...name: ReadonlyArray<string | number>): Random => mulberry32(hash32(seed, ...name));

/** One uniform draw in [0, 1) from the stream of `name` (for a single decision). */
export const draw = (seed: number, ...name: ReadonlyArray<string | number>): number => stream(seed, ...name)();

/** z of the 90th percentile of the standard normal distribution. */
export const Z90 = 1.2815515655446004;

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u1 = 1 - random(); // (0, 1]: log(0) never happens
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** An exponential draw with this mean. */
export const exponential = (random: Random, mean: number): number => -Math.log(1 - random()) * mean;

/** μ and σ of the normal behind a lognormal with this median and 90th percentile. */
export function lognormalParameters(median: number, p90: number): { mu: number; sigma: number } {
  return { mu: Math.log(median), sigma: (Math.log(p90) - Math.log(median)) / Z90 };
}

/** Minutes drawn from a scenario distribution. */
export function sampleMinutes(distribution: SimulationDistribution, random: Random): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.minutes;
    case 'exponential':
      return exponential(random, distribution.meanMinutes);
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(distribution.medianMinutes, distribution.p90Minutes);
      return Math.exp(mu + sigma * normal(random));
    }
    case 'empirical':
      return distribution.minutes[Math.min(distribution.minutes.length - 1, Math.floor(random() * distribution.minutes.length))]!;
  }
}

/** The mean of a distribution, in minutes (for the expected load of a scenario). */
export function meanMinutes(distribution: SimulationDistribution): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.minutes;
    case 'exponential':
      return distribution.meanMinutes;
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(distribution.medianMinutes, distribution.p90Minutes);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'empirical':
      return distribution.minutes.reduce((a, b) => a + b, 0) / distribution.minutes.length;
  }
}
