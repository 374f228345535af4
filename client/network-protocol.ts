/**
 * The network monitor's part of the RPC contract: report, finding and rule shapes of ports.*,
 * egress.* and findings.*. The reports keep every key of the reference's port-monitor-latest.json
 * and egress-monitor-latest.json and add their own.
 */
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const protocol = z.enum(['tcp', 'udp']);
const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp');

export const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const processInfo = z.object({
  pid: z.number().int(),
  command: z.string().nullable(),
  exe: z.string().nullable(),
  cmdline: z.string().nullable(),
  uid: z.number().int().nullable(),
  user: z.string().nullable(),
});

export const samplerCoverage = z.object({
  sockets: z.number().int(),
  attributed: z.number().int(),
  unattributed: z.number().int(),
  unowned: z.number().int(),
  attribution: z.enum(['full-scan', 'incremental', 'tool']),
  processesScanned: z.number().int(),
  processesUnreadable: z.number().int(),
  entriesUnreadable: z.number().int(),
  malformedLines: z.number().int(),
  note: z.string(),
});

/** The owner of a socket: a process was found, some process holds it but not one this user can see, or none does. */
export const ownerStatus = z.enum(['visible', 'not visible', 'none']);

const policyState = z.object({
  status: z.enum(['ok', 'missing', 'invalid']),
  /** Whether a version of the file is in force (the last good one when the file is now invalid). */
  in_force: z.boolean(),
  problem: z.string().nullable(),
});

const lifecycle = {
  key: z.string(),
  first_seen: z.string(),
  last_seen: z.string(),
  occurrences: z.number().int(),
};

const sampleInfo = {
  generated_at_utc: z.string(),
  sample_id: z.number().int().nullable(),
  duration_ms: z.number().nullable(),
  fallback_reason: z.string().nullable(),
  coverage: samplerCoverage.nullable(),
  changes: z.object({ added: z.number().int(), removed: z.number().int() }),
  error: z.string().nullable(),
};

export const listeningService = z.object({
  command: z.string().nullable(),
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  host: z.string(),
  port: z.number().int(),
  protocol,
  family: z.union([z.literal(4), z.literal(6)]),
  state: z.string(),
  bind_scope: z.enum(['loopback', 'wildcard', 'address']),
  owner: ownerStatus,
  socket_uid: z.number().int().nullable(),
  inode: z.number().int().nullable(),
  exe: z.string().nullable(),
  cmdline: z.string().nullable(),
  processes: z.array(processInfo),
  approved_by: z.string().nullable(),
});
export type ListeningService = z.infer<typeof listeningService>;

export const portFindingType = z.enum(['unapproved-port', 'insecure-port', 'public-bind']);

export const portFinding = z.object({
  severity,
  type: portFindingType,
  port: z.number().int(),
  command: z.string().nullable(),
  message: z.string(),
  recommendation: z.string(),
  protocol,
  host: z.string(),
  bind_scope: z.enum(['loopback', 'wildcard', 'address']),
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  owner: ownerStatus,
  why: z.string(),
  gateway: z.boolean(),
  service: z.string().nullable(),
  ...lifecycle,
});
export type PortFinding = z.infer<typeof portFinding>;

export const portReport = z.object({
  status: z.enum(['ok', 'error']),
  approved_file: z.string(),
  approved_rules_count: z.number().int(),
  tool: z.string(),
  listening_services: z.array(listeningService),
  findings: z.array(portFinding),
  ...sampleInfo,
  baseline: policyState,
  gateway: z.object({ port, source: z.enum(['default', 'openclaw.json']), path: z.string(), problem: z.string().nullable() }),
});
export type PortReport = z.infer<typeof portReport>;

export const egressConnection = z.object({
  command: z.string().nullable(),
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  remote_host: z.string(),
  remote_port: z.number().int(),
  protocol,
  remote_ip: z.string(),
  /** Whether a host name is known for the remote address (from the allowlist's names or a forward-confirmed reverse lookup). */
  resolved: z.boolean(),
  names: z.array(z.string()),
  local_address: z.string(),
  local_port: z.number().int(),
  state: z.string(),
  owner: ownerStatus,
  socket_uid: z.number().int().nullable(),
  exe: z.string().nullable(),
  cmdline: z.string().nullable(),
  processes: z.array(processInfo),
  allowed_by: z.string().nullable(),
});
export type EgressConnection = z.infer<typeof egressConnection>;

export const egressFinding = z.object({
  type: z.literal('unapproved-egress'),
  severity,
  remote_host: z.string(),
  remote_port: z.number().int(),
  command: z.string().nullable(),
  recommendation: z.string(),
  message: z.string(),
  remote_ip: z.string(),
  protocol,
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  owner: ownerStatus,
  resolved: z.boolean(),
  names: z.array(z.string()),
  why: z.string(),
  ...lifecycle,
});
export type EgressFinding = z.infer<typeof egressFinding>;

export const resolvedHost = z.object({
  host: z.string(),
  ips: z.array(z.string()),
  resolved_at: z.string().nullable(),
  error: z.string().nullable(),
});

export const egressReport = z.object({
  status: z.enum(['ok', 'error']),
  allowlist_file: z.string(),
  allowlist_rules_count: z.number().int(),
  tool: z.string(),
  connections: z.array(egressConnection),
  findings: z.array(egressFinding),
  ...sampleInfo,
  allowlist: policyState,
  dns: z.array(resolvedHost),
});
export type EgressReport = z.infer<typeof egressReport>;

export const storedFinding = z.object({
  id: z.number().int(),
  monitor: z.enum(['ports', 'egress']),
  key: z.string(),
  type: z.string(),
  severity,
  first_seen: z.string(),
  last_seen: z.string(),
  occurrences: z.number().int(),
  resolved_at: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type StoredFinding = z.infer<typeof storedFinding>;

export const approvedPortRuleParams = z.strictObject({
  port,
  protocol: protocol.optional(),
  command: z.string().min(1).max(256).optional(),
  host: z.string().min(1).max(256).optional(),
  justification: z.string().min(1).max(2000).optional(),
  expires: isoTimestamp.optional(),
  comment: z.string().max(2000).optional(),
});

export const egressRuleParams = z
  .strictObject({
    protocol: protocol.optional(),
    port: port.optional(),
    command: z.string().min(1).max(256).optional(),
    host: z.string().min(1).max(253).optional(),
    host_regex: z.string().min(1).max(1000).optional(),
    cidr: z.string().min(1).max(64).optional(),
    comment: z.string().max(2000).optional(),
  })
  .refine((p) => [p.host, p.host_regex, p.cidr].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one destination: host, host_regex or cidr (an allowlist rule without one would allow every host)',
    path: ['host'],
  });

/** A rule as written to the file (comment keys kept). */
export const writtenRule = z.record(z.string(), z.unknown());

export const baselineResult = z.object({
  rules: z.array(writtenRule),
  reviewFile: z.string(),
  approvedFile: z.string(),
  written: z.boolean(),
  backupFile: z.string().nullable(),
  /** Rules of the file in force that match nothing listening now (left out of the proposal). */
  dropped: z.array(writtenRule),
  sampledAt: z.string(),
});

export const ruleWriteResult = z.object({
  file: z.string(),
  index: z.number().int(),
  rule: writtenRule,
  replaced: z.boolean(),
});

export const findingsListParams = z
  .strictObject({
    monitor: z.enum(['ports', 'egress']).optional(),
    state: z.enum(['open', 'resolved', 'all']).optional(),
    since: isoTimestamp.optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .optional();
