/** Assembles and runs ocsecd: state dir, store, audit trail, jobs and the RPC socket; stops them in order. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { layoutFor, type Layout } from '../client/layout.js';
import { VERSION } from '../client/version.js';
import { AuditTrail, type Actor, type VerifyReport } from './audit/trail.js';
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
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { locateRealSudo, realSudoProblem } from '../client/real-sudo.js';
import { formatProblem } from './json-file.js';
import { EMPTY_COMMAND_POLICY, evaluateCommandPolicy } from './policy/command-policy.js';
import { classifyRisk, loadShellEscapes } from './policy/risk.js';
import { PolicyStore, type PolicyLoadEvent } from './policy/store.js';
import { ApprovalFactors } from './privilege/factors.js';
import { PrivilegeService, type PrivilegePolicies } from './privilege/service.js';
import { platformInspector, type ProcessInspector } from './procinfo.js';
import { ExportService } from './exports/service.js';
import { HostPostureService, type HostPostureOptions } from './host/posture.js';
import { SecurityAuditService, type SecurityAuditOptions } from './security-audit/service.js';
import { preferRecentPortSample, procListenerSource } from './security-audit/host.js';
import { createNetworkMonitor, type NetworkOverrides } from './network/service.js';
import { homedir } from 'node:os';
import { loadCatalog } from './compliance/catalog.js';
import { EvidenceCollector, type CollectorDeps } from './compliance/collect.js';
import { ComplianceService } from './compliance/service.js';
import { runCommand } from './security-audit/host.js';
import { systemRunner } from '../client/install/runner.js';

export interface DaemonOptions {
  stateDir: string;
  log: Logger;
  clock?: Clock;
  /** Replaces the platform's peer-credential reader (tests of the refusal path on one uid). */
  readPeer?: PeerCredentialReader;
  /** Overrides ocsec.json (tests). */
  config?: Config;
  /** Replaces /proc (tests of the self-approval rules). */
  procs?: ProcessInspector;
  /** Replaces running the real `sudo -K` (tests without sudo). */
  resetCredentials?: () => Promise<{ command: string; ok: boolean; detail: string }>;
  env?: NodeJS.ProcessEnv;
  /** Replaces /proc, `sudo -n -l` or the platform for host.posture (tests). */
  host?: Partial<Pick<HostPostureOptions, 'procRoot' | 'listSudo' | 'platform' | 'toolDirs' | 'doasConf' | 'uid'>>;
  /** Replaces the installation audit's host probes (sockets, commands, the OpenClaw package) or home directory (tests). */
  securityAudit?: Partial<Pick<SecurityAuditOptions, 'probes' | 'home' | 'skillData'>>;
  /** Replaces /proc, the socket tools, DNS or this host's addresses for the network monitor (tests). */
  network?: NetworkOverrides;
  /** Replaces the compliance evidence's command runners, home or platform, and the notifier's deadline (tests). */
  compliance?: Partial<Pick<CollectorDeps, 'run' | 'serviceRunner' | 'home' | 'platform'>> & { notifyTimeoutMs?: number };
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
  const env = opts.env ?? process.env;

  const policies = new PolicyStore({ layout, clock, log, onLoad: policyLoadAuditor(audit, self) });
  const factors = new ApprovalFactors(db, audit, clock, env.OPENCLAW_APPROVAL_TOKEN || undefined);
  const shellEscapes = loadShellEscapes();
  const privilege = new PrivilegeService({
    db,
    audit,
    clock,
    log,
    self,
    factors,
    procs: opts.procs ?? platformInspector(),
    policies: privilegePolicies(policies, layout),
    classify: (argv, mode) => classifyRisk(argv, mode, shellEscapes),
    vetRealSudo: (path) => realSudoProblem(path, [layout.binDir]),
    resetCredentials: opts.resetCredentials ?? (() => runSudoReset(config.real_sudo ?? env.OPENCLAW_REAL_SUDO, layout.binDir)),
    settings: {
      idleTimeoutMs: config.idle_timeout_minutes * 60_000,
      approvalTimeoutMs: config.approval_timeout_seconds * 1000,
      grantTtlMs: 60_000,
      outOfBandApproval: config.out_of_band_approval,
      approvalRequiresTerminal: config.approval_requires_terminal,
      requireSessionId: config.require_session_id || env.OPENCLAW_REQUIRE_SESSION_ID === '1',
      requirePolicyFiles: config.require_policy_files || env.OPENCLAW_REQUIRE_POLICY_FILES === '1',
    },
  });
  const host = new HostPostureService({ layout, env, log, ...opts.host });
  const startedAt = clock.now();
  let lastVerify: { ok: boolean; atMs: number } | null = null;
  /** The last full verification, which the compliance run reuses while it is recent rather than hashing the chain again. */
  let lastVerifyReport: { report: VerifyReport; atMs: number } | null = null;
  const exports = new ExportService({
    config: config.exports,
    textfileSchedule: config.schedules.prometheus_textfile,
    layout,
    db,
    audit,
    scheduler,
    clock,
    log,
    version: VERSION,
    startedAt,
    pendingApprovals: () => (db.prepare(`SELECT count(*) AS n FROM approval_requests WHERE state = 'pending' AND expires_at > ?`).get(new Date(clock.now()).toISOString()) as { n: number }).n,
    activeSessions: () => privilege.sessions().length,
    lastVerify: () => lastVerify,
  });
  const network = createNetworkMonitor({ config, layout, db, audit, clock, log, policies, self, env, ...(opts.network ? { overrides: opts.network } : {}) });
  const securityAudit = new SecurityAuditService({
    layout,
    db,
    audit,
    clock,
    log,
    self,
    env,
    ...opts.securityAudit,
    probes: { listeners: preferRecentPortSample(() => network.latest('ports'), procListenerSource(), () => clock.now()), ...opts.securityAudit?.probes },
  });
  const { notifyTimeoutMs, ...collectorOverrides } = opts.compliance ?? {};
  const compliance = new ComplianceService({
    layout,
    config,
    env,
    db,
    audit,
    clock,
    log,
    self,
    version: VERSION,
    catalog: loadCatalog(),
    collector: new EvidenceCollector({
      layout,
      config,
      env,
      db,
      audit,
      clock,
      log,
      self,
      home: env.HOME || homedir(),
      policies,
      factors,
      host,
      network,
      securityAudit,
      platform: process.platform,
      run: runCommand,
      serviceRunner: systemRunner,
      auditVerification: (maxAgeMs) => recentVerification(maxAgeMs),
      ...collectorOverrides,
    }),
    factors,
    procs: opts.procs ?? platformInspector(),
    shellEscapes,
    ...(notifyTimeoutMs !== undefined ? { notifyTimeoutMs } : {}),
  });
  const services: DaemonServices = {
    layout,
    config,
    db,
    audit,
    scheduler,
    policies,
    privilege,
    factors,
    securityAudit,
    network,
    host,
    exports,
    compliance,
    clock,
    log,
    version: VERSION,
    schemaVersion,
    startedAt,
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
    lastVerify = { ok: report.ok, atMs: clock.now() };
    lastVerifyReport = { report, atMs: clock.now() };
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
  /** The scheduled verification while it is younger than maxAgeMs (and not from the future), else a new one that also alerts. */
  const recentVerification = (maxAgeMs: number): { report: VerifyReport; atMs: number; reused: boolean } => {
    const cached = lastVerifyReport;
    const age = cached ? clock.now() - cached.atMs : Infinity;
    if (cached && age >= 0 && age <= maxAgeMs) return { ...cached, reused: true };
    verifyAndAlert();
    return { ...lastVerifyReport!, reused: false };
  };
  verifyAndAlert();
  policies.loadAll();
  privilege.recover();
  scheduler.add({ name: 'audit-verify', schedule: config.schedules.audit_verify, run: verifyAndAlert });
  scheduler.add(securityAudit.job(config.schedules.security_audit));
  scheduler.add(compliance.job(config.schedules.compliance));
  compliance.watchNetwork(network);
  for (const job of network.jobs(config.schedules)) scheduler.add(job);
  exports.start();

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
    privilege.stop();
    exports.stop();
    audit.closeMirror();
    db.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new SocketStartupError(`ocsecd is already running on ${layout.socketPath} (it started at the same moment)`);
    throw err;
  }
  scheduler.start();
  await policies.start();
  log.info({ socket: layout.socketPath, version: VERSION, pid: process.pid, headSeq: audit.head().seq, headHash: audit.head().hash }, 'ocsecd listening');

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'ocsecd stopping');
      shutdown.abort();
      scheduler.stop();
      privilege.stop();
      await policies.stop();
      await server.close(); // stops accepting, lets in-flight requests finish
      await securityAudit.idle(); // a scheduled audit still running writes its result before the database closes
      compliance.stop();
      await compliance.idle(); // an assessment (which may be sampling) or a notification in flight
      await network.close(); // likewise a port or egress sample
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
      try {
        exports.drain(); // daemon.stop included
      } catch (err) {
        log.error({ err }, 'could not drain the exports');
      }
      exports.stop();
      audit.closeMirror();
      db.close();
      removeStaleSocket(layout.socketPath);
    })();
    return stopping;
  };

  return { layout, services, server, stop };
}

/** Every policy load, good or bad, is an audit event carrying the file's sha256. */
function policyLoadAuditor(audit: AuditTrail, self: Actor) {
  return (e: PolicyLoadEvent): void => {
    audit.append({
      action: e.status === 'ok' ? 'policy.load' : e.status === 'invalid' ? 'policy.invalid' : 'policy.missing',
      actor: self,
      subject: e.path,
      data: { file: e.file, sha256: e.sha256, trigger: e.trigger, in_force_sha256: e.inForceSha256, problem: e.problem ? formatProblem(e.problem) : null },
    });
  };
}

/**
 * The privilege service's view of the policy files. An invalid command policy with no earlier good
 * version denies everything (fail closed); a missing one allows, as the reference does, unless
 * policy files are required.
 */
function privilegePolicies(store: PolicyStore, layout: Layout): PrivilegePolicies {
  const commandPolicy = () => store.stateOf('command-policy.json');
  return {
    evaluateCommand(argv) {
      const state = commandPolicy();
      if (state?.lastGood) return evaluateCommandPolicy(state.lastGood.value, argv);
      if (state?.status === 'invalid') {
        return {
          allowed: false,
          rule: 'policy_invalid',
          reason: `command-policy.json is invalid and no earlier version is in force (${state.problem ? formatProblem(state.problem) : 'unreadable'}); fix it, then \`ocsecctl policy check\``,
        };
      }
      return evaluateCommandPolicy(EMPTY_COMMAND_POLICY, argv);
    },
    denyShells: () => commandPolicy()?.lastGood?.value.deny_shells ?? false,
    keepSession: () => commandPolicy()?.lastGood?.value.keep_session ?? false,
    requireUntrustedConfirmation: () => store.stateOf('prompt-policy.json')?.lastGood?.value.require_confirmation_for_untrusted ?? true,
    missingFiles: () => Object.values(layout.policyFiles).filter((path) => !existsSync(path)),
  };
}

/** `sudo -K` with the validated real sudo; never throws (the outcome is audited either way). */
function runSudoReset(override: string | null | undefined, shimDir: string): Promise<{ command: string; ok: boolean; detail: string }> {
  const located = locateRealSudo({ override: override ?? undefined, shimDirs: [shimDir] });
  if (!located.ok) return Promise.resolve({ command: 'sudo -K', ok: false, detail: located.message });
  return new Promise((resolve) => {
    execFile(located.path, ['-K'], { timeout: 5000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (err, _stdout, stderr) => {
      resolve({ command: `${located.path} -K`, ok: !err, detail: err ? (stderr || err.message).trim().slice(0, 500) : 'all cached sudo credentials removed' });
    });
  });
}
