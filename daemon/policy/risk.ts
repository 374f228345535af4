/** Classifies a resolved sudo request as 'shell' (gives a shell or runs arbitrary code as the target) or 'standard', using policies/shell-escapes.json. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface RiskVerdict {
  risk: 'shell' | 'standard';
  why: string | null;
}

export type RequestMode = 'command' | 'shell' | 'edit';

const reason = z.string().min(1);

/** A regex that compiles; patterns are matched against a basename, so they are short and come from the package. */
const compilableRegex = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

const argumentRule = z
  .object({
    name: z.string().min(1),
    args_any: z.array(z.string().min(1)).optional(),
    args_prefix_any: z.array(z.string().min(1)).optional(),
    short_flags_any: z.array(z.string().regex(/^[A-Za-z0-9]$/, 'is one letter or digit')).optional(),
    no_args: z.boolean().optional(),
    unless_args_any: z.array(z.string().min(1)).optional(),
    why: reason,
  })
  .strict()
  .refine((rule) => hasTrigger(rule) || (rule.unless_args_any?.length ?? 0) > 0, {
    // A rule with neither triggers nor exceptions belongs in "always", where it is easier to see.
    message: 'needs a trigger (args_any, args_prefix_any, short_flags_any, no_args) or unless_args_any; otherwise put the name in "always"',
  });

export const shellEscapeListSchema = z
  .object({
    version: z.literal(1),
    comment: z.string().optional(),
    always: z.array(z.object({ name: z.string().min(1), why: reason }).strict()),
    name_patterns: z.array(z.object({ pattern: compilableRegex, why: reason }).strict()),
    when_args: z.array(argumentRule),
  })
  .strict()
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.always.forEach((entry, i) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: ['always', i, 'name'], message: `${entry.name} is listed twice` });
      seen.add(entry.name);
    });
    list.when_args.forEach((rule, i) => {
      // An "always" name would make its conditions dead text that a maintainer might trust.
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['when_args', i, 'name'], message: `${rule.name} is already in "always"` });
    });
  });

type ArgumentRule = z.infer<typeof argumentRule>;

export interface ShellEscapeList {
  always: ReadonlyMap<string, string>;
  namePatterns: ReadonlyArray<{ regex: RegExp; why: string }>;
  whenArgs: ReadonlyMap<string, readonly ArgumentRule[]>;
}

interface RuleTriggers {
  args_any?: readonly string[] | undefined;
  args_prefix_any?: readonly string[] | undefined;
  short_flags_any?: readonly string[] | undefined;
  no_args?: boolean | undefined;
}

function hasTrigger(rule: RuleTriggers): boolean {
  return (rule.args_any?.length ?? 0) > 0 || (rule.args_prefix_any?.length ?? 0) > 0 || (rule.short_flags_any?.length ?? 0) > 0 || rule.no_args === true;
}

/** policies/ sits at the package root; compiled code runs from dist/daemon/policy/. */
export function defaultPoliciesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'policies');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('policies/ not found above ' + fileURLToPath(import.meta.url));
}

export function defaultShellEscapesPath(): string {
  return join(defaultPoliciesDir(), 'shell-escapes.json');
}

/** Validates parsed JSON and builds the lookup tables; throws with every problem and where it is. */
export function compileShellEscapes(data: unknown, source = 'shell-escapes.json'): ShellEscapeList {
  const parsed = shellEscapeListSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new Error(`${source} is not a valid shell-escape list:\n  ${problems.join('\n  ')}`);
  }
  const whenArgs = new Map<string, ArgumentRule[]>();
  for (const rule of parsed.data.when_args) whenArgs.set(rule.name, [...(whenArgs.get(rule.name) ?? []), rule]);
  return {
    always: new Map(parsed.data.always.map((entry) => [entry.name, entry.why])),
    namePatterns: parsed.data.name_patterns.map((entry) => ({ regex: new RegExp(entry.pattern), why: entry.why })),
    whenArgs,
  };
}

/** Reads and validates the shipped list (or another file); throws when it is missing or invalid. */
export function loadShellEscapes(path = defaultShellEscapesPath()): ShellEscapeList {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return compileShellEscapes(data, path);
}

/** A word such as -cIf: a cluster of single-letter options, whose letters can be looked at one by one. */
function isShortOptionCluster(word: string): boolean {
  return /^-[A-Za-z0-9]+$/.test(word);
}

function isRuleTriggered(rule: ArgumentRule, args: readonly string[]): boolean {
  if (rule.unless_args_any?.some((word) => args.includes(word))) return false;
  if (!hasTrigger(rule)) return true;
  if (rule.no_args === true && args.length === 0) return true;
  if (rule.args_any?.some((word) => args.includes(word))) return true;
  if (rule.args_prefix_any?.some((prefix) => args.some((arg) => arg.startsWith(prefix)))) return true;
  const clusters = args.filter(isShortOptionCluster);
  return rule.short_flags_any?.some((letter) => clusters.some((cluster) => cluster.slice(1).includes(letter))) ?? false;
}

/**
 * Whether running `resolvedArgv` (argv[0] the realpath sudo will execute) as the target amounts to a shell.
 * Matching is on the basename of argv[0], so `/usr/bin/python3.11` and a copy of bash named `bash` both match.
 */
export function classifyRisk(resolvedArgv: readonly string[], mode: RequestMode, list: ShellEscapeList): RiskVerdict {
  if (mode === 'shell') return { risk: 'shell', why: 'sudo -s/-i runs a shell' };
  if (mode === 'edit') {
    // The editor itself runs as the invoking user, but what it saves is written as root, and rewriting sudoers,
    // a crontab, a unit or a profile script is code execution as root.
    return { risk: 'shell', why: 'sudoedit writes the files as root, and a root-owned file such as sudoers, a crontab or a unit runs code as root' };
  }
  const [program, ...args] = resolvedArgv;
  if (program === undefined || program === '') return { risk: 'shell', why: 'no command to classify' };
  const name = basename(program);

  const always = list.always.get(name);
  if (always !== undefined) return { risk: 'shell', why: `${name} ${always}` };
  const pattern = list.namePatterns.find((entry) => entry.regex.test(name));
  if (pattern) return { risk: 'shell', why: `${name} ${pattern.why}` };
  const rule = list.whenArgs.get(name)?.find((candidate) => isRuleTriggered(candidate, args));
  if (rule) return { risk: 'shell', why: rule.why };
  return { risk: 'standard', why: null };
}
