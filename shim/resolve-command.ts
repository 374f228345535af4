/** Resolves the command sudo would run (secure_path search, realpath) and builds the argv sudo runs for -s and -i. */

// Only node: built-ins may be imported here: the shim is bundled into one small, fast-starting CommonJS file.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ParsedSudo } from './sudo-args.js';

export { DEFAULT_SECURE_PATH, securePathFromSudoV } from '../client/real-sudo.js';

export type ResolveResult =
  | { ok: true; path: string; searched: string[] }
  | { ok: false; reason: 'not-found' | 'not-executable' | 'is-directory'; message: string };

type CandidateProblem = 'not-found' | 'not-executable' | 'is-directory';

/** Why a path cannot be executed as a command, or null when it is a regular file with an execute bit that applies. */
function candidateProblem(path: string): CandidateProblem | null {
  let isFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is-directory';
    isFile = st.isFile();
  } catch {
    return 'not-found';
  }
  if (!isFile) return 'not-executable';
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return 'not-executable';
  }
}

/**
 * Finds the file sudo would execute for `name`. A name with a slash is taken relative to cwd and never searched; a
 * bare name is looked up only in securePath (relative entries such as "." are skipped, as sudo's ignore_dot does),
 * never in the caller's PATH, which the agent controls. Every failure reads as sudo's own "command not found".
 */
export function resolveCommand(name: string, opts: { securePath: readonly string[]; cwd: string }): ResolveResult {
  const notFound = (reason: CandidateProblem): ResolveResult => ({ ok: false, reason, message: `sudo: ${name}: command not found` });
  const found = (path: string, searched: string[]): ResolveResult => {
    try {
      return { ok: true, path: realpathSync(path), searched };
    } catch {
      // Removed between the check and realpath.
      return notFound('not-found');
    }
  };

  if (name === '') return notFound('not-found');

  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(opts.cwd, name);
    const problem = candidateProblem(path);
    return problem === null ? found(path, [path]) : notFound(problem);
  }

  const searched: string[] = [];
  // The most telling problem met on the way, so "is a directory" beats "not found" when nothing runnable exists.
  let closest: CandidateProblem = 'not-found';
  for (const dir of opts.securePath) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    searched.push(candidate);
    const problem = candidateProblem(candidate);
    if (problem === null) return found(candidate, searched);
    if (closest === 'not-found') closest = problem;
  }
  return notFound(closest);
}

/**
 * The login shell of `user` in /etc/passwd-format text, or null when the user is not listed. `#UID` (as in
 * `sudo -u '#0'`) matches by uid. An empty shell field means /bin/sh, as passwd(5) says.
 */
export function loginShellOf(user: string, passwdText: string): string | null {
  const uid = /^#\d+$/.test(user) ? user.slice(1) : null;
  for (const line of passwdText.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const isMatch = uid === null ? fields[0] === user : fields[2] === uid;
    if (isMatch) return fields[6]!.trim() === '' ? '/bin/sh' : fields[6]!.trim();
  }
  return null;
}

/**
 * sudo's quoting of a command for `shell -c`: a backslash before every character except ASCII letters, digits,
 * '_', '-' and '$' (so `$VAR` still expands), words joined by single spaces. sudo escapes byte by byte, so each
 * byte of a multi-byte character gets its own backslash; here each character gets one, which a shell reads the same.
 */
export function escapeForShellCommand(words: readonly string[]): string {
  return words.map((word) => word.replace(/[^A-Za-z0-9_$-]/gu, (ch) => `\\${ch}`)).join(' ');
}

/**
 * The argv sudo runs for -s and -i. -s runs the shell given (sudo takes the caller's $SHELL, else the caller's
 * passwd shell) with `-c` and the escaped command when there is one. -i runs the target user's passwd shell as a
 * login shell; sudo marks it so by naming argv[0] "-bash" rather than passing -l, and it also starts in the
 * target's home directory with a login-like environment. An argv cannot carry a different argv[0], so -l stands in
 * for it here: bash, dash, zsh, ksh, fish and busybox sh accept it; csh and tcsh accept -l only as their sole option.
 */
export function shellCommandFor(parsed: Pick<ParsedSudo, 'loginShell' | 'command'>, targetShell: string): string[] {
  const argv = parsed.loginShell ? [targetShell, '-l'] : [targetShell];
  if (parsed.command.length > 0) argv.push('-c', escapeForShellCommand(parsed.command));
  return argv;
}
