-- Identity (docs/security.md): applicant accounts, sign-in codes, sessions, who may act on which
-- application, ops credentials, the audit log. No secret is stored: tokens and codes as hashes,
-- mobile numbers as keyed hashes (HMAC with IDENTITY_KEY), plus a masked hint for display.

CREATE TABLE accounts (
  id              text        NOT NULL PRIMARY KEY,
  mobile_key      text        NOT NULL UNIQUE,
  mobile_hint     text        NOT NULL,
  created_at      timestamptz NOT NULL,
  last_sign_in_at timestamptz NOT NULL
);

-- Only the newest code of a number is live; older rows stay until they leave the rate window.
CREATE TABLE sign_in_codes (
  id           bigserial   NOT NULL PRIMARY KEY,
  mobile_key   text        NOT NULL,
  code_hash    text        NOT NULL,
  issued_at    timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  attempts     integer     NOT NULL DEFAULT 0,
  max_attempts integer     NOT NULL,
  consumed_at  timestamptz
);
CREATE INDEX sign_in_codes_mobile ON sign_in_codes (mobile_key, id);

CREATE TABLE sessions (
  token_hash text        NOT NULL PRIMARY KEY,
  account_id text        NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id, expires_at);

-- principal: "account:<id>", "mobile:<keyed hash>" or "token:<sha-256>". submitted_at is copied
-- from the application so "my applications" pages through one index, newest first.
CREATE TABLE application_access (
  principal      text        NOT NULL,
  application_id text        NOT NULL REFERENCES applications (id),
  relation       text        NOT NULL CHECK (relation IN ('owner', 'legal_representative')),
  submitted_at   timestamptz NOT NULL,
  granted_at     timestamptz NOT NULL,
  PRIMARY KEY (principal, application_id, relation)
);
CREATE INDEX application_access_by_principal ON application_access (principal, submitted_at, application_id);
CREATE INDEX application_access_by_application ON application_access (application_id, relation);

CREATE TABLE ops_credentials (
  name       text        NOT NULL PRIMARY KEY,
  role       text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_hash text        NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  created_by text        NOT NULL,
  revoked_at timestamptz
);

-- Append-only hash chain: seq is assigned by the appender (last + 1) under a transaction-level
-- advisory lock, so concurrent instances cannot fork the chain, seq has no gaps and chain order
-- is seq order.
CREATE TABLE audit_log (
  seq            bigint      NOT NULL PRIMARY KEY,
  at             timestamptz NOT NULL,
  actor_name     text        NOT NULL,
  actor_role     text        NOT NULL,
  action         text        NOT NULL,
  application_id text,
  step           text,
  year           integer,
  credential     text,
  status         integer     NOT NULL,
  code           text,
  request_id     text        NOT NULL,
  prev_hash      text        NOT NULL,
  hash           text        NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_application ON audit_log (application_id, seq) WHERE application_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor_name, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
