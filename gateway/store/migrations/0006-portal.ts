// 6: the applicant's portal: drafts of the form, saved against the signed-in account as the person
// types, and ratings of the service (好差评) per application and per department, with the service
// centre's follow-up of a poor one.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const portal: Migration = {
  version: 6,
  name: 'portal',
  async up(conn, { dialect }) {
    const t = dialect.types;
    const statements = [
      // A draft is submitted with the Idempotency-Key "draft-<id>" (contracts/portal.ts): whether it
      // was is read from the applications table, never kept twice.
      `CREATE TABLE drafts (
        id           TEXT NOT NULL PRIMARY KEY,
        account_id   TEXT NOT NULL REFERENCES accounts (id),
        form         ${t.json} NOT NULL,
        company_name TEXT,
        created_at   ${t.time} NOT NULL,
        updated_at   ${t.time} NOT NULL
      )${t.strict}`,
      'CREATE INDEX drafts_by_account ON drafts (account_id, updated_at)',
      // target: "overall" or a step id. One rating per application and target, given once.
      `CREATE TABLE ratings (
        application_id  TEXT    NOT NULL REFERENCES applications (id),
        target          TEXT    NOT NULL,
        level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
        comment         TEXT,
        poor            ${t.bool} NOT NULL,
        rated_by        TEXT    NOT NULL,
        rated_at        ${t.time} NOT NULL,
        follow_up_at    ${t.time},
        follow_up_by    TEXT,
        follow_up_note  TEXT,
        PRIMARY KEY (application_id, target)
      )${t.strictKeyed}`,
      'CREATE INDEX ratings_by_time ON ratings (rated_at)',
      'CREATE INDEX ratings_poor ON ratings (poor, rated_at)',
    ];
    for (const statement of statements) await sql.raw(statement).execute(conn);
  },
};
