// Covers host.posture in a running daemon: gateway processes found by command line with their live PATH, the
// configured PATH from the gateway's unit, supervision and no_new_privs, the peer seen by the kernel, sudo rules.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAUNCHER_MARKER } from '../../client/posture/path-analysis.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-posture-');
const running: TestDaemon[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of running.splice(0)) await d.stop();
  dirs.cleanup();
});

async function daemon(opts: Parameters<typeof startTestDaemon>[0] = {}) {
  const d = await startTestDaemon(opts);
  running.push(d);
  return d;
}

/** Waits (bounded) until /proc shows the child's command line matching `ready`. */
async function until(pid: number, ready: (cmdline: string) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (ready(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} never became ready`);
}

/** A stand-in gateway that names itself as the real one does (process title `openclaw-gateway`). */
async function titledGateway(path: string, stateDir: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', "process.title = 'openclaw-gateway'; setInterval(() => {}, 1 << 30);"], { env: { PATH: path, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_GATEWAY_TOKEN: 'secret-token-value' }, stdio: 'ignore' });
  children.push(child);
  await until(child.pid!, (c) => c.startsWith('openclaw-gateway'));
  return child.pid!;
}

/** A stand-in started the way the CLI starts it: node …/openclaw/openclaw.mjs gateway run. */
async function cliGateway(path: string | null, stateDir: string, extraArgs: string[] = []): Promise<number> {
  const dir = join(dirs.make(), 'openclaw');
  mkdirSync(dir);
  writeFileSync(join(dir, 'openclaw.mjs'), 'setInterval(() => {}, 1 << 30);\n');
  // Stand-ins name their state dir, so daemons of other tests running at the same time leave them alone.
  const env: NodeJS.ProcessEnv = path === null ? { OPENCLAW_STATE_DIR: stateDir } : { PATH: path, OPENCLAW_STATE_DIR: stateDir };
  const child = spawn(process.execPath, [join(dir, 'openclaw.mjs'), 'gateway', 'run', ...extraArgs], { env, stdio: 'ignore' });
  children.push(child);
  await until(child.pid!, (c) => c.includes('openclaw.mjs'));
  return child.pid!;
}

function installLauncher(binDir: string): void {
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(binDir, 'sudo'), `#!/bin/sh\n${LAUNCHER_MARKER}\nexec /usr/bin/sudo "$@"\n`, { mode: 0o700 });
}

describe.skipIf(process.platform !== 'linux')('host.posture: the running gateway', () => {
  it('finds gateway processes by command line and reads whether their PATH puts the shim first', async () => {
    const d = await daemon();
    const bin = d.daemon.layout.binDir;
    installLauncher(bin);
    const guarded = await titledGateway(`${bin}:/usr/bin:/bin`, d.stateDir);
    const unguarded = await cliGateway('/usr/local/bin:/usr/bin:/bin', d.stateDir, ['--port', '18999']);
    const noPath = await cliGateway(null, d.stateDir);
    const elsewhere = await cliGateway('/usr/bin:/bin', join(dirs.make(), 'other-profile'));
    const posture = await d.client.call('host.posture');
    const byPid = new Map(posture.gateway.processes.map((p) => [p.pid, p]));
    expect(byPid.get(guarded)).toMatchObject({ pathSource: 'environ', path: `${bin}:/usr/bin:/bin`, firstSudo: join(bin, 'sudo'), shimFirst: true, problem: null, command: 'openclaw-gateway' });
    expect(byPid.get(unguarded)).toMatchObject({ pathSource: 'environ', firstSudo: '/usr/bin/sudo', shimFirst: false, problem: expect.stringMatching(/is not in PATH/) });
    expect(byPid.get(unguarded)!.command).toMatch(/openclaw\.mjs gateway run --port 18999$/);
    expect(byPid.get(noPath)).toMatchObject({ path: null, shimFirst: false, problem: expect.stringMatching(/no PATH/) });
    // A gateway of another state dir looks for its shim there: listed apart, not judged against this one.
    expect(byPid.has(elsewhere)).toBe(false);
    expect(posture.gateway.otherStateDirs).toContainEqual({ pid: elsewhere, stateDir: expect.stringMatching(/other-profile$/) });
    // Only PATH is taken from the environment block; the gateway's secrets never leave it.
    expect(JSON.stringify(posture)).not.toContain('secret-token-value');
  });

  it('ignores management commands such as `openclaw gateway status`', async () => {
    const d = await daemon();
    const dir = join(dirs.make(), 'openclaw');
    mkdirSync(dir);
    writeFileSync(join(dir, 'openclaw.mjs'), 'setInterval(() => {}, 1 << 30);\n');
    const child = spawn(process.execPath, [join(dir, 'openclaw.mjs'), 'gateway', 'status'], { env: { OPENCLAW_STATE_DIR: d.stateDir }, stdio: 'ignore' });
    children.push(child);
    await until(child.pid!, (c) => c.includes('openclaw.mjs'));
    const posture = await d.client.call('host.posture');
    expect(posture.gateway.processes.map((p) => p.pid)).not.toContain(child.pid);
  });

  it("reads the configured PATH from the gateway's user unit and drop-ins", async () => {
    const xdg = dirs.make();
    const stateDir = dirs.make();
    const bin = join(stateDir, 'bin');
    mkdirSync(join(xdg, 'systemd/user/openclaw-gateway.service.d'), { recursive: true });
    writeFileSync(join(xdg, 'systemd/user/openclaw-gateway.service'), '[Service]\nExecStart=/usr/bin/openclaw gateway run\nEnvironment=PATH=/usr/bin:/bin\n');
    const d = await daemon({ stateDir, env: { XDG_CONFIG_HOME: xdg, HOME: dirs.make() } });
    installLauncher(bin);
    let posture = await d.client.call('host.posture');
    expect(posture.gateway.configured).toMatchObject({ kind: 'systemd-unit', path: '/usr/bin:/bin', shimFirst: false, file: `${join(xdg, 'systemd/user/openclaw-gateway.service')}:3` });
    writeFileSync(join(xdg, 'systemd/user/openclaw-gateway.service.d/10-ocsec-path.conf'), `[Service]\nEnvironment="PATH=${bin}:/usr/bin:/bin"\n`);
    posture = await d.client.call('host.posture');
    expect(posture.gateway.configured).toMatchObject({ kind: 'systemd-unit', path: `${bin}:/usr/bin:/bin`, shimFirst: true });
  });
});

describe('host.posture: the daemon itself', () => {
  it('reports the peer the kernel saw for this very connection', async () => {
    const d = await daemon();
    const posture = await d.client.call('host.posture');
    expect(posture.peer).toMatchObject({ uid: process.getuid!(), pid: process.pid });
  });

  it('a daemon whose peer reader lies shows it in the posture (doctor turns this into a FAIL)', async () => {
    const d = await daemon({ readPeer: () => ({ uid: process.getuid!(), pid: 1 }) });
    expect((await d.client.call('host.posture')).peer.pid).toBe(1);
  });

  it('says whether it runs under systemd as ocsecd.service, and whether no_new_privs is set', async () => {
    const proc = dirs.make();
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'self', 'cgroup'), '0::/user.slice/user-1000.slice/user@1000.service/app.slice/ocsecd.service\n');
    writeFileSync(join(proc, 'self', 'status'), 'Name:\tnode\nNoNewPrivs:\t1\nSeccomp:\t2\n');
    const d = await daemon({ env: { INVOCATION_ID: 'abc' }, host: { procRoot: proc, platform: 'linux', uid: 1000 } });
    const posture = await d.client.call('host.posture');
    expect(posture.daemon).toMatchObject({ noNewPrivileges: true, supervisor: { kind: 'systemd', unit: 'ocsecd.service' } });
    expect(posture.sudo.status === 'unavailable' || posture.sudo.status === 'not-installed').toBe(true);
    const plain = await daemon({ env: {}, host: { procRoot: dirs.make(), platform: 'linux' } });
    expect((await plain.client.call('host.posture')).daemon).toMatchObject({ noNewPrivileges: false, supervisor: { kind: 'none', unit: null } });
  });

  it('a gateway whose environment cannot be read is reported as such, not guessed', async () => {
    const proc = dirs.make();
    mkdirSync(join(proc, '4321', 'environ'), { recursive: true }); // reading a directory fails like EACCES would
    writeFileSync(join(proc, '4321', 'cmdline'), 'openclaw-gateway\0\0');
    writeFileSync(join(proc, '4321', 'status'), 'Name:\topenclaw-gatewa\nUid:\t999\t999\t999\t999\n');
    const d = await daemon({ host: { procRoot: proc, platform: 'linux' } });
    expect((await d.client.call('host.posture')).gateway.processes).toEqual([
      { pid: 4321, uid: 999, command: 'openclaw-gateway', pathSource: 'unreadable', path: null, firstSudo: null, shimFirst: null, problem: expect.stringMatching(/cannot read \/proc\/4321\/environ/) },
    ]);
  });

  it('lists passwordless sudo rules from `sudo -n -l`, and says when it runs as root', async () => {
    const listing = 'User alice may run the following commands on h:\n    (ALL : ALL) ALL\n    (root) NOPASSWD: /usr/bin/apt\n';
    const d = await daemon({ host: { uid: 1000, listSudo: async () => ({ code: 0, stdout: listing, stderr: '' }) } });
    const sudo = (await d.client.call('host.posture')).sudo;
    if (sudo.status !== 'not-installed') expect(sudo).toMatchObject({ status: 'listed', passwordless: ['(root) /usr/bin/apt'] });
    const root = await daemon({ host: { uid: 0 } });
    expect((await root.client.call('host.posture')).sudo.status).toBe('root');
  });

  it('finds setuid alternatives and doas nopass rules for this user', async () => {
    const tools = dirs.make();
    const doas = join(dirs.make(), 'doas.conf');
    writeFileSync(join(tools, 'doas'), '#!/bin/sh\n', { mode: 0o4755 });
    writeFileSync(doas, '# comment\npermit persist alice as root\npermit nopass alice as root cmd /usr/bin/id\npermit nopass :wheel\npermit nopass bob\n');
    const d = await daemon({ env: { USER: 'alice' }, host: { toolDirs: [tools], doasConf: doas } });
    const alternatives = (await d.client.call('host.posture')).alternatives;
    expect(alternatives).toEqual([
      { name: 'doas', path: join(tools, 'doas'), setuid: process.getuid!() === 0, passwordless: [`${doas}: permit nopass alice as root cmd /usr/bin/id`, `${doas}: permit nopass :wheel`] },
    ]);
  });
});
