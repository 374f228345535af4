/**
 * Turns one run's Evidence into results: every check of the catalog evaluated (or `error` naming the
 * evidence it lacked), waivers applied, owners assigned, and due dates counted from when an item was
 * first found, so a finding's due date does not move while it stays open.
 */
import type { ComplianceConfig } from './config.js';
import type { Catalog } from './catalog.js';
import { CHECK_IDS, RISK_RANK, type CheckId, type ComplianceStatus, type Risk } from './check-ids.js';
import { CHECK_BY_ID, type CheckOutcome } from './checks.js';
import type { Evidence, EvidenceSource } from './evidence.js';

export interface Waiver {
  id: number;
  checkId: CheckId;
  justification: string;
  approver: string;
  createdAt: string;
  expiresAt: string;
}

export interface OpenItem {
  status: 'partial' | 'violation';
  risk: Risk;
  firstSeen: string;
  dueAt: string;
}

export interface CheckResult {
  check_id: CheckId;
  title: string;
  status: ComplianceStatus;
  risk: Risk;
  observed_state: string;
  evidence: string;
  evidence_data: Record<string, unknown>;
  gap: string;
  mitigation: string;
  owner: string;
  /** YYYY-MM-DD for open items (partial, violation, waived), null otherwise. */
  due_date: string | null;
  /** When the open item was first found (ISO), null when not open. */
  first_seen: string | null;
  /** The status a waiver covers, when status is `waived`. */
  waived_status: 'partial' | 'violation' | null;
  waiver: { id: number; justification: string; approver: string; expires_at: string } | null;
  iso27001: string[];
  nist_csf: string[];
  nist_800_53: string[];
  expected_state: string;
  /** Time spent in the check itself (its evidence is timed per source). */
  duration_ms: number;
}

/** What to do when a source could not be read, shown as the mitigation of the checks that needed it. */
export const SOURCE_FIX: Record<EvidenceSource, string> = {
  settings: 'check ocsec.json (ocsecctl status)',
  factors: 'ocsecctl store integrity; see the daemon log',
  privilege: 'ocsecctl store integrity; see the daemon log',
  auditActivity: 'ocsecctl store integrity; see the daemon log',
  auditChain: 'ocsecctl audit verify; see the daemon log',
  auditFiles: 'check the security directory exists and is readable by ocsecd',
  policies: 'ocsecctl policy check',
  host: 'ocsecctl doctor (it reads the same host facts)',
  launcher: 'ocsecctl doctor',
  service: 'ocsecctl doctor',
  ports: 'ocsecctl ports --sample (and see its error)',
  egress: 'ocsecctl egress --sample (and see its error)',
  openclaw: 'ocsecctl security audit (names the file, line and column that does not parse)',
  permissions: 'ocsecctl security audit --scope permissions',
  securityAudit: 'ocsecctl security latest; see the daemon log',
  backups: 'check compliance.backup.paths in ocsec.json',
};

export interface AssessOptions {
  catalog: Catalog;
  config: ComplianceConfig;
  waivers: readonly Waiver[];
  openItems: ReadonlyMap<CheckId, OpenItem>;
  /** Monotonic milliseconds, for the per-check timings. */
  monotonic: () => number;
  onCheckFailure?: (checkId: CheckId, err: unknown) => void;
}

export interface Assessment {
  results: CheckResult[];
  openItems: Map<CheckId, OpenItem>;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dueDays(config: ComplianceConfig, id: CheckId, risk: Risk): number {
  return config.due_days_by_check[id] ?? config.due_days[risk];
}

function ownerOf(config: ComplianceConfig, id: CheckId, risk: Risk, fallback: string): string {
  return config.owners[id] ?? config.owners_by_risk[risk] ?? fallback;
}

/** The outcome of a check whose evidence could not be read: never a guess at the status. */
function missingEvidence(missing: Array<{ source: EvidenceSource; reason: string }>): CheckOutcome & { status: 'error' } {
  const reasons = missing.map((m) => `${m.source}: ${m.reason}`).join('; ');
  return {
    status: 'error',
    observed: `Evidence could not be read (${reasons}).`,
    evidence: reasons,
    data: { unreadable: missing },
    gap: 'Not assessed: the check cannot decide without this evidence.',
    mitigation: [...new Set(missing.map((m) => SOURCE_FIX[m.source]))].join('; '),
  };
}

export function evaluateCheck(id: CheckId, e: Evidence, onFailure?: (err: unknown) => void): CheckOutcome {
  const def = CHECK_BY_ID.get(id);
  if (!def) throw new Error(`no check function for ${id}`);
  const missing = def.needs.flatMap((source) => {
    const s = e[source];
    return s.ok ? [] : [{ source, reason: s.reason }];
  });
  if (missing.length > 0) return missingEvidence(missing);
  try {
    return def.run(e);
  } catch (err) {
    onFailure?.(err);
    return {
      status: 'error',
      observed: `The check failed: ${(err as Error).message}.`,
      evidence: (err as Error).message,
      data: {},
      gap: 'Not assessed.',
      mitigation: 'see the daemon log (journalctl --user -u ocsecd) and report it',
    };
  }
}

function activeWaiver(waivers: readonly Waiver[], id: CheckId, now: number): Waiver | null {
  return waivers.filter((w) => w.checkId === id && Date.parse(w.expiresAt) > now).sort((a, b) => Date.parse(b.expiresAt) - Date.parse(a.expiresAt))[0] ?? null;
}

export function assess(e: Evidence, o: AssessOptions): Assessment {
  const openItems = new Map(o.openItems);
  const results: CheckResult[] = [];
  for (const id of CHECK_IDS) {
    const control = o.catalog.get(id);
    if (!control) throw new Error(`the controls catalog has no entry for ${id}`);
    const started = o.monotonic();
    const out = evaluateCheck(id, e, (err) => o.onCheckFailure?.(id, err));
    const duration = o.monotonic() - started;
    const risk = out.risk ?? control.default_risk;
    let status: ComplianceStatus = out.status;
    let waiver: Waiver | null = null;
    let waivedStatus: CheckResult['waived_status'] = null;
    if (out.status === 'partial' || out.status === 'violation') {
      waiver = activeWaiver(o.waivers, id, e.now);
      if (waiver) {
        waivedStatus = out.status;
        status = 'waived';
      }
      const underlying = out.status;
      const prior = openItems.get(id);
      const dueIfNew = e.now + dueDays(o.config, id, risk) * 86_400_000;
      if (!prior) {
        openItems.set(id, { status: underlying, risk, firstSeen: new Date(e.now).toISOString(), dueAt: new Date(dueIfNew).toISOString() });
      } else if (prior.status !== underlying || prior.risk !== risk) {
        // Worse findings get the shorter deadline; a milder one keeps the deadline it had.
        const escalated = (underlying === 'violation' && prior.status === 'partial') || RISK_RANK[risk] > RISK_RANK[prior.risk];
        const dueAt = escalated ? Math.min(Date.parse(prior.dueAt), dueIfNew) : Date.parse(prior.dueAt);
        openItems.set(id, { status: underlying, risk, firstSeen: prior.firstSeen, dueAt: new Date(dueAt).toISOString() });
      }
    } else if (out.status === 'compliant' || out.status === 'not_applicable') {
      openItems.delete(id);
    }
    // An error leaves an open item as it was: nothing is known to have changed.
    const item = status === 'partial' || status === 'violation' || status === 'waived' ? openItems.get(id) : undefined;
    results.push({
      check_id: id,
      title: control.title,
      status,
      risk,
      observed_state: out.observed,
      evidence: out.evidence,
      evidence_data: out.data,
      gap: out.gap,
      mitigation: out.mitigation,
      owner: ownerOf(o.config, id, risk, control.default_owner),
      due_date: item ? isoDate(Date.parse(item.dueAt)) : null,
      first_seen: item?.firstSeen ?? null,
      waived_status: waivedStatus,
      waiver: waiver ? { id: waiver.id, justification: waiver.justification, approver: waiver.approver, expires_at: waiver.expiresAt } : null,
      iso27001: control.iso27001,
      nist_csf: control.nist_csf,
      nist_800_53: control.nist_800_53 ?? [],
      expected_state: control.expected_state,
      duration_ms: Math.round(duration * 1000) / 1000,
    });
  }
  return { results, openItems };
}

export function statusCounts(results: readonly Pick<CheckResult, 'status'>[]): Record<ComplianceStatus, number> {
  const counts: Record<ComplianceStatus, number> = { compliant: 0, partial: 0, violation: 0, not_applicable: 0, error: 0, waived: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** Risk counts of what is still open (violation, partial), as the reference dashboard reads them. */
export function riskCounts(results: readonly Pick<CheckResult, 'status' | 'risk'>[]): Record<Risk, number> {
  const counts: Record<Risk, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const r of results) if (r.status === 'violation' || r.status === 'partial') counts[r.risk]++;
  return counts;
}
