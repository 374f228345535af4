/** findings.* handlers: the network findings with their lifecycle. */
import type { HandlerTable } from './context.js';

export const findingsHandlers: HandlerTable<'findings.list'> = {
  'findings.list': (ctx, p) => ({ findings: ctx.network.listFindings(p ?? {}) }),
};
