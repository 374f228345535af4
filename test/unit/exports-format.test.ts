// Covers daemon/exports/ formats: audit events as ECS documents, RFC 5424 syslog lines, the Prometheus text exposition and the rotating JSON-lines file.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent, ExportSinkStatus } from '../../client/protocol.js';
import { exportsConfigSchema } from '../../daemon/exports/config.js';
import { asciiJson, toEcs } from '../../daemon/exports/ecs.js';
import { RotatingJsonlFile } from '../../daemon/exports/jsonl-sink.js';
import { collectMetrics, latestComplianceCounts, openFindings, renderExposition, writeTextfile, type MetricsInput } from '../../daemon/exports/metrics.js';
import { formatRfc5424, severityOf } from '../../daemon/exports/syslog.js';
import type { Db } from '../../daemon/store/db.js';
import { parseExposition } from '../helpers/prom-text.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-exports-');
afterEach(() => dirs.cleanup());

const ctx = { hostname: 'host-1', version: '9.9.9' };

function event(action: string, data: Record<string, unknown>, extra: Partial<AuditEvent> = {}): AuditEvent {
  return { seq: 7, ts: '2026-01-01T00:00:07.000Z', actor_uid: 1000, actor_pid: 4242, action, subject: '/usr/bin/apt', data, prev_hash: 'a'.repeat(64), hash: 'b'.repeat(64), ...extra };
}

describe('toEcs', () => {
  it('maps an executed command: event, process, user, outcome, duration, and keeps the original under ocsec', () => {
    const doc = toEcs(event('exec_finish', { grant_id: 'g', argv: ['/usr/bin/apt', 'install', 'a b'], returncode: 0, duration_ms: 12.5, target_user: 'root', cwd: '/home/u', session_id: 's1' }), ctx);
    expect(doc).toMatchObject({
      '@timestamp': '2026-01-01T00:00:07.000Z',
      ecs: { version: '8.11.0' },
      event: { kind: 'event', action: 'exec_finish', outcome: 'success', category: ['process'], type: ['end'], sequence: 7, id: 'b'.repeat(64), module: 'ocsec', duration: 12_500_000 },
      process: { pid: 4242, executable: '/usr/bin/apt', args: ['/usr/bin/apt', 'install', 'a b'], args_count: 3, command_line: "/usr/bin/apt install 'a b'", exit_code: 0, working_directory: '/home/u' },
      user: { id: '1000', target: { name: 'root' } },
      host: { hostname: 'host-1' },
      session: { id: 's1' },
      ocsec: { seq: 7, hash: 'b'.repeat(64), prev_hash: 'a'.repeat(64), subject: '/usr/bin/apt', actor: { uid: 1000, pid: 4242 } },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['exec_finish', { returncode: 1 }, 'failure'],
    ['policy_block', { decision: 'denied' }, 'failure'],
    ['approval_denied', {}, 'failure'],
    ['approval_granted', {}, 'success'],
    ['sudo_reset', { ok: false }, 'failure'],
    ['sudo_reset', { ok: true }, 'success'],
    ['peer.refused', {}, 'failure'],
    ['approval_requested', {}, 'unknown'],
    ['audit.integrity_alert', {}, 'failure'],
  ])('%s %j → outcome %s', (action, data, outcome) => {
    expect((toEcs(event(action, data), ctx).event as { outcome: string }).outcome).toBe(outcome);
  });

  it("maps the network monitor's finding events to source/destination, severity and an alert", () => {
    const listener = toEcs(event('network.finding_added', { monitor: 'ports', type: 'public-bind', severity: 'high', host: '0.0.0.0', port: 6379, protocol: 'tcp', pid: 99, command: 'redis-server', user: 'redis' }), ctx);
    expect(listener).toMatchObject({
      event: { kind: 'alert', severity: 73, category: ['network'], type: ['creation'] },
      source: { ip: '0.0.0.0', port: 6379 },
      network: { transport: 'tcp' },
      process: { pid: 99, name: 'redis-server', user: { name: 'redis' } },
    });
    const egress = toEcs(event('network.finding_removed', { monitor: 'egress', type: 'unapproved-egress', severity: 'medium', remote_host: 'example.test', remote_ip: '192.0.2.7', remote_port: 443 }), ctx);
    expect(egress).toMatchObject({ destination: { ip: '192.0.2.7', domain: 'example.test', port: 443 }, event: { severity: 47, type: ['deletion'] } });
    expect(toEcs(event('network.finding_added', { remote_ip: '[2001:db8::1]', remote_port: '22' }), ctx)).toMatchObject({ destination: { ip: '2001:db8::1', port: 22 } });
  });

  it('asciiJson escapes everything outside ASCII, including line separators, and stays parseable', () => {
    const text = asciiJson({ a: 'é\u2028\u0085\n"', b: '\ud800' });
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(text)).toEqual({ a: 'é\u2028\u0085\n"', b: '\ud800' });
  });
});

/** RFC 5424 §6: HEADER SP STRUCTURED-DATA [SP MSG]. */
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) ((?:\[[^\]]*\])+|-) (.*)$/s;

describe('formatRfc5424', () => {
  const format = { ...ctx, facility: 10, appName: 'ocsecd', pid: 321, maxBytes: 8192 };

  it('writes PRI, version, timestamp, host, app, pid, msgid, structured data and the ECS JSON', () => {
    const line = formatRfc5424(event('policy_block', { argv: ['/usr/bin/rm', '-rf', '/'], decision: 'denied', why: 'deny rule' }), format).toString('utf8');
    const m = RFC5424.exec(line)!;
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBe(10 * 8 + 4); // authpriv.warning: a failure
    expect(m.slice(2, 7)).toEqual(['2026-01-01T00:00:07.000Z', 'host-1', 'ocsecd', '321', 'policy_block']);
    expect(m[7]).toBe('[meta sequenceId="7"][origin software="ocsec" swVersion="9.9.9"]');
    expect(JSON.parse(m[8]!)).toMatchObject({ event: { action: 'policy_block', outcome: 'failure', reason: 'deny rule' }, process: { args: ['/usr/bin/rm', '-rf', '/'] } });
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['approval_granted', {}, 6],
    ['approval_denied', {}, 4],
    ['audit.integrity_alert', {}, 2],
    ['finding.added', { severity: 'critical' }, 2],
    ['finding.added', { severity: 'high' }, 3],
    ['finding.added', { severity: 'low' }, 5],
  ])('%s %j → severity %d', (action, data, severity) => {
    expect(severityOf(toEcs(event(action, data), ctx))).toBe(severity);
  });

  it('header fields keep to printable ASCII, so a hostile action or host name cannot break the frame', () => {
    const line = formatRfc5424(event('bad action\nx', {}), { ...format, hostname: 'h ost' }).toString('utf8');
    expect(RFC5424.exec(line)!.slice(3, 7)).toEqual(['h_ost', 'ocsecd', '321', 'bad_action_x']);
    expect(line).not.toContain('\n');
  });

  it('a message over the limit drops the event data but stays valid JSON naming seq and hash', () => {
    const big = formatRfc5424(event('exec_start', { argv: ['/usr/bin/echo', 'x'.repeat(20_000)] }), { ...format, maxBytes: 2048 });
    expect(big.length).toBeLessThanOrEqual(2048);
    const doc = JSON.parse(RFC5424.exec(big.toString('utf8'))![8]!);
    expect(doc.ocsec).toMatchObject({ seq: 7, hash: 'b'.repeat(64), truncated: true });
    expect(doc.ocsec.original_bytes).toBeGreaterThan(20_000);
  });
});

function memoryDb(sql = ''): Db {
  const db = new Database(':memory:');
  if (sql) db.exec(sql);
  return db as unknown as Db;
}

const JOBS = [
  { name: 'audit-verify', schedule: '0 17 * * * *', running: false, nextRunAt: '2026-01-01T01:17:00.000Z', lastRunAt: '2026-01-01T00:17:00.000Z', lastDurationMs: 12, lastError: null, runs: 3 },
  { name: 'port-sample', schedule: '0 * * * * *', running: false, nextRunAt: null, lastRunAt: null, lastDurationMs: null, lastError: 'boom "x"\nline', runs: 0 },
];
const EXPORTS: ExportSinkStatus[] = [
  { name: 'jsonl', enabled: true, target: '/x', cursorSeq: 40, delivered: 40, failures: 2, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null },
  { name: 'syslog', enabled: false, target: null, cursorSeq: null, delivered: 0, failures: 0, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null },
];

function input(db: Db, extra: Partial<MetricsInput> = {}): MetricsInput {
  return { version: '1.2.3', nowMs: Date.UTC(2026, 0, 1, 1), startedAtMs: Date.UTC(2026, 0, 1), db, pendingApprovals: 2, activeSessions: 1, jobs: JOBS, audit: { headSeq: 42, lastVerify: { ok: true, atMs: Date.UTC(2026, 0, 1, 0, 17) } }, exports: EXPORTS, ...extra };
}

describe('metrics', () => {
  it('renders valid exposition text with the counts it was given', () => {
    const parsed = parseExposition(renderExposition(collectMetrics(input(memoryDb()))));
    const value = (name: string, labels: Record<string, string> = {}) => parsed.samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    expect(value('ocsec_pending_approvals')).toBe(2);
    expect(value('ocsec_elevated_sessions')).toBe(1);
    expect(value('ocsec_audit_chain_length')).toBe(42);
    expect(value('ocsec_audit_chain_verified')).toBe(1);
    expect(value('ocsec_job_last_run_timestamp_seconds', { job: 'audit-verify' })).toBe(Date.UTC(2026, 0, 1, 0, 17) / 1000);
    expect(value('ocsec_job_last_duration_seconds', { job: 'audit-verify' })).toBe(0.012);
    expect(value('ocsec_job_last_run_failed', { job: 'port-sample' })).toBe(1);
    expect(value('ocsec_job_last_run_timestamp_seconds', { job: 'port-sample' })).toBeUndefined();
    expect(value('ocsec_export_failures_total', { sink: 'jsonl' })).toBe(2);
    expect(value('ocsec_export_lag_events', { sink: 'jsonl' })).toBe(2);
    expect(value('ocsec_export_failures_total', { sink: 'syslog' })).toBeUndefined();
    expect(value('ocsec_info', { version: '1.2.3' })).toBe(1);
    expect(parsed.type.get('ocsec_job_runs_total')).toBe('counter');
  });

  it('without findings or compliance tables: no invented numbers, and *_source_present says so', () => {
    const parsed = parseExposition(renderExposition(collectMetrics(input(memoryDb()))));
    expect(parsed.samples.find((s) => s.name === 'ocsec_findings_source_present')?.value).toBe(0);
    expect(parsed.samples.filter((s) => s.name === 'ocsec_findings_open')).toEqual([]);
    expect(parsed.samples.find((s) => s.name === 'ocsec_compliance_source_present')?.value).toBe(0);
  });

  it('counts open findings by type and severity, and the latest compliance run by status, from whatever tables exist', () => {
    const db = memoryDb(`
      CREATE TABLE network_findings (id INTEGER PRIMARY KEY, monitor TEXT, key TEXT, type TEXT, severity TEXT, resolved_at TEXT);
      INSERT INTO network_findings (type, severity, resolved_at) VALUES ('public-bind','medium',NULL),('public-bind','medium',NULL),('insecure-port','high',NULL),('insecure-port','high','2026-01-01');
      CREATE TABLE compliance_results (run_id INTEGER, check_id TEXT, status TEXT);
      INSERT INTO compliance_results VALUES (1,'a','violation'),(1,'b','violation'),(2,'a','compliant'),(2,'b','violation'),(2,'c','partial');
    `);
    expect(openFindings(db)).toEqual({ present: true, counts: [{ type: 'insecure-port', severity: 'high', count: 1 }, { type: 'public-bind', severity: 'medium', count: 2 }] });
    expect(latestComplianceCounts(db)).toEqual({ present: true, counts: [{ status: 'compliant', count: 1 }, { status: 'partial', count: 1 }, { status: 'violation', count: 1 }] });
    const parsed = parseExposition(renderExposition(collectMetrics(input(db))));
    expect(parsed.samples.filter((s) => s.name === 'ocsec_findings_open').map((s) => [s.labels.type, s.labels.severity, s.value])).toEqual([
      ['insecure-port', 'high', 1],
      ['public-bind', 'medium', 2],
    ]);
  });

  it('escapes label values and help text', () => {
    const text = renderExposition([{ name: 'x_total', help: 'a\\b\nc', type: 'counter', samples: [{ labels: { job: 'q"u\\o\nte' }, value: 1 }] }]);
    expect(text).toBe('# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{job="q\\"u\\\\o\\nte"} 1\n');
    expect(parseExposition(text).samples[0]!.labels.job).toBe('q"u\\o\nte');
  });

  it('the parser used here rejects what node_exporter would (so the checks above can fail)', () => {
    expect(() => parseExposition('x 1')).toThrow(/newline/);
    expect(() => parseExposition('x{a="1",a="2"} 1\n')).toThrow(/duplicate label/);
    expect(() => parseExposition('x one\n')).toThrow(/bad value/);
    expect(() => parseExposition('x 1\n# TYPE x gauge\n')).toThrow(/after its samples/);
    expect(() => parseExposition('x 1\nx 2\n')).toThrow(/duplicate series/);
  });

  it('writeTextfile replaces the file atomically with the given mode and leaves no temp file', () => {
    const dir = dirs.make();
    const path = join(dir, 'ocsec.prom');
    writeTextfile(path, 'a 1\n', 0o644);
    const inode = statSync(path).ino;
    writeTextfile(path, 'a 2\n', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('a 2\n');
    expect(statSync(path).ino).not.toBe(inode);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdir(dir)).toEqual(['ocsec.prom']);
  });

  it('writeTextfile replaces a planted symlink instead of writing through it', () => {
    const dir = dirs.make();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'ocsec.prom'));
    writeTextfile(join(dir, 'ocsec.prom'), 'a 1\n', 0o644);
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(join(dir, 'ocsec.prom')).isSymbolicLink()).toBe(false);
  });
});

function readdir(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('RotatingJsonlFile', () => {
  const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ i: from + i, pad: 'x'.repeat(90) }));

  it('rotates by size into .1 … .N, drops the oldest, and never splits a batch', () => {
    const dir = dirs.make();
    const path = join(dir, 'events.jsonl');
    const file = new RotatingJsonlFile({ path, maxBytes: 1000, maxFiles: 2, mode: 0o640 });
    for (let b = 0; b < 8; b++) file.append(lines(4, b * 4));
    file.close();
    expect(readdir(dir)).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
    const all = ['events.jsonl.2', 'events.jsonl.1', 'events.jsonl'].flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i));
    expect(all).toEqual(Array.from({ length: all.length }, (_, k) => all[0]! + k)); // contiguous, newest last
    expect(all.at(-1)).toBe(31);
    for (const f of readdir(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1000);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('refuses to follow a symlink planted at the path', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'target'), 'keep');
    symlinkSync(join(dir, 'target'), join(dir, 'events.jsonl'));
    const file = new RotatingJsonlFile({ path: join(dir, 'events.jsonl'), maxBytes: 1 << 20, maxFiles: 2, mode: 0o640 });
    expect(() => file.append(['{}'])).toThrow(/ELOOP/);
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('keep');
  });

  it.skipIf(process.geteuid?.() !== 0)('refuses a file at the path that another user owns: not written, not chmodded', () => {
    const dir = dirs.make();
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, 'theirs\n');
    chmodSync(path, 0o666);
    chownSync(path, 65534, 65534);
    const file = new RotatingJsonlFile({ path, maxBytes: 1 << 20, maxFiles: 2, mode: 0o640 });
    expect(() => file.append(['{}'])).toThrow(`${path} is owned by uid 65534, not ocsecd's (0); not written`);
    expect(statSync(path).mode & 0o777).toBe(0o666);
    expect(readFileSync(path, 'utf8')).toBe('theirs\n');
  });

  it('refuses a FIFO planted at the path instead of blocking on it', () => {
    const dir = dirs.make();
    const path = join(dir, 'events.jsonl');
    execFileSync('mkfifo', ['-m', '0666', path]);
    const file = new RotatingJsonlFile({ path, maxBytes: 1 << 20, maxFiles: 2, mode: 0o640 });
    expect(() => file.append(['{}'])).toThrow(/ENXIO/);
    expect(statSync(path).mode & 0o777).toBe(0o666);
  });

  it.each([
    ['0640', true, 0o640, null],
    ['0600', true, 0o600, null],
    ['0644', false, null, /^must give other users no access \(the events carry argv, cwd and reasons\)/],
    ['0604', false, null, /^must give other users no access/],
    ['0642', false, null, /^must not be executable or writable by others/],
  ])('exports.jsonl.file_mode %s allowed: %s', (text, allowed, mode, message) => {
    const r = exportsConfigSchema.safeParse({ jsonl: { file_mode: text } });
    if (allowed) expect(r.success && r.data.jsonl.file_mode).toBe(mode);
    else expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['jsonl.file_mode', expect.stringMatching(message!)]]);
  });

  it('starts a new file when someone else moved the current one away (logrotate)', () => {
    const dir = dirs.make();
    const path = join(dir, 'events.jsonl');
    const file = new RotatingJsonlFile({ path, maxBytes: 1 << 20, maxFiles: 2, mode: 0o640 });
    file.append(['{"a":1}']);
    renameSync(path, `${path}.old`);
    file.append(['{"a":2}']);
    file.close();
    expect(readFileSync(path, 'utf8')).toBe('{"a":2}\n');
    expect(readFileSync(`${path}.old`, 'utf8')).toBe('{"a":1}\n');
  });

  it('a directory that does not exist is an error, and the same append works once it does', () => {
    const dir = join(dirs.make(), 'missing');
    const file = new RotatingJsonlFile({ path: join(dir, 'e.jsonl'), maxBytes: 1 << 20, maxFiles: 2, mode: 0o640 });
    expect(() => file.append(['{"a":1}'])).toThrow(/ENOENT/);
    expect(existsSync(dir)).toBe(false);
    mkdirSync(dir);
    file.append(['{"a":1}']);
    file.close();
    expect(readFileSync(join(dir, 'e.jsonl'), 'utf8')).toBe('{"a":1}\n');
  });
});
