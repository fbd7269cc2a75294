// Small helpers shared by the end-to-end and API tests: signed department requests and reading
// Prometheus metrics.
import { DEPARTMENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback, type StepId } from '../../contracts/index.ts';
import type { Harness } from '../support/harness.ts';

/** Unix seconds of the harness clock (the gateway checks skew against it). */
export const unixNow = (h: Harness): number => Math.floor(h.clock.now().getTime() / 1000);

/** Headers of a department request signed by `as` over `signed` (the raw body, or the path of a GET). */
export function signedHeaders(h: Harness, as: StepId, signed: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  const ts = String(options.timestamp ?? unixNow(h));
  return {
    [DEPARTMENT_HEADER]: as,
    [TIMESTAMP_HEADER]: ts,
    [SIGNATURE_HEADER]: signCallback(options.secret ?? h.secrets[as], ts, signed),
  };
}

/** POSTs a callback for `step`, signed by `as` (default: the step's own department). */
export async function sendCallback(h: Harness, step: StepId, body: Record<string, unknown>, options: { as?: StepId; secret?: string; timestamp?: number } = {}) {
  const raw = JSON.stringify(body);
  return h.http('POST', `/v1/departments/${step}/callbacks`, raw, signedHeaders(h, options.as ?? step, raw, options));
}

/**
 * The value of one Prometheus sample: `name` with (at least) `labels`; summed over the samples that
 * match, 0 when none does.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[3]);
  }
  return total;
}

export async function metrics(h: Harness): Promise<string> {
  return (await h.http('GET', '/metrics')).text;
}
