/** audit.* handlers: query, long-poll tail and chain verification of the audit trail. */
import { type HandlerTable, type RpcContext, storeCall } from './context.js';

const DEFAULT_LIMIT = 100;
const DEFAULT_TAIL_WAIT_MS = 20_000;

/** Resolves when the trail's head passes afterSeq, the wait elapses, or the daemon starts shutting down. */
function waitForEvents(ctx: RpcContext, afterSeq: number, waitMs: number): Promise<void> {
  if (ctx.audit.head().seq > afterSeq || waitMs === 0 || ctx.shutdown.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      ctx.clock.clearTimeout(timer);
      ctx.shutdown.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = ctx.audit.onAppend((head) => {
      if (head > afterSeq) done();
    });
    const timer = ctx.clock.setTimeout(done, waitMs);
    ctx.shutdown.addEventListener('abort', done);
  });
}

export const auditHandlers: HandlerTable<'audit.query' | 'audit.tail' | 'audit.verify'> = {
  'audit.query': (ctx, params) => {
    const events = storeCall('audit query', () => ctx.audit.query({ ...params, limit: params?.limit ?? DEFAULT_LIMIT }));
    return { events, headSeq: ctx.audit.head().seq };
  },

  /**
   * Long-poll rather than a stream: it fits the one request/response route (curl and batches work),
   * holds no per-client state in the daemon, and a client that reconnects resumes exactly from the
   * last seq it saw, so nothing is lost or repeated across reconnects.
   */
  'audit.tail': async (ctx, params) => {
    const afterSeq = params?.afterSeq ?? ctx.audit.head().seq;
    await waitForEvents(ctx, afterSeq, params?.waitMs ?? DEFAULT_TAIL_WAIT_MS);
    const events = storeCall('audit tail', () => ctx.audit.after(afterSeq, params?.limit ?? DEFAULT_LIMIT));
    return { events, headSeq: ctx.audit.head().seq };
  },

  'audit.verify': (ctx) => storeCall('audit verify', () => ctx.audit.verify()),
};
