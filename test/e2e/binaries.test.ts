// End-to-end: the built ocsecd and ocsecctl as separate processes on a temp state dir.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOcsecctl, runOcsecd as runDaemon, startOcsecd as spawnOcsecd, type ProcessResult, type SpawnedDaemon } from '../helpers/binaries.js';
import { tempStateDir } from '../helpers/daemon.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function envFor(stateDir: string): NodeJS.ProcessEnv {
  return { ...process.env, OPENCLAW_STATE_DIR: stateDir, NODE_OPTIONS: '' };
}

const startOcsecd = (stateDir: string, extraArgs: string[] = []): Promise<SpawnedDaemon> => spawnOcsecd(envFor(stateDir), cleanups, extraArgs);
const runOcsecd = (stateDir: string, args: string[] = []): ProcessResult => runDaemon(envFor(stateDir), args);
const ocsecctl = (stateDir: string, ...args: string[]): ProcessResult => runOcsecctl(envFor(stateDir), args);

function newStateDir(): string {
  const dir = tempStateDir('ocsec-e2e-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('ocsecd and ocsecctl', () => {
  it('serves status; a second daemon refuses; SIGTERM exits 0 and removes the socket', async () => {
    const stateDir = newStateDir();
    const d = await startOcsecd(stateDir);
    const status = ocsecctl(stateDir, 'status', '--json');
    expect(status.status).toBe(0);
    const parsed = JSON.parse(status.stdout) as { pid: number; stateDir: string };
    expect(parsed.pid).toBe(d.child.pid);
    expect(parsed.stateDir).toBe(stateDir);

    const second = runOcsecd(stateDir);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`already running (pid ${d.child.pid})`);

    const socket = join(stateDir, 'run/ocsecd.sock');
    expect(existsSync(socket)).toBe(true);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);

    const down = ocsecctl(stateDir, 'status');
    expect(down.status).toBe(3);
    expect(down.stderr).toContain(`ocsecd is not running at ${socket}`);
    expect(down.stderr).toContain('systemctl --user start ocsecd');
  });

  it('after kill -9 the stale socket is removed on restart, and the audit chain still verifies', async () => {
    const stateDir = newStateDir();
    const first = await startOcsecd(stateDir);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(stateDir, 'run/ocsecd.sock'))).toBe(true);
    const second = await startOcsecd(stateDir);
    expect(second.stdout()).toContain('removing a stale socket');
    expect(ocsecctl(stateDir, 'status').status).toBe(0);
    const verify = ocsecctl(stateDir, 'audit', 'verify', '--json');
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    const lifecycle = JSON.parse(ocsecctl(stateDir, 'audit', 'list', '--action', 'daemon.*', '--json').stdout) as { events: Array<{ action: string }> };
    expect(lifecycle.events.map((e) => e.action)).toEqual(['daemon.start', 'daemon.start']); // a killed daemon writes no stop
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('audit verify exits 1 naming the seq of a row changed in the sqlite file', async () => {
    const stateDir = newStateDir();
    const d = await startOcsecd(stateDir);
    d.child.kill('SIGTERM');
    await d.exited;
    const d2 = await startOcsecd(stateDir);
    d2.child.kill('SIGTERM');
    await d2.exited;
    // seq 1 start, 2 stop, 3 start, 4 stop. The daemon holds the file exclusively while it runs, so tamper while it is down.
    const db = new Database(join(stateDir, 'security/ocsec.db'));
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare(`UPDATE audit_events SET data_json = '{"reason":"nothing to see"}' WHERE seq = 2`).run();
    db.close();
    const d3 = await startOcsecd(stateDir);
    expect(d3.stdout()).toContain('audit chain is broken');
    const verify = ocsecctl(stateDir, 'audit', 'verify');
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/BROKEN at seq 2 \(changed\)/);
    const alert = ocsecctl(stateDir, 'audit', 'list', '--action', 'audit.integrity_alert', '--json');
    expect(JSON.parse(alert.stdout).events[0].data.first_break).toMatchObject({ seq: 2, kind: 'changed' });
    const doctor = ocsecctl(stateDir, 'doctor');
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL audit chain: broken at seq 2/);
    d3.child.kill('SIGTERM');
    await d3.exited;
  });

  it('exports the trail as reference-format JSONL identical to the mirror', async () => {
    const stateDir = newStateDir();
    const d = await startOcsecd(stateDir);
    const exported = ocsecctl(stateDir, 'audit', 'export', '--jsonl');
    expect(exported.status).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ action: 'daemon.start', seq: 1 });
    expect(typeof lines[0]!.ts_utc).toBe('string');
    expect(readFileSync(join(stateDir, 'security/privileged-audit.jsonl'), 'utf8')).toBe(exported.stdout);
    d.child.kill('SIGTERM');
    await d.exited;
  });

  it('doctor passes on a healthy install and every command has --json and --help', async () => {
    const stateDir = newStateDir();
    const d = await startOcsecd(stateDir);
    // Without the shim nothing routes sudo through ocsecd: doctor says so and fails.
    const bare = JSON.parse(ocsecctl(stateDir, 'doctor', '--json').stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(bare.ok).toBe(false);
    expect(bare.checks.filter((c) => c.status === 'FAIL').map((c) => c.name)).toEqual(['sudo shim']);
    expect(ocsecctl(stateDir, 'install', '--shim').status).toBe(0);
    const doctor = ocsecctl(stateDir, 'doctor', '--json');
    expect(doctor.status).toBe(0);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(report.ok).toBe(true);
    const names = report.checks.map((c) => c.name);
    const expected = [
      'state dir', 'security dir', 'run dir', 'socket', 'daemon', 'daemon supervised', 'peer credentials', 'sudo shim', 'real sudo',
      'gateway PATH', 'sudo NOPASSWD', 'su/doas/pkexec', 'database integrity', 'policy command-policy.json', 'policy prompt-policy.json',
      'approval factor', 'audit chain', 'job audit-verify',
    ];
    expect(names.filter((n) => expected.includes(n))).toEqual(expected); // all of them, in this order (other checks may sit between)
    expect(report.checks.find((c) => c.name === 'approval factor')!.status).toBe('WARN'); // confirm-only approvals
    for (const cmd of [['status'], ['doctor'], ['audit', 'list'], ['audit', 'verify'], ['audit', 'export'], ['audit', 'tail'], ['install'], ['uninstall']]) {
      const help = ocsecctl(stateDir, ...cmd, '--help');
      expect(help.status, cmd.join(' ')).toBe(0);
      expect(help.stdout, cmd.join(' ')).toContain('--json');
    }
    expect(ocsecctl(stateDir, 'audit', 'list', '--limit', 'x').status).toBe(2);
    expect(ocsecctl(stateDir, 'no-such-command').status).toBe(2);
    d.child.kill('SIGTERM');
    await d.exited;
  });
});

describe('ocsecd refuses to start, precisely', () => {
  it('a socket path beyond sun_path names the limit', () => {
    const long = join(newStateDir(), 'x'.repeat(110));
    mkdirSync(long, { recursive: true });
    const r = runOcsecd(long);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/limit for a Unix socket path \(sun_path\) is 107 bytes/);
  });

  it('a corrupt database is refused with the integrity result and left untouched', () => {
    const stateDir = newStateDir();
    mkdirSync(join(stateDir, 'security'), { recursive: true, mode: 0o700 });
    const garbage = Buffer.from('this is not an sqlite database '.repeat(200));
    writeFileSync(join(stateDir, 'security/ocsec.db'), garbage, { mode: 0o600 });
    const r = runOcsecd(stateDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not a usable SQLite database|integrity_check/);
    expect(readFileSync(join(stateDir, 'security/ocsec.db')).equals(garbage)).toBe(true);
  });

  it('a database from a newer schema is refused naming both versions', () => {
    const stateDir = newStateDir();
    mkdirSync(join(stateDir, 'security'), { recursive: true, mode: 0o700 });
    const db = new Database(join(stateDir, 'security/ocsec.db'));
    db.pragma('user_version = 99');
    db.close();
    const r = runOcsecd(stateDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/schema version 99, newer than this ocsecd supports \(5\)/);
  });

  it('an invalid ocsec.json is refused with file, line and field', () => {
    const stateDir = newStateDir();
    mkdirSync(join(stateDir, 'security'), { recursive: true, mode: 0o700 });
    writeFileSync(join(stateDir, 'security/ocsec.json'), '{\n  "log_level": "info",\n  "schedules": { "audit_verify": 5 }\n}\n', { mode: 0o600 });
    const r = runOcsecd(stateDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ocsec\.json:3:\d+: schedules\.audit_verify: /);
  });
});
