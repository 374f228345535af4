/** The one table of RPC handlers: merged from the namespace files, sorted, and checked against the protocol. */
import { methodNames, type MethodName } from '../../client/protocol.js';
import { auditHandlers } from './audit.js';
import { complianceHandlers } from './compliance.js';
import type { Handler } from './context.js';
import { daemonHandlers } from './daemon.js';
import { egressHandlers } from './egress.js';
import { exportHandlers } from './exports.js';
import { factorHandlers } from './factors.js';
import { findingsHandlers } from './findings.js';
import { hostHandlers } from './host.js';
import { policyHandlers } from './policy.js';
import { portsHandlers } from './ports.js';
import { privilegeHandlers } from './privilege.js';
import { securityHandlers } from './security.js';
import { sessionHandlers } from './session.js';
import { storeHandlers } from './store.js';

export type MethodTable = ReadonlyMap<MethodName, Handler<MethodName>>;

/** Throws on a method registered twice, a handler without a protocol descriptor, or a descriptor without a handler. */
export function buildMethodTable(namespaces: ReadonlyArray<Record<string, unknown>>): MethodTable {
  const entries = new Map<string, Handler<MethodName>>();
  for (const ns of namespaces) {
    for (const [name, handler] of Object.entries(ns)) {
      if (entries.has(name)) throw new Error(`RPC method "${name}" is registered twice`);
      if (!(methodNames as string[]).includes(name)) throw new Error(`RPC handler "${name}" has no descriptor in client/protocol.ts`);
      entries.set(name, handler as Handler<MethodName>);
    }
  }
  const missing = methodNames.filter((m) => !entries.has(m));
  if (missing.length > 0) throw new Error(`protocol methods without a handler: ${missing.join(', ')}`);
  return new Map([...entries.entries()].sort(([a], [b]) => a.localeCompare(b))) as MethodTable;
}

export const methodTable: MethodTable = buildMethodTable([auditHandlers, complianceHandlers, daemonHandlers, egressHandlers, exportHandlers, factorHandlers, findingsHandlers, hostHandlers, policyHandlers, portsHandlers, privilegeHandlers, securityHandlers, sessionHandlers, storeHandlers]);
