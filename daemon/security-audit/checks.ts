/**
 * The audit's checks: one registry entry per checkId with its scope, nominal severity and the settings
 * it reads; each turns the gathered facts into passed, failed (findings) or not assessed (with why).
 */
import type { SecurityScope, Severity, SkillReport } from '../../client/security-report.js';
import { redactString } from '../audit/redact.js';
import type { FirewallState, ListenerSample, NpmAuditResult, OpenClawPackage } from './host.js';
import { isLoopback } from '../network/addresses.js';
import { lineOf, type AgentView, type Installation } from './installation.js';
import { CATEGORY_LABEL, chmodCommand, octal, shellQuote as q, type PermCategory, type PermIssue, type PermObservation } from './permissions.js';
import { estimateEntropyBits, findConfigSecrets, maskSecret, vendorSecretsIn, type ConfigSecret } from './secrets.js';
import { readAgentSetting, readSetting, type SettingName } from './settings.js';
import type { SkillLocation } from './skills.js';

export const DEFAULT_GATEWAY_PORT = 18789;
export const MIN_TOKEN_LENGTH = 32;
export const MIN_TOKEN_BITS = 128;
export const MIN_PASSWORD_LENGTH = 16;
export const MIN_SECRET_KEY_BITS = 256;
const MAX_LISTED_PATHS = 50;
const MAX_EVIDENCE_PATHS = 200;
const HIGH_RISK_TOOLS = ['exec', 'system.run', 'bash', 'python', 'node', 'apply_patch'] as const;

export interface LogScan {
  path: string;
  size: number;
  secrets: Array<{ kind: string; masked: string; line: number }>;
}

/** Everything the checks look at, gathered once per run by the service (only for the scopes asked). */
export interface AuditFacts {
  inst: Installation;
  ownUid: number;
  deep: boolean;
  observations: PermObservation[];
  modeIssues: PermIssue[];
  listeners: ListenerSample | null;
  firewall: FirewallState | null;
  syncedFolder: string | null;
  skills: SkillLocation[];
  skillReports: SkillReport[] | null;
  openclaw: OpenClawPackage | null;
  npmAudit: NpmAuditResult | null;
  logs: LogScan[];
  /** Plugin directories installed under <state>/extensions. */
  installedPlugins: string[];
  /** A logrotate rule that names OpenClaw's logs exists. */
  logrotateConfigured: boolean;
}

export interface FindingInput {
  severity: Severity;
  title: string;
  detail: string;
  remediation: string;
  fixable?: boolean;
  evidence?: Record<string, unknown>;
}

export type Outcome =
  | { status: 'passed'; detail: string }
  | { status: 'failed'; findings: FindingInput[] }
  | { status: 'not_assessed'; reason: string; remediation?: string; info?: boolean };

export interface CheckDef {
  id: string;
  scope: SecurityScope;
  /** The worst this check reports: the weight it carries in the score. */
  severity: Severity;
  title: string;
  reads: readonly SettingName[];
  /** Reads openclaw.json: not assessed when it does not parse. */
  needsConfig: boolean;
  run(f: AuditFacts): Outcome;
}

const passed = (detail: string): Outcome => ({ status: 'passed', detail });
const failed = (...findings: FindingInput[]): Outcome => ({ status: 'failed', findings });
const notAssessed = (reason: string, info = false, remediation?: string): Outcome => ({ status: 'not_assessed', reason, info, ...(remediation ? { remediation } : {}) });

function cfg(f: AuditFacts): Record<string, unknown> {
  return f.inst.config ?? {};
}

function setting(f: AuditFacts, name: SettingName) {
  return readSetting(cfg(f), name);
}

/** A value for a message: JSON, short, credential shapes masked. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return redactString(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// ---------------------------------------------------------------------------------------------
// Exposure: where the gateway listens, from the configuration

export interface Exposure {
  bind: string;
  /** loopback; tailnet (Tailscale addresses only); wildcard (all interfaces); address (one non-loopback address); invalid. */
  kind: 'loopback' | 'tailnet' | 'wildcard' | 'address' | 'invalid';
  address: string | null;
  /** Reachable from anything but this machine. */
  exposed: boolean;
}

function classifyAddress(addr: string): Exposure['kind'] {
  const a = addr.trim().toLowerCase();
  if (a === 'localhost' || isLoopback(a)) return 'loopback';
  if (a === '0.0.0.0' || a === '::' || a === '*' || a === '[::]') return 'wildcard';
  if (/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(a) || /^fd7a:115c:a1e0:/i.test(a)) return 'tailnet';
  return 'address';
}

export function gatewayExposure(config: Record<string, unknown>): Exposure {
  const raw = readSetting(config, 'gatewayBind').value;
  const bind = typeof raw === 'string' ? raw : raw === undefined ? 'loopback' : String(raw);
  const make = (kind: Exposure['kind'], address: string | null): Exposure => ({ bind, kind, address, exposed: kind !== 'loopback' && kind !== 'invalid' });
  switch (bind) {
    case 'loopback':
      return make('loopback', '127.0.0.1');
    // `auto` prefers loopback; the live listening check catches a fallback to the LAN.
    case 'auto':
      return make('loopback', '127.0.0.1');
    case 'lan':
      return make('wildcard', '0.0.0.0');
    case 'tailnet':
      return make('tailnet', null);
    case 'custom': {
      const host = readSetting(config, 'gatewayCustomBindHost').value;
      return typeof host === 'string' && host.length > 0 ? make(classifyAddress(host), host) : make('invalid', null);
    }
    default:
      return /^[0-9a-f.:[\]*]+$/i.test(bind) || bind === 'localhost' ? make(classifyAddress(bind), bind) : make('invalid', null);
  }
}

function gatewayPort(config: Record<string, unknown>): number {
  const p = readSetting(config, 'gatewayPort').value;
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : DEFAULT_GATEWAY_PORT;
}

function authMode(f: AuditFacts): string {
  const mode = setting(f, 'gatewayAuthMode').value;
  return typeof mode === 'string' ? mode : 'token';
}

function isTailscaleFunnel(f: AuditFacts): boolean {
  return setting(f, 'gatewayTailscaleMode').value === 'funnel';
}

function isReachableBeyondHost(f: AuditFacts): boolean {
  return gatewayExposure(cfg(f)).exposed || isTailscaleFunnel(f);
}

function httpApisEnabled(f: AuditFacts): string[] {
  return (['httpChatCompletions', 'httpResponses'] as const).filter((n) => setting(f, n).value === true).map((n) => setting(f, n).path);
}

interface Credential {
  kind: 'token' | 'password';
  value: string;
  /** Where it came from: a key path, or an environment variable (and which file). */
  source: string;
}

/** The gateway's credential as OpenClaw resolves it: config first, then OPENCLAW_GATEWAY_TOKEN/PASSWORD (daemon env or <state>/.env). */
function gatewayCredential(f: AuditFacts): Credential | null {
  const kind = authMode(f) === 'password' ? 'password' : 'token';
  const s = setting(f, kind === 'password' ? 'gatewayAuthPassword' : 'gatewayAuthToken');
  if (typeof s.value === 'string' && s.value.length > 0 && !/^\$\{/.test(s.value)) return { kind, value: s.value, source: s.path };
  const envName = kind === 'password' ? 'OPENCLAW_GATEWAY_PASSWORD' : 'OPENCLAW_GATEWAY_TOKEN';
  const fromFile = f.inst.envFile.entries.find((e) => e.key === envName);
  if (fromFile && fromFile.value.length > 0) return { kind, value: fromFile.value, source: `${envName} in ${f.inst.envFile.path}` };
  const fromEnv = f.inst.env[envName];
  if (fromEnv && fromEnv.length > 0) return { kind, value: fromEnv, source: `${envName} in ocsecd's environment` };
  return null;
}

const GENERATE_TOKEN = 'openssl rand -hex 32, then openclaw config set gateway.auth.token <token> (or OPENCLAW_GATEWAY_TOKEN in ~/.openclaw/.env)';

// ---------------------------------------------------------------------------------------------
// Tools

interface ToolPolicy {
  who: string;
  /** Key prefixes for remediation: `tools.` / `agents.defaults.sandbox.` or the agent's own. */
  toolsKey: string;
  sandboxKey: string;
  profile: unknown;
  allow: unknown;
  deny: unknown;
  execAsk: unknown;
  execSecurity: unknown;
  sandbox: unknown;
  elevatedAllowFrom: unknown;
  workspaceOnly: unknown;
}

function policies(f: AuditFacts): ToolPolicy[] {
  const d: ToolPolicy = {
    who: 'defaults',
    toolsKey: 'tools.',
    sandboxKey: 'agents.defaults.sandbox.',
    profile: setting(f, 'toolsProfile').value,
    allow: setting(f, 'toolsAllow').value,
    deny: setting(f, 'toolsDeny').value,
    execAsk: setting(f, 'execAsk').value,
    execSecurity: setting(f, 'execSecurity').value,
    sandbox: setting(f, 'sandboxMode').value,
    elevatedAllowFrom: setting(f, 'elevatedAllowFrom').value,
    workspaceOnly: setting(f, 'fsWorkspaceOnly').value,
  };
  const over = (a: AgentView, name: Parameters<typeof readAgentSetting>[1], fallback: unknown) => {
    const v = readAgentSetting(a.value, name);
    return v.present ? v.value : fallback;
  };
  return [
    d,
    ...f.inst.agents.map((a) => ({
      who: `agent "${a.id}" (${a.source})`,
      toolsKey: `${a.source}.tools.`,
      sandboxKey: `${a.source}.sandbox.`,
      profile: over(a, 'toolsProfile', d.profile),
      allow: over(a, 'toolsAllow', d.allow),
      deny: over(a, 'toolsDeny', d.deny),
      execAsk: over(a, 'execAsk', d.execAsk),
      execSecurity: over(a, 'execSecurity', d.execSecurity),
      sandbox: over(a, 'sandboxMode', d.sandbox),
      elevatedAllowFrom: over(a, 'elevatedAllowFrom', d.elevatedAllowFrom),
      workspaceOnly: over(a, 'fsWorkspaceOnly', d.workspaceOnly),
    })),
  ];
}

const TOOL_GROUPS: Record<string, readonly string[]> = {
  'group:runtime': ['exec', 'bash', 'process', 'system.run'],
  'group:fs': ['read', 'write', 'edit', 'apply_patch'],
};
const PROFILE_TOOLS: Record<string, readonly string[] | '*'> = {
  minimal: [],
  messaging: [],
  coding: ['exec', 'bash', 'apply_patch', 'python', 'node', 'system.run'],
  full: '*',
};

function listCovers(list: unknown, tool: string): boolean {
  const entries = stringList(list);
  return entries.some((e) => e === '*' || e === tool || (tool === 'bash' && e === 'exec') || (tool === 'exec' && e === 'bash') || (TOOL_GROUPS[e]?.includes(tool) ?? false));
}

/** High-risk tools a policy leaves available: deny wins; an allow list limits; else the profile decides (unset = full). */
export function allowedHighRiskTools(p: Pick<ToolPolicy, 'profile' | 'allow' | 'deny'>): string[] {
  return HIGH_RISK_TOOLS.filter((tool) => {
    if (listCovers(p.deny, tool)) return false;
    if (Array.isArray(p.allow)) return listCovers(p.allow, tool);
    const byProfile = PROFILE_TOOLS[typeof p.profile === 'string' ? p.profile : 'full'] ?? '*';
    return byProfile === '*' || byProfile.includes(tool);
  });
}

function hasExecApproval(p: ToolPolicy, f: AuditFacts): boolean {
  return p.execAsk === 'on-miss' || p.execAsk === 'always' || p.execSecurity === 'deny' || p.execSecurity === 'allowlist' || setting(f, 'execApprovalRequired').value === true;
}

function hasWildcard(v: unknown): boolean {
  if (v === '*') return true;
  if (Array.isArray(v)) return v.some(hasWildcard);
  if (isObject(v)) return Object.values(v).some(hasWildcard);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Permissions

function permCheck(id: string, categories: readonly PermCategory[], severity: Severity): CheckDef {
  const label = categories.map((c) => CATEGORY_LABEL[c]).join(', ');
  return {
    id,
    scope: 'permissions',
    severity,
    title: `Permissions of ${label}`,
    reads: categories.includes('logs') ? ['loggingFile', 'auditLogPath'] : [],
    needsConfig: false,
    run(f) {
      const observed = f.observations.filter((o) => categories.includes(o.category));
      if (observed.length === 0) return passed(`none present`);
      const issues = f.modeIssues.filter((i) => categories.includes(i.observation.category));
      if (issues.length === 0) return passed(`${observed.length} path(s) private enough`);
      const worst = issues.reduce((w, i) => (SEVERITY_RANK[i.severity] < SEVERITY_RANK[w] ? i.severity : w), 'info' as Severity);
      const fixable = issues.every((i) => i.fixable);
      const first = issues[0]!.observation;
      const title =
        issues.length === 1
          ? `${first.path} has mode ${octal(first.mode).slice(1)} (should be ${first.want.toString(8)}): ${issues[0]!.reason}`
          : `${issues.length} paths among ${label} are more open than they should be`;
      // Thousands of session files must not make a thousand-line finding: list some, fix all.
      const shown = issues.slice(0, MAX_LISTED_PATHS);
      const more = issues.length > shown.length ? `\n… and ${issues.length - shown.length} more` : '';
      return failed({
        severity: worst,
        title,
        detail: shown.map((i) => `${i.observation.path} ${octal(i.observation.mode)} → want ${octal(i.observation.want)} (${i.reason})${i.observation.type === 'symlink' ? ' [symlink]' : ''}${i.fixable ? '' : ' [not fixable automatically]'}`).join('\n') + more,
        remediation: shown.map((i) => (i.fixable ? chmodCommand(i.fixMode, i.observation.path) : `chmod ${i.observation.want.toString(8)} ${i.observation.type === 'symlink' ? `"$(readlink -f ${q(i.observation.path)})"` : q(i.observation.path)}${i.observation.uid !== f.ownUid ? ` (owned by uid ${i.observation.uid})` : ''}`)).join('\n') + more + (fixable ? '\n(or: ocsecctl security audit --fix)' : ''),
        fixable,
        evidence: { count: issues.length, paths: issues.slice(0, MAX_EVIDENCE_PATHS).map((i) => ({ path: i.observation.path, mode: octal(i.observation.mode), want: octal(i.observation.want), type: i.observation.type, uid: i.observation.uid, fixable: i.fixable })) },
      });
    },
  };
}

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

// ---------------------------------------------------------------------------------------------
// The registry

export const CHECKS: readonly CheckDef[] = [
  // ---- config
  {
    id: 'config.parse',
    scope: 'config',
    severity: 'high',
    title: 'openclaw.json parses',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.inst.configExists) {
        return failed({
          severity: 'info',
          title: `No openclaw.json at ${f.inst.configPath}; OpenClaw's defaults assumed`,
          detail: 'Without a configuration file the gateway runs on its defaults; the checks below evaluate those.',
          remediation: 'openclaw onboard (or openclaw config set ...) to write a configuration',
          evidence: { file: f.inst.configPath },
        });
      }
      if (f.inst.problems.length === 0) return passed(`${f.inst.files.length} file(s) read as JSON5`);
      return failed(
        ...f.inst.problems.map((p) => ({
          severity: 'high' as Severity,
          title: `${p.file}${p.line > 0 ? `:${p.line}:${p.column}` : ''}: ${p.message}`,
          detail: 'The gateway refuses to start with a configuration it cannot read; the checks that read openclaw.json are not assessed until it parses.',
          remediation: `Fix ${p.file}${p.line > 0 ? ` at line ${p.line}, column ${p.column}` : ''}, then re-run the audit (openclaw doctor also reports it).`,
          evidence: { file: p.file, line: p.line, column: p.column, message: p.message },
        })),
      );
    },
  },
  {
    id: 'tools.exec_approval',
    scope: 'config',
    severity: 'high',
    title: 'High-risk tools need exec approval',
    reads: ['toolsProfile', 'toolsAllow', 'toolsDeny', 'execAsk', 'execSecurity', 'execApprovalRequired', 'sandboxMode', 'agentsList', 'agentsEntries'],
    needsConfig: true,
    run(f) {
      const bad = policies(f)
        .map((p) => ({ p, tools: allowedHighRiskTools(p) }))
        .filter(({ p, tools }) => tools.length > 0 && !hasExecApproval(p, f));
      if (bad.length === 0) return passed('high-risk tools are denied or need approval');
      return failed(
        ...bad.map(({ p, tools }) => ({
          severity: (p.sandbox === 'all' ? 'medium' : 'high') as Severity,
          title: `${p.who}: high-risk tools allowed without exec approval (${tools.join(', ')})`,
          detail: `tools.profile=${show(p.profile ?? 'full (default)')}, tools.allow=${show(p.allow ?? null)}, tools.deny=${show(p.deny ?? null)}, tools.exec.ask=${show(p.execAsk ?? null)}, tools.exec.security=${show(p.execSecurity ?? null)}${p.sandbox === 'all' ? '; they run sandboxed (sandbox.mode "all")' : ''}. A prompt injection can run commands on this host unasked.`,
          remediation: `openclaw config set ${q(`${p.toolsKey}exec.ask`)} on-miss   (and deny what the agent does not need: ${p.toolsKey}deny ["group:runtime"] or ${p.toolsKey}profile "messaging")`,
          evidence: { who: p.who, tools, keys: ['profile', 'allow', 'deny', 'exec.ask', 'exec.security'].map((k) => p.toolsKey + k) },
        })),
      );
    },
  },
  {
    id: 'tools.exec_security_full',
    scope: 'config',
    severity: 'high',
    title: 'Exec is not unrestricted without asking',
    reads: ['execSecurity', 'execAsk', 'agentsList', 'agentsEntries'],
    needsConfig: true,
    run(f) {
      const bad = policies(f).filter((p) => p.execSecurity === 'full' && p.execAsk === 'off');
      if (bad.length === 0) return passed('no policy combines exec.security "full" with exec.ask "off"');
      return failed(
        ...bad.map((p) => ({
          severity: 'high' as Severity,
          title: `${p.who}: tools.exec.security "full" with tools.exec.ask "off"`,
          detail: 'Any command runs on the host without an allowlist and without asking anyone.',
          remediation: `openclaw config set ${q(`${p.toolsKey}exec.security`)} allowlist && openclaw config set ${q(`${p.toolsKey}exec.ask`)} on-miss`,
          evidence: { who: p.who, keys: [`${p.toolsKey}exec.security`, `${p.toolsKey}exec.ask`] },
        })),
      );
    },
  },
  {
    id: 'tools.elevated_wildcard',
    scope: 'config',
    severity: 'high',
    title: 'Elevated exec is not open to everyone',
    reads: ['elevatedEnabled', 'elevatedAllowFrom', 'agentsList', 'agentsEntries'],
    needsConfig: true,
    run(f) {
      if (setting(f, 'elevatedEnabled').value === false) return passed('tools.elevated.enabled is false');
      const bad = policies(f).filter((p) => hasWildcard(p.elevatedAllowFrom));
      if (bad.length === 0) return passed('tools.elevated.allowFrom names senders');
      return failed(
        ...bad.map((p) => ({
          severity: 'high' as Severity,
          title: `${p.who}: tools.elevated.allowFrom contains "*"`,
          detail: `Anyone who can message the bot may run commands on the host outside the sandbox (allowFrom: ${show(p.elevatedAllowFrom)}).`,
          remediation: `List the sender ids that may use elevated exec in ${p.toolsKey}elevated.allowFrom.<channel>, or openclaw config set tools.elevated.enabled false`,
          evidence: { who: p.who, keys: [`${p.toolsKey}elevated.allowFrom`] },
        })),
      );
    },
  },
  {
    id: 'sandbox.mode',
    scope: 'config',
    severity: 'medium',
    title: 'Tools run sandboxed',
    reads: ['sandboxMode', 'agentsList', 'agentsEntries'],
    needsConfig: true,
    run(f) {
      const findings: FindingInput[] = [];
      for (const p of policies(f)) {
        const mode = p.sandbox ?? 'off';
        if (mode === 'all') continue;
        if (p.who !== 'defaults' && mode === (setting(f, 'sandboxMode').value ?? 'off')) continue; // same as the defaults: reported once
        findings.push({
          severity: mode === 'non-main' ? 'low' : 'medium',
          title: mode === 'non-main' ? `${p.who}: the main session runs tools on the host (sandbox.mode "non-main")` : `${p.who}: sandbox is off (sandbox.mode ${show(mode)})`,
          detail: 'Unsandboxed tools run with your user\'s full access to files, credentials and the network.',
          remediation: `openclaw config set ${q(`${p.sandboxKey}mode`)} all   (needs Docker; see openclaw sandbox explain)`,
          evidence: { who: p.who, value: mode, keys: [p.who === 'defaults' ? setting(f, 'sandboxMode').path : `${p.sandboxKey}mode`] },
        });
      }
      return findings.length === 0 ? passed('sandbox.mode "all"') : failed(...findings);
    },
  },
  {
    id: 'tools.fs_workspace_only',
    scope: 'config',
    severity: 'medium',
    title: 'File tools are limited to the workspace',
    reads: ['fsWorkspaceOnly', 'fileAccessAllowedPaths', 'agentsList', 'agentsEntries'],
    needsConfig: true,
    run(f) {
      const guidePaths = setting(f, 'fileAccessAllowedPaths');
      const bad = policies(f).filter((p) => p.workspaceOnly !== true && !(p.who === 'defaults' && Array.isArray(guidePaths.value) && guidePaths.value.length > 0));
      if (bad.length === 0) return passed('tools.fs.workspaceOnly is true');
      return failed(
        ...bad.map((p) => ({
          severity: 'medium' as Severity,
          title: `${p.who}: file tools can reach outside the workspace (tools.fs.workspaceOnly is ${show(p.workspaceOnly ?? 'unset')})`,
          detail: 'read/write/edit can open ~/.ssh, ~/.openclaw/credentials and anything else your user can.',
          remediation: `openclaw config set ${q(`${p.toolsKey}fs.workspaceOnly`)} true`,
          evidence: { who: p.who, keys: [`${p.toolsKey}fs.workspaceOnly`] },
        })),
      );
    },
  },
  {
    id: 'skills.allowlist',
    scope: 'config',
    severity: 'high',
    title: 'Installed skills are allow-listed',
    reads: ['skillsAllowed', 'skillsAllowBundled', 'skillsEntries'],
    needsConfig: true,
    run(f) {
      if (f.skills.length === 0) return passed('no skills installed outside the bundled set');
      const allowed = setting(f, 'skillsAllowed');
      const bundled = setting(f, 'skillsAllowBundled');
      const entries = setting(f, 'skillsEntries');
      // An entry explicitly enabled is an opt-in for that skill; the guide's skills.allowed and allowBundled list names.
      const enabled = isObject(entries.value) ? Object.entries(entries.value).filter(([, e]) => isObject(e) && e.enabled === true).map(([name]) => name) : [];
      const names = new Set([...stringList(allowed.value), ...stringList(bundled.value), ...enabled].map((n) => n.replace(/^official\//, '')));
      const configured = Array.isArray(allowed.value) || Array.isArray(bundled.value) || enabled.length > 0;
      const outside = f.skills.filter((s) => !names.has(s.name));
      if (outside.length === 0) return passed(`${f.skills.length} installed skill(s), all allow-listed`);
      const list = outside.map((s) => s.name);
      return failed({
        severity: configured ? 'medium' : 'high',
        title: `${outside.length} installed skill(s) not in an allowlist${configured ? '' : ' (no skills allowlist configured)'}`,
        detail: `Skills: ${list.join(', ')}. Each can instruct the agent and ship scripts it will run.`,
        remediation: `Remove the skills you do not use, disable the rest until reviewed (openclaw config set skills.entries.<name>.enabled false), and run ocsecctl security audit --scope skills`,
        evidence: { skills: outside.map((s) => ({ name: s.name, path: s.dir, source: s.source })), keys: [allowed.path, bundled.path, entries.path] },
      });
    },
  },
  {
    id: 'plugins.allow',
    scope: 'config',
    severity: 'medium',
    title: 'Plugins are allow-listed',
    reads: ['pluginsAllow', 'pluginsEntries', 'pluginsLoadPaths'],
    needsConfig: true,
    run(f) {
      const entries = setting(f, 'pluginsEntries').value;
      const paths = setting(f, 'pluginsLoadPaths').value;
      const present = [...(isObject(entries) ? Object.keys(entries) : []), ...stringList(paths), ...f.installedPlugins];
      if (present.length === 0) return passed('no plugins configured or installed');
      const allow = setting(f, 'pluginsAllow').value;
      if (Array.isArray(allow)) return passed(`plugins.allow lists ${allow.length} plugin(s)`);
      return failed({
        severity: 'medium',
        title: `Plugins without plugins.allow (${present.length} present)`,
        detail: `Plugins run in the gateway process with its full access. Present: ${[...new Set(present)].join(', ')}.`,
        remediation: 'openclaw config set plugins.allow \'["<plugin-id>", ...]\' with only the plugins you use',
        evidence: { plugins: [...new Set(present)], keys: ['plugins.allow'] },
      });
    },
  },
  {
    id: 'channels.dm_policy',
    scope: 'config',
    severity: 'high',
    title: 'Direct messages are not open to anyone',
    reads: ['channels'],
    needsConfig: true,
    run(f) {
      const findings = channelAccounts(f).flatMap(({ path, value }) => {
        const out: FindingInput[] = [];
        if (value.dmPolicy === 'open') out.push({ severity: 'high', title: `${path}.dmPolicy is "open": anyone can message the agent`, detail: 'Strangers can reach an agent that holds your tools and files.', remediation: `openclaw config set ${q(`${path}.dmPolicy`)} pairing`, evidence: { keys: [`${path}.dmPolicy`] } });
        if (hasWildcard(value.allowFrom)) out.push({ severity: 'high', title: `${path}.allowFrom contains "*"`, detail: 'Every sender is allowed.', remediation: `List sender ids in ${path}.allowFrom`, evidence: { keys: [`${path}.allowFrom`] } });
        return out;
      });
      return findings.length === 0 ? passed('no channel accepts direct messages from anyone') : failed(...findings);
    },
  },
  {
    id: 'channels.group_policy',
    scope: 'config',
    severity: 'medium',
    title: 'Groups are allow-listed',
    reads: ['channels'],
    needsConfig: true,
    run(f) {
      const findings = channelAccounts(f)
        .filter(({ value }) => value.groupPolicy === 'open')
        .map(({ path }) => ({ severity: 'medium' as Severity, title: `${path}.groupPolicy is "open"`, detail: 'Any group the bot is added to can drive the agent.', remediation: `openclaw config set ${q(`${path}.groupPolicy`)} allowlist`, evidence: { keys: [`${path}.groupPolicy`] } }));
      return findings.length === 0 ? passed('no channel has groupPolicy "open"') : failed(...findings);
    },
  },
  {
    id: 'security.allow_url_actions',
    scope: 'config',
    severity: 'high',
    title: 'URL actions disabled (hardening guide)',
    reads: ['allowUrlActions'],
    needsConfig: true,
    run(f) {
      const s = setting(f, 'allowUrlActions');
      if (!s.present) return notAssessed('security.allow_url_actions is not set (a hardening-guide key, not part of OpenClaw\'s own schema)');
      if (s.value === false) return passed('security.allow_url_actions is false');
      return failed({ severity: 'high', title: `security.allow_url_actions is ${show(s.value)}`, detail: 'URL-triggered actions let a web page drive the gateway through the browser (ClawJacked).', remediation: `Set security.allow_url_actions to false in ${f.inst.configPath}`, evidence: { key: s.path, value: s.value } });
    },
  },
  {
    id: 'security.csrf',
    scope: 'config',
    severity: 'medium',
    title: 'CSRF protection on (hardening guide)',
    reads: ['csrfProtection'],
    needsConfig: true,
    run(f) {
      const s = setting(f, 'csrfProtection');
      if (!s.present) return notAssessed('security.csrfProtection is not set (a hardening-guide key, not part of OpenClaw\'s own schema)');
      if (s.value === true) return passed('security.csrfProtection is true');
      return failed({ severity: 'medium', title: `security.csrfProtection is ${show(s.value)}`, detail: 'Loopback binding does not stop a browser on this machine from being used against the gateway.', remediation: `Set security.csrfProtection to true in ${f.inst.configPath}`, evidence: { key: s.path, value: s.value } });
    },
  },

  // ---- network
  {
    id: 'gateway.bind',
    scope: 'network',
    severity: 'critical',
    title: 'Gateway bound to loopback',
    reads: ['gatewayBind', 'gatewayCustomBindHost', 'gatewayAuthMode'],
    needsConfig: true,
    run(f) {
      const e = gatewayExposure(cfg(f));
      const noAuth = authMode(f) === 'none';
      const key = setting(f, 'gatewayBind').path;
      const evidence = { key, value: e.bind, address: e.address, auth_mode: authMode(f) };
      switch (e.kind) {
        case 'loopback':
          return passed(`gateway.bind ${show(e.bind)}`);
        case 'invalid':
          return failed({ severity: 'medium', title: `gateway.bind ${show(e.bind)} is not a bind mode OpenClaw accepts${e.bind === 'custom' ? ' (custom needs gateway.customBindHost)' : ''}`, detail: 'The gateway refuses to start, or falls back to a mode you did not choose.', remediation: 'openclaw config set gateway.bind loopback', evidence });
        case 'tailnet':
          return noAuth
            ? failed({ severity: 'critical', title: 'Gateway on the tailnet with gateway.auth.mode "none"', detail: 'Every device on the tailnet can drive the agent without credentials.', remediation: 'openclaw config set gateway.auth.mode token (and set a token), or bind to loopback', evidence })
            : failed({ severity: 'low', title: 'Gateway bound to the tailnet', detail: 'Reachable from every device on your tailnet; access is limited by Tailscale ACLs and the gateway credential.', remediation: 'Keep Tailscale ACLs tight, or openclaw config set gateway.bind loopback with tailscale serve', evidence });
        default: {
          const where = e.kind === 'wildcard' ? `${e.address} - exposed to all network interfaces` : `${e.address}, a non-loopback address`;
          return failed({
            severity: noAuth ? 'critical' : e.kind === 'wildcard' ? 'high' : 'medium',
            title: noAuth ? `Gateway bound to ${where}, with gateway.auth.mode "none"` : `Gateway bound to ${where}`,
            detail: noAuth ? 'Anyone who can reach this host can drive the agent with no credentials at all.' : 'Anyone who can reach this host can try the gateway credential; browsers on the network can reach the Control UI.',
            remediation: 'openclaw config set gateway.bind loopback   (use tailscale serve or a reverse proxy for remote access)',
            evidence,
          });
        }
      }
    },
  },
  {
    id: 'gateway.tls',
    scope: 'network',
    severity: 'medium',
    title: 'TLS when reachable beyond loopback',
    reads: ['gatewayBind', 'gatewayTlsEnabled', 'gatewayAuthMode'],
    needsConfig: true,
    run(f) {
      const e = gatewayExposure(cfg(f));
      if (!e.exposed) return passed('loopback only: TLS not needed');
      if (e.kind === 'tailnet') return passed('tailnet traffic is encrypted by WireGuard');
      if (authMode(f) === 'trusted-proxy') return passed('behind a trusted proxy that terminates TLS');
      const tls = setting(f, 'gatewayTlsEnabled');
      if (tls.value === true) return passed('gateway.tls.enabled is true');
      return failed({ severity: 'medium', title: `TLS is off while the gateway listens on ${e.address ?? e.bind}`, detail: 'The gateway credential and every message cross the network in clear text.', remediation: 'openclaw config set gateway.tls.enabled true (with gateway.tls.certPath/keyPath), or bind to loopback', evidence: { key: tls.path, value: tls.value ?? null } });
    },
  },
  {
    id: 'gateway.tailscale_funnel',
    scope: 'network',
    severity: 'critical',
    title: 'No Tailscale Funnel to the public internet',
    reads: ['gatewayTailscaleMode', 'gatewayAuthMode'],
    needsConfig: true,
    run(f) {
      const mode = setting(f, 'gatewayTailscaleMode');
      if (!isTailscaleFunnel(f)) return passed(`gateway.tailscale.mode ${show(mode.value ?? 'off')}`);
      const strong = authMode(f) === 'password' && gatewayCredential(f) !== null;
      return failed({
        severity: strong ? 'high' : 'critical',
        title: strong ? 'Gateway published to the internet with Tailscale Funnel' : 'Gateway published to the internet with Tailscale Funnel without password auth',
        detail: 'Funnel makes the gateway reachable from anywhere on the internet.',
        remediation: 'openclaw config set gateway.tailscale.mode serve   (tailnet only)',
        evidence: { key: mode.path, value: 'funnel', auth_mode: authMode(f) },
      });
    },
  },
  {
    id: 'gateway.listening',
    scope: 'network',
    severity: 'high',
    title: 'Gateway port not listening beyond loopback',
    reads: ['gatewayPort'],
    needsConfig: true,
    run(f) {
      if (!f.listeners) return notAssessed('no listening-socket sample was taken');
      if (!f.listeners.available) return notAssessed(`listening sockets could not be read: ${f.listeners.reason}`, true, 'run ocsecd on Linux (it reads /proc/net/tcp), or check with: lsof -nP -iTCP -sTCP:LISTEN');
      const port = gatewayPort(cfg(f));
      const on = f.listeners.sockets.filter((s) => s.port === port);
      if (on.length === 0) return passed(`nothing listens on port ${port}`);
      const exposed = on.filter((s) => !isLoopback(s.address));
      if (exposed.length === 0) return passed(`port ${port} listens on ${on.map((s) => s.address).join(', ')} only`);
      return failed({
        severity: 'high',
        title: `Gateway port ${port} is listening on ${exposed.map((s) => (s.protocol === 'tcp6' ? `[${s.address}]` : s.address)).join(', ')}`,
        detail: 'Whatever openclaw.json says, the live socket accepts connections from beyond this machine.',
        remediation: 'openclaw config set gateway.bind loopback && openclaw gateway restart; or firewall the port',
        evidence: { port, sockets: exposed.map((s) => ({ protocol: s.protocol, address: s.address, port: s.port, uid: s.uid })) },
      });
    },
  },
  {
    id: 'host.firewall',
    scope: 'network',
    severity: 'medium',
    title: 'Host firewall rules present',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.firewall) return notAssessed('firewall not probed');
      const summary = f.firewall.probes.map((p) => `${p.tool}: ${p.detail}`).join('; ');
      if (!f.firewall.assessed) return notAssessed(`no firewall rules were readable (${summary})`, true, 'install nftables/iptables/ufw, or run the check where the rules can be read (listing rules usually needs root)');
      if (f.firewall.active) return passed(summary);
      const exposed = f.inst.config !== null && isReachableBeyondHost(f);
      return failed({ severity: exposed ? 'medium' : 'low', title: 'No host firewall rules', detail: `${summary}. Nothing filters inbound connections${exposed ? ', and the gateway is reachable beyond loopback' : ''}.`, remediation: 'Enable a default-deny inbound policy, e.g. ufw default deny incoming && ufw enable', evidence: { probes: f.firewall.probes } });
    },
  },

  // ---- auth
  {
    id: 'gateway.auth.none',
    scope: 'auth',
    severity: 'critical',
    title: 'Gateway authentication enabled',
    reads: ['gatewayAuthMode', 'httpChatCompletions', 'httpResponses', 'gatewayBind'],
    needsConfig: true,
    run(f) {
      const mode = setting(f, 'gatewayAuthMode');
      if (authMode(f) !== 'none') return passed(`gateway.auth.mode ${show(authMode(f))}`);
      const apis = httpApisEnabled(f);
      const exposed = isReachableBeyondHost(f);
      return failed({
        severity: exposed || apis.length > 0 ? 'critical' : 'high',
        title: `gateway.auth.mode is "none"${apis.length > 0 ? ` with HTTP APIs enabled (${apis.join(', ')})` : ''}`,
        detail: exposed ? 'The gateway is reachable beyond this machine and asks for no credential.' : 'Any local process, and any web page your browser opens (ClawJacked), can drive the agent without a credential.',
        remediation: `openclaw config set gateway.auth.mode token, then ${GENERATE_TOKEN}`,
        evidence: { key: mode.path, value: 'none', http_apis: apis },
      });
    },
  },
  {
    id: 'gateway.auth.token_missing',
    scope: 'auth',
    severity: 'high',
    title: 'Gateway credential configured',
    reads: ['gatewayAuthMode', 'gatewayAuthToken', 'gatewayAuthPassword'],
    needsConfig: true,
    run(f) {
      const mode = authMode(f);
      if (mode === 'none' || mode === 'trusted-proxy') return notAssessed(`gateway.auth.mode "${mode}" uses no token`);
      const cred = gatewayCredential(f);
      if (cred) return passed(`${cred.kind} from ${cred.source}`);
      return failed({
        severity: 'high',
        title: `No gateway ${mode === 'password' ? 'password' : 'token'} configured`,
        detail: `gateway.auth.mode is "${mode}" but neither openclaw.json, ${f.inst.envFile.path} nor ocsecd's environment holds a ${mode === 'password' ? 'password (OPENCLAW_GATEWAY_PASSWORD)' : 'token (OPENCLAW_GATEWAY_TOKEN)'}.`,
        remediation: GENERATE_TOKEN,
        evidence: { keys: ['gateway.auth.token', 'gateway.auth.password'], env: ['OPENCLAW_GATEWAY_TOKEN', 'OPENCLAW_GATEWAY_PASSWORD'] },
      });
    },
  },
  {
    id: 'gateway.auth.token_length',
    scope: 'auth',
    severity: 'high',
    title: 'Gateway credential long enough',
    reads: ['gatewayAuthMode', 'gatewayAuthToken', 'gatewayAuthPassword'],
    needsConfig: true,
    run(f) {
      const cred = gatewayCredential(f);
      if (!cred) return notAssessed('no gateway credential');
      const min = cred.kind === 'token' ? MIN_TOKEN_LENGTH : MIN_PASSWORD_LENGTH;
      if (cred.value.length >= min) return passed(`${cred.value.length} characters`);
      return failed({ severity: 'high', title: `Gateway ${cred.kind} is ${cred.value.length} characters (minimum ${min})`, detail: `From ${cred.source}: ${maskSecret(cred.value)}.`, remediation: GENERATE_TOKEN, evidence: { source: cred.source, length: cred.value.length, masked: maskSecret(cred.value) } });
    },
  },
  {
    id: 'gateway.auth.token_entropy',
    scope: 'auth',
    severity: 'high',
    title: 'Gateway credential strength',
    reads: ['gatewayAuthMode', 'gatewayAuthToken', 'gatewayAuthPassword'],
    needsConfig: true,
    run(f) {
      const cred = gatewayCredential(f);
      if (!cred) return notAssessed('no gateway credential');
      const bits = estimateEntropyBits(cred.value);
      if (bits >= MIN_TOKEN_BITS) return passed(`about ${bits} bits estimated`);
      return failed({
        severity: cred.kind === 'token' ? 'high' : 'medium',
        title: `Gateway ${cred.kind} has about ${bits} bits of entropy (want ≥ ${MIN_TOKEN_BITS}; the guide asks for 256)`,
        detail: `From ${cred.source}: ${maskSecret(cred.value)}. Estimated from its character classes, runs and compressibility; a guessable ${cred.kind} defeats the loopback and token layers together.`,
        remediation: GENERATE_TOKEN,
        evidence: { source: cred.source, estimated_bits: bits, masked: maskSecret(cred.value) },
      });
    },
  },
  {
    id: 'gateway.auth.token_reuse',
    scope: 'auth',
    severity: 'high',
    title: 'Gateway and hooks tokens differ',
    reads: ['gatewayAuthToken', 'hooksToken'],
    needsConfig: true,
    run(f) {
      const cred = gatewayCredential(f);
      const hooks = setting(f, 'hooksToken');
      if (!cred || typeof hooks.value !== 'string' || hooks.value.length === 0) return passed('no shared token');
      if (hooks.value !== cred.value) return passed('hooks.token differs from the gateway credential');
      return failed({ severity: 'high', title: 'hooks.token is the same as the gateway credential', detail: 'Whoever is given the webhook token (external services) also gets full control of the gateway.', remediation: 'Generate a separate token: openssl rand -hex 32, then openclaw config set hooks.token <token>', evidence: { keys: [hooks.path, cred.source], masked: maskSecret(hooks.value) } });
    },
  },
  {
    id: 'gateway.auth.rate_limit',
    scope: 'auth',
    severity: 'medium',
    title: 'Auth rate limit when exposed',
    reads: ['gatewayRateLimit', 'gatewayBind', 'gatewayTailscaleMode'],
    needsConfig: true,
    run(f) {
      if (!isReachableBeyondHost(f)) return passed('loopback only');
      const rl = setting(f, 'gatewayRateLimit');
      if (rl.present && rl.value !== false && rl.value !== null) return passed(`${rl.path} ${show(rl.value)}`);
      return failed({ severity: 'medium', title: 'No authentication rate limit while the gateway is reachable beyond loopback', detail: 'Nothing slows down guessing the gateway credential.', remediation: "openclaw config set gateway.auth.rateLimit '{\"maxAttempts\":10,\"windowMs\":60000,\"lockoutMs\":300000}'", evidence: { key: rl.path } });
    },
  },
  {
    id: 'gateway.origins',
    scope: 'auth',
    severity: 'high',
    title: 'Control UI origins are specific and secure',
    reads: ['gatewayAllowedOrigins', 'gatewayCorsCredentials'],
    needsConfig: true,
    run(f) {
      const origins = setting(f, 'gatewayAllowedOrigins');
      const list = stringList(origins.value);
      const findings: FindingInput[] = [];
      if (list.includes('*') || origins.value === '*') {
        findings.push({ severity: 'high', title: `${origins.path} allows any origin ("*")`, detail: 'Any web page can open a session to the gateway from your browser.', remediation: `List exact origins in ${origins.path} (e.g. ["https://gateway.example.ts.net"])`, evidence: { key: origins.path, value: origins.value } });
      }
      const insecure = list.filter((o) => /^http:\/\//i.test(o) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\/?$/i.test(o));
      if (insecure.length > 0) {
        findings.push({ severity: 'medium', title: `${origins.path} allows plain-http origins: ${insecure.join(', ')}`, detail: 'A page served over http can be tampered with on the network and then talks to the gateway.', remediation: `Use https:// origins in ${origins.path}`, evidence: { key: origins.path, origins: insecure } });
      }
      if (setting(f, 'gatewayCorsCredentials').value === true && list.includes('*')) {
        findings.push({ severity: 'high', title: 'gateway.cors.allowCredentials with a wildcard origin', detail: 'Credentials are sent to any origin.', remediation: 'Set gateway.cors.allowCredentials to false or list exact origins', evidence: { key: 'gateway.cors.allowCredentials' } });
      }
      return findings.length === 0 ? passed(list.length > 0 ? `${list.length} explicit origin(s)` : 'no extra origins allowed') : failed(...findings);
    },
  },
  {
    id: 'gateway.control_ui.insecure_auth',
    scope: 'auth',
    severity: 'high',
    title: 'Control UI keeps device authentication',
    reads: ['controlUiInsecureAuth', 'controlUiNoDeviceAuth'],
    needsConfig: true,
    run(f) {
      const findings: FindingInput[] = [];
      const noDevice = setting(f, 'controlUiNoDeviceAuth');
      if (noDevice.value === true) findings.push({ severity: 'high', title: 'gateway.controlUi.dangerouslyDisableDeviceAuth is true', detail: 'The Control UI skips device identity checks: the token alone opens it from anywhere.', remediation: 'openclaw config set gateway.controlUi.dangerouslyDisableDeviceAuth false', evidence: { key: noDevice.path } });
      const insecure = setting(f, 'controlUiInsecureAuth');
      if (insecure.value === true) findings.push({ severity: 'medium', title: 'gateway.controlUi.allowInsecureAuth is true', detail: 'The Control UI accepts token auth over plain http.', remediation: 'openclaw config set gateway.controlUi.allowInsecureAuth false (serve the UI over https or loopback)', evidence: { key: insecure.path } });
      return findings.length === 0 ? passed('device authentication on') : failed(...findings);
    },
  },
  {
    id: 'hooks.token',
    scope: 'auth',
    severity: 'medium',
    title: 'Webhook token strong',
    reads: ['hooksEnabled', 'hooksToken'],
    needsConfig: true,
    run(f) {
      if (setting(f, 'hooksEnabled').value !== true) return passed('hooks disabled');
      const token = setting(f, 'hooksToken');
      if (typeof token.value !== 'string' || token.value.length === 0) return failed({ severity: 'medium', title: 'Webhooks enabled without hooks.token', detail: 'The webhook endpoint cannot authenticate callers.', remediation: 'openssl rand -hex 32, then openclaw config set hooks.token <token>', evidence: { key: token.path } });
      const bits = estimateEntropyBits(token.value);
      if (token.value.length >= MIN_TOKEN_LENGTH && bits >= MIN_TOKEN_BITS) return passed(`${token.value.length} characters, about ${bits} bits`);
      return failed({ severity: 'medium', title: `hooks.token is weak (${token.value.length} characters, about ${bits} bits)`, detail: `${maskSecret(token.value)}`, remediation: 'openssl rand -hex 32, then openclaw config set hooks.token <token>', evidence: { key: token.path, length: token.value.length, estimated_bits: bits } });
    },
  },
  {
    id: 'security.secret_key',
    scope: 'auth',
    severity: 'medium',
    title: 'SECRET_KEY strength (hardening guide)',
    reads: [],
    needsConfig: false,
    run(f) {
      const entry = f.inst.envFile.entries.find((e) => e.key === 'OPENCLAW_SECRET_KEY' || e.key === 'SECRET_KEY');
      const value = entry?.value ?? f.inst.env.OPENCLAW_SECRET_KEY;
      if (!value) return notAssessed('no OPENCLAW_SECRET_KEY / SECRET_KEY configured');
      const bits = estimateEntropyBits(value);
      if (bits >= MIN_SECRET_KEY_BITS) return passed(`about ${bits} bits`);
      return failed({ severity: 'medium', title: `SECRET_KEY has about ${bits} bits of entropy (the guide asks for ${MIN_SECRET_KEY_BITS})`, detail: `${entry ? `${entry.key} in ${f.inst.envFile.path}:${entry.line}` : 'OPENCLAW_SECRET_KEY in ocsecd\'s environment'}: ${maskSecret(value)}`, remediation: 'openssl rand -hex 64, store it as OPENCLAW_SECRET_KEY, restart the gateway', evidence: { estimated_bits: bits } });
    },
  },

  // ---- permissions
  permCheck('fs.state_dir.perms', ['state_dir'], 'critical'),
  permCheck('fs.config.perms', ['config'], 'critical'),
  permCheck('fs.env_file.perms', ['env_file'], 'critical'),
  permCheck('fs.credentials.perms', ['credentials'], 'critical'),
  permCheck('fs.agents.perms', ['agents'], 'critical'),
  permCheck('fs.sessions.perms', ['sessions'], 'critical'),
  permCheck('fs.logs.perms', ['logs'], 'critical'),
  {
    id: 'fs.symlinks',
    scope: 'permissions',
    severity: 'medium',
    title: 'Configuration and credentials are not symlinks',
    reads: [],
    needsConfig: false,
    run(f) {
      const links = f.observations.filter((o) => o.type === 'symlink' && (o.category === 'config' || o.category === 'env_file' || o.category === 'credentials'));
      if (links.length === 0) return passed('no symlinked configuration');
      return failed(
        ...links.map((o) => ({
          severity: 'medium' as Severity,
          title: `${o.path} is a symbolic link to ${o.linkTarget ?? '?'}`,
          detail: `Its protection is the target's (mode ${octal(o.mode)}), and whoever can change the link or the target's directory can swap the configuration. --fix never chmods through a link.`,
          remediation: `Replace the link with the file itself: cp --remove-destination "$(readlink -f ${q(o.path)})" ${q(o.path)} && chmod 600 ${q(o.path)}`,
          evidence: { path: o.path, target: o.linkTarget, target_mode: octal(o.mode) },
        })),
      );
    },
  },
  {
    id: 'fs.ownership',
    scope: 'permissions',
    severity: 'high',
    title: 'Installation files owned by this user',
    reads: [],
    needsConfig: false,
    run(f) {
      const foreign = f.observations.filter((o) => o.uid !== f.ownUid);
      if (foreign.length === 0) return passed(`all owned by uid ${f.ownUid}`);
      return failed({
        severity: 'high',
        title: `${foreign.length} path(s) in the installation are owned by another user`,
        detail: foreign.map((o) => `${o.path} (uid ${o.uid})`).join('\n'),
        remediation: foreign.map((o) => `chown ${f.ownUid} ${q(o.path)}`).join('\n'),
        evidence: { paths: foreign.map((o) => ({ path: o.path, uid: o.uid })) },
      });
    },
  },
  {
    id: 'fs.synced_folder',
    scope: 'permissions',
    severity: 'high',
    title: 'State directory not in a synced folder',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.syncedFolder) return passed(`${f.inst.stateDir} is not under iCloud, Dropbox, Google Drive or OneDrive`);
      return failed({ severity: 'high', title: `${f.inst.stateDir} is inside a synced folder (${f.syncedFolder})`, detail: 'Tokens, credentials and session transcripts are copied to a cloud service and every device signed into it, whatever their file modes.', remediation: 'Move the state directory out (e.g. to ~/.openclaw) and set OPENCLAW_STATE_DIR accordingly; rotate the credentials it held', evidence: { state_dir: f.inst.stateDir, synced_folder: f.syncedFolder } });
    },
  },

  // ---- secrets
  {
    id: 'secrets.config',
    scope: 'secrets',
    severity: 'high',
    title: 'No plaintext API keys in openclaw.json',
    reads: [],
    needsConfig: false,
    run(f) {
      if (f.inst.files.length === 0) return passed('no configuration file');
      const findings: FindingInput[] = [];
      const readable = new Set(f.observations.filter((o) => o.category === 'config' && (o.mode & 0o044) !== 0).map((o) => o.path));
      for (const file of f.inst.files) {
        // A file that does not parse is still searched for vendor-shaped keys in its text.
        const secrets = (file.parsed === undefined ? textSecrets(file.text) : findConfigSecrets(file.parsed)).map((s) => ({ ...s, line: lineOf(file.text, s.value) }));
        for (const s of secrets) {
          const open = readable.has(file.path);
          findings.push({
            severity: open ? 'high' : 'medium',
            title: `${s.kind.replace(/^\w/, (c) => c.toUpperCase())} stored in plaintext config${s.keyPath ? ` at ${s.keyPath}` : ''}`,
            detail: `${file.path}${s.line ? `:${s.line}` : ''}: ${s.keyPath || '(value)'} = ${s.masked}${open ? '; the file is readable by other users' : ''}.`,
            remediation: s.keyPath === 'gateway.auth.token' ? 'Move it to OPENCLAW_GATEWAY_TOKEN in ~/.openclaw/.env (mode 600) and remove gateway.auth.token' : 'Move it to an environment variable (~/.openclaw/.env, mode 600) and reference it as "${VAR_NAME}", or use a keychain / secret manager; rotate it if the file was ever shared',
            evidence: { file: file.path, line: s.line, key: s.keyPath, kind: s.kind, masked: s.masked },
          });
        }
      }
      return findings.length === 0 ? passed(`${f.inst.files.length} file(s) hold no plaintext credentials`) : failed(...findings);
    },
  },
  {
    id: 'secrets.env_file',
    scope: 'secrets',
    severity: 'high',
    title: 'Plaintext secrets in .env protected',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.inst.envFile.exists) return passed('no .env file');
      const open = f.observations.some((o) => o.category === 'env_file' && (o.mode & 0o044) !== 0);
      const found = f.inst.envFile.entries.flatMap((e) => findConfigSecrets(e.value, e.key).map((s) => ({ ...s, line: e.line, key: e.key })));
      if (found.length === 0) return passed('no credentials in .env');
      return failed(
        ...found.map((s) => ({
          severity: (open ? 'high' : 'low') as Severity,
          title: `${s.key} in ${f.inst.envFile.path} is a plaintext ${s.kind}`,
          detail: `${f.inst.envFile.path}:${s.line}: ${s.key}=${s.masked}${open ? '; the file is readable by other users' : '; protected only by the file mode'}.`,
          remediation: open ? `chmod 600 ${q(f.inst.envFile.path)}, then rotate ${s.key}` : `Keep ${f.inst.envFile.path} at mode 600; for more, use the OS keychain or a secret manager`,
          evidence: { file: f.inst.envFile.path, line: s.line, key: s.key, kind: s.kind, masked: s.masked },
        })),
      );
    },
  },
  {
    id: 'secrets.logs',
    scope: 'secrets',
    severity: 'high',
    title: 'Logs free of credentials',
    reads: ['loggingFile', 'auditLogPath'],
    needsConfig: false,
    run(f) {
      if (f.logs.length === 0) return passed('no log files found');
      const leaking = f.logs.filter((l) => l.secrets.length > 0);
      if (leaking.length === 0) return passed(`${f.logs.length} log file(s) scanned`);
      return failed(
        ...leaking.map((l) => ({
          severity: 'high' as Severity,
          title: `${l.path} contains ${l.secrets.length} credential(s)`,
          detail: l.secrets.slice(0, 10).map((s) => `line ${s.line}: ${s.kind} ${s.masked}`).join('\n'),
          remediation: `Rotate the credentials, delete or truncate ${l.path}, and keep logging.redactSensitive "tools"`,
          evidence: { file: l.path, secrets: l.secrets.slice(0, 20) },
        })),
      );
    },
  },

  // ---- logging
  {
    id: 'logging.redaction',
    scope: 'logging',
    severity: 'medium',
    title: 'Log redaction on',
    reads: ['redactSensitive', 'redactPatterns', 'sanitizeFields'],
    needsConfig: true,
    run(f) {
      const r = setting(f, 'redactSensitive');
      const findings: FindingInput[] = [];
      if (r.value === 'off' || r.value === false) findings.push({ severity: 'medium', title: 'logging.redactSensitive is "off"', detail: 'Tool arguments and results are logged as they are, credentials included.', remediation: 'openclaw config set logging.redactSensitive tools', fixable: false, evidence: { key: r.path, value: r.value } });
      const patterns = setting(f, 'redactPatterns');
      // Compiled, never run: a pattern that does not compile redacts nothing.
      const broken = stringList(patterns.value).filter((p) => {
        try {
          new RegExp(p);
          return false;
        } catch {
          return true;
        }
      });
      if (broken.length > 0) findings.push({ severity: 'low', title: `logging.redactPatterns has ${broken.length} pattern(s) that do not compile`, detail: `They redact nothing: ${broken.map((p) => show(p)).join(', ')}`, remediation: 'Fix or remove them in logging.redactPatterns', evidence: { key: patterns.path, invalid: broken } });
      const fields = setting(f, 'sanitizeFields');
      if (Array.isArray(fields.value)) {
        const want = ['token', 'password', 'apiKey', 'authorization'];
        const missing = want.filter((w) => !stringList(fields.value).some((v) => v.toLowerCase().includes(w.toLowerCase())));
        if (missing.length > 0) findings.push({ severity: 'low', title: `logging.sanitizeFields misses ${missing.join(', ')}`, detail: 'Those fields reach the logs in clear.', remediation: `Add ${missing.join(', ')} to logging.sanitizeFields`, evidence: { key: fields.path, missing } });
      }
      return findings.length === 0 ? passed(`logging.redactSensitive ${show(r.value ?? 'tools (default)')}`) : failed(...findings);
    },
  },
  {
    id: 'logging.audit',
    scope: 'logging',
    severity: 'medium',
    title: 'Audit logging enabled',
    reads: ['auditLogEnabled', 'commandLoggerHook'],
    needsConfig: true,
    run(f) {
      const guide = setting(f, 'auditLogEnabled');
      const hook = setting(f, 'commandLoggerHook');
      if (hook.value === true) return passed('the command-logger hook records every command');
      if (guide.value === true) return passed('logging.auditLog.enabled is true');
      return failed({ severity: 'medium', title: 'Audit logging is disabled', detail: `Neither the command-logger hook (${hook.path}) nor logging.auditLog is enabled: there is no record of what the agent ran.`, remediation: 'openclaw hooks enable command-logger', evidence: { keys: [hook.path, guide.path], values: { [hook.path]: hook.value ?? null, [guide.path]: guide.value ?? null } } });
    },
  },
  {
    id: 'logging.rotation',
    scope: 'logging',
    severity: 'low',
    title: 'Logs rotated',
    reads: ['loggingFile', 'auditLogRotationDays', 'auditLogMaxSize', 'auditLogEnabled'],
    needsConfig: true,
    run(f) {
      const findings: FindingInput[] = [];
      const file = setting(f, 'loggingFile');
      if (typeof file.value === 'string' && file.value.length > 0 && !f.logrotateConfigured) {
        findings.push({ severity: 'low', title: `logging.file ${show(file.value)} is one fixed file with no logrotate rule`, detail: 'OpenClaw rotates its default dated log files; a fixed logging.file grows until the disk fills, and keeps secrets forever.', remediation: `Add /etc/logrotate.d/openclaw for ${file.value}, or unset logging.file to use the dated default logs`, evidence: { key: file.path } });
      }
      const big = f.logs.filter((l) => l.size > 100 * 1024 * 1024);
      for (const l of big) findings.push({ severity: 'low', title: `${l.path} is ${Math.round(l.size / 1024 / 1024)} MiB`, detail: 'A log this large is not being rotated.', remediation: `Rotate or truncate ${l.path}`, evidence: { file: l.path, size: l.size } });
      if (setting(f, 'auditLogEnabled').value === true && !setting(f, 'auditLogRotationDays').present && !setting(f, 'auditLogMaxSize').present) {
        findings.push({ severity: 'low', title: 'logging.auditLog has neither rotationDays nor maxSizeMB', detail: 'The audit log grows without bound.', remediation: 'Set logging.auditLog.rotationDays (e.g. 30) and maxSizeMB', evidence: { keys: ['logging.auditLog.rotationDays', 'logging.auditLog.maxSizeMB'] } });
      }
      return findings.length === 0 ? passed('dated default logs or a rotation rule') : failed(...findings);
    },
  },

  // ---- skills
  {
    id: 'skills.supply_chain',
    scope: 'skills',
    severity: 'critical',
    title: 'Installed skills free of red flags',
    reads: ['skillsExtraDirs'],
    needsConfig: false,
    run(f) {
      if (!f.skillReports) return notAssessed('the skills scan runs with --deep or --scope skills');
      if (f.skillReports.length === 0) return passed('no skills installed');
      const flagged = f.skillReports.filter((s) => s.verdict !== 'clean');
      if (flagged.length === 0) return passed(`${f.skillReports.length} skill(s) scanned, all clean`);
      return failed(
        ...flagged.map((s) => {
          const worst = s.hits.reduce((w, h) => (SEVERITY_RANK[h.severity] < SEVERITY_RANK[w] ? h.severity : w), 'info' as Severity);
          const rules = [...new Set(s.hits.map((h) => h.ruleId))];
          return {
            severity: worst,
            title: `Skill "${s.name}" ${s.verdict === 'reject' ? 'must be rejected' : s.verdict === 'warn' ? 'needs investigation' : 'needs a look'}: ${rules.join(', ')}`,
            detail: s.hits
              .slice(0, 12)
              .map((h) => `${h.file}:${h.line}: [${h.level.toUpperCase()} ${h.ruleId}] ${h.message}: ${h.match}`)
              .join('\n') + (s.hits.length > 12 || s.hitsOmitted > 0 ? `\n… ${s.hits.length - 12 + s.hitsOmitted} more` : ''),
            remediation: s.verdict === 'reject' ? `Remove it now: rm -r ${q(s.path)}; then check what it may already have done (rotate credentials it could read)` : `Review the hits in ${s.path} before using it; disable it meanwhile: openclaw config set ${q(`skills.entries.${s.name}.enabled`)} false`,
            evidence: { skill: s.name, path: s.path, verdict: s.verdict, hash: s.hash, rules },
          };
        }),
      );
    },
  },

  // ---- deps
  {
    id: 'deps.openclaw_version',
    scope: 'deps',
    severity: 'info',
    title: 'OpenClaw version recorded',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.openclaw) return notAssessed("OpenClaw's package.json was not found (openclaw on ocsecd's PATH, or a global node_modules)", true, 'put the openclaw binary on the PATH of ocsecd');
      return passed(`OpenClaw ${f.openclaw.version} at ${f.openclaw.dir}`);
    },
  },
  {
    id: 'deps.npm_audit',
    scope: 'deps',
    severity: 'high',
    title: 'No known vulnerable dependencies (npm audit)',
    reads: [],
    needsConfig: false,
    run(f) {
      if (!f.deep) return notAssessed('npm audit runs only with --deep');
      if (!f.openclaw) return notAssessed("OpenClaw's package was not found", true);
      if (!f.npmAudit || !f.npmAudit.assessed) return notAssessed(f.npmAudit?.reason ?? 'npm audit did not run', true, 'configure a local registry mirror for npm, or run npm audit yourself where it may go online');
      const c = f.npmAudit.counts;
      const total = c.critical + c.high + c.moderate + c.low;
      if (total === 0) return passed('npm audit reports no vulnerabilities');
      const severity: Severity = c.critical > 0 ? 'critical' : c.high > 0 ? 'high' : c.moderate > 0 ? 'medium' : 'low';
      return failed({
        severity,
        title: `npm audit: ${total} vulnerable package(s) in OpenClaw ${f.openclaw.version} (${c.critical} critical, ${c.high} high, ${c.moderate} moderate, ${c.low} low)`,
        detail: f.npmAudit.vulnerabilities.slice(0, 15).map((v) => `${v.name} (${v.severity}): ${v.title}`).join('\n'),
        remediation: 'npm install -g openclaw@latest',
        evidence: { counts: c, packages: f.npmAudit.vulnerabilities.slice(0, 50) },
      });
    },
  },
];

/** channels.<provider> and channels.<provider>.accounts.<id>, each with its key path. */
function channelAccounts(f: AuditFacts): Array<{ path: string; value: Record<string, unknown> }> {
  const channels = setting(f, 'channels');
  if (!isObject(channels.value)) return [];
  const out: Array<{ path: string; value: Record<string, unknown> }> = [];
  for (const [name, value] of Object.entries(channels.value)) {
    if (!isObject(value)) continue;
    out.push({ path: `${channels.path}.${name}`, value });
    if (isObject(value.accounts)) for (const [id, acc] of Object.entries(value.accounts)) if (isObject(acc)) out.push({ path: `${channels.path}.${name}.accounts.${id}`, value: acc });
  }
  return out;
}

function textSecrets(text: string): ConfigSecret[] {
  return vendorSecretsIn(text).map((v) => ({ keyPath: '', kind: v.kind, masked: v.masked, value: v.value, bits: estimateEntropyBits(v.value) }));
}
