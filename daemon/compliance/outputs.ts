/**
 * openclaw-assessment.json and compliance-summary.json in the reference's shapes: every key the
 * reference wrote is kept with its meaning (a row's `status` stays in the reference's vocabulary so its
 * tools still validate it), and ocsec's own fields are added beside them.
 */
import type { ComplianceNetworkFinding, RunSummary } from '../../client/compliance-protocol.js';
import { statusCounts, type CheckResult } from './assess.js';

export const FRAMEWORKS = ['ISO/IEC 27001:2022', 'NIST CSF 2.0', 'NIST SP 800-53 Rev. 5'] as const;

/** The reference's statuses: compliant | partial | violation | not_assessed. */
export type ReferenceStatus = 'compliant' | 'partial' | 'violation' | 'not_assessed';

/**
 * A waived item keeps its real status for tools that know nothing of waivers (they over-report rather
 * than hide it); error and not_applicable were not assessed.
 */
export function referenceStatus(r: Pick<CheckResult, 'status' | 'waived_status'>): ReferenceStatus {
  switch (r.status) {
    case 'compliant':
    case 'partial':
    case 'violation':
      return r.status;
    case 'waived':
      return r.waived_status ?? 'partial';
    default:
      return 'not_assessed';
  }
}

export interface OutputContext {
  system: string;
  host: string;
  stateDir: string;
  version: string;
  run: RunSummary;
}

function checkRow(r: CheckResult) {
  return {
    check_id: r.check_id,
    status: referenceStatus(r),
    risk: r.risk,
    observed_state: r.observed_state,
    evidence: r.evidence,
    gap: r.gap,
    mitigation: r.mitigation,
    owner: r.owner,
    due_date: r.due_date,
    ocsec_status: r.status,
    title: r.title,
    evidence_data: r.evidence_data,
    first_seen: r.first_seen,
    waiver: r.waiver,
  };
}

export function buildAssessment(results: readonly CheckResult[], ctx: OutputContext) {
  return {
    metadata: {
      system: ctx.system,
      generated_at_utc: ctx.run.finishedAt,
      frameworks: [...FRAMEWORKS],
      host: ctx.host,
      state_dir: ctx.stateDir,
      generator: `ocsec ${ctx.version}`,
      run_id: ctx.run.runId,
      trigger: ctx.run.trigger,
    },
    checks: results.map(checkRow),
  };
}

/** A row of the reference's merged view: the check's result with the control's mapping beside it. */
function mergedRow(r: CheckResult) {
  return { ...checkRow(r), iso27001: r.iso27001, nist: r.nist_csf, nist_csf: r.nist_csf, nist_800_53: r.nist_800_53, expected_state: r.expected_state };
}

function count<T extends string>(values: readonly T[]): Partial<Record<T, number>> {
  const out: Partial<Record<T, number>> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export function buildSummary(results: readonly CheckResult[], ctx: OutputContext, extra: { trend: readonly RunSummary[]; networkFindings: readonly ComplianceNetworkFinding[]; dashboard: string }) {
  const merged = results.map(mergedRow);
  const open = merged.filter((m) => m.status === 'violation' || m.status === 'partial');
  return {
    generated_at_utc: ctx.run.finishedAt,
    system: ctx.system,
    summary: {
      status_counts: count(merged.map((m) => m.status)),
      /** Open items (violation, partial) by risk. */
      risk_counts: count(open.map((m) => m.risk)),
      violations: open,
      mitigations: merged.filter((m) => m.mitigation !== '' && m.ocsec_status !== 'compliant' && m.ocsec_status !== 'not_applicable'),
      ocsec_status_counts: statusCounts(results),
      errors: merged.filter((m) => m.ocsec_status === 'error'),
      waived: merged.filter((m) => m.ocsec_status === 'waived'),
    },
    controls: merged,
    run: { id: ctx.run.runId, trigger: ctx.run.trigger, started_at: ctx.run.startedAt, duration_ms: ctx.run.durationMs, host: ctx.host, state_dir: ctx.stateDir, generator: `ocsec ${ctx.version}`, frameworks: [...FRAMEWORKS], dashboard: extra.dashboard },
    trend: extra.trend.map((t) => ({ run_id: t.runId, finished_at: t.finishedAt, status_counts: t.statusCounts, risk_counts: t.riskCounts })),
    network_findings: extra.networkFindings,
  };
}
