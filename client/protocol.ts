/** The single RPC contract between ocsecd, ocsecctl and the shim: every method's name, params, result and error codes. */
import { z } from 'zod';

export * from './codes.js';
import { MAX_QUERY_LIMIT, MAX_TAIL_WAIT_MS, type ErrorCodeName } from './codes.js';
import { baselineSnapshot, SECURITY_SCOPES, securityAuditResult, securityScope } from './security-report.js';
import { approvedPortRuleParams, baselineResult, egressReport, egressRuleParams, findingsListParams, portReport, ruleWriteResult, storedFinding } from './network-protocol.js';
import { complianceHistoryParams, complianceHistoryResult, complianceRunResult, dashboardResult, notificationOutcome, unwaiveParams, waiveParams, waiverShape, waiversParams } from './compliance-protocol.js';

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const empty = z.strictObject({}).optional();

export const auditEvent = z.object({
  seq: z.number().int(),
  ts: z.string(),
  actor_uid: z.number().int(),
  actor_pid: z.number().int(),
  action: z.string(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof auditEvent>;

export const chainBreak = z.object({
  seq: z.number().int(),
  kind: z.enum(['changed', 'missing', 'relinked', 'mirror-mismatch', 'truncated-tail', 'mirror-behind', 'mirror-unreadable']),
  reason: z.string(),
});
export type ChainBreak = z.infer<typeof chainBreak>;

export const jobStatus = z.object({
  name: z.string(),
  schedule: z.string(),
  running: z.boolean(),
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastError: z.string().nullable(),
  runs: z.number().int(),
});
export type JobStatus = z.infer<typeof jobStatus>;

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp');

export const riskClass = z.enum(['standard', 'shell']);
export const approvalFactor = z.enum(['confirm', 'token', 'totp']);

const argvSchema = z.array(z.string().max(64 * 1024).refine((s) => !s.includes('\0'), 'argv words cannot contain NUL')).min(1).max(4096);

export const privilegeRequestParams = z.strictObject({
  /** Canonical argv: argv[0] is the resolved absolute path, as the command will be executed. */
  argv: argvSchema,
  /** How sudo was asked to run it: a command, a shell (-s/-i) or an editor (-e/sudoedit). */
  mode: z.enum(['command', 'shell', 'edit']),
  /**
   * Exactly what the shim will pass to the real sudo: kept options, VAR=value words, `--`, then argv
   * (for sudoedit: options, `-e --`, the files). The approval is bound to it; begin hands it back.
   */
  sudoArgv: argvSchema,
  targetUser: z.string().min(1).max(256),
  targetGroup: z.string().min(1).max(256).nullable(),
  envAssignments: z.array(z.string().max(64 * 1024)).max(256),
  preserveEnv: z.union([z.boolean(), z.array(z.string().max(256)).max(256)]),
  cwd: z.string().max(4096),
  tty: z.string().max(256).nullable(),
  /** The shim could open /dev/tty: a person can be asked on this terminal. */
  interactive: z.boolean(),
  sessionId: z.string().min(1).max(200).nullable(),
  reason: z.string().max(200).nullable(),
  untrustedSource: z.boolean(),
  /** Set by the caller's environment; they can only tighten the daemon's own settings. */
  requireSessionId: z.boolean(),
  requirePolicyFiles: z.boolean(),
  allowNonInteractive: z.boolean(),
});
export type PrivilegeRequestParams = z.infer<typeof privilegeRequestParams>;

export const privilegeDecision = z.discriminatedUnion('decision', [
  z.object({
    decision: z.literal('denied'),
    code: z.enum(['policy', 'shell-denied', 'session-id-required', 'policy-files-missing', 'non-interactive']),
    reason: z.string(),
    exitCode: z.number().int(),
    requestId: z.number().int().nullable(),
  }),
  z.object({
    decision: z.literal('authorized'),
    grantId: z.string(),
    risk: riskClass,
    via: z.literal('session'),
  }),
  z.object({
    decision: z.literal('approval_required'),
    requestId: z.number().int(),
    factors: z.array(approvalFactor),
    untrustedConfirmation: z.boolean(),
    risk: riskClass,
    riskWhy: z.string().nullable(),
    expiresAt: z.string(),
    /** Non-interactive callers wait for `ocsecctl approve` instead of prompting. */
    outOfBand: z.boolean(),
  }),
]);
export type PrivilegeDecision = z.infer<typeof privilegeDecision>;

export const pendingRequest = z.object({
  id: z.number().int(),
  createdAt: z.string(),
  expiresAt: z.string(),
  ageSeconds: z.number(),
  argv: z.array(z.string()),
  mode: z.string(),
  targetUser: z.string(),
  reason: z.string().nullable(),
  risk: riskClass,
  riskWhy: z.string().nullable(),
  sessionId: z.string().nullable(),
  untrusted: z.boolean(),
  requester: z.object({ pid: z.number().int(), ppid: z.number().int().nullable(), process: z.string().nullable(), tty: z.string().nullable(), cwd: z.string() }),
  sudoArgv: z.array(z.string()),
});
export type PendingRequest = z.infer<typeof pendingRequest>;

const requestState = z.enum(['pending', 'approved', 'denied', 'expired']);

export const policyFileStatus = z.object({
  name: z.string(),
  path: z.string(),
  status: z.enum(['ok', 'missing', 'invalid']),
  inForce: z.boolean(),
  sha256: z.string().nullable(),
  loadedAt: z.string().nullable(),
  problem: z.string().nullable(),
});

/** Which sudo a PATH runs, and whether that is the ocsec shim launcher. */
const sudoOnPath = {
  path: z.string().nullable(),
  firstSudo: z.string().nullable(),
  /** null when the PATH could not be read. */
  shimFirst: z.boolean().nullable(),
  problem: z.string().nullable(),
};

export const hostPosture = z.object({
  platform: z.string(),
  daemon: z.object({
    pid: z.number().int(),
    uid: z.number().int(),
    /** Running under no_new_privs (the opt-in sandbox): setuid sudo cannot run from the daemon. */
    noNewPrivileges: z.boolean(),
    supervisor: z.object({ kind: z.enum(['systemd', 'launchd', 'none']), unit: z.string().nullable(), detail: z.string() }),
  }),
  /** The credentials the kernel reported for the connection that asked. */
  peer: z.object({ mechanism: z.string(), uid: z.number().int(), pid: z.number().int() }),
  shimDir: z.string(),
  gateway: z.object({
    match: z.string(),
    processes: z.array(z.object({ pid: z.number().int(), uid: z.number().int(), command: z.string(), pathSource: z.enum(['environ', 'unreadable']), ...sudoOnPath })),
    /** Gateways serving another state dir (another OpenClaw profile): their shim would be there, not here. */
    otherStateDirs: z.array(z.object({ pid: z.number().int(), stateDir: z.string() })),
    configured: z.object({ kind: z.enum(['systemd-unit', 'launchd-plist', 'none']), file: z.string().nullable(), ...sudoOnPath }),
  }),
  sudo: z.object({
    status: z.enum(['listed', 'password-required', 'no-rights', 'root', 'unavailable', 'not-installed', 'error']),
    realSudo: z.string().nullable(),
    passwordless: z.array(z.string()),
    authenticateDisabled: z.boolean(),
    detail: z.string(),
  }),
  alternatives: z.array(z.object({ name: z.string(), path: z.string(), setuid: z.boolean(), passwordless: z.array(z.string()) })),
});
export type HostPosture = z.infer<typeof hostPosture>;

export const exportSinkStatus = z.object({
  name: z.enum(['jsonl', 'syslog', 'prometheus_textfile']),
  enabled: z.boolean(),
  target: z.string().nullable(),
  /** Audit seq delivered up to (event sinks); null for the metrics file. */
  cursorSeq: z.number().int().nullable(),
  /** Events (or files) delivered since the daemon started. */
  delivered: z.number().int(),
  failures: z.number().int(),
  consecutiveFailures: z.number().int(),
  lastError: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastFailureAt: z.string().nullable(),
});
export type ExportSinkStatus = z.infer<typeof exportSinkStatus>;

/** A method descriptor: the params schema the daemon validates, the result type the client trusts, the codes it may return. */
export interface MethodDescriptor<P extends z.ZodType, R extends z.ZodType> {
  readonly method: string;
  readonly params: P;
  readonly result: R;
  readonly errors: readonly ErrorCodeName[];
  readonly summary: string;
}

function describe<P extends z.ZodType, R extends z.ZodType>(d: MethodDescriptor<P, R>): MethodDescriptor<P, R> {
  return d;
}

export const methods = {
  'audit.query': describe({
    method: 'audit.query',
    summary: 'Audit events in seq order, filtered by seq, time and action.',
    params: z
      .strictObject({
        afterSeq: seq.optional(),
        since: isoTimestamp.optional(),
        action: z.string().min(1).max(200).optional(),
        limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
      })
      .optional(),
    result: z.object({ events: z.array(auditEvent), headSeq: z.number().int() }),
    errors: ['InvalidParams', 'StoreUnavailable'],
  }),
  'audit.tail': describe({
    method: 'audit.tail',
    summary: 'Long-poll: events after afterSeq, waiting up to waitMs for the first one.',
    params: z
      .strictObject({
        afterSeq: seq.optional(),
        waitMs: z.number().int().min(0).max(MAX_TAIL_WAIT_MS).optional(),
        limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
      })
      .optional(),
    result: z.object({ events: z.array(auditEvent), headSeq: z.number().int() }),
    errors: ['InvalidParams', 'StoreUnavailable', 'ShuttingDown'],
  }),
  'audit.verify': describe({
    method: 'audit.verify',
    summary: 'Recompute the hash chain and compare it with the JSONL mirror.',
    params: empty,
    result: z.object({
      ok: z.boolean(),
      count: z.number().int(),
      headSeq: z.number().int(),
      headHash: z.string(),
      mirror: z.object({ path: z.string(), lines: z.number().int(), lastSeq: z.number().int() }),
      firstBreak: chainBreak.nullable(),
    }),
    errors: ['StoreUnavailable'],
  }),
  'compliance.dashboard': describe({
    method: 'compliance.dashboard',
    summary: 'Write compliance-dashboard.html again from the latest run (running an assessment first when there is none) and return its path.',
    params: empty,
    result: dashboardResult,
    errors: ['AuditWriteFailed', 'StoreUnavailable'],
  }),
  'compliance.history': describe({
    method: 'compliance.history',
    summary: 'Past assessment runs with their status and risk counts (newest first); with checkId, that check\'s status in each run.',
    params: complianceHistoryParams,
    result: complianceHistoryResult,
    errors: ['InvalidParams', 'StoreUnavailable'],
  }),
  'compliance.latest': describe({
    method: 'compliance.latest',
    summary: 'The most recent compliance assessment (scheduled or on demand), or null before the first.',
    params: empty,
    result: z.object({ result: complianceRunResult.nullable() }),
    errors: ['StoreUnavailable'],
  }),
  'compliance.notify.test': describe({
    method: 'compliance.notify.test',
    summary: 'Send a test message through the configured violation notifier (allowlist, no shell, 5 s timeout) and report what happened.',
    params: empty,
    result: notificationOutcome,
    errors: ['AuditWriteFailed'],
  }),
  'compliance.run': describe({
    method: 'compliance.run',
    summary: 'Assess every ISO 27001 / NIST CSF check from live evidence now, write the assessment, summary and dashboard, and notify new findings.',
    params: empty,
    result: complianceRunResult,
    errors: ['AuditWriteFailed', 'StoreUnavailable'],
  }),
  'compliance.unwaive': describe({
    method: 'compliance.unwaive',
    summary: 'Revoke a waiver before it expires (needs the approval factor when one is configured).',
    params: unwaiveParams,
    result: z.object({ waiver: waiverShape }),
    errors: ['InvalidParams', 'SelfApprovalRefused', 'FactorInvalid', 'FactorLocked', 'AuditWriteFailed'],
  }),
  'compliance.waive': describe({
    method: 'compliance.waive',
    summary: 'Accept a finding until a date: the check reports "waived" instead of partial or violation until the waiver expires.',
    params: waiveParams,
    result: z.object({ waiver: waiverShape }),
    errors: ['InvalidParams', 'SelfApprovalRefused', 'FactorInvalid', 'FactorLocked', 'AuditWriteFailed'],
  }),
  'compliance.waivers': describe({
    method: 'compliance.waivers',
    summary: 'Waivers in force (with all: expired and revoked ones too).',
    params: waiversParams,
    result: z.object({ waivers: z.array(waiverShape) }),
    errors: ['StoreUnavailable'],
  }),
  'daemon.status': describe({
    method: 'daemon.status',
    summary: 'Version, pid, uptime, paths, schema version, audit head and scheduled jobs.',
    params: empty,
    result: z.object({
      version: z.string(),
      protocolVersion: z.number().int(),
      pid: z.number().int(),
      uid: z.number().int(),
      startedAt: z.string(),
      uptimeSeconds: z.number(),
      stateDir: z.string(),
      socketPath: z.string(),
      dbPath: z.string(),
      auditMirrorPath: z.string(),
      schemaVersion: z.number().int(),
      audit: z.object({ headSeq: z.number().int(), headHash: z.string() }),
      jobs: z.array(jobStatus),
    }),
    errors: [],
  }),
  'egress.allow': describe({
    method: 'egress.allow',
    summary: 'Add one rule to egress_allowlist.json (exactly one of host, host_regex, cidr; optional protocol, port, command).',
    params: egressRuleParams,
    result: ruleWriteResult,
    errors: ['InvalidParams', 'PolicyInvalid', 'AuditWriteFailed'],
  }),
  'egress.latest': describe({
    method: 'egress.latest',
    summary: 'The latest egress report (connections, findings, coverage), or null before the first sample.',
    params: empty,
    result: z.object({ report: egressReport.nullable() }),
    errors: ['StoreUnavailable'],
  }),
  'egress.sample': describe({
    method: 'egress.sample',
    summary: 'Sample outbound connections now and check them against egress_allowlist.json.',
    params: empty,
    result: egressReport,
    errors: ['SamplerUnavailable', 'AuditWriteFailed', 'StoreUnavailable'],
  }),
  'exports.status': describe({
    method: 'exports.status',
    summary: 'Each fleet export (JSON lines, syslog, Prometheus textfile): target, cursor, deliveries and failures.',
    params: empty,
    result: z.object({ headSeq: z.number().int(), sinks: z.array(exportSinkStatus) }),
    errors: [],
  }),
  'factors.status': describe({
    method: 'factors.status',
    summary: 'Which approval factors are configured, and any lockout.',
    params: empty,
    result: z.object({ token: z.boolean(), tokenFromEnv: z.boolean(), totp: z.boolean(), totpPending: z.boolean(), lockedUntil: z.string().nullable(), failures: z.number().int() }),
    errors: [],
  }),
  'factors.token.set': describe({
    method: 'factors.token.set',
    summary: 'Set (or replace) the approval token; replacing needs the current factor.',
    params: z.strictObject({ token: z.string().min(12).max(1024), current: z.string().max(1024).optional() }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['InvalidParams', 'FactorInvalid', 'FactorLocked'],
  }),
  'factors.token.clear': describe({
    method: 'factors.token.clear',
    summary: 'Remove the approval token; needs the current token.',
    params: z.strictObject({ current: z.string().max(1024) }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['FactorInvalid', 'FactorLocked'],
  }),
  'factors.totp.enroll': describe({
    method: 'factors.totp.enroll',
    summary: 'Start TOTP enrollment: returns the otpauth URI; active once confirmed with a code.',
    params: z.strictObject({ current: z.string().max(1024).optional() }),
    result: z.object({ uri: z.string(), secret: z.string() }),
    errors: ['FactorInvalid', 'FactorLocked'],
  }),
  'factors.totp.confirm': describe({
    method: 'factors.totp.confirm',
    summary: 'Activate a pending TOTP enrollment with a current code.',
    params: z.strictObject({ code: z.string().regex(/^\d{6}$/, 'a 6-digit code') }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['FactorInvalid', 'RequestNotFound'],
  }),
  'factors.totp.clear': describe({
    method: 'factors.totp.clear',
    summary: 'Remove TOTP; needs a current code.',
    params: z.strictObject({ current: z.string().max(1024) }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['FactorInvalid', 'FactorLocked'],
  }),
  'findings.list': describe({
    method: 'findings.list',
    summary: 'Network findings with their lifecycle (first/last seen, occurrences, resolved_at); open ones by default.',
    params: findingsListParams,
    result: z.object({ findings: z.array(storedFinding) }),
    errors: ['InvalidParams', 'StoreUnavailable'],
  }),
  'host.posture': describe({
    method: 'host.posture',
    summary: "Supervision, the peer check, the running gateway's PATH, passwordless sudo rules and other setuid paths to root.",
    params: empty,
    result: hostPosture,
    errors: [],
  }),
  'policy.check': describe({
    method: 'policy.check',
    summary: 'Status of each policy file: in force, missing or invalid (with file, field, line).',
    params: empty,
    result: z.object({ ok: z.boolean(), files: z.array(policyFileStatus) }),
    errors: [],
  }),
  'policy.reload': describe({
    method: 'policy.reload',
    summary: 'Re-read every policy file now.',
    params: empty,
    result: z.object({ ok: z.boolean(), files: z.array(policyFileStatus) }),
    errors: [],
  }),
  'ports.approve': describe({
    method: 'ports.approve',
    summary: 'Add one rule to approved_ports.json (or update the rule for the same port/protocol/command/host).',
    params: approvedPortRuleParams,
    result: ruleWriteResult,
    errors: ['InvalidParams', 'PolicyInvalid', 'AuditWriteFailed'],
  }),
  'ports.baseline': describe({
    method: 'ports.baseline',
    summary: 'Propose approved_ports.json from what listens now (review file); with write, replace the file (backed up).',
    params: z.strictObject({ write: z.boolean().optional() }).optional(),
    result: baselineResult,
    errors: ['SamplerUnavailable', 'PolicyInvalid', 'AuditWriteFailed'],
  }),
  'ports.latest': describe({
    method: 'ports.latest',
    summary: 'The latest listening-ports report (services, findings, coverage), or null before the first sample.',
    params: empty,
    result: z.object({ report: portReport.nullable() }),
    errors: ['StoreUnavailable'],
  }),
  'ports.sample': describe({
    method: 'ports.sample',
    summary: 'Sample listening sockets now and check them against approved_ports.json and the insecure-port table.',
    params: empty,
    result: portReport,
    errors: ['SamplerUnavailable', 'AuditWriteFailed', 'StoreUnavailable'],
  }),
  'privilege.approve': describe({
    method: 'privilege.approve',
    summary: 'Approve a pending request: on the requester\'s own terminal (tty) or out of band (cli).',
    params: z.strictObject({
      requestId: z.number().int().min(1),
      channel: z.enum(['tty', 'cli']),
      factor: z.string().max(1024).optional(),
      untrustedConfirmed: z.boolean().optional(),
      keepSession: z.boolean().optional(),
    }),
    result: z.object({ requestId: z.number().int(), state: z.literal('approved'), grantId: z.string().nullable() }),
    errors: ['RequestNotFound', 'RequestNotPending', 'SelfApprovalRefused', 'FactorInvalid', 'FactorLocked', 'UntrustedNotConfirmed', 'AuditWriteFailed'],
  }),
  'privilege.begin': describe({
    method: 'privilege.begin',
    summary: 'The requester is about to execute its grant: recorded (exec_start) before it runs; returns the sudo arguments it was approved for.',
    params: z.strictObject({ grantId: z.string().min(1).max(100), realSudo: z.string().max(4096) }),
    result: z.object({ resetAfter: z.boolean(), keepSession: z.boolean(), sudoArgv: z.array(z.string()) }),
    errors: ['GrantInvalid', 'AuditWriteFailed'],
  }),
  'privilege.deny': describe({
    method: 'privilege.deny',
    summary: 'Deny a pending request.',
    params: z.strictObject({ requestId: z.number().int().min(1), channel: z.enum(['tty', 'cli']), reason: z.string().max(200).optional() }),
    result: z.object({ requestId: z.number().int(), state: z.literal('denied') }),
    errors: ['RequestNotFound', 'RequestNotPending', 'AuditWriteFailed'],
  }),
  'privilege.finish': describe({
    method: 'privilege.finish',
    summary: 'The command ended: exit status, duration, and the result of dropping sudo\'s credential cache.',
    params: z.strictObject({
      grantId: z.string().min(1).max(100),
      exitCode: z.number().int().nullable(),
      signal: z.string().max(32).nullable(),
      durationMs: z.number().min(0),
      credentialReset: z.object({ command: z.string().max(64), ok: z.boolean(), detail: z.string().max(1000) }).nullable(),
    }),
    result: z.object({ sessionKept: z.boolean() }),
    errors: ['GrantInvalid', 'AuditWriteFailed'],
  }),
  'privilege.passthrough': describe({
    method: 'privilege.passthrough',
    summary: 'Record a sudo invocation that needs no approval (-h, -V, -l, -k, -K, -v, no arguments).',
    params: z.strictObject({ argv: z.array(z.string().max(64 * 1024)).max(4096), cwd: z.string().max(4096) }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['AuditWriteFailed'],
  }),
  'privilege.pending': describe({
    method: 'privilege.pending',
    summary: 'Open approval requests, oldest first.',
    params: empty,
    result: z.object({ requests: z.array(pendingRequest) }),
    errors: [],
  }),
  'privilege.refuse': describe({
    method: 'privilege.refuse',
    summary: 'Record a command the shim could not resolve or run (unknown command, invalid real sudo).',
    params: z.strictObject({
      argv: z.array(z.string().max(64 * 1024)).max(4096),
      cwd: z.string().max(4096),
      code: z.enum(['command-not-found', 'invalid-command', 'invalid-real-sudo', 'usage']),
      message: z.string().max(1000),
    }),
    result: z.object({ ok: z.literal(true) }),
    errors: ['AuditWriteFailed'],
  }),
  'privilege.request': describe({
    method: 'privilege.request',
    summary: 'Ask to run a canonical argv as another user: denied, authorized by a session, or approval required.',
    params: privilegeRequestParams,
    result: privilegeDecision,
    errors: ['InvalidParams', 'AuditWriteFailed', 'StoreUnavailable'],
  }),
  'privilege.wait': describe({
    method: 'privilege.wait',
    summary: 'Long-poll a request until it is decided or expires (up to waitMs).',
    params: z.strictObject({ requestId: z.number().int().min(1), waitMs: z.number().int().min(0).max(MAX_TAIL_WAIT_MS).optional() }),
    result: z.object({ requestId: z.number().int(), state: requestState, grantId: z.string().nullable(), reason: z.string().nullable() }),
    errors: ['RequestNotFound'],
  }),
  'security.audit': describe({
    method: 'security.audit',
    summary: 'Audit the OpenClaw installation (config, network, auth, permissions, secrets, skills, logging, deps); with fix, tighten file modes first.',
    params: z
      .strictObject({
        deep: z.boolean().optional(),
        scope: z.array(securityScope).min(1).max(SECURITY_SCOPES.length).optional(),
        fix: z.boolean().optional(),
        dryRun: z.boolean().optional(),
      })
      .refine((p) => !p.dryRun || p.fix, { message: 'dryRun applies to fix', path: ['dryRun'] })
      .optional(),
    result: securityAuditResult,
    errors: ['InvalidParams', 'AuditWriteFailed', 'StoreUnavailable'],
  }),
  'security.baseline': describe({
    method: 'security.baseline',
    summary: 'A baseline snapshot of the installation (config values with secrets masked, skills, ports, egress rules, file modes, scheduled tasks).',
    params: empty,
    result: baselineSnapshot,
    errors: ['StoreUnavailable'],
  }),
  'security.latest': describe({
    method: 'security.latest',
    summary: 'The most recent stored installation audit (manual or scheduled), or null.',
    params: empty,
    result: z.object({ result: securityAuditResult.nullable() }),
    errors: ['StoreUnavailable'],
  }),
  'session.drop': describe({
    method: 'session.drop',
    summary: "Drop an elevated session now (and sudo's credential cache).",
    params: z.strictObject({ key: z.string().min(1).max(300) }),
    result: z.object({ dropped: z.literal(true) }),
    errors: ['SessionNotFound', 'AuditWriteFailed'],
  }),
  'session.list': describe({
    method: 'session.list',
    summary: 'Elevated sessions that keep approvals, with idle expiry.',
    params: empty,
    result: z.object({
      idleTimeoutSeconds: z.number(),
      sessions: z.array(
        z.object({ key: z.string(), sessionId: z.string().nullable(), targetUser: z.string(), approvedArgv: z.array(z.array(z.string())), createdAt: z.string(), lastActivityAt: z.string(), expiresAt: z.string() }),
      ),
    }),
    errors: [],
  }),
  'store.integrity': describe({
    method: 'store.integrity',
    summary: "Run SQLite's integrity_check on the daemon's database.",
    params: empty,
    result: z.object({ ok: z.boolean(), messages: z.array(z.string()), dbPath: z.string() }),
    errors: ['StoreUnavailable'],
  }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;

export const methodNames = Object.keys(methods).sort() as MethodName[];

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
