// Covers client/compliance-format.ts and compliance-cli.ts helpers: the output contract's lines (grouped by status,
// `check_id status risk — evidence`, `Fix: … (owner, due)`, network findings with port, bind, process and why),
// terminal-inert untrusted text, the exit rule, and --expires parsing.
import { describe, expect, it } from 'vitest';
import { parseExpiry } from '../../client/compliance-cli.js';
import { formatNotification, formatRun, hasFindings } from '../../client/compliance-format.js';
import type { CheckResultShape, ComplianceRunResult } from '../../client/compliance-protocol.js';

function check(id: string, status: CheckResultShape['status'], over: Partial<CheckResultShape> = {}): CheckResultShape {
  return {
    check_id: id, title: id, status, risk: 'high', observed_state: 'o', evidence: `evidence of ${id}`, evidence_data: {}, gap: 'g', mitigation: `fix ${id}`, owner: 'SecOps',
    due_date: status === 'compliant' ? null : '2026-01-17', first_seen: null, waived_status: null, waiver: null, iso27001: [], nist_csf: [], nist_800_53: [], expected_state: '', duration_ms: 0, ...over,
  };
}

function run(results: CheckResultShape[], extra: Partial<ComplianceRunResult> = {}): ComplianceRunResult {
  return {
    run: { runId: 4, trigger: 'manual', startedAt: 's', finishedAt: '2026-01-10T12:00:00.000Z', durationMs: 12, cpuMs: 10, statusCounts: { violation: 1, compliant: 1 }, riskCounts: { high: 1 } },
    results,
    networkFindings: [],
    outputs: { assessment: '/a.json', summary: '/s.json', dashboard: '/d.html', problems: [] },
    notification: { outcome: 'nothing-new', detail: '', notifier: null, exitCode: null, durationMs: null, added: [], escalated: [], resolved: [] },
    timings: { sources: {}, sourcesCpu: {}, checks: {} },
    ...extra,
  };
}

describe('formatRun', () => {
  it('groups by status, worst risk first, with the fix line under each finding only', () => {
    const lines = formatRun(run([check('b_low', 'violation', { risk: 'low' }), check('a_ok', 'compliant'), check('c_crit', 'violation', { risk: 'critical' }), check('d_err', 'error', { risk: 'medium' })]));
    expect(lines[0]).toBe('Compliance assessment #4 (manual) at 2026-01-10T12:00:00.000Z: 1 violation, 0 partial, 0 error, 0 waived, 1 compliant, 0 not applicable');
    const body = lines.join('\n');
    expect(body).toContain('\nVIOLATION (2)\n  c_crit violation critical — evidence of c_crit\n    Fix: fix c_crit (SecOps, due 2026-01-17)\n  b_low violation low — evidence of b_low\n');
    expect(body).toContain('\nERROR (not assessed) (1)\n  d_err error medium — evidence of d_err\n    Fix: fix d_err (SecOps, due 2026-01-17)');
    expect(body).toContain('\nCOMPLIANT (1)\n  a_ok compliant high — evidence of a_ok\n\n');
    expect(body).not.toContain('Fix: fix a_ok');
  });

  it('shows a waiver in the evidence and network findings with port, bind, process and why', () => {
    const waived = check('w', 'waived', { waived_status: 'violation', waiver: { id: 2, justification: 'migration', approver: 'Eve', expires_at: '2026-02-01T00:00:00.000Z' } });
    const lines = formatRun(
      run([waived], {
        networkFindings: [
          { monitor: 'ports', type: 'public-bind', severity: 'medium', protocol: 'tcp', port: 8080, bind: '::', remote: null, process: 'python3', pid: 51, user: 'alice', why: 'bound to every interface', recommendation: 'bind to 127.0.0.1', first_seen: 'x', occurrences: 1 },
          { monitor: 'egress', type: 'unapproved-egress', severity: 'medium', protocol: 'tcp', port: 443, bind: null, remote: 'evil.example (192.0.2.1)', process: null, pid: null, user: null, why: 'no rule', recommendation: 'allow or stop', first_seen: 'x', occurrences: 1 },
        ],
      }),
    ).join('\n');
    expect(lines).toContain('  w waived high — waived violation until 2026-02-01T00:00:00.000Z by Eve: migration; evidence of w');
    expect(lines).toContain('  ports public-bind medium tcp [::]:8080 python3 pid 51 (alice) — bound to every interface\n    Fix: bind to 127.0.0.1');
    expect(lines).toContain('  egress unapproved-egress medium tcp → evil.example (192.0.2.1):443 (owner not visible) — no rule');
  });

  it('keeps hostile text inert: escapes and newlines are shown, not obeyed', () => {
    const lines = formatRun(run([check('x', 'violation', { evidence: 'a\u001b]0;pwned\u0007b\nFAKE: line' })]));
    const line = lines.find((l) => l.startsWith('  x violation'))!;
    expect(line).toBe('  x violation high — a\\x1b]0;pwned\\x07b\\nFAKE: line');
    expect(lines.every((l) => !/[\u0000-\u0008\u000b-\u001f]/.test(l))).toBe(true);
  });

  it.each<[CheckResultShape['status'], boolean]>([
    ['violation', true],
    ['partial', true],
    ['error', true],
    ['waived', false],
    ['compliant', false],
    ['not_applicable', false],
  ])('%s → findings exit: %s', (status, expected) => {
    expect(hasFindings({ results: [check('a', 'compliant'), check('b', status)] })).toBe(expected);
  });

  it('says what happened to the notification', () => {
    expect(formatNotification({ outcome: 'refused', detail: '/bin/sh is a shell', notifier: ['/bin/sh'], exitCode: null, durationMs: null, added: ['a'], escalated: [], resolved: [] })).toBe('Notification: REFUSED (1 new, 0 escalated, 0 resolved): /bin/sh is a shell');
  });
});

describe('parseExpiry', () => {
  const now = Date.UTC(2026, 0, 10);
  const usage = (m: string): never => {
    throw new Error(m);
  };
  it.each<[string, string]>([
    ['30d', '2026-02-09T00:00:00.000Z'],
    ['12h', '2026-01-10T12:00:00.000Z'],
    ['90m', '2026-01-10T01:30:00.000Z'],
    ['2026-03-01T00:00:00Z', '2026-03-01T00:00:00.000Z'],
  ])('%s → %s', (value, expected) => {
    expect(parseExpiry(value, now, usage)).toBe(expected);
  });
  it('rejects anything else with the accepted forms', () => {
    expect(() => parseExpiry('soon', now, usage)).toThrow(/ISO 8601 time or a span such as 30d/);
  });
});
