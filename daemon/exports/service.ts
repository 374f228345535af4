/**
 * Feeds the audit trail to the fleet's pipeline: every committed event goes to the JSON-lines file and the
 * syslog socket from a cursor kept per sink, and the Prometheus textfile is rewritten on a schedule. The
 * audit database stays the source: a sink that fails is logged, counted and retried with backoff from its
 * cursor, so it never blocks an append, never crashes the daemon and never skips an event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants, hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Layout } from '../../client/layout.js';
import type { AuditEvent, ExportSinkStatus, JobStatus } from '../../client/protocol.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Scheduler } from '../jobs.js';
import type { Db } from '../store/db.js';
import { SYSLOG_FACILITIES, type ExportsConfig } from './config.js';
import { asciiJson, toEcs } from './ecs.js';
import { RotatingJsonlFile } from './jsonl-sink.js';
import { collectMetrics, renderExposition, writeTextfile } from './metrics.js';
import { formatRfc5424 } from './syslog.js';
import { SocketError, UnixDatagramSender } from './unix-dgram.js';

type EventSinkName = 'jsonl' | 'syslog';

interface EventSink {
  name: EventSinkName;
  target: string;
  deliver(events: readonly AuditEvent[]): void;
  close(): void;
}

interface SinkState {
  delivered: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  retryTimer: TimerHandle | null;
}

export interface ExportDeps {
  config: ExportsConfig;
  textfileSchedule: string;
  layout: Layout;
  db: Db;
  audit: AuditTrail;
  scheduler: Scheduler;
  clock: Clock;
  log: Logger;
  version: string;
  startedAt: number;
  platform?: NodeJS.Platform;
  hostname?: string;
  /** Read-only counts for the metrics file. */
  pendingApprovals: () => number;
  activeSessions: () => number;
  lastVerify: () => { ok: boolean; atMs: number } | null;
}

const BATCH = 500;
/** Batches per turn of the event loop before yielding, so a large backlog never starves the RPC socket. */
const BATCHES_PER_TURN = 4;
const MAX_BACKOFF_MS = 60_000;
/** A full receive queue (EAGAIN, ENOBUFS) drains in milliseconds. */
const BUSY_RETRY_MS = 100;

function isBackpressure(err: unknown): boolean {
  return err instanceof SocketError && (err.errno === osConstants.errno.EAGAIN || err.errno === osConstants.errno.ENOBUFS);
}
export const TEXTFILE_JOB = 'prometheus-textfile';

export function defaultSyslogSocket(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? '/var/run/syslog' : '/dev/log';
}

function freshState(): SinkState {
  return { delivered: 0, failures: 0, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null, retryTimer: null };
}

export class ExportService {
  private readonly sinks: EventSink[] = [];
  private readonly state = new Map<string, SinkState>();
  private cursors: Record<string, number> = {};
  private unsubscribe: (() => void) | null = null;
  private scheduled = false;
  private stopped = false;
  private readonly host: string;
  private readonly cursorFile: string;

  constructor(private readonly deps: ExportDeps) {
    this.host = deps.hostname ?? hostname();
    this.cursorFile = join(deps.layout.securityDir, 'export-cursors.json');
    const { jsonl, syslog, prometheus_textfile } = deps.config;
    const platform = deps.platform ?? process.platform;
    if (jsonl.enabled && jsonl.path) {
      const file = new RotatingJsonlFile({ path: jsonl.path, maxBytes: jsonl.max_bytes, maxFiles: jsonl.max_files, mode: jsonl.file_mode });
      const ecs = { hostname: this.host, version: deps.version };
      const deliver = (events: readonly AuditEvent[]) => {
        file.append(events.map((e) => asciiJson(toEcs(e, ecs))));
        this.advance('jsonl', events[events.length - 1]!.seq, events.length);
      };
      this.sinks.push({ name: 'jsonl', target: jsonl.path, deliver, close: () => file.close() });
    }
    if (syslog.enabled) {
      const socket = syslog.socket ?? defaultSyslogSocket(platform);
      const sender = new UnixDatagramSender(socket);
      const format = { hostname: this.host, version: deps.version, facility: SYSLOG_FACILITIES[syslog.facility], appName: syslog.app_name, pid: process.pid, maxBytes: syslog.max_message_bytes };
      this.sinks.push({ name: 'syslog', target: socket, deliver: (events) => events.forEach((e) => this.sendSyslog(sender, e, format)), close: () => sender.close() });
    }
    for (const s of this.sinks) this.state.set(s.name, freshState());
    if (prometheus_textfile.enabled) this.state.set('prometheus_textfile', freshState());
  }

  /** A datagram at a time; the cursor advances per event, so a failure mid-batch resends only what did not go. */
  private sendSyslog(sender: UnixDatagramSender, e: AuditEvent, format: Parameters<typeof formatRfc5424>[1]): void {
    sender.send(formatRfc5424(e, format));
    this.advance('syslog', e.seq, 1);
  }

  start(): void {
    this.cursors = this.readCursors();
    if (this.sinks.length > 0) {
      this.unsubscribe = this.deps.audit.onAppend(() => this.schedule());
      this.schedule();
    }
    if (this.deps.config.prometheus_textfile.enabled) {
      this.deps.scheduler.add({ name: TEXTFILE_JOB, schedule: this.deps.textfileSchedule, run: () => this.writeMetrics() });
    }
  }

  private readCursors(): Record<string, number> {
    if (!existsSync(this.cursorFile)) return {};
    try {
      const parsed = JSON.parse(readFileSync(this.cursorFile, 'utf8')) as { cursors?: Record<string, unknown> };
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(parsed.cursors ?? {})) if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out[k] = v;
      return out;
    } catch (err) {
      // Starting over re-sends events (duplicates carry the same event.id); skipping them would lose some.
      this.deps.log.error({ err, path: this.cursorFile }, 'export cursors unreadable; exporting again from the first event');
      return {};
    }
  }

  private saveCursors(): void {
    try {
      writeTextfile(this.cursorFile, JSON.stringify({ version: 1, cursors: this.cursors }) + '\n', 0o600);
    } catch (err) {
      // Losing cursor progress means duplicates after a restart, never gaps.
      this.deps.log.warn({ err, path: this.cursorFile }, 'could not save export cursors');
    }
  }

  private advance(name: EventSinkName, seq: number, count: number): void {
    this.cursors[name] = seq;
    this.state.get(name)!.delivered += count;
  }

  /** Coalesces appends: one flush per turn of the event loop, after the appending transaction has returned. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.flush(BATCHES_PER_TURN);
    });
  }

  /** Delivers up to `maxBatches` batches per sink; schedules another turn while any sink is behind and healthy. */
  flush(maxBatches: number, ignoreBackoff = false): void {
    let behind = false;
    let progressed = false;
    for (const sink of this.sinks) {
      const st = this.state.get(sink.name)!;
      if (st.retryTimer && !ignoreBackoff) continue;
      for (let i = 0; i < maxBatches; i++) {
        const from = this.cursors[sink.name] ?? 0;
        let count = 0;
        try {
          const events = this.deps.audit.after(from, BATCH);
          count = events.length;
          if (count === 0) break;
          sink.deliver(events);
          progressed = true;
          this.succeeded(sink.name, st);
        } catch (err) {
          const movedOn = (this.cursors[sink.name] ?? 0) > from;
          progressed = progressed || movedOn;
          // A receiver that took part of the batch is alive: retry soon rather than backing off further.
          if (movedOn) st.consecutiveFailures = 0;
          this.failed(sink.name, sink.target, st, err);
          break;
        }
        if (count === BATCH && i === maxBatches - 1) behind = true;
      }
    }
    if (progressed) this.saveCursors();
    if (behind) this.schedule();
  }

  private succeeded(name: string, st: SinkState): void {
    if (st.consecutiveFailures > 0) this.deps.log.info({ sink: name, failedAttempts: st.consecutiveFailures }, 'export recovered');
    st.consecutiveFailures = 0;
    st.lastError = null;
    st.lastSuccessAt = this.deps.clock.now();
  }

  private failed(name: string, target: string, st: SinkState, err: unknown): void {
    st.failures++;
    st.consecutiveFailures++;
    st.lastError = (err as Error)?.message ?? String(err);
    st.lastFailureAt = this.deps.clock.now();
    const busy = isBackpressure(err);
    // One line per outage, not one per attempt; a receiver that is merely busy is not an outage.
    if (st.consecutiveFailures === 1) {
      if (busy) this.deps.log.warn({ sink: name, target, error: st.lastError }, 'export receiver is busy; retrying shortly');
      else this.deps.log.error({ sink: name, target, err }, 'export failed; retrying with backoff (audit events are kept and will be sent)');
    } else this.deps.log.debug({ sink: name, attempts: st.consecutiveFailures, error: st.lastError }, 'export still failing');
    if (name === 'prometheus_textfile' || this.stopped) return;
    const delay = busy ? BUSY_RETRY_MS : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(st.consecutiveFailures - 1, 6));
    if (st.retryTimer) this.deps.clock.clearTimeout(st.retryTimer);
    st.retryTimer = this.deps.clock.setTimeout(() => {
      st.retryTimer = null;
      this.schedule();
    }, delay);
  }

  writeMetrics(): void {
    const cfg = this.deps.config.prometheus_textfile;
    const st = this.state.get('prometheus_textfile');
    if (!cfg.enabled || !cfg.path || !st) return;
    try {
      const text = renderExposition(
        collectMetrics({
          version: this.deps.version,
          nowMs: this.deps.clock.now(),
          startedAtMs: this.deps.startedAt,
          db: this.deps.db,
          pendingApprovals: this.deps.pendingApprovals(),
          activeSessions: this.deps.activeSessions(),
          jobs: this.jobs(),
          audit: { headSeq: this.deps.audit.head().seq, lastVerify: this.deps.lastVerify() },
          exports: this.status(),
        }),
      );
      writeTextfile(cfg.path, text, cfg.file_mode);
      st.delivered++;
      this.succeeded('prometheus_textfile', st);
    } catch (err) {
      this.failed('prometheus_textfile', cfg.path, st, err);
    }
  }

  private jobs(): JobStatus[] {
    return this.deps.scheduler.status();
  }

  status(): ExportSinkStatus[] {
    const { jsonl, syslog, prometheus_textfile } = this.deps.config;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const row = (name: ExportSinkStatus['name'], enabled: boolean, target: string | null, cursor: boolean): ExportSinkStatus => {
      const st = this.state.get(name) ?? freshState();
      return {
        name,
        enabled,
        target,
        cursorSeq: cursor && enabled ? (this.cursors[name] ?? 0) : null,
        delivered: st.delivered,
        failures: st.failures,
        consecutiveFailures: st.consecutiveFailures,
        lastError: st.lastError,
        lastSuccessAt: iso(st.lastSuccessAt),
        lastFailureAt: iso(st.lastFailureAt),
      };
    };
    return [
      row('jsonl', jsonl.enabled, jsonl.path, true),
      row('syslog', syslog.enabled, syslog.enabled ? (syslog.socket ?? defaultSyslogSocket(this.deps.platform ?? process.platform)) : syslog.socket, true),
      row('prometheus_textfile', prometheus_textfile.enabled, prometheus_textfile.path, false),
    ];
  }

  /** At shutdown, after the last audit event (daemon.stop): one more delivery attempt for everything pending. */
  drain(): void {
    if (this.stopped) return;
    this.flush(Number.MAX_SAFE_INTEGER, true);
    if (this.deps.config.prometheus_textfile.enabled) this.writeMetrics();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const st of this.state.values()) {
      if (st.retryTimer) this.deps.clock.clearTimeout(st.retryTimer);
      st.retryTimer = null;
    }
    for (const sink of this.sinks) sink.close();
  }
}
