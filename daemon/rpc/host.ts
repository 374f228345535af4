/** host.* handlers: the facts that decide whether the shim guards anything (supervision, gateway PATH, sudo rules). */
import type { HandlerTable } from './context.js';

export const hostHandlers: HandlerTable<'host.posture'> = {
  'host.posture': (ctx) => ctx.host.collect(ctx.caller),
};
