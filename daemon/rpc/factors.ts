/** factors.* handlers: the approval token and TOTP; changing either needs the current factor. */
import { type HandlerTable, actor } from './context.js';

export const factorHandlers: HandlerTable<'factors.status' | 'factors.token.set' | 'factors.token.clear' | 'factors.totp.enroll' | 'factors.totp.confirm' | 'factors.totp.clear'> = {
  'factors.status': (ctx) => ctx.factors.status(),
  'factors.token.set': (ctx, p) => {
    ctx.factors.setToken(p.token, p.current, actor(ctx));
    return { ok: true as const };
  },
  'factors.token.clear': (ctx, p) => {
    ctx.factors.clearToken(p.current, actor(ctx));
    return { ok: true as const };
  },
  'factors.totp.enroll': (ctx, p) => ctx.factors.enrollTotp(p.current, actor(ctx)),
  'factors.totp.confirm': (ctx, p) => {
    ctx.factors.confirmTotp(p.code, actor(ctx));
    return { ok: true as const };
  },
  'factors.totp.clear': (ctx, p) => {
    ctx.factors.clearTotp(p.current, actor(ctx));
    return { ok: true as const };
  },
};
