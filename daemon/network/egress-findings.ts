/** Outbound connections against egress_allowlist.json: which rule allows each, and an unapproved-egress finding with why for the rest. */
import type { EgressConnection } from '../../client/network-protocol.js';
import { canonicalIp, cidrContains, parseIp, unmapV4 } from './addresses.js';
import { describeEgressRule, type EgressRule } from './policy.js';
import type { NameResolver } from './resolver.js';
import { primaryOwner, type Protocol, type SocketRecord } from './sockets.js';
import type { Severity } from './port-findings.js';

export interface EgressFindingDraft {
  key: string;
  type: 'unapproved-egress';
  severity: Severity;
  remote_host: string;
  remote_ip: string;
  remote_port: number;
  protocol: Protocol;
  command: string | null;
  pid: number | null;
  user: string | null;
  owner: EgressConnection['owner'];
  resolved: boolean;
  names: string[];
  message: string;
  recommendation: string;
  why: string;
}

export interface AllowlistInForce {
  rules: readonly EgressRule[] | null;
  file: string;
  absentReason: string;
}

export const EGRESS_RECOMMENDATION = 'Add to egress allowlist with justification or terminate the connection.';

/** Why a rule does not allow a connection, or null when it does. */
function ruleMismatch(rule: EgressRule, c: EgressConnection, resolver: NameResolver): string | null {
  if (rule.protocol !== c.protocol) return `protocol is ${c.protocol}`;
  if (rule.port !== undefined && rule.port !== c.remote_port) return `port is ${c.remote_port}`;
  if (rule.command !== undefined) {
    if (c.command === null) return 'the owning process is not visible, so its command cannot be compared';
    if (rule.command.toLowerCase() !== c.command.toLowerCase()) return `command is ${c.command}`;
  }
  if (rule.cidr && !cidrContains(rule.cidr, c.remote_ip)) return `${c.remote_ip} is outside ${rule.cidr.text}`;
  if (rule.host !== undefined) {
    if (parseIp(rule.host)) {
      if (canonicalIp(unmapV4(rule.host)) !== c.remote_ip) return `${c.remote_ip} is not ${rule.host}`;
    } else {
      const entry = resolver.forward(rule.host);
      if (!entry || entry.resolvedAt === null) return `${rule.host} has not resolved${entry?.error ? ` (${entry.error})` : ''}`;
      if (!entry.ips.has(c.remote_ip)) return `${rule.host} resolves to ${[...entry.ips].join(', ') || 'nothing'}, not ${c.remote_ip}`;
    }
  }
  if (rule.host_regex) {
    // The address itself is a candidate too: the reference matched its patterns against lsof -n output, i.e. addresses.
    const candidates = [...c.names, c.remote_ip];
    if (!candidates.some((name) => rule.host_regex!.regex.test(name))) {
      return `none of ${candidates.join(', ')} matches ${JSON.stringify(rule.host_regex.source)}${c.resolved ? '' : ' (no name is known for the address)'}`;
    }
  }
  return null;
}

export function connectionOf(s: SocketRecord, names: readonly string[]): EgressConnection {
  const owner = primaryOwner(s);
  const remoteIp = canonicalIp(unmapV4(s.remoteAddress));
  return {
    command: owner?.command ?? null,
    pid: owner?.pid ?? null,
    user: owner?.user ?? null,
    remote_host: names[0] ?? remoteIp,
    remote_port: s.remotePort,
    protocol: s.protocol,
    remote_ip: remoteIp,
    resolved: names.length > 0,
    names: [...names],
    local_address: canonicalIp(s.localAddress),
    local_port: s.localPort,
    state: s.state,
    owner: s.ownerStatus,
    socket_uid: s.uid,
    exe: owner?.exe ?? null,
    cmdline: owner?.cmdline ?? null,
    processes: s.owners.map((o) => ({ ...o })),
    allowed_by: null,
  };
}

/** Fills in allowed_by and returns a finding for every connection no rule allows (one per destination and process). */
export function evaluateEgress(connections: EgressConnection[], allowlist: AllowlistInForce, resolver: NameResolver): EgressFindingDraft[] {
  const findings = new Map<string, EgressFindingDraft>();
  for (const c of connections) {
    const reasons: string[] = [];
    if (allowlist.rules) {
      for (let i = 0; i < allowlist.rules.length; i++) {
        const mismatch = ruleMismatch(allowlist.rules[i]!, c, resolver);
        if (mismatch === null) {
          c.allowed_by = describeEgressRule(allowlist.rules[i]!, i);
          break;
        }
        reasons.push(`${describeEgressRule(allowlist.rules[i]!, i)}: ${mismatch}`);
      }
    }
    if (c.allowed_by) continue;
    const key = `unapproved-egress|${c.protocol}|${c.remote_ip}|${c.remote_port}|${(c.command ?? '?').toLowerCase()}`;
    if (findings.has(key)) continue;
    const who = c.owner === 'visible' ? `${c.command ?? '?'} (pid ${c.pid}${c.user ? `, user ${c.user}` : ''})` : 'a process not visible to ocsecd';
    const where = `${c.remote_ip.includes(':') ? `[${c.remote_ip}]` : c.remote_ip}:${c.remote_port}/${c.protocol}`;
    const because = !allowlist.rules ? allowlist.absentReason : reasons.length === 0 ? 'the allowlist is empty' : `no rule allows it: ${reasons.join('; ')}`;
    findings.set(key, {
      key,
      type: 'unapproved-egress',
      severity: 'medium',
      remote_host: c.remote_host,
      remote_ip: c.remote_ip,
      remote_port: c.remote_port,
      protocol: c.protocol,
      command: c.command,
      pid: c.pid,
      user: c.user,
      owner: c.owner,
      resolved: c.resolved,
      names: c.names,
      message: `Outbound connection to ${c.resolved ? `${c.remote_host} (${where})` : `${where}, name unknown`} is not in the egress allowlist.`,
      recommendation: EGRESS_RECOMMENDATION,
      why: `${who} is connected to ${where}${c.resolved ? ` (${c.names.join(', ')})` : ''}: ${because}`,
    });
  }
  return [...findings.values()].sort((a, b) => a.remote_ip.localeCompare(b.remote_ip) || a.remote_port - b.remote_port);
}
