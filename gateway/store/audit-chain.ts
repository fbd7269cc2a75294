// The audit log's hash chain (docs/security.md "Audit log"): each entry carries the hash of the one
// before it, and its own hash covers its content and that link, so editing, deleting or reordering
// an entry breaks the chain at that entry. Shared by both stores (which compute the hash inside the
// appending transaction) and by the verifier (npm run audit:verify).
//
// The canonical encoding is JSON of a fixed shape with a fixed key order, every field present (null
// when empty) and times in the fixed-width UTC form both stores return — so the same entry hashes
// the same on SQLite and on PostgreSQL, today and after a migration.

import { createHash } from 'node:crypto';
import type { AuditRecord, NewAuditEntry } from './types.ts';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the encoding, hashed with every entry: a future change of shape cannot collide with this one. */
const ENCODING = 1;

export function canonicalAuditEncoding(entry: NewAuditEntry & { seq: number; prevHash: string }): string {
  return JSON.stringify([
    ENCODING,
    entry.seq,
    new Date(entry.at).toISOString(),
    entry.actorName,
    entry.actorRole,
    entry.action,
    entry.applicationId ?? null,
    entry.step ?? null,
    entry.year ?? null,
    entry.credential ?? null,
    entry.status,
    entry.code ?? null,
    entry.requestId,
    entry.prevHash,
  ]);
}

export function auditEntryHash(entry: NewAuditEntry & { seq: number; prevHash: string }): string {
  return createHash('sha256').update(canonicalAuditEncoding(entry), 'utf8').digest('hex');
}

/** The entry that follows `previous` (undefined: the chain is empty), with its seq and hashes. */
export function chainAuditEntry(previous: { seq: number; hash: string } | undefined, entry: NewAuditEntry): AuditRecord {
  const linked = { ...entry, at: new Date(entry.at).toISOString(), seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? GENESIS_HASH };
  return { ...linked, hash: auditEntryHash(linked) };
}

export type ChainBreak = {
  /** 1-based position in the walk (= the seq the entry should have). */
  position: number;
  /** The seq found at that position (undefined when the problem is a missing head). */
  seq: number | undefined;
  problem: 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch';
  message: string;
};

export type ChainVerdict = { ok: true; count: number; head: { seq: number; hash: string } | null } | ({ ok: false; checked: number } & ChainBreak);

/**
 * Walks the chain in seq order and reports the first broken link. `expectHead` (a seq and hash
 * recorded elsewhere, e.g. from the logs) also catches entries cut off the end, which a chain
 * alone cannot show.
 */
export async function verifyAuditChain(entries: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, expectHead?: { seq: number; hash: string }): Promise<ChainVerdict> {
  let previous: { seq: number; hash: string } | undefined;
  let position = 0;
  for await (const entry of entries) {
    position++;
    const broken = (problem: ChainBreak['problem'], message: string): ChainVerdict => ({ ok: false, checked: position - 1, position, seq: entry.seq, problem, message });
    if (entry.seq !== position) {
      return broken('seq_gap', `position ${position}: expected seq ${position}, found seq ${entry.seq} — an entry was deleted or the entries were reordered`);
    }
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (entry.prevHash !== expectedPrev) {
      return broken('prev_hash_mismatch', `position ${position} (seq ${entry.seq}): prevHash does not match the hash of the entry before it — an entry before it was removed, replaced or reordered`);
    }
    if (auditEntryHash(entry) !== entry.hash) {
      return broken('hash_mismatch', `position ${position} (seq ${entry.seq}): the content does not match its hash — this entry was edited`);
    }
    previous = { seq: entry.seq, hash: entry.hash };
  }
  if (expectHead && (previous?.seq !== expectHead.seq || previous?.hash !== expectHead.hash)) {
    const found = previous ? `seq ${previous.seq} ${previous.hash}` : 'an empty log';
    return {
      ok: false,
      checked: position,
      position: Math.min(position + 1, expectHead.seq),
      seq: previous?.seq,
      problem: 'head_mismatch',
      message: `the chain ends at ${found}, but the expected head is seq ${expectHead.seq} ${expectHead.hash} — entries were cut off the end or the log was replaced`,
    };
  }
  return { ok: true, count: position, head: previous ?? null };
}
