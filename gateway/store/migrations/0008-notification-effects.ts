// 8: the outbox also holds notifications — text messages to the applicant (correction needed,
// completed), sent through the SMS service with retries that survive a restart, like a department
// call. The effects table's kind check gains 'notification'.
//
// PostgreSQL changes the check in place. SQLite cannot alter a CHECK constraint: the table is
// rebuilt (same columns and indexes) and its AUTOINCREMENT counter carried over, so an id is still
// never reused — deleted (cancelled) effects may have held ids above the largest one left.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

const KINDS = "('department_call', 'timer', 'notification')";

export const notificationEffects: Migration = {
  version: 8,
  name: 'notification-effects',
  async up(conn, { dialect }) {
    if (dialect.kind === 'postgres') {
      await sql.raw('ALTER TABLE effects DROP CONSTRAINT effects_kind_check').execute(conn);
      await sql.raw(`ALTER TABLE effects ADD CONSTRAINT effects_kind_check CHECK (kind IN ${KINDS})`).execute(conn);
      return;
    }
    const counter = await sql<{ seq: number }>`SELECT seq FROM sqlite_sequence WHERE name = 'effects'`.execute(conn);
    await sql.raw(`
      CREATE TABLE effects_rebuilt (
        id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        application_id TEXT    NOT NULL REFERENCES applications (id),
        kind           TEXT    NOT NULL CHECK (kind IN ${KINDS}),
        step           TEXT,
        key            TEXT    NOT NULL,
        payload        TEXT    NOT NULL,
        due_at         TEXT    NOT NULL,
        attempts       INTEGER NOT NULL DEFAULT 0,
        lease_owner    TEXT,
        lease_until    TEXT,
        last_error     TEXT,
        state          TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
        created_at     TEXT    NOT NULL,
        completed_at   TEXT
      ) STRICT`).execute(conn);
    await sql.raw('INSERT INTO effects_rebuilt SELECT * FROM effects').execute(conn);
    await sql.raw('DROP TABLE effects').execute(conn);
    await sql.raw('ALTER TABLE effects_rebuilt RENAME TO effects').execute(conn);
    const seq = counter.rows[0]?.seq;
    if (seq !== undefined) await sql`UPDATE sqlite_sequence SET seq = MAX(seq, ${seq}) WHERE name = 'effects'`.execute(conn);
    await sql.raw("CREATE UNIQUE INDEX effects_pending_key ON effects (application_id, key) WHERE state = 'pending'").execute(conn);
    await sql.raw("CREATE INDEX effects_pending_due ON effects (due_at, id) WHERE state = 'pending'").execute(conn);
    await sql.raw("CREATE INDEX effects_leased ON effects (lease_owner, lease_until) WHERE state = 'pending' AND lease_owner IS NOT NULL").execute(conn);
  },
};
