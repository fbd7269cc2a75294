// Streaming statistics with memory bounded by the range of values, not by how many there are: a month
// of 3,000 applications or a year of 40,000 keeps the same few thousand buckets.

/** Durations counted in buckets of `binMs` (the report rounds hours to 0.01 h = 36 s: the same bucket). */
export class Histogram {
  private readonly bins = new Map<number, number>();
  private total = 0;
  private sum = 0;
  private maximum = 0;

  constructor(private readonly binMs: number) {}

  add(ms: number): void {
    const bin = Math.round(ms / this.binMs);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1);
    this.total++;
    this.sum += ms;
    if (ms > this.maximum) this.maximum = ms;
  }

  get count(): number {
    return this.total;
  }

  mean(): number | null {
    return this.total === 0 ? null : this.sum / this.total;
  }

  max(): number | null {
    return this.total === 0 ? null : this.maximum;
  }

  /** Nearest-rank percentile (p in 0..1), as gateway/sla/reports.ts computes it; null when empty. */
  percentile(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.min(this.total, Math.max(1, Math.ceil(p * this.total)));
    let seen = 0;
    for (const bin of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(bin)!;
      if (seen >= rank) return bin * this.binMs;
    }
    return this.maximum;
  }
}

export const round2 = (n: number | null): number | null => (n === null ? null : Math.round(n * 100) / 100);
export const HOUR_MS = 3_600_000;
export const hours = (ms: number | null): number | null => (ms === null ? null : round2(ms / HOUR_MS));
export const percent = (part: number, whole: number): number | null => (whole === 0 ? null : round2((part / whole) * 100));
