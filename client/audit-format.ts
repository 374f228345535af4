/** The reference JSONL line for an audit event (privileged-audit.jsonl), shared by the daemon's mirror and `audit export`. */
import type { AuditEvent } from './protocol.js';

/** Top-level keys of a line; event data may not use them. */
export const MIRROR_RESERVED_KEYS: ReadonlySet<string> = new Set(['ts_utc', 'action', 'subject', 'actor_uid', 'actor_pid', 'seq', 'prev_hash', 'hash']);

/**
 * `ts_utc`, `action`, the event's fields (as the reference wrote them), then what re-derives and links
 * the hash. `dataJson`, when the caller already has the data serialised, is spliced in as it is.
 */
export function toMirrorLine(e: AuditEvent, dataJson?: string): string {
  if (dataJson !== undefined) {
    const fields = dataJson.length > 2 ? dataJson.slice(1, -1) + ',' : '';
    return `{"ts_utc":${JSON.stringify(e.ts)},"action":${JSON.stringify(e.action)},${fields}"subject":${JSON.stringify(e.subject)},"actor_uid":${e.actor_uid},"actor_pid":${e.actor_pid},"seq":${e.seq},"prev_hash":"${e.prev_hash}","hash":"${e.hash}"}`;
  }
  return JSON.stringify({
    ts_utc: e.ts,
    action: e.action,
    ...e.data,
    subject: e.subject,
    actor_uid: e.actor_uid,
    actor_pid: e.actor_pid,
    seq: e.seq,
    prev_hash: e.prev_hash,
    hash: e.hash,
  });
}

export function fromMirrorLine(line: string): AuditEvent {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (!MIRROR_RESERVED_KEYS.has(k)) data[k] = v;
  return {
    seq: Number(parsed.seq),
    ts: String(parsed.ts_utc),
    actor_uid: Number(parsed.actor_uid),
    actor_pid: Number(parsed.actor_pid),
    action: String(parsed.action),
    subject: String(parsed.subject ?? ''),
    data,
    prev_hash: String(parsed.prev_hash),
    hash: String(parsed.hash),
  };
}
