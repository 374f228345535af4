/**
 * The compliance service: runs assessments (hourly and on demand, one at a time), stores each run and
 * its results, writes the assessment, summary and dashboard files, manages waivers, and tells the
 * notifier about new, escalated and resolved items — and about the network monitor's findings.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ComplianceNetworkFinding, ComplianceRunResult, NotificationOutcome, RunSummary, WaiverShape } from '../../client/compliance-protocol.js';
import type { Layout } from '../../client/layout.js';
import type { EgressFinding, PortFinding, StoredFinding } from '../../client/network-protocol.js';
import type { Actor, AuditTrail } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { RpcError } from '../errors.js';
import type { Job } from '../jobs.js';
import type { FindingChange, Monitor } from '../network/findings-store.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { ShellEscapeList } from '../policy/risk.js';
import type { ApprovalFactors } from '../privilege/factors.js';
import type { ProcessInspector } from '../procinfo.js';
import type { Db } from '../store/db.js';
import { assess, riskCounts, statusCounts, type CheckResult } from './assess.js';
import type { Catalog } from './catalog.js';
import { CHECK_IDS, type CheckId } from './check-ids.js';
import type { EvidenceCollector } from './collect.js';
import { renderDashboard } from './dashboard.js';
import type { Evidence } from './evidence.js';
import { deliver, notifierSettings, vetNotifier, type DeliveryResult } from './notifier.js';
import { diffChecks, formatMessage, isEmpty, networkItem, type NotifyItem } from './notifications.js';
import { buildAssessment, buildSummary } from './outputs.js';
import { ComplianceStore } from './store.js';

export const ASSESSMENT_FILE = 'openclaw-assessment.json';
export const SUMMARY_FILE = 'compliance-summary.json';
export const DASHBOARD_FILE = 'compliance-dashboard.html';
/** Runs shown in the trend chart and the summary's trend. */
export const TREND_RUNS = 48;
/** A waiver is a temporary acceptance, not a permanent exception. */
export const MAX_WAIVER_DAYS = 366;

export interface ComplianceServiceOptions {
  layout: Layout;
  config: Config;
  env: NodeJS.ProcessEnv;
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  self: Actor;
  version: string;
  catalog: Catalog;
  collector: Pick<EvidenceCollector, 'collect'>;
  factors: ApprovalFactors;
  procs: ProcessInspector;
  shellEscapes: ShellEscapeList;
  /** The notifier's deadline; 5 s unless a test shortens the wait it has to simulate. */
  notifyTimeoutMs?: number;
  host?: string;
}

export function toNetworkFinding(monitor: Monitor, f: Record<string, unknown> & { first_seen: string; occurrences: number }): ComplianceNetworkFinding {
  const str = (k: string): string | null => (typeof f[k] === 'string' ? (f[k] as string) : null);
  const num = (k: string): number | null => (typeof f[k] === 'number' ? (f[k] as number) : null);
  if (monitor === 'ports') {
    const p = f as unknown as PortFinding;
    return { monitor, type: p.type, severity: p.severity, protocol: p.protocol, port: p.port, bind: p.host, remote: null, process: p.command, pid: p.pid, user: p.user, why: p.why, recommendation: p.recommendation, first_seen: f.first_seen, occurrences: f.occurrences };
  }
  const e = f as unknown as EgressFinding;
  const remote = str('remote_host') === str('remote_ip') || str('remote_ip') === null ? str('remote_host') : `${str('remote_host')} (${str('remote_ip')})`;
  return { monitor, type: e.type, severity: e.severity, protocol: e.protocol, port: num('remote_port') ?? 0, bind: null, remote, process: e.command, pid: e.pid, user: e.user, why: e.why, recommendation: e.recommendation, first_seen: f.first_seen, occurrences: f.occurrences };
}

function currentNetworkFindings(e: Evidence): ComplianceNetworkFinding[] {
  const out: ComplianceNetworkFinding[] = [];
  if (e.ports.ok) for (const f of e.ports.value.report.findings) out.push(toNetworkFinding('ports', f as unknown as Record<string, unknown> & { first_seen: string; occurrences: number }));
  if (e.egress.ok) for (const f of e.egress.value.report.findings) out.push(toNetworkFinding('egress', f as unknown as Record<string, unknown> & { first_seen: string; occurrences: number }));
  return out;
}

export class ComplianceService {
  private readonly store: ComplianceStore;
  private readonly host: string;
  private queue: Promise<unknown> = Promise.resolve();
  private notifyQueue: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: ComplianceServiceOptions) {
    this.store = new ComplianceStore(o.db);
    this.host = o.host ?? hostname();
    if (o.env.OPENCLAW_VIOLATION_NOTIFY_STATE) {
      o.log.warn({ value: o.env.OPENCLAW_VIOLATION_NOTIFY_STATE }, 'OPENCLAW_VIOLATION_NOTIFY_STATE is ignored: ocsecd keeps what the notifier was told in its database');
    }
  }

  private get paths() {
    const dir = this.o.layout.assessmentsDir;
    return { assessment: join(dir, ASSESSMENT_FILE), summary: join(dir, SUMMARY_FILE), dashboard: join(dir, DASHBOARD_FILE) };
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves once no run and no notification is in flight (the daemon waits for it before closing the database). */
  async idle(): Promise<void> {
    await this.queue.then(() => undefined);
    await this.notifyQueue.then(() => undefined);
  }

  job(schedule: string): Job {
    return {
      name: 'compliance',
      schedule,
      run: async () => {
        const r = await this.run('scheduled', this.o.self);
        this.o.log.info({ runId: r.run.runId, statusCounts: r.run.statusCounts, notification: r.notification.outcome }, 'scheduled compliance assessment');
      },
    };
  }

  /** Subscribes to the network monitor's finding changes (added → notified as new, removed → resolved). */
  watchNetwork(monitor: { onFindingsChanged(listener: (monitor: Monitor, changes: readonly FindingChange[]) => void): () => void }): void {
    if (!this.o.config.compliance.notify.network) return;
    this.unsubscribe = monitor.onFindingsChanged((m, changes) => {
      void this.notifyNetwork(m, changes);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  run(trigger: 'manual' | 'scheduled', actor: Actor): Promise<ComplianceRunResult> {
    return this.serialize(() => this.runNow(trigger, actor));
  }

  private async runNow(trigger: 'manual' | 'scheduled', actor: Actor): Promise<ComplianceRunResult> {
    const { clock, log } = this.o;
    const startedAt = clock.now();
    const startedMono = clock.monotonic();
    const cpu0 = process.cpuUsage();
    const { evidence, timings } = await this.o.collector.collect({ reuseVerification: trigger === 'scheduled' });
    const assessment = assess(evidence, {
      catalog: this.o.catalog,
      config: this.o.config.compliance,
      waivers: this.store.activeWaivers(evidence.now),
      openItems: this.store.openItems(),
      monotonic: () => clock.monotonic(),
      onCheckFailure: (checkId, err) => log.error({ err, checkId }, 'compliance check failed'),
    });
    const results = assessment.results;
    const networkFindings = currentNetworkFindings(evidence);
    const finishedAt = clock.now();
    const cpu = process.cpuUsage(cpu0);
    const summary: Omit<RunSummary, 'runId'> = {
      trigger,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: Math.round((clock.monotonic() - startedMono) * 1000) / 1000,
      cpuMs: Math.round(((cpu.user + cpu.system) / 1000) * 1000) / 1000,
      statusCounts: statusCounts(results),
      riskCounts: riskCounts(results),
    };
    const timingRecord = {
      sources: Object.fromEntries(Object.entries(timings).map(([k, t]) => [k, Math.round(t.wallMs * 1000) / 1000])),
      sourcesCpu: Object.fromEntries(Object.entries(timings).map(([k, t]) => [k, Math.round(t.cpuMs * 1000) / 1000])),
      checks: Object.fromEntries(results.map((r) => [r.check_id, r.duration_ms])),
    };
    const pending: NotificationOutcome = { outcome: 'nothing-new', detail: 'not evaluated yet', notifier: null, exitCode: null, durationMs: null, added: [], escalated: [], resolved: [] };
    const outputs = { ...this.paths, problems: [] as string[] };
    const runId = this.o.audit.transact((record) => {
      const id = this.store.insertRun({ summary, timings: timingRecord, outputs, networkFindings, notification: pending }, results, this.o.config.compliance.history_runs);
      this.store.replaceOpenItems(assessment.openItems);
      record({
        action: 'compliance.run',
        actor,
        subject: 'compliance',
        data: {
          run_id: id,
          trigger,
          status_counts: summary.statusCounts,
          risk_counts: summary.riskCounts,
          violations: results.filter((r) => r.status === 'violation').map((r) => r.check_id),
          partial: results.filter((r) => r.status === 'partial').map((r) => r.check_id),
          errors: results.filter((r) => r.status === 'error').map((r) => r.check_id),
          waived: results.filter((r) => r.status === 'waived').map((r) => r.check_id),
        },
      });
      return id;
    });
    const run: RunSummary = { runId, ...summary };
    outputs.problems = this.writeOutputs(run, results, networkFindings);
    this.store.setOutputs(runId, outputs);
    const notification = await this.notifyRun(run, results);
    this.store.setNotification(runId, notification);
    return { run, results, networkFindings, outputs, notification, timings: timingRecord };
  }

  /** Each file is written on its own (0600, atomically); a failure is reported, the run stands. */
  private writeOutputs(run: RunSummary, results: readonly CheckResult[], networkFindings: readonly ComplianceNetworkFinding[]): string[] {
    const ctx = { system: this.o.config.compliance.system, host: this.host, stateDir: this.o.layout.stateDir, version: this.o.version, run };
    const trend = this.store.runs(TREND_RUNS);
    const paths = this.paths;
    const problems: string[] = [];
    const write = (path: string, content: () => string) => {
      try {
        writeFileAtomic(path, content());
      } catch (err) {
        problems.push(`${path}: ${(err as Error).message}`);
        this.o.log.error({ err, path }, 'could not write a compliance output; the database holds the run (ocsecctl compliance --json)');
      }
    };
    write(paths.assessment, () => JSON.stringify(buildAssessment(results, ctx), null, 2) + '\n');
    write(paths.summary, () => JSON.stringify(buildSummary(results, ctx, { trend, networkFindings, dashboard: paths.dashboard }), null, 2) + '\n');
    write(paths.dashboard, () => renderDashboard({ ...ctx, results, trend, networkFindings }));
    return problems;
  }

  latest(): ComplianceRunResult | null {
    return this.store.latestRun();
  }

  history(limit: number, checkId: string | undefined) {
    if (checkId !== undefined && !(CHECK_IDS as readonly string[]).includes(checkId)) {
      throw new RpcError('InvalidParams', `Invalid params: params.checkId: unknown check "${checkId}"`, { field: 'params.checkId' });
    }
    return { runs: this.store.runs(limit), check: checkId === undefined ? null : this.store.checkHistory(checkId, limit) };
  }

  /** compliance-dashboard.html again from the latest stored run; an assessment first when there is none. */
  async dashboard(actor: Actor): Promise<{ path: string; runId: number; generatedAt: string; bytes: number }> {
    const latest = this.latest() ?? (await this.run('manual', actor));
    const html = renderDashboard({ system: this.o.config.compliance.system, host: this.host, stateDir: this.o.layout.stateDir, version: this.o.version, run: latest.run, results: latest.results, trend: this.store.runs(TREND_RUNS), networkFindings: latest.networkFindings });
    writeFileAtomic(this.paths.dashboard, html);
    return { path: this.paths.dashboard, runId: latest.run.runId, generatedAt: new Date(this.o.clock.now()).toISOString(), bytes: Buffer.byteLength(html) };
  }

  // ---- waivers ---------------------------------------------------------------------------------

  /** A waiver accepts a risk, so it is an approval: a person at a terminal (by default) with the factor when one is set. */
  private assertApprover(caller: Actor, what: string, context: Record<string, unknown>): void {
    if (this.o.config.approval_requires_terminal && !this.o.procs.read(caller.pid)?.hasTty) {
      const why = `${what} must come from a person at a terminal (approval_requires_terminal is set)`;
      this.o.audit.append({ action: 'compliance.waiver_refused', actor: caller, subject: 'compliance', data: { ...context, why } });
      throw new RpcError('SelfApprovalRefused', `${what} refused: ${why}`);
    }
  }

  waive(caller: Actor, p: { checkId: string; justification: string; approver: string; expires: string; factor?: string | undefined }): { waiver: WaiverShape } {
    if (!(CHECK_IDS as readonly string[]).includes(p.checkId)) throw new RpcError('InvalidParams', `Invalid params: params.checkId: unknown check "${p.checkId}"`, { field: 'params.checkId' });
    const now = this.o.clock.now();
    const expires = Date.parse(p.expires);
    if (expires <= now) throw new RpcError('InvalidParams', 'Invalid params: params.expires: must be in the future', { field: 'params.expires' });
    if (expires > now + MAX_WAIVER_DAYS * 86_400_000) throw new RpcError('InvalidParams', `Invalid params: params.expires: at most ${MAX_WAIVER_DAYS} days ahead; review the risk again then`, { field: 'params.expires' });
    const context = { check_id: p.checkId, approver: p.approver, expires_at: new Date(expires).toISOString() };
    this.assertApprover(caller, 'a waiver', context);
    this.o.factors.verify(p.factor, caller, context);
    return this.o.audit.transact((record) => {
      const waiver = this.store.insertWaiver({ checkId: p.checkId as CheckId, justification: p.justification, approver: p.approver, createdAt: new Date(now).toISOString(), expiresAt: new Date(expires).toISOString(), uid: caller.uid, pid: caller.pid }, now);
      record({ action: 'compliance.waiver_added', actor: caller, subject: `check:${p.checkId}`, data: { waiver_id: waiver.id, ...context, justification: p.justification } });
      return { waiver };
    });
  }

  unwaive(caller: Actor, p: { id: number; reason?: string | undefined; factor?: string | undefined }): { waiver: WaiverShape } {
    const now = this.o.clock.now();
    const existing = this.store.waiver(p.id, now);
    if (!existing) throw new RpcError('InvalidParams', `Invalid params: params.id: no waiver ${p.id}`, { field: 'params.id' });
    if (existing.state === 'revoked') throw new RpcError('InvalidParams', `Invalid params: params.id: waiver ${p.id} was already revoked at ${existing.revokedAt}`, { field: 'params.id' });
    const context = { waiver_id: p.id, check_id: existing.checkId };
    this.assertApprover(caller, 'revoking a waiver', context);
    this.o.factors.verify(p.factor, caller, context);
    return this.o.audit.transact((record) => {
      this.store.revokeWaiver(p.id, new Date(now).toISOString(), p.reason ?? null);
      record({ action: 'compliance.waiver_revoked', actor: caller, subject: `check:${existing.checkId}`, data: { ...context, reason: p.reason ?? null } });
      return { waiver: this.store.waiver(p.id, now)! };
    });
  }

  waivers(all: boolean): WaiverShape[] {
    return this.store.waivers(this.o.clock.now(), all);
  }

  // ---- notifications ---------------------------------------------------------------------------

  private notifySerial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.notifyQueue.then(work, work);
    this.notifyQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * Vets and runs the notifier with the message; refusals and failures are logged and audited and come
   * back as the outcome. Never throws for anything the notifier does.
   */
  private async send(trigger: 'run' | 'network' | 'test', message: string, items: { added: NotifyItem[]; escalated: NotifyItem[]; resolved: NotifyItem[] }, actor: Actor): Promise<NotificationOutcome> {
    const keys = { added: items.added.map((i) => i.key), escalated: items.escalated.map((i) => i.key), resolved: items.resolved.map((i) => i.key) };
    const settings = notifierSettings(this.o.env, this.o.config.compliance.notify);
    for (const problem of settings.problems) this.o.log.warn({ problem }, 'notifier setting ignored');
    let result: NotificationOutcome;
    if (!settings.command) {
      result = { outcome: 'not-configured', detail: `no notifier: set OPENCLAW_VIOLATION_NOTIFY_CMD (and OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST) for ocsecd, or compliance.notify in ocsec.json${settings.problems.length ? ` (${settings.problems.join('; ')})` : ''}`, notifier: null, exitCode: null, durationMs: null, ...keys };
      if (trigger === 'test') this.auditNotify(trigger, result, actor);
      return result;
    }
    const vetted = vetNotifier(settings.command, settings.allowlist, this.o.shellEscapes);
    if (!vetted.ok) {
      result = { outcome: 'refused', detail: vetted.reason, notifier: settings.command, exitCode: null, durationMs: null, ...keys };
      this.o.log.error({ notifier: settings.command, reason: vetted.reason }, 'notifier refused');
      this.auditNotify(trigger, result, actor);
      return result;
    }
    let delivery: DeliveryResult;
    try {
      delivery = await deliver(vetted.argv, message, { clock: this.o.clock, env: this.o.env, ...(this.o.notifyTimeoutMs !== undefined ? { timeoutMs: this.o.notifyTimeoutMs } : {}) });
    } catch (err) {
      delivery = { outcome: 'failed', exitCode: null, signal: null, stderr: '', durationMs: 0, detail: (err as Error).message };
    }
    result = { outcome: delivery.outcome, detail: delivery.detail, notifier: vetted.argv, exitCode: delivery.exitCode, durationMs: Math.round(delivery.durationMs), ...keys };
    if (delivery.outcome !== 'delivered') this.o.log.error({ notifier: vetted.argv, outcome: delivery.outcome, detail: delivery.detail, stderr: delivery.stderr }, 'notifier failed');
    this.auditNotify(trigger, result, actor);
    return result;
  }

  private auditNotify(trigger: string, r: NotificationOutcome, actor: Actor): void {
    try {
      this.o.audit.append({
        action: 'compliance.notify',
        actor,
        subject: r.notifier?.[0] ?? 'notifier',
        data: { trigger, outcome: r.outcome, detail: r.detail, notifier: r.notifier, exit_code: r.exitCode, duration_ms: r.durationMs, added: r.added, escalated: r.escalated, resolved: r.resolved },
      });
    } catch (err) {
      this.o.log.error({ err }, 'could not audit a notification');
    }
  }

  private messageContext(source: string) {
    return { host: this.host, stateDir: this.o.layout.stateDir, source, at: new Date(this.o.clock.now()).toISOString(), dashboard: this.paths.dashboard };
  }

  /** Diffs the run against what the notifier was told; the state moves only once a message is delivered (or when nothing needs saying). */
  private notifyRun(run: RunSummary, results: readonly CheckResult[]): Promise<NotificationOutcome> {
    return this.notifySerial(async () => {
      const notify = this.o.config.compliance.notify;
      const diff = diffChecks(results, this.store.notified(), notify.on_partial);
      const at = new Date(this.o.clock.now()).toISOString();
      if (isEmpty(diff)) {
        this.store.recordNotified(diff.open, [], at);
        return { outcome: 'nothing-new', detail: 'nothing new, escalated or resolved since the last notification', notifier: null, exitCode: null, durationMs: null, added: [], escalated: [], resolved: [] };
      }
      const message = formatMessage(diff, this.messageContext(`compliance run #${run.runId}`), notify.format);
      const outcome = await this.send('run', message, diff, this.o.self);
      if (outcome.outcome === 'delivered') this.store.recordNotified(diff.open, diff.forget, at);
      return outcome;
    });
  }

  /** The network monitor's added findings as new items, removed ones as resolved: one message per sample. */
  notifyNetwork(monitor: Monitor, changes: readonly FindingChange[]): Promise<NotificationOutcome | null> {
    const added: NotifyItem[] = [];
    const resolved: NotifyItem[] = [];
    for (const c of changes) {
      const f: StoredFinding = c.finding;
      const item = networkItem(toNetworkFinding(monitor, { ...f.data, first_seen: f.first_seen, occurrences: f.occurrences }), f.key);
      if (c.change === 'added') added.push(item);
      else resolved.push({ ...item, status: 'resolved' });
    }
    if (added.length === 0 && resolved.length === 0) return Promise.resolve(null);
    return this.notifySerial(async () => {
      const message = formatMessage({ added, escalated: [], resolved }, this.messageContext(`${monitor} sample`), this.o.config.compliance.notify.format);
      try {
        return await this.send('network', message, { added, escalated: [], resolved }, this.o.self);
      } catch (err) {
        this.o.log.error({ err }, 'network notification failed');
        return null;
      }
    });
  }

  /** ocsecctl notify test: the same vetting and delivery, with a message that says it is a test. */
  notifyTest(actor: Actor): Promise<NotificationOutcome> {
    return this.notifySerial(async () => {
      const ctx = this.messageContext('notifier test');
      const item: NotifyItem = { key: 'test', kind: 'check', title: 'notify_test', status: 'test', risk: 'low', detail: 'a test message from ocsecctl notify test; nothing is wrong', fix: '', owner: null, due: null, previous: null };
      const message = formatMessage({ added: [item], escalated: [], resolved: [] }, ctx, this.o.config.compliance.notify.format);
      return this.send('test', message, { added: [item], escalated: [], resolved: [] }, actor);
    });
  }
}
