/** Turns check outcomes into the report: findings in severity order, per-check statuses, and the severity-weighted score. */
import type { CheckStatus, FixReport, ScoreBand, SecurityFinding, SecurityReport, Severity, SkillReport } from '../../client/security-report.js';
import { redactString } from '../audit/redact.js';
import { SEVERITY_RANK, type CheckDef, type Outcome } from './checks.js';
import { settingPaths } from './settings.js';

/** What a check's severity weighs in the score; info weighs nothing. */
export const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 10, high: 5, medium: 2, low: 1, info: 0 };
/** Any critical finding caps the score here (band CRITICAL); any high finding caps it below LOW. */
export const CRITICAL_CAP = 3.9;
export const HIGH_CAP = 8.9;

export interface CheckResult {
  def: CheckDef;
  outcome: Outcome;
}

function worst(severities: readonly Severity[]): Severity {
  return severities.reduce((w, s) => (SEVERITY_RANK[s] < SEVERITY_RANK[w] ? s : w), 'info' as Severity);
}

/**
 * score = 10 × (1 − lost / possible), over the checks assessed: each assessed check adds its nominal
 * severity's weight to `possible`; a failed check adds its worst finding's weight to `lost`. Not-assessed
 * checks count for nothing either way. Capped at 3.9 with a critical finding and 8.9 with a high one,
 * then rounded down to one decimal.
 */
export function computeScore(results: readonly CheckResult[]): { score: number; band: ScoreBand } {
  let possible = 0;
  let lost = 0;
  let hasCritical = false;
  let hasHigh = false;
  for (const { def, outcome } of results) {
    if (outcome.status === 'not_assessed') continue;
    if (outcome.status === 'passed') {
      possible += SEVERITY_WEIGHT[def.severity];
      continue;
    }
    const w = worst(outcome.findings.map((f) => f.severity));
    possible += Math.max(SEVERITY_WEIGHT[def.severity], SEVERITY_WEIGHT[w]);
    lost += SEVERITY_WEIGHT[w];
    hasCritical ||= w === 'critical';
    hasHigh ||= w === 'high';
  }
  let score = possible === 0 ? 10 : 10 * (1 - lost / possible);
  if (hasCritical) score = Math.min(score, CRITICAL_CAP);
  else if (hasHigh) score = Math.min(score, HIGH_CAP);
  score = Math.floor(score * 10 + 1e-9) / 10;
  return { score, band: bandOf(score) };
}

/** The band is the risk left: 9.0 and above LOW, 6.0 MEDIUM, 4.0 HIGH, below that CRITICAL. */
export function bandOf(score: number): ScoreBand {
  if (score >= 9) return 'LOW';
  if (score >= 6) return 'MEDIUM';
  if (score >= 4) return 'HIGH';
  return 'CRITICAL';
}

export function buildReport(
  results: readonly CheckResult[],
  extra: { ts: string; openclawVersion: string | null; skills: SkillReport[]; fix?: FixReport },
): { report: SecurityReport; checks: CheckStatus[]; band: ScoreBand } {
  const findings: SecurityFinding[] = [];
  const checks: CheckStatus[] = [];
  for (const { def, outcome } of results) {
    const keys = settingPaths(def.reads);
    if (outcome.status === 'failed') {
      for (const f of outcome.findings) {
        findings.push({
          checkId: def.id,
          severity: f.severity,
          title: redactString(f.title),
          detail: redactString(f.detail),
          remediation: redactString(f.remediation),
          fixable: f.fixable ?? false,
          evidence: f.evidence ?? {},
        });
      }
      checks.push({ checkId: def.id, scope: def.scope, title: def.title, status: 'failed', severity: worst(outcome.findings.map((f) => f.severity)), reason: null, keys });
    } else if (outcome.status === 'passed') {
      checks.push({ checkId: def.id, scope: def.scope, title: def.title, status: 'passed', severity: def.severity, reason: redactString(outcome.detail), keys });
    } else {
      if (outcome.info) {
        findings.push({
          checkId: def.id,
          severity: 'info',
          title: `${def.title}: not assessed`,
          detail: redactString(outcome.reason),
          remediation: outcome.remediation ?? 'nothing to fix; the check could not run here',
          fixable: false,
          evidence: { not_assessed: true, reason: outcome.reason },
        });
      }
      checks.push({ checkId: def.id, scope: def.scope, title: def.title, status: 'not_assessed', severity: def.severity, reason: redactString(outcome.reason), keys });
    }
  }
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.checkId.localeCompare(b.checkId));
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const { score, band } = computeScore(results);
  const report: SecurityReport = {
    ts: extra.ts,
    openclaw_version: extra.openclawVersion,
    score,
    summary: { critical: count('critical'), high: count('high'), medium: count('medium'), low: count('low'), info: count('info'), passed: checks.filter((c) => c.status === 'passed').length },
    findings,
    skills: extra.skills,
    ...(extra.fix ? { fix: extra.fix } : {}),
  };
  return { report, checks, band };
}
