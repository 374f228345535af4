// The CLI side of the installation audit: baseline diffs, the text report (inert on a terminal) and SARIF.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diffBaselines, readBaselineFile, writeBaselineFile } from '../../client/security-baseline.js';
import { formatBaselineDiff, formatReportText, toSarif } from '../../client/security-format.js';
import type { BaselineSnapshot, SecurityAuditResult } from '../../client/security-report.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-fmt-');
afterEach(() => dirs.cleanup());

function baseline(): BaselineSnapshot {
  return {
    format: 'ocsec-security-baseline',
    version: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    state_dir: '/s',
    openclaw_version: '2026.1.29',
    config: { path: '/s/openclaw.json', sha256: 'a'.repeat(64), files: [{ path: '/s/openclaw.json', sha256: 'a'.repeat(64) }], parse_error: null, values: { 'gateway.bind': 'loopback', 'tools.fs.workspaceOnly': true } },
    skills: [{ name: 'notes', path: '/s/skills/notes', source: 'managed', hash: '1'.repeat(64) }],
    listening: { available: true, reason: null, sockets: [{ protocol: 'tcp', address: '127.0.0.1', port: 18789 }] },
    egress_allowlist: { file: '/s/security/egress_allowlist.json', sha256: null, problem: null, rules: [], openclaw_outbound: ['api.anthropic.com'] },
    file_modes: [{ path: 'openclaw.json', type: 'file', mode: '0600', uid: 1000 }],
    scheduled: { crontab: { available: true, reason: null, lines: [] }, systemd_user_timers: [], launch_agents: [] },
  };
}

describe('diffBaselines', () => {
  it('an identical snapshot has no changes', () => {
    expect(diffBaselines(baseline(), baseline())).toEqual([]);
  });

  it.each<[string, (b: BaselineSnapshot) => void, { section: string; kind: string; subject: string; before: string | null; after: string | null }]>([
    ['a new egress rule', (b) => b.egress_allowlist.rules.push({ host: 'x.example', port: 443 }), { section: 'outbound', kind: 'added', subject: 'egress_allowlist.json {"host":"x.example","port":443}', before: null, after: '{"host":"x.example","port":443}' }],
    ['a new outbound host in openclaw.json', (b) => b.egress_allowlist.openclaw_outbound.push('evil.example'), { section: 'outbound', kind: 'added', subject: 'network.outboundAllowlist evil.example', before: null, after: 'evil.example' }],
    ['a new listener', (b) => b.listening.sockets.push({ protocol: 'tcp6', address: '::', port: 8080 }), { section: 'listening', kind: 'added', subject: 'tcp6 [::]:8080', before: null, after: 'tcp6 [::]:8080' }],
    ['a mode change', (b) => (b.file_modes[0]!.mode = '0644'), { section: 'file_access', kind: 'changed', subject: 'openclaw.json', before: 'file 0600 uid 1000', after: 'file 0644 uid 1000' }],
    ['a file-access key', (b) => (b.config.values['tools.fs.workspaceOnly'] = false), { section: 'file_access', kind: 'changed', subject: 'tools.fs.workspaceOnly', before: 'true', after: 'false' }],
    ['a config key', (b) => (b.config.values['gateway.bind'] = 'lan'), { section: 'config', kind: 'changed', subject: 'gateway.bind', before: '"loopback"', after: '"lan"' }],
    ['a changed skill', (b) => (b.skills[0]!.hash = '2'.repeat(64)), { section: 'skills', kind: 'changed', subject: 'notes (/s/skills/notes)', before: `sha256 ${'1'.repeat(64)}`, after: `sha256 ${'2'.repeat(64)}` }],
    ['a new crontab line', (b) => b.scheduled.crontab.lines.push('* * * * * curl x'), { section: 'scheduled', kind: 'added', subject: 'crontab: * * * * * curl x', before: null, after: '* * * * * curl x' }],
    ['an upgrade', (b) => (b.openclaw_version = '2026.2.1'), { section: 'openclaw', kind: 'changed', subject: 'version', before: '2026.1.29', after: '2026.2.1' }],
  ])('%s', (_name, edit, change) => {
    const after = baseline();
    edit(after);
    expect(diffBaselines(baseline(), after)).toEqual([change]);
  });

  it('sockets are not compared when either sample was unavailable', () => {
    const after = baseline();
    after.listening = { available: false, reason: 'no /proc', sockets: [] };
    expect(diffBaselines(baseline(), after)).toEqual([]);
  });

  it('formatBaselineDiff groups by section, and says so when nothing changed', () => {
    expect(formatBaselineDiff([], 'b.json', '2026-01-01')).toBe('Baseline comparison with b.json (taken 2026-01-01)\n  No changes since the baseline.');
    const after = baseline();
    after.config.values['gateway.bind'] = 'lan';
    after.skills = [];
    expect(formatBaselineDiff(diffBaselines(baseline(), after), 'b.json', 'then')).toBe(
      'Baseline comparison with b.json (taken then)\n  Configuration\n    ~ gateway.bind: "loopback" → "lan"\n  Skills\n    - notes (/s/skills/notes)',
    );
  });
});

describe('baseline files', () => {
  it('are written with mode 0600 and read back identical', () => {
    const file = join(dirs.make(), 'b.json');
    writeBaselineFile(file, baseline());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readBaselineFile(file)).toEqual(baseline());
  });
});

function result(over: Partial<SecurityAuditResult['report']> = {}): SecurityAuditResult {
  return {
    runId: 1,
    trigger: 'manual',
    band: 'MEDIUM',
    deep: true,
    scope: ['skills'],
    stateDir: '/s',
    configPath: '/s/openclaw.json',
    checks: [
      { checkId: 'gateway.bind', scope: 'network', title: 'Gateway bound to loopback', status: 'passed', severity: 'critical', reason: 'gateway.bind "loopback"', keys: ['gateway.bind'] },
      { checkId: 'security.csrf', scope: 'config', title: 'CSRF protection on', status: 'not_assessed', severity: 'medium', reason: 'not set', keys: [] },
    ],
    report: {
      ts: '2026-04-26T10:23:45.123Z',
      openclaw_version: '2026.1.29',
      score: 6.2,
      summary: { critical: 0, high: 1, medium: 0, low: 0, info: 0, passed: 1 },
      findings: [{ checkId: 'skills.supply_chain', severity: 'high', title: 'Skill "x\u001b[2J" needs investigation', detail: 'SKILL.md:3: evil\u001b]0;owned\u0007\nsecond line', remediation: 'Review it\nthen remove it', fixable: false, evidence: {} }],
      skills: [
        {
          name: 'x',
          path: '/s/skills/x',
          source: 'managed',
          description: null,
          verdict: 'warn',
          hash: 'f'.repeat(64),
          files: 2,
          scannedFiles: 2,
          skipped: [],
          hits: [
            { ruleId: 'dynamic-exec', level: 'warn', severity: 'high', file: 'lib/a.js', line: 3, column: 10, match: 'eval(x)', message: 'evaluates' },
            { ruleId: 'symlink-escape', level: 'warn', severity: 'high', file: 'link', line: 0, column: 0, match: 'link -> /etc', message: 'links out' },
          ],
          hitsOmitted: 0,
          suppressed: [{ ruleId: 'pipe-to-shell', file: 'README.md', line: 4, reason: 'a warning' }],
        },
      ],
      ...over,
    },
  };
}

describe('formatReportText', () => {
  it("prints the guide's layout, with untrusted text made inert", () => {
    const text = formatReportText(result());
    expect(text).toContain('Scan completed at: 2026-04-26 10:23:45 UTC\nOpenClaw version: 2026.1.29');
    expect(text).toContain('\nCRITICAL (0 issues)\n  None\n\nHIGH (1 issue)\n  [HIGH] Skill "x\\x1b[2J" needs investigation\n    SKILL.md:3: evil\\x1b]0;owned\\x07\n    second line\n    Fix: Review it\n         then remove it\n');
    expect(text).toContain('PASSED (1 check)\n  ✓ Gateway bound to loopback: gateway.bind "loopback"');
    expect(text).toContain('NOT ASSESSED (1 check)\n  - CSRF protection on: not set');
    expect(text).toContain('Overall Security Score: 6.2/10 (MEDIUM)');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('lists fixes as chmod commands, and a dry run says nothing changed', () => {
    const fix = { dryRun: true, changes: [{ path: '/s/.env', from: '0644', to: '0600', command: 'chmod 600 /s/.env' }], errors: [] };
    expect(formatReportText(result({ fix }))).toContain('FIXES (dry run: 1 change that would be made, nothing changed)\n  chmod 600 /s/.env   (was 0644)');
  });
});

describe('toSarif', () => {
  it('is SARIF 2.1.0 with every rule, one result per hit and guard decisions as suppressed results', () => {
    const sarif = toSarif(result(), '0.1.0') as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; defaultConfiguration: { level: string } }> } }; results: Array<Record<string, unknown>> }> };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.rules.find((r) => r.id === 'pipe-to-shell')!.defaultConfiguration.level).toBe('error');
    expect(run.results).toHaveLength(3);
    expect(run.results[0]).toMatchObject({ ruleId: 'dynamic-exec', level: 'warning', locations: [{ physicalLocation: { artifactLocation: { uri: 'file:///s/skills/x/lib/a.js' }, region: { startLine: 3, startColumn: 10, snippet: { text: 'eval(x)' } } } }] });
    expect((run.results[1] as { locations: Array<{ physicalLocation: Record<string, unknown> }> }).locations[0]!.physicalLocation).not.toHaveProperty('region');
    expect(run.results[2]).toMatchObject({ ruleId: 'pipe-to-shell', level: 'note', suppressions: [{ kind: 'external', justification: 'a warning' }] });
  });
});
