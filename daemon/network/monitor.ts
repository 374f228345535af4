/**
 * The network monitor service: scheduled and on-demand port and egress samples, their findings
 * and lifecycle, the latest reports (database and assessments/*-latest.json), the baseline
 * proposal, and rule writes to approved_ports.json and egress_allowlist.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Layout } from '../../client/layout.js';
import type { EgressReport, ListeningService, PortReport, StoredFinding, approvedPortRuleParams, egressRuleParams } from '../../client/network-protocol.js';
import type { Actor, AuditTrail } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import { RpcError } from '../errors.js';
import type { Job } from '../jobs.js';
import { fieldPath, formatProblem } from '../json-file.js';
import type { PolicyStore } from '../policy/store.js';
import type { Db } from '../store/db.js';
import { canonicalIp, parseIp, unmapV4 } from './addresses.js';
import { connectionOf, evaluateEgress, type AllowlistInForce } from './egress-findings.js';
import { backupFile, commitTempFile, writeFileAtomic, writeTempFile } from '../atomic-file.js';
import { FindingsStore, type FindingChange, type FindingDraft, type Lifecycle, type Monitor } from './findings-store.js';
import { readGatewayPort } from './gateway.js';
import { approvedPortRuleSchema, approvedPortsSchema, egressAllowlistSchema, egressRuleSchema, type InsecurePortTable } from './policy.js';
import { evaluatePorts, listeningServices, type ApprovedPortsInForce } from './port-findings.js';
import type { NameResolver } from './resolver.js';
import { SamplerUnavailableError, type SocketSampler } from './sampler.js';
import { outboundConnections, type SocketSnapshot } from './sockets.js';

export interface NetworkSchedules {
  ports: string;
  egress: string;
  egress_resolve: string;
}

export interface NetworkMonitorOptions {
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  layout: Layout;
  policies: PolicyStore;
  self: Actor;
  sampler: SocketSampler;
  resolver: NameResolver;
  insecure: InsecurePortTable;
  /** openclaw.json, read on every ports sample for gateway.port. */
  gatewayConfigPath: string;
  /** This host's own addresses (a connection to one of them is not egress); default: the interfaces' addresses. */
  localAddresses?: () => Set<string>;
  /** Scheduled samples before this long after construction are skipped (boot settling); on-demand samples always run. */
  startDelayMs?: number;
}

export type Trigger = 'schedule' | 'rpc';
export type FindingsListener = (monitor: Monitor, changes: readonly FindingChange[]) => void;

const SAMPLES_KEPT_PER_MONITOR = 10_000;
const APPROVED = 'approved_ports.json';
const ALLOWLIST = 'egress_allowlist.json';

export function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(canonicalIp(unmapV4(a.address.split('%')[0]!)));
  return out;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What a policy file contributes to a report: its status, whether a version is in force, and its problem. */
function policyState(state: ReturnType<PolicyStore['stateOf']>) {
  return {
    status: state?.status ?? ('missing' as const),
    in_force: state?.lastGood !== undefined,
    problem: state?.problem ? formatProblem(state.problem) : null,
  };
}

/** Maps a zod issue on a rule to InvalidParams naming the parameter, as every other RPC does. */
function invalidRule(error: z.ZodError): RpcError {
  const issue = error.issues[0]!;
  const field = `params${issue.path.length ? '.' + fieldPath(issue.path) : ''}`;
  return new RpcError('InvalidParams', `Invalid params: ${field}: ${issue.message}`, { field });
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export class NetworkMonitor {
  private readonly findings: FindingsStore;
  private readonly listeners = new Set<FindingsListener>();
  private readonly running = new Map<Monitor, Promise<PortReport | EgressReport>>();
  private readonly insertSample;
  private readonly pruneSamples;
  private readonly upsertLatest;
  private readonly selectLatest;
  private readonly localAddresses: () => Set<string>;

  constructor(private readonly opts: NetworkMonitorOptions) {
    this.findings = new FindingsStore(opts.db);
    this.localAddresses = opts.localAddresses ?? interfaceAddresses;
    this.insertSample = opts.db.prepare(
      `INSERT INTO network_samples (monitor, started_at, duration_ms, trigger, tool, sockets, attributed, unattributed, items, findings, added, removed, error)
       VALUES (@monitor, @started_at, @duration_ms, @trigger, @tool, @sockets, @attributed, @unattributed, @items, @findings, @added, @removed, @error)`,
    );
    this.pruneSamples = opts.db.prepare(
      `DELETE FROM network_samples WHERE monitor = @monitor AND id < (SELECT id FROM network_samples WHERE monitor = @monitor ORDER BY id DESC LIMIT 1 OFFSET ${SAMPLES_KEPT_PER_MONITOR})`,
    );
    this.upsertLatest = opts.db.prepare('INSERT INTO network_latest (monitor, sample_id, report_json) VALUES (@monitor, @sample_id, @report_json) ON CONFLICT(monitor) DO UPDATE SET sample_id = excluded.sample_id, report_json = excluded.report_json');
    this.selectLatest = opts.db.prepare('SELECT report_json FROM network_latest WHERE monitor = ?');
  }

  jobs(schedules: NetworkSchedules): Job[] {
    const readyAt = this.opts.clock.monotonic() + (this.opts.startDelayMs ?? 0);
    const settled = () => this.opts.clock.monotonic() >= readyAt;
    return [
      { name: 'ports', schedule: schedules.ports, run: async () => void (settled() && (await this.samplePorts('schedule'))) },
      { name: 'egress', schedule: schedules.egress, run: async () => void (settled() && (await this.sampleEgress('schedule'))) },
      { name: 'egress-resolve', schedule: schedules.egress_resolve, run: () => this.resolveAllowlistNames() },
    ];
  }

  /** Waits for a running sample to be recorded, then stops the sampler's reader thread (the daemon's stop, before the database closes). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
    await this.opts.sampler.close();
  }

  /** Called with every sample's added/removed findings (for notifications); a throwing listener is logged, never fatal. */
  onFindingsChanged(listener: FindingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  samplePorts(trigger: Trigger): Promise<PortReport> {
    return this.coalesce('ports', () => this.runPorts(trigger)) as Promise<PortReport>;
  }

  sampleEgress(trigger: Trigger): Promise<EgressReport> {
    return this.coalesce('egress', () => this.runEgress(trigger)) as Promise<EgressReport>;
  }

  /** The latest report of a monitor (kept in the database, so it survives a restart), or null before the first sample. */
  latest(monitor: 'ports'): PortReport | null;
  latest(monitor: 'egress'): EgressReport | null;
  latest(monitor: Monitor): PortReport | EgressReport | null {
    const row = this.selectLatest.get(monitor) as { report_json: string } | undefined;
    return row ? (JSON.parse(row.report_json) as PortReport | EgressReport) : null;
  }

  listFindings(q: Parameters<FindingsStore['list']>[0]): StoredFinding[] {
    return this.findings.list(q);
  }

  /** Resolves every host name of the allowlist in force (the egress-resolve job), ignoring the TTL. */
  async resolveAllowlistNames(): Promise<void> {
    await this.opts.resolver.refresh(this.allowlistHostNames(), true);
  }

  private coalesce(monitor: Monitor, run: () => Promise<PortReport | EgressReport>): Promise<PortReport | EgressReport> {
    let current = this.running.get(monitor);
    if (!current) {
      current = run().finally(() => this.running.delete(monitor));
      this.running.set(monitor, current);
    }
    return current;
  }

  // -------------------------------------------------------------------------------------------
  // Ports
  // -------------------------------------------------------------------------------------------

  private approvedInForce(): ApprovedPortsInForce & { state: ReturnType<typeof policyState> } {
    const state = this.opts.policies.stateOf(APPROVED);
    const file = this.opts.policies.pathOf(APPROVED);
    const summary = policyState(state);
    if (state?.lastGood) return { rules: state.lastGood.value, file, absentReason: '', state: summary };
    const absentReason =
      state?.status === 'invalid'
        ? `approved_ports.json is invalid (${summary.problem}) and no earlier version is in force, so no port is approved; fix it, then \`ocsecctl policy check\``
        : 'approved_ports.json does not exist, so no listening port is approved; `ocsecctl ports baseline` proposes one from what listens now';
    return { rules: null, file, absentReason, state: summary };
  }

  private async runPorts(trigger: Trigger): Promise<PortReport> {
    const startedAt = this.opts.clock.now();
    const startedMono = this.opts.clock.monotonic();
    const approved = this.approvedInForce();
    const gateway = readGatewayPort(this.opts.gatewayConfigPath);
    const base = {
      approved_file: approved.file,
      approved_rules_count: approved.rules?.length ?? 0,
      baseline: approved.state,
      gateway: { port: gateway.port, source: gateway.source, path: gateway.path, problem: gateway.problem },
    };
    let snapshot: SocketSnapshot;
    try {
      snapshot = await this.opts.sampler.sample();
    } catch (err) {
      return this.recordFailure('ports', trigger, startedAt, startedMono, err, (error, sampleId, findings) => ({
        status: 'error' as const,
        ...base,
        tool: 'none',
        listening_services: [],
        findings: findings as PortReport['findings'],
        ...this.sampleInfo(startedAt, sampleId, null, null, { added: 0, removed: 0 }, error),
      }));
    }
    const { services, findings } = evaluatePorts({ sockets: snapshot.sockets, approved, insecure: this.opts.insecure, gatewayPort: gateway.port, now: startedAt });
    return this.commit('ports', trigger, startedAt, startedMono, snapshot, services.length, findings, (sampleId, current, changes) => ({
      status: 'ok' as const,
      ...base,
      tool: snapshot.tool,
      listening_services: services,
      findings: current,
      ...this.sampleInfo(startedAt, sampleId, snapshot, this.opts.clock.monotonic() - startedMono, changes, null),
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Egress
  // -------------------------------------------------------------------------------------------

  private allowlistInForce(): AllowlistInForce & { state: ReturnType<typeof policyState> } {
    const state = this.opts.policies.stateOf(ALLOWLIST);
    const file = this.opts.policies.pathOf(ALLOWLIST);
    const summary = policyState(state);
    if (state?.lastGood) return { rules: state.lastGood.value, file, absentReason: '', state: summary };
    const absentReason =
      state?.status === 'invalid'
        ? `egress_allowlist.json is invalid (${summary.problem}) and no earlier version is in force, so no destination is allowed`
        : 'egress_allowlist.json does not exist, so no destination is allowed; `ocsecctl egress allow` adds one';
    return { rules: null, file, absentReason, state: summary };
  }

  private allowlistHostNames(rules = this.allowlistInForce().rules): string[] {
    return [...new Set((rules ?? []).flatMap((rule) => (rule.host !== undefined && !parseIp(rule.host) ? [rule.host] : [])))];
  }

  private async runEgress(trigger: Trigger): Promise<EgressReport> {
    const startedAt = this.opts.clock.now();
    const startedMono = this.opts.clock.monotonic();
    const allowlist = this.allowlistInForce();
    const base = { allowlist_file: allowlist.file, allowlist_rules_count: allowlist.rules?.length ?? 0, allowlist: allowlist.state };
    let snapshot: SocketSnapshot;
    try {
      snapshot = await this.opts.sampler.sample();
      await this.opts.resolver.refresh(this.allowlistHostNames(allowlist.rules));
    } catch (err) {
      return this.recordFailure('egress', trigger, startedAt, startedMono, err, (error, sampleId, findings) => ({
        status: 'error' as const,
        ...base,
        tool: 'none',
        connections: [],
        findings: findings as EgressReport['findings'],
        dns: this.dnsSummary(),
        ...this.sampleInfo(startedAt, sampleId, null, null, { added: 0, removed: 0 }, error),
      }));
    }
    const resolver = this.opts.resolver;
    const sockets = outboundConnections(snapshot.sockets, this.localAddresses());
    let connections = sockets.map((s) => connectionOf(s, resolver.knownNames(canonicalIp(unmapV4(s.remoteAddress)))));
    let drafts = evaluateEgress(connections, allowlist, resolver);
    // Reverse lookups only for what is not yet allowed and has no known name: fewer queries, and a host_regex rule may still allow it.
    const unnamed = [...new Set(drafts.filter((d) => !d.resolved).map((d) => d.remote_ip))];
    if (unnamed.length > 0) {
      const reverse = await resolver.reverseNames(unnamed);
      connections = sockets.map((s) => {
        const ip = canonicalIp(unmapV4(s.remoteAddress));
        const known = resolver.knownNames(ip);
        return connectionOf(s, known.length > 0 ? known : (reverse.get(ip) ?? []));
      });
      drafts = evaluateEgress(connections, allowlist, resolver);
    }
    return this.commit('egress', trigger, startedAt, startedMono, snapshot, connections.length, drafts, (sampleId, current, changes) => ({
      status: 'ok' as const,
      ...base,
      tool: snapshot.tool,
      connections,
      findings: current,
      dns: this.dnsSummary(),
      ...this.sampleInfo(startedAt, sampleId, snapshot, this.opts.clock.monotonic() - startedMono, changes, null),
    }));
  }

  private dnsSummary(): EgressReport['dns'] {
    return this.opts.resolver.forwardEntries().map((e) => ({
      host: e.host,
      ips: [...e.ips].sort(),
      resolved_at: e.resolvedAt === null ? null : new Date(e.resolvedAt).toISOString(),
      error: e.error,
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Recording
  // -------------------------------------------------------------------------------------------

  private sampleInfo(startedAt: number, sampleId: number | null, snapshot: SocketSnapshot | null, durationMs: number | null, changes: { added: number; removed: number }, error: string | null) {
    return {
      generated_at_utc: new Date(startedAt).toISOString(),
      sample_id: sampleId,
      duration_ms: durationMs === null ? null : Math.round(durationMs * 10) / 10,
      fallback_reason: snapshot?.fallbackReason ?? null,
      coverage: snapshot?.coverage ?? null,
      changes,
      error,
    };
  }

  /** Findings lifecycle, the sample row and the latest report in one transaction; then the assessment file and listeners. */
  private commit<D extends FindingDraft, R extends PortReport | EgressReport>(
    monitor: Monitor,
    trigger: Trigger,
    startedAt: number,
    startedMono: number,
    snapshot: SocketSnapshot,
    items: number,
    drafts: readonly D[],
    build: (sampleId: number, current: Array<D & Lifecycle>, changes: { added: number; removed: number }) => R,
  ): R {
    const { report, changes } = this.opts.audit.transact((record) => {
      const reconciled = this.findings.reconcile(monitor, drafts, startedAt, this.opts.self, record);
      const added = reconciled.changes.filter((c) => c.change === 'added').length;
      const removed = reconciled.changes.length - added;
      const sampleId = Number(
        this.insertSample.run({
          monitor,
          started_at: new Date(startedAt).toISOString(),
          duration_ms: this.opts.clock.monotonic() - startedMono,
          trigger,
          tool: snapshot.tool,
          sockets: snapshot.coverage.sockets,
          attributed: snapshot.coverage.attributed,
          unattributed: snapshot.coverage.unattributed,
          items,
          findings: drafts.length,
          added,
          removed,
          error: null,
        }).lastInsertRowid,
      );
      this.pruneSamples.run({ monitor });
      const built = build(sampleId, reconciled.current, { added, removed });
      this.upsertLatest.run({ monitor, sample_id: sampleId, report_json: JSON.stringify(built) });
      return { report: built, changes: reconciled.changes };
    });
    this.afterCommit(monitor, report, changes);
    return report;
  }

  /**
   * A sample that could not be taken: recorded with its error, findings left as they were (nothing
   * can be said to be resolved), the report says status "error" and lists the open findings.
   */
  private recordFailure<R extends PortReport | EgressReport>(
    monitor: Monitor,
    trigger: Trigger,
    startedAt: number,
    startedMono: number,
    err: unknown,
    build: (error: string, sampleId: number, openFindings: unknown[]) => R,
  ): never {
    const error = err instanceof Error ? err.message : String(err);
    this.opts.log.error({ monitor, err }, 'network sample failed');
    const report = this.opts.audit.transact(() => {
      const sampleId = Number(
        this.insertSample.run({
          monitor,
          started_at: new Date(startedAt).toISOString(),
          duration_ms: this.opts.clock.monotonic() - startedMono,
          trigger,
          tool: null,
          sockets: 0,
          attributed: 0,
          unattributed: 0,
          items: 0,
          findings: 0,
          added: 0,
          removed: 0,
          error,
        }).lastInsertRowid,
      );
      const open = this.findings.list({ monitor, state: 'open', limit: 1000 }).map((f) => ({ ...f.data, first_seen: f.first_seen, last_seen: f.last_seen, occurrences: f.occurrences }));
      const built = build(error, sampleId, open);
      this.upsertLatest.run({ monitor, sample_id: sampleId, report_json: JSON.stringify(built) });
      return built;
    });
    this.afterCommit(monitor, report, []);
    if (err instanceof SamplerUnavailableError) throw new RpcError('SamplerUnavailable', error);
    throw err;
  }

  private afterCommit(monitor: Monitor, report: PortReport | EgressReport, changes: readonly FindingChange[]): void {
    const file = join(this.opts.layout.assessmentsDir, monitor === 'ports' ? 'port-monitor-latest.json' : 'egress-monitor-latest.json');
    try {
      writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
    } catch (err) {
      this.opts.log.error({ err, file }, 'could not write the monitor report; the database holds it (ocsecctl ports/egress --json)');
    }
    if (changes.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(monitor, changes);
      } catch (err) {
        this.opts.log.error({ err, monitor }, 'a findings listener failed');
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Baseline and rule writes
  // -------------------------------------------------------------------------------------------

  /**
   * A baseline from what listens now: one rule per port/protocol/command, sorted, with host (the
   * widest bind seen), user and pid kept for the reviewer, and the justification, expiry and
   * comment of a rule already in force for the same service carried over. Written to a review file;
   * with `write`, also to approved_ports.json (the old one backed up).
   */
  async proposeBaseline(write: boolean, actor: Actor) {
    const state = this.opts.policies.stateOf(APPROVED);
    if (write && state?.status === 'invalid') {
      throw new RpcError('PolicyInvalid', `approved_ports.json is invalid (${state.problem ? formatProblem(state.problem) : 'unreadable'}); fix or remove it first (ocsecctl policy check), so its content is not overwritten`);
    }
    const snapshot = await this.opts.sampler.sample().catch((err: unknown) => {
      throw err instanceof SamplerUnavailableError ? new RpcError('SamplerUnavailable', err.message) : err;
    });
    const approvedPath = this.opts.policies.pathOf(APPROVED);
    const existing = this.readRawRules(approvedPath);
    const keyOf = (port: unknown, protocol: unknown, command: unknown) => `${String(port)}/${String(protocol ?? 'tcp').toLowerCase()}/${typeof command === 'string' ? command.toLowerCase() : ''}`;
    const previous = new Map(existing.map((rule) => [keyOf(rule.port, rule.protocol, rule.command), rule]));
    const grouped = new Map<string, ListeningService[]>();
    for (const { service } of listeningServices(snapshot.sockets)) {
      const key = keyOf(service.port, service.protocol, service.command);
      grouped.set(key, [...(grouped.get(key) ?? []), service]);
    }
    const rules = [...grouped.entries()].map(([key, services]) => {
      const widest = services.find((s) => s.bind_scope === 'wildcard') ?? services.find((s) => s.bind_scope === 'address') ?? services[0]!;
      const first = services[0]!;
      const carried = previous.get(key);
      return withoutUndefined({
        port: first.port,
        protocol: first.protocol,
        command: first.command ?? undefined,
        host: widest.bind_scope === 'wildcard' ? '*' : widest.host,
        user: first.user ?? undefined,
        pid: first.pid ?? undefined,
        justification: carried?.justification,
        expires: carried?.expires,
        comment: carried?.comment ?? (first.command === null ? 'owner not visible to ocsecd when proposed: review which service this is' : undefined),
      });
    });
    rules.sort((a, b) => (a.port as number) - (b.port as number) || String(a.protocol).localeCompare(String(b.protocol)) || String(a.command ?? '').localeCompare(String(b.command ?? '')));
    const proposedKeys = new Set(rules.map((r) => keyOf(r.port, r.protocol, r.command)));
    const dropped = existing.filter((rule) => !proposedKeys.has(keyOf(rule.port, rule.protocol, rule.command)));
    const text = JSON.stringify(rules, null, 2) + '\n';
    const reviewFile = join(this.opts.layout.assessmentsDir, 'approved_ports.proposed.json');
    writeFileAtomic(reviewFile, text);
    let backup: string | null = null;
    if (write) {
      const stamp = new Date(this.opts.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      backup = this.writePolicyFile(APPROVED, text, actor, 'ports.baseline_written', { rules: rules.length, dropped: dropped.length, review_file: reviewFile }, stamp);
    }
    return { rules, reviewFile, approvedFile: approvedPath, written: write, backupFile: backup, dropped, sampledAt: new Date(snapshot.takenAt).toISOString() };
  }

  /** Adds one rule to approved_ports.json, or updates the rule for the same port/protocol/command/host. */
  approvePort(params: z.output<typeof approvedPortRuleParams>, actor: Actor) {
    const raw = withoutUndefined({ ...params, protocol: params.protocol ?? 'tcp' });
    const parsed = approvedPortRuleSchema.safeParse(raw);
    if (!parsed.success) throw invalidRule(parsed.error);
    const same = (rule: Record<string, unknown>) =>
      rule.port === raw.port &&
      String(rule.protocol ?? 'tcp').toLowerCase() === raw.protocol &&
      String(rule.command ?? '').toLowerCase() === String(raw.command ?? '').toLowerCase() &&
      String(rule.host ?? '') === String(raw.host ?? '');
    return this.upsertRule(APPROVED, raw, same, approvedPortsSchema, 'ports.rule_approved', actor);
  }

  /** Adds one rule to egress_allowlist.json (or updates the rule with the same selectors); new host names are resolved at once. */
  async allowEgress(params: z.output<typeof egressRuleParams>, actor: Actor) {
    const raw = withoutUndefined({ ...params, protocol: params.protocol ?? 'tcp' });
    const parsed = egressRuleSchema.safeParse(raw);
    if (!parsed.success) throw invalidRule(parsed.error);
    const selectors = ['protocol', 'port', 'command', 'host', 'host_regex', 'cidr'];
    const same = (rule: Record<string, unknown>) => selectors.every((k) => JSON.stringify(rule[k] ?? (k === 'protocol' ? 'tcp' : null)) === JSON.stringify(raw[k] ?? null));
    const result = this.upsertRule(ALLOWLIST, raw, same, egressAllowlistSchema, 'egress.rule_allowed', actor);
    await this.resolveAllowlistNames();
    return result;
  }

  private readRawRules(path: string): Array<Record<string, unknown>> {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    try {
      const value: unknown = JSON.parse(text);
      return Array.isArray(value) ? value.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r)) : [];
    } catch {
      return [];
    }
  }

  private upsertRule(
    name: typeof APPROVED | typeof ALLOWLIST,
    raw: Record<string, unknown>,
    same: (rule: Record<string, unknown>) => boolean,
    schema: typeof approvedPortsSchema | typeof egressAllowlistSchema,
    action: string,
    actor: Actor,
  ) {
    const state = this.opts.policies.stateOf(name);
    const path = this.opts.policies.pathOf(name);
    if (state?.status === 'invalid') {
      throw new RpcError('PolicyInvalid', `${name} is invalid (${state.problem ? formatProblem(state.problem) : 'unreadable'}); fix it first (ocsecctl policy check), so its content is not overwritten`);
    }
    const rules = this.readRawRules(path);
    const index = rules.findIndex(same);
    const replaced = index >= 0;
    const rule = replaced ? { ...rules[index]!, ...raw } : raw;
    if (replaced) rules[index] = rule;
    else rules.push(rule);
    const text = JSON.stringify(rules, null, 2) + '\n';
    const check = schema.safeParse(JSON.parse(text));
    if (!check.success) throw new RpcError('PolicyInvalid', `the new ${name} would be invalid: ${fieldPath(check.error.issues[0]!.path)}: ${check.error.issues[0]!.message}`);
    this.writePolicyFile(name, text, actor, action, { rule, index: replaced ? index : rules.length - 1, replaced });
    return { file: path, index: replaced ? index : rules.length - 1, rule, replaced };
  }

  /**
   * Replaces a policy file: the audit event and the rename commit together (the file is renamed
   * inside the transaction and restored if the commit fails), then the store reloads it.
   */
  private writePolicyFile(name: typeof APPROVED | typeof ALLOWLIST, text: string, actor: Actor, action: string, data: Record<string, unknown>, backupStamp?: string): string | null {
    const path = this.opts.policies.pathOf(name);
    let previousText: string | null = null;
    try {
      previousText = readFileSync(path, 'utf8');
    } catch {
      previousText = null;
    }
    const backup = backupStamp ? backupFile(path, backupStamp) : null;
    const tmp = writeTempFile(path, text);
    let renamed = false;
    try {
      this.opts.audit.transact((record) => {
        record({ action, actor, subject: path, data: { ...data, file: name, backup, previous_sha256: previousText === null ? null : sha256(previousText), sha256: sha256(text) } });
        commitTempFile(tmp, path);
        renamed = true;
      });
    } catch (err) {
      if (renamed) {
        if (previousText === null) rmSync(path, { force: true });
        else writeFileAtomic(path, previousText);
      }
      throw err;
    }
    this.opts.policies.loadPolicyFile(name, 'reload');
    return backup;
  }
}
