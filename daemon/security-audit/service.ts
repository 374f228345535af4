/** Runs the OpenClaw installation audit (on request and on schedule), applies the safe chmods, stores each run and builds baselines. */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Layout } from '../../client/layout.js';
import { DEFAULT_SECURITY_SCOPES, SECURITY_SCOPES, type BaselineSnapshot, type FixReport, type SecurityAuditResult, type SecurityScope, type SkillReport } from '../../client/security-report.js';
import type { Actor, AuditTrail } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import { RpcError } from '../errors.js';
import type { Job } from '../jobs.js';
import type { Db } from '../store/db.js';
import { buildBaseline } from './baseline.js';
import { CHECKS, type AuditFacts, type CheckDef, type LogScan, type Outcome } from './checks.js';
import {
  findOpenClawPackage,
  npmAudit,
  probeFirewall,
  procListenerSource,
  readCrontab,
  readLaunchAgents,
  readSystemdUserTimers,
  runCommand,
  syncedFolderOf,
  type CommandRunner,
  type ListenerSource,
  type OpenClawPackage,
} from './host.js';
import { loadInstallation, type Installation } from './installation.js';
import { applyFix, autoFixScope, logDirectories, modeIssues, observe, permissionTargets, planFixes } from './permissions.js';
import { buildReport, type CheckResult } from './report.js';
import { vendorSecretsIn } from './secrets.js';
import { discoverSkills, knownHostMatcher, loadSkillAuditData, scanSkill, type SkillAuditData } from './skills.js';
import { readSetting } from './settings.js';

/** Runs kept in the database (a year of daily runs plus manual ones); older ones are pruned. */
export const KEPT_RUNS = 500;
const MAX_LOG_FILES = 20;
const MAX_LOG_BYTES = 16 * 1024 * 1024;
/** JSON fields whose values are credentials when they reach a log unredacted. */
const LOGGED_SECRET_FIELD = /"(?:password|passwd|token|accessToken|refreshToken|apiKey|api_key|secret|clientSecret|authorization)"\s*:\s*"([^"]{8,})"/gi;

export interface HostProbes {
  listeners: ListenerSource;
  run: CommandRunner;
  findOpenClaw(env: NodeJS.ProcessEnv, home: string): Promise<OpenClawPackage | null>;
  platform: NodeJS.Platform;
}

export interface SecurityAuditOptions {
  layout: Layout;
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  self: Actor;
  env: NodeJS.ProcessEnv;
  home?: string;
  probes?: Partial<HostProbes>;
  /** The bundled skill lists; default policies/skill-audit.json. */
  skillData?: SkillAuditData;
}

export interface AuditRequest {
  deep: boolean;
  scope?: readonly SecurityScope[];
  fix: boolean;
  dryRun: boolean;
  trigger: 'manual' | 'scheduled';
  actor: Actor;
}

/** The scopes a run covers: those asked for; else all but the skills scan, which joins with --deep. */
export function effectiveScopes(deep: boolean, scope: readonly SecurityScope[] | undefined): SecurityScope[] {
  if (scope && scope.length > 0) return SECURITY_SCOPES.filter((s) => scope.includes(s));
  return deep ? [...SECURITY_SCOPES] : [...DEFAULT_SECURITY_SCOPES];
}

async function scanLogFile(path: string): Promise<LogScan | null> {
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) return null;
  const handle = await open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    const length = Math.min(st.size, MAX_LOG_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, 0);
    const secrets: LogScan['secrets'] = [];
    buf
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (secrets.length >= 50) return;
        for (const s of vendorSecretsIn(line)) secrets.push({ kind: s.kind, masked: s.masked, line: i + 1 });
        for (const m of line.matchAll(LOGGED_SECRET_FIELD)) {
          const value = m[1]!;
          if (/^\[?(redacted|\*+|…|\.\.\.)\]?$/i.test(value) || /REDACTED|\*\*\*/.test(value)) continue;
          if (secrets.some((s) => s.line === i + 1)) continue;
          secrets.push({ kind: 'sensitive field', masked: `${m[0].split(':')[0]}: …(${value.length} chars)`, line: i + 1 });
        }
      });
    return { path, size: st.size, secrets };
  } finally {
    await handle.close();
  }
}

async function logFiles(inst: Installation): Promise<string[]> {
  const { dirs, files } = logDirectories(inst);
  const found = new Set(files);
  for (const dir of dirs) for (const f of (await readdir(dir).catch(() => [] as string[])).sort()) if (f.endsWith('.log')) found.add(join(dir, f));
  return [...found].slice(0, MAX_LOG_FILES);
}

/** One log at a time: each may be read up to MAX_LOG_BYTES, and twenty at once would be a lot of memory. */
async function scanLogs(inst: Installation): Promise<LogScan[]> {
  const scans: LogScan[] = [];
  for (const path of await logFiles(inst)) {
    const scan = await scanLogFile(path);
    if (scan) scans.push(scan);
  }
  return scans;
}

async function logrotateMentions(inst: Installation): Promise<boolean> {
  const file = inst.config ? readSetting(inst.config, 'loggingFile').value : undefined;
  for (const entry of await readdir('/etc/logrotate.d').catch(() => [] as string[])) {
    const text = await readFile(join('/etc/logrotate.d', entry), 'utf8').catch(() => '');
    if (/openclaw/i.test(text) || (typeof file === 'string' && text.includes(file))) return true;
  }
  return false;
}

export class SecurityAuditService {
  private readonly probes: HostProbes;
  private readonly home: string;
  private skillData: SkillAuditData | null;
  /** One audit at a time: a fix must not interleave with another run's observations. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SecurityAuditOptions) {
    this.home = o.home ?? homedir();
    this.skillData = o.skillData ?? null;
    this.probes = {
      listeners: o.probes?.listeners ?? procListenerSource(),
      run: o.probes?.run ?? runCommand,
      findOpenClaw: o.probes?.findOpenClaw ?? findOpenClawPackage,
      platform: o.probes?.platform ?? process.platform,
    };
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves once no audit or baseline is running (shutdown waits for it before closing the database). */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private ownUid(): number {
    return process.getuid?.() ?? -1;
  }

  private async installation(): Promise<Installation> {
    return loadInstallation({ stateDir: this.o.layout.stateDir, home: this.home, env: this.o.env });
  }

  private async data(): Promise<SkillAuditData> {
    this.skillData ??= await loadSkillAuditData();
    return this.skillData;
  }

  private async scanSkills(inst: Installation, skills: Awaited<ReturnType<typeof discoverSkills>>): Promise<SkillReport[]> {
    const data = await this.data();
    const outbound = inst.config ? readSetting(inst.config, 'outboundAllowlist').value : undefined;
    const extra = Array.isArray(outbound) ? outbound.filter((x): x is string => typeof x === 'string').map((h) => h.toLowerCase()) : [];
    const isKnownHost = knownHostMatcher([...data.knownGoodDomains, ...extra]);
    const reports: SkillReport[] = [];
    for (const skill of skills) reports.push(await scanSkill(skill, { isKnownHost, officialSkills: data.officialSkills }));
    return reports;
  }

  private async gather(inst: Installation, scopes: readonly SecurityScope[], deep: boolean): Promise<AuditFacts> {
    const has = (s: SecurityScope) => scopes.includes(s);
    const observations = await observe(await permissionTargets(inst));
    const skills = has('config') || has('skills') ? await discoverSkills(inst) : [];
    const openclaw = await this.probes.findOpenClaw(this.o.env, this.home);
    return {
      inst,
      ownUid: this.ownUid(),
      deep,
      observations,
      modeIssues: modeIssues(observations, this.ownUid(), autoFixScope(inst)),
      listeners: has('network') ? await this.probes.listeners() : null,
      firewall: has('network') ? await probeFirewall(this.probes.run, this.probes.platform) : null,
      syncedFolder: has('permissions') ? await syncedFolderOf(inst.stateDir) : null,
      skills,
      skillReports: has('skills') ? await this.scanSkills(inst, skills) : null,
      openclaw,
      npmAudit: has('deps') && deep && openclaw ? await npmAudit(openclaw, this.probes.run, this.o.env) : null,
      logs: has('secrets') || has('logging') ? await scanLogs(inst) : [],
      installedPlugins: has('config') ? (await readdir(join(inst.stateDir, 'extensions')).catch(() => [] as string[])).sort() : [],
      logrotateConfigured: has('logging') ? await logrotateMentions(inst) : false,
    };
  }

  /** Applies (or, dry, only plans) the tightening chmods; every change is audited before it is made. */
  private applyFixes(facts: AuditFacts, dryRun: boolean, actor: Actor): FixReport {
    const plan = planFixes(facts.modeIssues);
    const changes = plan.map(({ path, from, to, command }) => ({ path, from, to, command }));
    if (dryRun || plan.length === 0) return { dryRun, changes, errors: [] };
    this.o.audit.append({ action: 'security.fix', actor, subject: facts.inst.stateDir, data: { changes } });
    const applied: typeof changes = [];
    const errors: FixReport['errors'] = [];
    for (const p of plan) {
      try {
        applyFix(p.issue, facts.ownUid);
        applied.push({ path: p.path, from: p.from, to: p.to, command: p.command });
      } catch (err) {
        errors.push({ path: p.path, message: (err as Error).message });
      }
    }
    this.o.audit.append({ action: 'security.fix.result', actor, subject: facts.inst.stateDir, data: { applied: applied.length, errors } });
    this.o.log.info({ applied: applied.length, errors: errors.length }, 'security audit fixes applied');
    return { dryRun, changes: applied, errors };
  }

  private evaluate(def: CheckDef, facts: AuditFacts): Outcome {
    if (def.needsConfig && facts.inst.config === null) return { status: 'not_assessed', reason: 'openclaw.json does not parse (see config.parse)' };
    try {
      return def.run(facts);
    } catch (err) {
      // A check that trips over an unexpected shape is reported, never allowed to sink the run.
      this.o.log.error({ err, check: def.id }, 'security check failed');
      return { status: 'not_assessed', reason: `the check failed: ${(err as Error).message}`, info: true };
    }
  }

  audit(req: AuditRequest): Promise<SecurityAuditResult> {
    return this.serialize(() => this.runAudit(req));
  }

  private async runAudit(req: AuditRequest): Promise<SecurityAuditResult> {
    const scopes = effectiveScopes(req.deep, req.scope);
    if (req.fix && !scopes.includes('permissions')) throw new RpcError('InvalidParams', 'Invalid params: params.fix: --fix changes file modes, so the scope must include "permissions"', { field: 'params.fix' });
    const startedAt = new Date(this.o.clock.now());
    const inst = await this.installation();
    let facts = await this.gather(inst, scopes, req.deep);
    let fix: FixReport | undefined;
    if (req.fix) {
      fix = this.applyFixes(facts, req.dryRun, req.actor);
      if (!req.dryRun && fix.changes.length > 0) {
        const observations = await observe(await permissionTargets(inst));
        facts = { ...facts, observations, modeIssues: modeIssues(observations, facts.ownUid, autoFixScope(inst)) };
      }
    }
    const results: CheckResult[] = CHECKS.filter((c) => scopes.includes(c.scope)).map((def) => ({ def, outcome: this.evaluate(def, facts) }));
    const finishedAt = new Date(this.o.clock.now());
    const { report, checks, band } = buildReport(results, { ts: finishedAt.toISOString(), openclawVersion: facts.openclaw?.version ?? null, skills: facts.skillReports ?? [], ...(fix ? { fix } : {}) });
    const partial: Omit<SecurityAuditResult, 'runId'> = { trigger: req.trigger, band, deep: req.deep, scope: scopes, stateDir: inst.stateDir, configPath: inst.configPath, report, checks };
    const configSha = inst.files.find((f) => f.role === 'main')?.sha256 ?? null;
    const runId = this.o.audit.transact((record) => {
      const id = Number(
        this.o.db
          .prepare(
            `INSERT INTO security_audit_runs (started_at, finished_at, trigger, deep, scope_json, score, band, critical, high, medium, low, info, passed, openclaw_version, config_sha256, result_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(startedAt.toISOString(), finishedAt.toISOString(), req.trigger, req.deep ? 1 : 0, JSON.stringify(scopes), report.score, band, report.summary.critical, report.summary.high, report.summary.medium, report.summary.low, report.summary.info, report.summary.passed, report.openclaw_version, configSha, JSON.stringify(partial)).lastInsertRowid,
      );
      const insertCheck = this.o.db.prepare('INSERT INTO security_audit_checks (run_id, check_id, scope, status, severity, reason) VALUES (?, ?, ?, ?, ?, ?)');
      for (const c of checks) insertCheck.run(id, c.checkId, c.scope, c.status, c.severity, c.reason);
      this.o.db.prepare('DELETE FROM security_audit_runs WHERE id <= ?').run(id - KEPT_RUNS);
      record({
        action: 'security.audit',
        actor: req.actor,
        subject: inst.configPath,
        data: { run_id: id, trigger: req.trigger, deep: req.deep, scope: scopes, score: report.score, band, summary: report.summary, config_sha256: configSha, openclaw_version: report.openclaw_version },
      });
      return id;
    });
    return { runId, ...partial };
  }

  /** The most recent stored run, or null before the first one. */
  latest(): SecurityAuditResult | null {
    const row = this.o.db.prepare('SELECT id, result_json FROM security_audit_runs ORDER BY id DESC LIMIT 1').get() as { id: number; result_json: string } | undefined;
    return row ? { runId: row.id, ...(JSON.parse(row.result_json) as Omit<SecurityAuditResult, 'runId'>) } : null;
  }

  /** The per-install key for baseline fingerprints, created once and kept in the database. */
  private fingerprintKey(): Buffer {
    const row = this.o.db.prepare("SELECT value FROM security_audit_keys WHERE name = 'baseline-fingerprint'").get() as { value: Buffer } | undefined;
    if (row) return row.value;
    const key = randomBytes(32);
    this.o.db.prepare("INSERT INTO security_audit_keys (name, value) VALUES ('baseline-fingerprint', ?)").run(key);
    return key;
  }

  baseline(): Promise<BaselineSnapshot> {
    return this.serialize(async () => {
      const inst = await this.installation();
      const observations = await observe(await permissionTargets(inst));
      const skills = await this.scanSkills(inst, await discoverSkills(inst));
      const openclaw = await this.probes.findOpenClaw(this.o.env, this.home);
      return buildBaseline({
        inst,
        now: new Date(this.o.clock.now()),
        openclawVersion: openclaw?.version ?? null,
        fingerprintKey: this.fingerprintKey(),
        observations,
        skills: skills.map((s) => ({ name: s.name, path: s.path, source: s.source, hash: s.hash })),
        listeners: await this.probes.listeners(),
        egressAllowlistPath: this.o.layout.policyFiles.egressAllowlist,
        crontab: await readCrontab(this.probes.run),
        timers: await readSystemdUserTimers(this.home),
        launchAgents: await readLaunchAgents(this.home),
      });
    });
  }

  /** The daily run: every scope (skills included), no npm audit, no changes. */
  job(schedule: string): Job {
    return {
      name: 'security-audit',
      schedule,
      run: async () => {
        const result = await this.audit({ deep: false, scope: SECURITY_SCOPES, fix: false, dryRun: false, trigger: 'scheduled', actor: this.o.self });
        this.o.log.info({ runId: result.runId, score: result.report.score, band: result.band, summary: result.report.summary }, 'scheduled security audit');
      },
    };
  }
}
