/** security.* handlers: the OpenClaw installation audit, its latest stored run, and baseline snapshots. */
import { type HandlerTable, storeCall } from './context.js';

export const securityHandlers: HandlerTable<'security.audit' | 'security.baseline' | 'security.latest'> = {
  'security.audit': (ctx, params) =>
    ctx.securityAudit.audit({
      deep: params?.deep ?? false,
      scope: params?.scope,
      fix: params?.fix ?? false,
      dryRun: params?.dryRun ?? false,
      trigger: 'manual',
      actor: { uid: ctx.caller.uid, pid: ctx.caller.pid },
    }),
  'security.baseline': (ctx) => ctx.securityAudit.baseline(),
  'security.latest': (ctx) => ({ result: storeCall('reading the latest audit', () => ctx.securityAudit.latest()) }),
};
