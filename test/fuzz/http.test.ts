// Property-based fuzzing of the HTTP surface (fast-check), on BOTH stores at once: the same
// generated request goes to a gateway on SQLite and to one on PostgreSQL, and for every request
//
//   - no answer is a 5xx,
//   - a 4xx stores nothing (applications, events, pending effects, the seeded applications' revisions),
//   - both stores give the same status and the same error code.
//
// The routes are read from the app's own OpenAPI document, so a route added later is fuzzed without
// editing this file: every operation with a JSON body gets generated bodies, and every header the
// gateway reads (those the routes document, plus the cross-cutting ones listed below) gets generated
// values. Inputs are nasty on purpose: deep nesting, lone surrogates, NUL, format characters,
// prototype keys, huge numbers, invalid UTF-8, wrong types, content-type variants, and near-valid
// documents made by mutating a valid one (test/fixtures/application.ts).
//
// FUZZ_RUNS (default 2000): bodies per JSON route, and requests in the header run (each carrying a
// generated value for every header, so every header gets FUZZ_RUNS values); FUZZ_SEED replays a run. app.inject()
// keeps it fast: the network adds nothing here (test/api/hostile-input.test.ts covers the socket).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import t from 'tap';
import { CORE_STEP_IDS, DEPARTMENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback } from '../../contracts/index.ts';
import { createPostgresStore, createSqliteStore, type Store } from '../../gateway/store/index.ts';
import { makeApplication } from '../fixtures/application.ts';
import { sendCallback } from '../e2e/helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { createTestDatabase, getTestPostgres } from '../support/postgres.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
const FAKE_NOW = '2026-11-30T09:00:00+08:00';
// The default run takes one to two minutes here (more on a busy machine); a long run takes what it takes.
t.setTimeout(Math.max(600_000, RUNS * 200));
t.comment(`fuzz: ${RUNS} bodies per JSON route and ${RUNS} requests with a value for every header, seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

// ── two gateways, one per store, in the same state ──────────────────────────────────────────────

const server = await getTestPostgres();
const database = await createTestDatabase(server.url);
// Gateways first, then their database and server.
const cleanups: Array<() => unknown> = [];
const scope = { teardown: (fn: () => unknown) => void cleanups.push(fn) };
const directory = mkdtempSync(join(tmpdir(), 'qlt-fuzz-'));
t.teardown(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await database.drop();
  await server.stop();
  rmSync(directory, { recursive: true, force: true });
});

interface Target {
  name: 'sqlite' | 'postgres';
  h: Harness;
  /** The seeded applications: one waiting on an accepted department request, one withdrawn. */
  live: string;
  gone: string;
  /** Writes the store committed (counted at the Store interface: created, applied, calendar put, callback remembered). */
  writes: { count: number };
  /** Row counts of every table, in one query (schema-independent: the tables are listed, not named here). */
  rows(): Promise<string>;
  footprint: string;
}

/** Counts the writes a store commits, at its interface: a refused request must cause none. */
function countingWrites(store: Store, writes: { count: number }): Store {
  const counted = Object.create(store) as Store;
  counted.createApplication = async (app, first) => {
    const result = await store.createApplication(app, first);
    if (result.created) writes.count++;
    return result;
  };
  counted.apply = async (id, options, decide) => {
    const outcome = await store.apply(id, options, decide);
    if (outcome.applied) writes.count++;
    return outcome;
  };
  counted.putCalendarYear = async (year, document, at, options) => {
    const result = await store.putCalendarYear(year, document, at, options);
    writes.count++;
    return result;
  };
  return counted;
}

async function rowCounter(name: Target['name'], sqliteFile: string, schema: string): Promise<{ rows: () => Promise<string>; close: () => Promise<void> }> {
  if (name === 'sqlite') {
    const db = new Database(sqliteFile, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    const count = db.prepare(`SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}")`).join(', ')}`).raw();
    return { rows: async () => JSON.stringify(count.get()), close: async () => void db.close() };
  }
  const client = new pg.Client({ connectionString: database.url, options: `-c search_path=${schema}` });
  await client.connect();
  const tables = (await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])).rows.map((r) => r.table_name);
  const sql = `SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}")`).join(', ')}`;
  return { rows: async () => JSON.stringify((await client.query({ text: sql, rowMode: 'array' })).rows[0]), close: () => client.end() };
}

async function startTarget(name: Target['name']): Promise<Target> {
  // The harness makes the fake clock; the store is made before it and reads it once it exists.
  const clock: { current?: { now(): Date } } = {};
  const writes = { count: 0 };
  const schema = `fuzz_${process.pid}`;
  const sqliteFile = join(directory, 'fuzz.db');
  const now = () => clock.current?.now() ?? new Date();
  const base = name === 'postgres' ? createPostgresStore({ connectionString: database.url, schema, now }) : createSqliteStore({ file: sqliteFile, now });
  const h = await startHarness(scope, {
    fakeClockAt: FAKE_NOW,
    // The licence department accepts and never calls back during the run: callbacks can match a request.
    behaviour: { 'business-licence': { mode: 'async', callbackDelayMs: 3_600_000 } },
    store: countingWrites(base, writes),
  });
  clock.current = h.clock;
  const live = String((await h.submit()).body.id);
  await h.settle({ skip: ['business-licence'] });
  const gone = String((await h.submit({ companyName: '三门峡撤回示范科技有限公司' })).body.id);
  // Withdrawal is allowed once the licence office has asked for a correction (not while it may issue).
  await h.settle({ skip: ['business-licence'] });
  const rejected = await sendCallback(h, 'business-licence', {
    eventId: 'fuzz-seed-rejection',
    applicationId: gone,
    idempotencyKey: `${gone}:business-licence:1`,
    reference: 'FUZZ-SEED',
    outcome: 'rejected',
    reasons: [{ path: 'companyName', message: '名称重复' }],
  });
  if (rejected.status !== 200) throw new Error(`seeding: rejection answered ${rejected.status} ${rejected.text}`);
  const withdrawn = await h.http('POST', `/v1/applications/${gone}/withdrawal`, {});
  if (withdrawn.status !== 200) throw new Error(`seeding: withdrawal answered ${withdrawn.status}`);
  const counter = await rowCounter(name, sqliteFile, schema);
  scope.teardown(counter.close);
  const target: Target = { name, h, live, gone, writes, rows: counter.rows, footprint: '' };
  target.footprint = await footprint(target);
  return target;
}

/** What a refused request must not change: committed writes, and the rows of every table. */
async function footprint(target: Target): Promise<string> {
  return `${target.writes.count}|${await target.rows()}`;
}

const targets = [await startTarget('sqlite'), await startTarget('postgres')];

// ── the routes, from the OpenAPI document ───────────────────────────────────────────────────────

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  headers: string[];
}
const doc = targets[0]!.h.gateway.app.swagger() as { paths: Record<string, Record<string, { requestBody?: unknown; parameters?: Array<{ in: string; name: string }> }>> };
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: op.requestBody !== undefined, headers: (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()) })),
);
// Ops routes first: an accepted calendar PUT re-plans every open application, which costs per open
// application, and the applicant routes' accepted bodies add applications as the run goes on.
const jsonRoutes = operations.filter((o) => o.hasBody).sort((a, b) => Number(!a.path.startsWith('/v1/ops/')) - Number(!b.path.startsWith('/v1/ops/')));
/** Headers the gateway reads on every route, beyond those the routes document. */
const CROSS_CUTTING_HEADERS = ['accept-language', 'authorization', 'x-request-id', 'content-type', 'origin', 'if-none-match'];
const headerNames = [...new Set([...operations.flatMap((o) => o.headers), ...CROSS_CUTTING_HEADERS])];
// The budget grows with the routes (each is fuzzed on both stores): on a loaded machine one route
// has taken 90 s, so a fixed 600 s for the whole file, or tap's 120 s per route, is not enough.
const ROUTE_TIMEOUT_MS = Math.max(120_000, RUNS * 150);
t.setTimeout(Math.max(600_000, RUNS * 200, jsonRoutes.length * ROUTE_TIMEOUT_MS));
t.comment(`fuzzing ${jsonRoutes.length} JSON routes (${jsonRoutes.map((o) => `${o.method} ${o.path}`).join(', ')}) and ${headerNames.length} headers (${headerNames.join(', ')})`);

// ── generators ──────────────────────────────────────────────────────────────────────────────────

const NASTY = [
  '\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u00a0', '\u00ad', '\u200b', '\u200c', '\u200d', '\u2028', '\u2029', '\u202a', '\u202e',
  '\u2060', '\u2066', '\u2069', '\u3000', '\u3164', '\ufe0f', '\ufeff', '\ufffd', '\ufffe', '\uffff', '\ue000', '\ud83d', '\ude00', '\ud800',
  '\udfff', '😀', '𠀀', '\u{e0041}', '１', 'Ｘ', 'x', 'X', '张', '·', '•', '"', '\\', '/', '<', '>', '&', '%', '\n', '\r', '\t', ' ', 'é', 'e\u0301',
];
const char = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);
const text = fc.oneof(
  { weight: 6, arbitrary: fc.array(char, { maxLength: 30 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '__proto__', 'constructor', 'toString', 'null', '1e400', 'NaN', '-0', '9'.repeat(400), '2026-13', 'ICBC', 'SM0001', '411202198506123014', '１３８３８８００００１') },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map((n) => '软'.repeat(n)) },
);
const key = fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'kind', 'method', 'fields'));
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1.5, 1e12, 1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324));
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries) => {
      // Defined, not assigned: a "__proto__" key must be an own property, as JSON.parse makes it.
      const object: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  ),
})).value;

/** Number literals JSON.parse reads but a JavaScript number cannot hold, spliced in as text. */
const NUMBER_LITERALS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.0000000000000000000001'];

type Json = Record<string, unknown> | unknown[];

/** Every path to a value in a document. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  return [];
}

/** A near-valid document: a valid one with one part deleted, replaced, wrapped or given an extra key. */
function nearValid(valid: () => unknown) {
  return fc
    .record({ pick: fc.nat(), action: fc.constantFrom('delete', 'replace', 'char', 'wrap', 'extra', 'number'), value: json, c: char, extraKey: key, literal: fc.constantFrom(...NUMBER_LITERALS) })
    .map(({ pick, action, value, c, extraKey, literal }) => {
      const doc = valid() as Json;
      const all = paths(doc);
      if (all.length === 0) return JSON.stringify(doc);
      const path = all[pick % all.length]!;
      const parent = path.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], doc) as Record<string | number, unknown>;
      const last = path.at(-1)!;
      switch (action) {
        case 'delete':
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
          break;
        case 'replace':
          parent[last] = value;
          break;
        case 'char':
          parent[last] = typeof parent[last] === 'string' ? `${(parent[last] as string).slice(0, 2)}${c}${(parent[last] as string).slice(2)}` : c;
          break;
        case 'wrap':
          parent[last] = [parent[last]];
          break;
        case 'extra':
          Object.defineProperty(parent, String(extraKey), { value, enumerable: true, writable: true, configurable: true });
          break;
        case 'number': {
          parent[last] = 424242.4242;
          return JSON.stringify(doc).replace('424242.4242', literal);
        }
      }
      return JSON.stringify(doc);
    });
}

/** Valid documents for the routes we know; a route added later is fuzzed with the generic bodies. */
function validBody(route: Operation): (() => unknown) | undefined {
  switch (`${route.method} ${route.path}`) {
    case 'POST /v1/applications':
      return () => makeApplication({ companyName: '三门峡模糊测试科技有限公司' });
    case 'POST /v1/applications/{id}/corrections':
      return () => ({ fields: { companyName: '三门峡更正测试科技有限公司', address: { divisionCode: '411203', detail: '陕州区建设路 1 号' } }, note: '改名' });
    case 'POST /v1/applications/{id}/withdrawal':
      return () => ({ reason: '不再需要' });
    case 'POST /v1/departments/{step}/callbacks':
      return () => ({ eventId: 'evt-fuzz-00000001', applicationId: '__APP__', idempotencyKey: '__APP__:business-licence:1', reference: 'BL-REF-1', outcome: 'progress', milestone: {} });
    case 'PUT /v1/ops/calendar/{year}':
      return () => ({ year: 2027, source: '国务院办公厅关于2027年部分节假日安排的通知（模糊测试）', holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] });
    default:
      return undefined;
  }
}

const CONTENT_TYPES = [
  'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json; charset="utf-8"; profile=x',
  'application/json-patch+json', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application', '', ';',
];

function bodies(route: Operation) {
  const valid = validBody(route);
  const asText = fc.oneof(
    { weight: 3, arbitrary: json.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 1, max: 6_000 }), open: fc.constantFrom('[', '{"a":', '{"fields":') }).map(({ n, open }) => open.repeat(n) + (open === '[' ? '' : '1') + (open === '[' ? ']' : '}').repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '0', 'true', '{', '{"a":1,}', "{'a':1}", '\ufeff{}', '{"a":1}{"b":2}', ...NUMBER_LITERALS) },
    ...(valid
      ? [
          { weight: 8, arbitrary: nearValid(valid) },
          { weight: 1, arbitrary: fc.nat().map((n) => { const s = JSON.stringify(valid()); return s.slice(0, n % s.length); }) },
          { weight: 1, arbitrary: fc.constant(0).map(() => JSON.stringify(valid())) },
        ]
      : []),
  );
  const asBytes = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.record({ at: fc.nat(), byte: fc.integer({ min: 0x80, max: 0xff }) }).map(({ at, byte }) => {
      const s = Buffer.from(JSON.stringify(valid?.() ?? { a: '文字' }));
      const i = at % s.length;
      return Buffer.concat([s.subarray(0, i), Buffer.from([byte]), s.subarray(i)]);
    }),
  );
  return fc.record({
    payload: fc.oneof({ weight: 9, arbitrary: asText }, { weight: 1, arbitrary: asBytes }),
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    signed: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
  });
}

/** Header values as HTTP can carry them (tab, visible ASCII, obs-text) and as people and programs send them. */
const headerValue = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom('\t', ' '), fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c))), { maxLength: 80 }).map((a) => a.join('')),
  fc.constantFrom(
    '', ' ', 'zh-CN', 'zh', 'en', 'zh-CN,zh;q=0.9,en;q=0.8', 'zh;q=0', '*;q=abc', ';;;', 'Bearer ', 'Bearer x', 'Basic abc', 'bearer   token', 'key-00000001', '9'.repeat(400), '-1', '0', '1e400', 'NaN',
    '__proto__', 'constructor', 'toString', 'business-licence', 'seal-engraving', 'v1=', 'v1=00', 'application/json', 'application/json; charset=latin1', '"etag"', 'W/"x"', 'https://evil.example', 'null',
  ),
  fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n)),
  fc.array(fc.constantFrom('zh-CN', 'key-00000001', '1', 'business-licence', 'Bearer x'), { minLength: 2, maxLength: 3 }),
);

// ── one request, both stores ────────────────────────────────────────────────────────────────────

interface Request {
  method: string;
  /** Path with placeholders: __APP__ (the live application), __GONE__ (the withdrawn one). */
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
  /** Sign as this department (x-department-* headers over the body, or the path of a GET). */
  signAs?: string;
  /** Headers to set (or, when undefined, remove) after signing: fuzzing the signature headers themselves. */
  overrides?: Record<string, string | string[] | undefined>;
}

const fill = (text: string, target: Target) => text.replaceAll('__APP__', target.live).replaceAll('__GONE__', target.gone);

async function send(target: Target, request: Request) {
  const url = fill(request.url, target);
  const payload = typeof request.payload === 'string' ? fill(request.payload, target) : request.payload;
  const headers: Record<string, string | string[]> = { ...request.headers };
  if (request.signAs) {
    const ts = String(Math.floor(target.h.clock.now().getTime() / 1000));
    const signed = request.method === 'GET' ? url.split('?')[0]! : typeof payload === 'string' ? payload : (payload?.toString('utf8') ?? '');
    const secrets = target.h.secrets as Record<string, string>;
    const secret = Object.hasOwn(secrets, request.signAs) ? secrets[request.signAs]! : 'not-a-secret-of-any-department';
    Object.assign(headers, { [DEPARTMENT_HEADER]: request.signAs, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signCallback(secret, ts, signed) });
  }
  for (const [name, value] of Object.entries(request.overrides ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const reply = await target.h.gateway.app.inject({ method: request.method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
  let parsed: { code?: string; id?: string } = {};
  try {
    parsed = JSON.parse(reply.body) as typeof parsed;
  } catch {
    // not JSON (an event stream, metrics)
  }
  return { status: reply.statusCode, code: parsed?.code, id: parsed?.id, body: reply.body.slice(0, 300) };
}

const stats = { requests: 0, byStatus: {} as Record<string, number> };

async function exchange(request: Request): Promise<void> {
  const replies = await Promise.all(targets.map((target) => send(target, request)));
  const after = await Promise.all(targets.map((target) => footprint(target)));
  stats.requests++;
  const [a, b] = replies as [Awaited<ReturnType<typeof send>>, Awaited<ReturnType<typeof send>>];
  stats.byStatus[a.status] = (stats.byStatus[a.status] ?? 0) + 1;
  const describe = () => `${request.method} ${request.url} ${JSON.stringify(request.headers).slice(0, 200)} ${JSON.stringify(typeof request.payload === 'string' ? request.payload.slice(0, 300) : request.payload?.toString('hex').slice(0, 200))}`;
  for (let i = 0; i < targets.length; i++) {
    const [target, reply] = [targets[i]!, replies[i]!];
    if (reply.status >= 500) throw new Error(`${target.name}: HTTP ${reply.status} ${reply.body} for ${describe()}`);
    if (reply.status >= 400 && after[i] !== target.footprint) throw new Error(`${target.name}: HTTP ${reply.status} ${reply.code} changed the store (${target.footprint} → ${after[i]}) for ${describe()}`);
    target.footprint = after[i]!;
  }
  // An accepted calendar schedules the re-planning of every open deadline as background work: let it
  // finish now, or it lands during a later request and looks as if that request had written.
  if (a.status < 300 && request.method === 'PUT' && request.url.startsWith('/v1/ops/calendar/')) {
    for (const target of targets) {
      await target.h.settle({ skip: ['business-licence'] });
      target.footprint = await footprint(target);
    }
  }
  if (a.status !== b.status || a.code !== b.code) throw new Error(`the stores disagree: sqlite ${a.status} ${a.code} / postgres ${b.status} ${b.code} (${a.body} | ${b.body}) for ${describe()}`);
  // Keep the number of open applications small: each accepted calendar PUT re-plans all of them, and
  // a long run would otherwise slow down quadratically. Withdrawing is one more exercised path.
  if (a.status === 202 && request.method === 'POST' && request.url === '/v1/applications') {
    for (let i = 0; i < targets.length; i++) {
      const reply = await targets[i]!.h.gateway.app.inject({ method: 'POST', url: `/v1/applications/${replies[i]!.id}/withdrawal` });
      if (reply.statusCode >= 500) throw new Error(`${targets[i]!.name}: withdrawing a fuzzed application answered ${reply.statusCode}`);
      targets[i]!.footprint = await footprint(targets[i]!);
    }
  }
}

function urlOf(route: Operation) {
  return fc
    .record({
      step: fc.oneof({ weight: 8, arbitrary: fc.constant('business-licence') }, { weight: 1, arbitrary: fc.constantFrom(...CORE_STEP_IDS, 'housing-provident-fund', '__proto__', 'x') }),
      id: fc.oneof({ weight: 8, arbitrary: fc.constant(route.path.endsWith('/events') ? '__GONE__' : '__APP__') }, { weight: 1, arbitrary: fc.constantFrom('__GONE__', 'no-such-id', '%00', 'a'.repeat(64), '..%2F..') }),
      year: fc.oneof({ weight: 8, arbitrary: fc.constant('2027') }, { weight: 1, arbitrary: fc.constantFrom('1999', '2101', 'abc', '1e400', '-0') }),
    })
    // An open event stream on a live application never ends; inject would wait for ever.
    .map(({ step, id, year }) => ({ step, url: route.path.replace('{step}', step).replace('{id}', route.path.endsWith('/events') && id === '__APP__' ? '__GONE__' : id).replace('{year}', year) }));
}

const fuzzOptions = { numRuns: RUNS, seed: SEED, endOnFailure: true } as const;
const started = Date.now();

for (const route of jsonRoutes) {
  await t.test(`${route.method} ${route.path}: ${RUNS} generated bodies, both stores`, { timeout: ROUTE_TIMEOUT_MS }, async (t) => {
    await fc.assert(
      fc.asyncProperty(urlOf(route), bodies(route), async ({ step, url }, { payload, contentType, signed }) => {
        await exchange({
          method: route.method,
          url,
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          payload,
          ...(signed && route.path.startsWith('/v1/departments/') ? { signAs: step } : {}),
        });
      }),
      fuzzOptions,
    );
    t.pass(`${RUNS} bodies: no 5xx, nothing stored on a 4xx, the stores agree`);
  });
}

/** A well-formed value of each header (or nothing), so that a request with some headers fuzzed still gets far. */
const WELL_FORMED: Record<string, fc.Arbitrary<string | undefined>> = {
  'idempotency-key': fc.nat().map((n) => `fuzz-key-${n % 50}`),
  'last-event-id': fc.constantFrom('0', '1', '5'),
  'accept-language': fc.constantFrom('zh-CN', 'en', 'zh-CN,zh;q=0.9,en;q=0.8'),
  authorization: fc.constantFrom('Bearer fuzz-client-1', 'Bearer fuzz-client-2'),
  'x-request-id': fc.constantFrom('trace-0001', 'a.b:c-d_e'),
  'content-type': fc.constant('application/json'),
  origin: fc.constant('https://portal.example.gov.cn'),
  'if-none-match': fc.constant('"etag"'),
};

// Every header the gateway reads gets a generated value in every run (nasty, well-formed or absent,
// independently), on a route drawn from the route table, with a valid body where the route takes
// one and a valid signature where it wants one — so each header's checks are reached with the
// others both broken and intact.
await t.test(`${headerNames.length} headers: ${RUNS} generated requests, a value for every header in each, both stores`, async (t) => {
  const routes = operations.filter((o) => !o.path.startsWith('/metrics'));
  const values = fc.record(
    Object.fromEntries(
      headerNames.map((name) => [
        name,
        fc.oneof(
          { weight: 6, arbitrary: headerValue },
          { weight: 3, arbitrary: name.startsWith('x-department-') ? fc.constant('(signed)') : (WELL_FORMED[name] ?? fc.constant(undefined)) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
      ]),
    ) as Record<string, fc.Arbitrary<string | string[] | undefined>>,
  );
  const perHeader: Record<string, number> = Object.fromEntries(headerNames.map((n) => [n, 0]));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), values, async (route, generated) => {
      const { url, step } = fc.sample(urlOf(route), { numRuns: 1, seed: 1 })[0]!;
      const valid = validBody(route);
      const overrides: Record<string, string | string[] | undefined> = {};
      for (const [name, value] of Object.entries(generated)) {
        perHeader[name]!++;
        if (value !== '(signed)') overrides[name] = value;
      }
      await exchange({
        method: route.method,
        url,
        headers: route.hasBody ? { 'content-type': 'application/json' } : {},
        ...(route.hasBody ? { payload: JSON.stringify(valid?.() ?? {}) } : {}),
        ...(route.path.startsWith('/v1/departments/') ? { signAs: step } : {}),
        overrides,
      });
    }),
    fuzzOptions,
  );
  t.comment(`generated values per header: ${JSON.stringify(perHeader)}`);
  t.pass(`${RUNS} requests: no 5xx, nothing stored on a 4xx, the stores agree`);
});

t.test('summary', async (t) => {
  t.comment(`${stats.requests} requests to each store in ${Math.round((Date.now() - started) / 1000)} s; statuses ${JSON.stringify(stats.byStatus)}`);
  t.ok(Object.keys(stats.byStatus).some((s) => s.startsWith('2')), 'some generated requests were accepted (the fuzz reaches the handlers)');
});
