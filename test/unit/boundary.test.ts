// The shim and the client never reach into daemon/: they speak to it only through client/protocol.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier in import/export-from statements, dynamic import() and require(). */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\s+['"]([^'"]+)['"]/g];
  for (const p of patterns) for (const m of source.matchAll(p)) specs.push(m[1]!);
  return specs;
}

describe('import boundary', () => {
  it('finds imports in every syntactic form (so the boundary check can fail)', () => {
    const sample = `import a from '../daemon/a.js';\nimport type { B } from "../daemon/b.js";\nexport { c } from '../daemon/c.js';\nconst d = await import('../daemon/d.js');\nconst e = require('../daemon/e.js');\nimport '../daemon/f.js';`;
    expect(importsOf(sample).sort()).toEqual(['../daemon/a.js', '../daemon/b.js', '../daemon/c.js', '../daemon/d.js', '../daemon/e.js', '../daemon/f.js']);
  });

  it.each(['client', 'shim'])('nothing under %s/ imports daemon/', (part) => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, part))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(join(file, '..'), spec));
        if (target === 'daemon' || target.startsWith('daemon/')) offenders.push(`${relative(root, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('client/ has source files to check', () => {
    expect(sourceFiles(join(root, 'client')).length).toBeGreaterThan(3);
  });
});
