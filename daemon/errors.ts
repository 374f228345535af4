/** The daemon's error catalogue: one RpcError class and, per stable code, what it means and what to do. */
import { ErrorCode, type ErrorCodeName, type RpcErrorObject } from '../client/protocol.js';

export interface CatalogueEntry {
  code: number;
  /** The message sent when the thrower gives none; specific throws add detail. */
  message: string;
}

export const errorCatalogue: Readonly<Record<ErrorCodeName, CatalogueEntry>> = {
  ParseError: { code: ErrorCode.ParseError, message: 'Parse error: the request body is not valid JSON' },
  InvalidRequest: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: not a JSON-RPC 2.0 request object' },
  MethodNotFound: { code: ErrorCode.MethodNotFound, message: 'Method not found' },
  InvalidParams: { code: ErrorCode.InvalidParams, message: 'Invalid params' },
  InternalError: { code: ErrorCode.InternalError, message: 'Internal error (details are in the daemon log)' },
  PeerRefused: { code: ErrorCode.PeerRefused, message: 'Connection refused: the peer is not the daemon owner' },
  PayloadTooLarge: { code: ErrorCode.PayloadTooLarge, message: 'Request body exceeds the 1 MiB limit' },
  AuditWriteFailed: {
    code: ErrorCode.AuditWriteFailed,
    message: 'The audit event could not be committed; the action was not performed',
  },
  StoreUnavailable: { code: ErrorCode.StoreUnavailable, message: 'The database is unavailable' },
  ShuttingDown: { code: ErrorCode.ShuttingDown, message: 'ocsecd is shutting down' },
  RequestNotFound: { code: ErrorCode.RequestNotFound, message: 'No such approval request' },
  RequestNotPending: { code: ErrorCode.RequestNotPending, message: 'The approval request is no longer pending' },
  SelfApprovalRefused: {
    code: ErrorCode.SelfApprovalRefused,
    message: 'Approval refused: it must come from a person, not from the requesting process or its process tree',
  },
  FactorInvalid: { code: ErrorCode.FactorInvalid, message: 'Approval factor (token or TOTP code) is wrong or missing' },
  FactorLocked: { code: ErrorCode.FactorLocked, message: 'Approvals are locked after repeated failed factor attempts' },
  UntrustedNotConfirmed: {
    code: ErrorCode.UntrustedNotConfirmed,
    message: 'The request comes from an untrusted source and that was not explicitly confirmed',
  },
  GrantInvalid: { code: ErrorCode.GrantInvalid, message: 'The grant is unknown, already used, expired, or not yours' },
  SessionNotFound: { code: ErrorCode.SessionNotFound, message: 'No such elevated session' },
  PolicyInvalid: { code: ErrorCode.PolicyInvalid, message: 'A policy file is invalid; the last good version stays in force' },
  SamplerUnavailable: { code: ErrorCode.SamplerUnavailable, message: 'No way to list sockets on this host (/proc, ss, lsof, netstat)' },
};

export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(
    readonly codeName: ErrorCodeName,
    message?: string,
    data?: unknown,
  ) {
    const entry = errorCatalogue[codeName];
    super(message ?? entry.message);
    this.name = 'RpcError';
    this.code = entry.code;
    this.data = data;
  }

  toJSON(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError;
}

/** Anything else thrown in a handler: a generic InternalError on the wire; the caller logs the detail. */
export function toRpcError(err: unknown): RpcError {
  return isRpcError(err) ? err : new RpcError('InternalError');
}
