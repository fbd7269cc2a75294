// `npm run build`: the JavaScript production runs (`node dist/gateway/server.js`, the Docker image).
// tsc compiles contracts/, services/, gateway/ and mocks/ to dist/ (tsconfig.build.json); then the
// files the code reads at run time next to itself are copied: SQL migrations, the shipped
// calendar years; and the pages' browser code is bundled (gateway/web/bundle.ts). Development (`npm start`) and tests run the TypeScript directly.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeWebAssets } from '../gateway/web/bundle.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --out <dir>: build elsewhere than dist/ (the build test does, so it never touches a developer's dist/).
// --project <tsconfig>: another selection of entry points (the benchmark's, tsconfig.bench.json).
const { values } = parseArgs({ options: { out: { type: 'string' }, project: { type: 'string' } } });
const out = values.out ? resolve(values.out) : join(root, 'dist');

/** Directories whose non-TypeScript files are read at run time, relative to the repository. */
export const RUNTIME_FILES = ['gateway/store/migrations', 'gateway/calendar/data', 'scenarios'];

const started = Date.now();
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, values.project ?? 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit', cwd: root });

let copied = 0;
for (const dir of RUNTIME_FILES) {
  const from = join(root, dir);
  if (!existsSync(from)) continue;
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const source = join(path, entry.name);
      if (entry.isDirectory()) walk(source);
      else if (!/\.ts$/.test(entry.name)) {
        cpSync(source, join(out, relative(root, source)));
        copied++;
      }
    }
  };
  walk(from);
}
const assets = await writeWebAssets(root, join(out, 'gateway/web/bundles'));
process.stdout.write(`built ${relative(process.cwd(), out) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s (${copied} run-time files copied, ${assets.length} page bundles)\n`);
