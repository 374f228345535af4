/** compliance.* handlers: assessments from live evidence, their history, waivers, the dashboard and a notifier test. */
import { type HandlerTable, storeCall, actor } from './context.js';

export const complianceHandlers: HandlerTable<
  'compliance.run' | 'compliance.latest' | 'compliance.history' | 'compliance.waive' | 'compliance.unwaive' | 'compliance.waivers' | 'compliance.dashboard' | 'compliance.notify.test'
> = {
  'compliance.run': (ctx) => ctx.compliance.run('manual', actor(ctx)),
  'compliance.latest': (ctx) => ({ result: storeCall('reading the latest assessment', () => ctx.compliance.latest()) }),
  'compliance.history': (ctx, p) => storeCall('reading the assessment history', () => ctx.compliance.history(p?.limit ?? 48, p?.checkId)),
  'compliance.waive': (ctx, p) => ctx.compliance.waive(actor(ctx), p),
  'compliance.unwaive': (ctx, p) => ctx.compliance.unwaive(actor(ctx), p),
  'compliance.waivers': (ctx, p) => ({ waivers: storeCall('reading the waivers', () => ctx.compliance.waivers(p?.all === true)) }),
  'compliance.dashboard': (ctx) => ctx.compliance.dashboard(actor(ctx)),
  'compliance.notify.test': (ctx) => ctx.compliance.notifyTest(actor(ctx)),
};
