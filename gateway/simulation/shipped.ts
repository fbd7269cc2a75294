// The example scenarios shipped in scenarios/*.json (a normal month, the month after Spring Festival
// 2027, the seal makers at half capacity). Kept apart from the pure modules: it reads files.
// `npm run build` copies scenarios/ next to the compiled gateway (scripts/build.ts RUNTIME_FILES).

import { readFileSync, readdirSync } from 'node:fs';

export const SHIPPED_SCENARIOS_DIR = new URL('../../scenarios/', import.meta.url);

export interface ShippedScenario {
  name: string;
  description: string;
  /** The document as shipped (validate it with parseScenario). */
  document: Record<string, unknown>;
}

/** Every shipped scenario, by file name (without .json), in name order. Throws if one is not JSON. */
export function loadShippedScenarios(): ShippedScenario[] {
  return readdirSync(SHIPPED_SCENARIOS_DIR)
    .filter((name) => /^[a-z0-9-]+\.json$/.test(name))
    .sort()
    .map((file) => {
      const document = JSON.parse(readFileSync(new URL(file, SHIPPED_SCENARIOS_DIR), 'utf8')) as Record<string, unknown>;
      return { name: file.replace(/\.json$/, ''), description: typeof document.description === 'string' ? document.description : '', document };
    });
}

/** A shipped scenario by name, or undefined. Names are looked up, never joined into a path. */
export function shippedScenario(name: string): ShippedScenario | undefined {
  return loadShippedScenarios().find((s) => s.name === name);
}
