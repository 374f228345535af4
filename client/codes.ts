/** The protocol's plain constants (error codes, limits): dependency-free so the sudo shim can bundle them alone. */

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
  RequestNotFound: -32010,
  RequestNotPending: -32011,
  SelfApprovalRefused: -32012,
  FactorInvalid: -32013,
  FactorLocked: -32014,
  UntrustedNotConfirmed: -32015,
  GrantInvalid: -32016,
  SessionNotFound: -32017,
  PolicyInvalid: -32018,
  SamplerUnavailable: -32030,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_TAIL_WAIT_MS = 25_000;
export const MAX_QUERY_LIMIT = 1000;


/**
 * The reference wrapper's exit codes, kept so existing callers keep working; any other status is the
 * command's own.
 */
export const ShimExit = {
  DeniedByUser: 1,
  NonInteractiveRefused: 2,
  BlockedByPolicy: 3,
  InvalidApprovalToken: 4,
  UntrustedNotConfirmed: 5,
  SessionIdRequired: 6,
  PolicyFilesMissing: 7,
  InvalidCommand: 8,
  InvalidRealSudo: 9,
} as const;
