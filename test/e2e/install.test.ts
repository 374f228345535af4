// End-to-end: the built ocsecctl installs the service, the shim and the gateway PATH drop-in into a temp HOME and state
// dir; the rendered unit passes systemd-analyze and its ExecStart really starts ocsecd; uninstall reverses it all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUnitFile, splitEnvironmentWords } from '../../client/install/systemd-unit.js';
import { locateRealSudo } from '../../client/real-sudo.js';
import { tempStateDir } from '../helpers/daemon.js';

const root = resolve(import.meta.dirname, '../..');
const OCSECCTL = join(root, 'dist/client/cli.js');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const canRun = process.platform === 'linux' && existsSync(OCSECCTL) && locateRealSudo({ shimDirs: [] }).ok;

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function sandbox() {
  const home = tempStateDir('ocsec-e2e-home-');
  const stateDir = join(home, 'st');
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const xdg = join(home, '.config');
  // No user manager is reachable from the test: systemctl --user steps are printed, never run against the host.
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: home, USER: 'alice', XDG_CONFIG_HOME: xdg, XDG_RUNTIME_DIR: join(home, 'no-runtime'), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}`, OPENCLAW_STATE_DIR: stateDir };
  const ctl = (...args: string[]) => {
    const r = spawnSync(process.execPath, [OCSECCTL, ...args], { env, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { home, stateDir, xdg, env, ctl };
}

const mode = (p: string) => statSync(p).mode & 0o777;

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe.skipIf(!canRun)('ocsecctl install / uninstall (built binary)', () => {
  it('install with no option is the service; --dry-run prints it, writes nothing and lists the other options', () => {
    const s = sandbox();
    const r = s.ctl('install', '--dry-run');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\[dry-run\] write .*\.config\/systemd\/user\/ocsecd\.service \(mode 0644/m);
    expect(r.stdout).toMatch(/Also available: --shim .* --gateway-path/);
    expect(listTree(s.home)).toEqual([]);
  });

  it('installs service, shim and gateway drop-in with the right modes; the unit verifies and its ExecStart starts ocsecd; uninstall reverses exactly that', async () => {
    const s = sandbox();
    const userUnits = join(s.xdg, 'systemd', 'user');
    mkdirSync(userUnits, { recursive: true });
    writeFileSync(join(userUnits, 'openclaw-gateway.service'), `[Service]\nExecStart=${process.execPath} -e 0\nEnvironment=PATH=/opt/node/bin:/usr/bin:/bin\n`);
    const r = s.ctl('install', '--service', '--shim', '--gateway-path', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { components: string[]; steps: Array<{ kind: string; action: string; path: string }> };
    expect(report.components).toEqual(['service', 'shim', 'gateway-path']);
    expect(report.steps.some((st) => st.kind === 'skip' && /systemctl --user daemon-reload && systemctl --user enable --now ocsecd\.service/.test(st.action))).toBe(true);

    const unit = join(userUnits, 'ocsecd.service');
    const dropIn = join(userUnits, 'openclaw-gateway.service.d', '10-ocsec-path.conf');
    const launcher = join(s.stateDir, 'bin', 'sudo');
    const manifest = join(s.stateDir, 'security', 'install-manifest.json');
    expect([mode(unit), mode(dropIn), mode(launcher), mode(manifest), mode(join(s.stateDir, 'bin'))]).toEqual([0o644, 0o644, 0o700, 0o600, 0o700]);
    expect(readFileSync(dropIn, 'utf8')).toContain(`Environment="PATH=${join(s.stateDir, 'bin')}:/opt/node/bin:/usr/bin:/bin"`);

    if (hasAnalyze) {
      const runtime = join(s.home, 'rt');
      mkdirSync(runtime, { mode: 0o700 });
      for (const name of ['ocsecd.service', 'openclaw-gateway.service']) {
        const v = spawnSync('systemd-analyze', ['--user', 'verify', '--man=no', join(userUnits, name)], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', XDG_RUNTIME_DIR: runtime, SYSTEMD_UNIT_PATH: `${userUnits}:`, HOME: s.home } });
        expect({ name, status: v.status, output: (v.stdout + v.stderr).trim() }).toEqual({ name, status: 0, output: '' });
      }
    }

    // The rendered ExecStart is a working command line: run it and ask the daemon for its status.
    const exec = parseUnitFile(readFileSync(unit, 'utf8')).find((e) => e.key === 'ExecStart')!;
    const [bin, ...args] = splitEnvironmentWords(exec.value);
    expect(bin).toBe(process.execPath);
    const daemon = spawn(bin!, args, { env: { PATH: '/usr/bin:/bin', HOME: s.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => daemon.kill('SIGKILL'));
    await new Promise<void>((ok, fail) => {
      let out = '';
      daemon.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"msg":"ocsecd listening"')) ok();
      });
      daemon.on('exit', (code) => fail(new Error(`ocsecd exited ${code}: ${out}`)));
    });
    const status = s.ctl('status', '--json');
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout).stateDir).toBe(s.stateDir);
    const doctor = s.ctl('doctor', '--json');
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    expect(checks.find((c) => c.name === 'sudo shim')?.status).toBe('PASS');
    expect(checks.find((c) => c.name === 'gateway PATH')).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/not running; at its next start .*shim first/) });
    expect(checks.find((c) => c.name === 'daemon supervised')).toMatchObject({ status: 'WARN', detail: expect.stringMatching(/installed but not enabled/) });
    daemon.kill('SIGTERM');
    await new Promise((ok) => daemon.on('exit', ok));

    const kept = ['ocsec.db', 'privileged-audit.jsonl'].map((f) => join(s.stateDir, 'security', f));
    writeFileSync(join(s.stateDir, 'security', 'command-policy.json'), '{"deny":["rm"]}\n', { mode: 0o600 });
    const again = s.ctl('install', '--service', '--shim', '--gateway-path');
    expect(again.status).toBe(0);
    expect(again.stdout).not.toMatch(/^(write|update|mkdir)/m);

    const un = s.ctl('uninstall');
    expect(un.status, un.stderr).toBe(0);
    expect(un.stdout).toMatch(/^remove .*10-ocsec-path\.conf$/m);
    expect(un.stdout).toMatch(/^remove .*st\/bin\/sudo$/m);
    expect(un.stdout).toMatch(/^remove .*ocsecd\.service$/m);
    expect(un.stdout).toMatch(/restart the gateway for it to take effect/);
    for (const p of [unit, dropIn, launcher, manifest]) expect(existsSync(p), p).toBe(false);
    for (const p of kept) expect(existsSync(p), p).toBe(true);
    expect(readFileSync(join(s.stateDir, 'security', 'command-policy.json'), 'utf8')).toBe('{"deny":["rm"]}\n');
    expect(existsSync(join(userUnits, 'openclaw-gateway.service'))).toBe(true);
  });

  it('--sandbox adds the sandbox drop-in to the plan; without it there is none; --no-sandbox is accepted', () => {
    const s = sandbox();
    const plan = (...args: string[]) => (JSON.parse(s.ctl('install', '--service', '--dry-run', '--json', ...args).stdout) as { steps: Array<{ path: string }> }).steps.map((st) => st.path);
    expect(plan('--sandbox').some((p) => p.endsWith('ocsecd.service.d/50-sandbox.conf'))).toBe(true);
    expect(plan().some((p) => p.includes('50-sandbox.conf'))).toBe(false);
    expect(plan('--no-sandbox').some((p) => p.includes('50-sandbox.conf'))).toBe(false);
  });

  it('refuses --gateway-path without a gateway unit (exit 1, a message naming where it looked) and unknown options (exit 2)', () => {
    const s = sandbox();
    const r = s.ctl('install', '--gateway-path');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no user unit openclaw-gateway\.service found \(searched /);
    expect(s.ctl('install', '--bogus').status).toBe(2);
  });
});
