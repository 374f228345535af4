/** Privilege governance: requests, approvals, single-use grants, kept sessions and their idle expiry. */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { PendingRequest, PrivilegeDecision, PrivilegeRequestParams } from '../../client/protocol.js';
import { ShimExit } from '../../client/codes.js';
import type { Actor, AuditTrail } from '../audit/trail.js';
import type { Clock, TimerHandle } from '../clock.js';
import { RpcError } from '../errors.js';
import { ancestry, type ProcessInfo, type ProcessInspector } from '../procinfo.js';
import type { Db } from '../store/db.js';
import type { ApprovalFactors } from './factors.js';
import type { RiskVerdict } from '../policy/risk.js';

export interface PolicyVerdict {
  allowed: boolean;
  rule: string;
  reason: string;
}

/** What the service needs from the policy files; the daemon adapts its PolicyStore to this. */
export interface PrivilegePolicies {
  evaluateCommand(argv: readonly string[]): PolicyVerdict;
  denyShells(): boolean;
  keepSession(): boolean;
  requireUntrustedConfirmation(): boolean;
  /** Policy files that are not present (for OPENCLAW_REQUIRE_POLICY_FILES=1). */
  missingFiles(): string[];
}


export interface PrivilegeSettings {
  idleTimeoutMs: number;
  approvalTimeoutMs: number;
  grantTtlMs: number;
  outOfBandApproval: boolean;
  approvalRequiresTerminal: boolean;
  requireSessionId: boolean;
  requirePolicyFiles: boolean;
}

export interface PrivilegeDeps {
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  settings: PrivilegeSettings;
  policies: PrivilegePolicies;
  factors: ApprovalFactors;
  procs: ProcessInspector;
  classify(argv: readonly string[], mode: PrivilegeRequestParams['mode']): RiskVerdict;
  /** Runs `sudo -K` (all of sudo's cached credentials for this user); resolves with the outcome. */
  resetCredentials(): Promise<{ command: string; ok: boolean; detail: string }>;
  /** Why a path may not be trusted as the real sudo (root-owned, not writable by others, not the shim), or null. */
  vetRealSudo(path: string): string | null;
  self: Actor;
}

interface RequestRow {
  id: number;
  sudo_argv_json: string;
  created_at: string;
  expires_at: string;
  state: 'pending' | 'approved' | 'denied' | 'expired';
  argv_json: string;
  mode: string;
  risk: 'standard' | 'shell';
  risk_why: string | null;
  target_user: string;
  target_group: string | null;
  session_id: string | null;
  reason: string | null;
  untrusted: number;
  requester_uid: number;
  requester_pid: number;
  requester_ppid: number | null;
  requester_comm: string | null;
  cwd: string;
  tty: string | null;
  interactive: number;
  decision_reason: string | null;
  keep_session: number;
  grant_id: string | null;
  session_key: string | null;
}

interface GrantRow {
  id: string;
  sudo_argv_json: string;
  request_id: number | null;
  session_key: string | null;
  argv_json: string;
  target_user: string;
  requester_pid: number;
  keep_session: number;
  created_at: string;
  expires_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface SessionRow {
  key: string;
  session_id: string | null;
  target_user: string;
  approved_argv_json: string;
  created_at: string;
  last_activity_at: string;
  expires_at: string;
}

/**
 * Sessions are keyed by the task session id, else the requester's controlling terminal and session as
 * the kernel reports them (a caller can claim any tty name, not a controlling terminal), and the target
 * user: approvals kept for one agent task or one terminal never serve another.
 */
export function sessionKeyOf(sessionId: string | null, requester: ProcessInfo | null, targetUser: string): string | null {
  if (sessionId) return `session:${sessionId}:${targetUser}`;
  if (requester?.hasTty && requester.ttyNr !== null && requester.sid !== null) return `tty:${requester.ttyNr}:${requester.sid}:${targetUser}`;
  return null;
}

const argvKey = (argv: readonly string[]) => JSON.stringify(argv);

/**
 * Environment handed to a root command can make it load or run other code (LD_PRELOAD, but also
 * APT_CONFIG, OPENSSL_CONF, GIT_CONFIG_GLOBAL...: there is no complete list), so any VAR=value word
 * or preserved environment makes the request as risky as a shell: approved each time, never kept.
 */
export function riskWithEnvironment(risk: RiskVerdict, envAssignments: readonly string[], preserveEnv: boolean | readonly string[]): RiskVerdict {
  const names = envAssignments.map((a) => a.slice(0, a.indexOf('=') >>> 0));
  if (preserveEnv === true) names.push('-E (the whole environment)');
  else if (Array.isArray(preserveEnv)) names.push(...preserveEnv.map((n) => `--preserve-env=${n}`));
  if (names.length === 0) return risk;
  return { risk: 'shell', why: `passes ${names.join(', ')} to the command as root, which can make it load or run other code` };
}

/**
 * An approval covers a path, not the bytes behind it: a program that a non-root user can replace
 * (owned by someone other than root, or in a group/other-writable place) can change between approval
 * and execution, so it is treated like a shell. A path that cannot be read gets no extra weight here:
 * sudo itself will refuse to run what does not exist.
 */
export function mutableProgramRisk(program: string): RiskVerdict | null {
  if (!program.startsWith('/')) return null;
  try {
    for (const path of [program, dirname(program)]) {
      const st = statSync(path);
      if (st.uid !== 0) return { risk: 'shell', why: `${path} is owned by uid ${st.uid}, not root: it can be changed after it is approved` };
      // A sticky directory (/tmp) lets others add files but not replace root's.
      const isStickyDir = st.isDirectory() && (st.mode & 0o1000) !== 0;
      if ((st.mode & 0o022) !== 0 && !isStickyDir) {
        return { risk: 'shell', why: `${path} is writable by group or others: it can be changed after it is approved` };
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** The sudo arguments must end with exactly the approved command, so options and environment are all that precede it. */
export function isSudoArgvFor(sudoArgv: readonly string[], argv: readonly string[], mode: PrivilegeRequestParams['mode']): boolean {
  const tail = mode === 'edit' ? ['-e', '--', ...argv.slice(1)] : ['--', ...argv];
  if (sudoArgv.length < tail.length) return false;
  const offset = sudoArgv.length - tail.length;
  return tail.every((word, i) => sudoArgv[offset + i] === word) && !sudoArgv.slice(0, offset).includes('--');
}

export class PrivilegeService {
  private readonly waiters = new Map<number, Set<() => void>>();
  private readonly requestTimers = new Map<number, TimerHandle>();
  private readonly sessionTimers = new Map<string, { timer: TimerHandle; deadlineMono: number }>();

  constructor(private readonly deps: PrivilegeDeps) {}

  private iso(ms = this.deps.clock.now()): string {
    return new Date(ms).toISOString();
  }

  private get db(): Db {
    return this.deps.db;
  }

  /**
   * After a restart nothing carries over that was not decided and audited: pending requests expire,
   * unused grants lapse, interrupted executions are recorded, and sessions past their (wall-clock)
   * expiry are dropped. Surviving sessions never get more time than they had left.
   */
  recover(): void {
    const { audit, self } = this.deps;
    const now = this.deps.clock.now();
    const pending = this.db.prepare(`SELECT * FROM approval_requests WHERE state = 'pending'`).all() as RequestRow[];
    const unstarted = this.db.prepare('SELECT * FROM grants WHERE started_at IS NULL').all() as GrantRow[];
    const interrupted = this.db.prepare('SELECT * FROM grants WHERE started_at IS NOT NULL AND finished_at IS NULL').all() as GrantRow[];
    const sessions = this.db.prepare('SELECT * FROM sessions').all() as SessionRow[];
    const expiredSessions = sessions.filter((s) => Date.parse(s.expires_at) <= now);
    audit.transact((record) => {
      for (const r of pending) {
        this.db.prepare(`UPDATE approval_requests SET state = 'expired', decided_at = ?, decision_reason = ? WHERE id = ?`).run(this.iso(now), 'ocsecd restarted', r.id);
        record({ action: 'approval_expired', actor: self, subject: `request:${r.id}`, data: { request_id: r.id, argv: JSON.parse(r.argv_json), reason: 'ocsecd restarted before a decision' } });
      }
      for (const g of unstarted) {
        this.db.prepare('DELETE FROM grants WHERE id = ?').run(g.id);
        record({ action: 'grant_expired', actor: self, subject: `grant:${g.id}`, data: { grant_id: g.id, argv: JSON.parse(g.argv_json), reason: 'ocsecd restarted before it was used' } });
      }
      for (const g of interrupted) {
        this.db.prepare('UPDATE grants SET finished_at = ? WHERE id = ?').run(this.iso(now), g.id);
        record({ action: 'exec_unfinished', actor: self, subject: `grant:${g.id}`, data: { grant_id: g.id, argv: JSON.parse(g.argv_json), reason: 'ocsecd stopped while the command ran; its exit was not reported' } });
      }
      for (const s of expiredSessions) {
        this.db.prepare('DELETE FROM sessions WHERE key = ?').run(s.key);
        record({ action: 'timeout_drop', actor: self, subject: `session:${s.key}`, data: { elevation_session: s.key, session_id: s.session_id, expired_at: s.expires_at, at_startup: true } });
      }
    });
    for (const s of sessions) {
      if (expiredSessions.includes(s)) continue;
      const remaining = Math.min(Date.parse(s.expires_at) - now, this.deps.settings.idleTimeoutMs);
      this.armSession(s.key, remaining);
    }
    if (expiredSessions.length > 0) void this.resetCredentials('timeout_drop');
  }

  stop(): void {
    for (const t of this.requestTimers.values()) this.deps.clock.clearTimeout(t);
    for (const s of this.sessionTimers.values()) this.deps.clock.clearTimeout(s.timer);
    this.requestTimers.clear();
    this.sessionTimers.clear();
    for (const id of [...this.waiters.keys()]) this.wake(id);
  }

  // ---- requests ---------------------------------------------------------------------------

  request(caller: Actor, p: PrivilegeRequestParams): PrivilegeDecision {
    const { audit, settings, policies } = this.deps;
    if (!isSudoArgvFor(p.sudoArgv, p.argv, p.mode)) {
      throw new RpcError('InvalidParams', 'Invalid params: params.sudoArgv: must be the sudo options and VAR=value words, then -- and exactly params.argv', { field: 'params.sudoArgv' });
    }
    const context = {
      argv: p.argv,
      sudo_argv: p.sudoArgv,
      preserve_env: p.preserveEnv,
      mode: p.mode,
      target_user: p.targetUser,
      target_group: p.targetGroup,
      session_id: p.sessionId,
      reason: p.reason,
      cwd: p.cwd,
      tty: p.tty,
      env_assignments: p.envAssignments,
      untrusted: p.untrustedSource,
    };
    const deny = (code: Extract<PrivilegeDecision, { decision: 'denied' }>['code'], action: string, reason: string, exitCode: number, extra: Record<string, unknown> = {}): PrivilegeDecision => {
      audit.append({ action, actor: caller, subject: p.argv[0]!, data: { ...context, ...extra, decision: 'denied', code, why: reason } });
      return { decision: 'denied', code, reason, exitCode, requestId: null };
    };

    if ((p.requireSessionId || settings.requireSessionId) && !p.sessionId) {
      return deny('session-id-required', 'session_id_missing', 'a task session id is required (set OPENCLAW_TASK_SESSION_ID)', ShimExit.SessionIdRequired);
    }
    if (p.requirePolicyFiles || settings.requirePolicyFiles) {
      const missing = policies.missingFiles();
      if (missing.length > 0) {
        return deny('policy-files-missing', 'policy_files_missing', `policy files are required but missing: ${missing.join(', ')}`, ShimExit.PolicyFilesMissing, { missing });
      }
    }
    const classified = this.deps.classify(p.argv, p.mode);
    const risk = riskWithEnvironment(classified.risk === 'standard' ? (mutableProgramRisk(p.argv[0]!) ?? classified) : classified, p.envAssignments, p.preserveEnv);
    const verdict = policies.evaluateCommand(p.argv);
    if (!verdict.allowed && verdict.rule === 'deny_shells') {
      return deny('shell-denied', 'policy_block', `shell refused by deny_shells: ${verdict.reason}`, ShimExit.BlockedByPolicy, { rule: verdict.rule, risk: 'shell' });
    }
    if (!verdict.allowed) {
      return deny('policy', 'policy_block', `blocked by command policy (${verdict.rule}): ${verdict.reason}`, ShimExit.BlockedByPolicy, { rule: verdict.rule });
    }
    if (risk.risk === 'shell' && policies.denyShells()) {
      return deny('shell-denied', 'policy_block', `shell-capable command refused by deny_shells: ${risk.why ?? 'gives a shell'}`, ShimExit.BlockedByPolicy, { rule: 'deny_shells', risk: risk.risk });
    }

    const requester = this.deps.procs.read(caller.pid);
    const key = sessionKeyOf(p.sessionId, requester, p.targetUser);
    // An untrusted source always gets a fresh decision; a kept session is for what a person already saw.
    if (key && risk.risk === 'standard' && !p.untrustedSource) {
      const session = this.liveSession(key);
      if (session && (JSON.parse(session.approved_argv_json) as string[][]).some((a) => argvKey(a) === argvKey(p.sudoArgv))) {
        const grantId = randomUUID();
        audit.transact((record) => {
          this.insertGrant({ id: grantId, requestId: null, sessionKey: key, argv: p.argv, sudoArgv: p.sudoArgv, targetUser: p.targetUser, requesterPid: caller.pid, keepSession: true });
          record({ action: 'approval_granted', actor: caller, subject: p.argv[0]!, data: { ...context, grant_id: grantId, via: 'session', elevation_session: key } });
        });
        return { decision: 'authorized', grantId, risk: 'standard', via: 'session' };
      }
    }

    if (!p.interactive && !p.allowNonInteractive && !settings.outOfBandApproval) {
      return deny(
        'non-interactive',
        'approval_denied',
        'non-interactive sudo is blocked: no terminal to ask for approval (set OPENCLAW_ALLOW_NONINTERACTIVE_SUDO=1 or out_of_band_approval in ocsec.json to wait for `ocsecctl approve`)',
        ShimExit.NonInteractiveRefused,
      );
    }

    const parent = requester ? this.deps.procs.read(requester.ppid) : null;
    const now = this.deps.clock.now();
    const expiresAt = this.iso(now + settings.approvalTimeoutMs);
    const untrustedConfirmation = p.untrustedSource && policies.requireUntrustedConfirmation();
    const id = audit.transact((record) => {
      const info = this.db
        .prepare(
          `INSERT INTO approval_requests (created_at, expires_at, state, argv_json, sudo_argv_json, mode, risk, risk_why, target_user, target_group, session_id, reason, untrusted,
             requester_uid, requester_pid, requester_ppid, requester_comm, cwd, tty, interactive, session_key)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          this.iso(now), expiresAt, JSON.stringify(p.argv), JSON.stringify(p.sudoArgv), p.mode, risk.risk, risk.why, p.targetUser, p.targetGroup, p.sessionId, p.reason, p.untrustedSource ? 1 : 0,
          caller.uid, caller.pid, requester?.ppid ?? null, parent?.comm ?? null, p.cwd, p.tty, p.interactive ? 1 : 0, key,
        );
      const requestId = Number(info.lastInsertRowid);
      record({
        action: 'approval_requested',
        actor: caller,
        subject: p.argv[0]!,
        data: { ...context, request_id: requestId, risk: risk.risk, risk_why: risk.why, requester_ppid: requester?.ppid ?? null, requester_parent: parent?.comm ?? null, expires_at: expiresAt },
      });
      return requestId;
    });
    this.requestTimers.set(id, this.deps.clock.setTimeout(() => this.expireRequest(id), settings.approvalTimeoutMs));
    return {
      decision: 'approval_required',
      requestId: id,
      factors: ['confirm', ...this.deps.factors.configured()],
      untrustedConfirmation,
      risk: risk.risk,
      riskWhy: risk.why,
      expiresAt,
      outOfBand: !p.interactive,
    };
  }

  private loadRequest(id: number): RequestRow {
    const row = this.db.prepare('SELECT * FROM approval_requests WHERE id = ?').get(id) as RequestRow | undefined;
    if (!row) throw new RpcError('RequestNotFound', `no approval request ${id}`);
    return row;
  }

  private pendingRequest(id: number): RequestRow {
    const row = this.loadRequest(id);
    if (row.state === 'pending' && Date.parse(row.expires_at) <= this.deps.clock.now()) {
      this.expireRequest(id);
      return this.pendingRequest(id);
    }
    if (row.state !== 'pending') throw new RpcError('RequestNotPending', `request ${id} is already ${row.state}`);
    return row;
  }

  private expireRequest(id: number): void {
    const timer = this.requestTimers.get(id);
    if (timer) this.deps.clock.clearTimeout(timer);
    this.requestTimers.delete(id);
    const row = this.db.prepare('SELECT * FROM approval_requests WHERE id = ?').get(id) as RequestRow | undefined;
    if (!row || row.state !== 'pending') return;
    try {
      this.deps.audit.transact((record) => {
        this.db.prepare(`UPDATE approval_requests SET state = 'expired', decided_at = ?, decision_reason = 'no decision in time' WHERE id = ?`).run(this.iso(), id);
        record({ action: 'approval_expired', actor: this.deps.self, subject: `request:${id}`, data: { request_id: id, argv: JSON.parse(row.argv_json), reason: 'no decision before it expired' } });
      });
    } catch (err) {
      // The request stays pending in the database, but its deadline has passed: every reader re-checks expiry.
      this.deps.log.error({ err, requestId: id }, 'could not record an expired request');
    }
    this.wake(id);
  }

  private wake(id: number): void {
    const set = this.waiters.get(id);
    this.waiters.delete(id);
    for (const w of set ?? []) w();
  }

  /** An out-of-band approver must be outside the requester's process tree and, by default, at a terminal. */
  private assertApproverIndependent(caller: Actor, req: RequestRow, channel: 'tty' | 'cli', context: Record<string, unknown>): void {
    const refuse = (why: string) => {
      this.deps.audit.append({ action: 'approval_self_refused', actor: caller, subject: `request:${req.id}`, data: { ...context, why } });
      throw new RpcError('SelfApprovalRefused', `approval refused: ${why}`);
    };
    if (channel === 'tty') {
      // The terminal prompt is the requesting shim's own; only that process may report its answer.
      if (caller.pid !== req.requester_pid) refuse('a terminal approval must come from the process that made the request');
      // Without a controlling terminal there was no one to ask: the answer cannot have come from a person.
      if (!this.deps.procs.read(caller.pid)?.hasTty) refuse('a terminal approval needs a controlling terminal, and the requester has none');
      return;
    }
    const chain = ancestry(this.deps.procs, caller.pid);
    const tree = new Set([req.requester_pid, ...(req.requester_ppid !== null && req.requester_ppid > 1 ? [req.requester_ppid] : [])]);
    const shared = chain.find((p) => tree.has(p.pid));
    if (shared) refuse(`the approving process descends from the requester's process tree (pid ${shared.pid})`);
    if (this.deps.settings.approvalRequiresTerminal && !chain[0]?.hasTty) {
      refuse('out-of-band approvals must come from a terminal (ocsecctl approve run by a person); approval_requires_terminal is set');
    }
  }

  approve(caller: Actor, p: { requestId: number; channel: 'tty' | 'cli'; factor?: string | undefined; untrustedConfirmed?: boolean | undefined; keepSession?: boolean | undefined }): { requestId: number; state: 'approved'; grantId: string | null } {
    const req = this.pendingRequest(p.requestId);
    const argv = JSON.parse(req.argv_json) as string[];
    const sudoArgv = JSON.parse(req.sudo_argv_json) as string[];
    const context = { request_id: req.id, argv, sudo_argv: sudoArgv, channel: p.channel, approver_pid: caller.pid, session_id: req.session_id };
    this.assertApproverIndependent(caller, req, p.channel, context);
    this.deps.factors.verify(p.factor, caller, context);
    if (req.untrusted === 1 && this.deps.policies.requireUntrustedConfirmation() && p.untrustedConfirmed !== true) {
      this.deps.audit.transact((record) => {
        this.db.prepare(`UPDATE approval_requests SET state = 'denied', decided_at = ?, decided_by_pid = ?, decision_channel = ?, decision_reason = ? WHERE id = ?`)
          .run(this.iso(), caller.pid, p.channel, 'untrusted source not confirmed', req.id);
        record({ action: 'untrusted_source_block', actor: caller, subject: `request:${req.id}`, data: context });
      });
      this.clearRequestTimer(req.id);
      this.wake(req.id);
      throw new RpcError('UntrustedNotConfirmed');
    }
    const key = req.session_key;
    const keep = (p.keepSession === true || this.deps.policies.keepSession()) && req.risk === 'standard' && key !== null;
    const grantId = randomUUID();
    this.deps.audit.transact((record) => {
      this.db.prepare(`UPDATE approval_requests SET state = 'approved', decided_at = ?, decided_by_pid = ?, decision_channel = ?, keep_session = ?, grant_id = ? WHERE id = ?`)
        .run(this.iso(), caller.pid, p.channel, keep ? 1 : 0, grantId, req.id);
      this.insertGrant({ id: grantId, requestId: req.id, sessionKey: keep ? key : null, argv, sudoArgv, targetUser: req.target_user, requesterPid: req.requester_pid, keepSession: keep });
      if (req.untrusted === 1 && p.untrustedConfirmed === true) record({ action: 'untrusted_source_confirmed', actor: caller, subject: `request:${req.id}`, data: context });
      record({ action: 'approval_granted', actor: caller, subject: argv[0]!, data: { ...context, grant_id: grantId, keep_session: keep, risk: req.risk } });
      if (keep && key) this.upsertSession(key, req.session_id, req.target_user, sudoArgv);
    });
    this.clearRequestTimer(req.id);
    if (keep && key) this.armSession(key, this.deps.settings.idleTimeoutMs);
    this.wake(req.id);
    return { requestId: req.id, state: 'approved', grantId: p.channel === 'tty' ? grantId : null };
  }

  deny(caller: Actor, p: { requestId: number; channel: 'tty' | 'cli'; reason?: string | undefined }): { requestId: number; state: 'denied' } {
    const req = this.pendingRequest(p.requestId);
    const reason = p.reason ?? (p.channel === 'tty' ? 'declined at the terminal' : 'denied with ocsecctl');
    this.deps.audit.transact((record) => {
      this.db.prepare(`UPDATE approval_requests SET state = 'denied', decided_at = ?, decided_by_pid = ?, decision_channel = ?, decision_reason = ? WHERE id = ?`)
        .run(this.iso(), caller.pid, p.channel, reason, req.id);
      record({ action: 'approval_denied', actor: caller, subject: `request:${req.id}`, data: { request_id: req.id, argv: JSON.parse(req.argv_json), channel: p.channel, reason } });
    });
    this.clearRequestTimer(req.id);
    this.wake(req.id);
    return { requestId: req.id, state: 'denied' };
  }

  private clearRequestTimer(id: number): void {
    const timer = this.requestTimers.get(id);
    if (timer) this.deps.clock.clearTimeout(timer);
    this.requestTimers.delete(id);
  }

  async wait(caller: Actor, p: { requestId: number; waitMs?: number | undefined }, shutdown: AbortSignal): Promise<{ requestId: number; state: RequestRow['state']; grantId: string | null; reason: string | null }> {
    let row = this.loadRequest(p.requestId);
    if (row.state === 'pending' && Date.parse(row.expires_at) <= this.deps.clock.now()) this.expireRequest(row.id);
    row = this.loadRequest(p.requestId);
    const waitMs = p.waitMs ?? 20_000;
    if (row.state === 'pending' && waitMs > 0 && !shutdown.aborted) {
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(row.id) ?? new Set();
        const done = () => {
          set.delete(done);
          this.deps.clock.clearTimeout(timer);
          shutdown.removeEventListener('abort', done);
          resolve();
        };
        const timer = this.deps.clock.setTimeout(done, waitMs);
        shutdown.addEventListener('abort', done);
        set.add(done);
        this.waiters.set(row.id, set);
      });
      row = this.loadRequest(p.requestId);
    }
    // The grant is a capability for the requester alone; others see only the decision.
    const grantId = row.state === 'approved' && caller.pid === row.requester_pid ? row.grant_id : null;
    return { requestId: row.id, state: row.state, grantId, reason: row.decision_reason };
  }

  pending(): PendingRequest[] {
    const now = this.deps.clock.now();
    const rows = this.db.prepare(`SELECT * FROM approval_requests WHERE state = 'pending' ORDER BY id`).all() as RequestRow[];
    const live: PendingRequest[] = [];
    for (const r of rows) {
      if (Date.parse(r.expires_at) <= now) {
        this.expireRequest(r.id);
        continue;
      }
      live.push({
        id: r.id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        ageSeconds: Math.round((now - Date.parse(r.created_at)) / 1000),
        argv: JSON.parse(r.argv_json) as string[],
        mode: r.mode,
        targetUser: r.target_user,
        reason: r.reason,
        risk: r.risk,
        riskWhy: r.risk_why,
        sessionId: r.session_id,
        untrusted: r.untrusted === 1,
        requester: { pid: r.requester_pid, ppid: r.requester_ppid, process: r.requester_comm, tty: r.tty, cwd: r.cwd },
        sudoArgv: JSON.parse(r.sudo_argv_json) as string[],
      });
    }
    return live;
  }

  // ---- grants and execution ---------------------------------------------------------------

  private insertGrant(g: { id: string; requestId: number | null; sessionKey: string | null; argv: readonly string[]; sudoArgv: readonly string[]; targetUser: string; requesterPid: number; keepSession: boolean }): void {
    const now = this.deps.clock.now();
    this.db
      .prepare(`INSERT INTO grants (id, request_id, session_key, argv_json, sudo_argv_json, target_user, requester_pid, keep_session, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(g.id, g.requestId, g.sessionKey, JSON.stringify(g.argv), JSON.stringify(g.sudoArgv), g.targetUser, g.requesterPid, g.keepSession ? 1 : 0, this.iso(now), this.iso(now + this.deps.settings.grantTtlMs));
  }

  private usableGrant(caller: Actor, grantId: string, phase: 'begin' | 'finish'): GrantRow {
    const g = this.db.prepare('SELECT * FROM grants WHERE id = ?').get(grantId) as GrantRow | undefined;
    if (!g) throw new RpcError('GrantInvalid', 'unknown grant');
    if (g.requester_pid !== caller.pid) throw new RpcError('GrantInvalid', 'the grant belongs to another process');
    if (phase === 'begin') {
      if (g.started_at) throw new RpcError('GrantInvalid', 'the grant was already used');
      if (Date.parse(g.expires_at) <= this.deps.clock.now()) throw new RpcError('GrantInvalid', 'the grant expired before it was used');
    } else if (!g.started_at || g.finished_at) {
      throw new RpcError('GrantInvalid', 'the grant is not running');
    }
    return g;
  }

  begin(caller: Actor, p: { grantId: string; realSudo: string }): { resetAfter: boolean; keepSession: boolean; sudoArgv: string[] } {
    const g = this.usableGrant(caller, p.grantId, 'begin');
    const problem = this.deps.vetRealSudo(p.realSudo);
    if (problem) throw new RpcError('GrantInvalid', `refusing to record a run through ${p.realSudo}: ${problem}`);
    const sudoArgv = JSON.parse(g.sudo_argv_json) as string[];
    // The session may have expired or been dropped since the grant was issued: then this run is single-use.
    const keep = g.keep_session === 1 && g.session_key !== null && this.liveSession(g.session_key) !== null;
    this.deps.audit.transact((record) => {
      this.db.prepare('UPDATE grants SET started_at = ? WHERE id = ?').run(this.iso(), g.id);
      if (keep) this.touchSession(g.session_key!);
      record({
        action: 'exec_start',
        actor: caller,
        subject: JSON.parse(g.argv_json)[0] as string,
        data: { grant_id: g.id, request_id: g.request_id, argv: JSON.parse(g.argv_json), target_user: g.target_user, real_sudo: p.realSudo, sudo_argv: sudoArgv, elevation_session: keep ? g.session_key : null, use_sudo: true },
      });
    });
    if (keep) this.armSession(g.session_key!, this.deps.settings.idleTimeoutMs);
    return { resetAfter: !keep, keepSession: keep, sudoArgv };
  }

  finish(caller: Actor, p: { grantId: string; exitCode: number | null; signal: string | null; durationMs: number; credentialReset: { command: string; ok: boolean; detail: string } | null }): { sessionKept: boolean } {
    const g = this.usableGrant(caller, p.grantId, 'finish');
    const keep = g.keep_session === 1 && g.session_key !== null && this.liveSession(g.session_key) !== null;
    this.deps.audit.transact((record) => {
      this.db.prepare('UPDATE grants SET finished_at = ? WHERE id = ?').run(this.iso(), g.id);
      const argv = JSON.parse(g.argv_json) as string[];
      record({ action: 'exec_finish', actor: caller, subject: argv[0]!, data: { grant_id: g.id, argv, returncode: p.exitCode, signal: p.signal, duration_ms: Math.round(p.durationMs) } });
      if (p.credentialReset) record({ action: 'sudo_reset', actor: caller, subject: 'sudo', data: { grant_id: g.id, command: p.credentialReset.command, ok: p.credentialReset.ok, detail: p.credentialReset.detail } });
      if (keep) this.touchSession(g.session_key!);
      else record({ action: 'drop_elevation', actor: caller, subject: argv[0]!, data: { grant_id: g.id, reason: 'single use: dropped after the command' } });
    });
    if (keep) this.armSession(g.session_key!, this.deps.settings.idleTimeoutMs);
    return { sessionKept: keep };
  }

  // ---- sessions ---------------------------------------------------------------------------

  private liveSession(key: string): SessionRow | null {
    const s = this.db.prepare('SELECT * FROM sessions WHERE key = ?').get(key) as SessionRow | undefined;
    if (!s) return null;
    const timer = this.sessionTimers.get(key);
    // Monotonic during uptime (a wall clock set back must not extend it), wall clock across restarts.
    if (timer && this.deps.clock.monotonic() >= timer.deadlineMono) return null;
    if (Date.parse(s.expires_at) <= this.deps.clock.now()) return null;
    return s;
  }

  private upsertSession(key: string, sessionId: string | null, targetUser: string, argv: readonly string[]): void {
    const now = this.deps.clock.now();
    const expires = this.iso(now + this.deps.settings.idleTimeoutMs);
    const existing = this.liveSession(key);
    const approved = existing ? (JSON.parse(existing.approved_argv_json) as string[][]) : [];
    if (!approved.some((a) => argvKey(a) === argvKey(argv))) approved.push([...argv]);
    this.db
      .prepare(
        `INSERT INTO sessions (key, session_id, target_user, approved_argv_json, created_at, last_activity_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET approved_argv_json = excluded.approved_argv_json, last_activity_at = excluded.last_activity_at, expires_at = excluded.expires_at`,
      )
      .run(key, sessionId, targetUser, JSON.stringify(approved), this.iso(now), this.iso(now), expires);
  }

  private touchSession(key: string): void {
    const now = this.deps.clock.now();
    this.db.prepare('UPDATE sessions SET last_activity_at = ?, expires_at = ? WHERE key = ?').run(this.iso(now), this.iso(now + this.deps.settings.idleTimeoutMs), key);
  }

  private armSession(key: string, ms: number): void {
    const existing = this.sessionTimers.get(key);
    if (existing) this.deps.clock.clearTimeout(existing.timer);
    const deadlineMono = this.deps.clock.monotonic() + ms;
    const timer = this.deps.clock.setTimeout(() => {
      this.dropSession(key, 'timeout_drop').catch((err: unknown) => {
        // Recording the drop failed (e.g. disk full); the session row stays, and liveSession() already treats it as expired.
        this.deps.log.error({ err, session: key }, 'could not record an idle-timeout drop');
      });
    }, ms);
    this.sessionTimers.set(key, { timer, deadlineMono });
  }

  sessions(): Array<{ key: string; sessionId: string | null; targetUser: string; approvedArgv: string[][]; createdAt: string; lastActivityAt: string; expiresAt: string }> {
    return (this.db.prepare('SELECT * FROM sessions ORDER BY created_at').all() as SessionRow[])
      .filter((s) => this.liveSession(s.key) !== null)
      .map((s) => ({
        key: s.key,
        sessionId: s.session_id,
        targetUser: s.target_user,
        approvedArgv: JSON.parse(s.approved_argv_json) as string[][],
        createdAt: s.created_at,
        lastActivityAt: s.last_activity_at,
        expiresAt: s.expires_at,
      }));
  }

  /** Drops a session (idle expiry or by hand), audits it, then runs sudo -K and audits that too. */
  async dropSession(key: string, action: 'timeout_drop' | 'drop_elevation', actor: Actor = this.deps.self): Promise<boolean> {
    const timer = this.sessionTimers.get(key);
    if (timer) this.deps.clock.clearTimeout(timer.timer);
    this.sessionTimers.delete(key);
    const s = this.db.prepare('SELECT * FROM sessions WHERE key = ?').get(key) as SessionRow | undefined;
    if (!s) return false;
    this.deps.audit.transact((record) => {
      this.db.prepare('DELETE FROM sessions WHERE key = ?').run(key);
      record({
        action,
        actor,
        subject: `session:${key}`,
        data: { elevation_session: key, session_id: s.session_id, last_activity_at: s.last_activity_at, reason: action === 'timeout_drop' ? `idle for ${this.deps.settings.idleTimeoutMs / 60_000} minutes` : 'dropped by hand' },
      });
    });
    await this.resetCredentials(action);
    return true;
  }

  private async resetCredentials(cause: string): Promise<void> {
    let outcome: { command: string; ok: boolean; detail: string };
    try {
      outcome = await this.deps.resetCredentials();
    } catch (err) {
      outcome = { command: 'sudo -K', ok: false, detail: (err as Error).message };
    }
    try {
      this.deps.audit.append({ action: 'sudo_reset', actor: this.deps.self, subject: 'sudo', data: { ...outcome, cause } });
    } catch (err) {
      this.deps.log.error({ err }, 'could not record the sudo -K result');
    }
  }
}
