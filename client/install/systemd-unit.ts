/** systemd unit files: quoting values we write, and reading Environment= from a unit and its drop-ins. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One word of ExecStart=: `%` and `$` are escaped (specifier, variable), and anything else special is quoted. */
export function quoteExecArg(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `"NAME=value"` for Environment=: systemd expands specifiers there (so `%` is doubled) but not `$VARIABLES`. */
export function quoteEnvironmentAssignment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name "${name}"`);
  if (/[\n\r\0]/.test(value)) throw new Error(`the value of ${name} contains a newline or NUL`);
  return `"${`${name}=${value}`.replace(/%/g, '%%').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface UnitEntry {
  section: string;
  key: string;
  value: string;
  file: string;
  line: number;
}

/** Lines of a unit file as (section, key, value), with comments dropped and backslash continuations joined. */
export function parseUnitFile(text: string, file = '<unit>'): UnitEntry[] {
  const entries: UnitEntry[] = [];
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      line = line.slice(0, -1) + ' ' + (next.startsWith('#') || next.startsWith(';') ? '' : next);
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    entries.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), file, line: lineNo });
  }
  return entries;
}

/** Splits an Environment= value into words the way systemd does: double/single quotes and C escapes. */
export function splitEnvironmentWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i]!)) i++;
    if (i >= value.length) break;
    let word = '';
    while (i < value.length && !/\s/.test(value[i]!)) {
      const ch = value[i]!;
      if (ch === '"' || ch === "'") {
        const quote = ch;
        i++;
        while (i < value.length && value[i] !== quote) {
          if (value[i] === '\\' && quote === '"' && i + 1 < value.length) {
            const esc = value[i + 1]!;
            word += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
            i += 2;
          } else word += value[i++];
        }
        i++; // closing quote
      } else if (ch === '\\' && i + 1 < value.length) {
        word += value[i + 1];
        i += 2;
      } else {
        word += ch;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** The specifiers an Environment= value may carry that matter for PATH: %h, %u, %U and %%. */
function expandSpecifiers(text: string, ctx: { home: string; user: string; uid: number }): string {
  return text.replace(/%([%hUu])/g, (_m, s: string) => (s === '%' ? '%' : s === 'h' ? ctx.home : s === 'u' ? ctx.user : String(ctx.uid)));
}

/** Environment= assignments in order (an empty assignment resets the list); later ones win per variable. */
export function environmentFrom(entries: readonly UnitEntry[], ctx: { home: string; user: string; uid: number }): Map<string, { value: string; file: string; line: number }> {
  const env = new Map<string, { value: string; file: string; line: number }>();
  for (const e of entries) {
    if (e.section !== 'Service' || e.key !== 'Environment') continue;
    if (e.value === '') {
      env.clear();
      continue;
    }
    for (const word of splitEnvironmentWords(e.value)) {
      const eq = word.indexOf('=');
      if (eq <= 0) continue;
      env.set(word.slice(0, eq), { value: expandSpecifiers(word.slice(eq + 1), ctx), file: e.file, line: e.line });
    }
  }
  return env;
}

/** Where a per-user service manager looks for units, most important first (systemd.unit(5), user unit search path). */
export function userUnitDirs(configHome: string): string[] {
  return [join(configHome, 'systemd', 'user'), '/etc/systemd/user', '/usr/local/lib/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'];
}

export interface LoadedUnit {
  name: string;
  file: string;
  dropIns: string[];
  entries: UnitEntry[];
}

/** The unit file the user manager would load for `name`, then its drop-ins (all dirs, each file name once, in name order). */
export function loadUserUnit(name: string, dirs: readonly string[]): LoadedUnit | null {
  const file = dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  if (!file) return null;
  const dropIns = new Map<string, string>();
  for (const dir of dirs) {
    const dropInDir = join(dir, `${name}.d`);
    let names: string[];
    try {
      names = readdirSync(dropInDir);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.conf') && !dropIns.has(n)) dropIns.set(n, join(dropInDir, n));
  }
  const ordered = [...dropIns.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
  const entries = [file, ...ordered].flatMap((p) => parseUnitFile(readFileSync(p, 'utf8'), p));
  return { name, file, dropIns: ordered, entries };
}

/** The PATH a user service gets when its unit sets none: the manager's own default (systemd ≥ 246, merged /usr). */
export const SYSTEMD_USER_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
