/** The single RPC contract between ocsecd, ocsecctl and the shim: every method's name, params, result and error codes. */
import { z } from 'zod';

export * from './codes.js';
import { MAX_QUERY_LIMIT, MAX_TAIL_WAIT_MS, type ErrorCodeName } from './codes.js';

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
    summary: 'The requester is about to execute its grant: recorded (exec_start) before it runs.',
    params: z.strictObject({ grantId: z.string().min(1).max(100), realSudo: z.string().max(4096), sudoArgv: argvSchema }),
    result: z.object({ resetAfter: z.boolean(), keepSession: z.boolean() }),
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
