// The installation audit's building blocks: reading openclaw.json (JSON5, $include, both agent layouts), exposure, tool policy, scoring, and the host probes' parsers.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedHighRiskTools, CHECKS, gatewayExposure, SEVERITY_RANK } from '../../daemon/security-audit/checks.js';
import { iptablesHasRules, isLocalRegistry, preferRecentPortSample, nftHasRules, parseNpmAudit, parseProcNetTcp, probeFirewall, readCrontab, readSystemdUserTimers, syncedFolderOf, type CommandResult } from '../../daemon/security-audit/host.js';
import { isLoopback as isLoopbackAddress } from '../../daemon/network/addresses.js';
import { configPathFor, deepMerge, loadInstallation, parseDotEnv } from '../../daemon/security-audit/installation.js';
import { autoFixScope, chmodCommand } from '../../daemon/security-audit/permissions.js';
import { bandOf, computeScore, type CheckResult } from '../../daemon/security-audit/report.js';
import { SETTINGS } from '../../daemon/security-audit/settings.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-audit-');
afterEach(() => dirs.cleanup());

async function installationWith(files: Record<string, string>) {
  const dir = dirs.make();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return loadInstallation({ stateDir: dir, home: dir, env: {} });
}

describe('reading openclaw.json', () => {
  it('parses JSON5 and merges $include files under the sibling keys', async () => {
    const inst = await installationWith({
      'openclaw.json': "// comment\n{ gateway: { $include: './gw.json5', port: 1234 }, tools: { deny: ['exec',], }, }",
      'gw.json5': "{ bind: 'lan', port: 1, auth: { $include: 'auth/mode.json5' } }",
      'auth/mode.json5': "{ mode: 'token' }",
    });
    expect(inst.problems).toEqual([]);
    expect(inst.config).toEqual({ gateway: { bind: 'lan', port: 1234, auth: { mode: 'token' } }, tools: { deny: ['exec'] } });
    expect(inst.files.map((f) => f.role)).toEqual(['main', 'include', 'include']);
  });

  it.each<[string, Record<string, string>, { line: number; column: number; message: RegExp }]>([
    ['a syntax error', { 'openclaw.json': "{\n  gateway: {\n    bind: 'loopback'\n    port: 1,\n  },\n}" }, { line: 4, column: 5, message: /invalid JSON5: invalid character 'p'/ }],
    ['a syntax error in an include', { 'openclaw.json': "{ $include: 'x.json5' }", 'x.json5': '{ a: }' }, { line: 1, column: 6, message: /invalid JSON5/ }],
    ['a missing include', { 'openclaw.json': "{ $include: 'nope.json5' }" }, { line: 0, column: 0, message: /cannot read/ }],
    ['a circular include', { 'openclaw.json': "{ $include: 'a.json5' }", 'a.json5': "{ $include: 'openclaw.json' }" }, { line: 0, column: 0, message: /circular/ }],
    ['an array at the top', { 'openclaw.json': '[1, 2]' }, { line: 1, column: 1, message: /must be an object/ }],
  ])('%s is a problem with file, line and column, and no merged config', async (_name, files, want) => {
    const inst = await installationWith(files);
    expect(inst.config).toBeNull();
    expect(inst.problems[0]).toMatchObject({ line: want.line, column: want.column });
    expect(inst.problems[0]!.message).toMatch(want.message);
  });

  it('a missing openclaw.json means defaults, not a problem', async () => {
    const inst = await installationWith({});
    expect(inst).toMatchObject({ configExists: false, config: {}, problems: [] });
  });

  it('reads agents from both layouts, with where each is declared', async () => {
    const inst = await installationWith({ 'openclaw.json': "{ agents: { list: [{ id: 'a' }, { id: 'b' }], entries: { c: { sandbox: { mode: 'off' } } } } }" });
    expect(inst.agents.map((a) => [a.id, a.source])).toEqual([
      ['a', 'agents.list[0]'],
      ['b', 'agents.list[1]'],
      ['c', 'agents.entries.c'],
    ]);
  });

  it('OPENCLAW_CONFIG_PATH overrides <state>/openclaw.json, with ~ expanded', () => {
    expect(configPathFor('/s', {}, '/h')).toBe('/s/openclaw.json');
    expect(configPathFor('/s', { OPENCLAW_CONFIG_PATH: '~/oc/config.json5' }, '/h')).toBe('/h/oc/config.json5');
  });

  it('deepMerge never copies prototype keys', () => {
    const merged = deepMerge(JSON.parse('{"a":{"x":1}}') as Record<string, unknown>, JSON.parse('{"__proto__":{"polluted":true},"a":{"y":2}}') as Record<string, unknown>);
    expect(merged).toEqual({ a: { x: 1, y: 2 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parseDotEnv reads dotenv lines with their numbers', () => {
    expect(parseDotEnv("# c\nexport A=1\nB='two words'\nC=\"x\" \nD=plain # comment\nnot a line")).toEqual([
      { key: 'A', value: '1', line: 2 },
      { key: 'B', value: 'two words', line: 3 },
      { key: 'C', value: 'x', line: 4 },
      { key: 'D', value: 'plain', line: 5 },
    ]);
  });
});

describe('exposure and tool policy', () => {
  it.each<[Record<string, unknown>, string, boolean]>([
    [{}, 'loopback', false],
    [{ gateway: { bind: 'loopback' } }, 'loopback', false],
    [{ gateway: { bind: 'lan' } }, 'wildcard', true],
    [{ gateway: { bind: 'tailnet' } }, 'tailnet', true],
    [{ gateway: { bind: 'auto' } }, 'loopback', false],
    [{ gateway: { bind: 'custom', customBindHost: '0.0.0.0' } }, 'wildcard', true],
    [{ gateway: { bind: 'custom', customBindHost: '127.0.0.2' } }, 'loopback', false],
    [{ gateway: { bind: 'custom', customBindHost: '192.168.1.5' } }, 'address', true],
    [{ gateway: { bind: 'custom' } }, 'invalid', false],
    [{ gateway: { bind: '100.64.1.23' } }, 'tailnet', true],
    [{ gateway: { bind: '::' } }, 'wildcard', true],
    [{ gateway: { bind: 'everywhere' } }, 'invalid', false],
  ])('%j → %s (exposed %s)', (config, kind, exposed) => {
    expect(gatewayExposure(config)).toMatchObject({ kind, exposed });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['no policy (profile full)', {}, ['exec', 'system.run', 'bash', 'python', 'node', 'apply_patch']],
    ['profile messaging', { profile: 'messaging' }, []],
    ['profile coding', { profile: 'coding' }, ['exec', 'system.run', 'bash', 'python', 'node', 'apply_patch']],
    ['deny group:runtime', { deny: ['group:runtime'] }, ['python', 'node', 'apply_patch']],
    ['deny exec covers its bash alias', { deny: ['exec'] }, ['system.run', 'python', 'node', 'apply_patch']],
    ['allow list without high-risk tools', { allow: ['read', 'browser.search'] }, []],
    ['allow list with python', { allow: ['read', 'python'] }, ['python']],
    ['deny wins over allow', { allow: ['*'], deny: ['*'] }, []],
  ])('%s', (_name, policy, tools) => {
    expect(allowedHighRiskTools({ profile: policy.profile, allow: policy.allow, deny: policy.deny })).toEqual(tools);
  });
});

describe('the check registry', () => {
  it('checkIds are unique and every check reads only settings from the one table', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) for (const r of c.reads) expect(SETTINGS).toHaveProperty(r);
  });

  it('covers every scope', () => {
    expect([...new Set(CHECKS.map((c) => c.scope))].sort()).toEqual(['auth', 'config', 'deps', 'logging', 'network', 'permissions', 'secrets', 'skills']);
  });
});

describe('score', () => {
  const def = (severity: keyof typeof SEVERITY_RANK) => ({ ...CHECKS[0]!, severity });
  const pass = (severity: keyof typeof SEVERITY_RANK): CheckResult => ({ def: def(severity), outcome: { status: 'passed', detail: '' } });
  const fail = (nominal: keyof typeof SEVERITY_RANK, actual: keyof typeof SEVERITY_RANK): CheckResult => ({ def: def(nominal), outcome: { status: 'failed', findings: [{ severity: actual, title: '', detail: '', remediation: '' }] } });
  const skip = (severity: keyof typeof SEVERITY_RANK): CheckResult => ({ def: def(severity), outcome: { status: 'not_assessed', reason: '' } });

  it.each<[string, CheckResult[], number, string]>([
    ['nothing assessed', [skip('critical')], 10, 'LOW'],
    ['all passed', [pass('critical'), pass('high'), pass('medium')], 10, 'LOW'],
    ['one low of 10+5+2+1', [pass('critical'), pass('high'), pass('medium'), fail('low', 'low')], 9.4, 'LOW'],
    ['one medium', [pass('critical'), pass('high'), fail('medium', 'medium'), pass('low')], 8.8, 'MEDIUM'],
    ['a high caps at 8.9', [pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), fail('high', 'high')], 8.9, 'MEDIUM'],
    ['a critical caps at 3.9', [pass('critical'), pass('critical'), pass('critical'), pass('critical'), pass('critical'), fail('critical', 'critical')], 3.9, 'CRITICAL'],
    ['info findings weigh nothing', [pass('high'), fail('info', 'info')], 10, 'LOW'],
    ['not assessed counts for nothing', [pass('medium'), fail('medium', 'medium'), skip('critical'), skip('high')], 5, 'HIGH'],
  ])('%s → %s', (_name, results, score, band) => {
    expect(computeScore(results)).toEqual({ score, band });
  });

  it.each<[number, string]>([
    [10, 'LOW'],
    [9, 'LOW'],
    [8.9, 'MEDIUM'],
    [6, 'MEDIUM'],
    [5.9, 'HIGH'],
    [4, 'HIGH'],
    [3.9, 'CRITICAL'],
    [0, 'CRITICAL'],
  ])('bandOf(%d) = %s', (score, band) => {
    expect(bandOf(score)).toBe(band);
  });
});

describe('host probes', () => {
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1111 1',
    '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1',
    '   2: 0100007F:4965 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 3333 1',
    '   3: 0501A8C0:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000001000000:A83F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 136738 1',
    '   1: 00000000000000000000000000000000:8109 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 136740 1',
    '   2: 0000000000000000FFFF00000100007F:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1',
    '   3: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6666 1',
  ].join('\n');

  it('parseProcNetTcp keeps LISTEN sockets, decoding IPv4 and IPv6 (v4-mapped included)', () => {
    expect(parseProcNetTcp(TCP, 'tcp').map((s) => [s.address, s.port, s.uid, s.inode])).toEqual([
      ['127.0.0.1', 18789, 1000, 1111],
      ['0.0.0.0', 22, 0, 2222],
      ['192.168.1.5', 8080, 1000, 4444],
    ]);
    expect(parseProcNetTcp(TCP6, 'tcp6').map((s) => [s.address, s.port])).toEqual([
      ['::1', 43071],
      ['::', 33033],
      ['::ffff:127.0.0.1', 18789],
      ['2001:db8::1', 80],
    ]);
  });

  it('prefers the network monitor\'s recent port sample (TCP only), else reads /proc', async () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const fallback = async () => ({ available: true, reason: null, sockets: [{ protocol: 'tcp' as const, address: '127.0.0.1', port: 1, uid: 0, inode: 0 }] });
    const sample = (at: string, status = 'ok') => ({
      status,
      generated_at_utc: at,
      listening_services: [
        { host: '::', port: 18789, protocol: 'tcp', family: 6, socket_uid: 1000, inode: 7 },
        { host: '0.0.0.0', port: 5353, protocol: 'udp', family: 4, socket_uid: 0, inode: 8 },
      ],
    });
    const recent = await preferRecentPortSample(() => sample('2026-01-01T00:09:30Z'), fallback, () => now)();
    expect(recent).toEqual({ available: true, reason: null, sockets: [{ protocol: 'tcp6', address: '::', port: 18789, uid: 1000, inode: 7 }] });
    for (const latest of [() => null, () => sample('2026-01-01T00:01:00Z'), () => sample('2026-01-01T00:09:30Z', 'error'), () => sample('2026-01-01T00:11:00Z')]) {
      expect((await preferRecentPortSample(latest, fallback, () => now)()).sockets[0]!.port).toBe(1);
    }
  });

  it.each<[string, boolean]>([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['::ffff:10.0.0.1', false],
  ])('isLoopbackAddress(%s) = %s', (addr, expected) => {
    expect(isLoopbackAddress(addr)).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['nft with a chain and no rules', 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}', false],
    ['nft with rules', 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 accept\n\t}\n}', true],
    ['nft with a drop policy', 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}', true],
  ])('nftHasRules: %s', (_name, out, expected) => {
    expect(nftHasRules(out)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT', false],
    ['-P INPUT DROP\n-P FORWARD ACCEPT', true],
    ['-P INPUT ACCEPT\n-A INPUT -p tcp --dport 18789 -j DROP', true],
  ])('iptablesHasRules(%j) = %s', (out, expected) => {
    expect(iptablesHasRules(out)).toBe(expected);
  });

  const runner = (table: Record<string, Partial<CommandResult>>) => async (cmd: string) => ({ ok: false, missing: true, code: null, stdout: '', stderr: '', ...table[cmd] });

  it('probeFirewall: readable rules count, unreadable ones are reported with why', async () => {
    const state = await probeFirewall(
      runner({
        nft: { ok: false, missing: false, code: 1, stderr: 'Operation not permitted (you must be root)' },
        iptables: { ok: true, missing: false, code: 0, stdout: '-P INPUT DROP\n' },
      }),
      'linux',
    );
    expect(state).toMatchObject({ assessed: true, active: true });
    expect(state.probes.map((p) => [p.tool, p.readable, p.detail])).toEqual([
      ['nft', false, 'rules not readable: Operation not permitted (you must be root)'],
      ['iptables', true, 'rules present'],
      ['ip6tables', false, 'not installed'],
      ['ufw', false, 'not installed'],
    ]);
    expect(await probeFirewall(runner({}), 'linux')).toMatchObject({ assessed: false, active: false });
  });

  it('readCrontab: entries without comments, credentials redacted; "no crontab" is an empty one', async () => {
    const withTab = await readCrontab(runner({ crontab: { ok: true, missing: false, stdout: '# m h\n*/5 * * * * curl -H "Authorization: Bearer abcdefghijklmnop" https://x\n\n0 3 * * * /usr/bin/backup\n' } }));
    expect(withTab).toEqual({ available: true, reason: null, lines: ['*/5 * * * * curl -H "Authorization: Bearer [REDACTED]" https://x', '0 3 * * * /usr/bin/backup'] });
    expect(await readCrontab(runner({ crontab: { ok: false, missing: false, code: 1, stderr: 'no crontab for alice' } }))).toEqual({ available: true, reason: null, lines: [] });
  });

  it('readSystemdUserTimers reads the schedule and the service it starts', async () => {
    const home = dirs.make();
    const unitDir = join(home, '.config/systemd/user');
    mkdirSync(unitDir, { recursive: true });
    writeFileSync(join(unitDir, 'sync.timer'), '[Timer]\nOnCalendar=*-*-* 02:00:00\nUnit=sync-job.service\n');
    writeFileSync(join(unitDir, 'sync-job.service'), '[Service]\nExecStart=/usr/bin/rsync -a ~/notes remote:notes\n');
    expect(await readSystemdUserTimers(home)).toEqual([{ unit: 'sync.timer', file: join(unitDir, 'sync.timer'), schedule: 'OnCalendar=*-*-* 02:00:00', exec: '/usr/bin/rsync -a ~/notes remote:notes' }]);
  });

  it('syncedFolderOf finds cloud-synced locations and the Dropbox marker file, not the client\'s own ~/.dropbox', async () => {
    const home = dirs.make();
    mkdirSync(join(home, 'Library/Mobile Documents/com~apple~CloudDocs/oc'), { recursive: true });
    expect(await syncedFolderOf(join(home, 'Library/Mobile Documents/com~apple~CloudDocs/oc'))).toBe(join(home, 'Library/Mobile Documents'));
    mkdirSync(join(home, 'box/state'), { recursive: true });
    writeFileSync(join(home, 'box/.dropbox'), '{}');
    expect(await syncedFolderOf(join(home, 'box/state'))).toBe(join(home, 'box'));
    mkdirSync(join(home, '.dropbox'));
    mkdirSync(join(home, 'plain/.openclaw'), { recursive: true });
    expect(await syncedFolderOf(join(home, 'plain/.openclaw'))).toBeNull();
  });

  it.each<[string, boolean]>([
    ['http://127.0.0.1:4873/', true],
    ['http://localhost:4873', true],
    ['https://registry.npmjs.org/', false],
    ['http://10.0.0.5:4873/', false],
    ['not a url', false],
  ])('isLocalRegistry(%s) = %s', (url, expected) => {
    expect(isLocalRegistry(url)).toBe(expected);
  });

  it('parseNpmAudit reads counts and packages, and reports npm\'s own error as not assessed', () => {
    const report = parseNpmAudit(JSON.stringify({ vulnerabilities: { 'left-pad': { severity: 'high', via: [{ title: 'Prototype pollution' }] } }, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 1, critical: 0 } } }));
    expect(report).toEqual({ assessed: true, reason: null, counts: { info: 0, low: 0, moderate: 0, high: 1, critical: 0 }, vulnerabilities: [{ name: 'left-pad', severity: 'high', title: 'Prototype pollution' }] });
    expect(parseNpmAudit(JSON.stringify({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } }))).toMatchObject({ assessed: false, reason: 'npm audit failed: ENOLOCK This command requires an existing lockfile.' });
    expect(parseNpmAudit('npm ERR! whatever')).toMatchObject({ assessed: false });
  });

  it('autoFixScope compares where a path really is: .. and symlinked parents lead out of it', () => {
    const state = dirs.make();
    const outside = dirs.make();
    mkdirSync(join(state, 'logs'));
    symlinkSync(outside, join(state, 'linked'));
    const mayFix = autoFixScope({ stateDir: state, configPath: join(state, 'openclaw.json') });
    expect(mayFix(state)).toBe(true);
    expect(mayFix(join(state, 'logs', 'gateway.log'))).toBe(true);
    expect(mayFix(`${state}/logs/../openclaw.json`)).toBe(true);
    expect(mayFix(`${state}/../${outside.split('/').pop()}/deploy`)).toBe(false);
    expect(mayFix(`${state}/..`)).toBe(false);
    expect(mayFix(join(state, 'linked'))).toBe(true); // the link itself (applyFix never follows it)
    expect(mayFix(join(state, 'linked', 'gateway.log'))).toBe(false);
    expect(mayFix(join(state, 'missing', 'x'))).toBe(false);
  });

  it('chmodCommand quotes paths the shell would split', () => {
    expect(chmodCommand(0o600, '/a/openclaw.json')).toBe('chmod 600 /a/openclaw.json');
    expect(chmodCommand(0o700, "/a/it's mine")).toBe("chmod 700 '/a/it'\\''s mine'");
  });
});
