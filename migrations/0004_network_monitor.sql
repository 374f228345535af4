-- Network monitoring: every port/egress sample (duration and counts), the latest report of each
-- monitor, and findings with their lifecycle. A finding is open while resolved_at is NULL; one that
-- comes back after being resolved is a new row, so each row is one continuous exposure.
CREATE TABLE network_samples (
  id            INTEGER PRIMARY KEY,
  monitor       TEXT    NOT NULL CHECK (monitor IN ('ports', 'egress')),
  started_at    TEXT    NOT NULL,
  duration_ms   REAL    NOT NULL,
  trigger       TEXT    NOT NULL,
  tool          TEXT,
  sockets       INTEGER NOT NULL,
  attributed    INTEGER NOT NULL,
  unattributed  INTEGER NOT NULL,
  items         INTEGER NOT NULL,
  findings      INTEGER NOT NULL,
  added         INTEGER NOT NULL,
  removed       INTEGER NOT NULL,
  error         TEXT
) STRICT;
CREATE INDEX network_samples_monitor ON network_samples(monitor, id);

CREATE TABLE network_latest (
  monitor     TEXT    PRIMARY KEY CHECK (monitor IN ('ports', 'egress')),
  sample_id   INTEGER NOT NULL,
  report_json TEXT    NOT NULL
) STRICT;

CREATE TABLE network_findings (
  id          INTEGER PRIMARY KEY,
  monitor     TEXT    NOT NULL CHECK (monitor IN ('ports', 'egress')),
  key         TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  severity    TEXT    NOT NULL,
  first_seen  TEXT    NOT NULL,
  last_seen   TEXT    NOT NULL,
  occurrences INTEGER NOT NULL,
  resolved_at TEXT,
  data_json   TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX network_findings_open ON network_findings(monitor, key) WHERE resolved_at IS NULL;
CREATE INDEX network_findings_last_seen ON network_findings(last_seen);
