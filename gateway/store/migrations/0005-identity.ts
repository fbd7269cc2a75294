// 5: identity (docs/security.md): applicant accounts, sign-in codes, sessions, who may act on which
// application, ops credentials, the audit log. No secret is stored: tokens and codes as hashes,
// mobile numbers as keyed hashes (HMAC with IDENTITY_KEY), plus a masked hint for display.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const identity: Migration = {
  version: 5,
  name: 'identity',
  async up(conn, { dialect }) {
    const t = dialect.types;
    const serial = dialect.kind === 'postgres' ? 'bigserial NOT NULL PRIMARY KEY' : 'INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT';
    const statements = [
      `CREATE TABLE accounts (
        id              TEXT NOT NULL PRIMARY KEY,
        mobile_key      TEXT NOT NULL UNIQUE,
        mobile_hint     TEXT NOT NULL,
        created_at      ${t.time} NOT NULL,
        last_sign_in_at ${t.time} NOT NULL
      )${t.strict}`,
      // Only the newest code of a number is live; older rows stay until they leave the rate window.
      `CREATE TABLE sign_in_codes (
        id           ${serial},
        mobile_key   TEXT    NOT NULL,
        code_hash    TEXT    NOT NULL,
        issued_at    ${t.time} NOT NULL,
        expires_at   ${t.time} NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        consumed_at  ${t.time}
      )${t.strict}`,
      'CREATE INDEX sign_in_codes_mobile ON sign_in_codes (mobile_key, id)',
      `CREATE TABLE sessions (
        token_hash TEXT NOT NULL PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        created_at ${t.time} NOT NULL,
        expires_at ${t.time} NOT NULL,
        revoked_at ${t.time}
      )${t.strictKeyed}`,
      'CREATE INDEX sessions_account ON sessions (account_id, expires_at)',
      // principal: "account:<id>", "mobile:<keyed hash>" or "token:<sha-256>". submitted_at is copied
      // from the application so "my applications" pages through one index, newest first.
      `CREATE TABLE application_access (
        principal      TEXT NOT NULL,
        application_id TEXT NOT NULL REFERENCES applications (id),
        relation       TEXT NOT NULL CHECK (relation IN ('owner', 'legal_representative')),
        submitted_at   ${t.time} NOT NULL,
        granted_at     ${t.time} NOT NULL,
        PRIMARY KEY (principal, application_id, relation)
      )${t.strictKeyed}`,
      'CREATE INDEX application_access_by_principal ON application_access (principal, submitted_at, application_id)',
      'CREATE INDEX application_access_by_application ON application_access (application_id, relation)',
      `CREATE TABLE ops_credentials (
        name       TEXT NOT NULL PRIMARY KEY,
        role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at ${t.time} NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at ${t.time}
      )${t.strict}`,
      // Append-only hash chain: seq is assigned by the appender (last + 1) under the audit lock, so it
      // has no gaps and chain order is seq order.
      `CREATE TABLE audit_log (
        seq            ${t.bigId} NOT NULL PRIMARY KEY,
        at             ${t.time} NOT NULL,
        actor_name     TEXT    NOT NULL,
        actor_role     TEXT    NOT NULL,
        action         TEXT    NOT NULL,
        application_id TEXT,
        step           TEXT,
        year           INTEGER,
        credential     TEXT,
        status         INTEGER NOT NULL,
        code           TEXT,
        request_id     TEXT    NOT NULL,
        prev_hash      TEXT    NOT NULL,
        hash           TEXT    NOT NULL
      )${t.strict}`,
      'CREATE INDEX audit_log_at ON audit_log (at)',
      'CREATE INDEX audit_log_application ON audit_log (application_id, seq) WHERE application_id IS NOT NULL',
      'CREATE INDEX audit_log_actor ON audit_log (actor_name, seq)',
      'CREATE INDEX audit_log_action ON audit_log (action, seq)',
    ];
    for (const statement of statements) await sql.raw(statement).execute(conn);
  },
};
