-- The append-only, hash-chained audit trail and a small key/value table for daemon metadata.
CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY,
  ts         TEXT    NOT NULL,
  actor_uid  INTEGER NOT NULL,
  actor_pid  INTEGER NOT NULL,
  action     TEXT    NOT NULL,
  subject    TEXT    NOT NULL DEFAULT '',
  data_json  TEXT    NOT NULL,
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_events_action ON audit_events(action, seq);
CREATE INDEX audit_events_ts ON audit_events(ts);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;

CREATE TABLE daemon_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
