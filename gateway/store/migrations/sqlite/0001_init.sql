-- Initial schema (SQLite). Times are TEXT in the fixed-width UTC form of Date#toISOString()
-- ("2026-01-05T01:00:00.000Z"), so comparing strings compares instants. JSON is TEXT.
-- STRICT tables reject values of the wrong type instead of silently storing them.

CREATE TABLE applications (
  id               TEXT    NOT NULL PRIMARY KEY,
  idempotency_key  TEXT    UNIQUE,
  body_hash        TEXT    NOT NULL,
  form             TEXT    NOT NULL,
  snapshot         TEXT    NOT NULL,
  snapshot_version INTEGER NOT NULL,
  state            TEXT    NOT NULL,
  submitted_at     TEXT    NOT NULL,
  updated_at       TEXT    NOT NULL,
  completed_at     TEXT,
  revision         INTEGER NOT NULL
) STRICT;
CREATE INDEX applications_submitted ON applications (submitted_at, id);
CREATE INDEX applications_state ON applications (state, submitted_at);

-- The outbox. AUTOINCREMENT: an id is never reused, so a stale executor holding the id of a
-- cancelled effect can never complete a newer one.
CREATE TABLE effects (
  id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  application_id TEXT    NOT NULL REFERENCES applications (id),
  kind           TEXT    NOT NULL CHECK (kind IN ('department_call', 'timer')),
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
) STRICT;
-- At most one pending effect per (application, key); done rows keep their key as history.
CREATE UNIQUE INDEX effects_pending_key ON effects (application_id, key) WHERE state = 'pending';
-- The claim query and nextDueAt walk pending rows in due order; done rows never enter the index.
CREATE INDEX effects_pending_due ON effects (due_at, id) WHERE state = 'pending';
-- releaseLeases and nextDueAt look at the (few) leased rows only.
CREATE INDEX effects_leased ON effects (lease_owner, lease_until) WHERE state = 'pending' AND lease_owner IS NOT NULL;

CREATE TABLE processed_events (
  application_id TEXT NOT NULL,
  dedup_key      TEXT NOT NULL,
  processed_at   TEXT NOT NULL,
  PRIMARY KEY (application_id, dedup_key)
) STRICT, WITHOUT ROWID;

-- seq: AUTOINCREMENT so it only ever grows (SSE Last-Event-ID); one writer at a time means
-- commit order is seq order.
CREATE TABLE events (
  seq            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  application_id TEXT    NOT NULL REFERENCES applications (id),
  type           TEXT    NOT NULL,
  step           TEXT,
  at             TEXT    NOT NULL,
  data           TEXT    NOT NULL
) STRICT;
CREATE INDEX events_application ON events (application_id, seq);

CREATE TABLE sla_clocks (
  application_id TEXT    NOT NULL REFERENCES applications (id),
  clock          TEXT    NOT NULL,
  window_ms      REAL    NOT NULL,
  state          TEXT    NOT NULL,
  started_at     TEXT,
  running_since  TEXT,
  consumed_ms    REAL    NOT NULL,
  paused_reasons TEXT    NOT NULL,
  deadline       TEXT,
  provisional    INTEGER NOT NULL CHECK (provisional IN (0, 1)),
  at_risk_at     TEXT,
  breached_at    TEXT,
  finished_at    TEXT,
  duration_ms    REAL,
  department     TEXT,
  PRIMARY KEY (application_id, clock)
) STRICT, WITHOUT ROWID;
CREATE INDEX sla_clocks_state ON sla_clocks (state, clock);
CREATE INDEX sla_clocks_finished ON sla_clocks (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE callback_events (
  step        TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (step, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE calendar_years (
  year       INTEGER NOT NULL PRIMARY KEY,
  document   TEXT    NOT NULL,
  updated_at TEXT    NOT NULL
) STRICT;
