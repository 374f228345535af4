// End-to-end: the built ocsecd and ocsecctl report a listener this test opens, with this test's pid; and the built sampler, run as an unprivileged user, keeps a root-owned listener as "not visible" instead of dropping it.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net, { type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempStateDir } from '../helpers/daemon.js';

const root = resolve(import.meta.dirname, '../..');
const OCSECD = join(root, 'dist/daemon/main.js');
const OCSECCTL = join(root, 'dist/client/cli.js');

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const isLinux = process.platform === 'linux';
const canDropPrivileges = isLinux && process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

async function listen(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

function startOcsecd(stateDir: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [OCSECD], { env: { ...process.env, OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' } });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });
  return new Promise((resolveStart, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"msg":"ocsecd listening"')) resolveStart(child);
    });
    child.once('exit', (code) => reject(new Error(`ocsecd exited ${code}: ${out}`)));
  });
}

describe.runIf(isLinux)('the built binaries', () => {
  it('ocsecctl ports --sample --json reports this process as the owner of its listener; the report file follows', async () => {
    const stateDir = tempStateDir('ocsec-e2e-net-');
    await startOcsecd(stateDir);
    const port = await listen('0.0.0.0');
    const r = spawnSync(process.execPath, [OCSECCTL, 'ports', '--sample', '--json'], { env: { ...process.env, OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1); // findings
    const report = JSON.parse(r.stdout) as { tool: string; listening_services: Array<{ port: number; pid: number | null; host: string }>; findings: Array<{ port: number; type: string }> };
    expect(report.tool).toBe('procfs');
    expect(report.listening_services).toContainEqual(expect.objectContaining({ port, pid: process.pid, host: '0.0.0.0' }));
    expect(report.findings.filter((f) => f.port === port).map((f) => f.type).sort()).toEqual(['public-bind', 'unapproved-port']);
    const file = join(stateDir, 'security/assessments/port-monitor-latest.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ status: 'ok', tool: 'procfs' });
  });

  it.runIf(canDropPrivileges)('run as nobody, the sampler keeps a root listener with pid null and owner "not visible"', async () => {
    const port = await listen('127.0.0.1');
    // nobody may not be able to read the checkout (e.g. under /root): the built sampler runs from a world-readable copy.
    const copy = mkdtempSync(join(tmpdir(), 'ocsec-e2e-sampler-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    for (const dir of ['network', 'audit']) mkdirSync(join(copy, 'daemon', dir), { recursive: true });
    cpSync(join(root, 'dist/daemon/network'), join(copy, 'daemon/network'), { recursive: true });
    cpSync(join(root, 'dist/daemon/audit/redact.js'), join(copy, 'daemon/audit/redact.js'));
    writeFileSync(join(copy, 'package.json'), '{ "type": "module" }\n');
    for (const dir of [copy, join(copy, 'daemon'), join(copy, 'daemon/network'), join(copy, 'daemon/audit')]) chmodSync(dir, 0o755);
    const sampler = join(copy, 'daemon/network/sampler.js');
    const script = `import(${JSON.stringify(sampler)}).then(async ({ SocketSampler }) => {
      const snap = await new SocketSampler().sample();
      const s = snap.sockets.find((x) => x.state === 'LISTEN' && x.localPort === ${port});
      process.stdout.write(JSON.stringify({ tool: snap.tool, socket: s ?? null, coverage: snap.coverage }));
    });`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { PATH: '/usr/bin:/bin' } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { tool: string; socket: { owners: unknown[]; ownerStatus: string; uid: number } | null; coverage: { unattributed: number; processesUnreadable: number } };
    expect(out.tool).toBe('procfs');
    expect(out.socket).toMatchObject({ owners: [], ownerStatus: 'not visible', uid: 0 });
    expect(out.coverage.unattributed).toBeGreaterThanOrEqual(1);
    expect(out.coverage.processesUnreadable).toBeGreaterThan(0);
  });
});
