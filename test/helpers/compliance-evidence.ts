// A compliance Evidence value in which every check is compliant, for tests to break one fact at a time.
import type { EgressReport, PortReport } from '../../client/network-protocol.js';
import type { HostPosture } from '../../client/protocol.js';
import { sourced, unreadable, type Evidence, type EvidenceSource, type Sourced } from '../../daemon/compliance/evidence.js';

export const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
export const STATE = '/home/alice/.openclaw';
export const BIN = `${STATE}/bin`;
const iso = (ms: number) => new Date(ms).toISOString();

export function hostPosture(): HostPosture {
  return {
    platform: 'linux',
    daemon: { pid: 900, uid: 1000, noNewPrivileges: false, supervisor: { kind: 'systemd', unit: 'ocsecd.service', detail: 'systemd unit ocsecd.service' } },
    peer: { mechanism: 'SO_PEERCRED', uid: 1000, pid: 900 },
    shimDir: BIN,
    gateway: {
      match: 'gateway rule',
      processes: [{ pid: 4242, uid: 1000, command: 'openclaw-gateway', pathSource: 'environ', path: `${BIN}:/usr/bin:/bin`, firstSudo: `${BIN}/sudo`, shimFirst: true, problem: null }],
      otherStateDirs: [],
      configured: { kind: 'systemd-unit', file: '/home/alice/.config/systemd/user/openclaw-gateway.service.d/10-ocsec-path.conf:3', path: `${BIN}:/usr/bin:/bin`, firstSudo: `${BIN}/sudo`, shimFirst: true, problem: null },
    },
    sudo: { status: 'password-required', realSudo: '/usr/bin/sudo', passwordless: [], authenticateDisabled: false, detail: "listing the rules needs a password: with sudo's default listpw=any, no rule of yours is NOPASSWD" },
    alternatives: [],
  };
}

const sample = { generated_at_utc: iso(NOW - 20_000), sample_id: 41, duration_ms: 3.2, fallback_reason: null, coverage: null, changes: { added: 0, removed: 0 }, error: null };

export function portReport(): PortReport {
  return {
    status: 'ok',
    approved_file: `${STATE}/security/approved_ports.json`,
    approved_rules_count: 1,
    tool: 'procfs',
    listening_services: [
      {
        command: 'node', pid: 4242, user: 'alice', host: '127.0.0.1', port: 18789, protocol: 'tcp', family: 4, state: 'LISTEN', bind_scope: 'loopback', owner: 'visible',
        socket_uid: 1000, inode: 1234, exe: '/usr/bin/node', cmdline: 'openclaw-gateway', processes: [], approved_by: 'approved_ports.json[0]',
      },
    ],
    findings: [],
    ...sample,
    baseline: { status: 'ok', in_force: true, problem: null },
    gateway: { port: 18789, source: 'default', path: `${STATE}/openclaw.json`, problem: null },
  };
}

export function egressReport(): EgressReport {
  return {
    status: 'ok',
    allowlist_file: `${STATE}/security/egress_allowlist.json`,
    allowlist_rules_count: 2,
    tool: 'procfs',
    connections: [],
    findings: [],
    ...sample,
    allowlist: { status: 'ok', in_force: true, problem: null },
    dns: [],
  };
}

export type PortFindingInput = PortReport['findings'][number];

export function portFinding(over: Partial<PortFindingInput>): PortFindingInput {
  return {
    severity: 'medium', type: 'unapproved-port', port: 8080, command: 'python3', message: 'm', recommendation: 'close it or approve it', protocol: 'tcp', host: '127.0.0.1', bind_scope: 'loopback',
    pid: 5150, user: 'alice', owner: 'visible', why: 'no rule in approved_ports.json approves 8080/tcp', gateway: false, service: null, key: 'k', first_seen: iso(NOW - 3_600_000), last_seen: iso(NOW), occurrences: 3, ...over,
  };
}

export function compliantEvidence(): Evidence {
  return {
    now: NOW,
    stateDir: STATE,
    shimDir: BIN,
    settings: sourced({
      configPath: `${STATE}/security/ocsec.json`,
      idleTimeoutMinutes: 30,
      approvalTimeoutSeconds: 120,
      outOfBandApproval: false,
      approvalRequiresTerminal: true,
      requireSessionId: { config: true, env: false },
      requirePolicyFiles: { config: true, env: false },
      eventExports: [{ name: 'syslog', target: '/dev/log' }],
    }),
    factors: sourced({ token: false, tokenFromEnv: false, totp: true, totpPending: false, lockedUntil: null, failures: 0 }),
    privilege: sourced({ sessions: [], pendingRequests: 0 }),
    auditActivity: sourced({ windowDays: 30, since: iso(NOW - 30 * 86_400_000), counts: { approval_requested: 4, approval_granted: 3, approval_denied: 1, exec_start: 3, exec_finish: 3 }, unfinished: [] }),
    auditChain: sourced({
      report: { ok: true, count: 120, headSeq: 120, headHash: 'ab'.repeat(32), mirror: { path: `${STATE}/security/privileged-audit.jsonl`, lines: 120, lastSeq: 120 }, firstBreak: null },
      verifiedAt: iso(NOW - 6 * 60_000),
      reused: true,
      headSeqNow: 124,
    }),
    auditFiles: sourced({
      mirrorPath: `${STATE}/security/privileged-audit.jsonl`,
      mirror: { path: `${STATE}/security/privileged-audit.jsonl`, mode: 0o600, uid: 1000 },
      securityDir: { path: `${STATE}/security`, mode: 0o700, uid: 1000 },
      database: { path: `${STATE}/security/ocsec.db`, mode: 0o600, uid: 1000 },
      settingsFile: { path: `${STATE}/security/ocsec.json`, mode: 0o600, uid: 1000 },
    }),
    policies: sourced({
      files: ['command-policy.json', 'prompt-policy.json', 'approved_ports.json', 'egress_allowlist.json'].map((name) => ({ name, path: `${STATE}/security/${name}`, status: 'ok' as const, inForce: true, sha256: 'f'.repeat(64), problem: null })),
      command: { allow: 2, deny: 3, allowExact: 1, denyExact: 1, denyShells: true, keepSession: false },
      prompt: { requireConfirmationForUntrusted: true, source: 'file' },
      egressRules: 2,
      approvedPortRules: 1,
    }),
    host: sourced(hostPosture()),
    launcher: sourced({ path: `${BIN}/sudo`, installed: true, sound: true, detail: `${BIN}/sudo pins /usr/bin/node`, realSudo: { ok: true, detail: '/usr/bin/sudo (root-owned, not writable by group or others)' } }),
    service: sourced({ platform: 'linux', file: '/home/alice/.config/systemd/user/ocsecd.service', installed: true, enabled: true, problems: [], expectedUnit: 'ocsecd.service' }),
    ports: sourced({ report: portReport(), ageSeconds: 20, fresh: false }),
    egress: sourced({ report: egressReport(), ageSeconds: 20, fresh: false }),
    openclaw: sourced({
      configPath: `${STATE}/openclaw.json`,
      exists: true,
      config: {
        gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'token' } },
        channels: { telegram: { dmPolicy: 'pairing', allowFrom: ['12345'], groupPolicy: 'allowlist', groups: { '*': { requireMention: true } } } },
      },
      problems: [],
    }),
    permissions: sourced({ observed: 14, issues: [] }),
    securityAudit: sourced({
      runId: 7,
      finishedAt: iso(NOW - 9 * 3_600_000),
      trigger: 'scheduled',
      deep: false,
      openclawVersion: '2026.1.5',
      score: 9.4,
      checks: [
        { checkId: 'tools.exec_approval', status: 'passed', severity: 'high', reason: null },
        { checkId: 'deps.openclaw_version', status: 'passed', severity: 'info', reason: null },
      ],
      lastNpmAudit: { runId: 5, finishedAt: iso(NOW - 2 * 86_400_000), status: 'passed', severity: 'high', reason: null },
    }),
    backups: sourced({
      maxAgeHours: 48,
      paths: [{ path: '/backup/openclaw', exists: true, newest: { file: '/backup/openclaw/2026-01-10.tar.zst', mtime: iso(NOW - 3_600_000) }, files: 9, problem: null }],
      jobs: [{ source: 'crontab', text: '0 3 * * * restic backup /home/alice/.openclaw' }],
      jobsProblem: null,
    }),
  };
}

/** A copy with one source's value changed in place by `change`. */
export function withSource<K extends EvidenceSource>(e: Evidence, key: K, change: (value: Evidence[K] extends Sourced<infer T> ? T : never) => void): Evidence {
  const copy = structuredClone(e);
  const s = copy[key] as Sourced<unknown>;
  if (!s.ok) throw new Error(`${key} is unreadable in this fixture`);
  change(s.value as never);
  return copy;
}

export function withoutSource(e: Evidence, key: EvidenceSource, reason = `${key} could not be read (test)`): Evidence {
  return { ...structuredClone(e), [key]: unreadable(reason) };
}

export function replaceSource<K extends EvidenceSource>(e: Evidence, key: K, value: Evidence[K]): Evidence {
  return { ...structuredClone(e), [key]: value };
}
