/** The typed RPC client: one call per protocol method over the daemon's Unix socket, with errors a person can act on. */
import { Agent, request } from 'node:http';
import { ErrorCode, type ErrorCodeName } from './codes.js';
// Types only: the shim bundles this client and must not pull zod in with the protocol's schemas.
import type { MethodName, ParamsOf, ResultOf } from './protocol.js';

export const START_HINT = 'start it with `npm start`, `systemctl --user start ocsecd` or `launchctl kickstart gui/$UID/ai.openclaw.ocsecd`';

/** ocsecd is not there: no socket, nobody listening, or the connection dropped before an answer. */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly socketPath: string,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(
      cause.code === 'EACCES'
        ? `cannot connect to ${socketPath}: permission denied — the socket belongs to another user; run ocsecctl as the user that runs ocsecd`
        : `ocsecd is not running at ${socketPath} — ${START_HINT}`,
    );
    this.name = 'DaemonUnreachableError';
  }
}

/** The daemon answered with a JSON-RPC error. */
export class DaemonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'DaemonRpcError';
  }
}

export function isDaemonUnreachable(err: unknown): err is DaemonUnreachableError {
  return err instanceof DaemonUnreachableError;
}

export function isRpcErrorCode(err: unknown, name: ErrorCodeName): err is DaemonRpcError {
  return err instanceof DaemonRpcError && err.code === ErrorCode[name];
}

interface JsonRpcReply {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class OcsecClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private nextId = 1;

  constructor(readonly socketPath: string) {}

  call<M extends MethodName>(method: M, params?: ParamsOf<M>, opts: { timeoutMs?: number } = {}): Promise<ResultOf<M>> {
    const id = this.nextId++;
    const body = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path: '/rpc',
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: opts.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err: NodeJS.ErrnoException) => reject(new DaemonUnreachableError(this.socketPath, err)));
          res.on('end', () => {
            let reply: JsonRpcReply;
            try {
              reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRpcReply;
            } catch {
              reject(new DaemonRpcError(ErrorCode.InternalError, `ocsecd sent an unreadable reply (HTTP ${res.statusCode})`));
              return;
            }
            if (reply.error) reject(new DaemonRpcError(reply.error.code, reply.error.message, reply.error.data));
            else resolve(reply.result as ResultOf<M>);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out waiting for ocsecd'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new DaemonUnreachableError(this.socketPath, err)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
