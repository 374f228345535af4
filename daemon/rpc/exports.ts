/** exports.* handlers: how the fleet exports (JSON lines, syslog, Prometheus textfile) are doing. */
import type { HandlerTable } from './context.js';

export const exportHandlers: HandlerTable<'exports.status'> = {
  'exports.status': (ctx) => ({ headSeq: ctx.audit.head().seq, sinks: ctx.exports.status() }),
};
