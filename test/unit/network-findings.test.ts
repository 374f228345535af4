// Covers daemon/network/port-findings.ts, egress-findings.ts, sockets.ts (what counts as listening, inbound and egress) and resolver.ts: the findings each listener or connection gets and why, the allowlist matching table (host, regex, CIDR, port, command), and name resolution with TTL and forward-confirmed reverse lookups.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.js';
import { connectionOf, evaluateEgress } from '../../daemon/network/egress-findings.js';
import { loadInsecurePorts, parseApprovedPorts, parseEgressAllowlist, type ApprovedPortRule, type EgressRule } from '../../daemon/network/policy.js';
import { evaluatePorts, type PortFindingDraft } from '../../daemon/network/port-findings.js';
import { NameResolver, type DnsFunctions } from '../../daemon/network/resolver.js';
import { isConnection, isListening, outboundConnections, type ProcessRef, type SocketRecord } from '../../daemon/network/sockets.js';

const insecure = loadInsecurePorts();
const NOW = Date.UTC(2026, 5, 1);

function proc(pid: number, command: string, user = 'alice'): ProcessRef {
  return { pid, command, exe: `/usr/bin/${command}`, cmdline: command, uid: 1000, user };
}

function listener(localAddress: string, localPort: number, owner: ProcessRef | null, protocol: 'tcp' | 'udp' = 'tcp'): SocketRecord {
  return {
    protocol,
    family: localAddress.includes(':') ? 6 : 4,
    state: protocol === 'tcp' ? 'LISTEN' : 'UNCONN',
    localAddress,
    localPort,
    remoteAddress: localAddress.includes(':') ? '::' : '0.0.0.0',
    remotePort: 0,
    uid: 1000,
    inode: localPort,
    owners: owner ? [owner] : [],
    ownerStatus: owner ? 'visible' : 'not visible',
  };
}

function connection(remoteAddress: string, remotePort: number, owner: ProcessRef | null, localPort = 50_000, protocol: 'tcp' | 'udp' = 'tcp'): SocketRecord {
  return { ...listener(remoteAddress.includes(':') ? '2001:db8::10' : '192.0.2.10', localPort, owner, protocol), state: 'ESTABLISHED', remoteAddress, remotePort };
}

function rules(json: unknown[]): ApprovedPortRule[] {
  const loaded = parseApprovedPorts('approved_ports.json', JSON.stringify(json));
  if (!loaded.ok) throw new Error(loaded.problem.message);
  return loaded.value;
}

function ports(sockets: SocketRecord[], approved: ApprovedPortRule[] | null, gatewayPort = 18789) {
  return evaluatePorts({ sockets, approved: { rules: approved, file: 'approved_ports.json', absentReason: 'approved_ports.json does not exist' }, insecure, gatewayPort, now: NOW });
}

const types = (findings: PortFindingDraft[]) => findings.map((f) => `${f.type}:${f.severity}`).sort();

describe('listening ports', () => {
  const node = proc(4242, 'node');

  it.each<[string, SocketRecord[], unknown[] | null, string[], RegExp | null]>([
    ['no approved_ports.json: every listener is unapproved, with the reason', [listener('127.0.0.1', 3000, node)], null, ['unapproved-port:medium'], /does not exist/],
    ['approved by port and protocol (default tcp)', [listener('127.0.0.1', 3000, node)], [{ port: 3000 }], [], null],
    ['the command compares case-insensitively', [listener('127.0.0.1', 3000, node)], [{ port: 3000, command: 'NODE' }], [], null],
    ['another command on the approved port', [listener('127.0.0.1', 3000, proc(7, 'python3'))], [{ port: 3000, command: 'node' }], ['unapproved-port:medium'], /rule \[0\] \(3000\/tcp, command node\) is for node, but python3 \(pid 7\) listens/],
    ['the same port over udp', [listener('127.0.0.1', 3000, node, 'udp')], [{ port: 3000 }], ['unapproved-port:medium'], /no rule in approved_ports\.json has 3000\/udp/],
    ['an expired rule', [listener('127.0.0.1', 3000, node)], [{ port: 3000, expires: '2026-01-01T00:00:00Z' }], ['unapproved-port:medium'], /expired at 2026-01-01T00:00:00Z/],
    ['a rule expiring later', [listener('127.0.0.1', 3000, node)], [{ port: 3000, expires: '2027-01-01' }], [], null],
    ['an owner not visible cannot match a command rule', [listener('127.0.0.1', 3000, null)], [{ port: 3000, command: 'node' }], ['unapproved-port:medium'], /not visible to ocsecd/],
    ['an owner not visible matches a rule without command', [listener('127.0.0.1', 3000, null)], [{ port: 3000 }], [], null],
    ['telnet on loopback is insecure anyway', [listener('127.0.0.1', 23, proc(9, 'telnetd'))], [{ port: 23 }], ['insecure-port:high'], /clear text/],
    ['redis on loopback is fine', [listener('127.0.0.1', 6379, proc(9, 'redis-server'))], [{ port: 6379 }], [], null],
    ['redis on every interface', [listener('0.0.0.0', 6379, proc(9, 'redis-server'))], [{ port: 6379 }], ['insecure-port:high', 'public-bind:medium'], /every interface/],
    ['a public bind approved by port only is still public-bind', [listener('0.0.0.0', 8080, node)], [{ port: 8080 }], ['public-bind:medium'], /approves the port but not this exposure/],
    ['a host without justification does not approve exposure', [listener('0.0.0.0', 8080, node)], [{ port: 8080, host: '*' }], ['public-bind:medium'], /approves the port but not this exposure/],
    ['a wildcard host with a justification approves exposure on :: too', [listener('::', 8080, node)], [{ port: 8080, host: '0.0.0.0', justification: 'public API' }], [], null],
    ['a specific host approves only that address', [listener('10.0.0.5', 8080, node)], [{ port: 8080, host: '10.0.0.6', justification: 'x' }], ['public-bind:medium'], /non-loopback address 10\.0\.0\.5/],
    ['a specific host with a justification', [listener('10.0.0.5', 8080, node)], [{ port: 8080, host: '10.0.0.5', justification: 'LAN only' }], [], null],
    ['the gateway on loopback is fine', [listener('127.0.0.1', 18789, node)], [{ port: 18789, command: 'node' }], [], null],
    ['the gateway beyond loopback is high even when approved with a justification', [listener('0.0.0.0', 18789, node)], [{ port: 18789, host: '*', justification: 'we like it' }], ['public-bind:high'], /OpenClaw gateway port \(gateway\.port 18789\)/],
  ])('%s', (_name, sockets, approved, expected, why) => {
    const { findings } = ports(sockets, approved === null ? null : rules(approved));
    expect(types(findings)).toEqual(expected);
    if (why) expect(findings.map((f) => f.why).join('\n')).toMatch(why);
  });

  it('the gateway port comes from openclaw.json: another port is the gateway there', () => {
    const { findings } = ports([listener('0.0.0.0', 19001, node)], rules([{ port: 19001 }]), 19001);
    expect(findings).toEqual([expect.objectContaining({ type: 'public-bind', severity: 'high', gateway: true })]);
  });

  it('findings carry port, protocol, bind address, process, pid, user and a stable key', () => {
    const { services, findings } = ports([listener('0.0.0.0', 8080, node)], null);
    expect(services[0]).toMatchObject({ command: 'node', pid: 4242, user: 'alice', host: '0.0.0.0', port: 8080, protocol: 'tcp', bind_scope: 'wildcard', owner: 'visible', approved_by: null });
    expect(findings.find((f) => f.type === 'public-bind')).toMatchObject({
      key: 'public-bind|tcp|0.0.0.0|8080|node',
      port: 8080,
      protocol: 'tcp',
      host: '0.0.0.0',
      command: 'node',
      pid: 4242,
      user: 'alice',
      recommendation: 'Bind to 127.0.0.1 or a restricted interface unless exposure is required.',
    });
  });

  it('two sockets of one service on the same address (SO_REUSEPORT workers) give one finding; approved_by names the rule', () => {
    const { services, findings } = ports([listener('127.0.0.1', 3000, proc(1, 'node')), { ...listener('127.0.0.1', 3000, proc(2, 'node')), inode: 99 }], rules([{ port: 9 }, { port: 3000, command: 'node' }]));
    expect(services).toHaveLength(2);
    expect(services[0]!.approved_by).toBe('rule [1] (3000/tcp, command node)');
    expect(findings).toEqual([]);
  });
});

describe('what is listening, inbound and egress', () => {
  it.each<[string, Partial<SocketRecord>, boolean, boolean]>([
    ['tcp LISTEN', { protocol: 'tcp', state: 'LISTEN' }, true, false],
    ['udp bound', { protocol: 'udp', state: 'UNCONN', remotePort: 0 }, true, false],
    ['udp connected', { protocol: 'udp', state: 'ESTABLISHED', remotePort: 53 }, false, true],
    ['tcp SYN_SENT', { protocol: 'tcp', state: 'SYN_SENT', remotePort: 443 }, false, true],
    ['tcp CLOSE_WAIT', { protocol: 'tcp', state: 'CLOSE_WAIT', remotePort: 443 }, false, true],
    ['tcp TIME_WAIT', { protocol: 'tcp', state: 'TIME_WAIT', remotePort: 443 }, false, false],
    ['tcp SYN_RECV', { protocol: 'tcp', state: 'SYN_RECV', remotePort: 443 }, false, false],
  ])('%s: listening %s, a connection %s', (_name, patch, listening, conn) => {
    const s = { ...listener('127.0.0.1', 1234, null), ...patch } as SocketRecord;
    expect(isListening(s)).toBe(listening);
    expect(isConnection(s)).toBe(conn);
  });

  it('egress is outbound connections to other hosts: not loopback, not this host, not peers that connected to our listeners', () => {
    const sockets = [
      listener('0.0.0.0', 22, proc(1, 'sshd')),
      { ...connection('198.51.100.4', 60000, proc(1, 'sshd'), 22) }, // inbound to sshd
      connection('127.0.0.1', 5432, proc(2, 'node')),
      connection('::ffff:127.0.0.1', 5432, proc(2, 'node')),
      connection('192.0.2.10', 8080, proc(2, 'node')), // this host's own address
      connection('203.0.113.9', 443, proc(2, 'node')),
      connection('::ffff:203.0.113.10', 443, proc(2, 'node')),
    ];
    const out = outboundConnections(sockets, new Set(['192.0.2.10']));
    expect(out.map((s) => s.remoteAddress)).toEqual(['203.0.113.9', '::ffff:203.0.113.10']);
    expect(connectionOf(out[1]!, []).remote_ip).toBe('203.0.113.10');
  });
});

describe('egress allowlist matching', () => {
  const node = proc(4242, 'node');
  const dns: DnsFunctions = {
    lookup: async (host) => ({ 'api.openai.com': ['203.0.113.5', '2001:db8::5'], 'registry.npmjs.org': ['203.0.113.6'], 'mail.example.net': ['198.51.100.25'] })[host] ?? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${host}`)),
    reverse: async (ip) => ({ '198.51.100.25': ['mail.example.net.'], '198.51.100.66': ['api.openai.com.'] })[ip] ?? [],
  };

  async function evaluate(allow: unknown[], socket: SocketRecord) {
    const loaded = parseEgressAllowlist('egress_allowlist.json', JSON.stringify(allow));
    if (!loaded.ok) throw new Error(loaded.problem.message);
    const resolver = new NameResolver({ dns, clock: new ManualClock(), ttlMs: 300_000 });
    const rulesInForce: EgressRule[] = loaded.value;
    await resolver.refresh(rulesInForce.flatMap((r) => (r.host ? [r.host] : [])));
    const ip = connectionOf(socket, []).remote_ip;
    const known = resolver.knownNames(ip);
    const names = known.length > 0 ? known : ((await resolver.reverseNames([ip])).get(ip) ?? []);
    const c = connectionOf(socket, names);
    const findings = evaluateEgress([c], { rules: rulesInForce, file: 'egress_allowlist.json', absentReason: 'missing' }, resolver);
    return { allowedBy: c.allowed_by, findings };
  }

  it.each<[string, unknown[], SocketRecord, string | null, RegExp | null]>([
    ['an empty allowlist allows nothing', [], connection('203.0.113.5', 443, node), null, /the allowlist is empty/],
    ['host by name (resolved with getaddrinfo)', [{ host: 'api.openai.com', port: 443 }], connection('203.0.113.5', 443, node), 'rule [0] (tcp, port 443, host api.openai.com)', null],
    ['host by name, IPv6 address', [{ host: 'api.openai.com' }], connection('2001:db8::5', 443, node), 'rule [0] (tcp, host api.openai.com)', null],
    ['host by name, another address', [{ host: 'api.openai.com' }], connection('203.0.113.99', 443, node), null, /api\.openai\.com resolves to 203\.0\.113\.5, 2001:db8::5, not 203\.0\.113\.99/],
    ['host that does not resolve', [{ host: 'gone.example' }], connection('203.0.113.5', 443, node), null, /gone\.example has not resolved \(getaddrinfo ENOTFOUND gone\.example\)/],
    ['host as an IP literal', [{ host: '203.0.113.5' }], connection('::ffff:203.0.113.5', 443, node), 'rule [0] (tcp, host 203.0.113.5)', null],
    ['wrong port', [{ host: 'api.openai.com', port: 443 }], connection('203.0.113.5', 80, node), null, /port is 80/],
    ['wrong protocol', [{ host: 'api.openai.com', protocol: 'udp' }], connection('203.0.113.5', 443, node), null, /protocol is tcp/],
    ['command matches case-insensitively', [{ cidr: '203.0.113.0/24', command: 'Node' }], connection('203.0.113.5', 443, node), 'rule [0] (tcp, command Node, cidr 203.0.113.0/24)', null],
    ['another command', [{ cidr: '203.0.113.0/24', command: 'curl' }], connection('203.0.113.5', 443, node), null, /command is node/],
    ['command rule, owner not visible', [{ cidr: '203.0.113.0/24', command: 'node' }], connection('203.0.113.5', 443, null), null, /owning process is not visible/],
    ['CIDR v4', [{ cidr: '203.0.113.0/24' }], connection('203.0.113.200', 443, node), 'rule [0] (tcp, cidr 203.0.113.0/24)', null],
    ['CIDR v4 outside', [{ cidr: '203.0.113.0/25' }], connection('203.0.113.200', 443, node), null, /203\.0\.113\.200 is outside 203\.0\.113\.0\/25/],
    ['CIDR v6', [{ cidr: '2001:db8::/32' }], connection('2001:db8:1::9', 443, node), 'rule [0] (tcp, cidr 2001:db8::/32)', null],
    ['regex on a name the allowlist resolved', [{ host: 'api.openai.com', port: 1 }, { host_regex: '^api\\.openai\\.com$' }], connection('203.0.113.5', 443, node), 'rule [1] (tcp, host_regex ^api\\.openai\\.com$)', null],
    ['regex on a forward-confirmed reverse name', [{ host_regex: '\\.example\\.net$', port: 25 }], connection('198.51.100.25', 25, node), 'rule [0] (tcp, port 25, host_regex \\.example\\.net$)', null],
    ['regex on a PTR name that does not resolve back is not trusted', [{ host_regex: 'openai\\.com$' }], connection('198.51.100.66', 443, node), null, /no name is known for the address/],
    ['regex on the address itself (the reference matched lsof -n output)', [{ host_regex: '^10\\.' }], connection('10.1.2.3', 443, node), 'rule [0] (tcp, host_regex ^10\\.)', null],
    ['the first rule that allows wins', [{ cidr: '0.0.0.0/0', port: 443 }, { cidr: '203.0.113.0/24' }], connection('203.0.113.5', 443, node), 'rule [0] (tcp, port 443, cidr 0.0.0.0/0)', null],
  ])('%s', async (_name, allow, socket, allowedBy, why) => {
    const result = await evaluate(allow, socket);
    expect(result.allowedBy).toBe(allowedBy);
    expect(result.findings).toHaveLength(allowedBy === null ? 1 : 0);
    if (why) expect(result.findings[0]!.why).toMatch(why);
  });

  it('an unapproved connection names remote host/IP, port, process, pid, user, and resolved:false when the name is unknown', async () => {
    const { findings } = await evaluate([], connection('203.0.113.77', 8443, node));
    expect(findings[0]).toMatchObject({
      type: 'unapproved-egress',
      severity: 'medium',
      remote_host: '203.0.113.77',
      remote_ip: '203.0.113.77',
      remote_port: 8443,
      protocol: 'tcp',
      command: 'node',
      pid: 4242,
      user: 'alice',
      resolved: false,
      names: [],
      key: 'unapproved-egress|tcp|203.0.113.77|8443|node',
      recommendation: 'Add to egress allowlist with justification or terminate the connection.',
    });
    const named = await evaluate([], connection('198.51.100.25', 25, node));
    expect(named.findings[0]).toMatchObject({ remote_host: 'mail.example.net', resolved: true, names: ['mail.example.net'] });
  });
});

describe('NameResolver', () => {
  it('re-resolves after the TTL, keeps the last addresses through a short outage, and drops names no rule uses', async () => {
    const clock = new ManualClock();
    let answer: string[] | Error = ['203.0.113.1'];
    let calls = 0;
    const resolver = new NameResolver({
      clock,
      ttlMs: 60_000,
      dns: {
        lookup: async () => {
          calls++;
          if (answer instanceof Error) throw answer;
          return answer;
        },
        reverse: async () => [],
      },
    });
    await resolver.refresh(['a.example']);
    await resolver.refresh(['a.example']);
    expect(calls).toBe(1);
    clock.advance(60_000);
    answer = ['203.0.113.2'];
    await resolver.refresh(['a.example']);
    // A round-robin answer does not drop the address a client may still be connected to...
    expect([...resolver.forward('a.example')!.ips].sort()).toEqual(['203.0.113.1', '203.0.113.2']);
    clock.advance(60_000);
    await resolver.refresh(['a.example']);
    // ...until two TTLs after it was last in an answer.
    expect([...resolver.forward('a.example')!.ips]).toEqual(['203.0.113.2']);
    clock.advance(60_000);
    answer = new Error('SERVFAIL');
    await resolver.refresh(['a.example']);
    expect(resolver.forward('a.example')).toMatchObject({ error: 'SERVFAIL' });
    expect([...resolver.forward('a.example')!.ips]).toEqual(['203.0.113.2']);
    clock.advance(60_000);
    await resolver.refresh(['a.example']);
    expect(resolver.forward('a.example')).toMatchObject({ resolvedAt: null, error: 'SERVFAIL' });
    expect(resolver.forward('a.example')!.ips.size).toBe(0);
    await resolver.refresh([]);
    expect(resolver.forward('a.example')).toBeUndefined();
  });

  it('reverse lookups are cached, limited per call, and can be switched off', async () => {
    const asked: string[] = [];
    const dns: DnsFunctions = { lookup: async () => ['203.0.113.1'], reverse: async (ip) => (asked.push(ip), ['host.example']) };
    const resolver = new NameResolver({ clock: new ManualClock(), ttlMs: 60_000, dns, reverseBudget: 2 });
    const first = await resolver.reverseNames(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
    expect(asked).toHaveLength(2);
    expect(first.get('203.0.113.1')).toEqual(['host.example']);
    expect(first.get('203.0.113.2')).toEqual([]); // host.example does not resolve back to .2
    await resolver.reverseNames(['203.0.113.1']);
    expect(asked).toHaveLength(2);
    const off = new NameResolver({ clock: new ManualClock(), ttlMs: 60_000, dns, reverseLookups: false });
    expect((await off.reverseNames(['203.0.113.9'])).size).toBe(0);
    expect(asked).toHaveLength(2);
  });

  it('a DNS answer that never comes times out instead of hanging the sample', async () => {
    const clock = new ManualClock();
    const resolver = new NameResolver({ clock, ttlMs: 60_000, timeoutMs: 5000, dns: { lookup: () => new Promise(() => {}), reverse: async () => [] } });
    const pending = resolver.refresh(['slow.example']);
    await Promise.resolve();
    clock.advance(5000);
    await pending;
    expect(resolver.forward('slow.example')!.error).toMatch(/no answer within 5000 ms/);
  });
});
