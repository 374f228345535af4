/** Finds and vets the real sudo binary: root-owned, not writable by group or others, and never the shim itself. */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_SECURE_PATH: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

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
