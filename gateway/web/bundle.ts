// The browser code of the gateway's pages, bundled with esbuild.
//
// Every page script or style sheet is an entry in WEB_ENTRIES: an output file name (served at
// /assets/<name>) and its source (TypeScript, JavaScript or CSS, relative to the repository). Page code
// may import contract modules directly (contracts/application.ts …, never contracts/index.ts, which
// re-exports node:crypto helpers a browser cannot load); esbuild bundles, minifies and tree-shakes
// them, so the page validates with the same zod schemas as the API.
//
// When: development and tests build in memory, once per process, at the first gateway start;
// production (`npm run build`, scripts/build.ts) writes the bundles to dist/gateway/web/bundles/ with
// a manifest, and the compiled gateway reads them from there (esbuild is not needed at run time).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebEntry {
  /** Served at /assets/<name>: `<page>.js` or `<page>.css`. */
  name: string;
  /** The source, relative to the repository root. */
  source: string;
}

/** Every bundled file the pages load. Add a page's entries here (one source of truth for build and serve). */
export const WEB_ENTRIES: readonly WebEntry[] = [
  { name: 'console.js', source: 'gateway/web/console/main.ts' },
  { name: 'console.css', source: 'gateway/web/console/console.css' },
  { name: 'simulation.js', source: 'gateway/web/simulation/main.ts' },
  { name: 'simulation.css', source: 'gateway/web/simulation/simulation.css' },
  { name: 'portal.js', source: 'gateway/web/portal/main.ts' },
  { name: 'portal.css', source: 'gateway/web/portal/portal.css' },
];

/** One bundled file, ready to serve. */
export interface WebAsset {
  name: string;
  contentType: string;
  content: Buffer;
}

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };
const contentTypeOf = (name: string) => CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';

const here = dirname(fileURLToPath(import.meta.url));
/** Where `npm run build` puts the bundles, next to the compiled module (absent in development). */
const PREBUILT = join(here, 'bundles');
const MANIFEST = 'manifest.json';

/**
 * Bundles every entry with esbuild (in memory). `root` is the repository (sources are resolved from
 * it). The browsers we serve are the government's baseline: evergreen Chromium, Firefox, Safari 15+.
 */
export async function buildWebAssets(root: string, options: { minify?: boolean } = {}): Promise<WebAsset[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: WEB_ENTRIES.map((entry) => ({ in: entry.source, out: entry.name.replace(/\.(js|css)$/, '') })),
    outdir: 'out',
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: options.minify ?? true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    plugins: [zodEnglishOnly],
  });
  const byName = new Map(result.outputFiles.map((file) => [relative(join(root, 'out'), file.path), Buffer.from(file.contents)]));
  return WEB_ENTRIES.map((entry) => {
    const content = byName.get(entry.name);
    if (!content) throw new Error(`web bundle: esbuild produced no ${entry.name} (from ${entry.source})`);
    return { name: entry.name, contentType: contentTypeOf(entry.name), content };
  });
}

/**
 * zod's namespace re-exports its ~40 error-message locales (z.locales), which a page never uses: our
 * messages come from contracts/messages.ts. Only English, zod's default, is kept (−150 KB unzipped).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { importer: string }) => { path: string; namespace: string } | undefined): void; onLoad(options: { filter: RegExp; namespace: string }, callback: () => { contents: string; resolveDir: string }): void }) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: args.importer, namespace: 'zod-locales' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({ contents: `export { default as en } from 'zod/v4/locales/en.js';`, resolveDir: here }));
  },
};

/** Writes the bundles and their manifest to `dir` (npm run build). */
export async function writeWebAssets(root: string, dir: string): Promise<WebAsset[]> {
  const assets = await buildWebAssets(root);
  mkdirSync(dir, { recursive: true });
  for (const asset of assets) writeFileSync(join(dir, asset.name), asset.content);
  writeFileSync(join(dir, MANIFEST), JSON.stringify(assets.map((a) => a.name)));
  return assets;
}

let inMemory: Promise<WebAsset[]> | undefined;

/**
 * The page assets this process serves: the prebuilt files when the gateway runs compiled, otherwise
 * built once in memory from the sources (the repository root is two levels above this file).
 */
export function loadWebAssets(): Promise<WebAsset[]> {
  if (existsSync(join(PREBUILT, MANIFEST))) {
    const names = JSON.parse(readFileSync(join(PREBUILT, MANIFEST), 'utf8')) as string[];
    return Promise.resolve(names.map((name) => ({ name, contentType: contentTypeOf(name), content: readFileSync(join(PREBUILT, name)) })));
  }
  inMemory ??= buildWebAssets(join(here, '..', '..')).catch((error: unknown) => {
    inMemory = undefined; // a syntax error fixed in development must not need a restart of the test runner
    throw error;
  });
  return inMemory;
}
