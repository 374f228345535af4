/** What every RPC handler receives: the verified caller, the daemon's services and the clock. */
import { RpcError } from '../errors.js';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Layout } from '../../client/layout.js';
import type { MethodName, Methods, ResultOf } from '../../client/protocol.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ComplianceService } from '../compliance/service.js';
import type { ExportService } from '../exports/service.js';
import type { HostPostureService } from '../host/posture.js';
import type { Scheduler } from '../jobs.js';
import type { NetworkMonitor } from '../network/monitor.js';
import type { SecurityAuditService } from '../security-audit/service.js';
import type { PeerCredentials } from '../peer-credentials.js';
import type { Db } from '../store/db.js';
import type { PolicyStore } from '../policy/store.js';
import type { ApprovalFactors } from '../privilege/factors.js';
import type { PrivilegeService } from '../privilege/service.js';

export interface DaemonServices {
  layout: Layout;
  config: Config;
  db: Db;
  audit: AuditTrail;
  scheduler: Scheduler;
  policies: PolicyStore;
  privilege: PrivilegeService;
  factors: ApprovalFactors;
  /** Listening ports and egress: samples, findings, baseline and rule writes (ports.*, egress.*, findings.*). */
  network: NetworkMonitor;
  /** The OpenClaw installation audit: security.audit, security.latest, security.baseline. */
  securityAudit: SecurityAuditService;
  /** Supervision, gateway PATH, sudo rules: host.posture. */
  host: HostPostureService;
  /** Fleet exports (JSON lines, syslog, Prometheus textfile). */
  exports: ExportService;
  /** ISO 27001 / NIST CSF assessments, waivers, the dashboard and the violation notifier (compliance.*). */
  compliance: ComplianceService;
  clock: Clock;
  log: Logger;
  version: string;
  schemaVersion: number;
  startedAt: number;
  startedMono: number;
  /** Aborted when the daemon begins shutting down, so long-polls return at once. */
  shutdown: AbortSignal;
}

export interface RpcContext extends DaemonServices {
  caller: PeerCredentials;
}

export type Handler<M extends MethodName> = (
  ctx: RpcContext,
  params: z.output<Methods[M]['params']>,
) => ResultOf<M> | Promise<ResultOf<M>>;

export type HandlerTable<M extends MethodName = MethodName> = { readonly [K in M]: Handler<K> };

/** The caller as the audit trail records it. */
export function actor(ctx: RpcContext): { uid: number; pid: number } {
  return { uid: ctx.caller.uid, pid: ctx.caller.pid };
}

/** Runs a store operation; a database failure becomes StoreUnavailable with SQLite's reason, never InternalError. */
export function storeCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw new RpcError('StoreUnavailable', `${what} failed: ${(err as Error).message}`);
  }
}
