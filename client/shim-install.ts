/** Installs and removes the sudo shim launcher at <state>/bin/sudo, pinned to this node and this shim. */
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstallStep } from './install/manifest.js';
import { packagePaths } from './install/package-paths.js';
import type { Layout } from './layout.js';
import { LAUNCHER_MARKER } from './posture/path-analysis.js';
import { locateRealSudo, readSecurePath } from './real-sudo.js';

export { LAUNCHER_MARKER };
export type { InstallStep };

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** dist/shim/ocsec-sudo.cjs under the package root, the bundled shim (found from the sources too, for tests). */
export function bundledShimPath(): string {
  return packagePaths.bundledShim();
}

/**
 * The launcher: pins the absolute node binary and shim path chosen at install, drops variables that
 * slow or subvert Node, and pins the socket so a caller cannot point the shim at a daemon of its own.
 */
export function renderLauncher(opts: { node: string; shim: string; socket: string; binDir: string; securePath: readonly string[] | null }): string {
  return [
    '#!/bin/sh',
    `${LAUNCHER_MARKER} — installed by \`ocsecctl install --shim\`; remove with \`ocsecctl uninstall --shim\`.`,
    'unset NODE_OPTIONS NODE_EXTRA_CA_CERTS NODE_PATH',
    `OCSEC_SOCKET=${shQuote(opts.socket)}`,
    `OCSEC_SHIM_DIR=${shQuote(opts.binDir)}`,
    // sudo's secure_path as read at install (empty: not visible to this user, the shim uses sudo's default).
    `OCSEC_SECURE_PATH=${shQuote(opts.securePath?.join(':') ?? '')}`,
    'export OCSEC_SOCKET OCSEC_SHIM_DIR OCSEC_SECURE_PATH',
    `exec ${shQuote(opts.node)} ${shQuote(opts.shim)} "$@"`,
    '',
  ].join('\n');
}

export function installShim(layout: Layout, opts: { dryRun: boolean; env: NodeJS.ProcessEnv }): InstallStep[] {
  const shim = bundledShimPath();
  if (!existsSync(shim)) throw new Error(`the bundled shim ${shim} is missing; run \`npm run build\` first`);
  const realSudo = locateRealSudo({ override: opts.env.OPENCLAW_REAL_SUDO, shimDirs: [layout.binDir] });
  if (!realSudo.ok) throw new Error(`refusing to install the shim: ${realSudo.message}`);
  const launcherPath = join(layout.binDir, 'sudo');
  const content = renderLauncher({ node: realpathSync(process.execPath), shim: realpathSync(shim), socket: layout.socketPath, binDir: layout.binDir, securePath: readSecurePath(realSudo.path) });
  const current = existsSync(launcherPath) ? readFileSync(launcherPath, 'utf8') : null;
  if (current !== null && !current.includes(LAUNCHER_MARKER)) throw new Error(`${launcherPath} exists and was not written by ocsec; move it aside first`);
  const steps: InstallStep[] = [];
  if (!existsSync(layout.binDir)) {
    steps.push({ kind: 'mkdir', action: `mkdir -m 700 ${layout.binDir}`, path: layout.binDir, changed: true });
    if (!opts.dryRun) mkdirSync(layout.binDir, { recursive: true, mode: 0o700 });
  }
  if (current === content) {
    steps.push({ kind: 'unchanged', action: `unchanged: ${launcherPath} (real sudo ${realSudo.path})`, path: launcherPath, changed: false });
  } else {
    steps.push({ kind: 'write', action: `write ${launcherPath} (mode 0700; node ${realpathSync(process.execPath)}, real sudo ${realSudo.path})`, path: launcherPath, changed: true, content });
    if (!opts.dryRun) {
      writeFileSync(launcherPath, content, { mode: 0o700 });
      chmodSync(launcherPath, 0o700);
    }
  }
  return steps;
}

export function uninstallShim(layout: Layout, opts: { dryRun: boolean }): InstallStep[] {
  const launcherPath = join(layout.binDir, 'sudo');
  if (!existsSync(launcherPath)) return [{ kind: 'unchanged', action: `nothing to remove: ${launcherPath} does not exist`, path: launcherPath, changed: false }];
  if (!readFileSync(launcherPath, 'utf8').includes(LAUNCHER_MARKER)) throw new Error(`${launcherPath} was not written by ocsec; leaving it alone`);
  if (!opts.dryRun) unlinkSync(launcherPath);
  return [{ kind: 'remove', action: `remove ${launcherPath}`, path: launcherPath, changed: true }];
}
