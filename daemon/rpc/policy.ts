/** policy.* handlers: the state of each policy file, and reloading them on demand. */
import type { PolicyFileReport } from '../policy/store.js';
import type { HandlerTable } from './context.js';

function toWire(reports: readonly PolicyFileReport[]) {
  const files = reports.map((r) => ({
    name: r.name,
    path: r.path,
    status: r.status,
    inForce: r.inForce !== null,
    sha256: r.inForce?.sha256 ?? r.sha256,
    loadedAt: r.inForce ? new Date(r.inForce.loadedAt).toISOString() : null,
    problem: r.message,
  }));
  return { ok: files.every((f) => f.status !== 'invalid' && f.problem === null), files };
}

export const policyHandlers: HandlerTable<'policy.check' | 'policy.reload'> = {
  'policy.check': (ctx) => toWire(ctx.policies.check()),
  'policy.reload': (ctx) => toWire(ctx.policies.reload()),
};
