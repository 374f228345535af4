// Covers `ocsecctl doctor` (client/cli.ts + client/doctor-checks.ts) against a running daemon: a healthy setup has no
// FAIL; a broken one (stale shim, unguarded gateway, broken unit, lying peer reader, NOPASSWD) fails with a fix for each.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../client/cli.js';
import { runInstall } from '../../client/install/index.js';
import { locateRealSudo } from '../../client/real-sudo.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-doctor-');
const running: TestDaemon[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of running.splice(0)) await d.stop();
  dirs.cleanup();
});

const root = join(import.meta.dirname, '../..');
const canInstallShim = process.platform === 'linux' && locateRealSudo({ shimDirs: [] }).ok;

interface Check {
  name: string;
  status: 'PASS' | 'WARN' | 'FAIL';
  detail: string;
  fix?: string;
}

async function doctor(stateDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; checks: Check[]; text: string }> {
  let json = '';
  let text = '';
  const code = await runCli(['--state-dir', stateDir, 'doctor', '--json'], { stdout: (s) => (json += s), stderr: () => {}, env });
  await runCli(['--state-dir', stateDir, 'doctor'], { stdout: (s) => (text += s), stderr: () => {}, env });
  return { code, checks: (JSON.parse(json) as { checks: Check[] }).checks, text };
}

/** A stand-in gateway for this state dir (daemons of other tests, on their own state dirs, leave it alone). */
async function gateway(path: string, stateDir: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', "process.title = 'openclaw-gateway'; setInterval(() => {}, 1 << 30);"], { env: { PATH: path, OPENCLAW_STATE_DIR: stateDir }, stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith('openclaw-gateway')) return child.pid!;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('gateway stand-in did not start');
}

function setupHome() {
  const home = dirs.make();
  const xdg = join(home, '.config');
  return { home, xdg, env: { HOME: home, XDG_CONFIG_HOME: xdg, USER: 'alice', PATH: process.env.PATH } as NodeJS.ProcessEnv };
}

const unreachableSystemd = () => ({ status: 1, stdout: '', stderr: 'Failed to connect to bus' });

describe.skipIf(!canInstallShim)('ocsecctl doctor', () => {
  it('a healthy setup: service installed and enabled, shim sound, the gateway runs the shim first — no FAIL, exit 0', async () => {
    const { xdg, env } = setupHome();
    const d = await startTestDaemon({ env });
    running.push(d);
    runInstall({ layout: d.daemon.layout, components: ['service', 'shim'], dryRun: false, env, platform: 'linux', run: unreachableSystemd, servicePaths: { node: process.execPath, daemonEntry: join(root, 'package.json') } });
    mkdirSync(join(xdg, 'systemd/user/default.target.wants'), { recursive: true });
    symlinkSync(join(xdg, 'systemd/user/ocsecd.service'), join(xdg, 'systemd/user/default.target.wants/ocsecd.service'));
    await gateway(`${d.daemon.layout.binDir}:/usr/bin:/bin`, d.stateDir);
    const { code, checks, text } = await doctor(d.stateDir, env);
    const by = (name: string) => checks.find((c) => c.name === name);
    expect(checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(code).toBe(0);
    expect(by('peer credentials')).toMatchObject({ status: 'PASS', detail: expect.stringContaining(`pid ${process.pid}`) });
    expect(by('sudo shim')?.status).toBe('PASS');
    expect(by('real sudo')?.status).toBe('PASS');
    expect(by('gateway PATH')).toMatchObject({ status: 'PASS', detail: expect.stringContaining(`runs ${join(d.daemon.layout.binDir, 'sudo')}`) });
    // Started by the test, not by systemd: installed and enabled, but not what is running.
    expect(by('daemon supervised')).toMatchObject({ status: 'WARN', detail: expect.stringMatching(/installed and enabled, but the running ocsecd was started by hand/) });
    expect(by('job audit-verify')?.status).toBe('PASS');
    for (const name of ['sudo NOPASSWD', 'su/doas/pkexec', 'audit chain', 'database integrity']) expect(by(name), name).toBeDefined();
    expect(text).toMatch(/^PASS gateway PATH: /m);
  });

  it('a broken setup: each problem is a FAIL line followed by its fix, exit 1', async () => {
    const { env } = setupHome();
    const listing = 'User alice may run the following commands on h:\n    (root) NOPASSWD: /usr/bin/apt\n';
    const d = await startTestDaemon({ env, readPeer: () => ({ uid: process.getuid!(), pid: 1 }), host: { uid: 1000, listSudo: async () => ({ code: 0, stdout: listing, stderr: '' }) } });
    running.push(d);
    runInstall({ layout: d.daemon.layout, components: ['service', 'shim'], dryRun: false, env, platform: 'linux', run: unreachableSystemd, servicePaths: { node: '/nonexistent/bin/node', daemonEntry: join(root, 'package.json') } });
    const launcher = join(d.daemon.layout.binDir, 'sudo');
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^exec '[^']*'/m, "exec '/nonexistent/bin/node'"));
    await gateway('/usr/local/bin:/usr/bin:/bin', d.stateDir);
    const { code, checks, text } = await doctor(d.stateDir, env);
    const failed = Object.fromEntries(checks.filter((c) => c.status === 'FAIL').map((c) => [c.name, c]));
    expect(Object.keys(failed).sort()).toEqual(['daemon supervised', 'gateway PATH', 'peer credentials', 'sudo NOPASSWD', 'sudo shim']);
    expect(failed['sudo shim']).toMatchObject({ detail: expect.stringMatching(/pinned node \/nonexistent\/bin\/node no longer exists/), fix: expect.stringMatching(/ocsecctl install --shim/) });
    expect(failed['gateway PATH']).toMatchObject({ detail: expect.stringMatching(/is not in PATH, so \/usr\/bin\/sudo runs unguarded/), fix: expect.stringMatching(/ocsecctl install --shim --gateway-path, then systemctl --user daemon-reload && systemctl --user restart openclaw-gateway\.service/) });
    expect(failed['daemon supervised']).toMatchObject({ detail: expect.stringMatching(/pinned node \/nonexistent\/bin\/node/), fix: expect.stringMatching(/ocsecctl install --service/) });
    expect(failed['peer credentials']).toMatchObject({ detail: expect.stringMatching(/saw uid \d+ pid 1 for this connection/) });
    expect(failed['sudo NOPASSWD']).toMatchObject({ detail: expect.stringMatching(/\(root\) \/usr\/bin\/apt/), fix: expect.stringMatching(/visudo/) });
    expect(code).toBe(1);
    for (const name of Object.keys(failed)) {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.startsWith(`FAIL ${name}: `));
      expect(at, name).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1], name).toMatch(/^ {5}Fix: /);
    }
  });

  it('with the daemon down: exit 3, and the offline checks (service, shim) still run', async () => {
    const { env } = setupHome();
    const { code, checks } = await doctor(dirs.make(), env);
    expect(code).toBe(3);
    expect(checks.find((c) => c.name === 'daemon')?.status).toBe('FAIL');
    expect(checks.find((c) => c.name === 'daemon supervised')).toMatchObject({ status: 'WARN', fix: 'ocsecctl install --service' });
    expect(checks.find((c) => c.name === 'sudo shim')).toMatchObject({ status: 'FAIL', fix: 'ocsecctl install --shim --gateway-path' });
  });
});
