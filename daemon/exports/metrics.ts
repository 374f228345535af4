/**
 * Metrics in the Prometheus text exposition format for node_exporter's textfile collector, written by
 * rename so the collector never reads half a file. Counts come from the store as it is: findings and
 * compliance results only where their tables exist (a `*_source_present` gauge says whether they do).
 */
import { writeFileAtomic } from '../atomic-file.js';
import type { ExportSinkStatus, JobStatus } from '../../client/protocol.js';
import type { Db } from '../store/db.js';

export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const labelText = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${labelText} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function tableColumns(db: Db, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as Array<{ name: string }>).map((c) => c.name));
}

function tables(db: Db): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
}

/**
 * Open findings by type and severity from the network monitor's `network_findings` (or a generic `findings`)
 * table, if it has a type (or kind) and a severity column; resolved ones (resolved_at set, or state/status
 * resolved) are left out.
 */
export function openFindings(db: Db): { present: boolean; counts: Array<{ type: string; severity: string; count: number }> } {
  const present = tables(db);
  const table = ['network_findings', 'findings'].find((t) => present.includes(t));
  if (!table) return { present: false, counts: [] };
  const cols = tableColumns(db, table);
  const typeCol = cols.has('type') ? 'type' : cols.has('kind') ? 'kind' : null;
  if (!typeCol || !cols.has('severity')) return { present: false, counts: [] };
  const open = cols.has('resolved_at') ? 'resolved_at IS NULL' : cols.has('state') ? `state NOT IN ('resolved', 'removed')` : cols.has('status') ? `status NOT IN ('resolved', 'removed')` : '1';
  const rows = db.prepare(`SELECT ${typeCol} AS type, severity, count(*) AS count FROM ${table} WHERE ${open} GROUP BY 1, 2 ORDER BY 1, 2`).all() as Array<{ type: string; severity: string; count: number }>;
  return { present: true, counts: rows.map((r) => ({ type: String(r.type), severity: String(r.severity), count: Number(r.count) })) };
}

/**
 * Check results of the latest compliance run, by status: a table named compliance_* with run_id, check_id
 * and status columns (the assessment's), taking the highest run_id.
 */
export function latestComplianceCounts(db: Db): { present: boolean; counts: Array<{ status: string; count: number }> } {
  const table = tables(db).find((t) => {
    if (!t.startsWith('compliance')) return false;
    const cols = tableColumns(db, t);
    return cols.has('run_id') && cols.has('check_id') && cols.has('status');
  });
  if (!table) return { present: false, counts: [] };
  const rows = db
    .prepare(`SELECT status, count(*) AS count FROM ${table} WHERE run_id = (SELECT max(run_id) FROM ${table}) GROUP BY status ORDER BY status`)
    .all() as Array<{ status: string; count: number }>;
  return { present: true, counts: rows.map((r) => ({ status: String(r.status), count: Number(r.count) })) };
}

export interface MetricsInput {
  version: string;
  nowMs: number;
  startedAtMs: number;
  db: Db;
  pendingApprovals: number;
  activeSessions: number;
  jobs: readonly JobStatus[];
  audit: { headSeq: number; lastVerify: { ok: boolean; atMs: number } | null };
  exports: readonly ExportSinkStatus[];
}

export function collectMetrics(input: MetricsInput): MetricFamily[] {
  const findings = openFindings(input.db);
  const compliance = latestComplianceCounts(input.db);
  const seconds = (ms: number) => Math.round(ms) / 1000;
  const families: MetricFamily[] = [
    { name: 'ocsec_info', help: 'ocsecd build information.', type: 'gauge', samples: [{ labels: { version: input.version }, value: 1 }] },
    { name: 'ocsec_textfile_generated_timestamp_seconds', help: 'When ocsecd wrote this file (stale means the daemon stopped).', type: 'gauge', samples: [{ value: seconds(input.nowMs) }] },
    { name: 'ocsec_daemon_start_timestamp_seconds', help: 'When the running ocsecd started.', type: 'gauge', samples: [{ value: seconds(input.startedAtMs) }] },
    { name: 'ocsec_findings_source_present', help: '1 when the findings store exists, so ocsec_findings_open 0 means none rather than not measured.', type: 'gauge', samples: [{ value: findings.present ? 1 : 0 }] },
    { name: 'ocsec_findings_open', help: 'Open findings by type and severity.', type: 'gauge', samples: findings.counts.map((c) => ({ labels: { type: c.type, severity: c.severity }, value: c.count })) },
    { name: 'ocsec_compliance_source_present', help: '1 when compliance results exist.', type: 'gauge', samples: [{ value: compliance.present ? 1 : 0 }] },
    { name: 'ocsec_compliance_checks', help: 'Checks of the latest compliance run by status.', type: 'gauge', samples: compliance.counts.map((c) => ({ labels: { status: c.status }, value: c.count })) },
    { name: 'ocsec_pending_approvals', help: 'Privileged requests waiting for a human decision.', type: 'gauge', samples: [{ value: input.pendingApprovals }] },
    { name: 'ocsec_elevated_sessions', help: 'Elevated sessions currently keeping approvals.', type: 'gauge', samples: [{ value: input.activeSessions }] },
    {
      name: 'ocsec_job_last_run_timestamp_seconds',
      help: 'When each scheduled job last started.',
      type: 'gauge',
      samples: input.jobs.filter((j) => j.lastRunAt !== null).map((j) => ({ labels: { job: j.name }, value: seconds(Date.parse(j.lastRunAt!)) })),
    },
    {
      name: 'ocsec_job_last_duration_seconds',
      help: 'How long each scheduled job last ran.',
      type: 'gauge',
      samples: input.jobs.filter((j) => j.lastDurationMs !== null).map((j) => ({ labels: { job: j.name }, value: seconds(j.lastDurationMs!) })),
    },
    { name: 'ocsec_job_last_run_failed', help: '1 when the job\'s last run failed.', type: 'gauge', samples: input.jobs.map((j) => ({ labels: { job: j.name }, value: j.lastError ? 1 : 0 })) },
    { name: 'ocsec_job_runs_total', help: 'Runs of each job since ocsecd started.', type: 'counter', samples: input.jobs.map((j) => ({ labels: { job: j.name }, value: j.runs })) },
    { name: 'ocsec_audit_chain_length', help: 'Events in the audit chain (its head seq).', type: 'gauge', samples: [{ value: input.audit.headSeq }] },
    {
      name: 'ocsec_audit_chain_verified',
      help: '1 when the last verification of the audit chain and its mirror found no break.',
      type: 'gauge',
      samples: input.audit.lastVerify ? [{ value: input.audit.lastVerify.ok ? 1 : 0 }] : [],
    },
    {
      name: 'ocsec_audit_chain_last_verify_timestamp_seconds',
      help: 'When the audit chain was last verified.',
      type: 'gauge',
      samples: input.audit.lastVerify ? [{ value: seconds(input.audit.lastVerify.atMs) }] : [],
    },
    { name: 'ocsec_export_delivered_total', help: 'Events (or files) each export delivered since ocsecd started.', type: 'counter', samples: input.exports.filter((s) => s.enabled).map((s) => ({ labels: { sink: s.name }, value: s.delivered })) },
    { name: 'ocsec_export_failures_total', help: 'Failed delivery attempts of each export since ocsecd started.', type: 'counter', samples: input.exports.filter((s) => s.enabled).map((s) => ({ labels: { sink: s.name }, value: s.failures })) },
    {
      name: 'ocsec_export_lag_events',
      help: 'Audit events not yet delivered by each event export.',
      type: 'gauge',
      samples: input.exports.filter((s) => s.enabled && s.cursorSeq !== null).map((s) => ({ labels: { sink: s.name }, value: Math.max(0, input.audit.headSeq - s.cursorSeq!) })),
    },
  ];
  return families;
}

/** node_exporter reads the file while we replace it: temp file (not *.prom, which the collector skips), fsync, rename. */
export function writeTextfile(path: string, text: string, mode: number): void {
  writeFileAtomic(path, text, mode);
}
