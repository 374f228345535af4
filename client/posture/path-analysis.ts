/** Which `sudo` a PATH would run: the first executable one along it, and whether that is the ocsec shim launcher. */
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** The marker line every launcher written by `ocsecctl install --shim` carries. */
export const LAUNCHER_MARKER = '# ocsec sudo shim launcher';

export interface SudoResolution {
  /** The sudo this PATH runs, null when none is found. */
  firstSudo: string | null;
  /** The first sudo is the launcher in the shim directory. */
  shimFirst: boolean;
  /** Why it is not, in words a person can act on; null when it is. */
  problem: string | null;
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isShimLauncher(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').slice(0, 4096).includes(LAUNCHER_MARKER);
  } catch {
    return false;
  }
}

/**
 * Walks PATH like execvp: empty and relative entries are named as a problem (they resolve against
 * whatever directory the process is in), the first executable `sudo` wins.
 */
export function resolveSudoOnPath(path: string, shimDir: string): SudoResolution {
  const shimReal = realOr(shimDir);
  const entries = path.split(':');
  for (const [index, raw] of entries.entries()) {
    const dir = raw === '' ? '.' : raw;
    if (!isAbsolute(dir)) {
      return { firstSudo: null, shimFirst: false, problem: `PATH entry ${index + 1} ("${raw}") is relative: a sudo in the working directory would run first` };
    }
    const candidate = join(dir, 'sudo');
    if (!isExecutableFile(candidate)) continue;
    if (realOr(dir) === shimReal) {
      return isShimLauncher(candidate)
        ? { firstSudo: candidate, shimFirst: true, problem: null }
        : { firstSudo: candidate, shimFirst: false, problem: `${candidate} is not the ocsec launcher` };
    }
    const shimListed = entries.slice(index + 1).some((e) => e !== '' && realOr(e) === shimReal);
    return {
      firstSudo: candidate,
      shimFirst: false,
      problem: shimListed ? `${shimDir} comes after ${dir} in PATH, so ${candidate} runs unguarded` : `${shimDir} is not in PATH, so ${candidate} runs unguarded`,
    };
  }
  const shimListed = entries.some((e) => e !== '' && realOr(e) === shimReal);
  return { firstSudo: null, shimFirst: false, problem: shimListed ? `${shimDir} is in PATH but holds no shim launcher (ocsecctl install --shim)` : 'no sudo on this PATH' };
}
