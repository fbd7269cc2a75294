// The audit log is tamper-evident: `npm run audit:verify` (scripts/audit-verify.ts, run here as the
// child process an operator runs, on the store named by the gateway's own configuration) reports an
// intact chain, and the first broken link — with its position — when an entry was edited, deleted
// or reordered behind the gateway's back, or cut off the end (given the head from the logs).

import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import { createPostgresStore, createSqliteStore, type NewAuditEntry, type Store } from '../../gateway/store/index.ts';
import { createTestDatabase, getTestPostgres } from '../support/postgres.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Runs npm run audit:verify's script with this environment; never throws. */
async function verify(env: Record<string, string>, ...args: string[]) {
  const inherited = { ...process.env };
  delete inherited.NODE_OPTIONS;
  delete inherited.DATABASE_URL;
  delete inherited.SQLITE_FILE;
  return run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: ROOT, env: { ...inherited, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const entry = (i: number): NewAuditEntry => ({
  at: new Date(Date.parse('2026-11-30T01:00:00Z') + i * 60_000).toISOString(),
  actorName: i % 2 ? 'wang.li' : 'bootstrap-admin',
  actorRole: i % 2 ? 'operator' : 'admin',
  action: i % 2 ? 'step.retry' : 'calendar.load',
  applicationId: i % 2 ? `app-${i}` : null,
  step: i % 2 ? 'tax-invoice' : null,
  year: i % 2 ? null : 2027,
  credential: null,
  status: i % 3 ? 202 : 409,
  code: i % 3 ? null : 'STEP_NOT_RETRYABLE',
  requestId: `req-${i}`,
});

async function fill(store: Store, count: number) {
  await store.migrate();
  const records = [];
  for (let i = 1; i <= count; i++) records.push(await store.appendAudit(entry(i)));
  await store.close();
  return records;
}

t.test('SQLite: intact, then edited, deleted, reordered and truncated copies are each caught at the right position', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlt-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const original = join(dir, 'gateway.db');
  const records = await fill(createSqliteStore({ file: original }), 6);
  const head = records.at(-1)!;

  const intact = await verify({ SQLITE_FILE: original });
  t.equal(intact.code, 0, intact.stderr);
  t.equal(intact.stdout, `audit log intact: 6 entries, head seq 6 ${head.hash}\n`);
  t.equal((await verify({ SQLITE_FILE: original }, '--head', `6:${head.hash}`)).code, 0, 'and it ends at the head the logs recorded');

  const tampered = (name: string, sql: string) => {
    const file = join(dir, `${name}.db`);
    copyFileSync(original, file);
    const db = new Database(file);
    db.exec(sql);
    db.close();
    return file;
  };

  const edited = await verify({ SQLITE_FILE: tampered('edited', "UPDATE audit_log SET status = 202, code = NULL WHERE seq = 3") });
  t.equal(edited.code, 1, 'an edited entry');
  t.match(edited.stdout, /^audit log BROKEN at position 3: position 3 \(seq 3\): the content does not match its hash — this entry was edited \(2 entries before it verify\)/);

  const deleted = await verify({ SQLITE_FILE: tampered('deleted', 'DELETE FROM audit_log WHERE seq = 4') });
  t.equal(deleted.code, 1, 'a deleted entry');
  t.match(deleted.stdout, /BROKEN at position 4: position 4: expected seq 4, found seq 5 — an entry was deleted or the entries were reordered/);

  // Swapping two entries' places (their seq): each now sits where the chain says something else was.
  const reordered = await verify({ SQLITE_FILE: tampered('reordered', 'UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -2;') });
  t.equal(reordered.code, 1, 'reordered entries');
  t.match(reordered.stdout, /BROKEN at position 2: position 2 \(seq 2\): prevHash does not match/);

  // A forger who rehashes an edited entry still breaks the link of the one after it.
  const { auditEntryHash } = await import('../../gateway/store/audit-chain.ts');
  const forged = { ...records[1]!, status: 200, code: null };
  const rehashed = await verify({ SQLITE_FILE: tampered('rehashed', `UPDATE audit_log SET status = 200, code = NULL, hash = '${auditEntryHash(forged)}' WHERE seq = 2`) });
  t.equal(rehashed.code, 1, 'an edited and rehashed entry');
  t.match(rehashed.stdout, /BROKEN at position 3: position 3 \(seq 3\): prevHash does not match/);

  const truncatedFile = tampered('truncated', 'DELETE FROM audit_log WHERE seq = 6');
  t.equal((await verify({ SQLITE_FILE: truncatedFile })).code, 0, 'a cut-off end leaves a valid (shorter) chain…');
  const truncated = await verify({ SQLITE_FILE: truncatedFile }, '--head', `6:${head.hash}`);
  t.equal(truncated.code, 1, '…which the head from the logs exposes');
  t.match(truncated.stdout, /the chain ends at seq 5 [0-9a-f]{64}, but the expected head is seq 6/);

  const bad = await verify({ SQLITE_FILE: original }, '--head', 'latest');
  t.equal(bad.code, 2, 'bad arguments');
  t.match(bad.stderr, /--head is <seq>:<64 hex digits>/);
  const empty = join(dir, 'empty.db');
  await createSqliteStore({ file: empty }).migrate();
  t.match(await verify({ SQLITE_FILE: empty }), { code: 0, stdout: 'audit log intact: no entries yet\n' });
  const unmigrated = await verify({ SQLITE_FILE: join(dir, 'never-migrated.db') });
  t.equal(unmigrated.code, 2, 'a store without an audit log cannot be checked');
  t.match(unmigrated.stderr, /the store has no audit log/);
});

t.test('PostgreSQL (DATABASE_URL): the same chain verifies, and an edit is caught', async (t) => {
  const server = await getTestPostgres();
  const database = await createTestDatabase(server.url);
  t.teardown(async () => {
    await database.drop();
    await server.stop();
  });
  const records = await fill(createPostgresStore({ connectionString: database.url }), 5);
  const intact = await verify({ DATABASE_URL: database.url });
  t.equal(intact.code, 0, intact.stderr);
  t.equal(intact.stdout, `audit log intact: 5 entries, head seq 5 ${records.at(-1)!.hash}\n`);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query("UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = 2");
  await client.end();
  const edited = await verify({ DATABASE_URL: database.url });
  t.equal(edited.code, 1);
  t.match(edited.stdout, /BROKEN at position 2: position 2 \(seq 2\): the content does not match its hash/);
});
