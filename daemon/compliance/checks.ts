/**
 * The compliance checks: each a pure function of the run's Evidence that says compliant, partial,
 * violation or not applicable, with what it observed, the concrete evidence, the gap and the exact
 * fix. A check never passes because a file exists: it reads what the file or process actually does.
 * Sources a check needs but could not be read make it `error` (decided by the runner, before it runs).
 */
import type { PortFinding } from '../../client/network-protocol.js';
import type { HostPosture } from '../../client/protocol.js';
import { shellQuote } from '../security-audit/permissions.js';
import { gatewayExposure } from '../security-audit/checks.js';
import type { CheckId, Risk } from './check-ids.js';
import type { Evidence, EvidenceSource, Sourced } from './evidence.js';

/** `error` when the evidence was read but says it could not be established (a failed sample, sudo that cannot run). */
export type CheckStatus = 'compliant' | 'partial' | 'violation' | 'not_applicable' | 'error';

export interface CheckOutcome {
  status: CheckStatus;
  /** Overrides the catalog's default risk when the finding is worse (or milder) than usual. */
  risk?: Risk;
  observed: string;
  /** Concrete evidence in a line: paths, values, counts, pids. */
  evidence: string;
  /** The same evidence as data. */
  data: Record<string, unknown>;
  /** What is missing; empty when compliant. */
  gap: string;
  /** What to change, where: the exact command or key. Kept for compliant checks as what keeps them so. */
  mitigation: string;
}

export interface CheckDef {
  id: CheckId;
  /** Sources without which the check cannot decide (it is `error` when one could not be read). */
  needs: readonly EvidenceSource[];
  /** Sources it reads when they are there. */
  uses?: readonly EvidenceSource[];
  run(e: Evidence): CheckOutcome;
}

/** A source the runner has confirmed readable (the check listed it in `needs`). */
function v<T>(s: Sourced<T>): T {
  if (!s.ok) throw new Error(`evidence not readable: ${s.reason}`);
  return s.value;
}

function opt<T>(s: Sourced<T>): T | null {
  return s.ok ? s.value : null;
}

const outcome = (status: CheckStatus, o: Omit<CheckOutcome, 'status'>): CheckOutcome => ({ status, ...o });

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function list(items: readonly string[], max = 5): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).join('; ');
  return items.length > max ? `${shown}; … and ${items.length - max} more` : shown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const ISO_DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Shared judgements

export interface GatewayRoute {
  verdict: 'routes' | 'routes-configured' | 'unconfirmed' | 'bypass' | 'absent';
  detail: string;
  data: Record<string, unknown>;
}

/** Which sudo the gateway runs: the live processes' own PATH, else what its unit or LaunchAgent gives it. */
export function gatewayRoute(host: HostPosture): GatewayRoute {
  const { processes, configured, otherStateDirs } = host.gateway;
  const data = {
    processes: processes.map((p) => ({ pid: p.pid, uid: p.uid, path_source: p.pathSource, first_sudo: p.firstSudo, shim_first: p.shimFirst, problem: p.problem })),
    configured: { kind: configured.kind, file: configured.file, first_sudo: configured.firstSudo, shim_first: configured.shimFirst, problem: configured.problem },
    other_state_dirs: otherStateDirs,
    shim_dir: host.shimDir,
  };
  const configuredText =
    configured.kind === 'none' ? 'no gateway unit or LaunchAgent' : `${configured.file} gives PATH ${configured.path ?? '(unreadable)'} → ${configured.firstSudo ?? 'no sudo'}${configured.problem ? ` (${configured.problem})` : ''}`;
  if (processes.length === 0) {
    if (configured.kind === 'none') return { verdict: 'absent', detail: `no running gateway process for this state dir and ${configuredText}`, data };
    if (configured.shimFirst) return { verdict: 'routes-configured', detail: `the gateway is not running; at its next start ${configuredText}`, data };
    return { verdict: 'bypass', detail: `the gateway is not running, and when it starts: ${configuredText}`, data };
  }
  const bad = processes.filter((p) => p.shimFirst === false);
  if (bad.length > 0) return { verdict: 'bypass', detail: bad.map((p) => `gateway pid ${p.pid} runs ${p.firstSudo ?? 'no sudo'}: ${p.problem ?? 'the shim is not first'}`).join('; '), data };
  const unreadable = processes.filter((p) => p.shimFirst === null);
  if (unreadable.length > 0) {
    const pids = unreadable.map((p) => `pid ${p.pid} (uid ${p.uid})`).join(', ');
    if (configured.shimFirst) return { verdict: 'unconfirmed', detail: `the environment of gateway ${pids} is not readable; ${configuredText}`, data };
    return { verdict: 'bypass', detail: `the environment of gateway ${pids} is not readable, and ${configuredText}`, data };
  }
  return { verdict: 'routes', detail: processes.map((p) => `gateway pid ${p.pid} runs ${p.firstSudo}`).join('; '), data };
}

function gatewayPathFix(e: Evidence): string {
  return `ocsecctl install --shim --gateway-path, then restart the gateway (systemctl --user restart openclaw-gateway.service, or launchctl kickstart -k gui/$UID/ai.openclaw.gateway); the gateway's PATH must start with ${e.shimDir}`;
}

interface ChannelAccount {
  path: string;
  value: Record<string, unknown>;
}

/** channels.<provider> and channels.<provider>.accounts.<id> of openclaw.json, each with its key path. */
export function channelAccounts(config: Record<string, unknown>): ChannelAccount[] {
  const channels = config.channels;
  if (!isObject(channels)) return [];
  const out: ChannelAccount[] = [];
  for (const [name, value] of Object.entries(channels)) {
    if (!isObject(value)) continue;
    out.push({ path: `channels.${name}`, value });
    if (isObject(value.accounts)) for (const [id, account] of Object.entries(value.accounts)) if (isObject(account)) out.push({ path: `channels.${name}.accounts.${id}`, value: account });
  }
  return out;
}

function hasWildcard(value: unknown): boolean {
  return Array.isArray(value) && value.some((x) => x === '*');
}

function severityRisk(severity: string): Risk {
  return severity === 'critical' || severity === 'high' || severity === 'medium' || severity === 'low' ? severity : 'medium';
}

function worstRisk(risks: readonly Risk[], fallback: Risk): Risk {
  const order: Risk[] = ['low', 'medium', 'high', 'critical'];
  return risks.reduce((w, r) => (order.indexOf(r) > order.indexOf(w) ? r : w), risks.length > 0 ? 'low' : fallback);
}

function portLine(f: PortFinding): string {
  const host = f.host.includes(':') ? `[${f.host}]` : f.host;
  return `${f.protocol} ${host}:${f.port} ${f.command ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''} — ${f.why}`;
}

function portData(f: PortFinding): Record<string, unknown> {
  return { type: f.type, severity: f.severity, port: f.port, protocol: f.protocol, bind: f.host, bind_scope: f.bind_scope, process: f.command, pid: f.pid, user: f.user, why: f.why, first_seen: f.first_seen, gateway: f.gateway, recommendation: f.recommendation };
}

function sampleNote(sample: { ageSeconds: number; fresh: boolean; report: { sample_id: number | null; generated_at_utc: string; tool: string } }): string {
  return `sample #${sample.report.sample_id ?? '-'} by ${sample.report.tool} at ${sample.report.generated_at_utc}${sample.fresh ? ' (taken for this run)' : ` (${Math.round(sample.ageSeconds)} s old)`}`;
}

function portCheck(e: Evidence, type: PortFinding['type']) {
  const sample = v(e.ports);
  const findings = sample.report.findings.filter((f) => f.type === type);
  return { sample, findings, note: sampleNote(sample) };
}

function samplerFailed(report: { status: string; error: string | null }): string | null {
  return report.status === 'error' ? (report.error ?? 'the sample failed') : null;
}

// ---------------------------------------------------------------------------------------------
// The registry

export const CHECKS: readonly CheckDef[] = [
  {
    id: 'privilege_approval_required',
    needs: ['launcher', 'host', 'settings', 'factors'],
    uses: ['auditActivity'],
    run(e) {
      const launcher = v(e.launcher);
      const host = v(e.host);
      const settings = v(e.settings);
      const factors = v(e.factors);
      const route = gatewayRoute(host);
      const activity = opt(e.auditActivity);
      const counts = activity?.counts ?? {};
      const decisions = `last ${activity?.windowDays ?? 30} days: ${counts.approval_requested ?? 0} requested, ${counts.approval_granted ?? 0} granted, ${counts.approval_denied ?? 0} denied, ${counts.approval_expired ?? 0} expired, ${counts.exec_start ?? 0} executed`;
      const passwordless = host.sudo.passwordless.length > 0 || host.sudo.authenticateDisabled;
      const hasFactor = factors.token || factors.totp;
      const anyoneCanApprove = settings.outOfBandApproval && !settings.approvalRequiresTerminal && !hasFactor;
      const data = { launcher: launcher.path, launcher_sound: launcher.sound, gateway: route.data, sudo_status: host.sudo.status, passwordless_rules: host.sudo.passwordless, out_of_band_approval: settings.outOfBandApproval, approval_requires_terminal: settings.approvalRequiresTerminal, approval_activity: counts };
      const evidence = `${launcher.installed ? `${launcher.path}: ${launcher.detail}` : `${launcher.path} absent`}; ${route.detail}; ${decisions}`;
      if (!launcher.installed || !launcher.sound) {
        return outcome('violation', {
          observed: launcher.installed ? 'The sudo shim launcher is broken, so sudo is not routed through approval.' : 'No sudo shim is installed: sudo runs without any approval step.',
          evidence,
          data,
          gap: 'Privileged commands of the gateway and its agents do not need a person\'s approval.',
          mitigation: `ocsecctl install --shim --gateway-path, then restart the gateway`,
        });
      }
      if (route.verdict === 'bypass') {
        return outcome('violation', { observed: 'The shim is installed but the gateway runs another sudo first.', evidence, data, gap: 'The gateway\'s sudo bypasses the approval step.', mitigation: gatewayPathFix(e) });
      }
      const partialWhy: string[] = [];
      if (route.verdict === 'unconfirmed') partialWhy.push('the gateway\'s live PATH could not be read');
      if (route.verdict === 'absent') partialWhy.push('no OpenClaw gateway (process, unit or LaunchAgent) was found for this state dir, so routing cannot be confirmed');
      if (passwordless) partialWhy.push(`passwordless sudo rules let any process call ${host.sudo.realSudo ?? 'sudo'} directly (${list(host.sudo.passwordless)})`);
      if (host.sudo.status === 'root') partialWhy.push('ocsecd runs as root, where sudo never asks for a password');
      if (anyoneCanApprove) partialWhy.push('out-of-band approvals are allowed without a terminal and without a factor, so any process of this user can approve');
      // A terminal is no proof of a person: any process of the user can get a pty (script) and answer its own prompt.
      else if (!hasFactor) partialWhy.push('no approval factor (TOTP or token) is configured, so approval is a bare yes at a terminal, which any process of this user can give by opening a pseudo-terminal (script) and answering its own prompt');
      if (partialWhy.length > 0) {
        return outcome('partial', {
          observed: `Approval is enforced for sudo through the shim, but ${partialWhy.join('; ')}.`,
          evidence,
          data,
          gap: 'Some privileged paths do not need approval, or approval can come from a process instead of a person.',
          mitigation: [
            passwordless ? 'remove NOPASSWD and !authenticate for this user with visudo (/etc/sudoers, /etc/sudoers.d/)' : null,
            host.sudo.status === 'root' ? 'run the gateway and ocsecd as an unprivileged user' : null,
            !hasFactor ? 'configure an approval factor: ocsecctl totp enroll, then ocsecctl totp confirm CODE' : null,
            route.verdict === 'unconfirmed' || route.verdict === 'absent' ? `run ocsecd as the gateway's user so its PATH can be read; ${gatewayPathFix(e)}` : null,
          ]
            .filter((s): s is string => s !== null)
            .join('; '),
        });
      }
      return outcome('compliant', { observed: 'Every sudo of the gateway goes through the shim and needs a person\'s approval.', evidence, data, gap: '', mitigation: 'keep the shim installed and first in the gateway\'s PATH (ocsecctl doctor)' });
    },
  },
  {
    id: 'least_privilege_enforced',
    needs: ['host', 'policies'],
    run(e) {
      const host = v(e.host);
      const policies = v(e.policies);
      const command = policies.command;
      const rootGateways = host.gateway.processes.filter((p) => p.uid === 0);
      const data = {
        daemon_uid: host.daemon.uid,
        gateway_processes: host.gateway.processes.map((p) => ({ pid: p.pid, uid: p.uid })),
        command_policy: command,
      };
      const allowRules = command ? command.allow + command.allowExact : 0;
      const evidence = `ocsecd uid ${host.daemon.uid}; gateway ${host.gateway.processes.length === 0 ? 'not running' : host.gateway.processes.map((p) => `pid ${p.pid} uid ${p.uid}`).join(', ')}; command policy ${command ? `${command.allow} allow, ${command.allowExact} allow_exact, ${command.deny} deny, ${command.denyExact} deny_exact, deny_shells ${command.denyShells}` : 'not in force'}`;
      if (rootGateways.length > 0 || host.daemon.uid === 0) {
        return outcome('violation', {
          observed: rootGateways.length > 0 ? `The OpenClaw gateway runs as root (${rootGateways.map((p) => `pid ${p.pid}`).join(', ')}): every tool call is already privileged.` : 'ocsecd runs as root: the account holding the approval state is itself unrestricted.',
          evidence,
          data,
          gap: 'Nothing is limited to the commands a task needs while the gateway or ocsecd hold root all the time.',
          mitigation: 'run the gateway and ocsecd as an unprivileged user (a dedicated account with the shim in its PATH); give it sudo rights that ask for a password',
        });
      }
      const missing: string[] = [];
      if (!command) missing.push('no command policy is in force, so any command can be approved');
      else if (allowRules === 0) missing.push('command-policy.json has no allow or allow_exact rule, so any command not denied can be approved');
      if (command && !command.denyShells) missing.push('deny_shells is false, so commands that amount to a root shell can still be approved');
      if (missing.length > 0) {
        return outcome('partial', {
          observed: `The gateway runs unprivileged, but ${missing.join('; ')}.`,
          evidence,
          data,
          gap: 'Elevation is not limited to a reviewed set of commands.',
          mitigation: `add the commands your tasks need to "allow" / "allow_exact" and set "deny_shells": true in ${policies.files.find((f) => f.name === 'command-policy.json')?.path ?? 'command-policy.json'}, then ocsecctl policy check`,
        });
      }
      return outcome('compliant', { observed: 'The gateway runs unprivileged and elevation is limited to an allow list without shell escapes.', evidence, data, gap: '', mitigation: 'review the allow list when tasks change (ocsecctl policy check)' });
    },
  },
  {
    id: 'elevation_timeout_30m',
    needs: ['settings', 'host', 'privilege'],
    run(e) {
      const settings = v(e.settings);
      const host = v(e.host);
      const privilege = v(e.privilege);
      const route = gatewayRoute(host);
      const overdue = privilege.sessions.filter((s) => Date.parse(s.expiresAt) <= e.now);
      const data = { idle_timeout_minutes: settings.idleTimeoutMinutes, config: settings.configPath, gateway: route.data, no_new_privs: host.daemon.noNewPrivileges, sessions: privilege.sessions, sessions_past_expiry: overdue.map((s) => s.key) };
      const evidence = `idle_timeout_minutes ${settings.idleTimeoutMinutes} (${settings.configPath}); ${plural(privilege.sessions.length, 'kept session')}${overdue.length > 0 ? `, ${overdue.length} past expiry` : ''}; ${route.detail}`;
      if (settings.idleTimeoutMinutes > 30) {
        return outcome('violation', { observed: `Elevated sessions stay open for ${settings.idleTimeoutMinutes} idle minutes.`, evidence, data, gap: 'Idle elevation outlives the 30-minute limit.', mitigation: `set "idle_timeout_minutes": 30 (or less) in ${settings.configPath} and restart ocsecd` });
      }
      if (overdue.length > 0) {
        return outcome('violation', { observed: `${plural(overdue.length, 'session')} past its expiry ${overdue.length === 1 ? 'is' : 'are'} still recorded: ${list(overdue.map((s) => `${s.key} expired ${s.expiresAt}`))}.`, evidence, data, gap: 'Expiry is not being enforced.', mitigation: `ocsecctl drop ${overdue[0]!.key}; check the daemon log (journalctl --user -u ocsecd) for why the timer did not fire` });
      }
      const partialWhy: string[] = [];
      if (route.verdict === 'bypass') partialWhy.push(`the gateway does not run the shim (${route.detail}), so the timeout never applies to its sudo`);
      if (route.verdict === 'unconfirmed' || route.verdict === 'absent') partialWhy.push(`it cannot be confirmed that the shim is in the gateway's PATH (${route.detail})`);
      if (host.daemon.noNewPrivileges) partialWhy.push('ocsecd runs with no_new_privs (the sandbox), so it cannot run sudo -K when a session idles out; sudo\'s own timestamp_timeout bounds the credential cache');
      if (partialWhy.length > 0) {
        return outcome('partial', {
          observed: `The idle timeout is ${settings.idleTimeoutMinutes} minutes, but ${partialWhy.join('; ')}.`,
          evidence,
          data,
          gap: 'The timeout is configured but does not bound every elevation.',
          mitigation: host.daemon.noNewPrivileges && route.verdict !== 'bypass' ? 'ocsecctl install --service --no-sandbox, or set Defaults timestamp_timeout=0 in sudoers' : gatewayPathFix(e),
        });
      }
      return outcome('compliant', { observed: `Kept elevation expires after ${settings.idleTimeoutMinutes} idle minutes and the gateway's sudo goes through the shim.`, evidence, data, gap: '', mitigation: 'keep idle_timeout_minutes at 30 or less' });
    },
  },
  {
    id: 'audit_logging_privileged_actions',
    needs: ['auditActivity', 'auditFiles', 'settings'],
    run(e) {
      const activity = v(e.auditActivity);
      const files = v(e.auditFiles);
      const settings = v(e.settings);
      const c = activity.counts;
      const staleUnfinished = activity.unfinished.filter((u) => e.now - Date.parse(u.startedAt) > ISO_DAY);
      const data = { window_days: activity.windowDays, counts: c, mirror: files.mirror, unfinished: staleUnfinished, exports: settings.eventExports };
      const mirrorText = files.mirror ? `${files.mirror.path} mode ${files.mirror.mode.toString(8).padStart(4, '0')}` : `${files.mirrorPath} missing`;
      const evidence = `last ${activity.windowDays} days: ${c.exec_start ?? 0} exec_start, ${c.exec_finish ?? 0} exec_finish, ${c.exec_unfinished ?? 0} exec_unfinished, ${c.approval_requested ?? 0} approval_requested, ${c.policy_block ?? 0} policy_block; ${mirrorText}; exports ${settings.eventExports.length === 0 ? 'none' : settings.eventExports.map((x) => `${x.name} → ${x.target ?? '?'}`).join(', ')}`;
      if (files.mirror && (files.mirror.mode & 0o007) !== 0) {
        return outcome('violation', { risk: 'high', observed: `The audit mirror is readable or writable by other users (mode ${files.mirror.mode.toString(8)}).`, evidence, data, gap: 'The record of privileged actions is exposed to every account on the host.', mitigation: `chmod 600 ${shellQuote(files.mirror.path)}` });
      }
      const partialWhy: string[] = [];
      if (!files.mirror) partialWhy.push(`the JSONL mirror ${files.mirrorPath} is missing (ocsecd recreates it at start)`);
      else if ((files.mirror.mode & 0o070) !== 0) partialWhy.push(`the JSONL mirror is group-accessible (mode ${files.mirror.mode.toString(8)})`);
      if (staleUnfinished.length > 0) partialWhy.push(`${plural(staleUnfinished.length, 'execution')} started over a day ago never reported an exit (${list(staleUnfinished.map((u) => `grant ${u.grantId} ${u.argv0 ?? '?'} since ${u.startedAt}`))})`);
      if (settings.eventExports.length === 0) partialWhy.push('no fleet export copies the events off this host, so a process of this user could rewrite both the database and the mirror');
      if (partialWhy.length > 0) {
        return outcome('partial', {
          observed: `Privileged actions are recorded in the hash-chained trail, but ${partialWhy.join('; ')}.`,
          evidence,
          data,
          gap: 'The record is incomplete or only on this host.',
          mitigation: [
            settings.eventExports.length === 0 ? `enable exports.syslog (or exports.jsonl with a collector) in ${settings.configPath}` : null,
            files.mirror && (files.mirror.mode & 0o070) !== 0 ? `chmod 600 ${shellQuote(files.mirror.path)}` : null,
            !files.mirror ? 'restart ocsecd (it rewrites the mirror from the database)' : null,
            staleUnfinished.length > 0 ? 'check those commands (ocsecctl audit list --action exec_start) and restart ocsecd to record them as unfinished' : null,
          ]
            .filter((s): s is string => s !== null)
            .join('; '),
        });
      }
      return outcome('compliant', { observed: 'Privileged actions are recorded, the mirror is private and the events are exported off the host.', evidence, data, gap: '', mitigation: 'keep the export enabled and watch ocsecctl exports status' });
    },
  },
  {
    id: 'audit_trail_integrity',
    needs: ['auditChain'],
    run(e) {
      const chain = v(e.auditChain);
      const r = chain.report;
      const data = { ok: r.ok, count: r.count, head_seq: r.headSeq, head_hash: r.headHash, mirror: r.mirror, first_break: r.firstBreak, verified_at: chain.verifiedAt, reused_scheduled_verification: chain.reused, head_seq_now: chain.headSeqNow };
      const when = `${chain.reused ? 'scheduled verification' : 'verified for this run'} at ${chain.verifiedAt}`;
      const since = chain.headSeqNow > r.headSeq ? `; ${chain.headSeqNow - r.headSeq} events appended since are verified at the next one` : '';
      const evidence = `${r.count} events, head seq ${r.headSeq} hash ${r.headHash.slice(0, 16)}… (${when}${since}); mirror ${r.mirror.path} ${r.mirror.lines} lines to seq ${r.mirror.lastSeq}${r.firstBreak ? `; first break at seq ${r.firstBreak.seq} (${r.firstBreak.kind}): ${r.firstBreak.reason}` : ''}`;
      if (!r.ok && r.firstBreak) {
        return outcome('violation', {
          observed: `The audit chain is broken at seq ${r.firstBreak.seq}: ${r.firstBreak.kind}.`,
          evidence,
          data,
          gap: 'Events were changed, removed or re-linked after they were written (or the mirror disagrees with the database).',
          mitigation: 'ocsecctl audit verify; compare with the head seq/hash ocsecd logged at its last start, stop and verification (journalctl --user -u ocsecd | grep "audit head"); restore ocsec.db and privileged-audit.jsonl from a backup and find out who had access',
        });
      }
      return outcome('compliant', { observed: `All ${r.count} events verify and the mirror matches.`, evidence, data, gap: '', mitigation: 'keep a copy of the head hash off the host (exports) to detect a consistent rewrite' });
    },
  },
  {
    id: 'open_ports_approved',
    needs: ['ports'],
    run(e) {
      const { sample, findings, note } = portCheck(e, 'unapproved-port');
      const report = sample.report;
      const failed = samplerFailed(report);
      const data = { sample_id: report.sample_id, approved_file: report.approved_file, baseline: report.baseline, approved_rules: report.approved_rules_count, listening: report.listening_services.length, unapproved: findings.map(portData) };
      const evidence = `${note}; ${report.listening_services.length} listening, ${report.approved_rules_count} rules in ${report.approved_file} (${report.baseline.status}); unapproved: ${list(findings.map(portLine))}`;
      if (failed) return outcome('error', { observed: `The latest port sample failed: ${failed}.`, evidence, data, gap: 'Listening ports could not be compared with the baseline.', mitigation: 'ocsecctl ports --sample (and see its error)' });
      if (!report.baseline.in_force) {
        return outcome('violation', { observed: `No approved-ports baseline is in force (${report.approved_file} ${report.baseline.status}${report.baseline.problem ? `: ${report.baseline.problem}` : ''}).`, evidence, data, gap: 'Nothing says which listeners are expected, so every one is unapproved.', mitigation: 'ocsecctl ports baseline, review assessments/approved_ports.proposed.json, then ocsecctl ports baseline --write' });
      }
      if (findings.length > 0) {
        return outcome('partial', { observed: `${plural(findings.length, 'listening port')} ${findings.length === 1 ? 'is' : 'are'} not in the baseline.`, evidence, data, gap: 'Listeners run that nobody approved.', mitigation: `close the service, or approve it: ${findings.slice(0, 3).map((f) => `ocsecctl ports approve ${f.port}/${f.protocol}${f.command ? ` --command ${shellQuote(f.command)}` : ''} --justification '…'`).join('; ')}` });
      }
      return outcome('compliant', { observed: `Every one of ${plural(report.listening_services.length, 'listening socket')} is approved.`, evidence, data, gap: '', mitigation: 'approve new services with ocsecctl ports approve before starting them' });
    },
  },
  {
    id: 'insecure_ports_remediated',
    needs: ['ports'],
    run(e) {
      const { sample, findings, note } = portCheck(e, 'insecure-port');
      const failed = samplerFailed(sample.report);
      const data = { sample_id: sample.report.sample_id, insecure: findings.map(portData) };
      const evidence = `${note}; insecure: ${list(findings.map(portLine))}`;
      if (failed) return outcome('error', { observed: `The latest port sample failed: ${failed}.`, evidence, data, gap: 'Listeners could not be checked for insecure protocols.', mitigation: 'ocsecctl ports --sample (and see its error)' });
      if (findings.length > 0) {
        return outcome('violation', {
          risk: worstRisk(findings.map((f) => severityRisk(f.severity)), 'high'),
          observed: `${plural(findings.length, 'insecure service')} listening: ${list(findings.map((f) => `${f.service ?? f.type} on ${f.port}/${f.protocol}`))}.`,
          evidence,
          data,
          gap: 'Cleartext or unauthenticated services are reachable.',
          mitigation: list(findings.map((f) => `port ${f.port}: ${f.recommendation}`), 10),
        });
      }
      return outcome('compliant', { observed: 'No insecure service is listening.', evidence, data, gap: '', mitigation: 'keep cleartext protocols off; bind databases to loopback' });
    },
  },
  {
    id: 'public_binds_justified',
    needs: ['ports'],
    run(e) {
      const { sample, findings, note } = portCheck(e, 'public-bind');
      const failed = samplerFailed(sample.report);
      const data = { sample_id: sample.report.sample_id, public_binds: findings.map(portData) };
      const evidence = `${note}; unjustified binds: ${list(findings.map(portLine))}`;
      if (failed) return outcome('error', { observed: `The latest port sample failed: ${failed}.`, evidence, data, gap: 'Binds could not be checked.', mitigation: 'ocsecctl ports --sample (and see its error)' });
      if (findings.length === 0) return outcome('compliant', { observed: 'Every listener beyond loopback has a justified rule, and the gateway is on loopback.', evidence, data, gap: '', mitigation: 'give every new public listener a rule with host and justification' });
      const gateway = findings.filter((f) => f.gateway);
      const risk = worstRisk(findings.map((f) => severityRisk(f.severity)), 'medium');
      const fix = findings
        .slice(0, 3)
        .map((f) => (f.gateway ? `port ${f.port} is the OpenClaw gateway: openclaw config set gateway.bind loopback, then restart the gateway` : `bind ${f.command ?? 'the service'} to 127.0.0.1, or ocsecctl ports approve ${f.port}/${f.protocol} --host ${shellQuote(f.host)} --justification '<why it must be reachable>'`))
        .join('; ');
      return outcome(gateway.length > 0 || risk === 'high' || risk === 'critical' ? 'violation' : 'partial', {
        risk,
        observed: `${plural(findings.length, 'listener')} bound beyond loopback without a justified rule${gateway.length > 0 ? ', including the OpenClaw gateway' : ''}.`,
        evidence,
        data,
        gap: 'Services are exposed to the network without a recorded reason.',
        mitigation: fix,
      });
    },
  },
  {
    id: 'channel_allowlist_configured',
    needs: ['openclaw'],
    run(e) {
      const oc = v(e.openclaw);
      if (!oc.exists) return outcome('not_applicable', { observed: `No OpenClaw configuration at ${oc.configPath}.`, evidence: `${oc.configPath} does not exist`, data: { config: oc.configPath }, gap: '', mitigation: 'set OPENCLAW_CONFIG_PATH for ocsecd if the configuration lives elsewhere' });
      const accounts = channelAccounts(oc.config ?? {});
      if (accounts.length === 0) return outcome('not_applicable', { observed: 'No messaging channel is configured.', evidence: `${oc.configPath}: no channels.*`, data: { config: oc.configPath }, gap: '', mitigation: 'when you add a channel, keep dmPolicy "pairing" or "allowlist"' });
      const rows = accounts.map(({ path, value }) => ({
        path,
        dm_policy: typeof value.dmPolicy === 'string' ? value.dmPolicy : 'pairing (default)',
        allow_from: Array.isArray(value.allowFrom) ? value.allowFrom.length : 0,
        allow_from_wildcard: hasWildcard(value.allowFrom),
        group_policy: typeof value.groupPolicy === 'string' ? value.groupPolicy : 'allowlist (default)',
        group_allow_from_wildcard: hasWildcard(value.groupAllowFrom),
      }));
      const open = rows.filter((r) => r.dm_policy === 'open' || r.allow_from_wildcard);
      const openGroups = rows.filter((r) => r.group_policy === 'open' || r.group_allow_from_wildcard);
      const data = { config: oc.configPath, channels: rows };
      const evidence = `${oc.configPath}: ${rows.map((r) => `${r.path} dmPolicy=${r.dm_policy} allowFrom=${r.allow_from_wildcard ? '"*"' : r.allow_from} groupPolicy=${r.group_policy}`).join('; ')}`;
      if (open.length > 0) {
        return outcome('violation', {
          observed: `Anyone can message the agent on ${open.map((r) => r.path).join(', ')}.`,
          evidence,
          data,
          gap: 'Direct messages are accepted from unknown senders.',
          mitigation: open.map((r) => `openclaw config set ${r.path}.dmPolicy pairing${r.allow_from_wildcard ? ` and remove "*" from ${r.path}.allowFrom` : ''}`).join('; '),
        });
      }
      if (openGroups.length > 0) {
        return outcome('partial', { observed: `Direct messages are restricted, but any group can reach the agent on ${openGroups.map((r) => r.path).join(', ')}.`, evidence, data, gap: 'Group access is not allow-listed.', mitigation: openGroups.map((r) => `openclaw config set ${r.path}.groupPolicy allowlist (and list groups in ${r.path}.groups or senders in ${r.path}.groupAllowFrom)`).join('; ') });
      }
      return outcome('compliant', { observed: `Every channel (${rows.length}) accepts only paired or allow-listed senders.`, evidence, data, gap: '', mitigation: 'review paired senders (openclaw pairing list) from time to time' });
    },
  },
  {
    id: 'group_mentions_required',
    needs: ['openclaw'],
    run(e) {
      const oc = v(e.openclaw);
      if (!oc.exists) return outcome('not_applicable', { observed: `No OpenClaw configuration at ${oc.configPath}.`, evidence: `${oc.configPath} does not exist`, data: { config: oc.configPath }, gap: '', mitigation: '' });
      const config = oc.config ?? {};
      const accounts = channelAccounts(config).filter(({ value }) => value.groupPolicy !== 'disabled');
      if (accounts.length === 0) return outcome('not_applicable', { observed: 'No channel accepts group messages.', evidence: `${oc.configPath}: no channel, or groupPolicy "disabled" on every one`, data: { config: oc.configPath }, gap: '', mitigation: '' });
      const offs: Array<{ key: string; wildcard: boolean; openPolicy: boolean }> = [];
      let explicitOn = 0;
      for (const { path, value } of accounts) {
        const groups = isObject(value.groups) ? value.groups : {};
        for (const [id, group] of Object.entries(groups)) {
          if (!isObject(group)) continue;
          if (group.requireMention === false) offs.push({ key: `${path}.groups.${id}.requireMention`, wildcard: id === '*', openPolicy: value.groupPolicy === 'open' });
          if (group.requireMention === true) explicitOn++;
        }
      }
      const messages = isObject(config.messages) && isObject(config.messages.groupChat) ? config.messages.groupChat : {};
      const patterns = Array.isArray(messages.mentionPatterns) ? messages.mentionPatterns.length : 0;
      const data = { config: oc.configPath, channels: accounts.map((a) => a.path), require_mention_false: offs.map((o) => o.key), require_mention_true: explicitOn, mention_patterns: patterns };
      const evidence = `${oc.configPath}: ${accounts.map((a) => `${a.path} groupPolicy=${typeof a.value.groupPolicy === 'string' ? a.value.groupPolicy : 'allowlist (default)'}`).join('; ')}; requireMention false at ${list(offs.map((o) => o.key))}; ${explicitOn} explicit true; ${patterns} mentionPatterns`;
      const broad = offs.filter((o) => o.wildcard || o.openPolicy);
      if (broad.length > 0) {
        return outcome('violation', { observed: `Mention gating is off for every group (${broad.map((o) => o.key).join(', ')}).`, evidence, data, gap: 'Any message in any group the agent is in triggers it.', mitigation: broad.map((o) => `openclaw config set ${o.key} true`).join('; ') });
      }
      if (offs.length > 0) {
        return outcome('partial', { observed: `Mention gating is off for ${plural(offs.length, 'allow-listed group')}.`, evidence, data, gap: 'Everyone in those groups can trigger the agent without addressing it.', mitigation: offs.map((o) => `openclaw config set ${o.key} true (unless that group is only you)`).join('; ') });
      }
      return outcome('compliant', { observed: 'Groups trigger the agent only when it is mentioned (OpenClaw\'s default, not overridden).', evidence, data, gap: '', mitigation: 'do not set requireMention false on shared groups' });
    },
  },
  {
    id: 'gateway_loopback_only',
    needs: ['openclaw', 'ports'],
    run(e) {
      const oc = v(e.openclaw);
      const sample = v(e.ports);
      const report = sample.report;
      const config = oc.config ?? {};
      const exposure = gatewayExposure(config);
      const gateway = isObject(config.gateway) ? config.gateway : {};
      const auth = isObject(gateway.auth) && typeof gateway.auth.mode === 'string' ? gateway.auth.mode : 'token';
      const tailscale = isObject(gateway.tailscale) ? gateway.tailscale.mode : undefined;
      const port = report.gateway.port;
      const live = report.listening_services.filter((s) => s.port === port && s.protocol === 'tcp');
      const exposedLive = live.filter((s) => s.bind_scope !== 'loopback');
      const data = { config: oc.configPath, config_exists: oc.exists, bind: exposure.bind, bind_kind: exposure.kind, auth_mode: auth, tailscale_mode: tailscale ?? null, port, live_sockets: live.map((s) => ({ host: s.host, port: s.port, process: s.command, pid: s.pid, scope: s.bind_scope })), sample_id: report.sample_id };
      const evidence = `${oc.exists ? oc.configPath : `${oc.configPath} (absent: defaults)`}: gateway.bind=${exposure.bind} (${exposure.kind}), gateway.auth.mode=${auth}${tailscale ? `, gateway.tailscale.mode=${String(tailscale)}` : ''}; port ${port}: ${live.length === 0 ? 'not listening' : live.map((s) => `${s.host}:${s.port} ${s.command ?? '?'}${s.pid !== null ? ` pid ${s.pid}` : ''}`).join(', ')} (${sampleNote(sample)})`;
      const fix = 'openclaw config set gateway.bind loopback && openclaw config set gateway.auth.mode token, then restart the gateway; use tailscale serve or an authenticated reverse proxy for remote access';
      if (exposedLive.length > 0) {
        return outcome('violation', { risk: auth === 'none' ? 'critical' : 'high', observed: `The gateway port ${port} is listening on ${exposedLive.map((s) => s.host).join(', ')}.`, evidence, data, gap: 'The gateway is reachable from beyond this machine now.', mitigation: fix });
      }
      if (tailscale === 'funnel') return outcome('violation', { risk: 'critical', observed: 'The gateway is published to the internet with Tailscale Funnel.', evidence, data, gap: 'Anyone on the internet can reach the gateway.', mitigation: 'openclaw config set gateway.tailscale.mode serve' });
      if (exposure.kind === 'wildcard' || exposure.kind === 'address') {
        return outcome('violation', { risk: auth === 'none' ? 'critical' : 'high', observed: `gateway.bind is ${exposure.bind} (${exposure.address ?? 'all interfaces'}); the gateway is not listening there right now, but will at its next start.`, evidence, data, gap: 'The configuration exposes the gateway beyond loopback.', mitigation: fix });
      }
      if (exposure.kind === 'tailnet' || exposure.kind === 'invalid' || auth === 'none' || auth === 'trusted-proxy') {
        const why = exposure.kind === 'tailnet' ? 'it is bound to the tailnet (every device on it can reach the gateway)' : exposure.kind === 'invalid' ? `gateway.bind "${exposure.bind}" is not a mode OpenClaw accepts` : `gateway.auth.mode is "${auth}", so any local process or browser page can drive it`;
        return outcome('partial', { observed: `The gateway is not on the open network, but ${why}.`, evidence, data, gap: 'Loopback with token authentication is not fully in place.', mitigation: fix });
      }
      return outcome('compliant', { observed: `The gateway is configured for loopback with ${auth} authentication and port ${port} listens on loopback only${live.length === 0 ? ' (not listening now)' : ''}.`, evidence, data, gap: '', mitigation: 'keep gateway.bind loopback' });
    },
  },
  {
    id: 'secrets_permissions_hardened',
    needs: ['permissions', 'auditFiles'],
    run(e) {
      const perms = v(e.permissions);
      const files = v(e.auditFiles);
      const ocsecIssues = [
        { f: files.securityDir, want: 0o700 },
        { f: files.database, want: 0o600 },
        { f: files.mirror, want: 0o600 },
        { f: files.settingsFile, want: 0o600 },
      ]
        .filter((x): x is { f: NonNullable<typeof x.f>; want: number } => x.f !== null && (x.f.mode & 0o777 & ~x.want) !== 0)
        .map(({ f, want }) => ({ path: f.path, mode: '0' + (f.mode & 0o777).toString(8), want: '0' + want.toString(8), severity: (f.mode & 0o022) !== 0 ? ('critical' as const) : ('high' as const), reason: 'ocsec\'s own state must be private', fix: `chmod ${want.toString(8)} ${shellQuote(f.path)}` }));
      const issues = [...perms.issues, ...ocsecIssues];
      const serious = issues.filter((i) => i.severity === 'critical' || i.severity === 'high');
      const data = { observed_paths: perms.observed, issues };
      const evidence = `${perms.observed} OpenClaw paths and ocsec's security dir, database, mirror and settings checked; ${issues.length === 0 ? 'all private' : list(issues.map((i) => `${i.path} ${i.mode} (want ${i.want}): ${i.reason}`))}`;
      const mitigation = issues.length === 0 ? 'keep umask 077 for the gateway and ocsecd' : `${list(issues.map((i) => i.fix), 8)} (or: ocsecctl security audit --fix for OpenClaw's paths)`;
      if (serious.length > 0) {
        return outcome('violation', { risk: serious.some((i) => i.severity === 'critical') ? 'critical' : 'high', observed: `${plural(serious.length, 'path')} holding secrets or state ${serious.length === 1 ? 'is' : 'are'} open to other users.`, evidence, data, gap: 'Other accounts on this host can read or change tokens, credentials or transcripts.', mitigation });
      }
      if (issues.length > 0) return outcome('partial', { risk: 'medium', observed: `${plural(issues.length, 'path')} ${issues.length === 1 ? 'is' : 'are'} more open than needed (group access).`, evidence, data, gap: 'Group members can read parts of the state.', mitigation });
      return outcome('compliant', { observed: 'Secrets, state and ocsec\'s own files are private to their owner.', evidence, data, gap: '', mitigation });
    },
  },
  {
    id: 'runtime_privilege_hook_installed',
    needs: ['launcher'],
    run(e) {
      const l = v(e.launcher);
      const data = { launcher: l.path, installed: l.installed, sound: l.sound, detail: l.detail, real_sudo: l.realSudo };
      const evidence = `${l.path}: ${l.installed ? l.detail : 'absent'}; real sudo: ${l.realSudo.detail}`;
      if (!l.installed) return outcome('violation', { observed: `${l.path} is not installed.`, evidence, data, gap: 'Nothing routes sudo through ocsecd.', mitigation: 'ocsecctl install --shim --gateway-path, then restart the gateway' });
      if (!l.sound) return outcome('violation', { observed: `${l.path} is installed but broken: ${l.detail}.`, evidence, data, gap: 'sudo through the shim fails, or does not reach this daemon.', mitigation: 'ocsecctl install --shim (pins this node, shim and socket again)' });
      if (!l.realSudo.ok) return outcome('violation', { observed: `The shim cannot hand over to a trustworthy sudo: ${l.realSudo.detail}.`, evidence, data, gap: 'Approved commands cannot run, or would run through an untrusted sudo.', mitigation: 'install sudo from the distribution, or point OPENCLAW_REAL_SUDO / real_sudo at a root-owned sudo' });
      return outcome('compliant', { observed: 'The shim launcher is installed, ocsec\'s, and everything it pins exists.', evidence, data, gap: '', mitigation: 'ocsecctl doctor after upgrades of node or ocsec' });
    },
  },
  {
    id: 'alternate_privilege_paths_restricted',
    needs: ['host'],
    run(e) {
      const host = v(e.host);
      const nopass = host.alternatives.flatMap((a) => a.passwordless);
      const setuid = host.alternatives.filter((a) => a.setuid);
      const data = { alternatives: host.alternatives };
      const evidence = host.alternatives.length === 0 ? 'no su, doas, pkexec, run0 or sudo-rs on the secure path' : host.alternatives.map((a) => `${a.path}${a.setuid ? ' (setuid root)' : ''}${a.passwordless.length > 0 ? `: ${a.passwordless.join('; ')}` : ''}`).join(', ');
      if (nopass.length > 0) return outcome('violation', { risk: 'high', observed: `doas runs without a password: ${nopass.join('; ')}.`, evidence, data, gap: 'Any process of this user becomes root through doas, past the shim.', mitigation: 'remove nopass from those doas.conf rules' });
      if (setuid.length > 0) {
        return outcome('partial', { observed: `${setuid.map((a) => a.name).join(', ')} ${setuid.length === 1 ? 'is' : 'are'} setuid root and not covered by the shim (${setuid.length === 1 ? 'it asks' : 'they ask'} for a password or polkit consent).`, evidence, data, gap: 'Other setuid paths to root exist beside the guarded sudo.', mitigation: 'restrict them to an admin group where agents run (pam_wheel for su, a polkit rule for pkexec), or remove them' });
      }
      return outcome('compliant', { observed: 'No other setuid way to root was found.', evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'backup_configured',
    needs: ['backups'],
    run(e) {
      const b = v(e.backups);
      const maxAgeMs = b.maxAgeHours * 3_600_000;
      const fresh = b.paths.filter((p) => p.newest !== null && e.now - Date.parse(p.newest.mtime) <= maxAgeMs);
      const data = { paths: b.paths, jobs: b.jobs, jobs_problem: b.jobsProblem, max_age_hours: b.maxAgeHours };
      const evidence = `backup paths: ${b.paths.length === 0 ? 'none configured (compliance.backup.paths)' : b.paths.map((p) => `${p.path}: ${p.problem ?? (p.newest ? `newest ${p.newest.file} at ${p.newest.mtime}` : 'empty')}`).join('; ')}; scheduled jobs: ${list(b.jobs.map((j) => `${j.source}: ${j.text}`), 3)}${b.jobsProblem ? ` (${b.jobsProblem})` : ''}`;
      const hasJob = b.jobs.length > 0;
      if (hasJob && fresh.length > 0) return outcome('compliant', { observed: `A backup job is scheduled and the newest backup is younger than ${b.maxAgeHours} h.`, evidence, data, gap: '', mitigation: 'test a restore of the state directory now and then' });
      if (!hasJob && fresh.length === 0) {
        return outcome('violation', { observed: 'No scheduled backup job was found and no recent backup exists.', evidence, data, gap: 'The state directory (configuration, credentials, audit trail) has no backup.', mitigation: `schedule one, e.g. restic backup ${shellQuote(e.stateDir)} from a systemd timer, and list its destination in compliance.backup.paths` });
      }
      if (!hasJob) return outcome('partial', { observed: 'A recent backup exists but no scheduled job makes it.', evidence, data, gap: 'Backups depend on someone remembering.', mitigation: `schedule it (crontab -e, or a systemd --user timer) for ${shellQuote(e.stateDir)}` });
      return outcome('partial', {
        observed: b.paths.length === 0 ? 'A backup job is scheduled, but no backup location is configured to verify it ran.' : `A backup job is scheduled, but nothing under ${b.paths.map((p) => p.path).join(', ')} is younger than ${b.maxAgeHours} h.`,
        evidence,
        data,
        gap: 'There is no evidence that a recent backup exists.',
        mitigation: b.paths.length === 0 ? 'list where the backups land in compliance.backup.paths in ocsec.json' : 'check the backup job\'s log; it has not produced a backup recently',
      });
    },
  },
  {
    id: 'update_hygiene',
    needs: ['securityAudit'],
    run(e) {
      const audit = v(e.securityAudit);
      if (audit === null) {
        return outcome('error', { observed: 'No installation audit has run yet, so OpenClaw\'s version and dependencies are unknown.', evidence: 'security_audit_runs is empty', data: {}, gap: 'Update state not assessed.', mitigation: 'ocsecctl security audit --deep (ocsecd also runs the audit daily)' });
      }
      const version = audit.checks.find((c) => c.checkId === 'deps.openclaw_version');
      const npm = audit.lastNpmAudit;
      const npmAge = npm ? (e.now - Date.parse(npm.finishedAt)) / ISO_DAY : null;
      const data = { audit_run: audit.runId, audit_finished_at: audit.finishedAt, openclaw_version: audit.openclawVersion, version_check: version ?? null, npm_audit: npm };
      const evidence = `installation audit #${audit.runId} at ${audit.finishedAt}: OpenClaw ${audit.openclawVersion ?? `version unknown (${version?.reason ?? 'not checked'})`}; npm audit: ${npm ? `#${npm.runId} at ${npm.finishedAt} ${npm.status}${npm.reason ? ` (${npm.reason})` : ''}` : 'never assessed'}`;
      if (npm && npm.status === 'failed' && (npm.severity === 'critical' || npm.severity === 'high')) {
        return outcome('violation', { risk: severityRisk(npm.severity), observed: `npm audit found ${npm.severity} vulnerabilities in OpenClaw's dependencies.`, evidence, data, gap: 'Known vulnerable code runs in the gateway.', mitigation: 'npm install -g openclaw@latest, then ocsecctl security audit --deep' });
      }
      if (!audit.openclawVersion) return outcome('partial', { observed: `OpenClaw's installed version could not be determined (${version?.reason ?? 'not checked'}).`, evidence, data, gap: 'The installed version cannot be compared with releases.', mitigation: 'put the openclaw binary on ocsecd\'s PATH, then ocsecctl security audit' });
      if (!npm || npmAge === null || npmAge > 30) {
        return outcome('partial', { observed: `OpenClaw ${audit.openclawVersion} is installed, but its dependencies have not been audited ${npm ? `since ${npm.finishedAt}` : 'yet'}.`, evidence, data, gap: 'Vulnerable dependencies would go unnoticed.', mitigation: 'ocsecctl security audit --deep where npm can reach a registry (a local mirror such as Verdaccio for an offline host)' });
      }
      if (npm.status === 'failed') return outcome('partial', { risk: 'low', observed: `npm audit found ${npm.severity} vulnerabilities.`, evidence, data, gap: 'Lower-severity vulnerable dependencies remain.', mitigation: 'npm install -g openclaw@latest' });
      return outcome('compliant', { observed: `OpenClaw ${audit.openclawVersion}; npm audit clean at ${npm.finishedAt}.`, evidence, data, gap: '', mitigation: 'keep the deep audit monthly' });
    },
  },
  {
    id: 'prompt_injection_controls',
    needs: ['policies'],
    uses: ['securityAudit'],
    run(e) {
      const policies = v(e.policies);
      const audit = opt(e.securityAudit);
      const execApproval = audit?.checks.find((c) => c.checkId === 'tools.exec_approval') ?? null;
      const prompt = policies.prompt;
      const promptFile = policies.files.find((f) => f.name === 'prompt-policy.json');
      const data = { require_confirmation_for_untrusted: prompt.requireConfirmationForUntrusted, source: prompt.source, prompt_policy: promptFile ?? null, openclaw_exec_approval: execApproval, audit_run: audit?.runId ?? null };
      const evidence = `require_confirmation_for_untrusted=${prompt.requireConfirmationForUntrusted} (${prompt.source === 'file' ? promptFile?.path : 'built-in default; prompt-policy.json not in force'}); OpenClaw tools.exec_approval: ${execApproval ? `${execApproval.status}${execApproval.reason ? ` (${execApproval.reason})` : ''} in audit #${audit!.runId}` : 'no installation audit yet'}`;
      if (!prompt.requireConfirmationForUntrusted) {
        return outcome('violation', { observed: 'Requests flagged as coming from untrusted content are approved without an explicit confirmation.', evidence, data, gap: 'Injected instructions reach privileged execution with a single yes.', mitigation: `set "require_confirmation_for_untrusted": true in ${promptFile?.path ?? 'prompt-policy.json'}` });
      }
      if (execApproval?.status === 'failed') {
        return outcome('partial', { observed: 'ocsec asks for confirmation on untrusted content, but OpenClaw runs shell commands without asking.', evidence, data, gap: 'Commands that need no sudo run straight from injected instructions.', mitigation: 'openclaw config set tools.exec.ask on-miss (or tools.exec.security allowlist, or a sandbox: agents.defaults.sandbox.mode all)' });
      }
      if (!execApproval || execApproval.status === 'not_assessed') {
        return outcome('partial', { observed: 'ocsec asks for confirmation on untrusted content; whether OpenClaw asks before running commands is not known.', evidence, data, gap: 'Only ocsec\'s half of the control could be confirmed.', mitigation: 'ocsecctl security audit (it reads tools.exec and the sandbox settings)' });
      }
      return outcome('compliant', { observed: 'Untrusted requests need explicit confirmation, and OpenClaw asks before running commands.', evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'command_policy_enforced',
    needs: ['policies'],
    run(e) {
      const policies = v(e.policies);
      const file = policies.files.find((f) => f.name === 'command-policy.json');
      const c = policies.command;
      const path = file?.path ?? 'command-policy.json';
      const data = { file: file ?? null, in_force: c };
      const evidence = `${path}: ${file?.status ?? 'missing'}${file?.problem ? ` (${file.problem})` : ''}; in force: ${c ? `${c.deny} deny, ${c.denyExact} deny_exact, ${c.allow} allow, ${c.allowExact} allow_exact, deny_shells ${c.denyShells}` : 'nothing'}`;
      if (!c && file?.status !== 'invalid') return outcome('violation', { observed: `${path} does not exist: every command is allowed to ask for approval.`, evidence, data, gap: 'No command is refused before a person is asked.', mitigation: `cp policies/command-policy.template.json ${shellQuote(path)}, adapt it, then ocsecctl policy check` });
      if (!c) return outcome('partial', { risk: 'medium', observed: `${path} is invalid and no earlier version is in force, so every privileged command is denied.`, evidence, data, gap: 'The policy is unusable (fail closed).', mitigation: `fix ${file?.problem ?? path}, then ocsecctl policy check` });
      if (file?.status !== 'ok') return outcome('partial', { observed: `${path} is ${file?.status ?? 'missing'}; the last good version stays in force.`, evidence, data, gap: 'The file on disk is not the policy in force.', mitigation: `fix ${file?.problem ?? path}, then ocsecctl policy check` });
      if (c.allow + c.deny + c.allowExact + c.denyExact === 0) return outcome('partial', { observed: `${path} is in force but has no rules.`, evidence, data, gap: 'Nothing is filtered.', mitigation: `add deny rules (e.g. "\\\\brm\\\\s+-rf\\\\b") and an allow list to ${path}` });
      return outcome('compliant', { observed: `${path} is in force with ${c.deny + c.denyExact} deny and ${c.allow + c.allowExact} allow rules.`, evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'session_boundary_enforced',
    needs: ['settings'],
    uses: ['privilege'],
    run(e) {
      const s = v(e.settings);
      const privilege = opt(e.privilege);
      const byTty = privilege?.sessions.filter((x) => x.sessionId === null).length ?? 0;
      const data = { require_session_id: s.requireSessionId, sessions: privilege?.sessions.length ?? null, sessions_without_task_id: byTty };
      const evidence = `require_session_id=${s.requireSessionId.config} (${s.configPath}), OPENCLAW_REQUIRE_SESSION_ID=${s.requireSessionId.env ? '1' : 'unset'} for ocsecd; ${privilege ? `${plural(privilege.sessions.length, 'kept session')}, ${byTty} keyed by terminal` : 'sessions not read'}`;
      if (s.requireSessionId.config || s.requireSessionId.env) return outcome('compliant', { observed: 'Every privileged request must name its task session.', evidence, data, gap: '', mitigation: '' });
      return outcome('partial', { observed: 'Requests without OPENCLAW_TASK_SESSION_ID are accepted; kept approvals are scoped to the terminal only.', evidence, data, gap: 'Approvals are not bound to a task.', mitigation: `set "require_session_id": true in ${s.configPath} (and OPENCLAW_TASK_SESSION_ID per task in the gateway)` });
    },
  },
  {
    id: 'multi_factor_approval',
    needs: ['factors', 'settings'],
    run(e) {
      const f = v(e.factors);
      const s = v(e.settings);
      const data = { ...f, out_of_band_approval: s.outOfBandApproval, approval_requires_terminal: s.approvalRequiresTerminal };
      const evidence = `totp=${f.totp}${f.totpPending ? ' (enrollment pending)' : ''}, token=${f.token}${f.tokenFromEnv ? ' (from OPENCLAW_APPROVAL_TOKEN)' : ''}, failures=${f.failures}${f.lockedUntil ? `, locked until ${f.lockedUntil}` : ''}; out_of_band_approval=${s.outOfBandApproval}, approval_requires_terminal=${s.approvalRequiresTerminal}`;
      if (f.totp || (f.token && !f.tokenFromEnv)) return outcome('compliant', { observed: `Approvals need ${f.totp ? 'a TOTP code' : 'the approval token'}.`, evidence, data, gap: '', mitigation: '' });
      if (f.tokenFromEnv) return outcome('partial', { observed: 'The approval token comes from OPENCLAW_APPROVAL_TOKEN in ocsecd\'s environment.', evidence, data, gap: 'Any process of this user can read it from /proc/<pid>/environ or the unit file.', mitigation: 'ocsecctl approval-token set (stored as a hash), then remove OPENCLAW_APPROVAL_TOKEN; better: ocsecctl totp enroll' });
      const anyone = s.outOfBandApproval && !s.approvalRequiresTerminal;
      return outcome(anyone ? 'violation' : 'partial', {
        risk: anyone ? 'high' : undefined,
        observed: anyone ? 'No approval factor, and out-of-band approvals need no terminal: any process of this user can approve.' : 'No approval factor: approval is a single yes at a terminal, which any process of this user can give through a pseudo-terminal (script).',
        evidence,
        data,
        gap: 'Approvals rely on one step.',
        mitigation: 'ocsecctl totp enroll, then ocsecctl totp confirm CODE',
      });
    },
  },
  {
    id: 'egress_allowlist_configured',
    needs: ['policies'],
    run(e) {
      const p = v(e.policies);
      const file = p.files.find((f) => f.name === 'egress_allowlist.json');
      const path = file?.path ?? 'egress_allowlist.json';
      const data = { file: file ?? null, rules_in_force: p.egressRules };
      const evidence = `${path}: ${file?.status ?? 'missing'}${file?.problem ? ` (${file.problem})` : ''}; ${p.egressRules === null ? 'nothing in force' : `${plural(p.egressRules, 'rule')} in force`}`;
      if (p.egressRules === null) return outcome('violation', { observed: file?.status === 'invalid' ? `${path} is invalid and no earlier version is in force.` : `${path} does not exist.`, evidence, data, gap: 'No outbound destination is listed as expected.', mitigation: `ocsecctl egress allow --host api.openai.com --port 443 (one per destination the agents need)${file?.problem ? `; fix ${file.problem}` : ''}` });
      if (file?.status !== 'ok') return outcome('partial', { observed: `${path} is ${file?.status ?? 'missing'}; the last good version stays in force.`, evidence, data, gap: 'The file on disk is not the allowlist in force.', mitigation: `fix ${file?.problem ?? path}, then ocsecctl policy check` });
      if (p.egressRules === 0) return outcome('partial', { observed: `${path} is empty.`, evidence, data, gap: 'Every connection is unapproved.', mitigation: 'ocsecctl egress allow --host HOST --port PORT for each needed destination' });
      return outcome('compliant', { observed: `${plural(p.egressRules, 'allowlist rule')} in force.`, evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'egress_connections_approved',
    needs: ['egress'],
    run(e) {
      const sample = v(e.egress);
      const r = sample.report;
      const data = { sample_id: r.sample_id, connections: r.connections.length, allowlist: r.allowlist, unapproved: r.findings.map((f) => ({ remote_host: f.remote_host, remote_ip: f.remote_ip, remote_port: f.remote_port, protocol: f.protocol, process: f.command, pid: f.pid, user: f.user, why: f.why, first_seen: f.first_seen })) };
      const lines = r.findings.map((f) => `${f.protocol} ${f.remote_host}${f.remote_host !== f.remote_ip ? ` (${f.remote_ip})` : ''}:${f.remote_port} ${f.command ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''}`);
      const evidence = `${sampleNote(sample)}; ${r.connections.length} outbound, ${r.allowlist_rules_count} rules (${r.allowlist.status}); unapproved: ${list(lines)}`;
      if (r.status === 'error') return outcome('error', { observed: `The latest egress sample failed: ${r.error ?? 'unknown error'}.`, evidence, data, gap: 'Outbound connections could not be checked.', mitigation: 'ocsecctl egress --sample (and see its error)' });
      if (!r.allowlist.in_force) return outcome('violation', { observed: 'No egress allowlist is in force, so no connection can be validated.', evidence, data, gap: 'Outbound traffic is unmonitored against expectations.', mitigation: 'ocsecctl egress allow --host HOST --port PORT for each needed destination' });
      if (r.findings.length > 0) return outcome('partial', { observed: `${plural(r.findings.length, 'outbound connection')} to destinations not on the allowlist.`, evidence, data, gap: 'Unapproved outbound connections exist.', mitigation: r.findings.slice(0, 3).map((f) => `${f.recommendation}`).join('; ') });
      return outcome('compliant', { observed: `All ${r.connections.length} outbound connections are allowed.`, evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'sudo_nopasswd_absent',
    needs: ['host'],
    run(e) {
      const host = v(e.host);
      const s = host.sudo;
      const data = { status: s.status, real_sudo: s.realSudo, passwordless: s.passwordless, authenticate_disabled: s.authenticateDisabled, detail: s.detail, daemon_uid: host.daemon.uid };
      const evidence = `${s.realSudo ?? 'sudo'} -n -l: ${s.status}; ${s.detail}${s.passwordless.length > 0 ? `; ${list(s.passwordless)}` : ''}`;
      if (s.passwordless.length > 0 || s.authenticateDisabled) {
        return outcome('violation', { observed: s.authenticateDisabled ? 'Defaults !authenticate: no sudo rule asks for a password.' : `${plural(s.passwordless.length, 'sudo rule')} run${s.passwordless.length === 1 ? 's' : ''} without a password.`, evidence, data, gap: `Any process of this user can call ${s.realSudo ?? '/usr/bin/sudo'} directly and skip the shim, its approval and its audit.`, mitigation: 'remove NOPASSWD (and !authenticate) for this user with visudo: /etc/sudoers and /etc/sudoers.d/' });
      }
      switch (s.status) {
        case 'root':
          return outcome('violation', { observed: 'ocsecd runs as root: sudo never asks root for a password.', evidence, data, gap: 'The shim is the only gate, and a process of this user does not need sudo at all.', mitigation: 'run the gateway and ocsecd as an unprivileged user' });
        case 'listed':
        case 'password-required':
        case 'no-rights':
          return outcome('compliant', { observed: s.status === 'no-rights' ? 'This user may not use sudo at all.' : 'Every sudo rule of this user asks for a password.', evidence, data, gap: '', mitigation: 'keep NOPASSWD out of sudoers for accounts that run agents' });
        case 'not-installed':
          return outcome('not_applicable', { observed: `sudo is not installed or not trustworthy: ${s.detail}.`, evidence, data, gap: '', mitigation: '' });
        default:
          return outcome('error', { observed: `The sudo rules could not be listed: ${s.detail}.`, evidence, data, gap: 'Passwordless rules cannot be ruled out.', mitigation: 'ocsecctl doctor (lists them as you when ocsecd cannot), or run sudo -n -l and look for NOPASSWD' });
      }
    },
  },
  {
    id: 'gateway_path_routes_through_shim',
    needs: ['host'],
    run(e) {
      const host = v(e.host);
      const route = gatewayRoute(host);
      const evidence = `${route.detail}${host.gateway.otherStateDirs.length > 0 ? `; gateways of other state dirs: ${host.gateway.otherStateDirs.map((o) => `pid ${o.pid} ${o.stateDir}`).join(', ')}` : ''}`;
      switch (route.verdict) {
        case 'routes':
          return outcome('compliant', { observed: 'Every running gateway process finds the shim first in its PATH.', evidence, data: route.data, gap: '', mitigation: 'keep the PATH drop-in when editing the gateway unit' });
        case 'routes-configured':
          return outcome('compliant', { observed: 'The gateway is not running; its unit or LaunchAgent puts the shim first.', evidence, data: route.data, gap: '', mitigation: '' });
        case 'unconfirmed':
          return outcome('partial', { observed: 'The gateway\'s own environment cannot be read; its unit or LaunchAgent puts the shim first.', evidence, data: route.data, gap: 'The live PATH is not confirmed.', mitigation: 'run ocsecd as the gateway\'s user so /proc/<pid>/environ can be read' });
        case 'absent':
          return outcome('not_applicable', { observed: 'No OpenClaw gateway process, unit or LaunchAgent was found for this state dir.', evidence, data: route.data, gap: '', mitigation: 'install the gateway service, then ocsecctl install --gateway-path' });
        default:
          return outcome('violation', { observed: 'The gateway\'s sudo is not the ocsec shim.', evidence, data: route.data, gap: 'Every sudo the gateway runs skips approval, policy and audit.', mitigation: gatewayPathFix(e) });
      }
    },
  },
  {
    id: 'daemon_supervised',
    needs: ['service', 'host'],
    run(e) {
      const svc = v(e.service);
      const sup = v(e.host).daemon.supervisor;
      const data = { file: svc.file, installed: svc.installed, enabled: svc.enabled, problems: svc.problems, supervisor: sup, expected_unit: svc.expectedUnit };
      const evidence = `${svc.file}: ${svc.installed ? `installed${svc.enabled === true ? ', enabled' : svc.enabled === false ? ', not enabled' : ''}` : 'absent'}${svc.problems.length > 0 ? ` (${svc.problems.join('; ')})` : ''}; running ocsecd: ${sup.detail}`;
      const enableFix = svc.platform === 'darwin' ? `launchctl bootstrap gui/$UID ${shellQuote(svc.file)}` : `systemctl --user enable --now ${svc.expectedUnit}`;
      if (!svc.installed) return outcome('violation', { observed: `No ${svc.platform === 'darwin' ? 'LaunchAgent' : 'user unit'} for ocsecd is installed.`, evidence, data, gap: 'ocsecd does not restart after a crash or start at login; sudo through the shim fails closed while it is down.', mitigation: 'ocsecctl install --service' });
      if (svc.problems.length > 0) return outcome('violation', { observed: `The installed service is broken: ${svc.problems.join('; ')}.`, evidence, data, gap: 'The service manager cannot start ocsecd.', mitigation: 'ocsecctl install --service (renders it again with this node and daemon)' });
      if (svc.enabled === false) return outcome('partial', { observed: 'The service is installed but not enabled.', evidence, data, gap: 'ocsecd will not start at login or after a reboot.', mitigation: enableFix });
      if (sup.kind === 'none' || sup.unit !== svc.expectedUnit) return outcome('partial', { observed: `The service is installed, but this ocsecd ${sup.kind === 'none' ? 'was started by hand' : `runs as ${sup.detail}`}.`, evidence, data, gap: 'The running daemon is not the supervised one.', mitigation: `stop this ocsecd, then ${svc.platform === 'darwin' ? `launchctl kickstart gui/$UID/${svc.expectedUnit}` : `systemctl --user start ${svc.expectedUnit}`}` });
      return outcome('compliant', { observed: `ocsecd runs as ${sup.detail}, installed and enabled.`, evidence, data, gap: '', mitigation: '' });
    },
  },
  {
    id: 'policy_files_valid',
    needs: ['policies'],
    run(e) {
      const p = v(e.policies);
      const invalid = p.files.filter((f) => f.status === 'invalid');
      const missing = p.files.filter((f) => f.status === 'missing');
      const data = { files: p.files };
      const evidence = p.files.map((f) => `${f.name} ${f.status}${f.inForce && f.status !== 'ok' ? ' (last good in force)' : ''}${f.problem ? `: ${f.problem}` : ''}`).join('; ');
      if (invalid.length > 0) return outcome('violation', { observed: `${plural(invalid.length, 'policy file')} ${invalid.length === 1 ? 'is' : 'are'} invalid: ${invalid.map((f) => f.name).join(', ')}.`, evidence, data, gap: 'What is in force differs from what the file says, or nothing is in force.', mitigation: `${invalid.map((f) => `fix ${f.problem ?? f.path}`).join('; ')}; then ocsecctl policy check` });
      if (missing.length > 0) return outcome('partial', { observed: `${plural(missing.length, 'policy file')} missing: ${missing.map((f) => f.name).join(', ')}.`, evidence, data, gap: 'Those controls run on defaults (or refuse privileged commands with require_policy_files).', mitigation: `create ${missing.map((f) => f.path).join(', ')} from policies/*.template.json (ocsecctl ports baseline and egress allow write the network ones), then ocsecctl policy check` });
      return outcome('compliant', { observed: `All ${p.files.length} policy files are valid and in force.`, evidence, data, gap: '', mitigation: '' });
    },
  },
];

export const CHECK_BY_ID: ReadonlyMap<CheckId, CheckDef> = new Map(CHECKS.map((c) => [c.id, c]));
