// End-to-end: the built ocsecd on a fixture installation and the built `ocsecctl assess`, `compliance`, `dashboard`.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComplianceRunResult } from '../../client/compliance-protocol.js';
import { tempStateDir } from '../helpers/daemon.js';
import { materializeFixture } from '../helpers/openclaw-fixture.js';

const root = resolve(import.meta.dirname, '../..');
const OCSECD = join(root, 'dist/daemon/main.js');
const OCSECCTL = join(root, 'dist/client/cli.js');

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function envFor(stateDir: string): NodeJS.ProcessEnv {
  // HOME inside the fixture: no crontab, timers or units of the machine running the tests.
  return { PATH: process.env.PATH, HOME: join(stateDir, 'home'), OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' };
}

function startOcsecd(stateDir: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [OCSECD], { env: envFor(stateDir) });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"msg":"ocsecd listening"')) resolveStart(child);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`ocsecd exited ${code} before listening:\n${out}\n${err}`)));
  });
}

function ocsecctl(stateDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [OCSECCTL, ...args], { env: envFor(stateDir), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
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
