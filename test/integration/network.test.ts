// The network monitor in an in-process ocsecd on real sockets: listeners on 127.0.0.1, ::1 and 0.0.0.0 and a loopback connection reported with this process's pid and the right findings, removal when they close, approvals, the baseline round trip, bad policy files, the ss/lsof fallbacks, schedules, the CLI, and egress to a peer in a network namespace this test creates (and removes).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../client/cli.js';
import type { PortReport } from '../../client/network-protocol.js';
import { isRpcErrorCode } from '../../client/rpc-client.js';
import { ManualClock } from '../../daemon/clock.js';
import { configSchema } from '../../daemon/config.js';
import type { DnsFunctions } from '../../daemon/network/resolver.js';
import { SocketSampler } from '../../daemon/network/sampler.js';
import { startTestDaemon, tempStateDir, type TestDaemon } from '../helpers/daemon.js';
import { flushPromises } from '../helpers/tmp.js';

const running: TestDaemon[] = [];
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  while (running.length) await running.pop()!.stop();
});

const COMM = readFileSync('/proc/self/comm', 'utf8').trim();
const isLinux = process.platform === 'linux';

/** No test reaches a real DNS server: names resolve from this table only. */
function fakeDns(names: Record<string, string[]> = {}, ptr: Record<string, string[]> = {}): DnsFunctions {
  return {
    lookup: async (host) => names[host] ?? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${host}`)),
    reverse: async (ip) => ptr[ip] ?? [],
  };
}

async function start(overrides: Parameters<typeof startTestDaemon>[0] = {}): Promise<TestDaemon> {
  const t = await startTestDaemon({ network: { dns: fakeDns() }, ...overrides });
  running.push(t);
  return t;
}

/** A listener whose accepted connections are tracked, so shut() can close it without waiting for peers. */
interface Listener extends net.Server {
  shut(): Promise<void>;
}

async function listen(host: string): Promise<Listener> {
  const accepted = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.add(socket);
    socket.on('close', () => accepted.delete(socket));
  }) as Listener;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  let shut: Promise<void> | null = null;
  server.shut = () => {
    shut ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of accepted) socket.destroy();
    });
    return shut;
  };
  closers.push(() => server.shut());
  return server;
}

const portOf = (s: net.Server | net.Socket) => ('address' in s && typeof s.address === 'function' ? (s.address() as AddressInfo).port : 0);

async function connect(port: number, host: string): Promise<net.Socket> {
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  closers.push(() => void socket.destroy());
  return socket;
}

async function cli(t: TestDaemon, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--socket', t.socketPath, ...argv], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {} });
  return { code, stdout, stderr };
}

function findingsAt(report: PortReport, port: number): string[] {
  return report.findings.filter((f) => f.port === port).map((f) => `${f.type}:${f.severity}`).sort();
}

describe.runIf(isLinux)('listening ports on real sockets', () => {
  it('reports listeners on 127.0.0.1, ::1 and 0.0.0.0 with this pid and the right findings; closing them produces removed', async () => {
    const t = await start();
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    const any = await listen('0.0.0.0');
    await connect(portOf(v4), '127.0.0.1');

    const report = await t.client.call('ports.sample');
    expect(report).toMatchObject({ status: 'ok', tool: 'procfs', approved_rules_count: 0, baseline: { status: 'missing', in_force: false } });
    for (const [server, host, scope] of [
      [v4, '127.0.0.1', 'loopback'],
      [v6, '::1', 'loopback'],
      [any, '0.0.0.0', 'wildcard'],
    ] as const) {
      expect(report.listening_services).toContainEqual(
        expect.objectContaining({ port: portOf(server), host, protocol: 'tcp', pid: process.pid, command: COMM, owner: 'visible', bind_scope: scope, state: 'LISTEN' }),
      );
    }
    expect(findingsAt(report, portOf(v4))).toEqual(['unapproved-port:medium']);
    expect(findingsAt(report, portOf(v6))).toEqual(['unapproved-port:medium']);
    expect(findingsAt(report, portOf(any))).toEqual(['public-bind:medium', 'unapproved-port:medium']);
    const publicBind = report.findings.find((f) => f.port === portOf(any) && f.type === 'public-bind')!;
    expect(publicBind).toMatchObject({ host: '0.0.0.0', pid: process.pid, command: COMM, occurrences: 1, recommendation: 'Bind to 127.0.0.1 or a restricted interface unless exposure is required.' });
    expect(publicBind.why).toMatch(new RegExp(`pid ${process.pid}.*0\\.0\\.0\\.0:${portOf(any)}/tcp on every interface`));
    expect(report.coverage).toMatchObject({ attribution: 'full-scan' });
    expect(report.coverage!.attributed).toBeGreaterThanOrEqual(4);

    const added = await t.client.call('audit.query', { action: 'network.finding_added', limit: 1000 });
    expect(added.events.map((e) => e.subject)).toEqual(expect.arrayContaining([`ports:public-bind|tcp|0.0.0.0|${portOf(any)}|${COMM}`, `ports:unapproved-port|tcp|::1|${portOf(v6)}|${COMM}`]));

    const again = await t.client.call('ports.sample');
    expect(again.findings.find((f) => f.key === publicBind.key)).toMatchObject({ occurrences: 2, first_seen: publicBind.first_seen });
    expect(again.coverage!.attribution).toBe('incremental');

    const closed = [portOf(v4), portOf(v6), portOf(any)];
    for (const s of [v4, v6, any]) await s.shut();
    const after = await t.client.call('ports.sample');
    expect(after.listening_services.filter((s) => closed.includes(s.port) && s.pid === process.pid)).toEqual([]);
    expect(after.changes.removed).toBeGreaterThanOrEqual(4);
    const removed = await t.client.call('audit.query', { action: 'network.finding_removed', limit: 1000 });
    expect(removed.events.map((e) => e.subject)).toEqual(expect.arrayContaining([`ports:public-bind|tcp|0.0.0.0|${closed[2]}|${COMM}`, `ports:unapproved-port|tcp|127.0.0.1|${closed[0]}|${COMM}`]));
    const resolved = await t.client.call('findings.list', { monitor: 'ports', state: 'resolved' });
    expect(resolved.findings.find((f) => f.key === publicBind.key)).toMatchObject({ occurrences: 2, resolved_at: expect.any(String) });
  });

  it('the sampler reports the established loopback connection with this pid, and it is not egress', async () => {
    const server = await listen('127.0.0.1');
    const client = await connect(portOf(server), '127.0.0.1');
    const snap = await new SocketSampler().sample();
    const mine = snap.sockets.find((s) => s.protocol === 'tcp' && s.localPort === client.localPort && s.remotePort === portOf(server));
    expect(mine).toMatchObject({ state: 'ESTABLISHED', localAddress: '127.0.0.1', ownerStatus: 'visible' });
    expect(mine!.owners.map((o) => o.pid)).toContain(process.pid);
    const t = await start();
    const egress = await t.client.call('egress.sample');
    expect(egress.connections.filter((c) => c.local_port === client.localPort)).toEqual([]);
  });

  it('writes the reference-compatible report, keeps it across a restart, and records the sample', async () => {
    const stateDir = tempStateDir();
    const t = await start({ stateDir });
    await listen('127.0.0.1');
    const report = await t.client.call('ports.sample');
    const file = join(t.daemon.layout.assessmentsDir, 'port-monitor-latest.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const key of ['status', 'approved_file', 'approved_rules_count', 'tool', 'listening_services', 'findings']) expect(onDisk).toHaveProperty(key);
    const service = (onDisk.listening_services as Array<Record<string, unknown>>)[0]!;
    for (const key of ['command', 'pid', 'user', 'host', 'port', 'protocol']) expect(service).toHaveProperty(key);
    const finding = (onDisk.findings as Array<Record<string, unknown>>)[0]!;
    for (const key of ['severity', 'type', 'port', 'command', 'message', 'recommendation']) expect(finding).toHaveProperty(key);
    const samples = t.daemon.services.db.prepare('SELECT monitor, trigger, tool, sockets, findings FROM network_samples').all();
    expect(samples).toEqual([{ monitor: 'ports', trigger: 'rpc', tool: 'procfs', sockets: report.coverage!.sockets, findings: report.findings.length }]);

    await t.daemon.stop('test');
    running.pop();
    const again = await start({ stateDir });
    expect((await again.client.call('ports.latest')).report).toMatchObject({ sample_id: report.sample_id, generated_at_utc: report.generated_at_utc });
    expect((await again.client.call('egress.latest')).report).toBeNull();
  });

  it('ports.approve adds a rule that approves the port; an exposure needs a host and a justification', async () => {
    const t = await start();
    const local = await listen('127.0.0.1');
    const any = await listen('0.0.0.0');
    const added = await t.client.call('ports.approve', { port: portOf(local), command: COMM.toUpperCase(), justification: 'the test listener' });
    expect(added).toMatchObject({ index: 0, replaced: false, file: t.daemon.layout.policyFiles.approvedPorts });
    await t.client.call('ports.approve', { port: portOf(any) });
    let report = await t.client.call('ports.sample');
    expect(findingsAt(report, portOf(local))).toEqual([]);
    expect(findingsAt(report, portOf(any))).toEqual(['public-bind:medium']);
    expect(report.listening_services.find((s) => s.port === portOf(local))!.approved_by).toMatch(/^rule \[0\]/);

    const updated = await t.client.call('ports.approve', { port: portOf(any), host: '*', justification: 'reachable on purpose' });
    expect(updated).toMatchObject({ replaced: false, index: 2 });
    report = await t.client.call('ports.sample');
    expect(findingsAt(report, portOf(any))).toEqual([]);
    const rules = JSON.parse(readFileSync(t.daemon.layout.policyFiles.approvedPorts, 'utf8')) as unknown[];
    expect(rules).toHaveLength(3);
    expect(statSync(t.daemon.layout.policyFiles.approvedPorts).mode & 0o777).toBe(0o600);
    const same = await t.client.call('ports.approve', { port: portOf(any), host: '*', justification: 'still on purpose', expires: '2099-01-01T00:00:00Z' });
    expect(same).toMatchObject({ replaced: true, index: 2, rule: { justification: 'still on purpose' } });
    const events = await t.client.call('audit.query', { action: 'ports.rule_approved' });
    expect(events.events).toHaveLength(4);
    expect(events.events[0]!.data).toMatchObject({ replaced: false, file: 'approved_ports.json', previous_sha256: null });

    const bad = await t.client.call('ports.approve', { port: 80, expires: 'soon' }).catch((e: unknown) => e);
    expect(isRpcErrorCode(bad, 'InvalidParams')).toBe(true);
    const badHost = await t.client.call('ports.approve', { port: 80, host: 'example.com' }).catch((e: unknown) => e);
    expect(isRpcErrorCode(badHost, 'InvalidParams')).toBe(true);
    expect((badHost as Error).message).toMatch(/params\.host: expected "\*", "localhost" or an IP address/);
  });

  it('baseline round trip: a review file, then --write replaces approved_ports.json (backed up) and the listeners are approved', async () => {
    const t = await start();
    const local = await listen('127.0.0.1');
    const any = await listen('0.0.0.0');
    writeFileSync(t.daemon.layout.policyFiles.approvedPorts, JSON.stringify([{ port: portOf(local), command: COMM, justification: 'kept across the baseline' }, { port: 1, command: 'gone' }]));
    t.daemon.services.policies.loadPolicyFile('approved_ports.json', 'reload');

    const proposal = await t.client.call('ports.baseline');
    expect(proposal.written).toBe(false);
    expect(JSON.parse(readFileSync(proposal.reviewFile, 'utf8'))).toEqual(proposal.rules);
    expect(proposal.rules).toContainEqual({ port: portOf(local), protocol: 'tcp', command: COMM, host: '127.0.0.1', user: expect.any(String), pid: process.pid, justification: 'kept across the baseline' });
    expect(proposal.rules).toContainEqual(expect.objectContaining({ port: portOf(any), host: '*', pid: process.pid }));
    expect(proposal.dropped).toEqual([{ port: 1, command: 'gone' }]);
    const ports = proposal.rules.map((r) => r.port as number);
    expect(ports).toEqual([...ports].sort((a, b) => a - b));

    const written = await t.client.call('ports.baseline', { write: true });
    expect(written.written).toBe(true);
    expect(written.backupFile).toMatch(/approved_ports\.json\.bak-\d{8}T\d{6}Z$/);
    expect(JSON.parse(readFileSync(written.backupFile!, 'utf8'))).toEqual([{ port: portOf(local), command: COMM, justification: 'kept across the baseline' }, { port: 1, command: 'gone' }]);
    expect(JSON.parse(readFileSync(t.daemon.layout.policyFiles.approvedPorts, 'utf8'))).toEqual(written.rules);
    expect((await t.client.call('policy.check')).files.find((f) => f.name === 'approved_ports.json')).toMatchObject({ status: 'ok', inForce: true, problem: null });

    const report = await t.client.call('ports.sample');
    expect(report.findings.filter((f) => f.type === 'unapproved-port')).toEqual([]);
    expect(findingsAt(report, portOf(any))).toEqual(['public-bind:medium']); // a baseline is not a justification
    expect((await t.client.call('audit.query', { action: 'ports.baseline_written' })).events[0]!.data).toMatchObject({ backup: written.backupFile, dropped: 1 });
  });

  it('a bad approved_ports.json is rejected with file, line, entry and field; the last good list stays in force; writes are refused', async () => {
    const t = await start();
    const local = await listen('127.0.0.1');
    const file = t.daemon.layout.policyFiles.approvedPorts;
    writeFileSync(file, JSON.stringify([{ port: portOf(local) }], null, 2));
    await t.client.call('policy.reload');
    writeFileSync(file, `[\n  { "port": ${portOf(local)} },\n  { "port": 70000 }\n]\n`);
    const check = await t.client.call('policy.reload');
    expect(check.ok).toBe(false);
    expect(check.files.find((f) => f.name === 'approved_ports.json')).toMatchObject({ status: 'invalid', inForce: true, problem: `${file}:3:5: [1].port: a port is a whole number from 1 to 65535` });

    const report = await t.client.call('ports.sample');
    expect(findingsAt(report, portOf(local))).toEqual([]);
    expect(report.baseline).toMatchObject({ status: 'invalid', in_force: true, problem: expect.stringContaining('[1].port') });
    const refused = await t.client.call('ports.approve', { port: 8080 }).catch((e: unknown) => e);
    expect(isRpcErrorCode(refused, 'PolicyInvalid')).toBe(true);
    const baseline = await t.client.call('ports.baseline', { write: true }).catch((e: unknown) => e);
    expect(isRpcErrorCode(baseline, 'PolicyInvalid')).toBe(true);
    expect((await t.client.call('ports.baseline')).written).toBe(false); // a proposal to review is still possible
    expect(readFileSync(file, 'utf8')).toContain('70000');

    const text = await cli(t, 'policy', 'check');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`INVALID approved_ports.json (in force`);
    expect(text.stdout).toContain(`${file}:3:5: [1].port: a port is a whole number from 1 to 65535`);
  });

  it.each(['ss', 'lsof'] as const)('the %s fallback attributes the listener to this pid', async (sampler) => {
    const t = await start({ config: configSchema.parse({ network: { sampler } }) });
    const server = await listen('127.0.0.1');
    const report = await t.client.call('ports.sample');
    expect(report.tool).toBe(sampler);
    expect(report.coverage!.attribution).toBe('tool');
    expect(report.listening_services).toContainEqual(expect.objectContaining({ port: portOf(server), host: '127.0.0.1', pid: process.pid }));
  });

  it('when no source can list sockets the sample fails with SamplerUnavailable, recorded as an error report', async () => {
    const t = await start({ config: configSchema.parse({ network: { sampler: 'procfs' } }), network: { dns: fakeDns(), sampler: { procRoot: '/nonexistent-proc' } } });
    const err = await t.client.call('ports.sample').catch((e: unknown) => e);
    expect(isRpcErrorCode(err, 'SamplerUnavailable')).toBe(true);
    expect((err as Error).message).toMatch(/procfs: \/nonexistent-proc\/net\/tcp: ENOENT/);
    expect((await t.client.call('ports.latest')).report).toMatchObject({ status: 'error', error: expect.stringContaining('ENOENT'), tool: 'none' });
    expect(JSON.parse(readFileSync(join(t.daemon.layout.assessmentsDir, 'port-monitor-latest.json'), 'utf8'))).toMatchObject({ status: 'error' });
  });

  it('runs on its schedules, after the start delay, and reports the jobs', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 1));
    const t = await start({ clock, config: configSchema.parse({ network: { start_delay_seconds: 90 } }) });
    const samples = () => t.daemon.services.db.prepare("SELECT count(*) AS n FROM network_samples WHERE trigger = 'schedule'").get() as { n: number };
    const settle = async () => {
      for (let i = 0; i < 200 && (await t.client.call('daemon.status')).jobs.some((j) => j.running); i++) await flushPromises();
    };
    // One schedule step at a time, so each run ends before the next is due (as it does in real time).
    for (const step of [14_000, 15_000, 30_000, 30_000]) {
      clock.advance(step); // 00:00:15, 00:00:30, 00:01:00, 00:01:30: the daemon started less than 90 s ago
      await settle();
    }
    expect(samples().n).toBe(0);
    clock.advance(30_000); // 00:02:00: ports and egress
    await settle();
    expect(samples().n).toBe(2);
    const jobs = (await t.client.call('daemon.status')).jobs.filter((j) => ['ports', 'egress', 'egress-resolve'].includes(j.name));
    expect(jobs.map((j) => [j.name, j.schedule])).toEqual([
      ['egress', '*/30 * * * * *'],
      ['egress-resolve', '15 */5 * * * *'],
      ['ports', '0 * * * * *'],
    ]);
    expect(jobs.find((j) => j.name === 'ports')).toMatchObject({ lastError: null });
  });
});

describe.runIf(isLinux)('ocsecctl ports, egress, findings', () => {
  it('prints the report, exits 1 on findings, approves PORT/PROTO lists, and refuses bad usage with exit 2', async () => {
    const t = await start();
    const server = await listen('0.0.0.0');
    const first = await cli(t, 'ports');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/Listening ports — sampled .* by procfs/);
    expect(first.stdout).toMatch(new RegExp(`MEDIUM public-bind +tcp 0\\.0\\.0\\.0:${portOf(server)} ${COMM} pid ${process.pid}`));
    expect(first.stdout).toContain('Fix: Bind to 127.0.0.1 or a restricted interface unless exposure is required.');

    const asJson = await cli(t, 'ports', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({ status: 'ok', sample_id: expect.any(Number) });

    const approve = await cli(t, 'ports', 'approve', `${portOf(server)}/tcp`, '53/udp', '--command', COMM, '--host', '*', '--justification', 'test');
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(/added rule \[0\].*added rule \[1\]/s);
    const clean = await cli(t, 'ports', '--sample');
    expect(clean.stdout).not.toContain(`:${portOf(server)} ${COMM}`);

    expect((await cli(t, 'ports', 'approve', '70000')).code).toBe(2);
    expect((await cli(t, 'ports', 'approve', '80/sctp')).code).toBe(2);
    expect((await cli(t, 'ports', 'approve', '80', '--expires', 'tomorrow')).code).toBe(2);
    expect((await cli(t, 'egress', 'allow', '--host', 'a.example', '--cidr', '10.0.0.0/8')).code).toBe(2);
    expect((await cli(t, 'egress', 'allow', '--port', '443')).code).toBe(2);
    expect((await cli(t, 'egress', 'allow', '--cidr', '10.0.0.0/8', '--port', '443/udp')).code).toBe(2);
    const badCidr = await cli(t, 'egress', 'allow', '--cidr', '10.0.0.1/8');
    expect(badCidr.code).toBe(1);
    expect(badCidr.stderr).toMatch(/params\.cidr: invalid CIDR "10\.0\.0\.1\/8": host bits are set/);
    const badRegex = await cli(t, 'egress', 'allow', '--host-regex', '(?=x)');
    expect(badRegex.stderr).toMatch(/params\.host_regex: invalid pattern/);

    const findings = await cli(t, 'findings', '--monitor', 'ports', '--all');
    expect(findings.stdout).toMatch(/public-bind .*resolved 20/);
    expect((await cli(t, 'findings', '--monitor', 'nope')).code).toBe(2);
  });

  it('text output makes hostile process names inert', async () => {
    const t = await start();
    const server = await listen('127.0.0.1');
    const report = await t.client.call('ports.sample');
    const hostile = { ...report, listening_services: report.listening_services.map((s) => (s.port === portOf(server) ? { ...s, command: 'evil\u001b[2J\nFAKE' } : s)) };
    const { formatPortReport } = await import('../../client/network-cli.js');
    const text = formatPortReport(hostile).join('\n');
    expect(text).toContain('evil\\x1b[2J\\nFAKE');
    expect(text).not.toContain('\u001b');
  });
});

// ---------------------------------------------------------------------------------------------
// Egress: a peer that exists only inside this machine, in a network namespace this test creates.
// ---------------------------------------------------------------------------------------------

const hasNetns = isLinux && process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;

interface Peer {
  ns: string;
  hostIf: string;
  hostIp: string;
  peerIp: string;
  subnet: string;
  port: number;
  server: ChildProcess;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A /30 in 10.213.0.0/16 that no interface of this machine uses yet. */
function freeSubnet(): { base: string; third: number; fourth: number } {
  const used = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
  for (let attempt = 0; attempt < 50; attempt++) {
    const third = Math.floor(Math.random() * 256);
    const fourth = Math.floor(Math.random() * 64) * 4;
    if (!used.includes(`10.213.${third}.`)) return { base: `10.213.${third}.${fourth}`, third, fourth };
  }
  throw new Error('no free 10.213.x.y/30 found');
}

describe.runIf(hasNetns)('egress to a network-namespace peer', () => {
  let peer: Peer | null = null;
  const cleanup: Array<() => void> = [];

  beforeAll(async () => {
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.slice(0, 8);
    const ns = `ocsec-t-${tag}`;
    const hostIf = `ocs${tag}h`.slice(0, 15);
    const peerIf = `ocs${tag}p`.slice(0, 15);
    const { base, third, fourth } = freeSubnet();
    const hostIp = `10.213.${third}.${fourth + 1}`;
    const peerIp = `10.213.${third}.${fourth + 2}`;
    ip('netns', 'add', ns);
    cleanup.push(() => ip('netns', 'del', ns));
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf);
    cleanup.push(() => {
      if (spawnSync('ip', ['link', 'show', hostIf]).status === 0) ip('link', 'del', hostIf);
    });
    ip('link', 'set', peerIf, 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${peerIp}/30`, 'dev', peerIf);
    ip('-n', ns, 'link', 'set', peerIf, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const script = `const s=require('net').createServer(c=>c.on('error',()=>{})).listen(0,${JSON.stringify(peerIp)},()=>process.stdout.write(s.address().port+'\\n'));setTimeout(()=>process.exit(0),120000).unref();process.stdin.on('end',()=>process.exit(0)).resume();`;
    const server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanup.push(() => {
      server.stdin?.end();
      if (server.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      server.once('exit', (code) => reject(new Error(`peer server exited (${code})`)));
    });
    peer = { ns, hostIf, hostIp, peerIp, subnet: `${base}/30`, port, server };
  });

  afterAll(() => {
    const errors: string[] = [];
    for (const step of cleanup.reverse()) {
      try {
        step();
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (peer) {
      expect(existsSync('/run/netns') && readdirSync('/run/netns').includes(peer.ns)).toBe(false);
      expect(existsSync(`/sys/class/net/${peer.hostIf}`)).toBe(false);
    }
    expect(errors).toEqual([]);
  });

  it('an outbound connection to the peer is unapproved-egress with this pid and resolved:false, then allowed by CIDR, then removed', async () => {
    const p = peer!;
    const t = await start();
    const socket = await connect(p.port, p.peerIp);
    const udp = dgram.createSocket('udp4');
    closers.push(() => udp.close());
    await new Promise<void>((resolve) => udp.connect(5353, p.peerIp, () => resolve()));

    const report = await t.client.call('egress.sample');
    const mine = report.connections.find((c) => c.protocol === 'tcp' && c.local_port === socket.localPort);
    expect(mine).toMatchObject({ remote_ip: p.peerIp, remote_host: p.peerIp, remote_port: p.port, pid: process.pid, command: COMM, resolved: false, names: [], allowed_by: null, state: 'ESTABLISHED' });
    expect(report.connections).toContainEqual(expect.objectContaining({ protocol: 'udp', remote_ip: p.peerIp, remote_port: 5353, pid: process.pid }));
    const finding = report.findings.find((f) => f.remote_ip === p.peerIp && f.protocol === 'tcp')!;
    expect(finding).toMatchObject({ type: 'unapproved-egress', severity: 'medium', remote_port: p.port, pid: process.pid, command: COMM, resolved: false, occurrences: 1 });
    expect(finding.why).toMatch(/egress_allowlist\.json does not exist/);
    expect(finding.message).toMatch(/name unknown/);
    expect(report.connections.some((c) => c.remote_ip === p.hostIp)).toBe(false);
    const file = JSON.parse(readFileSync(join(t.daemon.layout.assessmentsDir, 'egress-monitor-latest.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['status', 'allowlist_file', 'allowlist_rules_count', 'tool', 'connections', 'findings']) expect(file).toHaveProperty(key);

    const allowed = await t.client.call('egress.allow', { cidr: p.subnet, comment: 'the test peer' });
    expect(allowed).toMatchObject({ index: 0, rule: { cidr: p.subnet, protocol: 'tcp' } });
    const after = await t.client.call('egress.sample');
    expect(after.connections.find((c) => c.local_port === socket.localPort)!.allowed_by).toBe(`rule [0] (tcp, cidr ${p.subnet})`);
    expect(after.findings.some((f) => f.remote_ip === p.peerIp && f.protocol === 'tcp')).toBe(false);
    expect(after.findings.some((f) => f.remote_ip === p.peerIp && f.protocol === 'udp')).toBe(true);
    const removed = await t.client.call('audit.query', { action: 'network.finding_removed' });
    expect(removed.events.map((e) => e.subject)).toContain(`egress:${finding.key}`);
  });

  it('host and host_regex rules match through resolved and forward-confirmed names', async () => {
    const p = peer!;
    const t = await start({ network: { dns: fakeDns({ 'peer.ocsec.test': [p.peerIp] }, { [p.peerIp]: ['peer.ocsec.test'] }) } });
    const socket = await connect(p.port, p.peerIp);

    await t.client.call('egress.allow', { host_regex: '^peer\\.ocsec\\.test$', port: p.port });
    let report = await t.client.call('egress.sample');
    let mine = report.connections.find((c) => c.local_port === socket.localPort)!;
    expect(mine).toMatchObject({ resolved: true, names: ['peer.ocsec.test'], remote_host: 'peer.ocsec.test', allowed_by: `rule [0] (tcp, port ${p.port}, host_regex ^peer\\.ocsec\\.test$)` });

    writeFileSync(t.daemon.layout.policyFiles.egressAllowlist, JSON.stringify([{ host: 'peer.ocsec.test', command: COMM }]));
    await t.client.call('policy.reload');
    report = await t.client.call('egress.sample');
    mine = report.connections.find((c) => c.local_port === socket.localPort)!;
    expect(mine.allowed_by).toBe(`rule [0] (tcp, command ${COMM}, host peer.ocsec.test)`);
    expect(report.dns).toEqual([{ host: 'peer.ocsec.test', ips: [p.peerIp], resolved_at: expect.any(String), error: null }]);

    writeFileSync(t.daemon.layout.policyFiles.egressAllowlist, JSON.stringify([{ host: 'peer.ocsec.test', command: 'curl' }]));
    await t.client.call('policy.reload');
    report = await t.client.call('egress.sample');
    expect(report.findings.find((f) => f.remote_ip === p.peerIp)!.why).toMatch(new RegExp(`rule \\[0\\] \\(tcp, command curl, host peer\\.ocsec\\.test\\): command is ${COMM}`));

    const text = await cli(t, 'egress');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`MEDIUM unapproved-egress tcp ${p.peerIp.replaceAll('.', '\\.')}:${p.port} \\(peer\\.ocsec\\.test\\) ${COMM} pid ${process.pid}`));
  });
});
