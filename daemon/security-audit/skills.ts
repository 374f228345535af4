/** Finds the installed OpenClaw skills and audits each: red-flag rules over every file, a look-alike name check, symlinks, a verdict and a content hash. */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { SkillHit, SkillReport } from '../../client/security-report.js';
import { redactString } from '../audit/redact.js';
import { defaultPoliciesDir } from '../policy/risk.js';
import { expandHome, type Installation } from './installation.js';
import { readSetting } from './settings.js';
import { LINE_RULES, ruleInfo, SKILL_LEVEL_RULES, type FileKind, type RuleHit, type ScanTarget } from './skill-rules.js';

/** Files larger than this are hashed but not read for red flags. */
export const MAX_SCANNED_FILE_BYTES = 1024 * 1024;
const MAX_FILES_PER_SKILL = 5000;
const MAX_DEPTH = 24;
/** Beyond this many bytes a skill's remaining files are listed by size only. */
const MAX_HASHED_BYTES_PER_SKILL = 256 * 1024 * 1024;
/** Hits listed per rule per skill; the rest are counted in hitsOmitted. */
export const MAX_HITS_PER_RULE = 20;
const MAX_SUPPRESSED = 50;
/** Vendored trees are hashed (a change is a change) but not scanned: their red flags are the dependency's, not the skill's. */
const VENDORED_DIRS = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__']);

const PROSE = new Set(['.md', '.markdown', '.txt', '.rst', '.adoc', '']);
const CODE = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx', '.py', '.sh', '.bash', '.zsh', '.fish', '.rb', '.pl', '.php', '.ps1', '.psm1', '.bat', '.cmd', '.lua', '.go', '.rs', '.java', '.swift', '.applescript']);

export const skillAuditDataSchema = z
  .object({
    version: z.literal(1),
    comment: z.string().optional(),
    known_good_domains: z.array(z.string().regex(/^[a-z0-9.-]+$/, 'is a lower-case host name')),
    official_skills: z.array(z.string().min(1)),
  })
  .strict();

export interface SkillAuditData {
  knownGoodDomains: readonly string[];
  officialSkills: readonly string[];
}

export function defaultSkillAuditDataPath(): string {
  return join(defaultPoliciesDir(), 'skill-audit.json');
}

/** Reads the bundled lists; throws naming the file and field when it is wrong (a packaging error). */
export async function loadSkillAuditData(path = defaultSkillAuditDataPath()): Promise<SkillAuditData> {
  const parsed = skillAuditDataSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { knownGoodDomains: parsed.data.known_good_domains, officialSkills: parsed.data.official_skills };
}

export interface SkillLocation {
  dir: string;
  source: SkillReport['source'];
  /** The SKILL.md file. */
  manifest: string;
  name: string;
  description: string | null;
}

/** The YAML front matter's `name:` and `description:` (one-line values), as OpenClaw reads them. */
export function frontMatter(text: string): { name: string | null; description: string | null } {
  const lines = text.split(/\r?\n/);
  const out = { name: null as string | null, description: null as string | null };
  if (lines[0]?.trim() !== '---') return out;
  for (let i = 1; i < lines.length && i < 200; i++) {
    const line = lines[i]!;
    if (line.trim() === '---') break;
    const m = /^(name|description)\s*:\s*(.*)$/.exec(line);
    if (m) out[m[1] as 'name' | 'description'] = m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2') || null;
  }
  return out;
}

/** The first `bytes` of a file (front matter sits at the top; a huge SKILL.md is not read whole for it). */
async function readHead(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return '';
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function manifestIn(dir: string): Promise<string | null> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const manifest = entries.find((e) => e.toLowerCase() === 'skill.md');
  return manifest ? join(dir, manifest) : null;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Skill roots in OpenClaw's precedence order: workspace, managed (`<state>/skills`), then skills.load.extraDirs. */
export function skillRoots(inst: Installation): Array<{ dir: string; source: SkillReport['source'] }> {
  const roots: Array<{ dir: string; source: SkillReport['source'] }> = [];
  for (const ws of inst.workspaces) roots.push({ dir: join(ws, 'skills'), source: 'workspace' });
  roots.push({ dir: join(inst.stateDir, 'skills'), source: 'managed' });
  const extra = inst.config ? readSetting(inst.config, 'skillsExtraDirs').value : undefined;
  if (Array.isArray(extra)) for (const d of extra) if (typeof d === 'string') roots.push({ dir: expandHome(d, inst.home, inst.stateDir), source: 'extra' });
  return roots;
}

export async function discoverSkills(inst: Installation): Promise<SkillLocation[]> {
  const found: SkillLocation[] = [];
  const seen = new Set<string>();
  const add = async (dir: string, source: SkillReport['source']) => {
    const manifest = await manifestIn(dir);
    if (!manifest) return;
    const real = await realpath(dir).catch(() => dir);
    if (seen.has(real)) return;
    seen.add(real);
    const meta = frontMatter(await readHead(manifest, 64 * 1024));
    found.push({ dir, source, manifest, name: meta.name ?? basename(dir), description: meta.description });
  };
  for (const root of skillRoots(inst)) {
    if (!(await isDir(root.dir))) continue;
    if (await manifestIn(root.dir)) {
      await add(root.dir, root.source);
      continue;
    }
    const entries = (await readdir(root.dir).catch(() => [] as string[])).sort();
    for (const entry of entries) if (await isDir(join(root.dir, entry))) await add(join(root.dir, entry), root.source);
  }
  return found;
}

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Strips the decorations look-alikes add (`openclaw-`, `official-`, `-pro`…) and separators. */
export function normalizeSkillName(name: string): string {
  let n = name.toLowerCase().replace(/^@[^/]+\//, '').replace(/^official\//, '');
  for (let i = 0; i < 4; i++) n = n.replace(/^(openclaw|official|clawhub|oc)[-_ ]/, '').replace(/[-_ ](official|skill|pro|plus|v\d+)$/, '');
  return n.replace(/[-_ .]/g, '');
}

/** Edits allowed before a name counts as a look-alike: fewer for short names, where two edits reach unrelated words. */
function allowedDistance(normalized: string): number {
  return normalized.length >= 8 ? 2 : normalized.length >= 4 ? 1 : 0;
}

export function lookAlikeOf(name: string, officialSkills: readonly string[]): { official: string; distance: number; shadows: boolean } | null {
  if (officialSkills.includes(name)) return { official: name, distance: 0, shadows: true };
  const n = normalizeSkillName(name);
  let best: { official: string; distance: number; shadows: boolean } | null = null;
  for (const official of officialSkills) {
    const o = normalizeSkillName(official);
    const d = levenshtein(n, o);
    if (d <= allowedDistance(o) && (best === null || d < best.distance)) best = { official, distance: d, shadows: false };
  }
  return best;
}

function kindOf(file: string): FileKind {
  const ext = extname(file).toLowerCase();
  if (CODE.has(ext)) return 'code';
  if (PROSE.has(ext)) return 'prose';
  return 'data';
}

/** Which lines sit in a fenced code block (the fence lines included). */
export function fenceMap(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let fence: string | null = null;
  for (const line of lines) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      fence = m[1]![0]!.repeat(m[1]!.length);
      out.push(true);
    } else if (fence !== null && m && m[1]!.startsWith(fence)) {
      fence = null;
      out.push(true);
    } else out.push(fence !== null);
  }
  return out;
}

/**
 * Hashes a file and returns its bytes when it is at most `maxBytes`. Opened with O_NOFOLLOW and
 * O_NONBLOCK and checked with fstat, so a path swapped for a symlink or a FIFO after the directory
 * listing is refused instead of followed or waited on. Null when it cannot be read as a regular file.
 */
async function readRegularFile(path: string, maxBytes: number): Promise<{ sha256: string; bytes: Buffer | null } | null> {
  const handle = await open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    const st = await handle.stat();
    if (!st.isFile()) return null;
    if (st.size <= maxBytes) {
      const bytes = await handle.readFile();
      return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
    }
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex'), bytes: null };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export interface ScanOptions {
  isKnownHost(host: string): boolean;
  officialSkills: readonly string[];
}

export async function scanSkill(loc: SkillLocation, opts: ScanOptions): Promise<SkillReport> {
  const root = await realpath(loc.dir).catch(() => resolve(loc.dir));
  const treeLines: string[] = [];
  const skipped: SkillReport['skipped'] = [];
  const rawHits: Array<RuleHit & { level: SkillHit['level']; ruleSeverity: SkillHit['severity']; file: string }> = [];
  let files = 0;
  let scannedFiles = 0;
  let hashedBytes = 0;

  const record = (ruleId: string, level: SkillHit['level'], severity: SkillHit['severity'], file: string, h: RuleHit) => rawHits.push({ ...h, ruleId, level, ruleSeverity: severity, file });

  const walk = async (dir: string, depth: number, vendored: boolean): Promise<void> => {
    const entries = (await readdir(dir).catch(() => [] as string[])).sort();
    for (const entry of entries) {
      const path = join(dir, entry);
      const rel = relative(root, path);
      const st = await lstat(path).catch(() => null);
      if (!st) continue;
      if (st.isSymbolicLink()) {
        files++;
        const target = await readlink(path).catch(() => '');
        treeLines.push(`${rel}\tlink\t${target}`);
        const resolved = await realpath(path).catch(() => resolve(dirname(path), target));
        if (!isWithin(resolved, root)) {
          const r = SKILL_LEVEL_RULES.symlinkEscape;
          record(r.id, r.level, r.severity, rel, { ruleId: r.id, line: 0, column: 0, match: `${rel} -> ${target}`, message: `links to ${resolved}, outside the skill` });
        }
        continue;
      }
      if (st.isDirectory()) {
        if (depth >= MAX_DEPTH) {
          skipped.push({ file: rel, reason: `deeper than ${MAX_DEPTH} levels; not read` });
          continue;
        }
        await walk(path, depth + 1, vendored || VENDORED_DIRS.has(entry));
        continue;
      }
      if (!st.isFile()) continue;
      files++;
      if (files > MAX_FILES_PER_SKILL) {
        if (files === MAX_FILES_PER_SKILL + 1) skipped.push({ file: rel, reason: `more than ${MAX_FILES_PER_SKILL} files; the rest are not read or hashed` });
        continue;
      }
      if (hashedBytes + st.size > MAX_HASHED_BYTES_PER_SKILL) {
        treeLines.push(`${rel}\tfile\tsize:${st.size}`);
        skipped.push({ file: rel, reason: 'past the per-skill hashing budget; recorded by size' });
        continue;
      }
      hashedBytes += st.size;
      const content = await readRegularFile(path, vendored ? 0 : MAX_SCANNED_FILE_BYTES);
      if (!content) {
        treeLines.push(`${rel}\tfile\tunreadable`);
        skipped.push({ file: rel, reason: 'unreadable, or no longer a regular file' });
        continue;
      }
      treeLines.push(`${rel}\tfile\t${content.sha256}`);
      const bytes = content.bytes;
      if (!bytes) {
        skipped.push({ file: rel, reason: vendored ? 'vendored dependency; hashed, not scanned' : `larger than ${MAX_SCANNED_FILE_BYTES} bytes; hashed, not scanned` });
        continue;
      }
      if (bytes.subarray(0, 8192).includes(0)) {
        skipped.push({ file: rel, reason: 'binary; hashed, not scanned' });
        continue;
      }
      scannedFiles++;
      const lines = bytes.toString('utf8').split(/\r?\n/);
      const kind = kindOf(rel);
      const target: ScanTarget = {
        file: rel,
        kind,
        lines,
        inFence: kind === 'prose' ? fenceMap(lines) : [],
        skillName: loc.name,
        skillDescription: loc.description ?? '',
        isKnownHost: opts.isKnownHost,
      };
      for (const rule of LINE_RULES) {
        if (!rule.kinds.includes(kind)) continue;
        const info = ruleInfo(rule.id);
        for (const h of rule.scan(target)) record(rule.id, info.level, info.severity, rel, h);
      }
    }
  };
  await walk(root, 0, false);

  const lookAlike = lookAlikeOf(loc.name, opts.officialSkills);
  if (lookAlike) {
    const r = SKILL_LEVEL_RULES.typosquat;
    const manifestRel = relative(root, await realpath(loc.manifest).catch(() => loc.manifest));
    const message = lookAlike.shadows
      ? `has the same name as the official skill "${lookAlike.official}" and takes precedence over it`
      : lookAlike.distance === 0
        ? `name "${loc.name}" is the official skill "${lookAlike.official}" with decorations added`
        : `name "${loc.name}" is ${lookAlike.distance} edit${lookAlike.distance === 1 ? '' : 's'} away from the official skill "${lookAlike.official}"`;
    record(r.id, r.level, lookAlike.shadows ? 'medium' : r.severity, manifestRel, { ruleId: r.id, line: 1, column: 1, match: loc.name, message });
  }

  const hits: SkillHit[] = [];
  const suppressed: SkillReport['suppressed'] = [];
  const perRule = new Map<string, number>();
  let hitsOmitted = 0;
  for (const h of rawHits) {
    if (h.suppressed) {
      if (suppressed.length < MAX_SUPPRESSED) suppressed.push({ ruleId: h.ruleId, file: h.file, line: h.line, reason: h.suppressed });
      continue;
    }
    const n = (perRule.get(h.ruleId) ?? 0) + 1;
    perRule.set(h.ruleId, n);
    if (n > MAX_HITS_PER_RULE) {
      hitsOmitted++;
      continue;
    }
    hits.push({ ruleId: h.ruleId, level: h.level, severity: h.severity ?? h.ruleSeverity, file: h.file, line: h.line, column: h.column, match: redactString(h.match), message: redactString(h.message) });
  }
  const verdict = hits.some((h) => h.level === 'reject') ? 'reject' : hits.some((h) => h.level === 'warn') ? 'warn' : hits.length > 0 ? 'note' : 'clean';
  treeLines.sort();
  return {
    name: loc.name,
    path: loc.dir,
    source: loc.source,
    description: loc.description,
    verdict,
    hash: createHash('sha256').update(treeLines.join('\n')).digest('hex'),
    files,
    scannedFiles,
    skipped,
    hits,
    hitsOmitted,
    suppressed,
  };
}

/** Host matching for URLs: a known-good domain matches itself and its subdomains. */
export function knownHostMatcher(domains: readonly string[]): (host: string) => boolean {
  const set = new Set(domains.map((d) => d.toLowerCase()));
  return (host) => {
    const h = host.toLowerCase();
    if (set.has(h)) return true;
    for (let dot = h.indexOf('.'); dot >= 0; dot = h.indexOf('.', dot + 1)) if (set.has(h.slice(dot + 1))) return true;
    return false;
  };
}
