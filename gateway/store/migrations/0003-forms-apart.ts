// 3: the application form moves to its own table. It changes only with a correction, while the
// application row is rewritten by every transition (snapshot, state, revision): both databases
// rewrite a whole row (SQLite its record, PostgreSQL an inline tuple below the TOAST threshold), so
// carrying the ~1–2 KB form in it cost a third of the bytes every commit wrote. The row gains two
// small search columns the ops console filters on: the company name (from the form, updated with a
// correction) and the credit code (once the licence is issued).

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const formsApart: Migration = {
  version: 3,
  name: 'forms-apart',
  async up(conn, { dialect }) {
    const t = dialect.types;
    await sql.raw(`
      CREATE TABLE application_forms (
        application_id TEXT NOT NULL PRIMARY KEY REFERENCES applications (id),
        form           ${t.json} NOT NULL,
        updated_at     ${t.time} NOT NULL
      )${t.strict}`).execute(conn);
    await sql.raw('INSERT INTO application_forms (application_id, form, updated_at) SELECT id, form, updated_at FROM applications').execute(conn);
    await sql.raw('ALTER TABLE applications ADD COLUMN company_name TEXT').execute(conn);
    await sql.raw('ALTER TABLE applications ADD COLUMN credit_code TEXT').execute(conn);
    const companyName = dialect.kind === 'postgres' ? "form->>'companyName'" : "json_extract(form, '$.companyName')";
    await sql.raw(`UPDATE applications SET company_name = ${companyName}`).execute(conn);
    await sql.raw('ALTER TABLE applications DROP COLUMN form').execute(conn);
    await sql.raw('CREATE INDEX applications_credit_code ON applications (credit_code) WHERE credit_code IS NOT NULL').execute(conn);
  },
};
