/** Where this installation's files are: the package root, the built daemon and shim, and the service templates. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding ocsec's package.json, found upwards from this module (it runs from client/ or dist/client/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'ocsec') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    if (dirname(dir) === dir) throw new Error(`ocsec's package.json not found above ${from}`);
  }
}

export const packagePaths = {
  daemonEntry: () => join(packageRoot(), 'dist', 'daemon', 'main.js'),
  bundledShim: () => join(packageRoot(), 'dist', 'shim', 'ocsec-sudo.cjs'),
  template: (relative: string) => join(packageRoot(), relative),
};
