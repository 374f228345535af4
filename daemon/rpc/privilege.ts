/** privilege.* handlers: the shim's request/begin/finish and the person's approve/deny, plus what needs no approval. */
import { type HandlerTable, actor } from './context.js';

export const privilegeHandlers: HandlerTable<
  'privilege.request' | 'privilege.approve' | 'privilege.deny' | 'privilege.wait' | 'privilege.begin' | 'privilege.finish' | 'privilege.pending' | 'privilege.passthrough' | 'privilege.refuse'
> = {
  'privilege.request': (ctx, p) => ctx.privilege.request(actor(ctx), p),
  'privilege.approve': (ctx, p) => ctx.privilege.approve(actor(ctx), p),
  'privilege.deny': (ctx, p) => ctx.privilege.deny(actor(ctx), p),
  'privilege.wait': (ctx, p) => ctx.privilege.wait(actor(ctx), p, ctx.shutdown),
  'privilege.begin': (ctx, p) => ctx.privilege.begin(actor(ctx), p),
  'privilege.finish': (ctx, p) => ctx.privilege.finish(actor(ctx), p),
  'privilege.pending': (ctx) => ({ requests: ctx.privilege.pending() }),
  'privilege.passthrough': (ctx, p) => {
    ctx.audit.append({ action: 'sudo_passthrough', actor: actor(ctx), subject: 'sudo', data: { argv: p.argv, cwd: p.cwd } });
    return { ok: true as const };
  },
  'privilege.refuse': (ctx, p) => {
    const action = p.code === 'invalid-real-sudo' ? 'sudo_binary_invalid' : 'command_invalid';
    ctx.audit.append({ action, actor: actor(ctx), subject: p.argv[0] ?? 'sudo', data: { argv: p.argv, cwd: p.cwd, code: p.code, error: p.message } });
    return { ok: true as const };
  },
};
