/** daemon.* handlers: who and where this daemon is, and what it runs. */
import { PROTOCOL_VERSION } from '../../client/protocol.js';
import type { HandlerTable } from './context.js';

export const daemonHandlers: HandlerTable<'daemon.status'> = {
  'daemon.status': (ctx) => ({
    version: ctx.version,
    protocolVersion: PROTOCOL_VERSION,
    pid: process.pid,
    uid: process.getuid?.() ?? -1,
    startedAt: new Date(ctx.startedAt).toISOString(),
    uptimeSeconds: Math.round((ctx.clock.monotonic() - ctx.startedMono) / 100) / 10,
    stateDir: ctx.layout.stateDir,
    socketPath: ctx.layout.socketPath,
    dbPath: ctx.layout.dbPath,
    auditMirrorPath: ctx.layout.auditMirrorPath,
    schemaVersion: ctx.schemaVersion,
    audit: { headSeq: ctx.audit.head().seq, headHash: ctx.audit.head().hash },
    jobs: ctx.scheduler.status(),
  }),
};
