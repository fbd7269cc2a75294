// 7: the ops console (docs/operations.md "The console"; ops-queries.ts).
//
// - applications.legal_representative_name: ops search by the legal representative's name, kept in
//   step with corrections like company_name (written by every transition from the form).
// - Indexes for the board and the story: open clocks by state and deadline (the at-risk and breached
//   lists, soonest first, answered from the index), finished clocks by time with what the aggregates
//   read (the 30-day and monthly statistics), effects of an application by key (attempts, the story),
//   department calls by step and creation time (requests sent this half day).
// - ops_notes and ops_escalations: what ops wrote and whom they alerted, per application.
// - Completing an effect now counts as an attempt (transitions.ts), as a reschedule always did:
//   rows completed before this migration get theirs, so an attempt count is the true one.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const opsConsole: Migration = {
  version: 7,
  name: 'ops-console',
  async up(conn, { dialect }) {
    const t = dialect.types;
    const serial = dialect.kind === 'postgres' ? 'bigserial NOT NULL PRIMARY KEY' : 'INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT';
    const repName = dialect.kind === 'postgres' ? "form->'legalRepresentative'->>'name'" : "json_extract(form, '$.legalRepresentative.name')";
    const statements = [
      'ALTER TABLE applications ADD COLUMN legal_representative_name TEXT',
      `UPDATE applications SET legal_representative_name = (SELECT ${repName} FROM application_forms f WHERE f.application_id = applications.id)`,
      'CREATE INDEX sla_clocks_open_deadline ON sla_clocks (state, deadline, clock) WHERE finished_at IS NULL',
      'CREATE INDEX sla_clocks_finished_stats ON sla_clocks (finished_at, clock, state, duration_ms, breached_at) WHERE finished_at IS NOT NULL',
      'CREATE INDEX effects_by_application ON effects (application_id, kind, key)',
      "CREATE INDEX effects_calls_created ON effects (created_at, step) WHERE kind = 'department_call'",
      "UPDATE effects SET attempts = attempts + 1 WHERE state = 'done'",
      `CREATE TABLE ops_notes (
        id             ${serial},
        application_id TEXT NOT NULL REFERENCES applications (id),
        at             ${t.time} NOT NULL,
        author         TEXT NOT NULL,
        author_role    TEXT NOT NULL,
        step           TEXT,
        text           TEXT NOT NULL
      )${t.strict}`,
      'CREATE INDEX ops_notes_application ON ops_notes (application_id, id)',
      `CREATE TABLE ops_escalations (
        id             ${serial},
        application_id TEXT NOT NULL REFERENCES applications (id),
        at             ${t.time} NOT NULL,
        author         TEXT NOT NULL,
        author_role    TEXT NOT NULL,
        step           TEXT NOT NULL,
        note           TEXT,
        deliveries     ${t.json} NOT NULL
      )${t.strict}`,
      'CREATE INDEX ops_escalations_application ON ops_escalations (application_id, id)',
    ];
    for (const statement of statements) await sql.raw(statement).execute(conn);
  },
};
