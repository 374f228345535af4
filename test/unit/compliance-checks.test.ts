// Covers daemon/compliance/checks.ts: every check, table-driven over one Evidence value broken one fact at a time —
// compliant, partial, violation, not applicable and error (a source unreadable, or the evidence says it failed).
import { describe, expect, it } from 'vitest';
import { evaluateCheck } from '../../daemon/compliance/assess.js';
import { CHECK_IDS, type CheckId } from '../../daemon/compliance/check-ids.js';
import { CHECK_BY_ID, CHECKS, gatewayRoute } from '../../daemon/compliance/checks.js';
import { sourced, type Evidence } from '../../daemon/compliance/evidence.js';
import { BIN, compliantEvidence, hostPosture, NOW, portFinding, replaceSource, withoutSource, withSource } from '../helpers/compliance-evidence.js';

type Expect = 'compliant' | 'partial' | 'violation' | 'not_applicable' | 'error';
type Case = [CheckId, string, (e: Evidence) => Evidence, Expect, RegExp?];

const base = compliantEvidence;
const iso = (ms: number) => new Date(ms).toISOString();

const CASES: Case[] = [
  // privilege_approval_required
  ['privilege_approval_required', 'shim sound, gateway routes through it, a factor', base, 'compliant'],
  ['privilege_approval_required', 'no launcher', (e) => withSource(e, 'launcher', (l) => void ((l.installed = false), (l.sound = false))), 'violation', /No sudo shim/],
  ['privilege_approval_required', 'launcher installed but broken', (e) => withSource(e, 'launcher', (l) => void (l.sound = false)), 'violation', /broken/],
  ['privilege_approval_required', 'the gateway runs /usr/bin/sudo first', (e) => withSource(e, 'host', (h) => void Object.assign(h.gateway.processes[0]!, { shimFirst: false, firstSudo: '/usr/bin/sudo', problem: `${BIN} is not in PATH` })), 'violation', /another sudo/],
  ['privilege_approval_required', 'a NOPASSWD rule lets processes skip it', (e) => withSource(e, 'host', (h) => void ((h.sudo.status = 'listed'), (h.sudo.passwordless = ['(root) /usr/bin/apt']))), 'partial', /passwordless/],
  ['privilege_approval_required', 'any process can approve out of band', (e) => withSource(withSource(e, 'settings', (s) => void ((s.outOfBandApproval = true), (s.approvalRequiresTerminal = false))), 'factors', (f) => void (f.totp = false)), 'partial', /any process of this user can approve/],
  ['privilege_approval_required', 'no factor, terminal approvals only: a process can answer its own prompt through a pty', (e) => withSource(e, 'factors', (f) => void (f.totp = false)), 'partial', /no approval factor[^\n]*pseudo-terminal[\s\S]*ocsecctl totp enroll/],
  ['privilege_approval_required', 'a stored token is a factor', (e) => withSource(e, 'factors', (f) => void ((f.totp = false), (f.token = true))), 'compliant'],
  ['privilege_approval_required', 'no gateway anywhere', (e) => withSource(e, 'host', (h) => void ((h.gateway.processes = []), (h.gateway.configured = { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: 'no unit' }))), 'partial', /cannot be confirmed/],
  ['privilege_approval_required', 'launcher unreadable', (e) => withoutSource(e, 'launcher'), 'error', /launcher: launcher could not be read/],

  // least_privilege_enforced
  ['least_privilege_enforced', 'unprivileged, allow list, deny_shells', base, 'compliant'],
  ['least_privilege_enforced', 'the gateway runs as root', (e) => withSource(e, 'host', (h) => void (h.gateway.processes[0]!.uid = 0)), 'violation', /gateway runs as root/],
  ['least_privilege_enforced', 'ocsecd runs as root', (e) => withSource(e, 'host', (h) => void (h.daemon.uid = 0)), 'violation', /ocsecd runs as root/],
  ['least_privilege_enforced', 'no allow rules', (e) => withSource(e, 'policies', (p) => void Object.assign(p.command!, { allow: 0, allowExact: 0 })), 'partial', /no allow or allow_exact/],
  ['least_privilege_enforced', 'deny_shells off', (e) => withSource(e, 'policies', (p) => void (p.command!.denyShells = false)), 'partial', /deny_shells is false/],
  ['least_privilege_enforced', 'no command policy in force', (e) => withSource(e, 'policies', (p) => void (p.command = null)), 'partial', /no command policy/],
  ['least_privilege_enforced', 'policies unreadable', (e) => withoutSource(e, 'policies'), 'error'],

  // elevation_timeout_30m
  ['elevation_timeout_30m', '30 minutes and the shim in the gateway PATH', base, 'compliant'],
  ['elevation_timeout_30m', '31 idle minutes', (e) => withSource(e, 'settings', (s) => void (s.idleTimeoutMinutes = 31)), 'violation', /31 idle minutes/],
  ['elevation_timeout_30m', 'a kept session past its expiry', (e) => withSource(e, 'privilege', (p) => void p.sessions.push({ key: 'session:t1:root', sessionId: 't1', targetUser: 'root', commands: 1, lastActivityAt: iso(NOW - 3_600_000), expiresAt: iso(NOW - 1_800_000) })), 'violation', /past its expiry/],
  ['elevation_timeout_30m', 'timeout fine but the gateway bypasses the shim', (e) => withSource(e, 'host', (h) => void Object.assign(h.gateway.processes[0]!, { shimFirst: false, firstSudo: '/usr/bin/sudo', problem: 'not in PATH' })), 'partial', /never applies to its sudo/],
  ['elevation_timeout_30m', 'timeout fine but the gateway PATH unknown', (e) => withSource(e, 'host', (h) => void ((h.gateway.processes = []), (h.gateway.configured.kind = 'none'), (h.gateway.configured.shimFirst = null))), 'partial', /cannot be confirmed/],
  ['elevation_timeout_30m', 'sandboxed: sudo -K cannot run', (e) => withSource(e, 'host', (h) => void (h.daemon.noNewPrivileges = true)), 'partial', /no_new_privs/],
  ['elevation_timeout_30m', 'host unreadable', (e) => withoutSource(e, 'host'), 'error'],

  // audit_logging_privileged_actions
  ['audit_logging_privileged_actions', 'private mirror, exported', base, 'compliant'],
  ['audit_logging_privileged_actions', 'mirror readable by others', (e) => withSource(e, 'auditFiles', (f) => void (f.mirror!.mode = 0o644)), 'violation', /other users/],
  ['audit_logging_privileged_actions', 'mirror readable by the group', (e) => withSource(e, 'auditFiles', (f) => void (f.mirror!.mode = 0o640)), 'partial', /group-accessible/],
  ['audit_logging_privileged_actions', 'no export off the host', (e) => withSource(e, 'settings', (s) => void (s.eventExports = [])), 'partial', /no fleet export/],
  ['audit_logging_privileged_actions', 'mirror missing', (e) => withSource(e, 'auditFiles', (f) => void (f.mirror = null)), 'partial', /missing/],
  ['audit_logging_privileged_actions', 'a command started two days ago never finished', (e) => withSource(e, 'auditActivity', (a) => void a.unfinished.push({ grantId: 'g1', argv0: '/usr/bin/apt', startedAt: iso(NOW - 2 * 86_400_000) })), 'partial', /never reported an exit/],
  ['audit_logging_privileged_actions', 'a command running for a minute is fine', (e) => withSource(e, 'auditActivity', (a) => void a.unfinished.push({ grantId: 'g1', argv0: '/usr/bin/apt', startedAt: iso(NOW - 60_000) })), 'compliant'],
  ['audit_logging_privileged_actions', 'activity unreadable', (e) => withoutSource(e, 'auditActivity'), 'error'],

  // audit_trail_integrity
  ['audit_trail_integrity', 'chain verifies', base, 'compliant'],
  ['audit_trail_integrity', 'a changed event', (e) => withSource(e, 'auditChain', (c) => void ((c.report.ok = false), (c.report.firstBreak = { seq: 17, kind: 'changed', reason: 'row content does not match its hash' }))), 'violation', /seq 17: changed/],
  ['audit_trail_integrity', 'a mirror line edited', (e) => withSource(e, 'auditChain', (c) => void ((c.report.ok = false), (c.report.firstBreak = { seq: 90, kind: 'mirror-mismatch', reason: 'mirror line 90 (seq 90) does not match its own hash' }))), 'violation', /mirror-mismatch/],
  ['audit_trail_integrity', 'verify failed to run', (e) => withoutSource(e, 'auditChain', 'SQLITE_IOERR'), 'error', /SQLITE_IOERR/],

  // open_ports_approved
  ['open_ports_approved', 'every listener approved', base, 'compliant'],
  ['open_ports_approved', 'no baseline in force', (e) => withSource(e, 'ports', (s) => void (s.report.baseline = { status: 'missing', in_force: false, problem: null })), 'violation', /No approved-ports baseline/],
  ['open_ports_approved', 'one unapproved listener', (e) => withSource(e, 'ports', (s) => void s.report.findings.push(portFinding({}))), 'partial', /1 listening port is not/],
  ['open_ports_approved', 'the sample failed', (e) => withSource(e, 'ports', (s) => void ((s.report.status = 'error'), (s.report.error = 'no way to list sockets'))), 'error', /no way to list sockets/],
  ['open_ports_approved', 'no sample', (e) => withoutSource(e, 'ports'), 'error'],

  // insecure_ports_remediated
  ['insecure_ports_remediated', 'nothing insecure', base, 'compliant'],
  ['insecure_ports_remediated', 'telnet listening', (e) => withSource(e, 'ports', (s) => void s.report.findings.push(portFinding({ type: 'insecure-port', severity: 'high', port: 23, command: 'telnetd', service: 'Telnet' }))), 'violation', /Telnet on 23\/tcp/],
  ['insecure_ports_remediated', 'the sample failed', (e) => withSource(e, 'ports', (s) => void ((s.report.status = 'error'), (s.report.error = 'boom'))), 'error'],

  // public_binds_justified
  ['public_binds_justified', 'nothing beyond loopback unjustified', base, 'compliant'],
  ['public_binds_justified', 'a wildcard bind without justification', (e) => withSource(e, 'ports', (s) => void s.report.findings.push(portFinding({ type: 'public-bind', host: '0.0.0.0', bind_scope: 'wildcard' }))), 'partial', /without a justified rule/],
  ['public_binds_justified', 'the gateway on 0.0.0.0', (e) => withSource(e, 'ports', (s) => void s.report.findings.push(portFinding({ type: 'public-bind', severity: 'high', host: '0.0.0.0', bind_scope: 'wildcard', port: 18789, gateway: true }))), 'violation', /including the OpenClaw gateway/],
  ['public_binds_justified', 'no sample', (e) => withoutSource(e, 'ports'), 'error'],

  // channel_allowlist_configured
  ['channel_allowlist_configured', 'pairing and allowlists', base, 'compliant'],
  ['channel_allowlist_configured', 'dmPolicy open', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.dmPolicy = 'open')), 'violation', /channels\.telegram/],
  ['channel_allowlist_configured', '"*" in an account allowFrom', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.accounts = { work: { allowFrom: ['*'] } })), 'violation', /channels\.telegram\.accounts\.work/],
  ['channel_allowlist_configured', 'groupPolicy open', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.groupPolicy = 'open')), 'partial', /any group/],
  ['channel_allowlist_configured', 'no channels', (e) => withSource(e, 'openclaw', (o) => void delete o.config!.channels), 'not_applicable'],
  ['channel_allowlist_configured', 'no openclaw.json', (e) => withSource(e, 'openclaw', (o) => void ((o.exists = false), (o.config = {}))), 'not_applicable'],
  ['channel_allowlist_configured', 'openclaw.json does not parse', (e) => withoutSource(e, 'openclaw', 'openclaw.json:3:7: invalid character'), 'error', /openclaw\.json:3:7/],

  // group_mentions_required
  ['group_mentions_required', 'mention gating on', base, 'compliant'],
  ['group_mentions_required', 'requireMention false for every group', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.groups = { '*': { requireMention: false } })), 'violation', /every group/],
  ['group_mentions_required', 'requireMention false for one allow-listed group', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.groups = { '-1001': { requireMention: false } })), 'partial', /1 allow-listed group/],
  ['group_mentions_required', 'groups disabled everywhere', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.channels as Record<string, Record<string, unknown>>).telegram!.groupPolicy = 'disabled')), 'not_applicable'],
  ['group_mentions_required', 'openclaw.json does not parse', (e) => withoutSource(e, 'openclaw'), 'error'],

  // gateway_loopback_only
  ['gateway_loopback_only', 'loopback with token auth, listening on 127.0.0.1', base, 'compliant'],
  ['gateway_loopback_only', 'the gateway port listens on 0.0.0.0', (e) => withSource(e, 'ports', (s) => void Object.assign(s.report.listening_services[0]!, { host: '0.0.0.0', bind_scope: 'wildcard' })), 'violation', /listening on 0\.0\.0\.0/],
  ['gateway_loopback_only', 'gateway.bind lan in the configuration', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.gateway as Record<string, unknown>).bind = 'lan')), 'violation', /next start/],
  ['gateway_loopback_only', 'Tailscale Funnel', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.gateway as Record<string, unknown>).tailscale = { mode: 'funnel' })), 'violation', /Funnel/],
  ['gateway_loopback_only', 'bound to the tailnet', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.gateway as Record<string, unknown>).bind = 'tailnet')), 'partial', /tailnet/],
  ['gateway_loopback_only', 'loopback without authentication', (e) => withSource(e, 'openclaw', (o) => void ((o.config!.gateway as Record<string, unknown>).auth = { mode: 'none' })), 'partial', /"none"/],
  ['gateway_loopback_only', 'no configuration: the defaults are loopback and token', (e) => withSource(e, 'openclaw', (o) => void ((o.exists = false), (o.config = {}))), 'compliant'],
  ['gateway_loopback_only', 'no port sample', (e) => withoutSource(e, 'ports'), 'error'],

  // secrets_permissions_hardened
  ['secrets_permissions_hardened', 'everything private', base, 'compliant'],
  ['secrets_permissions_hardened', 'credentials readable by others', (e) => withSource(e, 'permissions', (p) => void p.issues.push({ path: '/home/alice/.openclaw/credentials/x.json', mode: '0644', want: '0600', severity: 'high', reason: 'readable by other users', fix: 'chmod 600 /home/alice/.openclaw/credentials/x.json' })), 'violation', /chmod 600/],
  ['secrets_permissions_hardened', 'a session readable by the group', (e) => withSource(e, 'permissions', (p) => void p.issues.push({ path: '/home/alice/.openclaw/agents/a/sessions/s.jsonl', mode: '0640', want: '0600', severity: 'medium', reason: 'readable by the group', fix: 'chmod 600 s.jsonl' })), 'partial'],
  ['secrets_permissions_hardened', "ocsec's database world-readable", (e) => withSource(e, 'auditFiles', (f) => void (f.database!.mode = 0o644)), 'violation', /ocsec\.db/],
  ['secrets_permissions_hardened', 'modes unreadable', (e) => withoutSource(e, 'permissions'), 'error'],

  // runtime_privilege_hook_installed
  ['runtime_privilege_hook_installed', 'launcher sound', base, 'compliant'],
  ['runtime_privilege_hook_installed', 'launcher missing', (e) => withSource(e, 'launcher', (l) => void ((l.installed = false), (l.sound = false))), 'violation', /not installed/],
  ['runtime_privilege_hook_installed', 'a file at bin/sudo that is not ours', (e) => withSource(e, 'launcher', (l) => void ((l.sound = false), (l.detail = 'not the ocsec launcher'))), 'violation', /not the ocsec launcher/],
  ['runtime_privilege_hook_installed', 'real sudo writable by others', (e) => withSource(e, 'launcher', (l) => void (l.realSudo = { ok: false, detail: '/usr/bin/sudo is writable by others' })), 'violation', /writable by others/],
  ['runtime_privilege_hook_installed', 'unreadable', (e) => withoutSource(e, 'launcher'), 'error'],

  // alternate_privilege_paths_restricted
  ['alternate_privilege_paths_restricted', 'none on the secure path', base, 'compliant'],
  ['alternate_privilege_paths_restricted', 'setuid su', (e) => withSource(e, 'host', (h) => void h.alternatives.push({ name: 'su', path: '/usr/bin/su', setuid: true, passwordless: [] })), 'partial', /su is setuid root/],
  ['alternate_privilege_paths_restricted', 'doas permit nopass', (e) => withSource(e, 'host', (h) => void h.alternatives.push({ name: 'doas', path: '/usr/bin/doas', setuid: true, passwordless: ['/etc/doas.conf: permit nopass alice'] })), 'violation', /permit nopass/],
  ['alternate_privilege_paths_restricted', 'host unreadable', (e) => withoutSource(e, 'host'), 'error'],

  // backup_configured
  ['backup_configured', 'scheduled and recent', base, 'compliant'],
  ['backup_configured', 'neither', (e) => withSource(e, 'backups', (b) => void ((b.jobs = []), (b.paths = []))), 'violation'],
  ['backup_configured', 'scheduled but the newest backup is a week old', (e) => withSource(e, 'backups', (b) => void (b.paths[0]!.newest = { file: '/backup/openclaw/old.tar', mtime: iso(NOW - 7 * 86_400_000) })), 'partial', /younger than 48 h/],
  ['backup_configured', 'a backup directory exists but is empty', (e) => withSource(e, 'backups', (b) => void (b.paths[0]!.newest = null)), 'partial'],
  ['backup_configured', 'recent backup but no schedule', (e) => withSource(e, 'backups', (b) => void (b.jobs = [])), 'partial', /no scheduled job/],
  ['backup_configured', 'scheduled but no location to verify', (e) => withSource(e, 'backups', (b) => void (b.paths = [])), 'partial', /compliance\.backup\.paths/],
  ['backup_configured', 'unreadable', (e) => withoutSource(e, 'backups'), 'error'],

  // update_hygiene
  ['update_hygiene', 'version known, npm audit clean two days ago', base, 'compliant'],
  ['update_hygiene', 'npm audit found high vulnerabilities', (e) => withSource(e, 'securityAudit', (a) => void (a!.lastNpmAudit = { runId: 6, finishedAt: iso(NOW - 86_400_000), status: 'failed', severity: 'high', reason: null })), 'violation', /high vulnerabilities/],
  ['update_hygiene', 'npm audit never ran', (e) => withSource(e, 'securityAudit', (a) => void (a!.lastNpmAudit = null)), 'partial', /not been audited yet/],
  ['update_hygiene', 'the last npm audit is 40 days old', (e) => withSource(e, 'securityAudit', (a) => void (a!.lastNpmAudit!.finishedAt = iso(NOW - 40 * 86_400_000))), 'partial', /since/],
  ['update_hygiene', 'version unknown', (e) => withSource(e, 'securityAudit', (a) => void (a!.openclawVersion = null)), 'partial', /could not be determined/],
  ['update_hygiene', 'no installation audit stored', (e) => replaceSource(e, 'securityAudit', sourced(null)), 'error', /No installation audit/],
  ['update_hygiene', 'unreadable', (e) => withoutSource(e, 'securityAudit'), 'error'],

  // prompt_injection_controls
  ['prompt_injection_controls', 'confirmation on, OpenClaw asks before exec', base, 'compliant'],
  ['prompt_injection_controls', 'confirmation off', (e) => withSource(e, 'policies', (p) => void (p.prompt.requireConfirmationForUntrusted = false)), 'violation', /without an explicit confirmation/],
  ['prompt_injection_controls', 'OpenClaw runs commands without asking', (e) => withSource(e, 'securityAudit', (a) => void (a!.checks[0]!.status = 'failed')), 'partial', /runs shell commands without asking/],
  ['prompt_injection_controls', 'no installation audit yet', (e) => replaceSource(e, 'securityAudit', sourced(null)), 'partial', /not known/],
  ['prompt_injection_controls', 'the installation audit unreadable: still decided on ocsec\'s half', (e) => withoutSource(e, 'securityAudit'), 'partial'],
  ['prompt_injection_controls', 'policies unreadable', (e) => withoutSource(e, 'policies'), 'error'],

  // command_policy_enforced
  ['command_policy_enforced', 'valid with rules', base, 'compliant'],
  ['command_policy_enforced', 'missing', (e) => withSource(e, 'policies', (p) => void ((p.command = null), (p.files[0]!.status = 'missing'), (p.files[0]!.inForce = false))), 'violation', /does not exist/],
  ['command_policy_enforced', 'invalid, last good in force', (e) => withSource(e, 'policies', (p) => void ((p.files[0]!.status = 'invalid'), (p.files[0]!.problem = 'command-policy.json:4:5: deny[1]: invalid regex'))), 'partial', /last good version/],
  ['command_policy_enforced', 'invalid, nothing in force: every command denied', (e) => withSource(e, 'policies', (p) => void ((p.command = null), (p.files[0]!.status = 'invalid'), (p.files[0]!.inForce = false))), 'partial', /every privileged command is denied/],
  ['command_policy_enforced', 'no rules', (e) => withSource(e, 'policies', (p) => void Object.assign(p.command!, { allow: 0, deny: 0, allowExact: 0, denyExact: 0 })), 'partial', /no rules/],
  ['command_policy_enforced', 'unreadable', (e) => withoutSource(e, 'policies'), 'error'],

  // session_boundary_enforced
  ['session_boundary_enforced', 'require_session_id in ocsec.json', base, 'compliant'],
  ['session_boundary_enforced', 'OPENCLAW_REQUIRE_SESSION_ID=1 for ocsecd', (e) => withSource(e, 'settings', (s) => void (s.requireSessionId = { config: false, env: true })), 'compliant'],
  ['session_boundary_enforced', 'not required', (e) => withSource(e, 'settings', (s) => void (s.requireSessionId = { config: false, env: false })), 'partial', /require_session_id/],
  ['session_boundary_enforced', 'settings unreadable', (e) => withoutSource(e, 'settings'), 'error'],

  // multi_factor_approval
  ['multi_factor_approval', 'TOTP', base, 'compliant'],
  ['multi_factor_approval', 'stored token', (e) => withSource(e, 'factors', (f) => void ((f.totp = false), (f.token = true))), 'compliant'],
  ['multi_factor_approval', 'token only in the environment', (e) => withSource(e, 'factors', (f) => void ((f.totp = false), (f.token = true), (f.tokenFromEnv = true))), 'partial', /environ/],
  ['multi_factor_approval', 'no factor, terminal approvals only', (e) => withSource(e, 'factors', (f) => void (f.totp = false)), 'partial', /single yes/],
  ['multi_factor_approval', 'no factor, out-of-band without a terminal', (e) => withSource(withSource(e, 'factors', (f) => void (f.totp = false)), 'settings', (s) => void ((s.outOfBandApproval = true), (s.approvalRequiresTerminal = false))), 'violation', /any process/],
  ['multi_factor_approval', 'factors unreadable', (e) => withoutSource(e, 'factors'), 'error'],

  // egress_allowlist_configured
  ['egress_allowlist_configured', 'rules in force', base, 'compliant'],
  ['egress_allowlist_configured', 'missing', (e) => withSource(e, 'policies', (p) => void ((p.egressRules = null), (p.files[3]!.status = 'missing'))), 'violation', /does not exist/],
  ['egress_allowlist_configured', 'empty', (e) => withSource(e, 'policies', (p) => void (p.egressRules = 0)), 'partial', /empty/],
  ['egress_allowlist_configured', 'invalid, last good in force', (e) => withSource(e, 'policies', (p) => void (p.files[3]!.status = 'invalid')), 'partial'],
  ['egress_allowlist_configured', 'unreadable', (e) => withoutSource(e, 'policies'), 'error'],

  // egress_connections_approved
  ['egress_connections_approved', 'every connection allowed', base, 'compliant'],
  ['egress_connections_approved', 'an unapproved destination', (e) => withSource(e, 'egress', (s) => void s.report.findings.push({ type: 'unapproved-egress', severity: 'medium', remote_host: 'evil.example', remote_port: 443, command: 'curl', recommendation: 'ocsecctl egress allow --host evil.example --port 443, or stop it', message: 'm', remote_ip: '192.0.2.7', protocol: 'tcp', pid: 77, user: 'alice', owner: 'visible', resolved: true, names: ['evil.example'], why: 'no rule allows it', key: 'k', first_seen: iso(NOW), last_seen: iso(NOW), occurrences: 1 })), 'partial', /evil\.example/],
  ['egress_connections_approved', 'no allowlist in force', (e) => withSource(e, 'egress', (s) => void (s.report.allowlist = { status: 'missing', in_force: false, problem: null })), 'violation'],
  ['egress_connections_approved', 'the sample failed', (e) => withSource(e, 'egress', (s) => void ((s.report.status = 'error'), (s.report.error = 'SamplerUnavailable'))), 'error'],
  ['egress_connections_approved', 'no sample', (e) => withoutSource(e, 'egress'), 'error'],

  // sudo_nopasswd_absent
  ['sudo_nopasswd_absent', 'a password is required', base, 'compliant'],
  ['sudo_nopasswd_absent', 'no sudo rights at all', (e) => withSource(e, 'host', (h) => void (h.sudo.status = 'no-rights')), 'compliant'],
  ['sudo_nopasswd_absent', 'a NOPASSWD rule', (e) => withSource(e, 'host', (h) => void ((h.sudo.status = 'listed'), (h.sudo.passwordless = ['(ALL) ALL']))), 'violation', /\(ALL\) ALL/],
  ['sudo_nopasswd_absent', 'Defaults !authenticate', (e) => withSource(e, 'host', (h) => void ((h.sudo.status = 'listed'), (h.sudo.authenticateDisabled = true))), 'violation', /!authenticate/],
  ['sudo_nopasswd_absent', 'ocsecd runs as root', (e) => withSource(e, 'host', (h) => void (h.sudo.status = 'root')), 'violation', /root/],
  ['sudo_nopasswd_absent', 'no sudo installed', (e) => withSource(e, 'host', (h) => void (h.sudo.status = 'not-installed')), 'not_applicable'],
  ['sudo_nopasswd_absent', 'sudo -n -l failed', (e) => withSource(e, 'host', (h) => void ((h.sudo.status = 'error'), (h.sudo.detail = 'sudo: unable to resolve host'))), 'error', /unable to resolve host/],
  ['sudo_nopasswd_absent', 'sandboxed: sudo cannot run', (e) => withSource(e, 'host', (h) => void (h.sudo.status = 'unavailable')), 'error'],
  ['sudo_nopasswd_absent', 'host unreadable', (e) => withoutSource(e, 'host'), 'error'],

  // gateway_path_routes_through_shim
  ['gateway_path_routes_through_shim', 'live PATH finds the shim first', base, 'compliant'],
  ['gateway_path_routes_through_shim', 'not running; its unit puts the shim first', (e) => withSource(e, 'host', (h) => void (h.gateway.processes = [])), 'compliant'],
  ['gateway_path_routes_through_shim', 'live PATH finds /usr/bin/sudo first', (e) => withSource(e, 'host', (h) => void Object.assign(h.gateway.processes[0]!, { shimFirst: false, firstSudo: '/usr/bin/sudo', problem: `${BIN} comes after /usr/bin` })), 'violation', /comes after/],
  ['gateway_path_routes_through_shim', 'not running; its unit does not put the shim first', (e) => withSource(e, 'host', (h) => void ((h.gateway.processes = []), Object.assign(h.gateway.configured, { shimFirst: false, firstSudo: '/usr/bin/sudo', problem: 'not in PATH' }))), 'violation'],
  ['gateway_path_routes_through_shim', 'environ unreadable, unit puts the shim first', (e) => withSource(e, 'host', (h) => void Object.assign(h.gateway.processes[0]!, { pathSource: 'unreadable', path: null, shimFirst: null })), 'partial'],
  ['gateway_path_routes_through_shim', 'environ unreadable and no unit', (e) => withSource(e, 'host', (h) => void (Object.assign(h.gateway.processes[0]!, { pathSource: 'unreadable', path: null, shimFirst: null }), (h.gateway.configured = { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: 'no unit' }))), 'violation'],
  ['gateway_path_routes_through_shim', 'no gateway at all', (e) => withSource(e, 'host', (h) => void ((h.gateway.processes = []), (h.gateway.configured = { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: 'no unit' }))), 'not_applicable'],
  ['gateway_path_routes_through_shim', 'host unreadable', (e) => withoutSource(e, 'host'), 'error'],

  // daemon_supervised
  ['daemon_supervised', 'installed, enabled, running as the unit', base, 'compliant'],
  ['daemon_supervised', 'no unit', (e) => withSource(e, 'service', (s) => void (s.installed = false)), 'violation', /ocsecctl install --service/],
  ['daemon_supervised', 'the unit pins a node that is gone', (e) => withSource(e, 'service', (s) => void s.problems.push('the pinned node /opt/node20/bin/node no longer exists')), 'violation', /no longer exists/],
  ['daemon_supervised', 'installed, not enabled', (e) => withSource(e, 'service', (s) => void (s.enabled = false)), 'partial', /systemctl --user enable --now ocsecd\.service/],
  ['daemon_supervised', 'installed, but this ocsecd was started by hand', (e) => withSource(e, 'host', (h) => void (h.daemon.supervisor = { kind: 'none', unit: null, detail: 'not started by systemd' })), 'partial', /by hand/],
  ['daemon_supervised', 'service unreadable', (e) => withoutSource(e, 'service'), 'error'],

  // policy_files_valid
  ['policy_files_valid', 'all valid', base, 'compliant'],
  ['policy_files_valid', 'one invalid', (e) => withSource(e, 'policies', (p) => void ((p.files[2]!.status = 'invalid'), (p.files[2]!.problem = 'approved_ports.json:2:14: [0].port: Too big'))), 'violation', /approved_ports\.json:2:14/],
  ['policy_files_valid', 'one missing', (e) => withSource(e, 'policies', (p) => void ((p.files[1]!.status = 'missing'), (p.files[1]!.inForce = false))), 'partial', /prompt-policy\.json/],
  ['policy_files_valid', 'unreadable', (e) => withoutSource(e, 'policies'), 'error'],
];

describe('compliance checks: each decides from the evidence', () => {
  it.each(CASES.map(([id, label, make, expected, pattern]) => ({ id, label, make, expected, pattern })))('$id — $label → $expected', ({ id, make, expected, pattern }) => {
    const out = evaluateCheck(id, make(base()));
    expect(out.status).toBe(expected);
    if (pattern) expect(`${out.observed}\n${out.evidence}\n${out.mitigation}`).toMatch(pattern);
    expect(out.observed.length).toBeGreaterThan(0);
    if (expected !== 'compliant' && expected !== 'not_applicable') {
      expect(out.gap.length, 'a finding names its gap').toBeGreaterThan(0);
      expect(out.mitigation.length, 'a finding names its fix').toBeGreaterThan(0);
    }
  });

  it('has compliant, a finding and error fixtures for every check', () => {
    for (const id of CHECK_IDS) {
      const statuses = new Set(CASES.filter((c) => c[0] === id).map((c) => c[3]));
      expect(statuses.has('compliant'), `${id}: compliant fixture`).toBe(true);
      expect(statuses.has('partial') || statuses.has('violation'), `${id}: finding fixture`).toBe(true);
      expect(statuses.has('error'), `${id}: error fixture`).toBe(true);
    }
  });

  it('every check is registered once and has its evidence list', () => {
    expect(CHECKS.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
    for (const c of CHECKS) expect(c.needs.length).toBeGreaterThan(0);
  });

  it.each(CHECKS.flatMap((c) => c.needs.map((source) => [c.id, source] as const)))('%s is error, never a guess, when %s cannot be read', (id, source) => {
    const out = evaluateCheck(id, withoutSource(base(), source, `${source}: EACCES reading it`));
    expect(out.status).toBe('error');
    expect(out.observed).toContain(`${source}: EACCES reading it`);
    expect(out.mitigation.length).toBeGreaterThan(0);
  });

  it.each(CHECKS.flatMap((c) => (c.uses ?? []).map((source) => [c.id, source] as const)))('%s still decides when the optional %s cannot be read', (id, source) => {
    expect(evaluateCheck(id, withoutSource(base(), source)).status).not.toBe('error');
  });

  it('a check that throws on an unexpected shape reports error with the message, not a crash', () => {
    const broken = withSource(base(), 'host', (h) => void ((h as { gateway: unknown }).gateway = null));
    const out = evaluateCheck('gateway_path_routes_through_shim', broken);
    expect(out.status).toBe('error');
    expect(out.observed).toMatch(/The check failed/);
  });

  it('every evidence line is concrete: the compliant fixture names paths and values', () => {
    const e = base();
    expect(CHECK_BY_ID.get('elevation_timeout_30m')!.run(e).evidence).toMatch(/idle_timeout_minutes 30 .*gateway pid 4242 runs \/home\/alice\/\.openclaw\/bin\/sudo/);
    expect(CHECK_BY_ID.get('sudo_nopasswd_absent')!.run(e).evidence).toMatch(/^\/usr\/bin\/sudo -n -l: password-required/);
    expect(CHECK_BY_ID.get('open_ports_approved')!.run(e).evidence).toMatch(/sample #41 by procfs/);
    expect(CHECK_BY_ID.get('audit_trail_integrity')!.run(e).evidence).toMatch(/^120 events, head seq 120 hash abababab.* \(scheduled verification at 2026-01-10T11:54:00\.000Z; 4 events appended since are verified at the next one\)/);
  });
});

describe('gatewayRoute', () => {
  it.each<[string, (h: ReturnType<typeof hostPosture>) => void, string]>([
    ['live processes with the shim first', () => undefined, 'routes'],
    ['one of two live processes without it', (h) => h.gateway.processes.push({ ...h.gateway.processes[0]!, pid: 5000, shimFirst: false, firstSudo: '/usr/bin/sudo', problem: 'x' }), 'bypass'],
    ['a live process with no PATH at all', (h) => Object.assign(h.gateway.processes[0]!, { path: null, shimFirst: false, problem: 'the process has no PATH' }), 'bypass'],
    ['not running, configured with the shim', (h) => void (h.gateway.processes = []), 'routes-configured'],
    ['nothing anywhere', (h) => void ((h.gateway.processes = []), (h.gateway.configured.kind = 'none')), 'absent'],
  ])('%s → %s', (_name, change, verdict) => {
    const h = hostPosture();
    change(h);
    expect(gatewayRoute(h).verdict).toBe(verdict);
  });
});
