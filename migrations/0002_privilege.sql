-- Privilege governance: approval requests, single-use grants, elevated sessions and approval factors.
-- Every change to these tables commits in the same transaction as the audit event that records it.
CREATE TABLE approval_requests (
  id               INTEGER PRIMARY KEY,
  created_at       TEXT    NOT NULL,
  expires_at       TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
  argv_json        TEXT    NOT NULL,
  sudo_argv_json   TEXT    NOT NULL,
  mode             TEXT    NOT NULL,
  risk             TEXT    NOT NULL,
  risk_why         TEXT,
  target_user      TEXT    NOT NULL,
  target_group     TEXT,
  session_id       TEXT,
  reason           TEXT,
  untrusted        INTEGER NOT NULL,
  requester_uid    INTEGER NOT NULL,
  requester_pid    INTEGER NOT NULL,
  requester_ppid   INTEGER,
  requester_comm   TEXT,
  cwd              TEXT    NOT NULL,
  tty              TEXT,
  interactive      INTEGER NOT NULL,
  decided_at       TEXT,
  decided_by_pid   INTEGER,
  decision_channel TEXT,
  decision_reason  TEXT,
  session_key      TEXT,
  keep_session     INTEGER NOT NULL DEFAULT 0,
  grant_id         TEXT
) STRICT;
CREATE INDEX approval_requests_state ON approval_requests(state, id);

CREATE TABLE grants (
  id            TEXT    PRIMARY KEY,
  request_id    INTEGER REFERENCES approval_requests(id),
  session_key   TEXT,
  argv_json     TEXT    NOT NULL,
  sudo_argv_json TEXT   NOT NULL,
  target_user   TEXT    NOT NULL,
  requester_pid INTEGER NOT NULL,
  keep_session  INTEGER NOT NULL,
  created_at    TEXT    NOT NULL,
  expires_at    TEXT    NOT NULL,
  started_at    TEXT,
  finished_at   TEXT
) STRICT;

CREATE TABLE sessions (
  key                TEXT PRIMARY KEY,
  session_id         TEXT,
  target_user        TEXT NOT NULL,
  -- each approved exec spec: the complete sudo argument list (options, environment, command)
  approved_argv_json TEXT NOT NULL,
  created_at         TEXT NOT NULL,
  last_activity_at   TEXT NOT NULL,
  expires_at         TEXT NOT NULL
) STRICT;

CREATE TABLE approval_factors (
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  token_hash          TEXT,
  totp_secret         TEXT,
  totp_pending_secret TEXT,
  totp_last_step      INTEGER,
  failures            INTEGER NOT NULL DEFAULT 0,
  lockouts            INTEGER NOT NULL DEFAULT 0,
  locked_until        TEXT
) STRICT;
INSERT INTO approval_factors (id) VALUES (1);
