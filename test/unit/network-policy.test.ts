// Covers daemon/network/policy.ts and gateway.ts: approved_ports.json and egress_allowlist.json in the reference formats (and what the reference's own baseline generator wrote), every kind of bad input reported with file, line, entry index and field, the shipped insecure-port table, and gateway.port from openclaw.json (JSON5).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../daemon/json-file.js';
import { DEFAULT_GATEWAY_PORT, openclawConfigPath, readGatewayPort } from '../../daemon/network/gateway.js';
import { loadInsecurePorts, parseApprovedPorts, parseEgressAllowlist } from '../../daemon/network/policy.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-netpolicy-');
afterEach(() => dirs.cleanup());

const PORTS = '/home/alice/.openclaw/security/approved_ports.json';
const EGRESS = '/home/alice/.openclaw/security/egress_allowlist.json';

describe('approved_ports.json', () => {
  it('reads the reference format, the reference generator output and the ocsec additions', () => {
    const text = JSON.stringify([
      { port: 18789, protocol: 'tcp', command: 'node', comment: 'OpenClaw gateway' },
      { port: 22, protocol: 'TCP', command: 'sshd', host: '*', user: 'root', pid: 812 },
      { port: 53, protocol: 'udp', host: '[::1]', pid: 'unknown' },
      { port: 8443, expires: '2026-12-31', justification: 'staging API until the migration', _note: 'ticket 42' },
    ]);
    const loaded = parseApprovedPorts(PORTS, text);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value).toEqual([
      { port: 18789, protocol: 'tcp', command: 'node' },
      { port: 22, protocol: 'tcp', command: 'sshd', host: '*', user: 'root', pid: 812 },
      { port: 53, protocol: 'udp', host: '[::1]', pid: 'unknown' },
      { port: 8443, protocol: 'tcp', expires: '2026-12-31', justification: 'staging API until the migration' },
    ]);
  });

  it.each<[string, string, { line: number; field: string; message: RegExp }]>([
    ['not JSON', '[\n  { "port": 22, }\n]', { line: 2, field: '(root)', message: /invalid JSON/ }],
    ['an object instead of an array', '{ "port": 22 }', { line: 1, field: '(root)', message: /expected array/ }],
    ['a port of 0', '[\n  { "port": 22 },\n  { "port": 0 }\n]', { line: 3, field: '[1].port', message: /a port is a whole number from 1 to 65535/ }],
    ['a port of 65536', '[{ "port": 65536 }]', { line: 1, field: '[0].port', message: /1 to 65535/ }],
    ['a port as a string', '[\n  { "port": "80" }\n]', { line: 2, field: '[0].port', message: /1 to 65535/ }],
    ['a fractional port', '[{ "port": 80.5 }]', { line: 1, field: '[0].port', message: /whole number/ }],
    ['no port', '[\n  { "protocol": "tcp" }\n]', { line: 2, field: '[0].port', message: /1 to 65535/ }],
    ['an unknown protocol', '[{ "port": 80, "protocol": "sctp" }]', { line: 1, field: '[0].protocol', message: /"tcp" or "udp"/ }],
    ['a typo in a key', '[\n  { "port": 80,\n    "comand": "nginx" }\n]', { line: 3, field: '[0].comand', message: /Unrecognized key/ }],
    ['a command of the wrong type', '[{ "port": 80, "command": 7 }]', { line: 1, field: '[0].command', message: /expected string/ }],
    ['a host that is not an address', '[{ "port": 80, "host": "example.com" }]', { line: 1, field: '[0].host', message: /"\*", "localhost" or an IP address/ }],
    ['an expiry that is not a date', '[{ "port": 80, "expires": "next week" }]', { line: 1, field: '[0].expires', message: /ISO 8601/ }],
  ])('refuses %s with file, line, entry and field', (_name, text, expected) => {
    const loaded = parseApprovedPorts(PORTS, text);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problem).toMatchObject({ file: PORTS, line: expected.line, field: expected.field });
    expect(loaded.problem.message).toMatch(expected.message);
    expect(formatProblem(loaded.problem)).toMatch(new RegExp(`^${PORTS.replaceAll('.', '\\.')}:${expected.line}:\\d+: ${expected.field.replace(/[[\]().]/g, '\\$&')}: `));
  });
});

describe('egress_allowlist.json', () => {
  it('reads the reference format and the cidr addition; patterns compile to RE2', () => {
    const text = JSON.stringify([
      { protocol: 'tcp', host_regex: '^(api\\.openai\\.com|api\\.telegram\\.org)$', port: 443 },
      { host: 'registry.npmjs.org', port: 443, command: 'node' },
      { cidr: '10.0.0.0/8', comment: 'the office' },
      { protocol: 'UDP', host: '192.0.2.53', port: 53 },
      { port: 22 },
    ]);
    const loaded = parseEgressAllowlist(EGRESS, text);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value[0]!.host_regex!.source).toBe('^(api\\.openai\\.com|api\\.telegram\\.org)$');
    expect(loaded.value[0]!.host_regex!.regex.test('api.openai.com')).toBe(true);
    expect(loaded.value[2]!.cidr).toMatchObject({ text: '10.0.0.0/8', prefix: 8 });
    expect(loaded.value[3]).toMatchObject({ protocol: 'udp', host: '192.0.2.53' });
    expect(loaded.value[4]).toEqual({ protocol: 'tcp', port: 22 });
  });

  it.each<[string, string, { line: number; field: string; message: RegExp }]>([
    ['not JSON', '[\n  { "host": "a.example" ]', { line: 2, field: '(root)', message: /invalid JSON/ }],
    ['a string instead of a rule', '[\n  "api.openai.com"\n]', { line: 2, field: '[0]', message: /expected object/ }],
    ['a port outside 1-65535', '[\n  { "host": "a.example", "port": 70000 }\n]', { line: 2, field: '[0].port', message: /1 to 65535/ }],
    ['an invalid CIDR', '[\n  { "cidr": "10.0.0.0/8" },\n  { "cidr": "10.0.0.300/8" }\n]', { line: 3, field: '[1].cidr', message: /invalid CIDR "10\.0\.0\.300\/8": "10\.0\.0\.300" is not an IPv4 or IPv6 address/ }],
    ['a CIDR with host bits', '[{ "cidr": "192.168.1.1/24" }]', { line: 1, field: '[0].cidr', message: /host bits are set; the network is 192\.168\.1\.0\/24/ }],
    ['a prefix too long', '[{ "cidr": "2001:db8::/200" }]', { line: 1, field: '[0].cidr', message: /0-128/ }],
    ['a lookahead RE2 rejects', '[\n  {\n    "host_regex": "^(?!evil).*$"\n  }\n]', { line: 3, field: '[0].host_regex', message: /invalid pattern .*RE2 has no lookahead/ }],
    ['a backreference', '[{ "host_regex": "(a)\\\\1" }]', { line: 1, field: '[0].host_regex', message: /no backreferences/ }],
    ['an unbalanced pattern', '[{ "host_regex": "(api" }]', { line: 1, field: '[0].host_regex', message: /invalid pattern/ }],
    ['a URL as host', '[{ "host": "https://api.openai.com/v1" }]', { line: 1, field: '[0].host', message: /without scheme, port or path/ }],
    ['two destinations in one rule', '[\n  { "host": "a.example",\n    "cidr": "10.0.0.0/8" }\n]', { line: 3, field: '[0].cidr', message: /host and cidr are both set/ }],
    ['a wrong protocol type', '[{ "host": "a.example", "protocol": 6 }]', { line: 1, field: '[0].protocol', message: /"tcp" or "udp"/ }],
  ])('refuses %s with file, line, entry and field', (_name, text, expected) => {
    const loaded = parseEgressAllowlist(EGRESS, text);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problem).toMatchObject({ file: EGRESS, line: expected.line, field: expected.field });
    expect(loaded.problem.message).toMatch(expected.message);
  });
});

describe('policies/insecure-ports.json', () => {
  it('has the cleartext protocols everywhere and the unauthenticated services beyond loopback', () => {
    const table = loadInsecurePorts();
    for (const key of ['20/tcp', '21/tcp', '23/tcp', '69/udp', '80/tcp', '110/tcp', '143/tcp', '389/tcp', '512/tcp', '513/tcp', '514/tcp', '514/udp']) {
      expect(table.get(key)?.exposure, key).toBe('any');
    }
    for (const key of ['2375/tcp', '6379/tcp', '9200/tcp', '11211/tcp', '27017/tcp', '5900/tcp', '161/udp']) {
      expect(table.get(key)?.exposure, key).toBe('beyond-loopback');
    }
    expect(table.get('23/tcp')!.recommendation).toBe('Use SSH (22) instead of Telnet.');
  });

  it('a broken table is a startup error naming the entry', () => {
    const file = path.join(dirs.make(), 'insecure-ports.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, ports: [{ port: 23, protocol: 'tcp', service: 'Telnet', exposure: 'always', why: 'x', recommendation: 'y' }] }));
    expect(() => loadInsecurePorts(file)).toThrow(/ports\[0\]\.exposure/);
  });
});

describe('gateway.port from openclaw.json', () => {
  it.each<[string, string | null, { port: number; source: string; problem: RegExp | null }]>([
    ['JSON5 with comments and trailing commas', '{\n  // the gateway\n  gateway: { port: 19001, bind: "loopback", },\n}', { port: 19001, source: 'openclaw.json', problem: null }],
    ['no gateway section', '{ "agents": {} }', { port: DEFAULT_GATEWAY_PORT, source: 'default', problem: null }],
    ['no file', null, { port: DEFAULT_GATEWAY_PORT, source: 'default', problem: null }],
    ['not JSON5', '{ gateway: ', { port: DEFAULT_GATEWAY_PORT, source: 'default', problem: /not valid JSON5/ }],
    ['a port out of range', '{ "gateway": { "port": 70000 } }', { port: DEFAULT_GATEWAY_PORT, source: 'default', problem: /gateway\.port is 70000, not a port number/ }],
    ['a port as a string', '{ "gateway": { "port": "18789" } }', { port: DEFAULT_GATEWAY_PORT, source: 'default', problem: /not a port number/ }],
  ])('%s', (_name, text, expected) => {
    const file = path.join(dirs.make(), 'openclaw.json');
    if (text !== null) fs.writeFileSync(file, text);
    const gw = readGatewayPort(file);
    expect(gw).toMatchObject({ port: expected.port, source: expected.source, path: file });
    if (expected.problem) expect(gw.problem).toMatch(expected.problem);
    else expect(gw.problem).toBeNull();
  });

  it('OPENCLAW_CONFIG_PATH wins over <state>/openclaw.json', () => {
    expect(openclawConfigPath('/s', { OPENCLAW_CONFIG_PATH: '/etc/openclaw.json' })).toBe('/etc/openclaw.json');
    expect(openclawConfigPath('/s', {})).toBe('/s/openclaw.json');
    expect(openclawConfigPath('/s', { OPENCLAW_CONFIG_PATH: '' })).toBe('/s/openclaw.json');
  });
});

describe('shipped templates', () => {
  const policies = path.resolve(import.meta.dirname, '../../policies');

  it('approved_ports.template.json and egress_allowlist.template.json load with the daemon loaders', () => {
    const ports = parseApprovedPorts('t', fs.readFileSync(path.join(policies, 'approved_ports.template.json'), 'utf8'));
    expect(ports).toMatchObject({ ok: true, value: [{ port: 18789, protocol: 'tcp', command: 'node', host: '127.0.0.1' }] });
    const egress = parseEgressAllowlist('t', fs.readFileSync(path.join(policies, 'egress_allowlist.template.json'), 'utf8'));
    expect(egress.ok).toBe(true);
    if (egress.ok) expect(egress.value[0]!.host_regex!.regex.test('api.anthropic.com')).toBe(true);
  });
});
