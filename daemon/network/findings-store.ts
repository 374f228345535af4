/**
 * Findings across samples, osquery-style: each sample's findings are diffed against the open ones;
 * a new key is `added` (first_seen = now), a known one is seen again (last_seen, occurrences), an
 * open one missing from the sample is `removed` (resolved_at). The change and its audit events
 * commit in one transaction.
 */
import type { StoredFinding } from '../../client/network-protocol.js';
import type { AuditEvent } from '../../client/protocol.js';
import type { Actor, AuditInput } from '../audit/trail.js';
import type { Db } from '../store/db.js';
import type { Severity } from './port-findings.js';

export type Monitor = 'ports' | 'egress';

export interface FindingDraft {
  key: string;
  type: string;
  severity: Severity;
}

export interface Lifecycle {
  first_seen: string;
  last_seen: string;
  occurrences: number;
}

interface Row {
  id: number;
  monitor: Monitor;
  key: string;
  type: string;
  severity: Severity;
  first_seen: string;
  last_seen: string;
  occurrences: number;
  resolved_at: string | null;
  data_json: string;
}

export interface FindingChange {
  change: 'added' | 'removed';
  finding: StoredFinding;
}

export interface ReconcileResult<D extends FindingDraft> {
  current: Array<D & Lifecycle>;
  changes: FindingChange[];
}

function toStored(row: Row): StoredFinding {
  return {
    id: row.id,
    monitor: row.monitor,
    key: row.key,
    type: row.type,
    severity: row.severity,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    occurrences: row.occurrences,
    resolved_at: row.resolved_at,
    data: JSON.parse(row.data_json) as Record<string, unknown>,
  };
}

/** What an audit event about a finding carries: the finding's own fields without the long lists. */
function auditData(monitor: Monitor, stored: StoredFinding): Record<string, unknown> {
  const { names, ...rest } = stored.data;
  return {
    ...rest,
    ...(Array.isArray(names) ? { names: names.slice(0, 5) } : {}),
    monitor,
    finding_id: stored.id,
    first_seen: stored.first_seen,
    last_seen: stored.last_seen,
    occurrences: stored.occurrences,
    resolved_at: stored.resolved_at,
  };
}

export class FindingsStore {
  private readonly selectOpen;
  private readonly insert;
  private readonly seenAgain;
  private readonly resolve;
  private readonly selectById;

  constructor(private readonly db: Db) {
    this.selectOpen = db.prepare('SELECT * FROM network_findings WHERE monitor = ? AND resolved_at IS NULL');
    this.insert = db.prepare(
      `INSERT INTO network_findings (monitor, key, type, severity, first_seen, last_seen, occurrences, resolved_at, data_json)
       VALUES (@monitor, @key, @type, @severity, @at, @at, 1, NULL, @data_json)`,
    );
    this.seenAgain = db.prepare('UPDATE network_findings SET last_seen = @at, occurrences = occurrences + 1, severity = @severity, data_json = @data_json WHERE id = @id');
    this.resolve = db.prepare('UPDATE network_findings SET resolved_at = @at WHERE id = @id');
    this.selectById = db.prepare('SELECT * FROM network_findings WHERE id = ?');
  }

  /**
   * Runs inside audit.transact: `record` appends the added/removed events in the same transaction.
   * Returns the sample's findings with their lifecycle, and the changes.
   */
  reconcile<D extends FindingDraft>(monitor: Monitor, drafts: readonly D[], at: number, actor: Actor, record: (input: AuditInput) => AuditEvent): ReconcileResult<D> {
    const iso = new Date(at).toISOString();
    const open = new Map((this.selectOpen.all(monitor) as Row[]).map((row) => [row.key, row]));
    const current: Array<D & Lifecycle> = [];
    const changes: FindingChange[] = [];
    for (const draft of drafts) {
      const data_json = JSON.stringify(draft);
      const existing = open.get(draft.key);
      let row: Row;
      if (existing) {
        open.delete(draft.key);
        this.seenAgain.run({ id: existing.id, at: iso, severity: draft.severity, data_json });
        row = { ...existing, last_seen: iso, occurrences: existing.occurrences + 1, severity: draft.severity, data_json };
      } else {
        const id = Number(this.insert.run({ monitor, key: draft.key, type: draft.type, severity: draft.severity, at: iso, data_json }).lastInsertRowid);
        row = this.selectById.get(id) as Row;
        const stored = toStored(row);
        changes.push({ change: 'added', finding: stored });
        record({ action: 'network.finding_added', actor, subject: `${monitor}:${draft.key}`, data: auditData(monitor, stored) });
      }
      current.push({ ...draft, first_seen: row.first_seen, last_seen: row.last_seen, occurrences: row.occurrences });
    }
    for (const row of open.values()) {
      this.resolve.run({ id: row.id, at: iso });
      const stored = toStored({ ...row, resolved_at: iso });
      changes.push({ change: 'removed', finding: stored });
      record({ action: 'network.finding_removed', actor, subject: `${monitor}:${row.key}`, data: auditData(monitor, stored) });
    }
    return { current, changes };
  }

  list(q: { monitor?: Monitor; state?: 'open' | 'resolved' | 'all'; since?: string; limit?: number }): StoredFinding[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit ?? 100 };
    if (q.monitor) {
      where.push('monitor = @monitor');
      params.monitor = q.monitor;
    }
    const state = q.state ?? 'open';
    if (state === 'open') where.push('resolved_at IS NULL');
    if (state === 'resolved') where.push('resolved_at IS NOT NULL');
    if (q.since) {
      where.push('last_seen >= @since');
      params.since = new Date(q.since).toISOString();
    }
    const sql = `SELECT * FROM network_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC, id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as Row[]).map(toStored);
  }
}
