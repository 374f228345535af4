-- Compliance assessments: every run with its counts (the trend), each check's status per run (the full
-- result for recent runs), waivers,
-- the open non-compliant items with the date they were first seen (due dates count from it), and what
-- the notifier was last told (so an identical run sends nothing).
CREATE TABLE compliance_runs (
  id                 INTEGER PRIMARY KEY,
  started_at         TEXT    NOT NULL,
  finished_at        TEXT    NOT NULL,
  trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
  duration_ms        REAL    NOT NULL,
  cpu_ms             REAL    NOT NULL,
  checks             INTEGER NOT NULL,
  status_counts_json TEXT    NOT NULL,
  risk_counts_json   TEXT    NOT NULL,
  timings_json       TEXT    NOT NULL,
  outputs_json       TEXT    NOT NULL,
  network_json       TEXT    NOT NULL,
  notification_json  TEXT    NOT NULL
) STRICT;

CREATE TABLE compliance_results (
  run_id         INTEGER NOT NULL REFERENCES compliance_runs(id) ON DELETE CASCADE,
  check_id       TEXT    NOT NULL,
  status         TEXT    NOT NULL CHECK (status IN ('compliant', 'partial', 'violation', 'not_applicable', 'error', 'waived')),
  risk           TEXT    NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  -- The full result (evidence, mitigation...); kept for recent runs only, status and risk for all.
  result_json    TEXT,
  PRIMARY KEY (run_id, check_id)
) STRICT;
CREATE INDEX compliance_results_check ON compliance_results(check_id, run_id);

CREATE TABLE compliance_waivers (
  id            INTEGER PRIMARY KEY,
  check_id      TEXT    NOT NULL,
  justification TEXT    NOT NULL,
  approver      TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  expires_at    TEXT    NOT NULL,
  created_uid   INTEGER NOT NULL,
  created_pid   INTEGER NOT NULL,
  revoked_at    TEXT,
  revoked_reason TEXT
) STRICT;
CREATE INDEX compliance_waivers_check ON compliance_waivers(check_id, expires_at);

CREATE TABLE compliance_open_items (
  check_id   TEXT PRIMARY KEY,
  status     TEXT NOT NULL CHECK (status IN ('partial', 'violation')),
  risk       TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  due_at     TEXT NOT NULL
) STRICT;

CREATE TABLE compliance_notified (
  key         TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  risk        TEXT NOT NULL,
  notified_at TEXT NOT NULL
) STRICT;
