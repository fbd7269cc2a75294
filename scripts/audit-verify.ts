// npm run audit:verify [-- --head <seq>:<hash>]
//
// Checks the ops audit log's hash chain (docs/operations.md "Audit log") in the store the gateway
// uses — the same configuration: DATABASE_URL for PostgreSQL, else SQLITE_FILE (data/gateway.db).
// Walks every entry in order and reports the first broken link with its position: an edited entry
// (its hash no longer matches its content), a deleted one (a gap in the sequence), entries
// reordered or replaced (a prevHash that does not match). A chain cannot show entries cut off its
// end: give the head you trust (every append logs it: "audit entry appended", audit.seq and
// audit.hash) with --head, and a shorter or different chain is reported too.
//
// Exit code 0: intact; 1: broken; 2: could not check (bad arguments, no store, no audit log).
// Read-only: it runs no migration and writes nothing.

import { parseArgs } from 'node:util';
import { ConfigError, storeConfigFromEnv } from '../gateway/config.ts';
import { verifyAuditChain } from '../gateway/store/audit-chain.ts';
import { createStore, type AuditRecord, type Store } from '../gateway/store/index.ts';

const PAGE = 1000;

function stop(message: string): never {
  process.stderr.write(`audit:verify: ${message}\n`);
  process.exit(2);
}

let head: { seq: number; hash: string } | undefined;
try {
  const { values } = parseArgs({ options: { head: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write('Usage: npm run audit:verify [-- --head <seq>:<hash>]   (store: DATABASE_URL, else SQLITE_FILE)\n');
    process.exit(0);
  }
  if (values.head !== undefined) {
    const match = /^(\d+):([0-9a-f]{64})$/.exec(values.head);
    if (!match) stop('--head is <seq>:<64 hex digits>, e.g. 42:9f86d08…');
    head = { seq: Number(match[1]), hash: match[2]! };
  }
} catch (error) {
  stop((error as Error).message);
}

let store: Store;
try {
  const config = storeConfigFromEnv(process.env);
  store = createStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
} catch (error) {
  stop(error instanceof ConfigError ? error.message : `cannot open the store: ${(error as Error).message}`);
}

async function* entries(): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const page = await store.listAudit({ order: 'asc', afterSeq: after, limit: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    after = page.at(-1)!.seq;
  }
}

try {
  const verdict = await verifyAuditChain(entries(), head);
  if (verdict.ok) {
    process.stdout.write(
      verdict.head
        ? `audit log intact: ${verdict.count} entries, head seq ${verdict.head.seq} ${verdict.head.hash}\n`
        : 'audit log intact: no entries yet\n',
    );
    process.exitCode = 0;
  } else {
    process.stdout.write(`audit log BROKEN at position ${verdict.position}: ${verdict.message} (${verdict.checked} entries before it verify)\n`);
    process.exitCode = 1;
  }
} catch (error) {
  const message = (error as Error).message;
  process.stderr.write(`audit:verify: could not read the audit log: ${/audit_log/.test(message) ? 'the store has no audit log (has a gateway of this version run its migrations on it?)' : message}\n`);
  process.exitCode = 2;
} finally {
  await store.close();
}
