// Covers client/doctor-checks.ts as pure decisions: which posture is PASS, WARN or FAIL, and that every WARN/FAIL carries a fix.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alternativesCheck, exportChecks, gatewayCheck, jobChecks, sandboxCheck, sudoRulesCheck, type DoctorEnv } from '../../client/doctor-checks.js';
import { layoutFor } from '../../client/layout.js';
import type { HostPosture } from '../../client/protocol.js';

const layout = layoutFor('/home/alice/.openclaw');
const env: DoctorEnv = { layout, env: { HOME: '/home/alice' }, platform: 'linux', uid: 1000, pid: 4242, run: () => ({ status: 1, stdout: '', stderr: '' }) };

function posture(over: Partial<HostPosture> = {}): HostPosture {
  return {
    platform: 'linux',
    daemon: { pid: 1, uid: 1000, noNewPrivileges: false, supervisor: { kind: 'systemd', unit: 'ocsecd.service', detail: 'systemd unit ocsecd.service' } },
    peer: { mechanism: 'SO_PEERCRED', uid: 1000, pid: 4242 },
    shimDir: layout.binDir,
    gateway: { match: 'm', otherStateDirs: [], processes: [], otherStateDirs: [], configured: { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: 'no unit' } },
    sudo: { status: 'password-required', realSudo: '/usr/bin/sudo', passwordless: [], authenticateDisabled: false, detail: 'needs a password' },
    alternatives: [],
    ...over,
  };
}

const proc = (p: Partial<HostPosture['gateway']['processes'][number]>): HostPosture['gateway']['processes'][number] => ({
  pid: 10,
  uid: 1000,
  command: 'openclaw-gateway',
  pathSource: 'environ',
  path: '/x',
  firstSudo: '/usr/bin/sudo',
  shimFirst: false,
  problem: 'p',
  ...p,
});

const configured = (shimFirst: boolean | null): HostPosture['gateway']['configured'] => ({ kind: 'systemd-unit', file: '/u:3', path: '/p', firstSudo: '/s', shimFirst, problem: shimFirst ? null : 'not first' });

describe('gatewayCheck', () => {
  it.each<[string, HostPosture['gateway'], 'PASS' | 'WARN' | 'FAIL']>([
    ['running, shim first', { match: 'm', otherStateDirs: [], processes: [proc({ shimFirst: true, problem: null, firstSudo: `${layout.binDir}/sudo` })], configured: configured(null) }, 'PASS'],
    ['running, real sudo first', { match: 'm', otherStateDirs: [], processes: [proc({})], configured: configured(true) }, 'FAIL'],
    ['one of two running gateways unguarded', { match: 'm', otherStateDirs: [], processes: [proc({ pid: 1, shimFirst: true, problem: null }), proc({ pid: 2 })], configured: configured(true) }, 'FAIL'],
    ['unreadable, unit puts the shim first', { match: 'm', otherStateDirs: [], processes: [proc({ shimFirst: null, pathSource: 'unreadable', path: null })], configured: configured(true) }, 'WARN'],
    ['unreadable, unit does not', { match: 'm', otherStateDirs: [], processes: [proc({ shimFirst: null, pathSource: 'unreadable', path: null })], configured: configured(false) }, 'FAIL'],
    ['not running, unit puts the shim first', { match: 'm', otherStateDirs: [], processes: [], configured: configured(true) }, 'PASS'],
    ['not running, unit does not', { match: 'm', otherStateDirs: [], processes: [], configured: configured(false) }, 'FAIL'],
    ['not running, no unit', { match: 'm', otherStateDirs: [], processes: [], configured: { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: 'none' } }, 'WARN'],
  ])('%s → %s', (_n, gateway, status) => {
    const c = gatewayCheck(env, posture({ gateway }));
    expect(c.status).toBe(status);
    if (status !== 'PASS') expect(c.fix).toBeTruthy();
  });
});

describe('sudoRulesCheck', () => {
  it.each<[string, Partial<HostPosture['sudo']>, 'PASS' | 'WARN' | 'FAIL']>([
    ['NOPASSWD rules', { status: 'listed', passwordless: ['(root) /usr/bin/apt'] }, 'FAIL'],
    ['!authenticate', { status: 'listed', authenticateDisabled: true }, 'FAIL'],
    ['listed, none passwordless', { status: 'listed' }, 'PASS'],
    ['a password is required', { status: 'password-required' }, 'PASS'],
    ['no sudo rights', { status: 'no-rights' }, 'PASS'],
    ['running as root', { status: 'root' }, 'WARN'],
    ['sudo missing', { status: 'not-installed' }, 'WARN'],
  ])('%s → %s', (_n, sudo, status) => {
    const c = sudoRulesCheck(env, posture({ sudo: { ...posture().sudo, ...sudo } }));
    expect(c.status).toBe(status);
    if (status === 'FAIL') expect(c.fix).toMatch(/visudo/);
  });

  it.skipIf(!existsSync('/usr/bin/sudo'))('when the sandboxed daemon cannot run sudo, doctor lists the rules itself', () => {
    const c = sudoRulesCheck(env, posture({ sudo: { ...posture().sudo, status: 'unavailable', detail: 'no_new_privs' } }));
    expect(c.detail).not.toMatch(/no_new_privs/);
  });
});

describe('alternatives, sandbox, jobs, exports', () => {
  it('setuid alternatives warn; doas nopass fails; none passes', () => {
    expect(alternativesCheck(posture()).status).toBe('PASS');
    expect(alternativesCheck(posture({ alternatives: [{ name: 'su', path: '/usr/bin/su', setuid: true, passwordless: [] }] })).status).toBe('WARN');
    expect(alternativesCheck(posture({ alternatives: [{ name: 'su', path: '/usr/bin/su', setuid: false, passwordless: [] }] })).status).toBe('PASS');
    expect(alternativesCheck(posture({ alternatives: [{ name: 'doas', path: '/usr/bin/doas', setuid: true, passwordless: ['permit nopass alice'] }] })).status).toBe('FAIL');
  });

  it('the sandbox is a WARN about idle expiry, absent otherwise', () => {
    expect(sandboxCheck(posture())).toBeNull();
    expect(sandboxCheck(posture({ daemon: { ...posture().daemon, noNewPrivileges: true } }))).toMatchObject({ status: 'WARN', fix: expect.stringMatching(/--no-sandbox/) });
  });

  it('jobs: failed or overdue warn; never run and healthy pass', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const base = { schedule: '* * * * * *', running: false, lastDurationMs: 5, runs: 1 };
    const checks = jobChecks(
      [
        { ...base, name: 'ok', nextRunAt: new Date(now + 1000).toISOString(), lastRunAt: new Date(now - 1000).toISOString(), lastError: null },
        { ...base, name: 'failed', nextRunAt: new Date(now + 1000).toISOString(), lastRunAt: new Date(now - 1000).toISOString(), lastError: 'EACCES' },
        { ...base, name: 'stalled', nextRunAt: new Date(now - 120_000).toISOString(), lastRunAt: null, lastError: null },
        { ...base, name: 'new', nextRunAt: new Date(now + 1000).toISOString(), lastRunAt: null, lastError: null, runs: 0 },
      ],
      now,
    );
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['job ok', 'PASS'],
      ['job failed', 'WARN'],
      ['job stalled', 'WARN'],
      ['job new', 'PASS'],
    ]);
  });

  it('exports: only enabled ones, failing ones warn with the lag', () => {
    const sink = { target: '/x', cursorSeq: 5, delivered: 5, failures: 0, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };
    const checks = exportChecks({
      headSeq: 9,
      sinks: [
        { ...sink, name: 'jsonl', enabled: true },
        { ...sink, name: 'syslog', enabled: true, consecutiveFailures: 3, failures: 3, lastError: 'connect /dev/log: ENOENT', lastFailureAt: '2026-01-01T00:00:00.000Z' },
        { ...sink, name: 'prometheus_textfile', enabled: false },
      ],
    });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['export jsonl', 'PASS'],
      ['export syslog', 'WARN'],
    ]);
    expect(checks[1]!.detail).toMatch(/4 event\(s\) behind/);
  });
});
