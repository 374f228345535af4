// The compliance assessment in an in-process ocsecd: runs from live evidence (policy files, a stand-in gateway's
// real PATH, settings), the three output files, history, waivers and their approval rules, the notifier end to
// end (delivery, nothing on an identical run, resolution, refusal, the deadline on the daemon's clock), network
// findings notified as they appear, the hourly job, and the CLI's text output and exit codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../client/cli.js';
import { LAUNCHER_MARKER } from '../../client/posture/path-analysis.js';
import { isRpcErrorCode } from '../../client/rpc-client.js';
import { ManualClock } from '../../daemon/clock.js';
import { configSchema } from '../../daemon/config.js';
import type { DaemonOptions } from '../../daemon/ocsecd.js';
import type { ProcessInspector } from '../../daemon/procinfo.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-compliance-');
const running: TestDaemon[] = [];
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of servers.splice(0)) await new Promise((r) => s.close(() => r(undefined)));
  while (running.length) await running.pop()!.stop();
  dirs.cleanup();
});

const atTerminal: ProcessInspector = { read: (pid) => ({ pid, ppid: 1, comm: 'ocsecctl', hasTty: true, ttyNr: 34816, sid: pid }) };
const noTerminal: ProcessInspector = { read: (pid) => ({ pid, ppid: 1, comm: 'agent', hasTty: false, ttyNr: null, sid: pid }) };

async function start(o: { config?: Record<string, unknown>; env?: NodeJS.ProcessEnv; procs?: ProcessInspector; clock?: DaemonOptions['clock']; notifyTimeoutMs?: number } = {}): Promise<TestDaemon> {
  const home = dirs.make();
  const t = await startTestDaemon({
    config: configSchema.parse({ network: { start_delay_seconds: 0 }, ...o.config }),
    env: { HOME: home, PATH: '/usr/bin:/bin', ...o.env },
    host: { uid: 1000, listSudo: async () => ({ code: 1, stdout: '', stderr: 'sudo: a password is required' }) },
    network: { dns: { lookup: async () => Promise.reject(new Error('no DNS in tests')), reverse: async () => [] } },
    compliance: { run: async () => ({ ok: false, missing: true, code: null, stdout: '', stderr: '' }), home, ...(o.notifyTimeoutMs !== undefined ? { notifyTimeoutMs: o.notifyTimeoutMs } : {}) },
    ...(o.procs ? { procs: o.procs } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  running.push(t);
  return t;
}

async function cli(t: TestDaemon, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--socket', t.socketPath, ...argv], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {} });
  return { code, stdout, stderr };
}

const statusOf = (r: { results: Array<{ check_id: string; status: string }> }, id: string) => r.results.find((c) => c.check_id === id)!.status;

/** A notifier that appends each message, then a separator, to the file named by its argument. */
function appendingNotifier(): { argv: string[]; out: string; messages: () => string[] } {
  const dir = dirs.make();
  const program = join(dir, 'notify');
  const out = join(dir, 'messages.txt');
  writeFileSync(program, '#!/bin/sh\ncat >> "$1"\necho "----" >> "$1"\n', { mode: 0o700 });
  return { argv: [program, out], out, messages: () => (existsSync(out) ? readFileSync(out, 'utf8').split('----\n').filter((m) => m.trim() !== '') : []) };
}

function notifierEnv(argv: string[]): NodeJS.ProcessEnv {
  return { OPENCLAW_VIOLATION_NOTIFY_CMD: JSON.stringify(argv), OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST: JSON.stringify([argv]) };
}

async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('compliance.run', () => {
  it('assesses all checks, stores the run, writes the three files 0600 and audits it', async () => {
    const t = await start();
    const r = await t.client.call('compliance.run');
    expect(r.results).toHaveLength(26);
    expect(r.run).toMatchObject({ runId: 1, trigger: 'manual' });
    expect(Object.values(r.run.statusCounts).reduce((a, b) => a + b, 0)).toBe(26);
    expect(Object.keys(r.timings.sources)).toHaveLength(16);
    for (const path of [r.outputs.assessment, r.outputs.summary, r.outputs.dashboard]) {
      expect(statSync(path).mode & 0o777, path).toBe(0o600);
    }
    expect(r.outputs.problems).toEqual([]);
    const assessment = JSON.parse(readFileSync(r.outputs.assessment, 'utf8')) as { metadata: { run_id: number }; checks: Array<{ check_id: string; ocsec_status: string }> };
    expect(assessment.metadata.run_id).toBe(1);
    expect(assessment.checks.map((c) => c.ocsec_status)).toEqual(r.results.map((c) => c.status));
    const latest = await t.client.call('compliance.latest');
    expect(latest.result?.run).toEqual(r.run);
    expect(latest.result?.results).toEqual(r.results);
    const events = await t.client.call('audit.query', { action: 'compliance.run' });
    expect(events.events).toHaveLength(1);
    expect(events.events[0]!.data).toMatchObject({ run_id: 1, trigger: 'manual', status_counts: r.run.statusCounts });
  });

  it('decides from live state: the policy files on disk and the settings', async () => {
    const t = await start({ config: { idle_timeout_minutes: 45 } });
    const sec = t.daemon.layout.securityDir;
    let r = await t.client.call('compliance.run');
    expect(statusOf(r, 'elevation_timeout_30m')).toBe('violation');
    expect(statusOf(r, 'command_policy_enforced')).toBe('violation');
    writeFileSync(join(sec, 'command-policy.json'), JSON.stringify({ allow: ['^/usr/bin/apt\\b'], deny: ['\\brm\\s+-rf\\b'], deny_shells: true }), { mode: 0o600 });
    await t.client.call('policy.reload');
    r = await t.client.call('compliance.run');
    expect(statusOf(r, 'command_policy_enforced')).toBe('compliant');
    writeFileSync(join(sec, 'prompt-policy.json'), '{\n  "require_confirmation_for_untrusted": "yes"\n}\n', { mode: 0o600 });
    await t.client.call('policy.reload');
    r = await t.client.call('compliance.run');
    const policyFiles = r.results.find((c) => c.check_id === 'policy_files_valid')!;
    expect(policyFiles.status).toBe('violation');
    expect(policyFiles.evidence).toMatch(/prompt-policy\.json:2:3: require_confirmation_for_untrusted: /);
  });

  it.skipIf(process.platform !== 'linux')('elevation_timeout_30m is compliant only with the shim first in the running gateway\'s PATH', async () => {
    const t = await start({ config: { idle_timeout_minutes: 20 } });
    const bin = t.daemon.layout.binDir;
    const gateway = (path: string) => {
      const child = spawn(process.execPath, ['-e', "process.title = 'openclaw-gateway'; setInterval(() => {}, 1 << 30);"], { env: { PATH: path, OPENCLAW_STATE_DIR: t.stateDir }, stdio: 'ignore' });
      children.push(child);
      return child;
    };
    const unguarded = gateway('/usr/local/bin:/usr/bin:/bin');
    await until('the stand-in gateway', () => readFileSync(`/proc/${unguarded.pid}/cmdline`, 'utf8').startsWith('openclaw-gateway'));
    let r = await t.client.call('compliance.run');
    const timeout = r.results.find((c) => c.check_id === 'elevation_timeout_30m')!;
    expect(timeout.status).toBe('partial');
    expect(timeout.evidence).toContain(`gateway pid ${unguarded.pid} runs /usr/bin/sudo`);
    expect(statusOf(r, 'gateway_path_routes_through_shim')).toBe('violation');
    unguarded.kill('SIGKILL');
    mkdirSync(bin, { recursive: true, mode: 0o700 });
    writeFileSync(join(bin, 'sudo'), `#!/bin/sh\n${LAUNCHER_MARKER}\nexec /usr/bin/sudo "$@"\n`, { mode: 0o700 });
    const guarded = gateway(`${bin}:/usr/bin:/bin`);
    await until('the guarded gateway', () => readFileSync(`/proc/${guarded.pid}/cmdline`, 'utf8').startsWith('openclaw-gateway'));
    await until('the first gateway to exit', () => !existsSync(`/proc/${unguarded.pid}/cmdline`) || readFileSync(`/proc/${unguarded.pid}/cmdline`, 'utf8') === '');
    r = await t.client.call('compliance.run');
    expect(statusOf(r, 'elevation_timeout_30m')).toBe('compliant');
    expect(statusOf(r, 'gateway_path_routes_through_shim')).toBe('compliant');
    expect(r.results.find((c) => c.check_id === 'elevation_timeout_30m')!.evidence).toContain(`gateway pid ${guarded.pid} runs ${join(bin, 'sudo')}`);
  });

  it('history lists runs newest first and one check across runs', async () => {
    const t = await start();
    await t.client.call('compliance.run');
    await t.client.call('compliance.run');
    const h = await t.client.call('compliance.history', { limit: 5, checkId: 'session_boundary_enforced' });
    expect(h.runs.map((r) => r.runId)).toEqual([2, 1]);
    expect(h.check?.map((c) => [c.runId, c.status])).toEqual([
      [2, 'partial'],
      [1, 'partial'],
    ]);
    const err = await t.client.call('compliance.history', { checkId: 'no_such_check' }).catch((e: unknown) => e);
    expect(isRpcErrorCode(err, 'InvalidParams')).toBe(true);
    expect((err as Error).message).toMatch(/params\.checkId: unknown check "no_such_check"/);
  });

  it('the dashboard RPC runs an assessment when there is none, then rewrites the file from the latest', async () => {
    const t = await start();
    const first = await t.client.call('compliance.dashboard');
    expect(first.runId).toBe(1);
    expect(readFileSync(first.path, 'utf8')).toContain('run #1');
    const again = await t.client.call('compliance.dashboard');
    expect(again.runId).toBe(1);
    expect((await t.client.call('compliance.history')).runs).toHaveLength(1);
  });
});

describe('waivers', () => {
  it('turn a finding into waived until revoked, from a person at a terminal', async () => {
    const t = await start({ procs: atTerminal });
    const { waiver } = await t.client.call('compliance.waive', { checkId: 'session_boundary_enforced', justification: 'agents do not set task ids until the next release', approver: 'Carol', expires: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    expect(waiver).toMatchObject({ id: 1, checkId: 'session_boundary_enforced', state: 'active', approver: 'Carol' });
    let r = await t.client.call('compliance.run');
    const row = r.results.find((c) => c.check_id === 'session_boundary_enforced')!;
    expect(row).toMatchObject({ status: 'waived', waived_status: 'partial', waiver: { id: 1, approver: 'Carol' } });
    expect(r.run.statusCounts.waived).toBe(1);
    await t.client.call('compliance.unwaive', { id: 1, reason: 'task ids shipped' });
    r = await t.client.call('compliance.run');
    expect(statusOf(r, 'session_boundary_enforced')).toBe('partial');
    expect((await t.client.call('compliance.waivers', { all: true })).waivers[0]).toMatchObject({ id: 1, state: 'revoked', revokedReason: 'task ids shipped' });
    expect((await t.client.call('compliance.waivers')).waivers).toEqual([]);
    const actions = (await t.client.call('audit.query', { action: 'compliance.waiver*' })).events.map((e) => e.action);
    expect(actions).toEqual(['compliance.waiver_added', 'compliance.waiver_revoked']);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown check', { checkId: 'made_up_check' }, /params\.checkId: unknown check/],
    ['an expiry in the past', { expires: '2020-01-01T00:00:00Z' }, /params\.expires: must be in the future/],
    ['an expiry beyond a year', { expires: new Date(Date.now() + 400 * 86_400_000).toISOString() }, /params\.expires: at most 366 days/],
    ['a justification too short', { justification: 'later' }, /justification/],
  ])('refuse %s', async (_name, override, message) => {
    const t = await start({ procs: atTerminal });
    const err = await t.client.call('compliance.waive', { checkId: 'backup_configured', justification: 'backups move to the NAS in March', approver: 'Carol', expires: new Date(Date.now() + 86_400_000).toISOString(), ...override } as never).catch((e: unknown) => e);
    expect(isRpcErrorCode(err, 'InvalidParams')).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((await t.client.call('compliance.waivers', { all: true })).waivers).toEqual([]);
  });

  it('are refused without a terminal (an agent cannot accept its own findings), and audited', async () => {
    const t = await start({ procs: noTerminal });
    const err = await t.client.call('compliance.waive', { checkId: 'backup_configured', justification: 'backups move to the NAS in March', approver: 'agent', expires: new Date(Date.now() + 86_400_000).toISOString() }).catch((e: unknown) => e);
    expect(isRpcErrorCode(err, 'SelfApprovalRefused')).toBe(true);
    expect((await t.client.call('audit.query', { action: 'compliance.waiver_refused' })).events).toHaveLength(1);
    expect((await t.client.call('compliance.waivers', { all: true })).waivers).toEqual([]);
  });

  it('need the approval factor when one is configured', async () => {
    const t = await start({ procs: atTerminal });
    await t.client.call('factors.token.set', { token: 'correct horse battery staple' });
    const params = { checkId: 'backup_configured', justification: 'backups move to the NAS in March', approver: 'Carol', expires: new Date(Date.now() + 86_400_000).toISOString() };
    const err = await t.client.call('compliance.waive', { ...params, factor: 'wrong token value' }).catch((e: unknown) => e);
    expect(isRpcErrorCode(err, 'FactorInvalid')).toBe(true);
    const ok = await t.client.call('compliance.waive', { ...params, factor: 'correct horse battery staple' });
    expect(ok.waiver.state).toBe('active');
  });
});

describe('notifications', () => {
  it('delivers new items, sends nothing on an identical run, then reports what was resolved', async () => {
    const n = appendingNotifier();
    // Network findings are notified too (the run samples ports); this test looks at the run's own messages.
    const t = await start({ env: notifierEnv(n.argv), config: { compliance: { notify: { network: false } } } });
    const first = await t.client.call('compliance.run');
    expect(first.notification).toMatchObject({ outcome: 'delivered', notifier: n.argv, exitCode: 0 });
    expect(first.notification.added).toContain('check:command_policy_enforced');
    expect(n.messages()).toHaveLength(1);
    expect(n.messages()[0]).toMatch(/^ocsec on .* \d+ new, 0 escalated, 0 resolved — compliance run #1/);
    expect(n.messages()[0]).toMatch(/\nNEW command_policy_enforced violation high — .*command-policy\.json: missing/);
    expect(n.messages()[0]).toMatch(/\n {2}Fix: cp policies\/command-policy\.template\.json .* \(Security Engineering, due \d{4}-\d{2}-\d{2}\)/);

    const second = await t.client.call('compliance.run');
    expect(second.notification.outcome).toBe('nothing-new');
    expect(n.messages()).toHaveLength(1);

    writeFileSync(join(t.daemon.layout.securityDir, 'command-policy.json'), JSON.stringify({ deny: ['\\brm\\s+-rf\\b'] }), { mode: 0o600 });
    await t.client.call('policy.reload');
    const third = await t.client.call('compliance.run');
    expect(third.notification).toMatchObject({ outcome: 'delivered', added: [], resolved: ['check:command_policy_enforced'] });
    expect(n.messages()[1]).toMatch(/\nRESOLVED command_policy_enforced compliant \(was violation\)/);
    const audited = (await t.client.call('audit.query', { action: 'compliance.notify' })).events.map((e) => e.data.outcome);
    expect(audited).toEqual(['delivered', 'delivered']);
  });

  it('refuses a shell launcher even when allowlisted, audits it, keeps the run, and keeps the items for a later notifier', async () => {
    const t = await start({ env: { OPENCLAW_VIOLATION_NOTIFY_CMD: '["/bin/sh", "-c", "cat > /tmp/x"]', OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST: '[["/bin/sh", "-c", "cat > /tmp/x"]]' }, config: { compliance: { notify: { network: false } } } });
    const r = await t.client.call('compliance.run');
    expect(r.results).toHaveLength(26);
    expect(r.notification).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/\/bin\/sh is a shell or interpreter launcher/) });
    const events = (await t.client.call('audit.query', { action: 'compliance.notify' })).events;
    expect(events[0]!.data).toMatchObject({ outcome: 'refused', trigger: 'run' });
    const notTold = (await t.client.call('compliance.run')).notification;
    expect(notTold.outcome).toBe('refused');
    expect(notTold.added.length).toBeGreaterThan(0);
  });

  it('kills a hanging notifier at the deadline on the daemon\'s clock, and the run still completes', async () => {
    const dir = dirs.make();
    const program = join(dir, 'notify');
    const started = join(dir, 'started');
    writeFileSync(program, `#!/bin/sh\ntouch "${started}"\nexec sleep 300\n`, { mode: 0o700 });
    const clock = new ManualClock(Date.now());
    const t = await start({ env: notifierEnv([program]), clock, config: { compliance: { notify: { network: false } } } });
    const pending = t.client.call('compliance.run');
    await until('the notifier to start', () => existsSync(started));
    clock.advance(5000);
    const r = await pending;
    expect(r.notification).toMatchObject({ outcome: 'timeout', detail: 'killed after 5000 ms without exiting', durationMs: 5000 });
    expect((await t.client.call('audit.query', { action: 'compliance.notify' })).events[0]!.data).toMatchObject({ outcome: 'timeout' });
  });

  it('tells the notifier about network findings as the monitor adds and removes them', async () => {
    const n = appendingNotifier();
    const t = await start({ env: notifierEnv(n.argv) });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
    const port = (server.address() as AddressInfo).port;
    await t.client.call('ports.sample');
    await until('the network notification', () => n.messages().some((m) => m.includes(`:${port} `)));
    const added = n.messages().find((m) => m.includes(`:${port} `))!;
    expect(added).toMatch(new RegExp(`NEW ports unapproved-port finding medium — tcp 127\\.0\\.0\\.1:${port} .*pid ${process.pid}`));
    await new Promise((r) => server.close(() => r(undefined)));
    servers.length = 0;
    await t.client.call('ports.sample');
    await until('the resolution', () => n.messages().some((m) => m.includes(`RESOLVED ports unapproved-port resolved`) && m.includes(`:${port} `)));
  });

  it('notify test: delivered through an allowlisted notifier, not-configured without one', async () => {
    const n = appendingNotifier();
    const t = await start({ env: notifierEnv(n.argv) });
    const ok = await cli(t, 'notify', 'test');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Notification: delivered to .*notify/);
    expect(n.messages()[0]).toMatch(/NEW notify_test test low — a test message from ocsecctl notify test/);
    const bare = await start();
    const no = await cli(bare, 'notify', 'test', '--json');
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ outcome: 'not-configured' });
  });
});

describe('the hourly job', () => {
  it('is scheduled at minute 23 and stores a scheduled run', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const t = await start({ clock });
    const job = (await t.client.call('daemon.status')).jobs.find((j) => j.name === 'compliance');
    expect(job).toMatchObject({ schedule: '0 23 * * * *', nextRunAt: '2026-01-01T00:23:00.000Z' });
    clock.advance(23 * 60_000);
    await until('the scheduled run', () => (t.daemon.services.compliance.latest()?.run.trigger ?? '') === 'scheduled');
    expect(t.daemon.services.compliance.latest()!.run.startedAt).toBe('2026-01-01T00:23:00.000Z');
  });
});

describe('ocsecctl', () => {
  it('assess prints checks grouped by status with evidence, fixes, owners and due dates, and exits 1 on findings', async () => {
    const t = await start();
    const r = await cli(t, 'assess');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Compliance assessment #1 \(manual\) at \S+: \d+ violation, \d+ partial, \d+ error, 0 waived, \d+ compliant, \d+ not applicable$/);
    expect(lines).toContain('VIOLATION (' + r.stdout.match(/(\d+) violation/)![1] + ')');
    const commandPolicy = lines.findIndex((l) => l.startsWith('  command_policy_enforced violation high — '));
    expect(commandPolicy).toBeGreaterThan(0);
    expect(lines[commandPolicy + 1]).toMatch(/^ {4}Fix: .*\(Security Engineering, due \d{4}-\d{2}-\d{2}\)$/);
    expect(r.stdout).toMatch(/\nCOMPLIANT \(\d+\)\n {2}audit_trail_integrity compliant critical — \d+ events/);
    expect(r.stdout).toMatch(/\nDashboard: .*compliance-dashboard\.html\n/);
  });

  it('compliance shows the latest run (or says there is none), as JSON too; history and dashboard', async () => {
    const t = await start();
    const none = await cli(t, 'compliance');
    expect(none).toMatchObject({ code: 1, stdout: expect.stringMatching(/no assessment has run yet/) });
    await cli(t, 'compliance', 'run');
    const shown = await cli(t, 'compliance', '--json');
    expect(JSON.parse(shown.stdout).run.runId).toBe(1);
    const history = await cli(t, 'compliance', 'history');
    expect(history.stdout).toMatch(/^#1 \S+ manual {4}\d+ violation/);
    const dash = await cli(t, 'dashboard');
    expect(dash.code).toBe(0);
    expect(existsSync(dash.stdout.trim())).toBe(true);
  });

  it('waive: a bad --expires is a usage error; a good one records the waiver', async () => {
    const t = await start({ procs: atTerminal });
    const bad = await cli(t, 'compliance', 'waive', 'backup_configured', '--justification', 'backups move to the NAS in March', '--approver', 'Carol', '--expires', 'next week');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expires must be an ISO 8601 time or a span such as 30d/);
    const good = await cli(t, 'compliance', 'waive', 'backup_configured', '--justification', 'backups move to the NAS in March', '--approver', 'Carol', '--expires', '30d');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^waiver #1 for backup_configured until \S+; it applies from the next run/);
    const list = await cli(t, 'compliance', 'waivers');
    expect(list.stdout).toMatch(/^#1 backup_configured active — until .*approved by Carol/);
  });
});
