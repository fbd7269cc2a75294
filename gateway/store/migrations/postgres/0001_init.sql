-- Initial schema (PostgreSQL). Unqualified names: the store sets search_path to its schema.

CREATE TABLE applications (
  id               text        NOT NULL PRIMARY KEY,
  idempotency_key  text        UNIQUE,
  body_hash        text        NOT NULL,
  form             jsonb       NOT NULL,
  snapshot         jsonb       NOT NULL,
  snapshot_version integer     NOT NULL,
  state            text        NOT NULL,
  submitted_at     timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  revision         integer     NOT NULL
);
CREATE INDEX applications_submitted ON applications (submitted_at, id);
CREATE INDEX applications_state ON applications (state, submitted_at);

-- The outbox. bigserial ids are never reused, so a stale executor holding the id of a cancelled
-- effect can never complete a newer one.
CREATE TABLE effects (
  id             bigserial   NOT NULL PRIMARY KEY,
  application_id text        NOT NULL REFERENCES applications (id),
  kind           text        NOT NULL CHECK (kind IN ('department_call', 'timer')),
  step           text,
  key            text        NOT NULL,
  payload        jsonb       NOT NULL,
  due_at         timestamptz NOT NULL,
  attempts       integer     NOT NULL DEFAULT 0,
  lease_owner    text,
  lease_until    timestamptz,
  last_error     text,
  state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
  created_at     timestamptz NOT NULL,
  completed_at   timestamptz
);
-- At most one pending effect per (application, key); done rows keep their key as history.
CREATE UNIQUE INDEX effects_pending_key ON effects (application_id, key) WHERE state = 'pending';
-- The claim query (FOR UPDATE SKIP LOCKED … ORDER BY due_at LIMIT n) and nextDueAt walk pending
-- rows in due order; done rows never enter the index.
CREATE INDEX effects_pending_due ON effects (due_at, id) WHERE state = 'pending';
-- releaseLeases and nextDueAt look at the (few) leased rows only.
CREATE INDEX effects_leased ON effects (lease_owner, lease_until) WHERE state = 'pending' AND lease_owner IS NOT NULL;

CREATE TABLE processed_events (
  application_id text        NOT NULL,
  dedup_key      text        NOT NULL,
  processed_at   timestamptz NOT NULL,
  PRIMARY KEY (application_id, dedup_key)
);

-- seq is allocated under a transaction-level advisory lock held until commit (see
-- postgres-store.ts), so commit order is seq order and an SSE reader never skips an event.
CREATE TABLE events (
  seq            bigserial   NOT NULL PRIMARY KEY,
  application_id text        NOT NULL REFERENCES applications (id),
  type           text        NOT NULL,
  step           text,
  at             timestamptz NOT NULL,
  data           jsonb       NOT NULL
);
CREATE INDEX events_application ON events (application_id, seq);

CREATE TABLE sla_clocks (
  application_id text             NOT NULL REFERENCES applications (id),
  clock          text             NOT NULL,
  window_ms      double precision NOT NULL,
  state          text             NOT NULL,
  started_at     timestamptz,
  running_since  timestamptz,
  consumed_ms    double precision NOT NULL,
  paused_reasons text[]           NOT NULL,
  deadline       timestamptz,
  provisional    boolean          NOT NULL,
  at_risk_at     timestamptz,
  breached_at    timestamptz,
  finished_at    timestamptz,
  duration_ms    double precision,
  department     text,
  PRIMARY KEY (application_id, clock)
);
CREATE INDEX sla_clocks_state ON sla_clocks (state, clock);
CREATE INDEX sla_clocks_finished ON sla_clocks (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE callback_events (
  step        text        NOT NULL,
  event_id    text        NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (step, event_id)
);

CREATE TABLE calendar_years (
  year       integer     NOT NULL PRIMARY KEY,
  document   jsonb       NOT NULL,
  updated_at timestamptz NOT NULL
);
