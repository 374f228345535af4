/**
 * The violation notifier: which command (OPENCLAW_VIOLATION_NOTIFY_CMD or ocsec.json), whether it may
 * run (on the allowlist, an absolute path to a regular file nobody else can change, not a shell or
 * interpreter launcher), and running it without a shell, the message on stdin, a sanitized environment
 * and a deadline on the injected clock after which its whole process group is killed.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { DEFAULT_SECURE_PATH } from '../../client/real-sudo.js';
import type { Clock } from '../clock.js';
import { classifyRisk, type ShellEscapeList } from '../policy/risk.js';
import type { ComplianceConfig } from './config.js';

export const NOTIFY_TIMEOUT_MS = 5000;
const MAX_STDERR = 2000;

/** An allowlist entry: an exact argv, or a program path that may take any arguments (the reference's legacy form). */
export type AllowEntry = { kind: 'argv'; argv: string[] } | { kind: 'path'; path: string };

export interface NotifierSettings {
  command: string[] | null;
  commandSource: 'OPENCLAW_VIOLATION_NOTIFY_CMD' | 'ocsec.json' | null;
  allowlist: AllowEntry[];
  allowlistSource: 'OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST' | 'ocsec.json' | null;
  /** Entries or values that could not be used, each with why (logged and reported, never fatal). */
  problems: string[];
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((w) => typeof w === 'string' && w.length > 0 && !w.includes('\0'));
}

/** `["/usr/bin/notify", "--flag"]` as JSON, or words split on whitespace (never a shell: no quoting, no expansion). */
export function parseCommand(text: string): { argv: string[] } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'OPENCLAW_VIOLATION_NOTIFY_CMD is empty' };
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      return { problem: `OPENCLAW_VIOLATION_NOTIFY_CMD is not valid JSON: ${(err as Error).message}` };
    }
    return isStringArray(parsed) ? { argv: parsed } : { problem: 'OPENCLAW_VIOLATION_NOTIFY_CMD must be a JSON array of non-empty strings' };
  }
  return { argv: trimmed.split(/\s+/) };
}

/** JSON: an array of argv arrays (or paths); otherwise comma-separated absolute paths. */
export function parseAllowlist(text: string): { entries: AllowEntry[]; problems: string[] } {
  const trimmed = text.trim();
  const problems: string[] = [];
  if (trimmed === '') return { entries: [], problems };
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      return { entries: [], problems: [`OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST is not valid JSON: ${(err as Error).message}`] };
    }
    if (!Array.isArray(parsed)) return { entries: [], problems: ['OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST must be a JSON array of argv arrays'] };
    return allowEntries(parsed, 'OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST');
  }
  return allowEntries(
    trimmed
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
    'OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST',
  );
}

function allowEntries(items: readonly unknown[], source: string): { entries: AllowEntry[]; problems: string[] } {
  const entries: AllowEntry[] = [];
  const problems: string[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'string') {
      if (isAbsolute(item) && !item.includes('\0')) entries.push({ kind: 'path', path: item });
      else problems.push(`${source} entry ${i + 1} ("${item}") is not an absolute path; ignored`);
    } else if (isStringArray(item)) {
      if (isAbsolute(item[0]!)) entries.push({ kind: 'argv', argv: item });
      else problems.push(`${source} entry ${i + 1} starts with "${item[0]}", not an absolute path; ignored`);
    } else problems.push(`${source} entry ${i + 1} is neither an absolute path nor an argv array; ignored`);
  });
  return { entries, problems };
}

/** The environment wins over ocsec.json, separately for the command and the allowlist. */
export function notifierSettings(env: NodeJS.ProcessEnv, config: ComplianceConfig['notify']): NotifierSettings {
  const problems: string[] = [];
  let command: string[] | null = null;
  let commandSource: NotifierSettings['commandSource'] = null;
  const envCommand = env.OPENCLAW_VIOLATION_NOTIFY_CMD;
  if (envCommand !== undefined && envCommand.trim() !== '') {
    const parsed = parseCommand(envCommand);
    if ('argv' in parsed) {
      command = parsed.argv;
      commandSource = 'OPENCLAW_VIOLATION_NOTIFY_CMD';
    } else problems.push(parsed.problem);
  } else if (config.command) {
    command = config.command;
    commandSource = 'ocsec.json';
  }
  let allowlist: AllowEntry[] = [];
  let allowlistSource: NotifierSettings['allowlistSource'] = null;
  const envAllow = env.OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST;
  if (envAllow !== undefined && envAllow.trim() !== '') {
    const parsed = parseAllowlist(envAllow);
    allowlist = parsed.entries;
    allowlistSource = 'OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST';
    problems.push(...parsed.problems);
  } else if (config.allowlist.length > 0) {
    const parsed = allowEntries(config.allowlist, 'compliance.notify.allowlist');
    allowlist = parsed.entries;
    allowlistSource = 'ocsec.json';
    problems.push(...parsed.problems);
  }
  return { command, commandSource, allowlist, allowlistSource, problems };
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isAllowed(argv: readonly string[], allowlist: readonly AllowEntry[]): boolean {
  return allowlist.some((entry) =>
    entry.kind === 'argv'
      ? entry.argv.length === argv.length && entry.argv.every((w, i) => w === argv[i])
      : entry.path === argv[0] || realOr(entry.path) === realOr(argv[0]!),
  );
}

export type Vetting = { ok: true; argv: string[]; program: string } | { ok: false; reason: string };

/**
 * Whether this argv may run as the notifier. Each refusal names its rule: a relative program, a shell
 * or interpreter (it would run whatever its arguments say), an argv not on the allowlist, a program
 * that is not a regular executable file or that someone other than root or this user could replace.
 */
export function vetNotifier(argv: readonly string[], allowlist: readonly AllowEntry[], escapes: ShellEscapeList, ownUid = process.getuid?.() ?? -1): Vetting {
  const program = argv[0];
  if (program === undefined || program === '') return { ok: false, reason: 'the notifier command is empty' };
  if (!isAbsolute(program)) return { ok: false, reason: `"${program}" is not an absolute path (a relative program would be looked up where an attacker may put one)` };
  const resolved = realOr(program);
  for (const candidate of new Set([program, resolved])) {
    const risk = classifyRisk([candidate, ...argv.slice(1)], 'command', escapes);
    if (risk.risk === 'shell') return { ok: false, reason: `${candidate} is a shell or interpreter launcher: ${risk.why ?? 'it runs arbitrary code'}` };
  }
  if (allowlist.length === 0) return { ok: false, reason: 'no notifier is allowlisted (set OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST or compliance.notify.allowlist)' };
  if (!isAllowed(argv, allowlist)) return { ok: false, reason: `${JSON.stringify(argv)} is not on the notifier allowlist` };
  let st;
  try {
    st = statSync(resolved);
  } catch (err) {
    return { ok: false, reason: `${program} cannot be found: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (!st.isFile()) return { ok: false, reason: `${resolved} is not a regular file` };
  if ((st.mode & 0o022) !== 0) return { ok: false, reason: `${resolved} is writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${(st.mode & 0o777).toString(8)}): anyone who can change it would run code as ocsecd` };
  if (st.uid !== 0 && st.uid !== ownUid) return { ok: false, reason: `${resolved} is owned by uid ${st.uid}, neither root nor ocsecd's user` };
  try {
    accessSync(resolved, constants.X_OK);
  } catch {
    return { ok: false, reason: `${resolved} is not executable` };
  }
  return { ok: true, argv: [...argv], program: resolved };
}

/** Only what a desktop or mail notifier needs; no tokens, no NODE_OPTIONS, a PATH of system directories. */
export function notifierEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { PATH: DEFAULT_SECURE_PATH.join(':'), OCSEC_NOTIFY: '1' };
  for (const name of ['HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY']) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export interface DeliveryResult {
  outcome: 'delivered' | 'failed' | 'timeout';
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  durationMs: number;
  detail: string;
}

/**
 * Runs the vetted notifier: no shell, its own process group (so a deadline kills whatever it started),
 * the message on stdin. Never rejects: every failure is a result.
 */
export function deliver(argv: readonly string[], message: string, o: { clock: Clock; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<DeliveryResult> {
  const timeoutMs = o.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const started = o.clock.monotonic();
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let stderr = '';
    const finish = (r: Omit<DeliveryResult, 'durationMs' | 'stderr'>) => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(timer);
      resolve({ ...r, stderr, durationMs: o.clock.monotonic() - started });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0]!, argv.slice(1), { shell: false, stdio: ['pipe', 'ignore', 'pipe'], env: notifierEnvironment(o.env), cwd: '/', detached: true });
    } catch (err) {
      resolve({ outcome: 'failed', exitCode: null, signal: null, stderr: '', durationMs: 0, detail: `could not start ${argv[0]}: ${(err as Error).message}` });
      return;
    }
    // After the deadline the wait ends when the notifier itself is gone: a descendant that left the
    // process group (setsid) may hold stderr open for as long as it likes, and 'close' waits for it.
    const finishTimedOut = (code: number | null, signal: NodeJS.Signals | null) => {
      child.stdin?.destroy();
      child.stderr?.destroy();
      finish({ outcome: 'timeout', exitCode: code, signal, detail: `killed after ${timeoutMs} ms without exiting` });
    };
    const timer = o.clock.setTimeout(() => {
      timedOut = true;
      try {
        // The negative pid is the process group: a notifier that forked is stopped with its children.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      if (child.exitCode !== null || child.signalCode !== null) finishTimedOut(child.exitCode, child.signalCode);
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      if (timedOut) finishTimedOut(code, signal);
    });
    child.on('error', (err) => finish({ outcome: 'failed', exitCode: null, signal: null, detail: `could not run ${argv[0]}: ${err.message}` }));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr = (stderr + chunk).slice(0, MAX_STDERR);
    });
    // A notifier that exits without reading its stdin is not an error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(message);
    child.on('close', (code, signal) => {
      if (timedOut) return finishTimedOut(code, signal);
      if (code === 0) return finish({ outcome: 'delivered', exitCode: 0, signal: null, detail: 'the notifier exited 0' });
      finish({ outcome: 'failed', exitCode: code, signal, detail: `the notifier ${signal ? `was killed by ${signal}` : `exited ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]!.slice(0, 300)}` : ''}` });
    });
  });
}
