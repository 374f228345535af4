/** The RPC socket: Fastify on a 0600 Unix socket, every connection checked against the daemon's own uid. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import { ErrorCode, MAX_BODY_BYTES } from '../client/protocol.js';
import { errorCatalogue } from './errors.js';
import type { PeerCredentialReader, PeerCredentials } from './peer-credentials.js';
import type { RpcDispatcher } from './rpc/dispatch.js';

/** sun_path is 108 bytes on Linux and 104 on the BSDs and macOS, including the terminating NUL. */
export function socketPathLimit(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? 107 : 103;
}

export class SocketStartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'SocketStartupError';
  }
}

export function assertSocketPathFits(path: string, platform: NodeJS.Platform = process.platform): void {
  const bytes = Buffer.byteLength(path);
  const limit = socketPathLimit(platform);
  if (bytes > limit) {
    throw new SocketStartupError(
      `socket path ${path} is ${bytes} bytes; the ${platform} limit for a Unix socket path (sun_path) is ${limit} bytes. ` +
        `Set OPENCLAW_STATE_DIR to a shorter directory.`,
    );
  }
}

/** Asks whatever listens on `path` for daemon.status; distinguishes a live daemon, a stale file and a stranger. */
export async function probeExistingSocket(path: string): Promise<{ state: 'absent' } | { state: 'stale' } | { state: 'live'; pid: number | null }> {
  if (!existsSync(path)) return { state: 'absent' };
  if (!lstatSync(path).isSocket()) throw new SocketStartupError(`${path} exists and is not a socket; move it aside and start again`);
  return new Promise((resolve) => {
    const socket = connect(path);
    let answer = '';
    const finish = (result: { state: 'stale' } | { state: 'live'; pid: number | null }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(2000, () => finish({ state: 'live', pid: null }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { state: 'stale' } : { state: 'live', pid: null }));
    socket.on('connect', () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon.status' });
      socket.write(`POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('end', () => {
      const pid = /"pid":(\d+)/.exec(answer);
      finish({ state: 'live', pid: pid ? Number(pid[1]) : null });
    });
  });
}

export interface ServerOptions {
  socketPath: string;
  dispatcher: RpcDispatcher;
  readPeer: PeerCredentialReader;
  ownUid: number;
  log: Logger;
  /** Aborted when the daemon starts stopping: requests that arrive after that get ShuttingDown. */
  shutdown: AbortSignal;
  /** Called for each refused connection; the daemon audits it. */
  onPeerRefused: (peer: PeerCredentials | null, reason: string) => void;
}

const callerOf = new WeakMap<Socket, PeerCredentials>();

const refusalOf = new WeakMap<Socket, string>();

export async function startServer(opts: ServerOptions): Promise<FastifyInstance> {
  // Fastify types its logger as its own base interface; pino satisfies it at run time.
  const logger = opts.log as unknown as FastifyBaseLogger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // A local peer has no reason to dribble a request; long-polls are bounded by MAX_TAIL_WAIT_MS.
    requestTimeout: 60_000,
    keepAliveTimeout: 10_000,
    forceCloseConnections: 'idle',
    return503OnClosing: false, // answered below as JSON-RPC ShuttingDown instead of Fastify's own body
  });

  app.server.on('connection', (socket: Socket) => {
    let peer: PeerCredentials | null = null;
    let reason: string;
    try {
      peer = opts.readPeer(socket);
      if (peer.uid === opts.ownUid) {
        callerOf.set(socket, peer);
        return;
      }
      reason = `peer uid ${peer.uid} is not the daemon's uid ${opts.ownUid}`;
    } catch (err) {
      reason = `peer credentials could not be read (${(err as Error).message}); refusing unidentified peers`;
    }
    // Let the peer send its request and answer it with a JSON-RPC refusal (closing at once would leave
    // it with a bare EPIPE); a peer that sends nothing is dropped after a few seconds.
    refusalOf.set(socket, reason);
    socket.setTimeout(5_000, () => socket.destroy());
    opts.onPeerRefused(peer, reason);
  });

  // Runs before the body is read or parsed: a refused peer gets no further than the request line.
  app.addHook('onRequest', async (req, reply) => {
    const refusal = refusalOf.get(req.raw.socket);
    if (refusal === undefined) {
      if (!opts.shutdown.aborted) return;
      return reply
        .code(503)
        .header('connection', 'close')
        .send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.ShuttingDown, message: errorCatalogue.ShuttingDown.message } });
    }
    return reply
      .code(403)
      .header('connection', 'close')
      .send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.PeerRefused, message: `${errorCatalogue.PeerRefused.message}: ${refusal}` } });
  });

  app.removeAllContentTypeParsers();
  // Any content type is read as text so that malformed JSON gets a JSON-RPC parse error, not an HTTP one
  // (`curl -d` sends application/x-www-form-urlencoded).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { code?: string; statusCode?: number }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.PayloadTooLarge, message: `${errorCatalogue.PayloadTooLarge.message} (${MAX_BODY_BYTES} bytes)` } });
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.statusCode === 400) {
      return reply.code(400).send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: the HTTP request could not be read' } });
    }
    opts.log.error({ err }, 'unexpected error in the HTTP layer');
    return reply.code(500).send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InternalError, message: errorCatalogue.InternalError.message } });
  });

  app.post('/rpc', async (req, reply) => {
    const caller = callerOf.get(req.raw.socket);
    if (!caller) {
      // Unreachable while the connection hook works; kept so a regression fails closed.
      reply.code(403);
      return { jsonrpc: '2.0', id: null, error: { code: ErrorCode.PeerRefused, message: errorCatalogue.PeerRefused.message } };
    }
    const body = typeof req.body === 'string' ? req.body : '';
    const result = await opts.dispatcher.handle(body, caller);
    if (result === null) return reply.code(204).send();
    return reply.type('application/json').send(JSON.stringify(result));
  });

  const previous = process.umask(0o177); // the socket is born 0600: no window between bind and chmod
  try {
    await app.listen({ path: opts.socketPath });
  } finally {
    process.umask(previous);
  }
  return app;
}

export function removeStaleSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
