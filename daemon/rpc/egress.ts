/** egress.* handlers: sample outbound connections, the latest report, and allowing a destination. */
import type { HandlerTable } from './context.js';

export const egressHandlers: HandlerTable<'egress.sample' | 'egress.latest' | 'egress.allow'> = {
  'egress.sample': (ctx) => ctx.network.sampleEgress('rpc'),
  'egress.latest': (ctx) => ({ report: ctx.network.latest('egress') }),
  'egress.allow': (ctx, p) => ctx.network.allowEgress(p, { uid: ctx.caller.uid, pid: ctx.caller.pid }),
};
