/**
 * Gathers a run's Evidence from where each fact really lives: the daemon's settings, database and
 * audit chain, the policy store, the host posture (gateway PATH, sudo rules, supervision), the shim
 * launcher, the network monitor's samples (taken afresh when too old), the OpenClaw configuration and
 * file modes, the installation audit and the backup locations. Each source is timed (wall and CPU)
 * and a failure becomes that source's reason, never an exception out of the run.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { shimChecks } from '../../client/doctor-checks.js';
import { inspectInstalledService, LAUNCH_AGENT_LABEL, SERVICE_UNIT } from '../../client/install/service.js';
import type { CommandRunner as InstallRunner } from '../../client/install/runner.js';
import type { Layout } from '../../client/layout.js';
import type { EgressReport, PortReport } from '../../client/network-protocol.js';
import { locateRealSudo } from '../../client/real-sudo.js';
import type { Actor, AuditTrail, VerifyReport } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { HostPostureService } from '../host/posture.js';
import type { NetworkMonitor } from '../network/monitor.js';
import type { PolicyStore } from '../policy/store.js';
import type { ApprovalFactors } from '../privilege/factors.js';
import { readCrontab, readSystemdUserTimers, type CommandRunner } from '../security-audit/host.js';
import { loadInstallation, type Installation } from '../security-audit/installation.js';
import { autoFixScope, chmodCommand, modeIssues, observe, octal, permissionTargets } from '../security-audit/permissions.js';
import type { SecurityAuditService } from '../security-audit/service.js';
import type { Db } from '../store/db.js';
import { EVIDENCE_SOURCES, sourced, unreadable, type AuditActivity, type BackupEvidence, type Evidence, type EvidenceSource, type FileMode, type NetworkSample, type PolicyEvidence, type Sourced } from './evidence.js';

/** The network monitor's latest sample is used when younger than this; otherwise the run takes one. */
export const MAX_SAMPLE_AGE_MS = 5 * 60_000;
/** The daemon verifies the whole chain hourly (schedules.audit_verify); a verification this recent is reused. */
export const MAX_VERIFICATION_AGE_MS = 65 * 60_000;
export const ACTIVITY_WINDOW_DAYS = 30;
/** Privileged audit actions counted over the window (the reference's names and ocsec's). */
const COUNTED_ACTIONS = [
  'approval_requested',
  'approval_granted',
  'approval_denied',
  'approval_expired',
  'approval_self_refused',
  'exec_start',
  'exec_finish',
  'exec_unfinished',
  'policy_block',
  'untrusted_source_block',
  'untrusted_source_confirmed',
  'timeout_drop',
  'drop_elevation',
];
const BACKUP_TOOL = /\b(restic|borg|borgmatic|duplicity|duplicati|rsnapshot|rclone|kopia|tarsnap|bup|rdiff-backup|timeshift|backup)\b/i;
const MAX_BACKUP_ENTRIES = 5000;

export interface CollectorDeps {
  layout: Layout;
  config: Config;
  env: NodeJS.ProcessEnv;
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  self: Actor;
  home: string;
  policies: PolicyStore;
  factors: ApprovalFactors;
  host: HostPostureService;
  network: Pick<NetworkMonitor, 'latest' | 'samplePorts' | 'sampleEgress'>;
  securityAudit: Pick<SecurityAuditService, 'latest'>;
  platform: NodeJS.Platform;
  /** Runs crontab -l (security audit's runner). */
  run: CommandRunner;
  /** Runs launchctl print on macOS (the installer's runner). */
  serviceRunner: InstallRunner;
  /** The daemon's last full chain verification when younger than maxAgeMs, else a new one (default: always a new one). */
  auditVerification?: (maxAgeMs: number) => { report: VerifyReport; atMs: number; reused: boolean };
}

export interface SourceTiming {
  wallMs: number;
  cpuMs: number;
}

export interface Collected {
  evidence: Evidence;
  timings: Record<EvidenceSource, SourceTiming>;
}

function fileMode(path: string): FileMode | null {
  try {
    const st = lstatSync(path);
    return { path, mode: st.mode & 0o7777, uid: st.uid };
  } catch {
    return null;
  }
}

function isoMs(iso: string): number {
  return Date.parse(iso);
}

export class EvidenceCollector {
  private installation: Promise<Installation> | null = null;
  private reuseVerification = true;
  /** An egress sample started together with the ports sample (one shared socket snapshot). */
  private freshEgress: Promise<EgressReport> | null = null;

  constructor(private readonly d: CollectorDeps) {}

  /**
   * Reads every source one after the other (so each one's CPU time is its own) and times it. A
   * scheduled run reuses the daemon's recent chain verification; an on-demand run verifies now.
   */
  async collect(opts: { reuseVerification: boolean } = { reuseVerification: true }): Promise<Collected> {
    this.reuseVerification = opts.reuseVerification;
    this.installation = null;
    this.freshEgress = null;
    const now = this.d.clock.now();
    const timings = {} as Record<EvidenceSource, SourceTiming>;
    const values = {} as Record<EvidenceSource, Sourced<unknown>>;
    for (const source of EVIDENCE_SOURCES) {
      const wall0 = this.d.clock.monotonic();
      const cpu0 = process.cpuUsage();
      let value: Sourced<unknown>;
      try {
        value = await this.read(source, now);
      } catch (err) {
        this.d.log.warn({ err, source }, 'compliance evidence could not be read');
        value = unreadable((err as Error).message);
      }
      const cpu = process.cpuUsage(cpu0);
      timings[source] = { wallMs: this.d.clock.monotonic() - wall0, cpuMs: (cpu.user + cpu.system) / 1000 };
      values[source] = value;
    }
    const evidence = { now, stateDir: this.d.layout.stateDir, shimDir: this.d.layout.binDir, ...values } as Evidence;
    return { evidence, timings };
  }

  private read(source: EvidenceSource, now: number): Promise<Sourced<unknown>> | Sourced<unknown> {
    switch (source) {
      case 'settings':
        return sourced(this.settings());
      case 'factors':
        return sourced(this.d.factors.status());
      case 'privilege':
        return sourced(this.privilege());
      case 'auditActivity':
        return sourced(this.auditActivity(now));
      case 'auditChain':
        return sourced(this.auditChain());
      case 'auditFiles':
        return sourced({
          mirrorPath: this.d.layout.auditMirrorPath,
          mirror: fileMode(this.d.layout.auditMirrorPath),
          securityDir: fileMode(this.d.layout.securityDir),
          database: fileMode(this.d.layout.dbPath),
          settingsFile: fileMode(this.d.layout.configPath),
        });
      case 'policies':
        return sourced(this.policies());
      case 'host':
        return this.d.host.collect(this.d.self).then(sourced);
      case 'launcher':
        return sourced(this.launcher());
      case 'service':
        return sourced(this.service());
      case 'ports':
        return this.networkSample('ports', now);
      case 'egress':
        return this.networkSample('egress', now);
      case 'openclaw':
        return this.openclaw();
      case 'permissions':
        return this.permissions();
      case 'securityAudit':
        return sourced(this.securityAudit());
      case 'backups':
        return this.backups().then(sourced);
    }
  }

  private settings() {
    const c = this.d.config;
    const exportsConfig = c.exports;
    const eventExports: Array<{ name: 'jsonl' | 'syslog'; target: string | null }> = [];
    if (exportsConfig.jsonl.enabled) eventExports.push({ name: 'jsonl', target: exportsConfig.jsonl.path });
    if (exportsConfig.syslog.enabled) eventExports.push({ name: 'syslog', target: exportsConfig.syslog.socket ?? 'the local syslog socket' });
    return {
      configPath: this.d.layout.configPath,
      idleTimeoutMinutes: c.idle_timeout_minutes,
      approvalTimeoutSeconds: c.approval_timeout_seconds,
      outOfBandApproval: c.out_of_band_approval,
      approvalRequiresTerminal: c.approval_requires_terminal,
      requireSessionId: { config: c.require_session_id, env: this.d.env.OPENCLAW_REQUIRE_SESSION_ID === '1' },
      requirePolicyFiles: { config: c.require_policy_files, env: this.d.env.OPENCLAW_REQUIRE_POLICY_FILES === '1' },
      eventExports,
    };
  }

  /** The sessions table as stored: a session past its expiry that is still there is evidence too. */
  private privilege() {
    const rows = this.d.db.prepare('SELECT key, session_id, target_user, approved_argv_json, last_activity_at, expires_at FROM sessions ORDER BY created_at').all() as Array<{
      key: string;
      session_id: string | null;
      target_user: string;
      approved_argv_json: string;
      last_activity_at: string;
      expires_at: string;
    }>;
    const pending = (this.d.db.prepare(`SELECT count(*) AS n FROM approval_requests WHERE state = 'pending'`).get() as { n: number }).n;
    return {
      sessions: rows.map((r) => ({ key: r.key, sessionId: r.session_id, targetUser: r.target_user, commands: (JSON.parse(r.approved_argv_json) as unknown[]).length, lastActivityAt: r.last_activity_at, expiresAt: r.expires_at })),
      pendingRequests: pending,
    };
  }

  private auditActivity(now: number): AuditActivity {
    const since = new Date(now - ACTIVITY_WINDOW_DAYS * 86_400_000).toISOString();
    // seq grows with ts, so the window is a seq range: each count is then a range of the (action, seq) index.
    const firstSeq = (this.d.db.prepare('SELECT min(seq) AS seq FROM audit_events WHERE ts >= ?').get(since) as { seq: number | null }).seq;
    const count = this.d.db.prepare('SELECT count(*) AS n FROM audit_events WHERE action = ? AND seq >= ?');
    const counts = Object.fromEntries(COUNTED_ACTIONS.map((a) => [a, firstSeq === null ? 0 : (count.get(a, firstSeq) as { n: number }).n]));
    // A grant that started and never finished: the command's exit was never recorded.
    const unfinished = (this.d.db.prepare('SELECT id, argv_json, started_at FROM grants WHERE started_at IS NOT NULL AND finished_at IS NULL ORDER BY started_at LIMIT 50').all() as Array<{ id: string; argv_json: string; started_at: string }>).map((g) => ({
      grantId: g.id,
      argv0: (JSON.parse(g.argv_json) as string[])[0] ?? null,
      startedAt: g.started_at,
    }));
    return { windowDays: ACTIVITY_WINDOW_DAYS, since, counts, unfinished };
  }

  private auditChain() {
    const maxAge = this.reuseVerification ? MAX_VERIFICATION_AGE_MS : -1;
    const v = this.d.auditVerification?.(maxAge) ?? { report: this.d.audit.verify(), atMs: this.d.clock.now(), reused: false };
    return { report: v.report, verifiedAt: new Date(v.atMs).toISOString(), reused: v.reused, headSeqNow: this.d.audit.head().seq };
  }

  private policies(): PolicyEvidence {
    const store = this.d.policies;
    const files = store.check().map((r) => ({ name: r.name, path: r.path, status: r.status, inForce: r.inForce !== null, sha256: r.sha256, problem: r.message }));
    const command = store.inForce('command-policy.json');
    const prompt = store.inForce('prompt-policy.json');
    return {
      files,
      command: command
        ? { allow: command.allow.length, deny: command.deny.length, allowExact: command.allow_exact.length, denyExact: command.deny_exact.length, denyShells: command.deny_shells, keepSession: command.keep_session }
        : null,
      prompt: prompt ? { requireConfirmationForUntrusted: prompt.require_confirmation_for_untrusted, source: 'file' } : { requireConfirmationForUntrusted: true, source: 'default' },
      egressRules: store.inForce('egress_allowlist.json')?.length ?? null,
      approvedPortRules: store.inForce('approved_ports.json')?.length ?? null,
    };
  }

  private launcher() {
    const path = join(this.d.layout.binDir, 'sudo');
    const [shim] = shimChecks({ layout: this.d.layout, env: this.d.env, platform: this.d.platform === 'darwin' ? 'darwin' : 'linux', uid: this.d.self.uid, pid: this.d.self.pid, run: this.d.serviceRunner });
    const real = locateRealSudo({ override: this.d.config.real_sudo ?? this.d.env.OPENCLAW_REAL_SUDO, shimDirs: [this.d.layout.binDir] });
    let installed = false;
    try {
      installed = lstatSync(path).isFile();
    } catch {
      installed = false;
    }
    return {
      path,
      installed,
      sound: shim?.status === 'PASS',
      detail: shim?.detail ?? 'not inspected',
      realSudo: real.ok ? { ok: true, detail: `${real.path} (root-owned, not writable by group or others)` } : { ok: false, detail: real.message },
    };
  }

  private service() {
    const platform = this.d.platform === 'darwin' ? 'darwin' : 'linux';
    const svc = inspectInstalledService({ env: this.d.env, platform, run: this.d.serviceRunner, uid: this.d.self.uid });
    return { platform, file: svc.file, installed: svc.installed, enabled: svc.enabled, problems: svc.problems, expectedUnit: platform === 'darwin' ? LAUNCH_AGENT_LABEL : SERVICE_UNIT };
  }

  private isRecent(report: PortReport | EgressReport | null, now: number): report is PortReport | EgressReport {
    const age = report ? now - isoMs(report.generated_at_utc) : Infinity;
    return report !== null && report.status === 'ok' && age >= 0 && age <= MAX_SAMPLE_AGE_MS;
  }

  /**
   * The monitor's latest report while recent. Otherwise both stale monitors are sampled together (they
   * then share one socket snapshot) when the ports source is read, and the egress source picks its up.
   */
  private async networkSample(monitor: 'ports' | 'egress', now: number): Promise<Sourced<NetworkSample<PortReport | EgressReport>>> {
    const latest = monitor === 'ports' ? this.d.network.latest('ports') : this.d.network.latest('egress');
    if (this.isRecent(latest, now)) return sourced({ report: latest, ageSeconds: (now - isoMs(latest.generated_at_utc)) / 1000, fresh: false });
    if (monitor === 'ports' && !this.isRecent(this.d.network.latest('egress'), now)) {
      this.freshEgress = this.d.network.sampleEgress('schedule');
      // Awaited when the egress source is read; marked handled now so a failure meanwhile is not an unhandled rejection.
      this.freshEgress.catch(() => undefined);
    }
    const taking = monitor === 'ports' ? this.d.network.samplePorts('schedule') : (this.freshEgress ?? this.d.network.sampleEgress('schedule'));
    if (monitor === 'egress') this.freshEgress = null;
    try {
      return sourced({ report: await taking, ageSeconds: 0, fresh: true });
    } catch (err) {
      return unreadable(`no ${monitor} sample younger than ${MAX_SAMPLE_AGE_MS / 60_000} minutes, and taking one failed: ${(err as Error).message}`);
    }
  }

  private loadInstallation(): Promise<Installation> {
    this.installation ??= loadInstallation({ stateDir: this.d.layout.stateDir, home: this.d.home, env: this.d.env });
    return this.installation;
  }

  private async openclaw(): Promise<Sourced<Evidence['openclaw'] extends Sourced<infer T> ? T : never>> {
    const inst = await this.loadInstallation();
    const problems = inst.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
    if (inst.configExists && inst.config === null) return unreadable(`${inst.configPath} does not parse: ${problems.join('; ') || 'unknown problem'}`);
    return sourced({ configPath: inst.configPath, exists: inst.configExists, config: inst.config, problems });
  }

  private async permissions(): Promise<Sourced<Evidence['permissions'] extends Sourced<infer T> ? T : never>> {
    const inst = await this.loadInstallation();
    const observations = await observe(await permissionTargets(inst));
    const issues = modeIssues(observations, this.d.self.uid, autoFixScope(inst)).map((i) => ({
      path: i.observation.path,
      mode: octal(i.observation.mode),
      want: octal(i.observation.want),
      severity: i.severity,
      reason: i.reason,
      fix: chmodCommand(i.fixable ? i.fixMode : i.observation.want, i.observation.path),
    }));
    return sourced({ observed: observations.length, issues });
  }

  private securityAudit() {
    const latest = this.d.securityAudit.latest();
    if (!latest) return null;
    const npm = this.d.db
      .prepare(
        `SELECT r.id AS runId, r.finished_at AS finishedAt, c.status, c.severity, c.reason FROM security_audit_checks c JOIN security_audit_runs r ON r.id = c.run_id
         WHERE c.check_id = 'deps.npm_audit' AND c.status IN ('passed', 'failed') ORDER BY r.id DESC LIMIT 1`,
      )
      .get() as { runId: number; finishedAt: string; status: 'passed' | 'failed'; severity: string; reason: string | null } | undefined;
    return {
      runId: latest.runId,
      finishedAt: latest.report.ts,
      trigger: latest.trigger,
      deep: latest.deep,
      openclawVersion: latest.report.openclaw_version,
      score: latest.report.score,
      checks: latest.checks.map((c) => ({ checkId: c.checkId, status: c.status, severity: c.severity, reason: c.reason })),
      lastNpmAudit: npm ?? null,
    };
  }

  private async backups(): Promise<BackupEvidence> {
    const settings = this.d.config.compliance.backup;
    const paths = settings.paths.map((path) => newestUnder(path));
    const jobs: BackupEvidence['jobs'] = [];
    const problems: string[] = [];
    const crontab = await readCrontab(this.d.run);
    if (crontab.available) {
      for (const line of crontab.lines) if (isBackupJob(line, this.d.layout.stateDir)) jobs.push({ source: 'crontab', text: line });
    } else if (crontab.reason) problems.push(crontab.reason);
    for (const timer of await readSystemdUserTimers(this.d.home)) {
      const text = `${timer.unit} ${timer.exec ?? ''}`;
      if (isBackupJob(text, this.d.layout.stateDir)) jobs.push({ source: `systemd timer ${timer.file} (${timer.schedule})`, text: timer.exec ?? timer.unit });
    }
    return { maxAgeHours: settings.max_age_hours, paths, jobs, jobsProblem: problems.length > 0 ? problems.join('; ') : null };
  }
}

export function isBackupJob(text: string, stateDir: string): boolean {
  return BACKUP_TOOL.test(text) || (/\b(tar|rsync|cp)\b/.test(text) && (text.includes(stateDir) || /\.openclaw\b/.test(text)));
}

/** The newest regular file under a backup location (two levels deep, bounded), without following symlinks. */
function newestUnder(path: string): BackupEvidence['paths'][number] {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path, exists: false, newest: null, files: 0, problem: code === 'ENOENT' ? 'does not exist' : `cannot read: ${code ?? (err as Error).message}` };
  }
  if (st.isFile()) return { path, exists: true, newest: { file: path, mtime: st.mtime.toISOString() }, files: 1, problem: null };
  if (!st.isDirectory()) return { path, exists: true, newest: null, files: 0, problem: 'neither a file nor a directory' };
  let newest: { file: string; mtimeMs: number } | null = null;
  let files = 0;
  const walk = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (files >= MAX_BACKUP_ENTRIES) return;
      const full = join(dir, name);
      let s;
      try {
        s = lstatSync(full);
      } catch {
        continue;
      }
      if (s.isDirectory() && depth < 2) walk(full, depth + 1);
      else if (s.isFile()) {
        files++;
        if (!newest || s.mtimeMs > newest.mtimeMs) newest = { file: full, mtimeMs: s.mtimeMs };
      }
    }
  };
  walk(path, 0);
  const found = newest as { file: string; mtimeMs: number } | null;
  return { path, exists: true, newest: found ? { file: found.file, mtime: new Date(found.mtimeMs).toISOString() } : null, files, problem: null };
}

