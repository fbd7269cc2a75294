// The tables as Kysely sees them. Column values are typed loosely (`unknown`) where the two
// databases return different things (a time is a string in SQLite and a Date in PostgreSQL; JSON is
// text or an object): rows.ts maps them, through the dialect, to the store's row types.

import type { ColumnType, Generated } from 'kysely';

type Value = ColumnType<unknown, unknown, unknown>;

export interface ApplicationsTable {
  id: string;
  idempotency_key: string | null;
  body_hash: string;
  snapshot: Value;
  snapshot_version: number;
  state: string;
  submitted_at: Value;
  updated_at: Value;
  completed_at: Value;
  revision: number;
  /** The seq of the application's last event (its events are numbered 1, 2, 3 … without gaps). */
  event_seq: ColumnType<number, number | undefined, number>;
  /** From the form (kept in step with corrections), for search. */
  company_name: string | null;
  /** Once the licence is issued, for search. */
  credit_code: string | null;
  /** From the form (kept in step with corrections), for search by ops (migration 7). */
  legal_representative_name: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The form apart from the application row, which every transition rewrites (migration 3). */
export interface ApplicationFormsTable {
  application_id: string;
  form: Value;
  updated_at: Value;
}

export interface EffectsTable {
  id: Generated<string | number>;
  application_id: string;
  kind: string;
  step: string | null;
  key: string;
  payload: Value;
  due_at: Value;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_until: Value;
  last_error: string | null;
  state: ColumnType<string, string | undefined, string>;
  created_at: Value;
  completed_at: Value;
}

export interface ProcessedEventsTable {
  application_id: string;
  dedup_key: string;
  processed_at: Value;
}

export interface ApplicationEventsTable {
  application_id: string;
  seq: number;
  type: string;
  step: string | null;
  at: Value;
  data: Value;
}

export interface SlaClocksTable {
  application_id: string;
  clock: string;
  window_ms: number;
  state: string;
  started_at: Value;
  running_since: Value;
  consumed_ms: number;
  paused_reasons: Value;
  deadline: Value;
  provisional: Value;
  at_risk_at: Value;
  breached_at: Value;
  finished_at: Value;
  duration_ms: number | null;
  department: string | null;
}

export interface CalendarYearsTable {
  year: number;
  document: Value;
  updated_at: Value;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Value;
}

// ── identity (migration 5; identity.ts) ──────────────────────────────────────────────────────
export interface AccountsTable {
  id: string;
  mobile_key: string;
  mobile_hint: string;
  created_at: Value;
  last_sign_in_at: Value;
}
export interface SignInCodesTable {
  id: Generated<string | number>;
  mobile_key: string;
  code_hash: string;
  issued_at: Value;
  expires_at: Value;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  consumed_at: Value;
}
export interface SessionsTable {
  token_hash: string;
  account_id: string;
  created_at: Value;
  expires_at: Value;
  revoked_at: Value;
}
export interface ApplicationAccessTable {
  principal: string;
  application_id: string;
  relation: string;
  submitted_at: Value;
  granted_at: Value;
}
export interface OpsCredentialsTable {
  name: string;
  role: string;
  token_hash: string;
  created_at: Value;
  created_by: string;
  revoked_at: Value;
}
export interface AuditLogTable {
  seq: number | string;
  at: Value;
  actor_name: string;
  actor_role: string;
  action: string;
  application_id: string | null;
  step: string | null;
  year: number | null;
  credential: string | null;
  status: number;
  code: string | null;
  request_id: string;
  prev_hash: string;
  hash: string;
}

// ── the ops console (migration 7; ops-queries.ts) ───────────────────────────────────────────────
export interface OpsNotesTable {
  id: Generated<string | number>;
  application_id: string;
  at: Value;
  author: string;
  author_role: string;
  step: string | null;
  text: string;
}
export interface OpsEscalationsTable {
  id: Generated<string | number>;
  application_id: string;
  at: Value;
  author: string;
  author_role: string;
  step: string;
  note: string | null;
  deliveries: Value;
}

// ── the portal (migration 6; portal.ts) ──────────────────────────────────────────────────────
export interface DraftsTable {
  id: string;
  account_id: string;
  form: Value;
  company_name: string | null;
  created_at: Value;
  updated_at: Value;
}
export interface RatingsTable {
  application_id: string;
  target: string;
  level: number;
  comment: string | null;
  poor: Value;
  rated_by: string;
  rated_at: Value;
  follow_up_at: Value;
  follow_up_by: string | null;
  follow_up_note: string | null;
}

export interface DatabaseSchema {
  ops_notes: OpsNotesTable;
  ops_escalations: OpsEscalationsTable;
  drafts: DraftsTable;
  ratings: RatingsTable;
  accounts: AccountsTable;
  sign_in_codes: SignInCodesTable;
  sessions: SessionsTable;
  application_access: ApplicationAccessTable;
  ops_credentials: OpsCredentialsTable;
  audit_log: AuditLogTable;
  applications: ApplicationsTable;
  application_forms: ApplicationFormsTable;
  effects: EffectsTable;
  processed_events: ProcessedEventsTable;
  application_events: ApplicationEventsTable;
  sla_clocks: SlaClocksTable;
  calendar_years: CalendarYearsTable;
  schema_migrations: SchemaMigrationsTable;
}
