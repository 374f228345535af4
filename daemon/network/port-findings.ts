/** Listening sockets against approved_ports.json and the insecure-port table: the listening services and the findings, each with why. */
import type { ListeningService } from '../../client/network-protocol.js';
import { bindScope, canonicalIp, isWildcard, unmapV4 } from './addresses.js';
import { canonicalRuleHost, describePortRule, type ApprovedPortRule, type InsecurePortTable } from './policy.js';
import { isListening, primaryOwner, type Protocol, type SocketRecord } from './sockets.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** A finding as evaluated, before the lifecycle (first/last seen) is attached. */
export interface PortFindingDraft {
  key: string;
  type: 'unapproved-port' | 'insecure-port' | 'public-bind';
  severity: Severity;
  port: number;
  protocol: Protocol;
  host: string;
  bind_scope: ListeningService['bind_scope'];
  command: string | null;
  pid: number | null;
  user: string | null;
  owner: ListeningService['owner'];
  message: string;
  recommendation: string;
  why: string;
  gateway: boolean;
  service: string | null;
}

/** What approved_ports.json contributes: the rules in force and, when there are none, why. */
export interface ApprovedPortsInForce {
  rules: readonly ApprovedPortRule[] | null;
  file: string;
  /** Said in every unapproved-port finding when rules is null (missing, or invalid with nothing in force). */
  absentReason: string;
}

export interface PortEvaluationInput {
  sockets: readonly SocketRecord[];
  approved: ApprovedPortsInForce;
  insecure: InsecurePortTable;
  gatewayPort: number;
  now: number;
}

export const PUBLIC_BIND_RECOMMENDATION = 'Bind to 127.0.0.1 or a restricted interface unless exposure is required.';
export const UNAPPROVED_RECOMMENDATION = 'Approve it with business justification (ocsecctl ports approve PORT/PROTO --command NAME --justification TEXT) or close the service.';
const GATEWAY_RECOMMENDATION =
  'Set gateway.bind to "loopback" in openclaw.json and reach the gateway through an SSH tunnel, Tailscale or a reverse proxy with authentication.';

/** One entry per listening socket, reference keys first; identical rows (same process, address, port) are merged. */
export function listeningServices(sockets: readonly SocketRecord[]): Array<{ service: ListeningService; socket: SocketRecord }> {
  const seen = new Set<string>();
  const out: Array<{ service: ListeningService; socket: SocketRecord }> = [];
  for (const s of sockets) {
    if (!isListening(s)) continue;
    const owner = primaryOwner(s);
    const host = canonicalIp(s.localAddress);
    const key = `${s.protocol}/${host}/${s.localPort}/${owner?.pid ?? '-'}/${s.inode ?? '-'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      socket: s,
      service: {
        command: owner?.command ?? null,
        pid: owner?.pid ?? null,
        user: owner?.user ?? null,
        host,
        port: s.localPort,
        protocol: s.protocol,
        family: s.family,
        state: s.state,
        bind_scope: bindScope(host),
        owner: s.ownerStatus,
        socket_uid: s.uid,
        inode: s.inode,
        exe: owner?.exe ?? null,
        cmdline: owner?.cmdline ?? null,
        processes: s.owners.map((o) => ({ ...o })),
        approved_by: null,
      },
    });
  }
  return out.sort((a, b) => a.service.port - b.service.port || a.service.protocol.localeCompare(b.service.protocol) || a.service.host.localeCompare(b.service.host));
}

function isExpired(rule: ApprovedPortRule, now: number): boolean {
  return rule.expires !== undefined && Date.parse(rule.expires) <= now;
}

/**
 * Whether the rule approves exposure on this bind address: it names the address (a wildcard host
 * covers any) and says why. A baseline records the bind it saw, but only a person's justification
 * turns that into an approved exposure.
 */
function approvesExposure(rule: ApprovedPortRule, host: string): boolean {
  if (rule.host === undefined || rule.justification === undefined) return false;
  const ruleHost = canonicalRuleHost(rule.host);
  if (ruleHost === 'localhost') return false;
  if (isWildcard(ruleHost)) return true;
  return unmapV4(ruleHost) === unmapV4(host);
}

interface RuleMatch {
  index: number;
  rule: ApprovedPortRule;
}

/**
 * The reference's rule: same port, same protocol (default tcp), and the same process name when the
 * rule gives one (case-insensitive). Returns every rule that matches (the first is the one shown),
 * or why none does.
 */
function matchRules(service: ListeningService, rules: readonly ApprovedPortRule[], now: number): { matches: RuleMatch[]; why: string } {
  const samePort = rules.map((rule, index) => ({ rule, index })).filter(({ rule }) => rule.port === service.port && rule.protocol === service.protocol);
  if (samePort.length === 0) return { matches: [], why: `no rule in approved_ports.json has ${service.port}/${service.protocol}` };
  const reasons: string[] = [];
  const matches: RuleMatch[] = [];
  for (const { rule, index } of samePort) {
    if (rule.command !== undefined) {
      if (service.command === null) {
        reasons.push(`${describePortRule(rule, index)} names a command, and the owning process is not visible to ocsecd`);
        continue;
      }
      if (rule.command.toLowerCase() !== service.command.toLowerCase()) {
        reasons.push(`${describePortRule(rule, index)} is for ${rule.command}, but ${service.command} (pid ${service.pid}) listens`);
        continue;
      }
    }
    if (isExpired(rule, now)) {
      reasons.push(`${describePortRule(rule, index)} expired at ${rule.expires}`);
      continue;
    }
    matches.push({ rule, index });
  }
  return { matches, why: reasons.join('; ') };
}

function findingKey(type: PortFindingDraft['type'], s: ListeningService): string {
  return `${type}|${s.protocol}|${s.host}|${s.port}|${(s.command ?? '?').toLowerCase()}`;
}

function describeListener(s: ListeningService): string {
  const who = s.owner === 'visible' ? `${s.command ?? '?'} (pid ${s.pid}${s.user ? `, user ${s.user}` : ''})` : 'a process not visible to ocsecd';
  return `${who} listens on ${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}/${s.protocol}`;
}

/** Evaluates every listening socket; returns the services (with approved_by filled in) and the findings. */
export function evaluatePorts(input: PortEvaluationInput): { services: ListeningService[]; findings: PortFindingDraft[] } {
  const services: ListeningService[] = [];
  const findings = new Map<string, PortFindingDraft>();
  const add = (draft: Omit<PortFindingDraft, 'key' | 'port' | 'protocol' | 'host' | 'bind_scope' | 'command' | 'pid' | 'user' | 'owner'>, s: ListeningService) => {
    const key = findingKey(draft.type, s);
    if (findings.has(key)) return; // the same service on the same address twice (SO_REUSEPORT workers)
    findings.set(key, { key, port: s.port, protocol: s.protocol, host: s.host, bind_scope: s.bind_scope, command: s.command, pid: s.pid, user: s.user, owner: s.owner, ...draft });
  };

  for (const { service } of listeningServices(input.sockets)) {
    const rules = input.approved.rules;
    const { matches, why } = rules ? matchRules(service, rules, input.now) : { matches: [], why: input.approved.absentReason };
    const match = matches[0] ?? null;
    service.approved_by = match ? describePortRule(match.rule, match.index) : null;
    services.push(service);
    const listener = describeListener(service);

    if (!match) {
      add(
        {
          type: 'unapproved-port',
          severity: 'medium',
          message: 'Listening port is not in approved baseline.',
          recommendation: UNAPPROVED_RECOMMENDATION,
          why: `${listener}: ${why}`,
          gateway: service.port === input.gatewayPort,
          service: null,
        },
        service,
      );
    }

    const insecure = input.insecure.get(`${service.port}/${service.protocol}`);
    if (insecure && (insecure.exposure === 'any' || service.bind_scope !== 'loopback')) {
      add(
        {
          type: 'insecure-port',
          severity: 'high',
          message: `Insecure protocol/port detected: ${insecure.service}.`,
          recommendation: insecure.recommendation,
          why: `${listener}: ${insecure.why}${insecure.exposure === 'beyond-loopback' ? ` (bound to ${service.bind_scope === 'wildcard' ? 'every interface' : 'a non-loopback address'})` : ''}`,
          gateway: false,
          service: insecure.service,
        },
        service,
      );
    }

    if (service.bind_scope !== 'loopback') {
      const isGateway = service.port === input.gatewayPort && service.protocol === 'tcp';
      const exposureApproved = !isGateway && matches.some((m) => approvesExposure(m.rule, service.host));
      if (!exposureApproved) {
        const scope = service.bind_scope === 'wildcard' ? 'every interface' : `the non-loopback address ${service.host}`;
        add(
          isGateway
            ? {
                type: 'public-bind',
                severity: 'high',
                message: 'The OpenClaw gateway port is reachable beyond loopback.',
                recommendation: GATEWAY_RECOMMENDATION,
                why: `${listener}, the OpenClaw gateway port (gateway.port ${input.gatewayPort}), on ${scope}: anyone who can reach this host can talk to the agent gateway`,
                gateway: true,
                service: 'OpenClaw gateway',
              }
            : {
                type: 'public-bind',
                severity: 'medium',
                message: service.bind_scope === 'wildcard' ? 'Service listens on all interfaces.' : 'Service listens on a non-loopback address.',
                recommendation: PUBLIC_BIND_RECOMMENDATION,
                why: `${listener} on ${scope}${match ? `; ${describePortRule(match.rule, match.index)} approves the port but not this exposure (give it "host": "${service.bind_scope === 'wildcard' ? '*' : service.host}" and a justification if the exposure is required)` : ''}`,
                gateway: false,
                service: null,
              },
          service,
        );
      }
    }
  }
  const order = { critical: 0, high: 1, medium: 2, low: 3 } as const;
  return { services, findings: [...findings.values()].sort((a, b) => order[a.severity] - order[b.severity] || a.port - b.port || a.type.localeCompare(b.type)) };
}
