// Covers the fleet exports in a running daemon: every audit event reaches the JSONL file and the syslog socket, the
// Prometheus textfile is written on schedule, failing sinks are counted and retried without losing or blocking anything.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OcsecClient } from '../../client/rpc-client.js';
import { ManualClock } from '../../daemon/clock.js';
import { configSchema } from '../../daemon/config.js';
import { TEXTFILE_JOB } from '../../daemon/exports/service.js';
import { startDaemon } from '../../daemon/ocsecd.js';
import { advanceStepwise } from '../helpers/clock.js';
import { startTestDaemon, tempStateDir, type TestDaemon } from '../helpers/daemon.js';
import { parseExposition } from '../helpers/prom-text.js';
import { flushPromises, tempDirs } from '../helpers/tmp.js';
import { DatagramReceiver } from '../helpers/unix-dgram.js';

const dirs = tempDirs('ocsec-exp-');
const running: TestDaemon[] = [];
const receivers: DatagramReceiver[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const r of receivers.splice(0)) r.close();
  dirs.cleanup();
});

function exportsConfig(out: string, over: Record<string, unknown> = {}) {
  return configSchema.parse({
    exports: {
      jsonl: { enabled: true, path: join(out, 'events', 'ocsec.jsonl'), max_bytes: 64 * 1024, max_files: 3 },
      syslog: { enabled: true, socket: join(out, 'log.sock') },
      prometheus_textfile: { enabled: true, path: join(out, 'metrics', 'ocsec.prom') },
      ...over,
    },
    schedules: { prometheus_textfile: '*/15 * * * * *' },
  });
}

async function start(out: string, opts: { stateDir?: string; over?: Record<string, unknown>; clock?: ManualClock } = {}) {
  const d = await startTestDaemon({ stateDir: opts.stateDir ?? tempStateDir(), config: exportsConfig(out, opts.over), clock: opts.clock ?? new ManualClock(Date.UTC(2026, 0, 1)) });
  running.push(d);
  return d;
}

/** Lets the exporter's coalesced flushes run (each is one setImmediate turn). */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await flushPromises();
}

function jsonl(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
}

const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[.*?\])+ (\{.*\})$/s;

function appendEvents(d: TestDaemon, n: number, action = 'test.event'): void {
  for (let i = 0; i < n; i++) d.daemon.services.audit.append({ action, actor: { uid: 1000, pid: 77 }, subject: `s${i}`, data: { i, argv: ['/usr/bin/id', '-u'] } });
}

describe('exports in a running daemon', () => {
  it('writes every audit event as an ECS line and a syslog datagram, in order, once', async () => {
    const out = dirs.make();
    mkdirSync(join(out, 'events'));
    mkdirSync(join(out, 'metrics'));
    const rx = new DatagramReceiver(join(out, 'log.sock'));
    receivers.push(rx);
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const d = await start(out, { clock });
    appendEvents(d, 30);
    // The socket queues only a few datagrams (net.unix.max_dgram_qlen): read them as a syslog daemon would,
    // letting the exporter's short busy-retry run in between.
    const grams: string[] = [];
    for (let i = 0; i < 50; i++) {
      await settle();
      grams.push(...rx.drain());
      await advanceStepwise(clock, 100, 100);
    }
    const head = d.daemon.services.audit.head().seq;
    const lines = jsonl(join(out, 'events', 'ocsec.jsonl'));
    expect(lines.map((l) => l.event.sequence)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    for (const l of lines) {
      expect(l).toMatchObject({ ecs: { version: expect.any(String) }, event: { action: expect.any(String), outcome: expect.stringMatching(/^(success|failure|unknown)$/), id: expect.stringMatching(/^[0-9a-f]{64}$/) }, user: { id: expect.any(String) } });
      expect(Date.parse(l['@timestamp'])).not.toBeNaN();
    }
    expect(lines[0]!.event.action).toBe('daemon.start');
    expect(lines.at(-1)).toMatchObject({ event: { action: 'test.event' }, process: { pid: 77, args: ['/usr/bin/id', '-u'] }, ocsec: { subject: 's29', data: { i: 29 } } });
    expect(grams).toHaveLength(head);
    const parsed = grams.map((g) => RFC5424.exec(g)!);
    expect(parsed.every((m) => m !== null)).toBe(true);
    expect(parsed.map((m) => JSON.parse(m[8]!).event.sequence)).toEqual(lines.map((l) => l.event.sequence));
    expect(parsed.at(-1)![6]).toBe('test.event');
    expect(Number(parsed[0]![1]) >> 3).toBe(10); // authpriv
    const status = await d.client.call('exports.status');
    expect(status.sinks.find((s) => s.name === 'jsonl')).toMatchObject({ enabled: true, cursorSeq: head, delivered: head, failures: 0 });
    // Each full queue counted as a failure (the receiver was busy), none left outstanding.
    expect(status.sinks.find((s) => s.name === 'syslog')).toMatchObject({ enabled: true, cursorSeq: head, delivered: head, consecutiveFailures: 0, lastError: null });
  });

  it('writes the Prometheus textfile on its schedule, in valid exposition format, with live counts', async () => {
    const out = dirs.make();
    mkdirSync(join(out, 'events'));
    mkdirSync(join(out, 'metrics'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const d = await start(out, { clock, over: { syslog: { enabled: false } } });
    const prom = join(out, 'metrics', 'ocsec.prom');
    expect(existsSync(prom)).toBe(false);
    await advanceStepwise(clock, 15_000);
    const parsed = parseExposition(readFileSync(prom, 'utf8'));
    const value = (name: string, labels: Record<string, string> = {}) => parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('ocsec_audit_chain_length')).toBe(d.daemon.services.audit.head().seq);
    expect(value('ocsec_audit_chain_verified')).toBe(1);
    expect(value('ocsec_pending_approvals')).toBe(0);
    expect(value('ocsec_elevated_sessions')).toBe(0);
    expect(value('ocsec_findings_source_present')).toBeDefined();
    expect(value('ocsec_export_delivered_total', { sink: 'jsonl' })).toBeGreaterThan(0);
    expect(value('ocsec_textfile_generated_timestamp_seconds')).toBe(Date.UTC(2026, 0, 1, 0, 0, 15) / 1000);
    expect(statMode(prom)).toBe(0o644);
    const job = (await d.client.call('daemon.status')).jobs.find((j) => j.name === TEXTFILE_JOB)!;
    expect(job).toMatchObject({ runs: 1, lastError: null });
    // The job that wrote the file shows up in it next time.
    await advanceStepwise(clock, 15_000);
    expect(parseExposition(readFileSync(prom, 'utf8')).samples.some((s) => s.name === 'ocsec_job_last_run_timestamp_seconds' && s.labels.job === TEXTFILE_JOB)).toBe(true);
  });

  it('a failing sink is counted and retried with backoff; the daemon keeps answering; the backlog arrives complete once it recovers', async () => {
    const out = dirs.make(); // events/ and the syslog socket do not exist yet
    mkdirSync(join(out, 'metrics'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const d = await start(out, { clock });
    appendEvents(d, 10);
    await settle();
    const failing = await d.client.call('exports.status');
    for (const name of ['jsonl', 'syslog'] as const) {
      const s = failing.sinks.find((x) => x.name === name)!;
      expect(s.failures).toBeGreaterThan(0);
      expect(s.consecutiveFailures).toBeGreaterThan(0);
      expect(s.cursorSeq).toBe(0);
      expect(s.lastError).toMatch(/ENOENT/);
    }
    appendEvents(d, 5); // while in backoff: no attempt per event
    await settle();
    const attempts = (await d.client.call('exports.status')).sinks.find((x) => x.name === 'jsonl')!.failures;
    expect(attempts).toBe(failing.sinks.find((x) => x.name === 'jsonl')!.failures);
    expect((await d.client.call('daemon.status')).audit.headSeq).toBe(d.daemon.services.audit.head().seq);

    mkdirSync(join(out, 'events'));
    const rx = new DatagramReceiver(join(out, 'log.sock'));
    receivers.push(rx);
    const grams: string[] = [];
    for (let i = 0; i < 40; i++) {
      await advanceStepwise(clock, 500, 100);
      await settle();
      grams.push(...rx.drain());
    }
    const head = d.daemon.services.audit.head().seq;
    expect(jsonl(join(out, 'events', 'ocsec.jsonl')).map((l) => l.event.sequence)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(grams.map((g) => JSON.parse(RFC5424.exec(g)![8]!).event.sequence)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const recovered = await d.client.call('exports.status');
    expect(recovered.sinks.find((x) => x.name === 'jsonl')).toMatchObject({ consecutiveFailures: 0, lastError: null, cursorSeq: head });
  });

  it('resumes from its cursor after a restart: no event twice, none missing, daemon.stop included', async () => {
    const out = dirs.make();
    mkdirSync(join(out, 'events'));
    mkdirSync(join(out, 'metrics'));
    const stateDir = tempStateDir();
    const first = await startTestDaemonKeepingState(out, stateDir);
    appendEvents(first, 3);
    await settle();
    await first.daemon.stop('test');
    first.client.close();
    const afterStop = jsonl(join(out, 'events', 'ocsec.jsonl'));
    expect(afterStop.at(-1)!.event.action).toBe('daemon.stop');
    const second = await startTestDaemonKeepingState(out, stateDir);
    appendEvents(second, 2);
    await settle();
    const seqs = jsonl(join(out, 'events', 'ocsec.jsonl')).map((l) => l.event.sequence as number);
    expect(seqs).toEqual(Array.from({ length: second.daemon.services.audit.head().seq }, (_, i) => i + 1));
    await second.daemon.stop('test');
    second.client.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('backfills the existing history when a sink is first enabled', async () => {
    const out = dirs.make();
    mkdirSync(join(out, 'events'));
    const stateDir = tempStateDir();
    const plain = await startTestDaemon({ stateDir, clock: new ManualClock() });
    for (let i = 0; i < 1200; i++) plain.daemon.services.audit.append({ action: 'test.bulk', actor: { uid: 1, pid: 1 }, data: { i } });
    await plain.daemon.stop('test');
    plain.client.close();
    const d = await start(out, { stateDir, over: { jsonl: { enabled: true, path: join(out, 'events', 'ocsec.jsonl'), max_bytes: 64 * 1024 * 1024 }, syslog: { enabled: false }, prometheus_textfile: { enabled: false } } });
    for (let i = 0; i < 10; i++) await settle();
    expect(jsonl(join(out, 'events', 'ocsec.jsonl')).map((l) => l.event.sequence)).toEqual(Array.from({ length: d.daemon.services.audit.head().seq }, (_, i) => i + 1));
  });
});

/** A daemon on a state dir the test keeps across restarts (startTestDaemon's stop() removes it). */
async function startTestDaemonKeepingState(out: string, stateDir: string) {
  const daemon = await startDaemon({ stateDir, log: pino({ level: 'silent' }), config: exportsConfig(out, { syslog: { enabled: false }, prometheus_textfile: { enabled: false } }), clock: new ManualClock() });
  return { daemon, client: new OcsecClient(daemon.layout.socketPath) };
}

function statMode(path: string): number {
  return statSync(path).mode & 0o777;
}
