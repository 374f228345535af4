// Covers daemon/compliance/assess.ts and outputs.ts: waivers until they expire, owners and due dates from ocsec.json,
// due dates counted from first detection, and the assessment and summary files in the reference's shapes.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../client/compliance-protocol.js';
import { assess, riskCounts, statusCounts, type OpenItem, type Waiver } from '../../daemon/compliance/assess.js';
import { loadCatalog } from '../../daemon/compliance/catalog.js';
import { CHECK_IDS, type CheckId } from '../../daemon/compliance/check-ids.js';
import { complianceConfigSchema } from '../../daemon/compliance/config.js';
import type { Evidence } from '../../daemon/compliance/evidence.js';
import { buildAssessment, buildSummary, referenceStatus } from '../../daemon/compliance/outputs.js';
import { compliantEvidence, NOW, withoutSource, withSource } from '../helpers/compliance-evidence.js';

const catalog = loadCatalog();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function run(e: Evidence, o: { config?: unknown; waivers?: Waiver[]; openItems?: Map<CheckId, OpenItem> } = {}) {
  return assess(e, { catalog, config: complianceConfigSchema.parse(o.config ?? {}), waivers: o.waivers ?? [], openItems: o.openItems ?? new Map(), monotonic: () => 0 });
}

const noTimeout = (e: Evidence) => withSource(e, 'settings', (s) => void (s.idleTimeoutMinutes = 60));
const byId = (r: ReturnType<typeof run>, id: CheckId) => r.results.find((x) => x.check_id === id)!;

describe('assess', () => {
  it('evaluates every check of the catalog, in catalog order, and the compliant fixture is fully compliant', () => {
    const r = run(compliantEvidence());
    expect(r.results.map((x) => x.check_id)).toEqual([...CHECK_IDS]);
    expect(statusCounts(r.results)).toEqual({ compliant: 26, partial: 0, violation: 0, not_applicable: 0, error: 0, waived: 0 });
    expect(r.results.every((x) => x.due_date === null && x.first_seen === null)).toBe(true);
    expect(r.openItems.size).toBe(0);
  });

  it('a violation gets the catalog owner and a due date of first detection + the risk\'s days; the mapping is carried along', () => {
    const r = run(noTimeout(compliantEvidence()));
    const v = byId(r, 'elevation_timeout_30m');
    expect(v).toMatchObject({ status: 'violation', risk: 'medium', owner: 'Security Engineering', due_date: iso(NOW + 14 * DAY).slice(0, 10), first_seen: iso(NOW), iso27001: ['A.8.2', 'A.8.5'], nist_csf: ['PR.AA-05'] });
    expect(r.openItems.get('elevation_timeout_30m')).toEqual({ status: 'violation', risk: 'medium', firstSeen: iso(NOW), dueAt: iso(NOW + 14 * DAY) });
  });

  it.each<[string, unknown, string, string]>([
    ['owner by check wins', { owners: { elevation_timeout_30m: 'Alice' }, owners_by_risk: { medium: 'Bob' } }, 'Alice', iso(NOW + 14 * DAY).slice(0, 10)],
    ['owner by risk next', { owners_by_risk: { medium: 'Bob' } }, 'Bob', iso(NOW + 14 * DAY).slice(0, 10)],
    ['due days by risk', { due_days: { medium: 5 } }, 'Security Engineering', iso(NOW + 5 * DAY).slice(0, 10)],
    ['due days by check win over risk', { due_days: { medium: 5 }, due_days_by_check: { elevation_timeout_30m: 1 } }, 'Security Engineering', iso(NOW + DAY).slice(0, 10)],
  ])('%s', (_name, config, owner, due) => {
    const v = byId(run(noTimeout(compliantEvidence()), { config }), 'elevation_timeout_30m');
    expect(v.owner).toBe(owner);
    expect(v.due_date).toBe(due);
  });

  it('the due date does not move while an item stays open, and escalation shortens it', () => {
    const first = run(withSource(compliantEvidence(), 'settings', (s) => void (s.requireSessionId = { config: false, env: false })));
    const item = first.openItems.get('session_boundary_enforced')!;
    expect(item.status).toBe('partial');
    const later = { ...compliantEvidence(), now: NOW + 10 * DAY };
    const again = run(withSource(later, 'settings', (s) => void (s.requireSessionId = { config: false, env: false })), { openItems: first.openItems });
    expect(byId(again, 'session_boundary_enforced').due_date).toBe(byId(first, 'session_boundary_enforced').due_date);
    expect(byId(again, 'session_boundary_enforced').first_seen).toBe(iso(NOW));
    // partial → violation with a higher risk: the deadline is the sooner of the old one and now + the new risk's days.
    const escalatedOpen = new Map(first.openItems);
    escalatedOpen.set('multi_factor_approval', { status: 'partial', risk: 'medium', firstSeen: iso(NOW - 20 * DAY), dueAt: iso(NOW + 30 * DAY) });
    const esc = run(withSource(withSource(compliantEvidence(), 'factors', (f) => void (f.totp = false)), 'settings', (s) => void ((s.outOfBandApproval = true), (s.approvalRequiresTerminal = false))), { openItems: escalatedOpen });
    expect(byId(esc, 'multi_factor_approval')).toMatchObject({ status: 'violation', risk: 'high', first_seen: iso(NOW - 20 * DAY), due_date: iso(NOW + 7 * DAY).slice(0, 10) });
  });

  it('a resolved item leaves the open items; an error leaves it as it was', () => {
    const open = new Map<CheckId, OpenItem>([
      ['audit_trail_integrity', { status: 'violation', risk: 'critical', firstSeen: iso(NOW - DAY), dueAt: iso(NOW + 2 * DAY) }],
      ['sudo_nopasswd_absent', { status: 'violation', risk: 'critical', firstSeen: iso(NOW - DAY), dueAt: iso(NOW + 2 * DAY) }],
    ]);
    const r = run(withoutSource(compliantEvidence(), 'host'), { openItems: open });
    expect(r.openItems.has('audit_trail_integrity')).toBe(false);
    expect(r.openItems.get('sudo_nopasswd_absent')).toEqual(open.get('sudo_nopasswd_absent'));
    expect(byId(r, 'sudo_nopasswd_absent')).toMatchObject({ status: 'error', due_date: null });
  });

  it('an unexpired waiver turns a violation into waived (keeping what it covers); an expired one does not', () => {
    const waiver = (expiresAt: number): Waiver => ({ id: 3, checkId: 'elevation_timeout_30m', justification: 'long migrations this week', approver: 'Carol', createdAt: iso(NOW - DAY), expiresAt: iso(expiresAt) });
    const active = byId(run(noTimeout(compliantEvidence()), { waivers: [waiver(NOW + DAY)] }), 'elevation_timeout_30m');
    expect(active).toMatchObject({ status: 'waived', waived_status: 'violation', waiver: { id: 3, approver: 'Carol', justification: 'long migrations this week', expires_at: iso(NOW + DAY) } });
    expect(active.due_date).not.toBeNull();
    const expired = byId(run(noTimeout(compliantEvidence()), { waivers: [waiver(NOW - 1)] }), 'elevation_timeout_30m');
    expect(expired).toMatchObject({ status: 'violation', waiver: null, waived_status: null });
    // A waiver never hides an error: what cannot be read is not an accepted risk.
    const err = byId(run(withoutSource(compliantEvidence(), 'settings'), { waivers: [waiver(NOW + DAY)] }), 'elevation_timeout_30m');
    expect(err.status).toBe('error');
  });

  it('risk counts count open items only', () => {
    const r = run(noTimeout(compliantEvidence()));
    expect(riskCounts(r.results)).toEqual({ low: 0, medium: 1, high: 0, critical: 0 });
  });
});

// The reference's own compliance_dashboard.py validates these vocabularies and keys.
const VALID_STATUS = ['compliant', 'partial', 'violation', 'not_assessed'];
const VALID_RISK = ['low', 'medium', 'high', 'critical'];
const CHECK_KEYS = ['check_id', 'status', 'risk', 'observed_state', 'evidence', 'gap', 'mitigation', 'owner', 'due_date'];
const MERGED_KEYS = ['check_id', 'title', 'iso27001', 'nist', 'expected_state', 'status', 'risk', 'observed_state', 'evidence', 'gap', 'mitigation', 'owner', 'due_date'];

describe('outputs in the reference shapes', () => {
  const e = withoutSource(withSource(noTimeout(compliantEvidence()), 'settings', (s) => void (s.eventExports = [])), 'backups');
  const waivers: Waiver[] = [{ id: 1, checkId: 'audit_logging_privileged_actions', justification: 'exports come next sprint', approver: 'Dan', createdAt: iso(NOW), expiresAt: iso(NOW + DAY) }];
  const { results } = run(e, { waivers });
  const runSummary: RunSummary = { runId: 9, trigger: 'scheduled', startedAt: iso(NOW), finishedAt: iso(NOW + 50), durationMs: 50, cpuMs: 40, statusCounts: statusCounts(results), riskCounts: riskCounts(results) };
  const ctx = { system: 'OpenClaw', host: 'box', stateDir: '/home/alice/.openclaw', version: '0.1.0', run: runSummary };

  it('openclaw-assessment.json: metadata and checks with every reference key, statuses in the reference vocabulary', () => {
    const doc = buildAssessment(results, ctx);
    expect(Object.keys(doc.metadata)).toEqual(expect.arrayContaining(['system', 'generated_at_utc', 'frameworks']));
    expect(doc.metadata.frameworks).toEqual(expect.arrayContaining(['ISO/IEC 27001:2022']));
    expect(doc.checks).toHaveLength(26);
    for (const c of doc.checks) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(CHECK_KEYS));
      expect(VALID_STATUS).toContain(c.status);
      expect(VALID_RISK).toContain(c.risk);
      expect(typeof c.evidence).toBe('string');
    }
    const byCheck = new Map(doc.checks.map((c) => [c.check_id, c]));
    expect(byCheck.get('elevation_timeout_30m')).toMatchObject({ status: 'violation', ocsec_status: 'violation' });
    expect(byCheck.get('backup_configured')).toMatchObject({ status: 'not_assessed', ocsec_status: 'error' });
    // A tool that knows nothing of waivers still sees the finding.
    expect(byCheck.get('audit_logging_privileged_actions')).toMatchObject({ status: 'partial', ocsec_status: 'waived', waiver: { approver: 'Dan' } });
  });

  it('compliance-summary.json: summary.status_counts, risk_counts, violations and mitigations as merged rows', () => {
    const doc = buildSummary(results, ctx, { trend: [runSummary], networkFindings: [], dashboard: '/x/compliance-dashboard.html' });
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['generated_at_utc', 'system', 'summary']));
    expect(Object.keys(doc.summary)).toEqual(expect.arrayContaining(['status_counts', 'risk_counts', 'violations', 'mitigations']));
    expect(doc.summary.status_counts).toEqual({ compliant: 23, violation: 1, partial: 1, not_assessed: 1 });
    for (const row of [...doc.summary.violations, ...doc.summary.mitigations, ...doc.controls]) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(MERGED_KEYS));
      expect(VALID_STATUS).toContain(row.status);
    }
    expect(doc.summary.violations.map((v) => v.check_id).sort()).toEqual(['audit_logging_privileged_actions', 'elevation_timeout_30m']);
    expect(doc.summary.violations.every((v) => v.status === 'violation' || v.status === 'partial')).toBe(true);
    expect(doc.summary.mitigations.map((m) => m.check_id).sort()).toEqual(['audit_logging_privileged_actions', 'backup_configured', 'elevation_timeout_30m']);
    expect(doc.summary.ocsec_status_counts).toMatchObject({ waived: 1, error: 1, violation: 1 });
    expect(doc.controls.find((c) => c.check_id === 'elevation_timeout_30m')!.nist).toEqual(['PR.AA-05']);
    expect(doc.trend).toEqual([{ run_id: 9, finished_at: iso(NOW + 50), status_counts: runSummary.statusCounts, risk_counts: runSummary.riskCounts }]);
  });

  it.each<[string, 'partial' | 'violation' | null, string]>([
    ['compliant', null, 'compliant'],
    ['partial', null, 'partial'],
    ['violation', null, 'violation'],
    ['error', null, 'not_assessed'],
    ['not_applicable', null, 'not_assessed'],
    ['waived', 'violation', 'violation'],
    ['waived', 'partial', 'partial'],
  ])('referenceStatus(%s, waived %s) = %s', (status, waived, expected) => {
    expect(referenceStatus({ status: status as never, waived_status: waived })).toBe(expected);
  });
});
