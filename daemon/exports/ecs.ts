/**
 * Audit events as Elastic Common Schema documents (`@timestamp`, `event.*`, `process.*`, `user.*`,
 * `source/destination.*`), the shape Vector, Fluent Bit, Filebeat and the OTel Collector map without help.
 * The original event stays whole under `ocsec.*` (seq, hashes, data), so nothing is lost in translation.
 */
import { isIP } from 'node:net';
import type { AuditEvent } from '../../client/protocol.js';

export const ECS_VERSION = '8.11.0';

export interface EcsContext {
  hostname: string;
  version: string;
}

type Doc = Record<string, unknown>;

const FAILURE = /(denied|block|failed|refused|expired|locked|lockout|invalid|missing|integrity_alert|self_refused|unfinished|_error$)/;
const SUCCESS = /^(approval_granted|approval_token_ok|untrusted_source_confirmed|exec_start|policy\.load|daemon\.start|daemon\.stop|approval_factor_changed|sudo_passthrough)$/;

/** ECS event.category / event.type by action family; anything unknown is a host event. */
function categorise(action: string): { category: string[]; type: string[] } {
  if (/^(exec_|sudo_)/.test(action)) return { category: ['process'], type: [action === 'exec_start' ? 'start' : action === 'exec_finish' ? 'end' : 'info'] };
  if (/^(approval_|untrusted_|session_|timeout_drop|drop_elevation|policy_block|policy_files_missing)/.test(action)) return { category: ['iam'], type: [FAILURE.test(action) ? 'denied' : 'info'] };
  if (/^(policy\.|daemon\.)/.test(action)) return { category: ['configuration'], type: [action === 'daemon.start' ? 'start' : action === 'daemon.stop' ? 'end' : 'change'] };
  if (/^(peer\.|audit\.)/.test(action)) return { category: ['intrusion_detection'], type: ['info'] };
  if (/(port|egress|network|listen|connection)/.test(action)) return { category: ['network'], type: [/_added$/.test(action) ? 'creation' : /_removed$/.test(action) ? 'deletion' : 'connection'] };
  return { category: ['host'], type: ['info'] };
}

function outcome(action: string, data: Record<string, unknown>): 'success' | 'failure' | 'unknown' {
  if (action === 'exec_finish') return data.returncode === 0 ? 'success' : 'failure';
  if (action === 'sudo_reset') return data.ok === true ? 'success' : 'failure';
  if (data.decision === 'denied' || data.ok === false) return 'failure';
  if (FAILURE.test(action)) return 'failure';
  if (SUCCESS.test(action)) return 'success';
  return 'unknown';
}

/** ECS risk-style numeric severity for findings (low 21, medium 47, high 73, critical 99). */
const SEVERITY: Record<string, number> = { info: 1, low: 21, medium: 47, high: 73, critical: 99 };

/** POSIX shell quoting, for process.command_line. */
function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

function firstOf(data: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (data[k] !== undefined && data[k] !== null) return data[k];
  return undefined;
}

/** An ECS endpoint from the first IP-valued and the first name-valued of the given keys, and the port. */
function endpoint(data: Record<string, unknown>, addressKeys: readonly string[], portKeys: readonly string[]): Doc | undefined {
  const out: Doc = {};
  for (const key of addressKeys) {
    const v = data[key];
    if (typeof v !== 'string' || v === '') continue;
    const bare = v.replace(/^\[|\]$/g, '');
    if (isIP(bare)) out.ip ??= bare;
    else out.domain ??= v;
  }
  const port = firstOf(data, portKeys);
  if (typeof port === 'number' && Number.isInteger(port)) out.port = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) out.port = Number(port);
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toEcs(e: AuditEvent, ctx: EcsContext): Doc {
  const data = e.data;
  const { category, type } = categorise(e.action);
  const severityName = typeof data.severity === 'string' ? data.severity.toLowerCase() : undefined;
  const isFinding = severityName !== undefined || /finding/.test(e.action);
  const event: Doc = {
    kind: isFinding || e.action === 'audit.integrity_alert' ? 'alert' : 'event',
    action: e.action,
    outcome: outcome(e.action, data),
    category,
    type,
    sequence: e.seq,
    id: e.hash,
    module: 'ocsec',
    dataset: 'ocsec.audit',
  };
  if (severityName && SEVERITY[severityName] !== undefined) event.severity = SEVERITY[severityName];
  const reason = firstOf(data, ['why', 'reason', 'problem']);
  if (typeof reason === 'string') event.reason = reason;
  if (typeof data.duration_ms === 'number') event.duration = Math.round(data.duration_ms * 1e6); // ECS: nanoseconds

  const doc: Doc = {
    '@timestamp': e.ts,
    ecs: { version: ECS_VERSION },
    message: `${e.action}${e.subject ? ` ${e.subject}` : ''}`,
    event,
    host: { hostname: ctx.hostname },
    observer: { product: 'ocsec', vendor: 'OpenClaw', version: ctx.version, type: 'host-security' },
    user: { id: String(e.actor_uid) },
  };

  const user = doc.user as Doc;
  if (typeof data.target_user === 'string') user.target = { name: data.target_user };

  const argv = Array.isArray(data.argv) && data.argv.every((a) => typeof a === 'string') ? (data.argv as string[]) : undefined;
  const processDoc: Doc = { pid: e.actor_pid };
  if (argv && argv.length > 0) {
    processDoc.executable = argv[0];
    processDoc.args = argv;
    processDoc.args_count = argv.length;
    processDoc.command_line = shellJoin(argv);
  }
  if (typeof data.returncode === 'number') processDoc.exit_code = data.returncode;
  if (typeof data.cwd === 'string') processDoc.working_directory = data.cwd;
  const ppid = firstOf(data, ['requester_ppid', 'ppid']);
  if (typeof ppid === 'number') processDoc.parent = { pid: ppid, ...(typeof data.requester_parent === 'string' ? { name: data.requester_parent } : {}) };
  const tty = data.tty;
  if (typeof tty === 'string') processDoc.tty = { name: tty };
  const processName = firstOf(data, ['process', 'command', 'comm']);
  if (typeof processName === 'string') processDoc.name = processName;
  // A finding is about another process (the listener, the connection's owner), not about the daemon that found it.
  if (isFinding && typeof data.pid === 'number') processDoc.pid = data.pid;
  if (isFinding && typeof data.user === 'string') processDoc.user = { name: data.user };
  doc.process = processDoc;

  // Network findings: a listener is the source side of its socket, the remote end of a connection the destination.
  const source = endpoint(data, ['local_ip', 'local_address', 'bind_address', 'host'], ['local_port', 'port']);
  const destination = endpoint(data, ['remote_ip', 'remote_address', 'remote_host'], ['remote_port']);
  if (source) doc.source = source;
  if (destination) doc.destination = destination;
  if (typeof data.protocol === 'string') doc.network = { transport: data.protocol.toLowerCase() };

  if (typeof data.session_id === 'string') doc.session = { id: data.session_id };
  doc.ocsec = { seq: e.seq, hash: e.hash, prev_hash: e.prev_hash, subject: e.subject, actor: { uid: e.actor_uid, pid: e.actor_pid }, data };
  return doc;
}

/** One line of JSON, ASCII only (other characters \u-escaped), so no byte in it can be taken for a line end by a tailer. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
