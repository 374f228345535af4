/** What the audit learns from the host rather than openclaw.json: listening sockets, firewall rules, scheduled tasks, the installed OpenClaw and npm audit. */
import { execFile } from 'node:child_process';
import { parseProcNetRow } from '../network/procfs.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { redactString } from '../audit/redact.js';

/** Where the audit looks for system tools: never the caller's PATH. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface CommandResult {
  /** The program ran and exited 0. */
  ok: boolean;
  /** The program is not installed (ENOENT). */
  missing: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (command: string, args: readonly string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) => Promise<CommandResult>;

/** Runs a program without a shell, with a timeout and a bounded output; never throws. */
export const runCommand: CommandRunner = (command, args, opts = {}) =>
  new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd: opts.cwd, env: opts.env ?? { PATH: SYSTEM_PATH, LANG: 'C' }, timeout: opts.timeoutMs ?? 5000, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        resolve({ ok: !e, missing: e?.code === 'ENOENT', code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout ?? ''), stderr: String(stderr ?? e?.message ?? '') });
      },
    );
  });

// ---------------------------------------------------------------------------------------------
// Listening sockets

export interface Listener {
  protocol: 'tcp' | 'tcp6';
  address: string;
  port: number;
  uid: number;
  inode: number;
}

export interface ListenerSample {
  available: boolean;
  reason: string | null;
  sockets: Listener[];
}

export type ListenerSource = () => Promise<ListenerSample>;

/** LISTEN rows of /proc/net/tcp or tcp6, read with the network monitor's row parser. */
export function parseProcNetTcp(text: string, protocol: Listener['protocol']): Listener[] {
  const out: Listener[] = [];
  for (let start = text.indexOf('\n') + 1; start > 0 && start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const row = parseProcNetRow(text, start, end, 'tcp', protocol === 'tcp' ? 4 : 6);
    if (row?.state === 'LISTEN') out.push({ protocol, address: row.localAddress, port: row.localPort, uid: row.uid, inode: row.inode });
    start = end + 1;
  }
  return out;
}

/** Reads the kernel's socket tables directly (no subprocess); unavailable where there is no /proc (macOS). */
export function procListenerSource(procNet = '/proc/net'): ListenerSource {
  return async () => {
    const sockets: Listener[] = [];
    let readAny = false;
    for (const protocol of ['tcp', 'tcp6'] as const) {
      const text = await readFile(join(procNet, protocol), 'utf8').catch(() => null);
      if (text === null) continue;
      readAny = true;
      sockets.push(...parseProcNetTcp(text, protocol));
    }
    if (!readAny) return { available: false, reason: `${procNet}/tcp is not readable (no /proc on this platform)`, sockets: [] };
    return { available: true, reason: null, sockets };
  };
}

/** The parts of the network monitor's port report (ports.latest) the gateway check needs. */
export interface RecentPortSample {
  status: string;
  generated_at_utc: string;
  listening_services: ReadonlyArray<{ host: string; port: number; protocol: string; family: number; socket_uid: number | null; inode: number | null }>;
}

/**
 * The network monitor's latest port sample when it is recent (it samples every minute, on every
 * platform, with process attribution); otherwise this module's own read of /proc.
 */
export function preferRecentPortSample(latest: () => RecentPortSample | null, fallback: ListenerSource, now: () => number, maxAgeMs = 5 * 60_000): ListenerSource {
  return async () => {
    const sample = latest();
    const age = sample ? now() - Date.parse(sample.generated_at_utc) : Number.POSITIVE_INFINITY;
    if (!sample || sample.status !== 'ok' || !(age >= 0 && age <= maxAgeMs)) return fallback();
    const sockets: Listener[] = sample.listening_services
      .filter((s) => s.protocol === 'tcp')
      .map((s) => ({ protocol: s.family === 6 ? 'tcp6' : 'tcp', address: s.host, port: s.port, uid: s.socket_uid ?? -1, inode: s.inode ?? 0 }));
    return { available: true, reason: null, sockets };
  };
}

// ---------------------------------------------------------------------------------------------
// Firewall

export interface FirewallProbe {
  tool: string;
  readable: boolean;
  active: boolean;
  detail: string;
}

export interface FirewallState {
  /** At least one tool's rules could be read. */
  assessed: boolean;
  active: boolean;
  probes: FirewallProbe[];
}

const NFT_RULE = /^\s*(?:tcp|udp|ip|ip6|ct|iif|iifname|oif|oifname|meta|th|counter|drop|reject|jump|goto|icmp|icmpv6|saddr|daddr)\b/m;

export function nftHasRules(ruleset: string): boolean {
  return NFT_RULE.test(ruleset) || /policy\s+drop/.test(ruleset);
}

export function iptablesHasRules(rules: string): boolean {
  return /^-A\s/m.test(rules) || /^-P\s+(?:INPUT|FORWARD)\s+(?:DROP|REJECT)/m.test(rules);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

/** nft, iptables/ip6tables and ufw on Linux; the application firewall and pf on macOS. Reading rules often needs root. */
export async function probeFirewall(run: CommandRunner, platform: NodeJS.Platform = process.platform): Promise<FirewallState> {
  const probes: FirewallProbe[] = [];
  const probe = async (tool: string, cmd: string, args: string[], isActive: (out: string) => boolean) => {
    const r = await run(cmd, args);
    if (r.missing) probes.push({ tool, readable: false, active: false, detail: 'not installed' });
    else if (!r.ok) probes.push({ tool, readable: false, active: false, detail: `rules not readable: ${firstLine(r.stderr) || `exit ${r.code}`}` });
    else {
      const active = isActive(r.stdout);
      probes.push({ tool, readable: true, active, detail: active ? 'rules present' : 'no filtering rules' });
    }
  };
  if (platform === 'darwin') {
    await probe('socketfilterfw', '/usr/libexec/ApplicationFirewall/socketfilterfw', ['--getglobalstate'], (out) => /enabled/i.test(out));
    await probe('pf', 'pfctl', ['-s', 'rules'], (out) => /^(?:block|pass)\b/m.test(out));
  } else {
    await probe('nft', 'nft', ['list', 'ruleset'], nftHasRules);
    await probe('iptables', 'iptables', ['-S'], iptablesHasRules);
    await probe('ip6tables', 'ip6tables', ['-S'], iptablesHasRules);
    await probe('ufw', 'ufw', ['status'], (out) => /Status:\s*active/i.test(out));
  }
  return { assessed: probes.some((p) => p.readable), active: probes.some((p) => p.active), probes };
}

// ---------------------------------------------------------------------------------------------
// Scheduled tasks

export interface CrontabState {
  available: boolean;
  reason: string | null;
  lines: string[];
}

/** The user's crontab entries (comments dropped, credentials redacted). */
export async function readCrontab(run: CommandRunner, user = userInfo().username): Promise<CrontabState> {
  const r = await run('crontab', ['-l']);
  let text: string | null = null;
  if (r.ok) text = r.stdout;
  else if (!r.missing && /no crontab/i.test(r.stderr)) text = '';
  else if (r.missing) {
    for (const spool of [`/var/spool/cron/crontabs/${user}`, `/var/spool/cron/${user}`, `/usr/lib/cron/tabs/${user}`]) {
      text = await readFile(spool, 'utf8').catch(() => null);
      if (text !== null) break;
    }
    if (text === null) return { available: false, reason: 'crontab is not installed and no spool file is readable', lines: [] };
  } else return { available: false, reason: `crontab -l failed: ${firstLine(r.stderr)}`, lines: [] };
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => redactString(l));
  return { available: true, reason: null, lines };
}

export interface UserTimer {
  unit: string;
  file: string;
  schedule: string;
  exec: string | null;
}

function unitValues(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^\\s*${key}\\s*=\\s*(.*)$`, 'gm'))].map((m) => m[1]!.trim());
}

/** systemd user timers from their unit files (no user bus needed), with the command each one starts. */
export async function readSystemdUserTimers(home: string): Promise<UserTimer[]> {
  const dirs = [join(home, '.config/systemd/user'), join(home, '.local/share/systemd/user'), '/etc/systemd/user'];
  const timers: UserTimer[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries.filter((e) => e.endsWith('.timer')).sort()) {
      const file = join(dir, entry);
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text === null) continue;
      const schedule = ['OnCalendar', 'OnBootSec', 'OnStartupSec', 'OnActiveSec', 'OnUnitActiveSec', 'OnUnitInactiveSec']
        .flatMap((k) => unitValues(text, k).map((v) => `${k}=${v}`))
        .join('; ');
      const service = unitValues(text, 'Unit')[0] ?? entry.replace(/\.timer$/, '.service');
      const serviceText = await readFile(join(dir, service), 'utf8').catch(() => null);
      const exec = serviceText === null ? null : (unitValues(serviceText, 'ExecStart')[0] ?? null);
      timers.push({ unit: entry, file, schedule, exec: exec === null ? null : redactString(exec) });
    }
  }
  return timers;
}

export interface LaunchAgent {
  label: string | null;
  file: string;
  program: string | null;
  sha256: string;
}

/** ~/Library/LaunchAgents: label and program read from XML plists; binary plists are recorded by hash. */
export async function readLaunchAgents(home: string): Promise<LaunchAgent[]> {
  const dir = join(home, 'Library/LaunchAgents');
  const entries = await readdir(dir).catch(() => [] as string[]);
  const agents: LaunchAgent[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.plist')).sort()) {
    const file = join(dir, entry);
    const bytes = await readFile(file).catch(() => null);
    if (!bytes) continue;
    const text = bytes.toString('utf8');
    const label = /<key>Label<\/key>\s*<string>([^<]*)<\/string>/.exec(text)?.[1] ?? null;
    const program = /<key>Program<\/key>\s*<string>([^<]*)<\/string>/.exec(text)?.[1] ?? /<key>ProgramArguments<\/key>\s*<array>\s*<string>([^<]*)<\/string>/.exec(text)?.[1] ?? null;
    agents.push({ label, file, program: program === null ? null : redactString(program), sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return agents;
}

// ---------------------------------------------------------------------------------------------
// The installed OpenClaw and its dependencies

export interface OpenClawPackage {
  version: string;
  dir: string;
}

async function packageAt(dir: string): Promise<OpenClawPackage | null> {
  const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    return pkg.name === 'openclaw' && typeof pkg.version === 'string' ? { version: pkg.version, dir } : null;
  } catch {
    return null;
  }
}

/**
 * The `openclaw` on the daemon's PATH (followed to its package), else the usual global node_modules.
 * The version comes from that package.json, never from running the program.
 */
export async function findOpenClawPackage(env: NodeJS.ProcessEnv, home: string, execPath = process.execPath): Promise<OpenClawPackage | null> {
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const bin = join(dir, 'openclaw');
    const real = await realpath(bin).catch(() => null);
    if (!real) continue;
    for (let up = dirname(real), i = 0; i < 6; up = dirname(up), i++) {
      const found = await packageAt(up);
      if (found) return found;
      const nested = await packageAt(join(up, 'node_modules', 'openclaw'));
      if (nested) return nested;
    }
  }
  const prefixes = [join(dirname(dirname(execPath)), 'lib/node_modules'), '/usr/local/lib/node_modules', '/usr/lib/node_modules', '/opt/homebrew/lib/node_modules', join(home, '.npm-global/lib/node_modules')];
  for (const prefix of prefixes) {
    const found = await packageAt(join(prefix, 'openclaw'));
    if (found) return found;
  }
  return null;
}

export interface NpmAuditResult {
  assessed: boolean;
  reason: string | null;
  counts: Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>;
  vulnerabilities: Array<{ name: string; severity: string; title: string }>;
}

const NO_COUNTS = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 };

/** A registry on this machine (a mirror such as Verdaccio) answers npm audit without going online. */
export function isLocalRegistry(url: string): boolean {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'file:' || ['localhost', '127.0.0.1', '[::1]', '::1'].includes(u.hostname) || /^127\./.test(u.hostname);
  } catch {
    return false;
  }
}

/** Reads `npm audit --json` output (exit status 1 just means vulnerabilities were found). */
export function parseNpmAudit(stdout: string): NpmAuditResult {
  let data: { error?: { code?: string; summary?: string }; metadata?: { vulnerabilities?: Record<string, number> }; vulnerabilities?: Record<string, { severity?: string; via?: unknown[] }> };
  try {
    data = JSON.parse(stdout) as typeof data;
  } catch {
    return { assessed: false, reason: 'npm audit printed no JSON report', counts: { ...NO_COUNTS }, vulnerabilities: [] };
  }
  if (data.error) return { assessed: false, reason: `npm audit failed: ${data.error.code ?? ''} ${data.error.summary ?? ''}`.trim(), counts: { ...NO_COUNTS }, vulnerabilities: [] };
  const counts = { ...NO_COUNTS };
  for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] = Number(data.metadata?.vulnerabilities?.[k] ?? 0);
  const vulnerabilities = Object.entries(data.vulnerabilities ?? {})
    .map(([name, v]) => ({
      name,
      severity: v.severity ?? 'unknown',
      title: (v.via ?? []).map((x) => (typeof x === 'object' && x !== null && 'title' in x ? String((x as { title: unknown }).title) : String(x))).join('; ').slice(0, 300),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { assessed: true, reason: null, counts, vulnerabilities };
}

function npmBinary(env: NodeJS.ProcessEnv, execPath: string): string {
  const beside = join(dirname(execPath), 'npm');
  if (existsSync(beside)) return beside;
  for (const dir of (env.PATH ?? SYSTEM_PATH).split(':')) if (dir && existsSync(join(dir, 'npm'))) return join(dir, 'npm');
  return 'npm';
}

/**
 * `npm audit --json` in the OpenClaw package, only when npm's registry is on this machine. npm skips the
 * advisory lookup entirely with --offline and prints an empty report whatever the dependencies, so an
 * offline run would prove nothing; against a remote registry it would go online. Either way: not assessed.
 */
export async function npmAudit(pkg: OpenClawPackage, run: CommandRunner, env: NodeJS.ProcessEnv, execPath = process.execPath): Promise<NpmAuditResult> {
  const npm = npmBinary(env, execPath);
  const npmEnv: NodeJS.ProcessEnv = { PATH: `${dirname(execPath)}:${SYSTEM_PATH}`, HOME: env.HOME ?? '/nonexistent', LANG: 'C' };
  for (const [k, v] of Object.entries(env)) if (/^npm_config_/i.test(k)) npmEnv[k] = v;
  const registry = await run(npm, ['config', 'get', 'registry'], { cwd: pkg.dir, env: npmEnv, timeoutMs: 15_000 });
  if (!registry.ok) return { assessed: false, reason: registry.missing ? 'npm is not installed' : `npm config get registry failed: ${firstLine(registry.stderr)}`, counts: { ...NO_COUNTS }, vulnerabilities: [] };
  const url = registry.stdout.trim();
  if (!isLocalRegistry(url)) {
    return {
      assessed: false,
      reason: `npm audit needs the advisory service of ${url}; ocsec does not go online, and \`npm audit --offline\` skips advisories (its report is empty whatever the dependencies). Point npm at a local registry mirror to have it assessed.`,
      counts: { ...NO_COUNTS },
      vulnerabilities: [],
    };
  }
  const r = await run(npm, ['audit', '--json'], { cwd: pkg.dir, env: npmEnv, timeoutMs: 60_000 });
  if (r.missing) return { assessed: false, reason: 'npm is not installed', counts: { ...NO_COUNTS }, vulnerabilities: [] };
  return parseNpmAudit(r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Synced folders

const SYNCED_PATH = /\/(?:Library\/Mobile Documents|Library\/CloudStorage|iCloud ?Drive|Dropbox(?: \([^)]*\))?|Google ?Drive|My Drive|OneDrive(?: - [^/]+)?|Nextcloud|ownCloud|pCloud ?Drive|Box(?: Sync)?|MEGA|SynologyDrive|Seafile)(?:\/|$)/i;

/**
 * The folder that syncs `path` to a cloud service, if any: by well-known location, or the `.dropbox`
 * marker file Dropbox keeps at its folder's root (the client's own `~/.dropbox` is a directory, not this).
 */
export async function syncedFolderOf(path: string): Promise<string | null> {
  const real = await realpath(path).catch(() => path);
  const m = SYNCED_PATH.exec(real);
  if (m) return real.slice(0, (m.index ?? 0) + m[0].replace(/\/$/, '').length);
  for (let dir = real; dir !== dirname(dir); dir = dirname(dir)) {
    if (await stat(join(dir, '.dropbox')).then((s) => s.isFile(), () => false)) return dir;
  }
  return null;
}
