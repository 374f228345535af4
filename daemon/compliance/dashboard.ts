/**
 * compliance-dashboard.html: one self-contained page (inline CSS and SVG, no script, nothing fetched)
 * under a Content-Security-Policy that allows only its own stylesheet by hash. Every value from the
 * run is HTML-escaped: evidence carries process names, paths and config values an attacker may choose.
 */
import { createHash } from 'node:crypto';
import type { CheckResultShape as CheckResult, ComplianceNetworkFinding, RunSummary } from '../../client/compliance-protocol.js';
import { RISK_RANK, type Risk } from './check-ids.js';
import { FRAMEWORKS } from './outputs.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATUS_ORDER = ['violation', 'partial', 'error', 'waived', 'compliant', 'not_applicable'] as const;
const STATUS_LABEL: Record<(typeof STATUS_ORDER)[number], string> = {
  violation: 'Violations',
  partial: 'Partial',
  error: 'Not assessed (error)',
  waived: 'Waived',
  compliant: 'Compliant',
  not_applicable: 'Not applicable',
};
const STATUS_COLOR: Record<(typeof STATUS_ORDER)[number], string> = {
  violation: '#b91c1c',
  partial: '#b45309',
  error: '#6b7280',
  waived: '#7c3aed',
  compliant: '#15803d',
  not_applicable: '#9ca3af',
};
const RISKS: Risk[] = ['critical', 'high', 'medium', 'low'];

const STYLE = `
:root{--bg:#f3f5f8;--panel:#fff;--text:#1f2937;--muted:#5f6b7a;--border:#d9e2ec;--accent:#0f4c5c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--text);background:var(--bg)}
.wrap{max-width:1240px;margin:0 auto;padding:20px}
.panel{background:var(--panel);border:1px solid var(--border);border-radius:10px;padding:16px;margin-bottom:16px}
h1{margin:0 0 6px;font-size:24px;color:var(--accent)}
h2{margin:0 0 10px;font-size:17px}
.meta{color:var(--muted);margin:2px 0}
.kpis{display:grid;grid-template-columns:repeat(6,minmax(110px,1fr));gap:10px}
.risks{display:grid;grid-template-columns:repeat(4,minmax(110px,1fr));gap:10px;margin-top:10px}
.kpi{border:1px solid var(--border);border-radius:8px;padding:10px;background:#fcfdff}
.kpi .n{display:block;font-size:26px;font-weight:700;margin-top:4px}
.s-violation .n{color:#b91c1c}.s-partial .n{color:#b45309}.s-error .n{color:#6b7280}.s-waived .n{color:#7c3aed}.s-compliant .n{color:#15803d}.s-not_applicable .n{color:#9ca3af}
.r-critical .n{color:#7f1d1d}.r-high .n{color:#b91c1c}.r-medium .n{color:#b45309}.r-low .n{color:#4b5563}
table{width:100%;border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--border);vertical-align:top}
th{background:#f8fafc;font-weight:600}
td.ev,td.fix{overflow-wrap:anywhere;white-space:pre-wrap;max-width:420px}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff}
.b-violation{background:#b91c1c}.b-partial{background:#b45309}.b-error{background:#6b7280}.b-waived{background:#7c3aed}.b-compliant{background:#15803d}.b-not_applicable{background:#9ca3af}
.b-critical{background:#7f1d1d}.b-high{background:#b91c1c}.b-medium{background:#b45309}.b-low{background:#4b5563}
.empty{color:var(--muted);font-style:italic}
.legend span{margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.sw-violation{background:#b91c1c}.sw-partial{background:#b45309}.sw-error{background:#6b7280}.sw-waived{background:#7c3aed}.sw-compliant{background:#15803d}.sw-not_applicable{background:#9ca3af}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
`.trim();

export interface DashboardInput {
  system: string;
  host: string;
  stateDir: string;
  version: string;
  run: RunSummary;
  results: readonly CheckResult[];
  /** Newest first, as compliance.history returns them. */
  trend: readonly RunSummary[];
  networkFindings: readonly ComplianceNetworkFinding[];
}

function badge(kind: string): string {
  return `<span class="badge b-${escapeHtml(kind)}">${escapeHtml(kind)}</span>`;
}

function trendChart(trend: readonly RunSummary[]): string {
  const runs = [...trend].slice(0, 48).reverse();
  if (runs.length === 0) return '<p class="empty">No runs yet.</p>';
  const width = 1160;
  const height = 220;
  const top = 10;
  const bottom = 40;
  const left = 36;
  const plotH = height - top - bottom;
  const total = Math.max(1, ...runs.map((r) => STATUS_ORDER.reduce((s, k) => s + (r.statusCounts[k] ?? 0), 0)));
  const slot = (width - left) / runs.length;
  const barW = Math.max(3, Math.min(28, slot * 0.7));
  const bars = runs
    .map((r, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      let y = top + plotH;
      const segments = STATUS_ORDER.map((k) => {
        const n = r.statusCounts[k] ?? 0;
        if (n === 0) return '';
        const h = (n / total) * plotH;
        y -= h;
        return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${STATUS_COLOR[k]}"><title>${escapeHtml(`run #${r.runId} ${r.finishedAt}: ${n} ${k}`)}</title></rect>`;
      }).join('');
      const label = i === 0 || i === runs.length - 1 || i % Math.ceil(runs.length / 8) === 0 ? `<text x="${(x + barW / 2).toFixed(1)}" y="${height - bottom + 16}" font-size="10" text-anchor="middle" fill="#5f6b7a">${escapeHtml(r.finishedAt.slice(5, 16).replace('T', ' '))}</text>` : '';
      return segments + label;
    })
    .join('');
  const axis = [0, 0.5, 1]
    .map((f) => {
      const y = top + plotH - f * plotH;
      return `<line x1="${left}" x2="${width}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#5f6b7a">${Math.round(f * total)}</text>`;
    })
    .join('');
  const legend = STATUS_ORDER.map((k) => `<span><i class="sw sw-${k}"></i>${escapeHtml(STATUS_LABEL[k])}</span>`).join('');
  return `<svg id="trend" role="img" aria-label="Check status per run, oldest to newest" viewBox="0 0 ${width} ${height}" width="100%" height="${height}">${axis}${bars}</svg><p class="legend">${legend}</p>`;
}

function openRow(r: CheckResult): string {
  const frameworks = `ISO ${r.iso27001.join(', ')}; CSF ${r.nist_csf.join(', ')}${r.nist_800_53.length ? `; 800-53 ${r.nist_800_53.join(', ')}` : ''}`;
  return `<tr data-check="${escapeHtml(r.check_id)}"><td><code>${escapeHtml(r.check_id)}</code><br>${escapeHtml(r.title)}<br><small>${escapeHtml(frameworks)}</small></td><td>${badge(r.status)}</td><td>${badge(r.risk)}</td><td class="ev">${escapeHtml(r.observed_state)}\n${escapeHtml(r.evidence)}</td><td class="fix">${escapeHtml(r.gap)}\nFix: ${escapeHtml(r.mitigation)}</td><td>${escapeHtml(r.owner)}</td><td>${escapeHtml(r.due_date ?? '-')}${r.first_seen ? `<br><small>since ${escapeHtml(r.first_seen.slice(0, 10))}</small>` : ''}</td></tr>`;
}

function networkRow(f: ComplianceNetworkFinding): string {
  const where = f.monitor === 'ports' ? `${f.protocol} ${f.bind ?? '?'}:${f.port}` : `${f.protocol} → ${f.remote ?? '?'}:${f.port}`;
  const process = `${f.process ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''}${f.user ? ` (${f.user})` : ''}`;
  return `<tr><td>${escapeHtml(f.monitor)}</td><td>${escapeHtml(f.type)}</td><td>${badge(f.severity)}</td><td><code>${escapeHtml(where)}</code></td><td>${escapeHtml(process)}</td><td class="ev">${escapeHtml(f.why)}</td><td class="fix">${escapeHtml(f.recommendation)}</td><td>${escapeHtml(f.first_seen)}<br><small>${f.occurrences}×</small></td></tr>`;
}

const STATUS_RANK: Record<string, number> = { violation: 0, partial: 1, error: 2, waived: 3, compliant: 4, not_applicable: 5 };

export function renderDashboard(d: DashboardInput): string {
  const counts = Object.fromEntries(STATUS_ORDER.map((k) => [k, d.results.filter((r) => r.status === k).length])) as Record<(typeof STATUS_ORDER)[number], number>;
  const open = d.results.filter((r) => r.status === 'violation' || r.status === 'partial' || r.status === 'error');
  open.sort((a, b) => STATUS_RANK[a.status]! - STATUS_RANK[b.status]! || RISK_RANK[b.risk] - RISK_RANK[a.risk] || a.check_id.localeCompare(b.check_id));
  const riskCounts = Object.fromEntries(RISKS.map((k) => [k, d.results.filter((r) => (r.status === 'violation' || r.status === 'partial') && r.risk === k).length])) as Record<Risk, number>;
  const waived = d.results.filter((r) => r.status === 'waived');
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;
  const kpis = STATUS_ORDER.map((k) => `<div class="kpi s-${k}" id="count-${k}"><span>${escapeHtml(STATUS_LABEL[k])}</span><span class="n">${counts[k]}</span></div>`).join('');
  const risks = RISKS.map((k) => `<div class="kpi r-${k}" id="risk-${k}"><span>Open ${k} risk</span><span class="n">${riskCounts[k]}</span></div>`).join('');
  const head = '<tr><th>Check</th><th>Status</th><th>Risk</th><th>Observed and evidence</th><th>Gap and mitigation</th><th>Owner</th><th>Due</th></tr>';
  const openTable = open.length === 0 ? '<p class="empty">No violations, partial findings or errors.</p>' : `<table id="violations"><thead>${head}</thead><tbody>${open.map(openRow).join('')}</tbody></table>`;
  const waivedTable =
    waived.length === 0
      ? '<p class="empty">No waivers in force.</p>'
      : `<table id="waived"><thead><tr><th>Check</th><th>Waived status</th><th>Risk</th><th>Justification</th><th>Approver</th><th>Expires</th></tr></thead><tbody>${waived
          .map((r) => `<tr><td><code>${escapeHtml(r.check_id)}</code></td><td>${badge(r.waived_status ?? 'partial')}</td><td>${badge(r.risk)}</td><td class="ev">${escapeHtml(r.waiver?.justification)}</td><td>${escapeHtml(r.waiver?.approver)}</td><td>${escapeHtml(r.waiver?.expires_at)}</td></tr>`)
          .join('')}</tbody></table>`;
  const network =
    d.networkFindings.length === 0
      ? '<p class="empty">No open network findings.</p>'
      : `<table id="network"><thead><tr><th>Monitor</th><th>Type</th><th>Severity</th><th>Port / bind</th><th>Process</th><th>Why</th><th>Recommendation</th><th>Since</th></tr></thead><tbody>${d.networkFindings.map(networkRow).join('')}</tbody></table>`;
  const controls = `<table id="controls"><thead><tr><th>Check</th><th>Control</th><th>ISO/IEC 27001:2022</th><th>NIST CSF 2.0</th><th>NIST SP 800-53</th><th>Status</th><th>Risk</th></tr></thead><tbody>${d.results
    .map((r) => `<tr><td><code>${escapeHtml(r.check_id)}</code></td><td>${escapeHtml(r.title)}</td><td>${escapeHtml(r.iso27001.join(', '))}</td><td>${escapeHtml(r.nist_csf.join(', '))}</td><td>${escapeHtml(r.nist_800_53.join(', ') || '-')}</td><td>${badge(r.status)}</td><td>${badge(r.risk)}</td></tr>`)
    .join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Compliance dashboard — ${escapeHtml(d.system)} on ${escapeHtml(d.host)}</title>
<style>${STYLE}</style>
</head>
<body>
<div class="wrap">
<div class="panel">
<h1>ISO 27001 / NIST CSF compliance — ${escapeHtml(d.system)}</h1>
<p class="meta">Host ${escapeHtml(d.host)} · state ${escapeHtml(d.stateDir)} · run #${d.run.runId} (${escapeHtml(d.run.trigger)}) finished ${escapeHtml(d.run.finishedAt)} in ${escapeHtml(Math.round(d.run.durationMs))} ms · ${escapeHtml(FRAMEWORKS.join(', '))} · ocsec ${escapeHtml(d.version)}</p>
</div>
<div class="panel"><h2>Status of ${d.results.length} checks</h2><div class="kpis" id="status-counts">${kpis}</div><div class="risks" id="risk-counts">${risks}</div></div>
<div class="panel"><h2>Trend over the last ${Math.min(48, d.trend.length)} runs</h2>${trendChart(d.trend)}</div>
<div class="panel"><h2>Violations, partial findings and errors</h2>${openTable}</div>
<div class="panel"><h2>Network findings</h2>${network}</div>
<div class="panel"><h2>Waivers in force</h2>${waivedTable}</div>
<div class="panel"><h2>Controls</h2>${controls}</div>
</div>
</body>
</html>
`;
}
