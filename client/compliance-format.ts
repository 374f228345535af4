/**
 * Text output of the compliance commands, per the output contract: checks grouped by status, each line
 * `check_id status risk — evidence` then `Fix: mitigation (owner, due)`, and network findings with
 * port, bind address, process and why. Every untrusted string goes through inertLine.
 */
import type { ComplianceRunResult, NotificationOutcome, RunSummary, WaiverShape } from './compliance-protocol.js';
import { inertLine } from './terminal.js';

const GROUPS = [
  ['violation', 'VIOLATION'],
  ['partial', 'PARTIAL'],
  ['error', 'ERROR (not assessed)'],
  ['waived', 'WAIVED'],
  ['compliant', 'COMPLIANT'],
  ['not_applicable', 'NOT APPLICABLE'],
] as const;

const RISK_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export function countsLine(counts: Record<string, number>): string {
  return GROUPS.map(([k]) => `${counts[k] ?? 0} ${k.replace('_', ' ')}`).join(', ');
}

export function formatNotification(n: NotificationOutcome): string {
  const items = `${n.added.length} new, ${n.escalated.length} escalated, ${n.resolved.length} resolved`;
  switch (n.outcome) {
    case 'nothing-new':
      return 'Notification: nothing new since the last one';
    case 'delivered':
      return inertLine(`Notification: delivered to ${n.notifier?.[0] ?? '?'} (${items})`);
    case 'not-configured':
      return inertLine(`Notification: not sent (${items}): ${n.detail}`);
    default:
      return inertLine(`Notification: ${n.outcome.toUpperCase()} (${items}): ${n.detail}`);
  }
}

export function formatRun(r: ComplianceRunResult): string[] {
  const lines = [
    inertLine(`Compliance assessment #${r.run.runId} (${r.run.trigger}) at ${r.run.finishedAt}: ${countsLine(r.run.statusCounts)}`),
    inertLine(`Open findings by risk: ${['critical', 'high', 'medium', 'low'].map((k) => `${r.run.riskCounts[k] ?? 0} ${k}`).join(', ')}`),
  ];
  for (const [status, label] of GROUPS) {
    const rows = r.results.filter((c) => c.status === status).sort((a, b) => (RISK_ORDER[a.risk] ?? 9) - (RISK_ORDER[b.risk] ?? 9) || a.check_id.localeCompare(b.check_id));
    if (rows.length === 0) continue;
    lines.push('', `${label} (${rows.length})`);
    for (const c of rows) {
      const evidence = c.status === 'waived' && c.waiver ? `waived ${c.waived_status ?? ''} until ${c.waiver.expires_at} by ${c.waiver.approver}: ${c.waiver.justification}; ${c.evidence}` : c.evidence;
      lines.push(inertLine(`  ${c.check_id} ${c.status} ${c.risk} — ${evidence}`));
      if (c.status !== 'compliant' && c.status !== 'not_applicable' && c.mitigation) {
        lines.push(inertLine(`    Fix: ${c.mitigation} (${c.owner}${c.due_date ? `, due ${c.due_date}` : ''})`));
      }
    }
  }
  lines.push('', r.networkFindings.length === 0 ? 'Network findings: none open' : `Network findings (${r.networkFindings.length})`);
  for (const f of r.networkFindings) {
    const where = f.monitor === 'ports' ? `${f.protocol} ${f.bind?.includes(':') ? `[${f.bind}]` : (f.bind ?? '?')}:${f.port}` : `${f.protocol} → ${f.remote ?? '?'}:${f.port}`;
    lines.push(inertLine(`  ${f.monitor} ${f.type} ${f.severity} ${where} ${f.process ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''}${f.user ? ` (${f.user})` : ''} — ${f.why}`));
    lines.push(inertLine(`    Fix: ${f.recommendation}`));
  }
  lines.push('', inertLine(`Dashboard: ${r.outputs.dashboard}`), inertLine(`Assessment: ${r.outputs.assessment}  Summary: ${r.outputs.summary}`));
  for (const p of r.outputs.problems) lines.push(inertLine(`could not write ${p}`));
  lines.push(formatNotification(r.notification));
  return lines;
}

/** Exit 1 when anything is still open or could not be assessed. */
export function hasFindings(r: Pick<ComplianceRunResult, 'results'>): boolean {
  return r.results.some((c) => c.status === 'violation' || c.status === 'partial' || c.status === 'error');
}

export function formatHistory(runs: readonly RunSummary[], check: ReadonlyArray<{ runId: number; finishedAt: string; status: string; risk: string }> | null, checkId?: string): string[] {
  if (check && checkId) {
    if (check.length === 0) return [`no runs recorded ${checkId} yet`];
    return [`${checkId}:`, ...check.map((c) => inertLine(`  #${c.runId} ${c.finishedAt} ${c.status} ${c.risk}`))];
  }
  if (runs.length === 0) return ['no assessment has run yet (ocsecctl assess)'];
  return runs.map((r) => inertLine(`#${r.runId} ${r.finishedAt} ${r.trigger.padEnd(9)} ${countsLine(r.statusCounts)} (${Math.round(r.durationMs)} ms)`));
}

export function formatWaiver(w: WaiverShape): string[] {
  return [
    inertLine(`#${w.id} ${w.checkId} ${w.state} — until ${w.expiresAt}, approved by ${w.approver} at ${w.createdAt}${w.revokedAt ? `, revoked ${w.revokedAt}${w.revokedReason ? ` (${w.revokedReason})` : ''}` : ''}`),
    inertLine(`     ${w.justification}`),
  ];
}
