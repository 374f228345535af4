/** Assembles and runs ocsecd: state dir, store, audit trail, jobs and the RPC socket; stops them in order. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { layoutFor, type Layout } from '../client/layout.js';
import { VERSION } from '../client/version.js';
import { AuditTrail, type Actor } from './audit/trail.js';
import { systemClock, type Clock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { Scheduler } from './jobs.js';
import { platformPeerCredentialReader, type PeerCredentialReader, type PeerCredentials } from './peer-credentials.js';
import type { DaemonServices } from './rpc/context.js';
import { RpcDispatcher } from './rpc/dispatch.js';
import { methodTable } from './rpc/table.js';
import { assertSocketPathFits, probeExistingSocket, removeStaleSocket, SocketStartupError, startServer } from './server.js';
import { prepareStateDir } from './state-dir.js';
import { openStore } from './store/db.js';
import type { ChainBreak } from '../client/protocol.js';

export interface DaemonOptions {
  stateDir: string;
  log: Logger;
  clock?: Clock;
  /** Replaces the platform's peer-credential reader (tests of the refusal path on one uid). */
  readPeer?: PeerCredentialReader;
  /** Overrides ocsec.json (tests). */
  config?: Config;
}

export interface RunningDaemon {
  layout: Layout;
  services: DaemonServices;
  server: FastifyInstance;
  stop(reason: string): Promise<void>;
}

/** Refused peers are audited, at most one event per uid a minute with a count, so a flood cannot bloat the trail. */
function peerRefusalAuditor(audit: AuditTrail, self: Actor, clock: Clock, log: Logger) {
  const window = new Map<string, { lastAt: number; suppressed: number }>();
  return (peer: PeerCredentials | null, reason: string) => {
    const key = String(peer?.uid ?? 'unknown');
    const now = clock.now();
    const seen = window.get(key);
    log.warn({ peerUid: peer?.uid, peerPid: peer?.pid, reason }, 'refused a connection');
    if (seen && now - seen.lastAt < 60_000) {
      seen.suppressed++;
      return;
    }
    window.set(key, { lastAt: now, suppressed: 0 });
    try {
      audit.append({
        action: 'peer.refused',
        actor: { uid: peer?.uid ?? -1, pid: peer?.pid ?? -1 },
        subject: 'rpc-socket',
        data: { reason, peer_uid: peer?.uid ?? null, peer_pid: peer?.pid ?? null, suppressed_since_last: seen?.suppressed ?? 0, daemon_pid: self.pid },
      });
    } catch (err) {
      log.error({ err }, 'could not audit a refused peer');
    }
  };
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const log = opts.log;
  const clock = opts.clock ?? systemClock;
  const layout = layoutFor(opts.stateDir);
  assertSocketPathFits(layout.socketPath);
  prepareStateDir(layout, log);
  const loaded = opts.config ? { config: opts.config, sha256: null } : loadConfig(layout.configPath);
  const config = loaded.config;

  const existing = await probeExistingSocket(layout.socketPath);
  if (existing.state === 'live') {
    throw new SocketStartupError(
      existing.pid !== null
        ? `ocsecd is already running (pid ${existing.pid}) on ${layout.socketPath}`
        : `${layout.socketPath} is in use by a process that does not answer as ocsecd; stop it or remove the socket`,
    );
  }
  if (existing.state === 'stale') {
    log.warn({ path: layout.socketPath }, 'removing a stale socket left by a daemon that did not stop cleanly');
    removeStaleSocket(layout.socketPath);
  }

  const readPeer = opts.readPeer ?? platformPeerCredentialReader();
  const { db, migratedFrom, schemaVersion } = openStore({ path: layout.dbPath });
  if (migratedFrom !== schemaVersion) log.info({ from: migratedFrom, to: schemaVersion }, 'database migrated');

  const ownUid = process.getuid?.() ?? -1;
  const self: Actor = { uid: ownUid, pid: process.pid };
  const audit = new AuditTrail(db, layout.auditMirrorPath, clock, log);
  audit.openMirror();
  const shutdown = new AbortController();
  const scheduler = new Scheduler(clock, log);
  const services: DaemonServices = {
    layout,
    config,
    db,
    audit,
    scheduler,
    clock,
    log,
    version: VERSION,
    schemaVersion,
    startedAt: clock.now(),
    startedMono: clock.monotonic(),
    shutdown: shutdown.signal,
  };

  const previousHead = audit.head();
  audit.append({
    action: 'daemon.start',
    actor: self,
    subject: 'ocsecd',
    data: { version: VERSION, pid: process.pid, config_sha256: loaded.sha256, schema_version: schemaVersion, previous_head_seq: previousHead.seq },
  });

  let lastReportedBreak: string | null = null;
  const verifyAndAlert = (): void => {
    const report = audit.verify();
    log.info({ ok: report.ok, headSeq: report.headSeq, headHash: report.headHash, count: report.count }, 'audit chain verified');
    if (report.ok) {
      lastReportedBreak = null;
      return;
    }
    const breakKey = JSON.stringify(report.firstBreak);
    log.error({ firstBreak: report.firstBreak }, 'audit chain is broken');
    if (breakKey === lastReportedBreak) return;
    lastReportedBreak = breakKey;
    audit.append({ action: 'audit.integrity_alert', actor: self, subject: 'audit-trail', data: { first_break: report.firstBreak as ChainBreak } });
  };
  verifyAndAlert();
  scheduler.add({ name: 'audit-verify', schedule: config.schedules.audit_verify, run: verifyAndAlert });

  const dispatcher = new RpcDispatcher(methodTable, services, log);
  let server: FastifyInstance;
  try {
    server = await startServer({
      socketPath: layout.socketPath,
      dispatcher,
      readPeer,
      ownUid,
      log,
      shutdown: shutdown.signal,
      onPeerRefused: peerRefusalAuditor(audit, self, clock, log),
    });
  } catch (err) {
    audit.closeMirror();
    db.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new SocketStartupError(`ocsecd is already running on ${layout.socketPath} (it started at the same moment)`);
    throw err;
  }
  scheduler.start();
  log.info({ socket: layout.socketPath, version: VERSION, pid: process.pid, headSeq: audit.head().seq, headHash: audit.head().hash }, 'ocsecd listening');

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'ocsecd stopping');
      shutdown.abort();
      scheduler.stop();
      await server.close(); // stops accepting, lets in-flight requests finish
      try {
        audit.append({
          action: 'daemon.stop',
          actor: self,
          subject: 'ocsecd',
          data: { reason, uptime_seconds: Math.round((clock.monotonic() - services.startedMono) / 1000) },
        });
      } catch (err) {
        log.error({ err }, 'could not audit the stop');
      }
      log.info({ headSeq: audit.head().seq, headHash: audit.head().hash }, 'audit head at stop');
      audit.closeMirror();
      db.close();
      removeStaleSocket(layout.socketPath);
    })();
    return stopping;
  };

  return { layout, services, server, stop };
}
