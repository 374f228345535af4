-- OpenClaw installation audits (ocsecctl security audit and the daily run): every run's full result,
-- each check's status for the compliance checks to read, and the key that fingerprints secrets in baselines.
CREATE TABLE security_audit_runs (
  id               INTEGER PRIMARY KEY,
  started_at       TEXT    NOT NULL,
  finished_at      TEXT    NOT NULL,
  trigger          TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
  deep             INTEGER NOT NULL,
  scope_json       TEXT    NOT NULL,
  score            REAL    NOT NULL,
  band             TEXT    NOT NULL,
  critical         INTEGER NOT NULL,
  high             INTEGER NOT NULL,
  medium           INTEGER NOT NULL,
  low              INTEGER NOT NULL,
  info             INTEGER NOT NULL,
  passed           INTEGER NOT NULL,
  openclaw_version TEXT,
  config_sha256    TEXT,
  result_json      TEXT    NOT NULL
) STRICT;

CREATE TABLE security_audit_checks (
  run_id   INTEGER NOT NULL REFERENCES security_audit_runs(id) ON DELETE CASCADE,
  check_id TEXT    NOT NULL,
  scope    TEXT    NOT NULL,
  status   TEXT    NOT NULL CHECK (status IN ('passed', 'failed', 'not_assessed')),
  severity TEXT    NOT NULL,
  reason   TEXT,
  PRIMARY KEY (run_id, check_id)
) STRICT;
CREATE INDEX security_audit_checks_latest ON security_audit_checks(check_id, run_id);

CREATE TABLE security_audit_keys (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;
