// ocsecctl security audit against an in-process ocsecd on fixture installations: scores, findings, layouts, parse errors, --fix, npm audit, baselines, SARIF, usage errors.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../client/cli.js';
import { isRpcErrorCode } from '../../client/rpc-client.js';
import type { SecurityAuditResult } from '../../client/security-report.js';
import { runCommand, type CommandRunner, type ListenerSample } from '../../daemon/security-audit/host.js';
import { startTestDaemon, tempStateDir, type TestDaemon } from '../helpers/daemon.js';
import { materializeFixture, type MaterializedFixture } from '../helpers/openclaw-fixture.js';
import { tempDirs } from '../helpers/tmp.js';

const running: TestDaemon[] = [];
const dirs = tempDirs('ocsec-oc-');
const servers: Array<Server | ReturnType<typeof createTcpServer>> = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  dirs.cleanup();
});

/** Firewall tools and crontab look absent whatever this machine has, so results do not depend on the host; npm runs for real. */
const hostIndependentRunner: CommandRunner = async (cmd, args, opts) => {
  if (['nft', 'iptables', 'ip6tables', 'ufw', 'crontab'].includes(cmd)) return { ok: false, missing: true, code: null, stdout: '', stderr: '' };
  return runCommand(cmd, args, opts);
};

interface Started {
  t: TestDaemon;
  fx: MaterializedFixture;
  home: string;
  audit(params?: Parameters<TestDaemon['client']['call']>[1]): Promise<SecurityAuditResult>;
  cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

async function startOn(fixture: string, opts: { env?: NodeJS.ProcessEnv; listeners?: () => Promise<ListenerSample> } = {}): Promise<Started> {
  const stateDir = tempStateDir();
  const fx = materializeFixture(fixture, stateDir);
  const home = dirs.make();
  const t = await startTestDaemon({
    stateDir,
    env: { PATH: process.env.PATH, HOME: home, ...opts.env },
    securityAudit: { home, probes: { run: hostIndependentRunner, ...(opts.listeners ? { listeners: opts.listeners } : {}) } },
  });
  running.push(t);
  fx.applyModes(); // ocsecd tightened the state dir at start; put the fixture's modes back
  return {
    t,
    fx,
    home,
    audit: (params) => t.client.call('security.audit', params as never),
    async cli(...argv) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--socket', t.socketPath, ...argv], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {} });
      return { code, stdout, stderr };
    },
  };
}

function failedChecks(r: SecurityAuditResult): Record<string, string> {
  return Object.fromEntries(r.checks.filter((c) => c.status === 'failed').map((c) => [c.checkId, c.severity]));
}

function snapshotTree(dir: string): Map<string, { sha: string | null; mode: number }> {
  const out = new Map<string, { sha: string | null; mode: number }>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const rel = relative(dir, p);
      if (rel === 'security' || rel === 'run') continue; // ocsec's own
      const st = statSync(p);
      out.set(rel, { sha: st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : null, mode: st.mode & 0o7777 });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  out.set('.', { sha: null, mode: statSync(dir).mode & 0o7777 });
  return out;
}

describe('fixture installations', () => {
  it('the hardened installation scores at least 9 with no critical or high finding', async () => {
    const s = await startOn('hardened');
    const r = await s.audit({ deep: true });
    expect(r.report.score).toBeGreaterThanOrEqual(9);
    expect(r.band).toBe('LOW');
    expect(r.report.summary).toMatchObject({ critical: 0, high: 0 });
    expect(r.report.summary.passed).toBeGreaterThan(30);
    expect(r.report.skills.map((k) => [k.name, k.verdict])).toEqual([['notes-helper', 'clean']]);
    expect(failedChecks(r)).toEqual({ 'secrets.env_file': 'low' });
  });

  it('the weak installation fails every check it should, at the right severity', async () => {
    const s = await startOn('weak');
    const r = await s.audit({ deep: true });
    expect(failedChecks(r)).toEqual({
      'channels.dm_policy': 'high',
      'channels.group_policy': 'medium',
      'fs.agents.perms': 'medium',
      'fs.config.perms': 'high',
      'fs.credentials.perms': 'high',
      'fs.env_file.perms': 'high',
      'fs.logs.perms': 'critical',
      'fs.sessions.perms': 'medium',
      'fs.state_dir.perms': 'medium',
      'gateway.auth.rate_limit': 'medium',
      'gateway.auth.token_entropy': 'high',
      'gateway.auth.token_length': 'high',
      'gateway.auth.token_reuse': 'high',
      'gateway.bind': 'high',
      'gateway.control_ui.insecure_auth': 'high',
      'gateway.origins': 'high',
      'gateway.tailscale_funnel': 'critical',
      'gateway.tls': 'medium',
      'hooks.token': 'medium',
      'logging.audit': 'medium',
      'logging.redaction': 'medium',
      'plugins.allow': 'medium',
      'sandbox.mode': 'medium',
      'secrets.config': 'high',
      'secrets.env_file': 'high',
      'secrets.logs': 'high',
      'skills.allowlist': 'high',
      'skills.supply_chain': 'high',
      'tools.elevated_wildcard': 'high',
      'tools.exec_approval': 'high',
      'tools.exec_security_full': 'high',
      'tools.fs_workspace_only': 'medium',
    });
    expect(r.report.score).toBeLessThanOrEqual(3.9);
    expect(r.band).toBe('CRITICAL');
    const openai = r.report.findings.find((f) => f.checkId === 'secrets.config' && f.evidence.key === 'models.providers.openai.apiKey')!;
    expect(openai.evidence).toMatchObject({ kind: 'OpenAI API key', masked: 'sk-…(51 chars)', line: 21 });
    // No secret leaves the daemon: not in the report, not in the stored run, not in the audit trail.
    const stored = JSON.stringify(await s.t.client.call('security.latest'));
    const trail = JSON.stringify(s.t.daemon.services.audit.query({ action: 'security.*', limit: 100 }));
    for (const secret of Object.values(s.fx.secrets)) {
      expect(JSON.stringify(r)).not.toContain(secret);
      expect(stored).not.toContain(secret);
      expect(trail).not.toContain(secret);
    }
  });

  it('agents.list[] and agents.entries.<id> give the same findings, each naming where the agent is declared', async () => {
    const list = await (await startOn('layout-list')).audit();
    const entries = await (await startOn('layout-entries')).audit();
    expect(failedChecks(list)).toEqual({ 'secrets.env_file': 'low', 'sandbox.mode': 'medium', 'tools.elevated_wildcard': 'high', 'tools.exec_approval': 'high', 'tools.exec_security_full': 'high', 'tools.fs_workspace_only': 'medium' });
    expect(failedChecks(entries)).toEqual(failedChecks(list));
    const titles = (r: SecurityAuditResult) => r.report.findings.filter((f) => f.severity !== 'info' && f.checkId !== 'secrets.env_file').map((f) => f.title);
    expect(titles(list).every((t) => t.includes('agent "work" (agents.list[1])'))).toBe(true);
    expect(titles(entries)).toEqual(titles(list).map((t) => t.replace('agents.list[1]', 'agents.entries.work')));
    expect(entries.report.findings.find((f) => f.checkId === 'sandbox.mode')!.remediation).toContain('openclaw config set agents.entries.work.sandbox.mode all');
  });

  it('a JSON5 syntax error is a finding with file, line and column; config checks are not assessed; the daemon carries on', async () => {
    const s = await startOn('json5-error');
    const r = await s.audit();
    const parse = r.report.findings.find((f) => f.checkId === 'config.parse')!;
    expect(parse).toMatchObject({ severity: 'high', evidence: { file: join(s.t.stateDir, 'openclaw.json'), line: 5, column: 5 } });
    expect(parse.title).toBe(`${join(s.t.stateDir, 'openclaw.json')}:5:5: invalid JSON5: invalid character 'p'`);
    expect(r.checks.find((c) => c.checkId === 'gateway.bind')).toMatchObject({ status: 'not_assessed', reason: expect.stringContaining('does not parse') });
    expect(r.checks.find((c) => c.checkId === 'fs.env_file.perms')!.status).toBe('failed');
    expect((await s.t.client.call('daemon.status')).pid).toBe(process.pid);
  });

  it.each<[string, string, string, (c: Record<string, unknown>) => void]>([
    ['auth mode none on loopback', 'gateway.auth.none', 'high', (c) => ((c.gateway as Record<string, unknown>).auth = { mode: 'none' })],
    ['auth mode none with an HTTP API', 'gateway.auth.none', 'critical', (c) => Object.assign(c.gateway as object, { auth: { mode: 'none' }, http: { endpoints: { responses: { enabled: true } } } })],
    ['bound to the LAN with no auth', 'gateway.bind', 'critical', (c) => Object.assign(c.gateway as object, { bind: 'lan', auth: { mode: 'none' } })],
    ['funnel without password auth', 'gateway.tailscale_funnel', 'critical', (c) => Object.assign(c.gateway as object, { tailscale: { mode: 'funnel' } })],
    ['sandbox non-main', 'sandbox.mode', 'low', (c) => ((c.agents as { defaults: object }).defaults = { sandbox: { mode: 'non-main' } })],
    ['the guide\'s allow_url_actions on', 'security.allow_url_actions', 'high', (c) => (c.security = { allow_url_actions: true })],
    ['a plaintext key in an included file', 'secrets.config', 'medium', (c) => (c.$include = './extra.json5')],
    ['a redaction pattern that does not compile', 'logging.redaction', 'low', (c) => ((c.logging as Record<string, unknown>).redactPatterns = ['sk-[a-z', 'ghp_\\w+'])],
  ])('%s → %s %s', async (_name, checkId, severity, edit) => {
    const s = await startOn('hardened');
    const path = join(s.t.stateDir, 'openclaw.json');
    const JSON5 = (await import('json5')).default;
    const config = JSON5.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(config);
    writeFileSync(path, JSON.stringify(config, null, 2));
    writeFileSync(join(s.t.stateDir, 'extra.json5'), `{ models: { providers: { anthropic: { apiKey: '${'sk-ant-' + 'q'.repeat(40)}' } } } }`, { mode: 0o600 });
    const r = await s.audit();
    expect(failedChecks(r)[checkId]).toBe(severity);
  });
});

describe('--fix', () => {
  it('applies only tightening chmods, each reported as chmod MODE PATH; a second run passes them; nothing else changes', async () => {
    const s = await startOn('weak');
    const before = snapshotTree(s.t.stateDir);

    const dry = await s.audit({ fix: true, dryRun: true });
    expect(dry.report.fix!.dryRun).toBe(true);
    expect(dry.report.fix!.changes.length).toBe(13); // state dir, config, .env, credentials (3), agents (3), sessions (2), logs (2)
    expect(snapshotTree(s.t.stateDir)).toEqual(before);

    const fixed = await s.audit({ fix: true });
    const changes = fixed.report.fix!.changes;
    expect(fixed.report.fix!.errors).toEqual([]);
    expect(changes.map((c) => c.command)).toEqual(dry.report.fix!.changes.map((c) => c.command));
    for (const c of changes) expect(c.command).toMatch(new RegExp(`^chmod (700|600|750|640) ${c.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(changes).toContainEqual({ path: s.t.stateDir, from: '0755', to: '0700', command: `chmod 700 ${s.t.stateDir}` });
    expect(changes).toContainEqual({ path: join(s.t.stateDir, 'logs/gateway.log'), from: '0666', to: '0640', command: `chmod 640 ${join(s.t.stateDir, 'logs/gateway.log')}` });

    const after = snapshotTree(s.t.stateDir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changedPaths = new Set(changes.map((c) => relative(s.t.stateDir, c.path) || '.'));
    for (const [path, b] of before) {
      const a = after.get(path)!;
      expect(a.sha, `${path} content`).toBe(b.sha);
      if (changedPaths.has(path)) expect(a.mode, path).toBe(b.mode & Number.parseInt(changes.find((c) => (relative(s.t.stateDir, c.path) || '.') === path)!.to, 8));
      else expect(a.mode, path).toBe(b.mode);
    }

    const second = await s.audit();
    for (const c of second.checks.filter((c) => c.checkId.startsWith('fs.') && c.checkId.endsWith('.perms'))) expect(c.status, c.checkId).toBe('passed');
    const actions = s.t.daemon.services.audit.query({ action: 'security.fix*', limit: 10 }).map((e) => e.action);
    expect(actions).toEqual(['security.fix', 'security.fix.result']);
  });

  it('never chmods through a symlink: a linked openclaw.json is reported, its target left alone', async () => {
    const s = await startOn('hardened');
    const outside = join(dirs.make(), 'real-openclaw.json');
    renameSync(join(s.t.stateDir, 'openclaw.json'), outside);
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(s.t.stateDir, 'openclaw.json'));
    const r = await s.audit({ fix: true });
    expect(statSync(outside).mode & 0o777).toBe(0o644);
    expect(r.report.fix!.changes.map((c) => c.path)).not.toContain(join(s.t.stateDir, 'openclaw.json'));
    expect(failedChecks(r)).toMatchObject({ 'fs.symlinks': 'medium', 'fs.config.perms': 'high' });
    expect(r.report.findings.find((f) => f.checkId === 'fs.config.perms')!.fixable).toBe(false);
  });

  it('a logging.file or $include naming a file outside the installation is reported but never chmodded', async () => {
    const s = await startOn('hardened');
    const elsewhere = dirs.make();
    const system = join(elsewhere, 'etc', 'passwd');
    const ownLog = join(elsewhere, 'openclaw', 'gateway.log');
    mkdirSync(join(elsewhere, 'etc'));
    mkdirSync(join(elsewhere, 'openclaw'));
    writeFileSync(system, '{}', { mode: 0o644 });
    writeFileSync(ownLog, '', { mode: 0o644 });
    chmodSync(system, 0o644);
    chmodSync(ownLog, 0o644);
    const path = join(s.t.stateDir, 'openclaw.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace("logging: { redactSensitive: 'tools' },", `logging: { redactSensitive: 'tools', file: '${ownLog}' }, $include: '${system}',`));
    const r = await s.audit({ fix: true });
    expect(statSync(system).mode & 0o777).toBe(0o644);
    expect(statSync(ownLog).mode & 0o777).toBe(0o640);
    expect(r.report.fix!.changes.map((c) => c.command)).toEqual([`chmod 750 ${join(elsewhere, 'openclaw')}`, `chmod 640 ${ownLog}`]);
    const config = r.report.findings.find((f) => f.checkId === 'fs.config.perms')!;
    expect(config).toMatchObject({ fixable: false, remediation: `chmod 600 ${system}` });
  });

  it('a logging.file that climbs out of the state directory with .. is reported, never chmodded (nor its directory)', async () => {
    const s = await startOn('hardened');
    const elsewhere = dirs.make();
    const deploy = join(elsewhere, 'deploy');
    writeFileSync(deploy, '#!/bin/sh\n');
    chmodSync(deploy, 0o755);
    chmodSync(elsewhere, 0o755);
    const climbing = `${s.t.stateDir}/../${relative(dirname(s.t.stateDir), elsewhere)}/deploy`;
    const path = join(s.t.stateDir, 'openclaw.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace("logging: { redactSensitive: 'tools' },", `logging: { redactSensitive: 'tools', file: '${climbing}' },`));
    const r = await s.audit({ fix: true });
    expect(statSync(deploy).mode & 0o777).toBe(0o755);
    expect(statSync(elsewhere).mode & 0o777).toBe(0o755);
    expect(r.report.fix!.changes).toEqual([]);
    const logs = r.report.findings.find((f) => f.checkId === 'fs.logs.perms')!;
    expect(logs).toMatchObject({ fixable: false });
    expect(logs.detail).toContain(`${deploy} 0755`);
  });

  it('a log directory that is a symlink elsewhere: the files reached through it are reported, never chmodded', async () => {
    const s = await startOn('hardened');
    const elsewhere = dirs.make();
    const log = join(elsewhere, 'gateway.log');
    writeFileSync(log, '');
    chmodSync(log, 0o644);
    rmSync(join(s.t.stateDir, 'logs'), { recursive: true, force: true });
    symlinkSync(elsewhere, join(s.t.stateDir, 'logs'));
    const r = await s.audit({ fix: true });
    expect(statSync(log).mode & 0o777).toBe(0o644);
    expect(r.report.fix!.changes.map((c) => c.path)).not.toContain(join(s.t.stateDir, 'logs', 'gateway.log'));
    const logs = r.report.findings.find((f) => f.checkId === 'fs.logs.perms')!;
    expect(logs).toMatchObject({ fixable: false });
    expect(logs.detail).toContain(`${join(s.t.stateDir, 'logs', 'gateway.log')} 0644`);
  });

  it('refuses --fix when the scope leaves out permissions, and --dry-run without --fix', async () => {
    const s = await startOn('hardened');
    await expect(s.audit({ fix: true, scope: ['network'] })).rejects.toSatisfy((e: unknown) => isRpcErrorCode(e, 'InvalidParams'));
    await expect(s.audit({ dryRun: true })).rejects.toSatisfy((e: unknown) => isRpcErrorCode(e, 'InvalidParams'));
    await expect(s.audit({ scope: ['bogus' as never] })).rejects.toSatisfy((e: unknown) => isRpcErrorCode(e, 'InvalidParams'));
  });
});

describe('live listening sockets', () => {
  it('a gateway port listening on loopback passes (read from /proc); one on 0.0.0.0 is high', async () => {
    const server = createTcpServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const s = await startOn('hardened');
    const path = join(s.t.stateDir, 'openclaw.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('port: 18789', `port: ${port}`));
    const real = await s.audit({ scope: ['network'] });
    expect(real.checks.find((c) => c.checkId === 'gateway.listening')).toMatchObject({ status: 'passed', reason: `port ${port} listens on 127.0.0.1 only` });

    const exposed = await startOn('hardened', { listeners: async () => ({ available: true, reason: null, sockets: [{ protocol: 'tcp6', address: '::', port: 18789, uid: 0, inode: 1 }] }) });
    const r = await exposed.audit({ scope: ['network'] });
    expect(r.report.findings.find((f) => f.checkId === 'gateway.listening')).toMatchObject({ severity: 'high', title: 'Gateway port 18789 is listening on [::]' });
  });
});

describe('deps', () => {
  async function fakeOpenClaw(): Promise<{ bin: string; pkg: string }> {
    const root = dirs.make();
    const pkg = join(root, 'lib/node_modules/openclaw');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'openclaw', version: '2026.1.29', dependencies: { 'left-pad': '1.3.0' } }));
    writeFileSync(
      join(pkg, 'package-lock.json'),
      JSON.stringify({
        name: 'openclaw',
        version: '2026.1.29',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'openclaw', version: '2026.1.29', dependencies: { 'left-pad': '1.3.0' } },
          'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEV5xCu2THRVfU2o0TiBIgx2TgNqU/x6kVCcw0jdc6nLYrEw==' },
        },
      }),
    );
    writeFileSync(join(pkg, 'openclaw.mjs'), '#!/usr/bin/env node\n', { mode: 0o755 });
    mkdirSync(join(root, 'bin'));
    symlinkSync(join(pkg, 'openclaw.mjs'), join(root, 'bin/openclaw'));
    return { bin: join(root, 'bin'), pkg };
  }

  it('records the OpenClaw version from its package.json, and npm audit is not assessed against a remote registry', async () => {
    const { bin } = await fakeOpenClaw();
    const s = await startOn('hardened', { env: { PATH: `${bin}:${process.env.PATH}`, npm_config_registry: 'https://registry.npmjs.org/' } });
    const r = await s.audit({ deep: true, scope: ['deps'] });
    expect(r.report.openclaw_version).toBe('2026.1.29');
    expect(r.checks.find((c) => c.checkId === 'deps.openclaw_version')).toMatchObject({ status: 'passed', reason: expect.stringContaining('OpenClaw 2026.1.29') });
    const npm = r.report.findings.find((f) => f.checkId === 'deps.npm_audit')!;
    expect(npm).toMatchObject({ severity: 'info' });
    expect(npm.detail).toMatch(/registry\.npmjs\.org.*does not go online/);
    const plain = await s.audit({ scope: ['deps'] });
    expect(plain.checks.find((c) => c.checkId === 'deps.npm_audit')).toMatchObject({ status: 'not_assessed', reason: 'npm audit runs only with --deep' });
  });

  it('runs npm audit against a registry mirror on this machine and reports what it finds', async () => {
    const { bin } = await fakeOpenClaw();
    const requests: string[] = [];
    const registry = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        if (req.url?.includes('/-/npm/v1/security/advisories/bulk')) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ 'left-pad': [{ id: 1, url: 'https://advisories.invalid/1', title: 'Prototype pollution in left-pad', severity: 'high', vulnerable_versions: '<2.0.0', cwe: [], cvss: { score: 7.5, vectorString: null } }] }));
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    servers.push(registry);
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
    const s = await startOn('hardened', { env: { PATH: `${bin}:${process.env.PATH}`, npm_config_registry: url } });
    const r = await s.audit({ deep: true, scope: ['deps'] });
    const finding = r.report.findings.find((f) => f.checkId === 'deps.npm_audit')!;
    expect(finding).toMatchObject({ severity: 'high', title: expect.stringContaining('1 vulnerable package(s) in OpenClaw 2026.1.29') });
    expect(finding.detail).toContain('left-pad (high): Prototype pollution in left-pad');
    expect(requests.some((r) => r.startsWith('POST /-/npm/v1/security/advisories/bulk'))).toBe(true);
  });
});

describe('stored runs and the daily job', () => {
  it('security.latest returns the last run; the scheduled job audits every scope and stores each check', async () => {
    const s = await startOn('hardened');
    expect((await s.t.client.call('security.latest')).result).toBeNull();
    const manual = await s.audit({ scope: ['auth'] });
    expect((await s.t.client.call('security.latest')).result).toEqual(manual);
    expect(s.t.daemon.services.scheduler.status().find((j) => j.name === 'security-audit')!.schedule).toBe('0 0 3 * * *');
    await s.t.daemon.services.scheduler.runNow('security-audit');
    const latest = (await s.t.client.call('security.latest')).result!;
    expect(latest).toMatchObject({ trigger: 'scheduled', deep: false, scope: ['config', 'network', 'auth', 'permissions', 'secrets', 'skills', 'logging', 'deps'] });
    expect(latest.runId).toBe(manual.runId + 1);
    const rows = s.t.daemon.services.db.prepare('SELECT check_id, status FROM security_audit_checks WHERE run_id = ? ORDER BY check_id').all(latest.runId) as Array<{ check_id: string; status: string }>;
    expect(rows.length).toBe(latest.checks.length);
    expect(rows.find((r) => r.check_id === 'skills.supply_chain')!.status).toBe('passed');
    const events = s.t.daemon.services.audit.query({ action: 'security.audit', limit: 10 });
    expect(events.map((e) => [e.data.trigger, e.data.run_id, e.data.score])).toEqual([
      ['manual', manual.runId, manual.report.score],
      ['scheduled', latest.runId, latest.report.score],
    ]);
  });
});

describe('ocsecctl security audit', () => {
  it('--json prints exactly the report shape; exit 1 on critical/high, 0 otherwise', async () => {
    const weak = await startOn('weak');
    const w = await weak.cli('security', 'audit', '--json');
    expect(w.code).toBe(1);
    expect(Object.keys(JSON.parse(w.stdout) as object)).toEqual(['ts', 'openclaw_version', 'score', 'summary', 'findings', 'skills']);
    const fixed = JSON.parse((await weak.cli('security', 'audit', '--json', '--fix', '--dry-run')).stdout) as { fix: { dryRun: boolean } };
    expect(fixed.fix.dryRun).toBe(true);
    const hardened = await startOn('hardened');
    const h = await hardened.cli('security', 'audit', '--json');
    expect(h.code).toBe(0);
    const report = JSON.parse(h.stdout) as { findings: Array<Record<string, unknown>> };
    for (const f of report.findings) expect(Object.keys(f)).toEqual(['checkId', 'severity', 'title', 'detail', 'remediation', 'fixable', 'evidence']);
  });

  it('text output follows the guide: sections, [SEV] title, Fix: lines, the score', async () => {
    const s = await startOn('weak');
    const { stdout } = await s.cli('security', 'audit');
    expect(stdout).toMatch(/^OpenClaw Security Audit Report\n=+\nScan completed at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\nOpenClaw version: /);
    for (const section of ['CRITICAL (2 issues)', 'HIGH (', 'MEDIUM (', 'LOW (', 'PASSED (']) expect(stdout).toContain(`\n${section}`);
    expect(stdout).toContain('  [HIGH] Gateway bound to 0.0.0.0 - exposed to all network interfaces\n');
    expect(stdout).toContain('    Fix: openclaw config set gateway.bind loopback');
    expect(stdout).toMatch(/\nOverall Security Score: \d\.\d\/10 \(CRITICAL\)\n/);
    expect(stdout).toContain("Run 'ocsecctl security audit --fix'");
    const fix = await s.cli('security', 'audit', '--fix', '--scope', 'permissions');
    expect(fix.stdout).toContain(`\n  chmod 700 ${s.t.stateDir}   (was 0755)`);
  });

  it.each<[string[], RegExp]>([
    [['--json', '--sarif'], /--json and --sarif are exclusive/],
    [['--dry-run'], /--dry-run goes with --fix/],
    [['--scope', 'config,bogus'], /unknown scope "bogus"/],
    [['--fix', '--scope', 'network'], /must include permissions/],
    [['--compare-baseline', '/nonexistent/baseline.json'], /cannot read the baseline/],
  ])('usage error %j → exit 2', async (args, message) => {
    const s = await startOn('hardened');
    const r = await s.cli('security', 'audit', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a baseline file that is not one is a usage error naming line and column or the field', async () => {
    const s = await startOn('hardened');
    const bad = join(dirs.make(), 'b.json');
    writeFileSync(bad, '{\n  "format": "ocsec-security-baseline",\n  "version": 1,,\n}');
    expect((await s.cli('security', 'audit', '--compare-baseline', bad)).stderr).toContain(`${bad}:3:16: invalid JSON`);
    writeFileSync(bad, JSON.stringify({ format: 'something-else' }));
    const r = await s.cli('security', 'audit', '--compare-baseline', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: format:`);
  });

  it('baseline export and compare: unchanged, then every kind of change', async () => {
    const sockets: ListenerSample['sockets'] = [];
    const s = await startOn('hardened', { listeners: async () => ({ available: true, reason: null, sockets: [...sockets] }) });
    const file = join(dirs.make(), 'baseline.json');
    const exported = await s.cli('security', 'audit', '--export-baseline', file);
    expect(exported.stdout).toContain(`Baseline written to ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(s.fx.secrets.STRONG_TOKEN);
    expect(text).toMatch(/"\.env:OPENCLAW_GATEWAY_TOKEN": "…\(64 chars\) fp:[0-9a-f]{12}"/);

    const same = await s.cli('security', 'audit', '--compare-baseline', file);
    expect(same.stdout).toContain('No changes since the baseline.');

    const state = s.t.stateDir;
    const path = join(state, 'openclaw.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace("bind: 'loopback'", "bind: 'lan'"));
    chmodSync(join(state, 'credentials/telegram/creds.json'), 0o644);
    mkdirSync(join(state, 'skills/new-helper'), { recursive: true });
    writeFileSync(join(state, 'skills/new-helper/SKILL.md'), '---\nname: new-helper\ndescription: x\n---\n');
    writeFileSync(s.t.daemon.layout.policyFiles.egressAllowlist, JSON.stringify([{ host: 'api.exfil.example', port: 443 }]));
    mkdirSync(join(s.home, '.config/systemd/user'), { recursive: true });
    writeFileSync(join(s.home, '.config/systemd/user/beacon.timer'), '[Timer]\nOnCalendar=hourly\n');
    writeFileSync(join(s.home, '.config/systemd/user/beacon.service'), '[Service]\nExecStart=/usr/bin/curl https://beacon.example\n');
    writeFileSync(join(state, '.env'), `OPENCLAW_GATEWAY_TOKEN=${'f'.repeat(64)}\n`);
    sockets.push({ protocol: 'tcp', address: '0.0.0.0', port: 8080, uid: 0, inode: 9 });

    const changed = await s.cli('security', 'audit', '--compare-baseline', file);
    const out = changed.stdout.slice(changed.stdout.indexOf('Baseline comparison'));
    expect(out).toContain('  Outbound rules\n    + egress_allowlist.json {"host":"api.exfil.example","port":443}');
    expect(out).toContain('  Listening ports\n    + tcp 0.0.0.0:8080');
    expect(out).toContain('    ~ credentials/telegram/creds.json: file 0600 uid');
    expect(out).toContain(`    ~ gateway.bind: "loopback" → "lan"`);
    expect(out).toMatch(/~ \.env:OPENCLAW_GATEWAY_TOKEN: "…\(64 chars\) fp:[0-9a-f]{12}" → "…\(64 chars\) fp:[0-9a-f]{12}"/);
    expect(out).toContain(`  Skills\n    + new-helper (${join(state, 'skills/new-helper')}): sha256 `);
    expect(out).toContain(`  Scheduled tasks\n    + systemd timer ${join(s.home, '.config/systemd/user/beacon.timer')}: OnCalendar=hourly → /usr/bin/curl https://beacon.example`);
    expect(out).not.toContain('f'.repeat(64));

    const asJson = JSON.parse((await s.cli('security', 'audit', '--json', '--compare-baseline', file)).stdout) as { baseline: { compared: string; changes: Array<{ section: string }> } };
    expect(asJson.baseline.compared).toBe(file);
    expect([...new Set(asJson.baseline.changes.map((c) => c.section))].sort()).toEqual(['config', 'file_access', 'listening', 'outbound', 'scheduled', 'skills']);
  });

  it('--sarif gives SARIF 2.1.0 for the skills scan: rules, located results, guard decisions as suppressions', async () => {
    const s = await startOn('hardened');
    materializeFixture('skills', join(s.t.stateDir, 'skills'));
    const r = await s.cli('security', 'audit', '--sarif');
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }>; suppressions?: unknown[] }> }> };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.name).toBe('ocsec');
    expect(run.tool.driver.rules.map((x) => x.id)).toContain('pipe-to-shell');
    const pipe = run.results.find((x) => x.ruleId === 'pipe-to-shell' && !x.suppressions)!;
    expect(pipe.level).toBe('error');
    expect(pipe.locations[0]!.physicalLocation.artifactLocation.uri).toBe(`file://${join(s.t.stateDir, 'skills/pipe-to-shell/SKILL.md')}`);
    expect(pipe.locations[0]!.physicalLocation.region!.startLine).toBe(9);
    expect(run.results.some((x) => x.ruleId === 'pipe-to-shell' && (x.suppressions?.length ?? 0) > 0)).toBe(true);
    expect(new Set(run.results.filter((x) => !x.suppressions).map((x) => x.level))).toEqual(new Set(['error', 'warning', 'note']));
  });
});
