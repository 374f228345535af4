/** What every install step needs (platform, paths, runner, manifest), and the file operations they share. */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Layout } from '../layout.js';
import { protectedReason, recordEntry, sha256, type Component, type InstallStep, type Manifest, type ManifestEntry } from './manifest.js';
import { formatCommand, type CommandRunner } from './runner.js';

export type Platform = 'linux' | 'darwin';

export interface InstallContext {
  layout: Layout;
  platform: Platform;
  env: NodeJS.ProcessEnv;
  uid: number;
  dryRun: boolean;
  run: CommandRunner;
  manifest: Manifest;
  /** Asks the person at the terminal; null when there is none. */
  confirm: (question: string) => boolean | null;
  now: () => Date;
  steps: InstallStep[];
  /** In a dry run, what would have been removed, so a directory emptied by it is reported as removable too. */
  wouldRemove: Set<string>;
}

/** Every file ocsec renders carries this phrase, so an existing file can be told apart from someone else's. */
export const GENERATED_BY = 'ocsecctl install';

export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallError';
  }
}

export function homeOf(ctx: Pick<InstallContext, 'env'>): string {
  return ctx.env.HOME && ctx.env.HOME.startsWith('/') ? ctx.env.HOME : homedir();
}

/** $XDG_CONFIG_HOME when it is absolute (the spec says relative values are ignored), else ~/.config. */
export function configHomeOf(ctx: Pick<InstallContext, 'env'>): string {
  const xdg = ctx.env.XDG_CONFIG_HOME;
  return xdg && xdg.startsWith('/') ? xdg : join(homeOf(ctx), '.config');
}

export function step(ctx: InstallContext, s: InstallStep): void {
  ctx.steps.push(s);
}

function stamp(ctx: InstallContext): string {
  return ctx.now().toISOString();
}

/** Creates a directory and the missing parents above it, recording each one created so uninstall can remove it when empty. */
export function ensureDir(ctx: InstallContext, component: Component, dir: string, mode: number): void {
  if (existsSync(dir)) {
    if (!lstatSync(dir).isDirectory()) throw new InstallError(`${dir} exists and is not a directory`);
    return;
  }
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    step(ctx, { kind: 'mkdir', action: `mkdir -m ${mode.toString(8)} ${d}`, path: d, changed: true });
    if (!ctx.dryRun) {
      mkdirSync(d, { mode });
      chmodSync(d, mode);
      recordEntry(ctx.manifest, { component, kind: 'dir', path: d, at: stamp(ctx) });
    }
  }
}

/**
 * Writes a rendered file unless it already has exactly this content. A file that exists and was not
 * rendered by ocsec (no GENERATED_BY phrase) is never overwritten.
 */
export function writeRendered(ctx: InstallContext, component: Component, path: string, content: string, mode: number, what: string): boolean {
  ensureDir(ctx, component, dirname(path), 0o700);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current !== null && !current.includes(GENERATED_BY)) {
    throw new InstallError(`${path} exists and was not written by ocsec; move it aside first`);
  }
  if (current === content) {
    const modeNow = lstatSync(path).mode & 0o777;
    if (modeNow !== mode && !ctx.dryRun) chmodSync(path, mode);
    step(ctx, { kind: 'unchanged', action: `unchanged: ${path} (${what})`, path, changed: modeNow !== mode });
    if (!ctx.dryRun) recordEntry(ctx.manifest, { component, kind: 'file', path, sha256: sha256(content), at: stamp(ctx) });
    return false;
  }
  step(ctx, { kind: 'write', action: `${current === null ? 'write' : 'update'} ${path} (mode ${mode.toString(8).padStart(4, '0')}; ${what})`, path, changed: true, content });
  if (!ctx.dryRun) {
    writeAtomically(path, content, mode);
    recordEntry(ctx.manifest, { component, kind: 'file', path, sha256: sha256(content), at: stamp(ctx) });
  }
  return true;
}

/** tmp file beside the target (a name launchd and systemd ignore), then rename: a reader never sees half a file. */
export function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.ocsec-tmp`);
  rmSync(tmp, { force: true });
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Runs a command (or says it would / could not), returning whether it ran and succeeded. */
export function runStep(ctx: InstallContext, argv: string[], why: string): boolean {
  if (ctx.dryRun) {
    step(ctx, { kind: 'run', action: `would run: ${formatCommand(argv)} (${why})`, path: argv[0]!, changed: true });
    return false;
  }
  const res = ctx.run(argv);
  if (res.status === 0) {
    step(ctx, { kind: 'run', action: `ran: ${formatCommand(argv)} (${why})`, path: argv[0]!, changed: true });
    return true;
  }
  const detail = res.error ?? ((res.stderr || res.stdout).trim().split('\n').filter(Boolean).at(-1) ?? `exit ${res.status}`);
  step(ctx, { kind: 'skip', action: `failed: ${formatCommand(argv)} (${why}): ${detail}`, path: argv[0]!, changed: false });
  return false;
}

/** Reverses the manifest's entries for one component, newest first, and drops them from the manifest. */
export function reverseComponent(ctx: InstallContext, component: Component, reversePlistKey?: (entry: PlistKeyEntry) => boolean): void {
  const mine = ctx.manifest.entries.filter((e) => e.component === component);
  if (mine.length === 0) step(ctx, { kind: 'unchanged', action: `nothing recorded for ${component} in the install manifest`, path: component, changed: false });
  const kept: ManifestEntry[] = [];
  for (const entry of [...mine].reverse()) {
    const settled = entry.kind === 'plist-key' ? (reversePlistKey?.(entry) ?? false) : reverseEntry(ctx, entry);
    if (!settled) kept.push(entry);
  }
  if (!ctx.dryRun) ctx.manifest.entries = ctx.manifest.entries.filter((e) => e.component !== component || kept.includes(e));
}

export type PlistKeyEntry = Extract<ManifestEntry, { kind: 'plist-key' }>;

/** True when the entry is settled (reversed, or nothing left to reverse); false keeps it in the manifest. */
function reverseEntry(ctx: InstallContext, entry: Exclude<ManifestEntry, PlistKeyEntry>): boolean {
  if (entry.kind === 'command') {
    if (ctx.dryRun) {
      step(ctx, { kind: 'run', action: `would run: ${formatCommand(entry.undo)} (undoes ${formatCommand(entry.argv)})`, path: entry.undo[0]!, changed: true });
      return true;
    }
    const res = ctx.run(entry.undo);
    if (res.status === 0) {
      step(ctx, { kind: 'run', action: `ran: ${formatCommand(entry.undo)}`, path: entry.undo[0]!, changed: true });
      return true;
    }
    const detail = res.error ?? ((res.stderr || res.stdout).trim().split('\n').at(-1) || `exit ${res.status}`);
    step(ctx, { kind: 'skip', action: `could not run ${formatCommand(entry.undo)} (${detail}); run it yourself when the service manager is reachable`, path: entry.undo[0]!, changed: false });
    return true;
  }
  const refusal = protectedReason(ctx.layout, entry.path);
  if (refusal) {
    step(ctx, { kind: 'skip', action: `refused: ${entry.path} is ${refusal}; uninstall never removes it (the manifest lists it, which ocsec never does)`, path: entry.path, changed: false });
    return true;
  }
  if (!existsSync(entry.path)) {
    step(ctx, { kind: 'unchanged', action: `already gone: ${entry.path}`, path: entry.path, changed: false });
    return true;
  }
  if (entry.kind === 'dir') {
    if (readdirSync(entry.path).some((name) => !ctx.wouldRemove.has(join(entry.path, name)))) {
      step(ctx, { kind: 'unchanged', action: `kept ${entry.path}: not empty`, path: entry.path, changed: false });
      return true;
    }
    step(ctx, { kind: 'remove', action: `rmdir ${entry.path}`, path: entry.path, changed: true });
    if (ctx.dryRun) ctx.wouldRemove.add(entry.path);
    else rmdirSync(entry.path);
    return true;
  }
  const st = lstatSync(entry.path);
  const current = st.isFile() ? readFileSync(entry.path, 'utf8') : null;
  if (current === null || sha256(current) !== entry.sha256) {
    step(ctx, { kind: 'unchanged', action: `kept ${entry.path}: changed since ocsec wrote it`, path: entry.path, changed: false });
    return true;
  }
  step(ctx, { kind: 'remove', action: `remove ${entry.path}`, path: entry.path, changed: true });
  if (ctx.dryRun) ctx.wouldRemove.add(entry.path);
  else rmSync(entry.path);
  return true;
}

export function hasEntries(ctx: InstallContext, component: Component): boolean {
  return ctx.manifest.entries.some((e) => e.component === component);
}
