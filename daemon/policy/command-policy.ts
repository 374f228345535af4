/** The command policy (command-policy.json) and prompt policy (prompt-policy.json): schemas, linear-time regexes, and the allow/deny decision for one canonical argv. */
import { basename } from 'node:path';
import { RE2JS, RE2JSException } from 're2js';
import { z } from 'zod';
import { parseJsonText, type LoadResult } from '../json-file.js';

// ---------------------------------------------------------------------------------------------
// shlex.join
// ---------------------------------------------------------------------------------------------

/** Python's shlex._find_unsafe: `[^\w@%+=:,./-]` with re.ASCII, so any non-ASCII letter forces quoting. */
const SHELL_UNSAFE = /[^A-Za-z0-9_@%+=:,./-]/;

/** Python's shlex.quote, character for character, so patterns written for the reference match the same text. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (!SHELL_UNSAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Python's shlex.join: the string the policy regexes are searched in. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

export interface CompiledPattern {
  source: string;
  /** RE2 runs in time linear in the input, so neither a hostile pattern nor a huge argv can stall the daemon. */
  regex: RE2JS;
}

/**
 * RE2's own messages say what is wrong ("invalid escape sequence: `\1`") but not why a pattern that
 * worked under the Python reference fails here, so the common cases get a hint.
 */
function re2Hint(source: string): string {
  if (/\\[1-9]/.test(source)) return ' (RE2 has no backreferences)';
  if (/\(\?<?[=!]/.test(source)) return ' (RE2 has no lookahead or lookbehind)';
  if (source.includes('\\Z')) return ' (RE2 spells end-of-text \\z, not \\Z)';
  return '';
}

/**
 * Compiles a pattern or throws with the engine's reason; the schema turns that into a file:line:field
 * problem. Patterns written for the reference's Python `re` mostly mean the same under RE2, except:
 * no backreferences or lookaround (refused here, never silently skipped as the reference did), and
 * `\b \w \d \s` are ASCII-only where Python's are Unicode-aware.
 */
export function compilePattern(source: string): CompiledPattern {
  try {
    return { source, regex: RE2JS.compile(source) };
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    throw new InvalidPatternError(source, `${err.message}${re2Hint(source)}`);
  }
}

export class InvalidPatternError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`invalid pattern ${JSON.stringify(source)}: ${reason}`);
    this.name = 'InvalidPatternError';
  }
}

export const patternSchema = z.string().transform((source, ctx): CompiledPattern => {
  try {
    return compilePattern(source);
  } catch (err) {
    if (!(err instanceof InvalidPatternError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message, input: source });
    return z.NEVER;
  }
});

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/**
 * JSON has no comments, so people annotate policy files with "comment" or "_note" keys; those are
 * accepted and ignored. Any other unknown key is an error, because a typo such as "deny_exacts" would
 * otherwise silently drop a deny rule.
 */
function isCommentKey(key: string): boolean {
  return key === 'comment' || key.startsWith('_');
}

export function withCommentKeys<Shape extends z.ZodRawShape>(shape: Shape) {
  const dropCommentKeys = (value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([key]) => !isCommentKey(key)))
      : value;
  return z.preprocess(dropCommentKeys, z.strictObject(shape));
}

const argvSchema = z.array(z.string());

export const commandPolicySchema = withCommentKeys({
  allow: z.array(patternSchema).default([]),
  deny: z.array(patternSchema).default([]),
  allow_exact: z.array(argvSchema).default([]),
  deny_exact: z.array(argvSchema).default([]),
  /** ocsec addition: refuse commands whose program is a shell (see shellProgramOf). */
  deny_shells: z.boolean().default(false),
  /**
   * ocsec addition, read by the elevation logic rather than here: whether an approved elevation may
   * stay open for further commands of the same session until its idle timeout, instead of ending
   * with the one approved command.
   */
  keep_session: z.boolean().default(false),
});

export type CommandPolicy = z.output<typeof commandPolicySchema>;

/**
 * The reference template sets require_confirmation_for_untrusted to true, and a file that exists but
 * leaves the key out should not be weaker than the template, so an absent key means true.
 */
export const promptPolicySchema = withCommentKeys({
  require_confirmation_for_untrusted: z.boolean().default(true),
});

export type PromptPolicy = z.output<typeof promptPolicySchema>;

/** The policy in force when command-policy.json does not exist: the reference's "no file: allowed". */
export const EMPTY_COMMAND_POLICY: CommandPolicy = commandPolicySchema.parse({});

export function parseCommandPolicy(file: string, text: string): LoadResult<CommandPolicy> {
  return parseJsonText(file, text, commandPolicySchema);
}

export function parsePromptPolicy(file: string, text: string): LoadResult<PromptPolicy> {
  return parseJsonText(file, text, promptPolicySchema);
}

// ---------------------------------------------------------------------------------------------
// deny_shells
// ---------------------------------------------------------------------------------------------

const SHELL_NAMES = new Set([
  'sh', 'ash', 'dash', 'bash', 'rbash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'oksh', 'yash',
  'csh', 'tcsh', 'fish', 'elvish', 'nu', 'xonsh', 'pwsh',
]);

/** env options that take the next word as their argument (GNU and BSD spellings). */
const ENV_OPTIONS_WITH_ARGUMENT = new Set(['-u', '--unset', '-C', '--chdir', '-P']);

/** The program `env ARGS` would run, skipping its options and NAME=VALUE assignments. */
function programRunByEnv(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (arg === '-S' || arg === '--split-string') return args[i + 1]?.trim().split(/\s+/)[0];
    if (arg.startsWith('--split-string=')) return arg.slice('--split-string='.length).trim().split(/\s+/)[0];
    if (arg.startsWith('-S')) return arg.slice(2).trim().split(/\s+/)[0];
    if (ENV_OPTIONS_WITH_ARGUMENT.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-') || arg.includes('=')) continue;
    return arg;
  }
  return undefined;
}

/**
 * The shell this argv runs directly, or through `env` or `busybox`, else undefined. This is a
 * guardrail against the obvious `sudo bash`, not a sandbox: a shell reached through any other
 * program (an interpreter, an editor's `:!sh`, `find -exec`) is not seen; deny those with rules.
 */
export function shellProgramOf(argv: readonly string[]): string | undefined {
  const program = argv[0];
  if (program === undefined) return undefined;
  const name = basename(program);
  if (SHELL_NAMES.has(name)) return name;
  if (name === 'env') {
    const inner = programRunByEnv(argv.slice(1));
    return inner === undefined ? undefined : shellProgramOf([inner]);
  }
  if (name === 'busybox' && argv[1] !== undefined && SHELL_NAMES.has(basename(argv[1]))) return `busybox ${basename(argv[1])}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Decision
// ---------------------------------------------------------------------------------------------

export interface CommandDecision {
  allowed: boolean;
  /** The rule that decided: `deny_exact[0]`, `deny[1]`, `deny_shells`, `allow_exact[0]`, `allow[2]`, `not_allowlisted` or `default`. */
  rule: string;
  reason: string;
}

function isSameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/**
 * Decides one canonical (absolute, resolved) argv, in the reference order:
 *
 *   deny_exact → deny → deny_shells (ocsec) → allow_exact → allow → allowed.
 *
 * Deny rules always win over allow rules. "Exclusive when non-empty" is read as the two allowlists
 * together forming one allowlist: if either allow_exact or allow has entries, a command must equal
 * an allow_exact entry or match an allow pattern, else it is denied (`not_allowlisted`); if both are
 * empty, whatever no deny rule caught is allowed (`default`). So allow_exact alone admits only its
 * exact argvs, allow alone admits only what its patterns match, and with both a command passes
 * when either admits it. The stricter reading, where a non-empty allow_exact alone decides and
 * allow is never consulted, would make the reference's own template (which has both an allow
 * pattern for apt and an allow_exact for systemctl) deny every apt command, so it is not the
 * reference's meaning.
 *
 * Patterns are searched, not fully matched (Python's re.search), in shellJoin(argv).
 */
export function evaluateCommandPolicy(policy: CommandPolicy, argv: readonly string[]): CommandDecision {
  const joined = shellJoin(argv);

  const denyExact = policy.deny_exact.findIndex((entry) => isSameArgv(entry, argv));
  if (denyExact >= 0) return { allowed: false, rule: `deny_exact[${denyExact}]`, reason: 'the command equals a deny_exact entry' };

  const deny = policy.deny.findIndex((p) => p.regex.test(joined));
  if (deny >= 0) return { allowed: false, rule: `deny[${deny}]`, reason: `the command matches the deny pattern ${JSON.stringify(policy.deny[deny]!.source)}` };

  if (policy.deny_shells) {
    const shell = shellProgramOf(argv);
    if (shell !== undefined) return { allowed: false, rule: 'deny_shells', reason: `the command runs the shell ${shell} and deny_shells is on` };
  }

  const allowExact = policy.allow_exact.findIndex((entry) => isSameArgv(entry, argv));
  if (allowExact >= 0) return { allowed: true, rule: `allow_exact[${allowExact}]`, reason: 'the command equals an allow_exact entry' };

  const allow = policy.allow.findIndex((p) => p.regex.test(joined));
  if (allow >= 0) return { allowed: true, rule: `allow[${allow}]`, reason: `the command matches the allow pattern ${JSON.stringify(policy.allow[allow]!.source)}` };

  if (policy.allow_exact.length > 0 || policy.allow.length > 0) {
    const lists = [policy.allow_exact.length > 0 ? 'allow_exact' : null, policy.allow.length > 0 ? 'allow' : null].filter((l) => l !== null).join(' or ');
    return { allowed: false, rule: 'not_allowlisted', reason: `the command is not in ${lists}, and a non-empty allowlist admits only what it lists` };
  }
  return { allowed: true, rule: 'default', reason: 'no deny rule matches and the policy has no allowlist' };
}
