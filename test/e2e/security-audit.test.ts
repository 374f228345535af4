// End-to-end: the built ocsecd with OPENCLAW_STATE_DIR on a fixture installation, and the built `ocsecctl security audit`.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOcsecctl, startOcsecd as spawnOcsecd, type ProcessResult } from '../helpers/binaries.js';
import { tempStateDir } from '../helpers/daemon.js';
import { materializeFixture } from '../helpers/openclaw-fixture.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function envFor(stateDir: string): NodeJS.ProcessEnv {
  // HOME points inside the fixture so the baseline reads no crontab or timers of the machine running the tests.
  return { PATH: process.env.PATH, HOME: join(stateDir, 'home'), OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' };
}

async function startOcsecd(stateDir: string): Promise<ChildProcessWithoutNullStreams> {
  return (await spawnOcsecd(envFor(stateDir), cleanups)).child;
}

function ocsecctl(stateDir: string, ...args: string[]): ProcessResult {
  return runOcsecctl(envFor(stateDir), args);
}

function installation(name: string) {
  const dir = tempStateDir('ocsec-e2e-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return materializeFixture(name, dir);
}

describe('ocsecctl security audit (built binaries)', () => {
  it('weak installation: --json has the report shape, exit 1; --fix then a second run passes the permission checks', async () => {
    const fx = installation('weak');
    const daemon = await startOcsecd(fx.dir);
    fx.applyModes();
    const first = ocsecctl(fx.dir, 'security', 'audit', '--json');
    expect(first.status).toBe(1);
    const report = JSON.parse(first.stdout) as { ts: string; score: number; summary: Record<string, number>; findings: Array<{ checkId: string; severity: string; fixable: boolean }>; skills: unknown[] };
    expect(Object.keys(report)).toEqual(['ts', 'openclaw_version', 'score', 'summary', 'findings', 'skills']);
    expect(report.summary.critical).toBeGreaterThan(0);
    expect(report.findings.find((f) => f.checkId === 'fs.config.perms')).toMatchObject({ severity: 'high', fixable: true });
    for (const secret of Object.values(fx.secrets)) expect(first.stdout).not.toContain(secret);

    const fix = ocsecctl(fx.dir, 'security', 'audit', '--fix', '--scope', 'permissions');
    expect(fix.stdout).toContain(`chmod 600 ${join(fx.dir, 'openclaw.json')}`);
    expect(statSync(join(fx.dir, 'openclaw.json')).mode & 0o777).toBe(0o600);
    const again = JSON.parse(ocsecctl(fx.dir, 'security', 'audit', '--json', '--scope', 'permissions').stdout) as typeof report;
    expect(again.findings.filter((f) => f.checkId.endsWith('.perms'))).toEqual([]);

    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  });

  it('hardened installation: exit 0, score at least 9; a baseline round trip changes nothing but the machine\'s own sockets', async () => {
    const fx = installation('hardened');
    const daemon = await startOcsecd(fx.dir);
    fx.applyModes();
    const text = ocsecctl(fx.dir, 'security', 'audit', '--deep');
    expect(text.status).toBe(0);
    const score = /Overall Security Score: (\d+\.\d)\/10 \((\w+)\)/.exec(text.stdout);
    expect(Number(score?.[1])).toBeGreaterThanOrEqual(9);
    expect(score?.[2]).toBe('LOW');

    const baseline = join(fx.dir, 'home-baseline.json');
    expect(ocsecctl(fx.dir, 'security', 'audit', '--export-baseline', baseline).status).toBe(0);
    expect(JSON.parse(readFileSync(baseline, 'utf8'))).toMatchObject({ format: 'ocsec-security-baseline', version: 1, state_dir: fx.dir });
    // Listening sockets are the whole machine's (other tests open some meanwhile); everything else must be unchanged.
    const compare = JSON.parse(ocsecctl(fx.dir, 'security', 'audit', '--json', '--compare-baseline', baseline).stdout) as { baseline: { changes: Array<{ section: string }> } };
    expect(compare.baseline.changes.filter((c) => c.section !== 'listening')).toEqual([]);
    expect(ocsecctl(fx.dir, 'security', 'audit', '--json', '--sarif').status).toBe(2);

    const latest = JSON.parse(ocsecctl(fx.dir, 'security', 'latest', '--json').stdout) as { score: number };
    expect(latest.score).toBeGreaterThanOrEqual(9);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  });

  it('exits 3 when ocsecd is not running', () => {
    const fx = installation('hardened');
    expect(ocsecctl(fx.dir, 'security', 'audit').status).toBe(3);
  });
});
