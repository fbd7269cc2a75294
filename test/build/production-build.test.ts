// Production runs compiled JavaScript: `npm run build` produces a dist/ that starts with plain node
// (no tsx), finds its migrations and calendar data, serves the API and shuts down cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { request } from 'undici';
import { CORE_STEP_IDS } from '../../contracts/index.ts';
import { WEB_ENTRIES } from '../../gateway/web/bundle.ts';
import { freePort } from '../support/net.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

t.test('npm run build → node dist/gateway/server.js serves and stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'dist');
  // The image's layout: dist/ next to node_modules/ (production dependencies only there).
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const build = spawn(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let buildOutput = '';
  build.stdout.on('data', (c: Buffer) => (buildOutput += c));
  build.stderr.on('data', (c: Buffer) => (buildOutput += c));
  const buildCode = await new Promise<number | null>((resolve) => build.on('exit', resolve));
  t.equal(buildCode, 0, `the build succeeds${buildCode === 0 ? '' : `:\n${buildOutput}`}`);

  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', SQLITE_FILE: join(dir, 'gateway.db'), LOG_LEVEL: 'info' };
  for (const step of CORE_STEP_IDS) {
    const prefix = `DEPT_${step.toUpperCase().replace(/-/g, '_')}`;
    env[`${prefix}_URL`] = `http://127.0.0.1:9/${step}`;
    env[`${prefix}_SECRET`] = `production-build-test-secret-${step}`;
  }
  // Production fails closed: it needs its credentials (docs/security.md).
  Object.assign(env, {
    OPS_ADMIN_TOKEN: 'production-build-test-admin-token-0123456789',
    IDENTITY_KEY: 'production-build-test-identity-key-0123456789abcdef',
    SMS_URL: 'http://127.0.0.1:9/sms',
    SMS_SECRET: 'production-build-test-sms-secret-0123456789',
  });
  // Plain node: no tsx loader, no TypeScript.
  const server = spawn(process.execPath, [join(out, 'gateway/server.js')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  server.stdout.on('data', (c: Buffer) => (logs += c));
  server.stderr.on('data', (c: Buffer) => (logs += c));
  const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
  t.teardown(() => void server.kill('SIGKILL'));

  const base = `http://127.0.0.1:${port}`;
  let ready = 0;
  for (let i = 0; i < 200 && ready !== 200; i++) {
    ready = await request(`${base}/ready`).then(
      async (r) => (await r.body.dump(), r.statusCode),
      () => 0,
    );
    if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(ready, 200, `the compiled gateway becomes ready (migrations and calendar data found)\n${logs.slice(-2000)}`);
  const openapi = await request(`${base}/openapi.json`);
  t.equal(openapi.statusCode, 200);
  t.ok(((await openapi.body.json()) as { paths: Record<string, unknown> }).paths['/v1/applications'], 'the API is served');
  const deadline = await request(`${base}/v1/calendar/deadline?from=${encodeURIComponent('2026-09-30T16:00:00+08:00')}&workingDays=1`);
  t.match(await deadline.body.json(), { deadline: '2026-10-08T08:00:00.000Z', provisional: false }, 'the shipped 2026 schedule was loaded (1–7 October skipped)');
  for (const entry of WEB_ENTRIES) {
    const asset = await request(`${base}/assets/${entry.name}`);
    const text = await asset.body.text();
    t.equal(asset.statusCode, 200, `${entry.name}: the prebuilt bundle is served`);
    t.ok(text.length > 0, `${entry.name}: not empty`);
  }

  server.kill('SIGTERM');
  t.equal(await exited, 0, 'a graceful stop exits 0');
});

t.test('the Docker image, npm run start:prod and the benchmark run the gateway with one V8 heap ceiling', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { PRODUCTION_NODE_ARGS } = await import('../../bench/gateway-handle.ts');
  const flag = /--max-old-space-size=\d+/.exec(PRODUCTION_NODE_ARGS)?.[0];
  t.ok(flag, `the benchmark's production flags carry a heap ceiling (${PRODUCTION_NODE_ARGS})`);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  t.match(dockerfile, new RegExp(`NODE_OPTIONS=${flag}\\b`), 'the image sets the same ceiling in NODE_OPTIONS');
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  t.match(scripts['start:prod'], new RegExp(`^node ${flag} dist/gateway/server\\.js$`), 'npm run start:prod sets the same ceiling');
});
