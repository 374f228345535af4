/** JSON-RPC 2.0 dispatch: strict envelope checks, batches, params validation, and errors from the catalogue only. */
import { createJSONRPCErrorResponse, createJSONRPCSuccessResponse, JSONRPCServer, type JSONRPCErrorResponse, type JSONRPCID, type JSONRPCResponse } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { methods, type MethodName } from '../../client/protocol.js';
import { RpcError, isRpcError, toRpcError } from '../errors.js';
import { fieldPath } from '../json-file.js';
import type { PeerCredentials } from '../peer-credentials.js';
import type { DaemonServices, RpcContext } from './context.js';
import type { MethodTable } from './table.js';

export type RpcReply = JSONRPCResponse | JSONRPCResponse[] | null;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(id: unknown): id is JSONRPCID {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) || id === null;
}

/** The checks json-rpc-2.0 leaves out: it accepts a numeric method, object ids, and crashes on `null`. */
function envelopeProblem(req: unknown): string | null {
  if (!isPlainObject(req)) return 'a request must be a JSON object';
  if (req.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if (typeof req.method !== 'string' || req.method.length === 0) return 'method must be a non-empty string';
  if ('id' in req && !isValidId(req.id)) return 'id must be a string, a number or null';
  if ('params' in req && !isPlainObject(req.params) && !Array.isArray(req.params)) return 'params must be an object or an array';
  if ('result' in req || 'error' in req) return 'a request carries no result or error';
  return null;
}

function errorReply(id: JSONRPCID, err: RpcError): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(id, err.code, err.message, err.data);
}

export class RpcDispatcher {
  private readonly server: JSONRPCServer<PeerCredentials>;

  constructor(
    table: MethodTable,
    private readonly services: DaemonServices,
    private readonly log: Logger,
  ) {
    this.server = new JSONRPCServer<PeerCredentials>({ errorListener: () => undefined });
    this.server.mapErrorToJSONRPCErrorResponse = (id, err) => {
      if (!isRpcError(err)) this.log.error({ err }, 'RPC handler threw; answered InternalError');
      return errorReply(id, toRpcError(err));
    };
    for (const [name, handler] of table) {
      const descriptor = methods[name as MethodName];
      this.server.addMethodAdvanced(name, async (request, caller) => {
        const parsed = descriptor.params.safeParse(request.params);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const field = `params${issue.path.length ? (typeof issue.path[0] === 'number' ? '' : '.') + fieldPath(issue.path) : ''}`;
          throw new RpcError('InvalidParams', `Invalid params: ${field}: ${issue.message}`, { field });
        }
        // The services are shared; only the caller differs per call, so ctx inherits rather than copies.
        const ctx = Object.create(this.services) as RpcContext;
        ctx.caller = caller;
        const result = await handler(ctx, parsed.data as never);
        return request.id === undefined ? null : createJSONRPCSuccessResponse(request.id, result); // a notification gets no reply
      });
    }
  }

  private async single(req: unknown, caller: PeerCredentials): Promise<JSONRPCResponse | null> {
    const problem = envelopeProblem(req);
    if (problem) {
      const id = isPlainObject(req) && isValidId(req.id) ? req.id : null;
      return errorReply(id, new RpcError('InvalidRequest', `Invalid Request: ${problem}`));
    }
    return this.server.receive(req as never, caller);
  }

  /** One HTTP body in, the JSON-RPC reply out (null when every call was a notification). */
  async handle(body: string, caller: PeerCredentials): Promise<RpcReply> {
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return errorReply(null, new RpcError('ParseError'));
    }
    if (!Array.isArray(payload)) return this.single(payload, caller);
    if (payload.length === 0) return errorReply(null, new RpcError('InvalidRequest', 'Invalid Request: empty batch'));
    const replies = await Promise.all(payload.map((req) => this.single(req, caller)));
    const answered = replies.filter((r): r is JSONRPCResponse => r !== null);
    return answered.length > 0 ? answered : null;
  }
}
