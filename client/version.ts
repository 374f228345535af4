/** The package version, read once from package.json so daemon and client report the same string. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function readPackageVersion(): string {
  // Compiled files live in dist/<part>/, sources in <part>/: walk up until package.json is found.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'package.json');
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'ocsec' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // not here; keep walking
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}

export const VERSION = readPackageVersion();
