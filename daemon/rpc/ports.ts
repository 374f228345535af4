/** ports.* handlers: sample listening sockets, the latest report, the baseline proposal, and approving a port. */
import type { HandlerTable } from './context.js';

export const portsHandlers: HandlerTable<'ports.sample' | 'ports.latest' | 'ports.baseline' | 'ports.approve'> = {
  'ports.sample': (ctx) => ctx.network.samplePorts('rpc'),
  'ports.latest': (ctx) => ({ report: ctx.network.latest('ports') }),
  'ports.baseline': (ctx, p) => ctx.network.proposeBaseline(p?.write === true, { uid: ctx.caller.uid, pid: ctx.caller.pid }),
  'ports.approve': (ctx, p) => ctx.network.approvePort(p, { uid: ctx.caller.uid, pid: ctx.caller.pid }),
};
