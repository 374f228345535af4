// Covers daemon/network/tools.ts: ss -H -tunape, lsof -F and macOS netstat -anv parsers on captured and documented output (IPv6 brackets, *:port, %iface, process names with spaces, shared sockets, forged names), and the sampler's fallback order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SamplerUnavailableError, SocketSampler, sourceOrder } from '../../daemon/network/sampler.js';
import { parseLsofFields, parseNetstatBsd, parseSs, splitEndpoint, TOOL_COMMANDS } from '../../daemon/network/tools.js';
import type { SocketRecord } from '../../daemon/network/sockets.js';

const fixtures = join(import.meta.dirname, '../fixtures/network');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const ssCapture = JSON.parse(fixture('capture-ss-proc.json')) as { pid: number; l4: number; l6: number; lany: number; lany6: number; u: number };
const lsofCapture = JSON.parse(fixture('capture-lsof.json')) as typeof ssCapture;

function find(sockets: SocketRecord[], partial: Partial<SocketRecord>): SocketRecord {
  const hit = sockets.find((s) => Object.entries(partial).every(([k, v]) => (s as unknown as Record<string, unknown>)[k] === v));
  if (!hit) throw new Error(`no socket like ${JSON.stringify(partial)} in ${JSON.stringify(sockets.map((s) => [s.protocol, s.state, s.localAddress, s.localPort]))}`);
  return hit;
}

describe('splitEndpoint', () => {
  it.each<[string, string, { address: string; port: number } | null]>([
    ['127.0.0.1:8080', '0.0.0.0', { address: '127.0.0.1', port: 8080 }],
    ['[::1]:443', '::', { address: '::1', port: 443 }],
    ['*:22', '::', { address: '::', port: 22 }],
    ['0.0.0.0:*', '0.0.0.0', { address: '0.0.0.0', port: 0 }],
    ['*:*', '::', { address: '::', port: 0 }],
    ['10.0.2.15%enp0s3:68', '0.0.0.0', { address: '10.0.2.15', port: 68 }],
    ['[fe80::1]%eth0:546', '::', { address: 'fe80::1', port: 546 }],
    ['[fe80::1%lo0]:5353', '::', { address: 'fe80::1', port: 5353 }],
    ['[::ffff:127.0.0.1]:33033', '::', { address: '::ffff:127.0.0.1', port: 33033 }],
    ['127.0.0.1:70000', '0.0.0.0', null],
    ['127.0.0.1:', '0.0.0.0', null],
    ['no-port', '0.0.0.0', null],
  ])('%s', (text, wildcard, expected) => {
    expect(splitEndpoint(text, wildcard)).toEqual(expected);
  });
});

describe('ss -H -tunape', () => {
  it('captured output: every socket of the capture, with the process name that has a space, inode and uid', () => {
    const { sockets, malformedLines } = parseSs(fixture('ss-tunape.txt'));
    expect(malformedLines).toBe(0);
    expect(sockets).toHaveLength(13);
    const owner = { pid: ssCapture.pid, command: 'my server', exe: null, cmdline: null, uid: null, user: null };
    expect(find(sockets, { state: 'LISTEN', localAddress: '127.0.0.1', localPort: ssCapture.l4 })).toMatchObject({ protocol: 'tcp', family: 4, inode: 136737, uid: 0, owners: [owner], ownerStatus: 'visible' });
    expect(find(sockets, { state: 'LISTEN', localPort: ssCapture.l6 })).toMatchObject({ family: 6, localAddress: '::1', remoteAddress: '::' });
    expect(find(sockets, { state: 'LISTEN', localPort: ssCapture.lany6 })).toMatchObject({ family: 6, localAddress: '::' });
    expect(find(sockets, { state: 'LISTEN', localPort: ssCapture.lany })).toMatchObject({ family: 4, localAddress: '0.0.0.0' });
    expect(find(sockets, { protocol: 'udp', state: 'UNCONN', localPort: ssCapture.u })).toMatchObject({ localAddress: '127.0.0.1', remotePort: 0 });
    expect(find(sockets, { protocol: 'udp', state: 'ESTABLISHED' })).toMatchObject({ remotePort: ssCapture.u });
    expect(find(sockets, { state: 'ESTABLISHED', localAddress: '::ffff:127.0.0.1' })).toMatchObject({ localPort: ssCapture.lany6, remoteAddress: '::ffff:127.0.0.1' });
  });

  it('sockets without a visible owner, TIME-WAIT, %iface binds, shared sockets, and names that try to forge fields', () => {
    const { sockets, malformedLines } = parseSs(fixture('ss-extra.txt'));
    expect(malformedLines).toBe(1); // the BOGUS state
    expect(find(sockets, { localPort: 2024 })).toMatchObject({ owners: [], ownerStatus: 'not visible', inode: 1504 });
    expect(find(sockets, { state: 'TIME_WAIT' })).toMatchObject({ owners: [], ownerStatus: 'none', remoteAddress: '93.184.216.34', remotePort: 443 });
    expect(find(sockets, { state: 'SYN_SENT' })).toMatchObject({ uid: 1000, owners: [{ pid: 4100, command: 'ssh' }] });
    expect(find(sockets, { localPort: 22, state: 'ESTABLISHED' }).owners.map((o) => o.pid)).toEqual([900, 4000]);
    expect(find(sockets, { localPort: 68 })).toMatchObject({ protocol: 'udp', localAddress: '10.0.2.15', uid: 998 });
    expect(find(sockets, { localPort: 546 })).toMatchObject({ family: 6, localAddress: 'fe80::a00:27ff:fe8b:4f8b' });
    expect(find(sockets, { localPort: 22, state: 'LISTEN' })).toMatchObject({ localAddress: '::', family: 6 });
    // The name `x)) ino:1 uid:0` is the process's own choice: it must not become the socket's inode or uid.
    expect(find(sockets, { localPort: 5000 })).toMatchObject({ inode: 88006, uid: 1000, owners: [{ pid: 4200, command: 'x)) ino:1 uid:0' }] });
    expect(find(sockets, { localPort: 6000 }).owners[0]).toMatchObject({ pid: 4300, command: '(sd-pam)' });
  });
});

describe('lsof -F pcuLftdPnT', () => {
  it('captured output: TCP and UDP, IPv4 and IPv6 brackets, *:port, connected UDP, a name with a space', () => {
    const { sockets, malformedLines } = parseLsofFields(fixture('lsof-F.txt'));
    expect(malformedLines).toBe(0);
    expect(sockets).toHaveLength(13);
    const owner = { pid: lsofCapture.pid, command: 'my server', uid: 0, user: 'root' };
    expect(find(sockets, { state: 'LISTEN', localPort: lsofCapture.l4 })).toMatchObject({ protocol: 'tcp', family: 4, localAddress: '127.0.0.1', owners: [owner] });
    expect(find(sockets, { state: 'LISTEN', localPort: lsofCapture.l6 })).toMatchObject({ family: 6, localAddress: '::1' });
    expect(find(sockets, { state: 'LISTEN', localPort: lsofCapture.lany })).toMatchObject({ family: 4, localAddress: '0.0.0.0' });
    expect(find(sockets, { state: 'LISTEN', localPort: lsofCapture.lany6 })).toMatchObject({ family: 6, localAddress: '::' });
    expect(find(sockets, { protocol: 'udp', state: 'UNCONN', localPort: lsofCapture.u })).toMatchObject({ remotePort: 0 });
    expect(find(sockets, { protocol: 'udp', state: 'ESTABLISHED' })).toMatchObject({ remotePort: lsofCapture.u });
    expect(sockets.every((s) => typeof s.inode === 'number')).toBe(true);
  });

  it('one socket held by two processes is one record with both owners; macOS device ids; unknown names are counted', () => {
    const { sockets, malformedLines } = parseLsofFields(fixture('lsof-extra.txt'));
    expect(malformedLines).toBe(1);
    const shared = find(sockets, { localPort: 22, state: 'ESTABLISHED' });
    expect(shared.owners.map((o) => [o.pid, o.user])).toEqual([
      [900, 'root'],
      [4000, 'alice'],
    ]);
    expect(sockets.filter((s) => s.localPort === 22 && s.state === 'ESTABLISHED')).toHaveLength(1);
    expect(find(sockets, { state: 'SYN_SENT' })).toMatchObject({ remoteAddress: '2001:db8::25', remotePort: 993, inode: null, owners: [{ pid: 855, command: 'Brave Browser Helper', user: 'bob' }] });
    expect(find(sockets, { protocol: 'udp', localPort: 5353 })).toMatchObject({ family: 6, localAddress: 'fe80::1', state: 'UNCONN' });
    expect(find(sockets, { localPort: 7000 })).toMatchObject({ state: 'FIN_WAIT2' });
  });
});

describe('netstat -anv (macOS)', () => {
  it('the layout with process:pid: names with spaces, tcp46, ::1, fe80 scope, UDP rows without a state', () => {
    const { sockets, malformedLines } = parseNetstatBsd(fixture('netstat-macos-named.txt'));
    expect(malformedLines).toBe(0);
    expect(find(sockets, { localPort: 8080 })).toMatchObject({ family: 6, localAddress: '::', state: 'LISTEN', owners: [{ pid: 855, command: 'Brave Browser He' }] });
    expect(find(sockets, { localPort: 5037, state: 'LISTEN' })).toMatchObject({ family: 4, localAddress: '127.0.0.1', owners: [{ pid: 21865, command: 'adb' }] });
    expect(find(sockets, { localPort: 631 })).toMatchObject({ localAddress: '::1', owners: [{ pid: 412, command: 'cupsd' }] });
    expect(find(sockets, { localPort: 3000 })).toMatchObject({ localAddress: 'fe80::1' });
    expect(find(sockets, { localPort: 59739 })).toMatchObject({ state: 'ESTABLISHED', remoteAddress: '108.177.127.109', remotePort: 993, owners: [{ pid: 935, command: 'Mail' }] });
    expect(find(sockets, { state: 'TIME_WAIT' })).toMatchObject({ owners: [], ownerStatus: 'none' });
    expect(find(sockets, { protocol: 'udp', localPort: 5353 })).toMatchObject({ state: 'UNCONN', localAddress: '0.0.0.0' });
    expect(find(sockets, { protocol: 'udp', localPort: 64161 })).toMatchObject({ state: 'ESTABLISHED', remotePort: 443, owners: [{ pid: 855 }] });
    expect(sockets.filter((s) => s.localPort === 7000).map((s) => s.family).sort()).toEqual([4, 6]);
  });

  it('the older layout with a pid column', () => {
    const { sockets, malformedLines } = parseNetstatBsd(fixture('netstat-macos-legacy.txt'));
    expect(malformedLines).toBe(1);
    expect(find(sockets, { localPort: 3000 })).toMatchObject({ family: 4, localAddress: '0.0.0.0', owners: [{ pid: 12345, command: null }] });
    expect(find(sockets, { localPort: 80 })).toMatchObject({ family: 6, localAddress: '::', owners: [{ pid: 92386 }] });
    expect(find(sockets, { localPort: 50001 })).toMatchObject({ state: 'ESTABLISHED', remoteAddress: '140.82.112.3', owners: [{ pid: 777 }] });
    expect(find(sockets, { protocol: 'udp' })).toMatchObject({ localPort: 5353, owners: [{ pid: 321 }] });
  });
});

describe('choosing a source', () => {
  it.each<[Parameters<typeof sourceOrder>[0], NodeJS.Platform, string[]]>([
    ['auto', 'linux', ['procfs', 'ss', 'lsof']],
    ['auto', 'darwin', ['lsof', 'netstat']],
    ['ss', 'linux', ['ss']],
    ['netstat', 'darwin', ['netstat']],
  ])('%s on %s tries %j', (preference, platform, order) => {
    expect(sourceOrder(preference, platform)).toEqual(order);
  });

  it('falls back from an unreadable /proc to ss, saying why, and runs only the secure-path binary', async () => {
    const runs: string[] = [];
    const sampler = new SocketSampler({
      platform: 'linux',
      procRoot: '/nonexistent-proc',
      locateTool: (name) => (name === 'ss' ? '/usr/bin/ss' : null),
      runCommand: async (file, args) => {
        runs.push(`${file} ${args.join(' ')}`);
        return { code: 0, stdout: fixture('ss-tunape.txt'), stderr: '' };
      },
    });
    const snap = await sampler.sample();
    expect(runs).toEqual(['/usr/bin/ss -H -tunape']);
    expect(snap.tool).toBe('ss');
    expect(snap.fallbackReason).toMatch(/^procfs: \/nonexistent-proc\/net\/tcp: ENOENT$/);
    expect(snap.coverage).toMatchObject({ sockets: 13, attributed: 13, attribution: 'tool' });
  });

  it('lsof exiting 1 with no output means no sockets; any other failure falls through, and with nothing left the error names every attempt', async () => {
    const empty = new SocketSampler({ preference: 'lsof', locateTool: () => '/usr/bin/lsof', runCommand: async () => ({ code: 1, stdout: '', stderr: '' }) });
    expect((await empty.sample()).sockets).toEqual([]);
    const failing = new SocketSampler({
      platform: 'darwin',
      locateTool: (name) => `/usr/sbin/${name}`,
      runCommand: async (file) => ({ code: file.endsWith('lsof') ? 2 : null, stdout: '', stderr: file.endsWith('lsof') ? 'lsof: status error' : 'spawn ETIMEDOUT' }),
    });
    const err = await failing.sample().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamplerUnavailableError);
    expect((err as Error).message).toMatch(/lsof: \/usr\/sbin\/lsof -w -nP -F pcuLftdPnT -i failed \(exit 2\): lsof: status error; netstat: \/usr\/sbin\/netstat -anv -p tcp failed \(killed or timed out\)/);
  });

  it('the tools are run with fixed argument lists', () => {
    expect(TOOL_COMMANDS.ss.runs).toEqual([['-H', '-tunape']]);
    expect(TOOL_COMMANDS.netstat.runs).toEqual([
      ['-anv', '-p', 'tcp'],
      ['-anv', '-p', 'udp'],
    ]);
  });
});
