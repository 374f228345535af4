/** The shapes of the OpenClaw installation audit that cross the RPC boundary: the report, per-check statuses, skills, fixes and baseline snapshots. */
import { z } from 'zod';

/** What `--scope` accepts; without it every scope except the skills scan runs (that needs --deep or `skills`). */
export const SECURITY_SCOPES = ['config', 'network', 'auth', 'permissions', 'secrets', 'skills', 'logging', 'deps'] as const;
export const securityScope = z.enum(SECURITY_SCOPES);
export type SecurityScope = z.infer<typeof securityScope>;
export const DEFAULT_SECURITY_SCOPES: readonly SecurityScope[] = SECURITY_SCOPES.filter((s) => s !== 'skills');

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severity>;

/** The score band names the risk left, as the hardening guide prints it: `6.2/10 (MEDIUM)`. */
export const scoreBand = z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
export type ScoreBand = z.infer<typeof scoreBand>;

export const securityFinding = z.object({
  checkId: z.string(),
  severity,
  title: z.string(),
  detail: z.string(),
  remediation: z.string(),
  fixable: z.boolean(),
  evidence: z.record(z.string(), z.unknown()),
});
export type SecurityFinding = z.infer<typeof securityFinding>;

export const skillLevel = z.enum(['reject', 'warn', 'note']);
export type SkillLevel = z.infer<typeof skillLevel>;

export const skillHit = z.object({
  ruleId: z.string(),
  level: skillLevel,
  severity,
  /** Relative to the skill's directory. */
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  /** The matched text (at most 200 characters, credential shapes redacted). */
  match: z.string(),
  message: z.string(),
});
export type SkillHit = z.infer<typeof skillHit>;

export const skillReport = z.object({
  name: z.string(),
  path: z.string(),
  source: z.enum(['managed', 'workspace', 'extra']),
  description: z.string().nullable(),
  verdict: z.enum(['reject', 'warn', 'note', 'clean']),
  /** sha256 over every file's relative path, type and content hash, sorted: changes when any file does. */
  hash: z.string(),
  files: z.number().int(),
  scannedFiles: z.number().int(),
  /** Files hashed but not read for red flags (binary, too large, vendored), with why. */
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  hits: z.array(skillHit),
  /** Hits beyond the per-rule cap, counted but not listed. */
  hitsOmitted: z.number().int(),
  /** Matches a false-positive guard set aside, with the guard's reason, so the decision can be reviewed. */
  suppressed: z.array(z.object({ ruleId: z.string(), file: z.string(), line: z.number().int(), reason: z.string() })),
});
export type SkillReport = z.infer<typeof skillReport>;

export const fixChange = z.object({ path: z.string(), from: z.string(), to: z.string(), command: z.string() });
export type FixChange = z.infer<typeof fixChange>;

export const fixReport = z.object({
  dryRun: z.boolean(),
  changes: z.array(fixChange),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});
export type FixReport = z.infer<typeof fixReport>;

/** The report, exactly as `ocsecctl security audit --json` prints it. */
export const securityReport = z.object({
  ts: z.string(),
  openclaw_version: z.string().nullable(),
  score: z.number(),
  summary: z.object({
    critical: z.number().int(),
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
    info: z.number().int(),
    passed: z.number().int(),
  }),
  findings: z.array(securityFinding),
  skills: z.array(skillReport),
  fix: fixReport.optional(),
});
export type SecurityReport = z.infer<typeof securityReport>;

export const checkStatus = z.object({
  checkId: z.string(),
  scope: securityScope,
  title: z.string(),
  status: z.enum(['passed', 'failed', 'not_assessed']),
  /** The worst finding's severity when failed; the check's nominal severity otherwise. */
  severity,
  reason: z.string().nullable(),
  /** The openclaw.json key paths the check reads (from the one settings table). */
  keys: z.array(z.string()),
});
export type CheckStatus = z.infer<typeof checkStatus>;

export const securityAuditResult = z.object({
  runId: z.number().int(),
  trigger: z.enum(['manual', 'scheduled']),
  band: scoreBand,
  deep: z.boolean(),
  scope: z.array(securityScope),
  stateDir: z.string(),
  configPath: z.string(),
  report: securityReport,
  checks: z.array(checkStatus),
});
export type SecurityAuditResult = z.infer<typeof securityAuditResult>;

const modeString = z.string().regex(/^0[0-7]{3,4}$/);

/** A snapshot to diff later: stable key order, sorted lists, secrets masked with a keyed fingerprint. */
export const baselineSnapshot = z.object({
  format: z.literal('ocsec-security-baseline'),
  version: z.literal(1),
  created_at: z.string(),
  state_dir: z.string(),
  openclaw_version: z.string().nullable(),
  config: z.object({
    path: z.string(),
    sha256: z.string().nullable(),
    files: z.array(z.object({ path: z.string(), sha256: z.string() })),
    parse_error: z.string().nullable(),
    /** Security-relevant key paths and their values; secrets as `prefix…(N chars) fp:HEX`. */
    values: z.record(z.string(), z.unknown()),
  }),
  skills: z.array(z.object({ name: z.string(), path: z.string(), source: z.string(), hash: z.string() })),
  listening: z.object({
    available: z.boolean(),
    reason: z.string().nullable(),
    sockets: z.array(z.object({ protocol: z.string(), address: z.string(), port: z.number().int() })),
  }),
  egress_allowlist: z.object({
    file: z.string(),
    sha256: z.string().nullable(),
    problem: z.string().nullable(),
    rules: z.array(z.unknown()),
    openclaw_outbound: z.array(z.string()),
  }),
  file_modes: z.array(z.object({ path: z.string(), type: z.enum(['dir', 'file', 'symlink', 'other']), mode: modeString, uid: z.number().int() })),
  scheduled: z.object({
    crontab: z.object({ available: z.boolean(), reason: z.string().nullable(), lines: z.array(z.string()) }),
    systemd_user_timers: z.array(z.object({ unit: z.string(), file: z.string(), schedule: z.string(), exec: z.string().nullable() })),
    launch_agents: z.array(z.object({ label: z.string().nullable(), file: z.string(), program: z.string().nullable(), sha256: z.string() })),
  }),
});
export type BaselineSnapshot = z.infer<typeof baselineSnapshot>;
