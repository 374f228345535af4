// End-to-end: the built ocsecd on a fixture installation and the built `ocsecctl assess`, `compliance`, `dashboard`.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComplianceRunResult } from '../../client/compliance-protocol.js';
import { runOcsecctl, startOcsecd as spawnOcsecd, type ProcessResult } from '../helpers/binaries.js';
import { tempStateDir } from '../helpers/daemon.js';
import { materializeFixture } from '../helpers/openclaw-fixture.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function envFor(stateDir: string): NodeJS.ProcessEnv {
  // HOME inside the fixture: no crontab, timers or units of the machine running the tests.
  return { PATH: process.env.PATH, HOME: join(stateDir, 'home'), OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' };
}

async function startOcsecd(stateDir: string): Promise<ChildProcessWithoutNullStreams> {
  return (await spawnOcsecd(envFor(stateDir), cleanups)).child;
}

function ocsecctl(stateDir: string, ...args: string[]): ProcessResult {
  return runOcsecctl(envFor(stateDir), args);
}

describe('ocsecctl assess (built binaries)', () => {
  it('assesses a hardened installation from live evidence, writes the files, keeps history, rewrites the dashboard', async () => {
    const dir = tempStateDir('ocsec-e2e-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fx = materializeFixture('hardened', dir);
    const daemon = await startOcsecd(fx.dir);
    fx.applyModes();

    const first = ocsecctl(fx.dir, 'assess', '--json');
    expect(first.status, first.stderr).toBe(1); // a fresh install has findings: no shim, no service, no policy files
    const run = JSON.parse(first.stdout) as ComplianceRunResult;
    expect(run.results).toHaveLength(26);
    const status = (id: string) => run.results.find((r) => r.check_id === id)!.status;
    expect(status('channel_allowlist_configured')).toBe('compliant');
    expect(status('gateway_loopback_only')).toBe('compliant');
    expect(status('runtime_privilege_hook_installed')).toBe('violation');
    expect(status('audit_trail_integrity')).toBe('compliant');
    expect(status('update_hygiene')).toBe('error');
    for (const path of [run.outputs.assessment, run.outputs.summary, run.outputs.dashboard]) expect(statSync(path).mode & 0o777).toBe(0o600);
    const summary = JSON.parse(readFileSync(run.outputs.summary, 'utf8')) as { summary: { status_counts: Record<string, number>; violations: Array<{ check_id: string }> } };
    expect(summary.summary.violations.map((v) => v.check_id)).toContain('runtime_privilege_hook_installed');

    // After the installation audit, the checks that read it decide.
    expect(ocsecctl(fx.dir, 'security', 'audit', '--json').status).not.toBeNull();
    const text = ocsecctl(fx.dir, 'compliance', 'run');
    expect(text.stdout).toMatch(/^Compliance assessment #2 \(manual\)/);
    expect(text.stdout).toMatch(/\n {2}prompt_injection_controls (compliant|partial) high — require_confirmation_for_untrusted=true/);
    expect(text.stdout).not.toMatch(/update_hygiene error/);

    const history = ocsecctl(fx.dir, 'compliance', 'history', '--json');
    expect((JSON.parse(history.stdout) as { runs: Array<{ runId: number }> }).runs.map((r) => r.runId)).toEqual([2, 1]);
    const dash = ocsecctl(fx.dir, 'dashboard');
    expect(dash.status).toBe(0);
    expect(readFileSync(dash.stdout.trim(), 'utf8')).toContain('run #2');

    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  });
});
