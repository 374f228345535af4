// Covers daemon/network/addresses.ts and procfs.ts: /proc hex addresses (IPv4, IPv6, v4-mapped, both byte orders), canonical text, scopes, CIDR blocks, and /proc/net table parsing on captured and synthetic fixtures (every TCP state, malformed lines).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindScope, canonicalIp, cidrContains, decodeProcAddress, isLoopback, isWildcard, parseCidr, unmapV4, type CidrBlock } from '../../daemon/network/addresses.js';
import { parseProcNet, parseProcNetRow } from '../../daemon/network/procfs.js';

const parseLine = (line: string, protocol: 'tcp' | 'udp', family: 4 | 6) => parseProcNetRow(line, 0, line.length, protocol, family);
import { TCP_STATES } from '../../daemon/network/sockets.js';

const fixtures = join(import.meta.dirname, '../fixtures/network');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'latin1');
/** Captured from a process (pid 7962, comm "my server") with these sockets open; see capture-ss-proc.json. */
const capture = JSON.parse(fixture('capture-ss-proc.json')) as { l4: number; l6: number; lany: number; lany6: number; u: number };

describe('decodeProcAddress', () => {
  it.each<[string, boolean, string]>([
    ['0100007F', true, '127.0.0.1'],
    ['00000000', true, '0.0.0.0'],
    ['0200000A', true, '10.0.0.2'],
    ['7F000001', false, '127.0.0.1'],
    ['00000000000000000000000001000000', true, '::1'],
    ['00000000000000000000000000000000', true, '::'],
    ['0000000000000000FFFF00000100007F', true, '::ffff:127.0.0.1'],
    ['0000000000000000FFFF000000000000', true, '::ffff:0.0.0.0'],
    ['000080FE00000000FF3E02A0E1FE8B4F', true, 'fe80::a002:3eff:4f8b:fee1'],
    ['B80D0120000000000000000001000000', true, '2001:db8::1'],
    ['20010DB8000000000000000000000001', false, '2001:db8::1'],
  ])('%s (little-endian %s) is %s', (hex, le, text) => {
    expect(decodeProcAddress(hex, le)).toBe(text);
  });

  it.each(['', '0100007', '0100007FX', 'GGGGGGGG'])('refuses %j', (hex) => {
    expect(decodeProcAddress(hex, true)).toBeNull();
  });
});

describe('address text and scope', () => {
  it.each<[string, string]>([
    ['::0001', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['[::1]', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
    ['api.example.com', 'api.example.com'],
  ])('canonicalIp(%s) = %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each<[string, 'loopback' | 'wildcard' | 'address']>([
    ['127.0.0.1', 'loopback'],
    ['127.45.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'wildcard'],
    ['::', 'wildcard'],
    ['::ffff:0.0.0.0', 'wildcard'],
    ['*', 'wildcard'],
    ['10.213.0.1', 'address'],
    ['fe80::1', 'address'],
    ['::ffff:192.168.1.5', 'address'],
  ])('%s is %s', (address, scope) => {
    expect(bindScope(address)).toBe(scope);
    expect(isLoopback(address)).toBe(scope === 'loopback');
    expect(isWildcard(address)).toBe(scope === 'wildcard');
  });

  it('unmaps only v4-mapped addresses', () => {
    expect(unmapV4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapV4('::1')).toBe('::1');
    expect(unmapV4('10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('CIDR blocks', () => {
  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.9.9.9', true],
    ['10.213.7.0/30', '10.213.7.2', true],
    ['10.213.7.0/30', '10.213.7.4', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['192.168.1.10/32', '192.168.1.10', true],
    ['192.168.1.10/32', '192.168.1.11', false],
  ])('%s contains %s: %s', (cidr, address, inside) => {
    const block = parseCidr(cidr) as CidrBlock;
    expect(typeof block).toBe('object');
    expect(cidrContains(block, address)).toBe(inside);
  });

  it.each<[string, RegExp]>([
    ['10.0.0.1/8', /host bits are set; the network is 10\.0\.0\.0\/8/],
    ['10.0.0.0/33', /prefix "33" must be 0-32 for IPv4/],
    ['2001:db8::/129', /must be 0-128 for IPv6/],
    ['10.0.0.0', /expected ADDRESS\/PREFIX/],
    ['10.0.0.0/', /prefix "" must be/],
    ['10.0.0.0/-1', /prefix "-1"/],
    ['example.com/24', /"example\.com" is not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/64', /is not an IPv4 or IPv6 address/],
  ])('refuses %s', (cidr, message) => {
    const result = parseCidr(cidr);
    expect(typeof result).toBe('string');
    expect(result).toMatch(message);
  });
});

describe('/proc/net tables: captured fixtures', () => {
  it('tcp: listeners and established connections on IPv4', async () => {
    const { entries, malformedLines } = await parseProcNet(fixture('proc-net-tcp.txt'), 'tcp', 4);
    expect(malformedLines).toBe(0);
    expect(entries).toContainEqual({ protocol: 'tcp', family: 4, state: 'LISTEN', localAddress: '127.0.0.1', localPort: capture.l4, remoteAddress: '0.0.0.0', remotePort: 0, uid: 0, inode: 136737 });
    expect(entries).toContainEqual(expect.objectContaining({ state: 'LISTEN', localAddress: '0.0.0.0', localPort: capture.lany, inode: 136739 }));
    expect(entries).toContainEqual(expect.objectContaining({ state: 'ESTABLISHED', localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: capture.lany6, inode: 136748 }));
    expect(entries).toHaveLength(5);
  });

  it('tcp6: ::1, the :: wildcard and a v4-mapped connection', async () => {
    const { entries } = await parseProcNet(fixture('proc-net-tcp6.txt'), 'tcp', 6);
    expect(entries).toContainEqual(expect.objectContaining({ family: 6, state: 'LISTEN', localAddress: '::1', localPort: capture.l6, inode: 136738 }));
    expect(entries).toContainEqual(expect.objectContaining({ state: 'LISTEN', localAddress: '::', localPort: capture.lany6, inode: 136740 }));
    expect(entries).toContainEqual(expect.objectContaining({ state: 'ESTABLISHED', localAddress: '::ffff:127.0.0.1', localPort: capture.lany6, remoteAddress: '::ffff:127.0.0.1', inode: 136749 }));
  });

  it('udp and udp6: bound (UNCONN) and connected (ESTABLISHED); wide sl columns', async () => {
    const udp = await parseProcNet(fixture('proc-net-udp.txt'), 'udp', 4);
    expect(udp.entries).toEqual([
      expect.objectContaining({ protocol: 'udp', state: 'UNCONN', localAddress: '127.0.0.1', localPort: capture.u, remotePort: 0, inode: 136741 }),
      expect.objectContaining({ protocol: 'udp', state: 'ESTABLISHED', remoteAddress: '127.0.0.1', remotePort: capture.u, inode: 136743 }),
    ]);
    const udp6 = await parseProcNet(fixture('proc-net-udp6.txt'), 'udp', 6);
    expect(udp6.entries).toEqual([expect.objectContaining({ family: 6, state: 'UNCONN', localAddress: '::1', inode: 136742 })]);
  });
});

describe('/proc/net tables: every TCP state and bad lines', () => {
  it('maps each state code 01-0C to its name; TIME_WAIT has inode 0; malformed lines are counted, not fatal', async () => {
    const { entries, malformedLines } = await parseProcNet(fixture('proc-net-tcp-states.txt'), 'tcp', 4);
    expect(malformedLines).toBe(2);
    expect(entries.slice(0, 12).map((e) => e.state)).toEqual([...TCP_STATES]);
    expect(entries.slice(0, 12).map((e) => e.localPort)).toEqual(Array.from({ length: 12 }, (_, i) => 40001 + i));
    expect(entries[0]).toMatchObject({ uid: 1000, remoteAddress: '10.0.0.2', remotePort: 443 });
    expect(entries[5]).toMatchObject({ state: 'TIME_WAIT', inode: 0 });
    expect(entries[12]).toMatchObject({ state: 'LISTEN', localPort: 40013, uid: 65534, inode: 512345 });
  });

  it.each<[string, string]>([
    ['an unknown state', '   0: 0100007F:0050 00000000:0000 0D 00000000:00000000 00:00000000 00000000     0        0 1 1 0 0'],
    ['a short address', '   0: 01007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 0'],
    ['no inode', '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0'],
    ['a non-numeric uid', '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000   abc        0 1 1 0 0'],
    ['no sl colon', '   0 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 0'],
    ['an empty line', ''],
  ])('a line with %s is refused', (_name, line) => {
    expect(parseLine(line, 'tcp', 4)).toBeNull();
  });

  it('UDP knows only UNCONN and ESTABLISHED', () => {
    const line = (st: string) => `  1: 0100007F:0035 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 77 2 0 0`;
    expect(parseLine(line('07'), 'udp', 4)?.state).toBe('UNCONN');
    expect(parseLine(line('01'), 'udp', 4)?.state).toBe('ESTABLISHED');
    expect(parseLine(line('0A'), 'udp', 4)).toBeNull();
  });
});
