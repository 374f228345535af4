/** Finds and vets the real sudo binary: root-owned, not writable by group or others, and never the shim itself. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** Debian's and Ubuntu's secure_path, used when `sudo -V` does not show one. */
export const DEFAULT_SECURE_PATH: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const SECURE_PATH_LINE = /^Value to override user's \$PATH with: (.*)$/m;

/**
 * secure_path from `sudo -V` output, or null when it shows none. Only root sees the sudoers defaults, and the
 * label is translated, so `sudo -V` must run with LC_ALL=C. A sudoers without secure_path makes sudo search
 * the caller's PATH; the shim never does that, so null means "fall back to DEFAULT_SECURE_PATH".
 */
export function securePathFromSudoV(output: string): string[] | null {
  const match = SECURE_PATH_LINE.exec(output);
  if (!match) return null;
  const dirs = match[1]!.split(':').filter((dir) => dir !== '');
  return dirs.length > 0 ? dirs : null;
}

/** Asks the real sudo for its secure_path (visible when run as root; null otherwise). Used once, at install. */
export function readSecurePath(realSudo: string): string[] | null {
  const r = spawnSync(realSudo, ['-V'], { env: { LC_ALL: 'C', PATH: DEFAULT_SECURE_PATH.join(':') }, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? securePathFromSudoV(r.stdout) : null;
}

/**
 * The secure path the launcher recorded, if every entry is absolute and no one but root can change it
 * (the variable reaches the shim from its environment, so a caller's own value must not widen the search).
 */
export function trustedSecurePath(value: string | undefined): readonly string[] | null {
  if (!value) return null;
  const dirs: string[] = [];
  for (const dir of value.split(':')) {
    if (!isAbsolute(dir)) return null;
    let st;
    try {
      st = statSync(dir);
    } catch {
      continue; // not there now, so not searched: someone creating it later gains nothing
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return null;
    dirs.push(dir);
  }
  return dirs.length > 0 ? dirs : null;
}

export type RealSudoResult = { ok: true; path: string } | { ok: false; message: string };

/** Why a candidate may not be trusted as the real sudo, or null when it may. */
export function realSudoProblem(path: string, shimDirs: readonly string[]): string | null {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return `${path} does not exist`;
  }
  for (const dir of shimDirs) {
    const resolvedDir = (() => {
      try {
        return realpathSync(dir);
      } catch {
        return dir;
      }
    })();
    if (real.startsWith(resolvedDir + '/')) return `${path} is the ocsec shim, not the real sudo`;
  }
  const st = statSync(real);
  if (!st.isFile()) return `${real} is not a regular file`;
  if (st.uid !== 0) return `${real} is owned by uid ${st.uid}, not root`;
  if ((st.mode & 0o022) !== 0) return `${real} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  try {
    accessSync(real, constants.X_OK);
  } catch {
    return `${real} is not executable`;
  }
  return null;
}

/**
 * OPENCLAW_REAL_SUDO when set (it must pass the same checks), else the first `sudo` on the secure
 * path that is not in one of shimDirs.
 */
export function locateRealSudo(opts: { override?: string | undefined; shimDirs: readonly string[]; securePath?: readonly string[] }): RealSudoResult {
  if (opts.override) {
    const problem = realSudoProblem(opts.override, opts.shimDirs);
    return problem ? { ok: false, message: `OPENCLAW_REAL_SUDO=${opts.override} is not a valid sudo: ${problem}` } : { ok: true, path: realpathSync(opts.override) };
  }
  const problems: string[] = [];
  for (const dir of opts.securePath ?? DEFAULT_SECURE_PATH) {
    const candidate = join(dir, 'sudo');
    let exists = true;
    try {
      statSync(candidate);
    } catch {
      exists = false;
    }
    if (!exists) continue;
    const problem = realSudoProblem(candidate, opts.shimDirs);
    if (!problem) return { ok: true, path: realpathSync(candidate) };
    problems.push(problem);
  }
  return {
    ok: false,
    message: problems.length
      ? `no trustworthy sudo found: ${problems.join('; ')}`
      : `sudo is not installed (searched ${(opts.securePath ?? DEFAULT_SECURE_PATH).join(':')}); install it (apt-get install sudo) or set OPENCLAW_REAL_SUDO`,
  };
}
