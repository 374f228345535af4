/** Materialises an OpenClaw installation fixture in a temp dir: token-shaped values generated now, modes and symlinks applied (git keeps neither). */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const OPENCLAW_FIXTURES = resolve(import.meta.dirname, '../fixtures/openclaw');

/**
 * Credential-shaped test strings, built at run time so no committed file holds anything a secret
 * scanner (or GitHub push protection) would take for a live key.
 */
export function fixtureSecrets(): Record<string, string> {
  return {
    STRONG_TOKEN: randomBytes(32).toString('hex'),
    OPENAI_KEY: 'sk-' + 'a'.repeat(48),
    ANTHROPIC_KEY: 'sk-ant-' + 'b'.repeat(40),
    GITHUB_TOKEN: 'ghp_' + 'c'.repeat(36),
    TELEGRAM_TOKEN: '123456789:' + randomBytes(27).toString('base64url').slice(0, 35),
  };
}

interface Manifest {
  modes?: Record<string, string>;
  symlinks?: Record<string, string>;
}

function copyTree(from: string, to: string, secrets: Record<string, string>): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry === '_fixture.json') continue;
    const src = join(from, entry);
    const dst = join(to, entry);
    if (statSync(src).isDirectory()) copyTree(src, dst, secrets);
    else {
      const text = readFileSync(src, 'utf8');
      if (text.includes('{{')) writeFileSync(dst, text.replace(/\{\{([A-Z_]+)\}\}/g, (m, name: string) => secrets[name] ?? m));
      else copyFileSync(src, dst);
    }
  }
}

export interface MaterializedFixture {
  dir: string;
  secrets: Record<string, string>;
  /** (Re)applies the manifest's modes, e.g. after ocsecd tightened the state dir at start. */
  applyModes(): void;
}

/** Copies fixture `name` into `dir` (created if needed) and applies its manifest. */
export function materializeFixture(name: string, dir: string, secrets = fixtureSecrets()): MaterializedFixture {
  const source = join(OPENCLAW_FIXTURES, name);
  copyTree(source, dir, secrets);
  const manifestPath = join(source, '_fixture.json');
  const manifest: Manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : {};
  for (const [link, target] of Object.entries(manifest.symlinks ?? {})) {
    mkdirSync(dirname(join(dir, link)), { recursive: true });
    symlinkSync(target, join(dir, link));
  }
  const applyModes = () => {
    // Deepest first, so a directory made unreadable does not hide its own children.
    const entries = Object.entries(manifest.modes ?? {}).sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [path, mode] of entries) chmodSync(path === '.' ? dir : join(dir, path), Number.parseInt(mode, 8));
  };
  applyModes();
  return { dir, secrets, applyModes };
}
