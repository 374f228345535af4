/** session.* handlers: list and drop elevated sessions. */
import { RpcError } from '../errors.js';
import type { HandlerTable } from './context.js';

export const sessionHandlers: HandlerTable<'session.list' | 'session.drop'> = {
  'session.list': (ctx) => ({ idleTimeoutSeconds: ctx.config.idle_timeout_minutes * 60, sessions: ctx.privilege.sessions() }),
  'session.drop': async (ctx, p) => {
    const dropped = await ctx.privilege.dropSession(p.key, 'drop_elevation', { uid: ctx.caller.uid, pid: ctx.caller.pid });
    if (!dropped) throw new RpcError('SessionNotFound', `no elevated session ${p.key}`);
    return { dropped: true as const };
  },
};
