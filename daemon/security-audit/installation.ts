/** Reads an OpenClaw installation as the gateway would: openclaw.json (JSON5, with $include), .env, agents in either layout, workspaces. */
import { createHash } from 'node:crypto';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import JSON5 from 'json5';
import { readAgentSetting, readSetting } from './settings.js';

/** No real configuration comes near this; a larger file is reported rather than read. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** OpenClaw nests includes at most this deep; deeper (or circular) chains are reported. */
export const MAX_INCLUDE_DEPTH = 10;
const MAX_INCLUDED_FILES = 64;

export interface ConfigFile {
  path: string;
  role: 'main' | 'include';
  sha256: string;
  text: string;
  /** The path itself is a symbolic link (its target's mode is what protects it). */
  isSymlink: boolean;
  /** The file's own content as parsed (before includes are merged); undefined when it does not parse. */
  parsed: unknown;
}

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface EnvEntry {
  key: string;
  value: string;
  line: number;
}

export interface AgentView {
  id: string;
  /** Where it is declared: `agents.list[0]` or `agents.entries.work`. */
  source: string;
  value: Record<string, unknown>;
}

export interface Installation {
  stateDir: string;
  home: string;
  configPath: string;
  configExists: boolean;
  /** The merged configuration; null when a file it needs does not parse (checks that read it are not assessed). */
  config: Record<string, unknown> | null;
  files: ConfigFile[];
  problems: ConfigProblem[];
  envFile: { path: string; exists: boolean; entries: EnvEntry[] };
  agents: AgentView[];
  /** Workspace directories that exist (default, per agent). */
  workspaces: string[];
  env: NodeJS.ProcessEnv;
}

export interface InstallationOptions {
  stateDir: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

/** `~` expanded, relative paths taken from base, `..` resolved: the path reported is the one meant. */
export function expandHome(path: string, home: string, base: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return resolve(base, path);
}

/** OPENCLAW_CONFIG_PATH, else `<state>/openclaw.json`, as OpenClaw resolves it. */
export function configPathFor(stateDir: string, env: NodeJS.ProcessEnv, home: string): string {
  const fromEnv = env.OPENCLAW_CONFIG_PATH;
  return fromEnv && fromEnv.length > 0 ? expandHome(fromEnv, home, process.cwd()) : join(stateDir, 'openclaw.json');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Later sources win; objects merge key by key, anything else is replaced. Prototype keys are never copied. */
export function deepMerge(...sources: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      const existing = out[key];
      out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
    }
  }
  return out;
}

function parseProblem(file: string, err: unknown): ConfigProblem {
  const e = err as { message?: string; lineNumber?: number; columnNumber?: number };
  const message = (e.message ?? String(err)).replace(/^JSON5:\s*/, '').replace(/\s+at \d+:\d+$/, '');
  return { file, line: e.lineNumber ?? 0, column: e.columnNumber ?? 0, message: `invalid JSON5: ${message}` };
}

class ConfigReader {
  readonly files: ConfigFile[] = [];
  readonly problems: ConfigProblem[] = [];

  /** Reads and parses one file; problems are recorded and undefined returned, never thrown. */
  async readFile(path: string, role: ConfigFile['role']): Promise<unknown> {
    let isSymlink = false;
    try {
      isSymlink = (await lstat(path)).isSymbolicLink();
      const st = await stat(path);
      if (!st.isFile()) {
        this.problems.push({ file: path, line: 0, column: 0, message: 'not a regular file' });
        return undefined;
      }
      if (st.size > MAX_CONFIG_BYTES) {
        this.problems.push({ file: path, line: 0, column: 0, message: `larger than ${MAX_CONFIG_BYTES} bytes; not read` });
        return undefined;
      }
    } catch (err) {
      this.problems.push({ file: path, line: 0, column: 0, message: `cannot read: ${(err as Error).message}` });
      return undefined;
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      this.problems.push({ file: path, line: 0, column: 0, message: `cannot read: ${(err as Error).message}` });
      return undefined;
    }
    const file: ConfigFile = { path, role, sha256: createHash('sha256').update(text).digest('hex'), text, isSymlink, parsed: undefined };
    this.files.push(file);
    try {
      file.parsed = JSON5.parse(text) as unknown;
      return file.parsed;
    } catch (err) {
      this.problems.push(parseProblem(path, err));
      return undefined;
    }
  }

  /** Replaces `$include` (a path or a list) by the included objects, merged under the sibling keys. */
  async resolveIncludes(value: unknown, file: string, chain: readonly string[]): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.resolveIncludes(v, file, chain)));
    if (!isPlainObject(value)) return value;
    const siblings: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key !== '$include') siblings[key] = await this.resolveIncludes(v, file, chain);
    }
    if (!Object.prototype.hasOwnProperty.call(value, '$include')) return siblings;
    const spec = value.$include;
    const targets = typeof spec === 'string' ? [spec] : Array.isArray(spec) && spec.every((s) => typeof s === 'string') ? (spec as string[]) : null;
    if (targets === null) {
      this.problems.push({ file, line: 0, column: 0, message: '$include must be a path or a list of paths' });
      return siblings;
    }
    const included: Record<string, unknown>[] = [];
    for (const target of targets) {
      const path = resolve(dirname(file), target);
      const real = await realpath(path).catch(() => path);
      if (chain.includes(real)) {
        this.problems.push({ file, line: 0, column: 0, message: `$include ${target} is circular` });
        continue;
      }
      if (chain.length >= MAX_INCLUDE_DEPTH) {
        this.problems.push({ file, line: 0, column: 0, message: `$include ${target} nests deeper than ${MAX_INCLUDE_DEPTH} levels` });
        continue;
      }
      if (this.files.length >= MAX_INCLUDED_FILES) {
        this.problems.push({ file, line: 0, column: 0, message: `more than ${MAX_INCLUDED_FILES} included files; ${target} not read` });
        continue;
      }
      const parsed = await this.readFile(path, 'include');
      if (parsed === undefined) continue;
      if (!isPlainObject(parsed)) {
        this.problems.push({ file: path, line: 1, column: 1, message: 'an included file must hold an object' });
        continue;
      }
      included.push((await this.resolveIncludes(parsed, path, [...chain, real])) as Record<string, unknown>);
    }
    return deepMerge(...included, siblings);
  }
}

function unquote(raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) return value.slice(1, -1);
  const comment = value.search(/\s#/);
  return comment >= 0 ? value.slice(0, comment).trim() : value;
}

/** dotenv syntax: `KEY=value`, optional `export `, quotes, `#` comments. */
export function parseDotEnv(text: string): EnvEntry[] {
  const entries: EnvEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(raw);
    if (m) entries.push({ key: m[1]!, value: unquote(m[2]!), line: i + 1 });
  });
  return entries;
}

function agentsOf(config: Record<string, unknown>): AgentView[] {
  const agents: AgentView[] = [];
  const list = readSetting(config, 'agentsList');
  if (Array.isArray(list.value)) {
    list.value.forEach((entry, i) => {
      if (!isPlainObject(entry)) return;
      const id = readAgentSetting(entry, 'id').value;
      agents.push({ id: typeof id === 'string' ? id : `#${i}`, source: `${list.path}[${i}]`, value: entry });
    });
  }
  const entries = readSetting(config, 'agentsEntries');
  if (isPlainObject(entries.value)) {
    for (const [id, entry] of Object.entries(entries.value)) {
      if (isPlainObject(entry)) agents.push({ id, source: `${entries.path}.${id}`, value: entry });
    }
  }
  return agents;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function workspacesOf(config: Record<string, unknown>, agents: AgentView[], stateDir: string, home: string): Promise<string[]> {
  const configured = readSetting(config, 'agentsDefaultsWorkspace').value;
  const candidates = [typeof configured === 'string' ? expandHome(configured, home, stateDir) : join(stateDir, 'workspace')];
  for (const agent of agents) {
    const own = readAgentSetting(agent.value, 'workspace').value;
    candidates.push(typeof own === 'string' ? expandHome(own, home, stateDir) : join(stateDir, `workspace-${agent.id}`));
  }
  const existing: string[] = [];
  for (const dir of new Set(candidates)) if (await isDirectory(dir)) existing.push(dir);
  return existing;
}

export async function loadInstallation(opts: InstallationOptions): Promise<Installation> {
  const configPath = configPathFor(opts.stateDir, opts.env, opts.home);
  const reader = new ConfigReader();
  const configExists = await lstat(configPath).then(
    () => true,
    () => false,
  );
  let config: Record<string, unknown> | null = {};
  if (configExists) {
    const parsed = await reader.readFile(configPath, 'main');
    if (parsed !== undefined && !isPlainObject(parsed)) {
      reader.problems.push({ file: configPath, line: 1, column: 1, message: 'the configuration must be an object' });
      config = null;
    } else if (parsed === undefined) {
      config = null;
    } else {
      const real = await realpath(configPath).catch(() => configPath);
      config = (await reader.resolveIncludes(parsed, configPath, [real])) as Record<string, unknown>;
      // A broken or missing include means the gateway would not start with this configuration either.
      if (reader.problems.length > 0) config = null;
    }
  }
  const envPath = join(opts.stateDir, '.env');
  const envStat = await stat(envPath).catch(() => null);
  // .env is small by nature; anything else is read no further than a configuration file would be.
  const envText = envStat?.isFile() && envStat.size <= MAX_CONFIG_BYTES ? await readFile(envPath, 'utf8').catch(() => null) : null;
  const agents = config ? agentsOf(config) : [];
  return {
    stateDir: opts.stateDir,
    home: opts.home,
    configPath,
    configExists,
    config,
    files: reader.files,
    problems: reader.problems,
    envFile: { path: envPath, exists: envText !== null, entries: envText === null ? [] : parseDotEnv(envText) },
    agents,
    workspaces: config ? await workspacesOf(config, agents, opts.stateDir, opts.home) : [],
    env: opts.env,
  };
}

/** Line (1-based) of the first occurrence of `needle` in `text`, for pointing at a value JSON5 gives no position for. */
export function lineOf(text: string, needle: string): number | null {
  const at = needle.length > 0 ? text.indexOf(needle) : -1;
  if (at < 0) return null;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

