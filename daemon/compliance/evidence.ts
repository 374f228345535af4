/**
 * What the compliance checks decide from: one value gathered per run from the daemon's own state, the
 * host and the network monitor. Each source either holds its value or says why it could not be read,
 * so a check reports `error` with that reason instead of guessing.
 */
import type { EgressReport, PortReport } from '../../client/network-protocol.js';
import type { HostPosture } from '../../client/protocol.js';
import type { VerifyReport } from '../audit/trail.js';

export type Sourced<T> = { ok: true; value: T } | { ok: false; reason: string };

export const sourced = <T>(value: T): Sourced<T> => ({ ok: true, value });
export const unreadable = <T>(reason: string): Sourced<T> => ({ ok: false, reason });

export interface SettingsEvidence {
  /** Where the settings came from: ocsec.json, or the built-in defaults. */
  configPath: string;
  idleTimeoutMinutes: number;
  approvalTimeoutSeconds: number;
  outOfBandApproval: boolean;
  approvalRequiresTerminal: boolean;
  requireSessionId: { config: boolean; env: boolean };
  requirePolicyFiles: { config: boolean; env: boolean };
  /** The fleet exports that copy audit events off the host (jsonl, syslog). */
  eventExports: Array<{ name: 'jsonl' | 'syslog'; target: string | null }>;
}

export interface FactorsEvidence {
  token: boolean;
  tokenFromEnv: boolean;
  totp: boolean;
  totpPending: boolean;
  lockedUntil: string | null;
  failures: number;
}

export interface SessionEvidence {
  key: string;
  sessionId: string | null;
  targetUser: string;
  commands: number;
  lastActivityAt: string;
  expiresAt: string;
}

export interface PrivilegeEvidence {
  sessions: SessionEvidence[];
  pendingRequests: number;
}

/** Privileged activity in the audit trail over a recent window. */
export interface AuditActivity {
  windowDays: number;
  since: string;
  counts: Record<string, number>;
  /** Grants whose command started and never reported an exit (at most 50, oldest first). */
  unfinished: Array<{ grantId: string; argv0: string | null; startedAt: string }>;
}

export interface AuditFilesEvidence {
  mirrorPath: string;
  mirror: FileMode | null;
  securityDir: FileMode | null;
  database: FileMode | null;
  settingsFile: FileMode | null;
}

/** The audit chain's last full verification: the daemon's scheduled one while recent, else one made for this run. */
export interface AuditChainEvidence {
  report: VerifyReport;
  verifiedAt: string;
  /** The daemon's own recent verification was used (no second hash of the whole chain). */
  reused: boolean;
  /** The head now: events after report.headSeq are verified at the next verification. */
  headSeqNow: number;
}

export interface FileMode {
  path: string;
  mode: number;
  uid: number;
}

export interface PolicyFileEvidence {
  name: string;
  path: string;
  status: 'ok' | 'missing' | 'invalid';
  inForce: boolean;
  sha256: string | null;
  problem: string | null;
}

export interface PolicyEvidence {
  files: PolicyFileEvidence[];
  /** The command policy in force (the last good version), or null when none is. */
  command: { allow: number; deny: number; allowExact: number; denyExact: number; denyShells: boolean; keepSession: boolean } | null;
  /** The effective prompt policy: from the file in force, or the built-in default when none is. */
  prompt: { requireConfirmationForUntrusted: boolean; source: 'file' | 'default' };
  egressRules: number | null;
  approvedPortRules: number | null;
}

export interface LauncherEvidence {
  path: string;
  installed: boolean;
  /** The launcher is ocsec's and everything it pins still exists and matches. */
  sound: boolean;
  detail: string;
  realSudo: { ok: boolean; detail: string };
}

export interface ServiceEvidence {
  platform: string;
  file: string;
  installed: boolean;
  enabled: boolean | null;
  problems: string[];
  /** The unit or label ocsecd should run as. */
  expectedUnit: string;
}

export interface NetworkSample<R> {
  report: R;
  /** Seconds between the sample and this run. */
  ageSeconds: number;
  /** Taken for this run because the latest one was missing or too old. */
  fresh: boolean;
}

export interface OpenClawEvidence {
  configPath: string;
  exists: boolean;
  /** The merged configuration (includes resolved); null when a file does not parse. */
  config: Record<string, unknown> | null;
  problems: string[];
}

export interface PermissionIssueEvidence {
  path: string;
  mode: string;
  want: string;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'info';
  reason: string;
  fix: string;
}

export interface PermissionsEvidence {
  observed: number;
  issues: PermissionIssueEvidence[];
}

export interface SecurityAuditEvidence {
  runId: number;
  finishedAt: string;
  trigger: 'manual' | 'scheduled';
  deep: boolean;
  openclawVersion: string | null;
  score: number;
  checks: Array<{ checkId: string; status: 'passed' | 'failed' | 'not_assessed'; severity: string; reason: string | null }>;
  /** The most recent run with deep=true that assessed npm audit (it may be older than the latest run). */
  lastNpmAudit: { runId: number; finishedAt: string; status: 'passed' | 'failed'; severity: string; reason: string | null } | null;
}

export interface BackupEvidence {
  maxAgeHours: number;
  paths: Array<{ path: string; exists: boolean; newest: { file: string; mtime: string } | null; files: number; problem: string | null }>;
  jobs: Array<{ source: string; text: string }>;
  /** Why scheduled jobs could not all be read (crontab unavailable...), null when they could. */
  jobsProblem: string | null;
}

export interface Evidence {
  /** Wall-clock ms of the run. */
  now: number;
  stateDir: string;
  shimDir: string;
  settings: Sourced<SettingsEvidence>;
  factors: Sourced<FactorsEvidence>;
  privilege: Sourced<PrivilegeEvidence>;
  auditActivity: Sourced<AuditActivity>;
  auditChain: Sourced<AuditChainEvidence>;
  auditFiles: Sourced<AuditFilesEvidence>;
  policies: Sourced<PolicyEvidence>;
  host: Sourced<HostPosture>;
  launcher: Sourced<LauncherEvidence>;
  service: Sourced<ServiceEvidence>;
  ports: Sourced<NetworkSample<PortReport>>;
  egress: Sourced<NetworkSample<EgressReport>>;
  openclaw: Sourced<OpenClawEvidence>;
  permissions: Sourced<PermissionsEvidence>;
  securityAudit: Sourced<SecurityAuditEvidence | null>;
  backups: Sourced<BackupEvidence>;
}

export type EvidenceSource = Exclude<keyof Evidence, 'now' | 'stateDir' | 'shimDir'>;

export const EVIDENCE_SOURCES: readonly EvidenceSource[] = [
  'settings',
  'factors',
  'privilege',
  'auditActivity',
  'auditChain',
  'auditFiles',
  'policies',
  'host',
  'launcher',
  'service',
  'ports',
  'egress',
  'openclaw',
  'permissions',
  'securityAudit',
  'backups',
];
