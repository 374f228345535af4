/**
 * RFC 5424 messages for audit events: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, the MSG
 * being the event's ECS document as ASCII JSON, so a SIEM behind syslog gets the same record as the JSONL file.
 */
import type { AuditEvent } from '../../client/protocol.js';
import { asciiJson, toEcs, type EcsContext } from './ecs.js';

export const SEVERITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;

/** PRINTUSASCII (33-126) only, cut to the field's maximum; "-" (NILVALUE) when nothing is left. */
function header(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
function sdValue(text: string): string {
  return text.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function severityOf(doc: Record<string, unknown>): number {
  const event = doc.event as { kind?: string; outcome?: string; action?: string; severity?: number };
  if (event.action === 'audit.integrity_alert') return SEVERITY.crit;
  if (event.kind === 'alert') {
    const s = event.severity ?? 47;
    return s >= 99 ? SEVERITY.crit : s >= 73 ? SEVERITY.err : s >= 47 ? SEVERITY.warning : SEVERITY.notice;
  }
  return event.outcome === 'failure' ? SEVERITY.warning : SEVERITY.info;
}

export interface SyslogFormat extends EcsContext {
  facility: number;
  appName: string;
  pid: number;
  maxBytes: number;
}

export function formatRfc5424(e: AuditEvent, f: SyslogFormat): Buffer {
  const doc = toEcs(e, f);
  const pri = f.facility * 8 + severityOf(doc);
  // meta sequenceId is the IANA-registered counter (1..2147483647); the audit seq fits until it wraps.
  const sequenceId = ((e.seq - 1) % 2147483647) + 1;
  const head = `<${pri}>1 ${e.ts} ${header(f.hostname, 255)} ${header(f.appName, 48)} ${header(String(f.pid), 128)} ${header(e.action, 32)} [meta sequenceId="${sequenceId}"][origin software="ocsec" swVersion="${sdValue(f.version)}"] `;
  let message = Buffer.from(head + asciiJson(doc));
  if (message.length <= f.maxBytes) return message;
  // Too long for the receiver: keep who, what and when; the full event is in the audit trail (seq, hash).
  const ocsec = doc.ocsec as Record<string, unknown>;
  const processDoc = doc.process as Record<string, unknown>;
  const event = doc.event as Record<string, unknown>;
  const slim = {
    ...doc,
    message: String(doc.message).slice(0, 256),
    event: { ...event, ...(typeof event.reason === 'string' ? { reason: event.reason.slice(0, 256) } : {}) },
    process: { pid: processDoc.pid, ...(typeof processDoc.executable === 'string' ? { executable: processDoc.executable.slice(0, 256) } : {}) },
    ocsec: { seq: ocsec.seq, hash: ocsec.hash, prev_hash: ocsec.prev_hash, subject: String(ocsec.subject).slice(0, 256), truncated: true, original_bytes: message.length },
  };
  message = Buffer.from(head + asciiJson(slim));
  // Only a host name or version of absurd length gets here; a cut message beats a dropped one.
  return message.length <= f.maxBytes ? message : message.subarray(0, f.maxBytes);
}
