/** The install manifest: what `ocsecctl install` changed, so `uninstall` reverses exactly that and nothing else. */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Layout } from '../layout.js';

export type Component = 'service' | 'shim' | 'gateway-path';
export const COMPONENTS: readonly Component[] = ['service', 'shim', 'gateway-path'];

/** One change an install step made (or would make, in a dry run), printed as it happens. */
export interface InstallStep {
  kind: 'mkdir' | 'write' | 'remove' | 'run' | 'skip' | 'unchanged' | 'note' | 'backup' | 'edit';
  action: string;
  path: string;
  changed: boolean;
  /** The bytes written, for the manifest's hash (never printed). */
  content?: string;
}

export type ManifestEntry =
  /** A file install wrote; removed on uninstall only while it still has this content. */
  | { component: Component; kind: 'file'; path: string; sha256: string; at: string }
  /** A directory install created; removed on uninstall only when empty. */
  | { component: Component; kind: 'dir'; path: string; at: string }
  /** A command install ran, and the one that reverses it. */
  | { component: Component; kind: 'command'; argv: string[]; undo: string[]; at: string }
  /** A key install set in a property list, with what was there before (null: absent) and the backup taken first. */
  | { component: Component; kind: 'plist-key'; path: string; key: string; previous: string | null; value: string; backup: string; at: string };

export interface Manifest {
  version: 1;
  stateDir: string;
  platform: string;
  entries: ManifestEntry[];
}

export function manifestPath(layout: Layout): string {
  return join(layout.securityDir, 'install-manifest.json');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

export function readManifest(layout: Layout, platform: string): Manifest {
  const path = manifestPath(layout);
  if (!existsSync(path)) return { version: 1, stateDir: layout.stateDir, platform, entries: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ManifestError(`${path} is not valid JSON (${(e as Error).message}); move it aside to start over`);
  }
  const m = parsed as Partial<Manifest>;
  if (m.version !== 1 || !Array.isArray(m.entries)) throw new ManifestError(`${path} is not an install manifest (version 1 with entries)`);
  return { version: 1, stateDir: layout.stateDir, platform: m.platform ?? platform, entries: m.entries };
}

/** Written atomically (0600); removed when nothing is left to record. */
export function writeManifest(layout: Layout, manifest: Manifest): void {
  const path = manifestPath(layout);
  if (manifest.entries.length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function sameEntry(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.component !== b.component || a.kind !== b.kind) return false;
  if (a.kind === 'command' && b.kind === 'command') return a.argv.join('\0') === b.argv.join('\0');
  if (a.kind === 'plist-key' && b.kind === 'plist-key') return a.path === b.path && a.key === b.key;
  return 'path' in a && 'path' in b && a.path === b.path;
}

/** Adds or replaces an entry: reinstalling records each change once; a plist key keeps its first `previous`. */
export function recordEntry(manifest: Manifest, entry: ManifestEntry): void {
  const index = manifest.entries.findIndex((e) => sameEntry(e, entry));
  if (index < 0) {
    manifest.entries.push(entry);
    return;
  }
  const old = manifest.entries[index]!;
  // The value before ocsec first touched the key is what uninstall must restore, not ocsec's own earlier value.
  if (old.kind === 'plist-key' && entry.kind === 'plist-key') manifest.entries[index] = { ...entry, previous: old.previous, backup: old.backup };
  else if (old.kind === 'dir') return; // created by an earlier install; still ours
  else manifest.entries[index] = entry;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/**
 * Paths uninstall never removes whatever the manifest says: the state and security directories, and
 * everything in security/ (policy files, ocsec.json, the database and its WAL, the audit log, assessments)
 * except the manifest itself.
 */
export function protectedReason(layout: Layout, path: string): string | null {
  const p = resolve(path);
  if (p === resolve(layout.stateDir)) return 'the state directory';
  if (p === resolve(manifestPath(layout))) return null;
  if (isInside(p, layout.securityDir)) return 'ocsec state (policy files, database, audit log)';
  return null;
}
