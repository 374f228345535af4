/** The compliance assessment's part of the RPC contract: check results, runs and their trend, waivers, the dashboard and the notifier. */
import { z } from 'zod';

export const COMPLIANCE_STATUSES = ['compliant', 'partial', 'violation', 'not_applicable', 'error', 'waived'] as const;
export const complianceStatus = z.enum(COMPLIANCE_STATUSES);
export type ComplianceStatusName = z.infer<typeof complianceStatus>;
export const complianceRisk = z.enum(['low', 'medium', 'high', 'critical']);

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp');
const checkIdParam = z.string().regex(/^[a-z0-9_]{3,64}$/, 'a check id such as sudo_nopasswd_absent');
/** An approval factor (token or TOTP code) when one is configured: waivers are approvals of a finding. */
const factor = z.string().max(1024).optional();

export const checkResult = z.object({
  check_id: z.string(),
  title: z.string(),
  status: complianceStatus,
  risk: complianceRisk,
  observed_state: z.string(),
  evidence: z.string(),
  evidence_data: z.record(z.string(), z.unknown()),
  gap: z.string(),
  mitigation: z.string(),
  owner: z.string(),
  due_date: z.string().nullable(),
  first_seen: z.string().nullable(),
  waived_status: z.enum(['partial', 'violation']).nullable(),
  waiver: z.object({ id: z.number().int(), justification: z.string(), approver: z.string(), expires_at: z.string() }).nullable(),
  iso27001: z.array(z.string()),
  nist_csf: z.array(z.string()),
  nist_800_53: z.array(z.string()),
  expected_state: z.string(),
  duration_ms: z.number(),
});
export type CheckResultShape = z.infer<typeof checkResult>;

/** A network finding as the compliance report shows it: port, bind address, process and why (or the remote end for egress). */
export const complianceNetworkFinding = z.object({
  monitor: z.enum(['ports', 'egress']),
  type: z.string(),
  severity: z.string(),
  protocol: z.string(),
  port: z.number().int(),
  bind: z.string().nullable(),
  remote: z.string().nullable(),
  process: z.string().nullable(),
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  why: z.string(),
  recommendation: z.string(),
  first_seen: z.string(),
  occurrences: z.number().int(),
});
export type ComplianceNetworkFinding = z.infer<typeof complianceNetworkFinding>;

const counts = z.record(z.string(), z.number().int());

export const runSummary = z.object({
  runId: z.number().int(),
  trigger: z.enum(['manual', 'scheduled']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  cpuMs: z.number(),
  statusCounts: counts,
  riskCounts: counts,
});
export type RunSummary = z.infer<typeof runSummary>;

export const notificationOutcome = z.object({
  outcome: z.enum(['delivered', 'refused', 'failed', 'timeout', 'not-configured', 'nothing-new']),
  detail: z.string(),
  notifier: z.array(z.string()).nullable(),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nullable(),
  added: z.array(z.string()),
  escalated: z.array(z.string()),
  resolved: z.array(z.string()),
});
export type NotificationOutcome = z.infer<typeof notificationOutcome>;

export const complianceRunResult = z.object({
  run: runSummary,
  results: z.array(checkResult),
  networkFindings: z.array(complianceNetworkFinding),
  outputs: z.object({ assessment: z.string(), summary: z.string(), dashboard: z.string(), problems: z.array(z.string()) }),
  notification: notificationOutcome,
  /** Milliseconds per evidence source (wall and CPU) and per check (its own evaluation). */
  timings: z.object({ sources: z.record(z.string(), z.number()), sourcesCpu: z.record(z.string(), z.number()), checks: z.record(z.string(), z.number()) }),
});
export type ComplianceRunResult = z.infer<typeof complianceRunResult>;

export const complianceHistoryParams = z
  .strictObject({
    limit: z.number().int().min(1).max(1000).optional(),
    checkId: checkIdParam.optional(),
  })
  .optional();

export const complianceHistoryResult = z.object({
  runs: z.array(runSummary),
  /** With checkId: that check's status in each of those runs, newest first. */
  check: z.array(z.object({ runId: z.number().int(), finishedAt: z.string(), status: complianceStatus, risk: complianceRisk })).nullable(),
});

export const waiverShape = z.object({
  id: z.number().int(),
  checkId: z.string(),
  justification: z.string(),
  approver: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedReason: z.string().nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
});
export type WaiverShape = z.infer<typeof waiverShape>;

export const waiveParams = z.strictObject({
  checkId: checkIdParam,
  justification: z.string().trim().min(10, 'say why the risk is accepted (at least 10 characters)').max(2000),
  approver: z.string().trim().min(2).max(200),
  expires: isoTimestamp,
  factor,
});

export const unwaiveParams = z.strictObject({
  id: z.number().int().min(1),
  reason: z.string().max(2000).optional(),
  factor,
});

export const waiversParams = z.strictObject({ all: z.boolean().optional() }).optional();

export const dashboardResult = z.object({ path: z.string(), runId: z.number().int(), generatedAt: z.string(), bytes: z.number().int() });
