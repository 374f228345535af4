/** Renders an installation audit for people (the guide's report layout) and for tools (SARIF 2.1.0 for the skills scan). */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SECTION_TITLES, type BaselineChange, type BaselineSection } from './security-baseline.js';
import type { SecurityAuditResult, Severity } from './security-report.js';
import { SKILL_RULES, type SkillRuleId } from './skill-rule-catalogue.js';
import { inertLine } from './terminal.js';

const LABEL: Record<Severity, string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MED', low: 'LOW', info: 'INFO' };
const SECTIONS: ReadonlyArray<[Severity, string]> = [
  ['critical', 'CRITICAL'],
  ['high', 'HIGH'],
  ['medium', 'MEDIUM'],
  ['low', 'LOW'],
  ['info', 'INFO'],
];

function lines(text: string, indent: string): string[] {
  return text.split('\n').map((l) => indent + inertLine(l));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatReportText(result: SecurityAuditResult): string {
  const r = result.report;
  const out: string[] = [
    'OpenClaw Security Audit Report',
    '==============================',
    `Scan completed at: ${r.ts.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC')}`,
    `OpenClaw version: ${r.openclaw_version ?? 'unknown (package not found)'}`,
    inertLine(`Config: ${result.configPath}`),
    `Scope: ${result.scope.join(', ')}${result.deep ? ' (deep)' : ''}`,
  ];
  for (const [severity, title] of SECTIONS) {
    const findings = r.findings.filter((f) => f.severity === severity);
    if (severity === 'info' && findings.length === 0) continue;
    out.push('', `${title} (${plural(findings.length, 'issue')})`);
    if (findings.length === 0) out.push('  None');
    for (const f of findings) {
      out.push(`  [${LABEL[f.severity]}] ${inertLine(f.title)}`);
      if (f.detail) out.push(...lines(f.detail, '    '));
      const [first, ...rest] = f.remediation.split('\n');
      out.push(`    Fix: ${inertLine(first ?? '')}`, ...rest.map((l) => `         ${inertLine(l)}`));
    }
  }
  const passed = result.checks.filter((c) => c.status === 'passed');
  out.push('', `PASSED (${plural(passed.length, 'check')})`);
  for (const c of passed) out.push(`  ✓ ${inertLine(c.title)}${c.reason ? `: ${inertLine(c.reason)}` : ''}`);
  // Those already shown as INFO findings are not repeated.
  const shownAsInfo = new Set(r.findings.filter((f) => f.severity === 'info' && f.evidence.not_assessed === true).map((f) => f.checkId));
  const skipped = result.checks.filter((c) => c.status === 'not_assessed' && !shownAsInfo.has(c.checkId));
  if (skipped.length > 0) {
    out.push('', `NOT ASSESSED (${plural(skipped.length, 'check')})`);
    for (const c of skipped) out.push(`  - ${inertLine(c.title)}: ${inertLine(c.reason ?? '')}`);
  }
  if (r.skills.length > 0) {
    out.push('', `SKILLS (${r.skills.length} scanned)`);
    for (const s of r.skills) {
      out.push(inertLine(`  ${s.verdict.toUpperCase().padEnd(6)} ${s.name}  sha256:${s.hash.slice(0, 16)}…  ${s.path}  (${s.scannedFiles}/${s.files} files read, ${s.hits.length + s.hitsOmitted} hits${s.suppressed.length > 0 ? `, ${s.suppressed.length} set aside by false-positive guards` : ''})`));
    }
  }
  if (r.fix) {
    out.push('', r.fix.dryRun ? `FIXES (dry run: ${plural(r.fix.changes.length, 'change')} that would be made, nothing changed)` : `FIXES (${plural(r.fix.changes.length, 'change')} applied)`);
    if (r.fix.changes.length === 0) out.push('  nothing to fix');
    for (const c of r.fix.changes) out.push(`  ${inertLine(c.command)}   (was ${c.from})`);
    for (const e of r.fix.errors) out.push(`  FAILED ${inertLine(e.path)}: ${inertLine(e.message)}`);
  }
  out.push('', `Overall Security Score: ${r.score.toFixed(1)}/10 (${result.band})`);
  const fixable = r.findings.filter((f) => f.fixable).length;
  if (!r.fix && fixable > 0) out.push(`Run 'ocsecctl security audit --fix' to apply the safe fixes (${plural(fixable, 'finding')}; --dry-run shows them first).`);
  return out.join('\n');
}

export function formatBaselineDiff(changes: readonly BaselineChange[], file: string, takenAt: string): string {
  const out = [inertLine(`Baseline comparison with ${file} (taken ${takenAt})`)];
  if (changes.length === 0) {
    out.push('  No changes since the baseline.');
    return out.join('\n');
  }
  const mark = { added: '+', removed: '-', changed: '~' } as const;
  for (const section of Object.keys(SECTION_TITLES) as BaselineSection[]) {
    const inSection = changes.filter((c) => c.section === section);
    if (inSection.length === 0) continue;
    out.push(`  ${SECTION_TITLES[section]}`);
    for (const c of inSection) {
      const what = c.kind === 'changed' ? `${c.subject}: ${c.before ?? '(none)'} → ${c.after ?? '(none)'}` : c.kind === 'added' && c.after && !c.subject.endsWith(c.after) ? `${c.subject}: ${c.after}` : c.subject;
      out.push(`    ${mark[c.kind]} ${inertLine(what)}`);
    }
  }
  return out.join('\n');
}

const SARIF_LEVEL = { reject: 'error', warn: 'warning', note: 'note' } as const;
/** GitHub code scanning reads `security-severity` (0-10) to rank results. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '7.5', medium: '5.0', low: '2.5', info: '0.0' };

/** SARIF 2.1.0 for the skills scan: one result per hit, guard decisions as suppressed results, per-file rules metadata. */
export function toSarif(result: SecurityAuditResult, toolVersion: string): Record<string, unknown> {
  const skills = result.report.skills;
  const usedRules = [...new Set(skills.flatMap((s) => [...s.hits.map((h) => h.ruleId), ...s.suppressed.map((h) => h.ruleId)]))].sort();
  const rules = (Object.keys(SKILL_RULES) as SkillRuleId[]).map((id) => {
    const r = SKILL_RULES[id];
    return {
      id,
      name: id.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()),
      shortDescription: { text: r.title },
      fullDescription: { text: r.help },
      help: { text: r.help },
      defaultConfiguration: { level: SARIF_LEVEL[r.level] },
      properties: { tags: ['security', 'supply-chain', `openclaw-skill-${r.level}`], 'security-severity': SECURITY_SEVERITY[r.severity] },
    };
  });
  const ruleIndex = new Map<string, number>(rules.map((r, i) => [r.id, i]));
  const location = (skillPath: string, file: string, line: number, column: number, snippet?: string) => ({
    physicalLocation: {
      artifactLocation: { uri: pathToFileURL(join(skillPath, file)).href },
      ...(line > 0 ? { region: { startLine: line, ...(column > 0 ? { startColumn: column } : {}), ...(snippet ? { snippet: { text: snippet } } : {}) } } : {}),
    },
  });
  const results = skills.flatMap((s) => [
    ...s.hits.map((h) => ({
      ruleId: h.ruleId,
      ruleIndex: ruleIndex.get(h.ruleId) ?? -1,
      level: SARIF_LEVEL[h.level],
      message: { text: `Skill "${s.name}": ${h.message}` },
      locations: [location(s.path, h.file, h.line, h.column, h.match)],
      partialFingerprints: { 'ocsecSkillHit/v1': createHash('sha256').update(`${s.name}\0${h.ruleId}\0${h.file}\0${h.match}`).digest('hex') },
      properties: { skill: s.name, verdict: s.verdict, severity: h.severity, skillHash: s.hash },
    })),
    ...s.suppressed.map((h) => ({
      ruleId: h.ruleId,
      ruleIndex: ruleIndex.get(h.ruleId) ?? -1,
      level: 'note',
      message: { text: `Skill "${s.name}": set aside by a false-positive guard: ${h.reason}` },
      locations: [location(s.path, h.file, h.line, 0)],
      suppressions: [{ kind: 'external', justification: h.reason }],
      properties: { skill: s.name, verdict: s.verdict },
    })),
  ]);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ocsec', fullName: 'ocsec OpenClaw skills supply-chain audit', semanticVersion: toolVersion, version: toolVersion, rules } },
        invocations: [{ executionSuccessful: true, endTimeUtc: result.report.ts }],
        results,
        properties: {
          skills: skills.map((s) => ({ name: s.name, path: s.path, verdict: s.verdict, hash: s.hash, files: s.files, scannedFiles: s.scannedFiles })),
          rulesHit: usedRules,
          score: result.report.score,
        },
      },
    ],
  };
}
