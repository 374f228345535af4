/** The compliance tables: runs with their counts, per-check results, waivers, open items (for due dates) and what was last notified. */
import type { ComplianceNetworkFinding, ComplianceRunResult, NotificationOutcome, RunSummary, WaiverShape } from '../../client/compliance-protocol.js';
import type { Db } from '../store/db.js';
import type { CheckResult, OpenItem, Waiver } from './assess.js';
import { CHECK_IDS, type CheckId, type ComplianceStatus, type Risk } from './check-ids.js';

/** Runs whose full results (evidence, mitigations) are kept; older runs keep each check's status and risk only. */
export const FULL_RESULTS_KEPT = 168;

interface RunRow {
  id: number;
  started_at: string;
  finished_at: string;
  trigger: 'manual' | 'scheduled';
  duration_ms: number;
  cpu_ms: number;
  status_counts_json: string;
  risk_counts_json: string;
  timings_json: string;
  outputs_json: string;
  network_json: string;
  notification_json: string;
}

interface WaiverRow {
  id: number;
  check_id: string;
  justification: string;
  approver: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface StoredRun {
  summary: RunSummary;
  timings: ComplianceRunResult['timings'];
  outputs: ComplianceRunResult['outputs'];
  networkFindings: ComplianceNetworkFinding[];
  notification: NotificationOutcome;
}

function toSummary(row: RunRow): RunSummary {
  return {
    runId: row.id,
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    cpuMs: row.cpu_ms,
    statusCounts: JSON.parse(row.status_counts_json) as Record<string, number>,
    riskCounts: JSON.parse(row.risk_counts_json) as Record<string, number>,
  };
}

export function waiverState(row: Pick<WaiverShape, 'revokedAt' | 'expiresAt'>, now: number): WaiverShape['state'] {
  if (row.revokedAt !== null) return 'revoked';
  return Date.parse(row.expiresAt) > now ? 'active' : 'expired';
}

function toWaiver(row: WaiverRow, now: number): WaiverShape {
  const shape = { id: row.id, checkId: row.check_id, justification: row.justification, approver: row.approver, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, revokedReason: row.revoked_reason };
  return { ...shape, state: waiverState(shape, now) };
}

export class ComplianceStore {
  constructor(private readonly db: Db) {}

  insertRun(run: Omit<StoredRun, 'summary'> & { summary: Omit<RunSummary, 'runId'> }, results: readonly CheckResult[], keepRuns: number): number {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO compliance_runs (started_at, finished_at, trigger, duration_ms, cpu_ms, checks, status_counts_json, risk_counts_json, timings_json, outputs_json, network_json, notification_json)
           VALUES (@started_at, @finished_at, @trigger, @duration_ms, @cpu_ms, @checks, @status_counts_json, @risk_counts_json, @timings_json, @outputs_json, @network_json, @notification_json)`,
        )
        .run({
          started_at: run.summary.startedAt,
          finished_at: run.summary.finishedAt,
          trigger: run.summary.trigger,
          duration_ms: run.summary.durationMs,
          cpu_ms: run.summary.cpuMs,
          checks: results.length,
          status_counts_json: JSON.stringify(run.summary.statusCounts),
          risk_counts_json: JSON.stringify(run.summary.riskCounts),
          timings_json: JSON.stringify(run.timings),
          outputs_json: JSON.stringify(run.outputs),
          network_json: JSON.stringify(run.networkFindings),
          notification_json: JSON.stringify(run.notification),
        }).lastInsertRowid,
    );
    const insert = this.db.prepare('INSERT INTO compliance_results (run_id, check_id, status, risk, result_json) VALUES (?, ?, ?, ?, ?)');
    for (const r of results) insert.run(id, r.check_id, r.status, r.risk, JSON.stringify(r));
    this.db.prepare('DELETE FROM compliance_runs WHERE id <= ?').run(id - keepRuns);
    this.db.prepare('UPDATE compliance_results SET result_json = NULL WHERE run_id <= ? AND result_json IS NOT NULL').run(id - FULL_RESULTS_KEPT);
    return id;
  }

  /** The notification outcome is known only after the run is stored (the notifier runs last). */
  setNotification(runId: number, notification: NotificationOutcome): void {
    this.db.prepare('UPDATE compliance_runs SET notification_json = ? WHERE id = ?').run(JSON.stringify(notification), runId);
  }

  setOutputs(runId: number, outputs: ComplianceRunResult['outputs']): void {
    this.db.prepare('UPDATE compliance_runs SET outputs_json = ? WHERE id = ?').run(JSON.stringify(outputs), runId);
  }

  latestRun(): ComplianceRunResult | null {
    const row = this.db.prepare('SELECT * FROM compliance_runs ORDER BY id DESC LIMIT 1').get() as RunRow | undefined;
    if (!row) return null;
    const results = (this.db.prepare('SELECT result_json FROM compliance_results WHERE run_id = ? AND result_json IS NOT NULL').all(row.id) as Array<{ result_json: string }>).map((r) => JSON.parse(r.result_json) as CheckResult);
    const order = new Map<string, number>(CHECK_IDS.map((id, i) => [id, i]));
    results.sort((a, b) => (order.get(a.check_id) ?? 999) - (order.get(b.check_id) ?? 999));
    return {
      run: toSummary(row),
      results,
      networkFindings: JSON.parse(row.network_json) as ComplianceNetworkFinding[],
      outputs: JSON.parse(row.outputs_json) as ComplianceRunResult['outputs'],
      notification: JSON.parse(row.notification_json) as NotificationOutcome,
      timings: JSON.parse(row.timings_json) as ComplianceRunResult['timings'],
    };
  }

  /** Newest first. */
  runs(limit: number): RunSummary[] {
    return (this.db.prepare('SELECT * FROM compliance_runs ORDER BY id DESC LIMIT ?').all(limit) as RunRow[]).map(toSummary);
  }

  checkHistory(checkId: string, limit: number): Array<{ runId: number; finishedAt: string; status: ComplianceStatus; risk: Risk }> {
    return this.db
      .prepare(
        `SELECT r.run_id AS runId, c.finished_at AS finishedAt, r.status, r.risk FROM compliance_results r JOIN compliance_runs c ON c.id = r.run_id
         WHERE r.check_id = ? ORDER BY r.run_id DESC LIMIT ?`,
      )
      .all(checkId, limit) as Array<{ runId: number; finishedAt: string; status: ComplianceStatus; risk: Risk }>;
  }

  // ---- waivers ---------------------------------------------------------------------------------

  insertWaiver(w: { checkId: CheckId; justification: string; approver: string; createdAt: string; expiresAt: string; uid: number; pid: number }, now: number): WaiverShape {
    const id = Number(
      this.db
        .prepare('INSERT INTO compliance_waivers (check_id, justification, approver, created_at, expires_at, created_uid, created_pid) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(w.checkId, w.justification, w.approver, w.createdAt, w.expiresAt, w.uid, w.pid).lastInsertRowid,
    );
    return this.waiver(id, now)!;
  }

  waiver(id: number, now: number): WaiverShape | null {
    const row = this.db.prepare('SELECT * FROM compliance_waivers WHERE id = ?').get(id) as WaiverRow | undefined;
    return row ? toWaiver(row, now) : null;
  }

  revokeWaiver(id: number, at: string, reason: string | null): void {
    this.db.prepare('UPDATE compliance_waivers SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL').run(at, reason, id);
  }

  waivers(now: number, all: boolean): WaiverShape[] {
    const rows = this.db.prepare('SELECT * FROM compliance_waivers ORDER BY id DESC').all() as WaiverRow[];
    return rows.map((r) => toWaiver(r, now)).filter((w) => all || w.state === 'active');
  }

  activeWaivers(now: number): Waiver[] {
    return this.waivers(now, false).map((w) => ({ id: w.id, checkId: w.checkId as CheckId, justification: w.justification, approver: w.approver, createdAt: w.createdAt, expiresAt: w.expiresAt }));
  }

  // ---- open items (due dates) ------------------------------------------------------------------

  openItems(): Map<CheckId, OpenItem> {
    const rows = this.db.prepare('SELECT * FROM compliance_open_items').all() as Array<{ check_id: CheckId; status: 'partial' | 'violation'; risk: Risk; first_seen: string; due_at: string }>;
    return new Map(rows.map((r) => [r.check_id, { status: r.status, risk: r.risk, firstSeen: r.first_seen, dueAt: r.due_at }]));
  }

  replaceOpenItems(items: ReadonlyMap<CheckId, OpenItem>): void {
    this.db.prepare('DELETE FROM compliance_open_items').run();
    const insert = this.db.prepare('INSERT INTO compliance_open_items (check_id, status, risk, first_seen, due_at) VALUES (?, ?, ?, ?, ?)');
    for (const [id, item] of items) insert.run(id, item.status, item.risk, item.firstSeen, item.dueAt);
  }

  // ---- notification state ----------------------------------------------------------------------

  notified(): Map<string, { status: string; risk: string }> {
    const rows = this.db.prepare('SELECT key, status, risk FROM compliance_notified').all() as Array<{ key: string; status: string; risk: string }>;
    return new Map(rows.map((r) => [r.key, { status: r.status, risk: r.risk }]));
  }

  /** Records what the notifier was told: open items as they are now, resolved ones removed. */
  recordNotified(open: ReadonlyArray<{ key: string; status: string; risk: string }>, resolved: readonly string[], at: string): void {
    const upsert = this.db.prepare('INSERT INTO compliance_notified (key, status, risk, notified_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET status = excluded.status, risk = excluded.risk, notified_at = excluded.notified_at');
    for (const o of open) upsert.run(o.key, o.status, o.risk, at);
    const remove = this.db.prepare('DELETE FROM compliance_notified WHERE key = ?');
    for (const key of resolved) remove.run(key);
  }
}
