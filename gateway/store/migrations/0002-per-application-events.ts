// 2: each application numbers its own events (1, 2, 3 …), so no global sequence has to be allocated
// in commit order — which on PostgreSQL took one advisory lock for every commit of every instance.
// Event streams resume per application (Last-Event-ID is the application's seq). Also drops the
// callback_events table: callback replays are refused through processed_events, in the same
// transaction as the callback's event.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const perApplicationEvents: Migration = {
  version: 2,
  name: 'per-application-events',
  async up(conn, { dialect }) {
    const t = dialect.types;
    await sql.raw(`
      CREATE TABLE application_events (
        application_id TEXT NOT NULL REFERENCES applications (id),
        seq            INTEGER NOT NULL,
        type           TEXT NOT NULL,
        step           TEXT,
        at             ${t.time} NOT NULL,
        data           ${t.json} NOT NULL,
        PRIMARY KEY (application_id, seq)
      )${t.strictKeyed}`).execute(conn);
    await sql.raw(`
      INSERT INTO application_events (application_id, seq, type, step, at, data)
      SELECT application_id, ROW_NUMBER() OVER (PARTITION BY application_id ORDER BY seq), type, step, at, data FROM events`).execute(conn);
    await sql.raw('ALTER TABLE applications ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0').execute(conn);
    await sql.raw('UPDATE applications SET event_seq = (SELECT COUNT(*) FROM application_events e WHERE e.application_id = applications.id)').execute(conn);
    await sql.raw('DROP TABLE events').execute(conn);
    await sql.raw('DROP TABLE callback_events').execute(conn);
    // Ops lists and the console read applications by state and time, newest first.
    await sql.raw('CREATE INDEX applications_updated ON applications (updated_at)').execute(conn);
  },
};
