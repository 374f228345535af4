/** The single RPC contract between ocsecd, ocsecctl and the shim: every method's name, params, result and error codes. */
import { z } from 'zod';

/** Bumped when a method changes shape incompatibly; the client warns when it differs from the daemon's. */
export const PROTOCOL_VERSION = 1;

/**
 * Stable error codes. -32700..-32603 are JSON-RPC 2.0's own; -32000..-32099 are ocsec's
 * application codes (the range JSON-RPC reserves for implementation-defined server errors).
 * Never renumber one: scripts match on them. Documented in docs/errors.md.
 */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  PeerRefused: -32001,
  PayloadTooLarge: -32002,
  AuditWriteFailed: -32003,
  StoreUnavailable: -32004,
  ShuttingDown: -32005,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_TAIL_WAIT_MS = 25_000;
export const MAX_QUERY_LIMIT = 1000;

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const empty = z.strictObject({}).optional();

export const auditEvent = z.object({
  seq: z.number().int(),
  ts: z.string(),
  actor_uid: z.number().int(),
  actor_pid: z.number().int(),
  action: z.string(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof auditEvent>;

export const chainBreak = z.object({
  seq: z.number().int(),
  kind: z.enum(['changed', 'missing', 'relinked', 'mirror-mismatch', 'truncated-tail', 'mirror-behind', 'mirror-unreadable']),
  reason: z.string(),
});
export type ChainBreak = z.infer<typeof chainBreak>;

export const jobStatus = z.object({
  name: z.string(),
  schedule: z.string(),
  running: z.boolean(),
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastError: z.string().nullable(),
  runs: z.number().int(),
});
export type JobStatus = z.infer<typeof jobStatus>;

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp');

/** A method descriptor: the params schema the daemon validates, the result type the client trusts, the codes it may return. */
export interface MethodDescriptor<P extends z.ZodType, R extends z.ZodType> {
  readonly method: string;
  readonly params: P;
  readonly result: R;
  readonly errors: readonly ErrorCodeName[];
  readonly summary: string;
}

function describe<P extends z.ZodType, R extends z.ZodType>(d: MethodDescriptor<P, R>): MethodDescriptor<P, R> {
  return d;
}

export const methods = {
  'audit.query': describe({
    method: 'audit.query',
    summary: 'Audit events in seq order, filtered by seq, time and action.',
    params: z
      .strictObject({
        afterSeq: seq.optional(),
        since: isoTimestamp.optional(),
        action: z.string().min(1).max(200).optional(),
        limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
      })
      .optional(),
    result: z.object({ events: z.array(auditEvent), headSeq: z.number().int() }),
    errors: ['InvalidParams', 'StoreUnavailable'],
  }),
  'audit.tail': describe({
    method: 'audit.tail',
    summary: 'Long-poll: events after afterSeq, waiting up to waitMs for the first one.',
    params: z
      .strictObject({
        afterSeq: seq.optional(),
        waitMs: z.number().int().min(0).max(MAX_TAIL_WAIT_MS).optional(),
        limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
      })
      .optional(),
    result: z.object({ events: z.array(auditEvent), headSeq: z.number().int() }),
    errors: ['InvalidParams', 'StoreUnavailable', 'ShuttingDown'],
  }),
  'audit.verify': describe({
    method: 'audit.verify',
    summary: 'Recompute the hash chain and compare it with the JSONL mirror.',
    params: empty,
    result: z.object({
      ok: z.boolean(),
      count: z.number().int(),
      headSeq: z.number().int(),
      headHash: z.string(),
      mirror: z.object({ path: z.string(), lines: z.number().int(), lastSeq: z.number().int() }),
      firstBreak: chainBreak.nullable(),
    }),
    errors: ['StoreUnavailable'],
  }),
  'daemon.status': describe({
    method: 'daemon.status',
    summary: 'Version, pid, uptime, paths, schema version, audit head and scheduled jobs.',
    params: empty,
    result: z.object({
      version: z.string(),
      protocolVersion: z.number().int(),
      pid: z.number().int(),
      uid: z.number().int(),
      startedAt: z.string(),
      uptimeSeconds: z.number(),
      stateDir: z.string(),
      socketPath: z.string(),
      dbPath: z.string(),
      auditMirrorPath: z.string(),
      schemaVersion: z.number().int(),
      audit: z.object({ headSeq: z.number().int(), headHash: z.string() }),
      jobs: z.array(jobStatus),
    }),
    errors: [],
  }),
  'store.integrity': describe({
    method: 'store.integrity',
    summary: "Run SQLite's integrity_check on the daemon's database.",
    params: empty,
    result: z.object({ ok: z.boolean(), messages: z.array(z.string()), dbPath: z.string() }),
    errors: ['StoreUnavailable'],
  }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;

export const methodNames = Object.keys(methods).sort() as MethodName[];

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
