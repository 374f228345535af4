/** Parses a sudo command line the way sudo 1.9's own parse_args() does, so the shim knows exactly what the agent asked sudo to do. */

// Only node: built-ins may be imported here: the shim is bundled into one small, fast-starting CommonJS file.

export type SudoMode = 'passthrough' | 'command' | 'shell' | 'edit';

/** Why a command line is handed to the real sudo untouched: it runs nothing as another user. */
export type PassthroughReason = 'help' | 'version' | 'list' | 'validate' | 'reset-timestamp' | 'remove-timestamp' | 'usage';

export interface ParsedSudo {
  mode: SudoMode;
  /** Set only when mode is 'passthrough'. */
  passthroughReason: PassthroughReason | null;
  targetUser: string | null;
  targetGroup: string | null;
  otherUser: string | null;
  /** -h HOST / --host=HOST; sudoers accepts it only with -l, so it only ever appears in passthrough results. */
  host: string | null;
  /** true for -E / --preserve-env (which supersedes any list), the names given with --preserve-env=LIST, or false. */
  preserveEnv: true | string[] | false;
  setHome: boolean;
  preserveGroups: boolean;
  nonInteractive: boolean;
  stdinPassword: boolean;
  askpass: boolean;
  bell: boolean;
  background: boolean;
  loginShell: boolean;
  runShell: boolean;
  /** -k: in passthrough it is `sudo -k` itself; with a command it means "ignore the cached credentials". */
  resetTimestamp: boolean;
  noUpdate: boolean;
  closeFrom: string | null;
  chdir: string | null;
  chroot: string | null;
  commandTimeout: string | null;
  prompt: string | null;
  role: string | null;
  type: string | null;
  /** 0 without -l, 1 for -l, 2 for -ll (sudo has no level beyond 2, so -lll is 2). */
  listLevel: number;
  /** "VAR=value" words as given. */
  envAssignments: string[];
  /** The command and its arguments as given (files for edit mode), unresolved. */
  command: string[];
  /**
   * Options for the real sudo, normalised to short forms with values as separate words. Never the passthrough
   * flags, -s/-i/-e (the shim turns those into an explicit command), or -S/-A/-p/-B (the shim owns prompting).
   */
  keptOptions: string[];
}

export interface SudoArgsError {
  error: true;
  /**
   * sudo's own diagnostic ("sudo: invalid option -- 'z'"). Where sudo only prints its usage synopsis, a one-line
   * explanation in the same style, since "usage: ..." alone does not tell an agent what it got wrong.
   */
  message: string;
  /** Exactly what sudo itself writes to standard error for this command line. */
  stderr: string;
}

export interface ParseSudoOptions {
  /** argv[0] of the invocation: a name ending in "edit" (sudoedit) selects edit mode and sudoedit's option set. */
  invokedAs?: string;
  /** The caller's environment; --preserve-env=LIST only copies variables that are set in it. Defaults to process.env. */
  environment?: Readonly<Record<string, string | undefined>>;
}

export function isSudoArgsError(result: ParsedSudo | SudoArgsError): result is SudoArgsError {
  return 'error' in result;
}

/**
 * sudo's test for an environment assignment: any non-option word containing '=' that does not start with '/'.
 * It does not check the name, so `./x=1` and `a-b=1` are assignments too (sudoers silently drops bad names).
 */
export function isEnvAssignment(word: string): boolean {
  return !word.startsWith('/') && word.includes('=');
}

// sudo prints its usage wrapped to the terminal width; this is the 80-column form it uses without a terminal.
const SUDO_USAGE = [
  'usage: sudo -h | -K | -k | -V',
  'usage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]',
  'usage: sudo -l [-ABkNnS] [-g group] [-h host] [-p prompt] [-U user] [-u user]',
  '            [command [arg ...]]',
  'usage: sudo [-ABbEHkNnPS] [-r role] [-t type] [-C num] [-D directory] [-g',
  '            group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user]',
  '            [VAR=value] [-i | -s] [command [arg ...]]',
  'usage: sudo -e [-ABkNnS] [-r role] [-t type] [-C num] [-D directory] [-g group]',
  '            [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] file ...',
  '',
].join('\n');

const SUDOEDIT_USAGE = [
  'usage: sudoedit -h | -V',
  'usage: sudoedit [-ABkNnS] [-r role] [-t type] [-C num] [-D directory] [-g',
  '                group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u',
  '                user] file ...',
  '',
].join('\n');

type ArgumentKind = 'none' | 'required' | 'optional';

/** The single letter sudo's switch() sees; --host has no letter of its own. */
type OptionKey = string;
const HOST_KEY = 'host';

// sudo's short_opts "+Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv". On Linux -a (BSD auth) and -c (login
// class) are still in the string, so getopt consumes their argument, but sudo then rejects them with its usage.
const SUDO_SHORT: ReadonlyMap<string, ArgumentKind> = new Map(
  Object.entries({
    A: 'none', a: 'required', B: 'none', b: 'none', C: 'required', c: 'required', D: 'required', E: 'none',
    e: 'none', g: 'required', H: 'none', h: 'optional', i: 'none', K: 'none', k: 'none', l: 'none', N: 'none',
    n: 'none', P: 'none', p: 'required', R: 'required', r: 'required', S: 'none', s: 'none', T: 'required',
    t: 'required', U: 'required', u: 'required', V: 'none', v: 'none',
  } satisfies Record<string, ArgumentKind>),
);

// sudoedit has its own, smaller option set: `sudoedit -l` is "invalid option", not a mode conflict.
const SUDOEDIT_SHORT_LETTERS = 'AaBCcDghKkNnpRrSTtuV';

interface LongOption {
  key: OptionKey;
  argument: ArgumentKind;
}

const SUDO_LONG: ReadonlyMap<string, LongOption> = new Map<string, LongOption>([
  ['askpass', { key: 'A', argument: 'none' }],
  ['auth-type', { key: 'a', argument: 'required' }],
  ['background', { key: 'b', argument: 'none' }],
  ['bell', { key: 'B', argument: 'none' }],
  ['close-from', { key: 'C', argument: 'required' }],
  ['login-class', { key: 'c', argument: 'required' }],
  ['chdir', { key: 'D', argument: 'required' }],
  // Unlike -E, the long form takes an optional argument, which getopt_long only accepts attached with '='.
  ['preserve-env', { key: 'E', argument: 'optional' }],
  ['edit', { key: 'e', argument: 'none' }],
  ['group', { key: 'g', argument: 'required' }],
  ['set-home', { key: 'H', argument: 'none' }],
  ['help', { key: 'h', argument: 'none' }],
  ['host', { key: HOST_KEY, argument: 'required' }],
  ['login', { key: 'i', argument: 'none' }],
  ['remove-timestamp', { key: 'K', argument: 'none' }],
  ['reset-timestamp', { key: 'k', argument: 'none' }],
  ['list', { key: 'l', argument: 'none' }],
  ['no-update', { key: 'N', argument: 'none' }],
  ['non-interactive', { key: 'n', argument: 'none' }],
  ['preserve-groups', { key: 'P', argument: 'none' }],
  ['prompt', { key: 'p', argument: 'required' }],
  ['chroot', { key: 'R', argument: 'required' }],
  ['role', { key: 'r', argument: 'required' }],
  ['stdin', { key: 'S', argument: 'none' }],
  ['shell', { key: 's', argument: 'none' }],
  ['type', { key: 't', argument: 'required' }],
  ['command-timeout', { key: 'T', argument: 'required' }],
  ['other-user', { key: 'U', argument: 'required' }],
  ['user', { key: 'u', argument: 'required' }],
  ['version', { key: 'V', argument: 'none' }],
  ['validate', { key: 'v', argument: 'none' }],
]);

const SUDOEDIT_LONG_NAMES = new Set([
  'askpass', 'auth-type', 'bell', 'close-from', 'login-class', 'chdir', 'group', 'help', 'host', 'reset-timestamp',
  'no-update', 'non-interactive', 'prompt', 'chroot', 'role', 'stdin', 'type', 'command-timeout', 'user', 'version',
]);

/** sudo's internal mode before it is mapped to the shim's four. 'check' is -l with a command; 'invalidate' is -k alone. */
type SudoInternalMode = 'run' | 'edit' | 'help' | 'version' | 'kill' | 'invalidate' | 'list' | 'check' | 'validate';

/** sudo's mode flags: the options each mode accepts or rejects with its usage. */
type ModeFlag = 'background' | 'preserveEnvAll' | 'setHome' | 'preserveGroups' | 'loginShell' | 'runShell' | 'nonInteractive' | 'longList';

const FLAG_OPTION: Record<ModeFlag, string> = {
  background: '-b',
  preserveEnvAll: '-E',
  setHome: '-H',
  preserveGroups: '-P',
  loginShell: '-i',
  runShell: '-s',
  nonInteractive: '-n',
  longList: '-ll',
};

const VALID_FLAGS: Record<SudoInternalMode, ReadonlySet<ModeFlag>> = {
  run: new Set<ModeFlag>(['background', 'preserveEnvAll', 'setHome', 'preserveGroups', 'loginShell', 'runShell', 'nonInteractive']),
  edit: new Set<ModeFlag>(['nonInteractive']),
  list: new Set<ModeFlag>(['nonInteractive', 'longList']),
  check: new Set<ModeFlag>(['nonInteractive', 'longList']),
  validate: new Set<ModeFlag>(['nonInteractive']),
  help: new Set<ModeFlag>(),
  version: new Set<ModeFlag>(),
  kill: new Set<ModeFlag>(),
  invalidate: new Set<ModeFlag>(),
};

const MODE_DESCRIPTION: Record<SudoInternalMode, string> = {
  run: 'running a command',
  edit: '-e',
  help: '-h',
  version: '-V',
  kill: '-K',
  invalidate: '-k without a command',
  list: '-l without a command',
  check: '-l',
  validate: '-v',
};

const PASSTHROUGH_REASON: Partial<Record<SudoInternalMode, PassthroughReason>> = {
  help: 'help',
  version: 'version',
  list: 'list',
  check: 'list',
  validate: 'validate',
  invalidate: 'reset-timestamp',
  kill: 'remove-timestamp',
};

/** sudo_strtonum(optarg, 3, INT_MAX): optional leading white space and sign, decimal digits, nothing after. */
function isCloseFromNumber(text: string): boolean {
  const match = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!match) return false;
  const value = Number(match[2]) * (match[1] === '-' ? -1 : 1);
  return value >= 3 && value <= 2147483647;
}

class ParseState {
  mode: SudoInternalMode | null;
  readonly flags = new Set<ModeFlag>();
  listCount = 0;
  targetUser: string | null = null;
  targetGroup: string | null = null;
  otherUser: string | null = null;
  host: string | null = null;
  preserveEnvList: string[] = [];
  stdinPassword = false;
  askpass = false;
  bell = false;
  resetTimestamp = false;
  noUpdate = false;
  closeFrom: string | null = null;
  chdir: string | null = null;
  chroot: string | null = null;
  commandTimeout: string | null = null;
  prompt: string | null = null;
  role: string | null = null;
  type: string | null = null;
  readonly envAssignments: string[] = [];

  constructor(readonly isSudoedit: boolean) {
    this.mode = isSudoedit ? 'edit' : null;
  }
}

class Diagnostics {
  /** sudo's own messages use the base name; glibc's getopt messages use argv[0] exactly as invoked. */
  readonly progname: string;
  private readonly usage: string;

  constructor(
    readonly invokedAs: string,
    isSudoedit: boolean,
  ) {
    this.progname = invokedAs.slice(invokedAs.lastIndexOf('/') + 1);
    this.usage = isSudoedit ? SUDOEDIT_USAGE : SUDO_USAGE;
  }

  /** A diagnostic line followed by the usage synopsis, as sudo_warnx() + usage() and getopt errors print. */
  withUsage(message: string): SudoArgsError {
    return { error: true, message, stderr: `${message}\n${this.usage}` };
  }

  /** sudo prints only its usage synopsis; the message explains why. */
  usageOnly(explanation: string): SudoArgsError {
    return { error: true, message: `${this.progname}: ${explanation}`, stderr: this.usage };
  }

  /** A diagnostic without the synopsis (the sudoers plugin's refusals). */
  plain(explanation: string): SudoArgsError {
    const message = `${this.progname}: ${explanation}`;
    return { error: true, message, stderr: `${message}\n` };
  }

  excl(): SudoArgsError {
    return this.withUsage(`${this.progname}: Only one of the -e, -h, -i, -K, -l, -s, -v or -V options may be specified`);
  }
}

interface ParsedOption {
  key: OptionKey;
  /** null when the option has no argument, or an optional argument was not given. */
  value: string | null;
  /** Display form for messages: "-u" or "--user". */
  spelling: string;
}

/** Applies one option as sudo's switch() does; returns the error that would stop sudo there, if any. */
function applyOption(state: ParseState, option: ParsedOption, diag: Diagnostics): SudoArgsError | null {
  const { key, value } = option;
  const requireNonEmpty = (): SudoArgsError | null => (value === '' ? diag.usageOnly(`the argument to ${option.spelling} must not be empty`) : null);

  switch (key) {
    case 'A':
      state.askpass = true;
      return null;
    case 'a':
    case 'c':
      return diag.usageOnly(`${option.spelling} is not supported on this system (BSD authentication and login classes only)`);
    case 'B':
      state.bell = true;
      return null;
    case 'b':
      state.flags.add('background');
      return null;
    case 'C':
      if (!isCloseFromNumber(value ?? '')) return diag.withUsage(`${diag.progname}: the argument to -C must be a number greater than or equal to 3`);
      state.closeFrom = value;
      return null;
    case 'D':
      state.chdir = value;
      return requireNonEmpty();
    case 'E':
      if (value === null) {
        state.flags.add('preserveEnvAll');
        return null;
      }
      // strtok() semantics: empty items between commas vanish.
      for (const name of value.split(',').filter((n) => n !== '')) {
        if (name.includes('=')) return diag.withUsage(`${diag.progname}: invalid environment variable name: ${name}`);
        state.preserveEnvList.push(name);
      }
      return null;
    case 'e':
      if (state.mode !== null && state.mode !== 'edit') return diag.excl();
      state.mode = 'edit';
      return null;
    case 'g':
      state.targetGroup = value;
      return requireNonEmpty();
    case 'H':
      state.flags.add('setHome');
      return null;
    case 'h':
      if (value === null) {
        // sudoedit -h asks for help even though sudoedit starts out in edit mode.
        if (state.mode !== null && state.mode !== 'help' && !state.isSudoedit) return diag.excl();
        state.mode = 'help';
        return null;
      }
      state.host = value;
      return requireNonEmpty();
    case HOST_KEY:
      state.host = value;
      return requireNonEmpty();
    case 'i':
      state.flags.add('loginShell');
      return null;
    case 'k':
      state.resetTimestamp = true;
      return null;
    case 'K':
      if (state.mode !== null && state.mode !== 'kill') return diag.excl();
      state.mode = 'kill';
      return null;
    case 'l':
      if (state.mode !== null) {
        if (state.mode !== 'list') return diag.excl();
        state.flags.add('longList');
      }
      state.mode = 'list';
      state.listCount++;
      return null;
    case 'N':
      state.noUpdate = true;
      return null;
    case 'n':
      state.flags.add('nonInteractive');
      return null;
    case 'P':
      state.flags.add('preserveGroups');
      return null;
    case 'p':
      // An empty prompt is allowed.
      state.prompt = value;
      return null;
    case 'R':
      state.chroot = value;
      return requireNonEmpty();
    case 'r':
      state.role = value;
      return requireNonEmpty();
    case 'S':
      state.stdinPassword = true;
      return null;
    case 's':
      state.flags.add('runShell');
      return null;
    case 'T':
      // The sudoers plugin, not the front end, judges the timeout's syntax.
      state.commandTimeout = value;
      return null;
    case 't':
      state.type = value;
      return requireNonEmpty();
    case 'U':
      state.otherUser = value;
      return requireNonEmpty();
    case 'u':
      state.targetUser = value;
      return requireNonEmpty();
    case 'v':
      if (state.mode !== null && state.mode !== 'validate') return diag.excl();
      state.mode = 'validate';
      return null;
    case 'V':
      if (state.mode !== null && state.mode !== 'version' && !state.isSudoedit) return diag.excl();
      state.mode = 'version';
      return null;
    default:
      throw new Error(`sudo-args: option table and switch disagree about '${key}'`);
  }
}

/** The long options that `prefix` abbreviates, so a refused abbreviation can name what to write instead. */
function longOptionCandidates(prefix: string, names: Iterable<string>): string[] {
  if (prefix === '') return [];
  return [...names].filter((name) => name.startsWith(prefix));
}

/** Parses `sudo ARGV...` (argv without the program name). Returns an error instead of throwing. */
export function parseSudoArgs(argv: readonly string[], options: ParseSudoOptions = {}): ParsedSudo | SudoArgsError {
  const invokedAs = options.invokedAs ?? 'sudo';
  const basename = invokedAs.slice(invokedAs.lastIndexOf('/') + 1);
  // sudo's own test: any program name longer than four characters that ends in "edit".
  const isSudoedit = basename.length > 4 && basename.endsWith('edit');
  const diag = new Diagnostics(invokedAs, isSudoedit);
  const state = new ParseState(isSudoedit);
  const longOptions = isSudoedit ? new Map([...SUDO_LONG].filter(([name]) => SUDOEDIT_LONG_NAMES.has(name))) : SUDO_LONG;
  const shortArgument = (letter: string): ArgumentKind | undefined =>
    isSudoedit && !SUDOEDIT_SHORT_LETTERS.includes(letter) ? undefined : SUDO_SHORT.get(letter);

  let index = 0;
  while (index < argv.length) {
    const word = argv[index]!;
    if (word === '--') {
      index++;
      break;
    }

    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      const name = equals === -1 ? word.slice(2) : word.slice(2, equals);
      const attached = equals === -1 ? null : word.slice(equals + 1);
      const spec = longOptions.get(name);
      if (!spec) {
        // getopt_long would accept unambiguous abbreviations; the shim refuses them so that what is approved is
        // spelled exactly as it will be read.
        const candidates = longOptionCandidates(name, longOptions.keys());
        const hint = candidates.length === 0 ? '' : ` (abbreviated long options are not accepted; use ${candidates.map((c) => `'--${c}'`).join(' or ')})`;
        return diag.withUsage(`${invokedAs}: unrecognized option '${word}'${hint}`);
      }
      index++;
      let value: string | null = null;
      if (spec.argument === 'none') {
        if (attached !== null) return diag.withUsage(`${invokedAs}: option '--${name}' doesn't allow an argument`);
      } else if (spec.argument === 'optional') {
        value = attached;
      } else if (attached !== null) {
        value = attached;
      } else if (index < argv.length) {
        value = argv[index++]!;
      } else {
        return diag.withUsage(`${invokedAs}: option '--${name}' requires an argument`);
      }
      const failure = applyOption(state, { key: spec.key, value, spelling: `--${name}` }, diag);
      if (failure) return failure;
      continue;
    }

    if (word.startsWith('-') && word.length > 1) {
      index++;
      for (let at = 1; at < word.length; at++) {
        const letter = word[at]!;
        const kind = shortArgument(letter);
        if (kind === undefined) return diag.withUsage(`${invokedAs}: invalid option -- '${letter}'`);
        const rest = word.slice(at + 1);
        let value: string | null = null;
        if (kind === 'required') {
          // The rest of the word, else the whole next word whatever it looks like: `-u=root` names user "=root",
          // `-u -n` names user "-n".
          if (rest !== '') value = rest;
          else if (index < argv.length) value = argv[index++]!;
          else return diag.withUsage(`${invokedAs}: option requires an argument -- '${letter}'`);
        } else if (kind === 'optional') {
          if (rest !== '') {
            value = rest;
          } else if (word === '-h' && index < argv.length) {
            // sudo's own extension: a lone "-h" followed by a word that is neither an option nor an assignment
            // takes that word as the remote host (`sudo -h host -l`), although getopt gives -h no argument.
            const next = argv[index]!;
            if (!next.startsWith('-') && !isEnvAssignment(next)) {
              state.host = next;
              index++;
              break;
            }
          }
        }
        const failure = applyOption(state, { key: letter, value, spelling: `-${letter}` }, diag);
        if (failure) return failure;
        if (kind !== 'none' && value !== null && rest !== '') break;
      }
      continue;
    }

    // getopt stops at the first non-option; sudo then takes assignments and resumes option parsing, so
    // `sudo FOO=1 -u root cmd` is valid. Its end-of-options test only looks at the previous word, so after
    // `-u --` (user "--") an assignment-looking word is taken as the command, as if "--" had ended the options.
    if (argv[index - 1] !== '--' && isEnvAssignment(word)) {
      state.envAssignments.push(word);
      index++;
      continue;
    }
    break;
  }

  return finish(state, argv, argv.slice(index), diag, options.environment ?? process.env);
}

/** sudo's checks after option parsing, in sudo's order, then the shim's view of the result. */
function finish(
  state: ParseState,
  argv: readonly string[],
  operands: string[],
  diag: Diagnostics,
  environment: Readonly<Record<string, string | undefined>>,
): ParsedSudo | SudoArgsError {
  const flags = state.flags;
  let mode: SudoInternalMode;
  if (state.mode !== null) mode = state.mode;
  // -k is a mode of its own only when nothing is to be run; with a command (or -s/-i) it just ignores cached credentials.
  else if (state.resetTimestamp && operands.length === 0 && !flags.has('runShell') && !flags.has('loginShell')) mode = 'invalidate';
  else mode = 'run';
  if (mode === 'list' && operands.length > 0) mode = 'check';

  if (flags.has('loginShell')) {
    if (flags.has('runShell')) return diag.withUsage(`${diag.progname}: you may not specify both the -i and -s options`);
    if (flags.has('preserveEnvAll')) return diag.withUsage(`${diag.progname}: you may not specify both the -i and -E options`);
  }
  for (const flag of flags) {
    if (!VALID_FLAGS[mode].has(flag)) return diag.usageOnly(`the ${FLAG_OPTION[flag]} option cannot be used with ${MODE_DESCRIPTION[mode]}`);
  }
  if (mode === 'edit') {
    // --preserve-env=LIST adds only the variables that are set, so an unset name is no error in edit mode.
    const listsSetVariable = state.preserveEnvList.some((name) => environment[name] !== undefined);
    if (state.envAssignments.length > 0 || listsSetVariable) {
      return diag.withUsage(`${diag.progname}: you may not specify environment variables in edit mode`);
    }
  }
  if ((state.targetUser !== null || state.targetGroup !== null) && !['edit', 'run', 'check', 'validate'].includes(mode)) {
    return diag.usageOnly(`the -u and -g options cannot be used with ${MODE_DESCRIPTION[mode]}`);
  }
  if (state.otherUser !== null && mode !== 'list' && mode !== 'check') {
    return diag.withUsage(`${diag.progname}: the -U option may only be used with the -l option`);
  }
  if (state.stdinPassword && state.askpass) return diag.withUsage(`${diag.progname}: the -A and -S options may not be used together`);
  if (mode === 'edit' && operands.length === 0 && argv.length > 0) return diag.usageOnly('no file to edit was given');
  if (operands.length > 0 && !['run', 'edit', 'check'].includes(mode)) {
    return diag.usageOnly(`${MODE_DESCRIPTION[mode]} does not take a command`);
  }

  const isShell = flags.has('runShell') || flags.has('loginShell');
  if (mode === 'run' && operands.length === 0 && !isShell && argv.length > 0) {
    // sudo would run an "implied shell", which sudoers refuses with its usage unless the rarely set shell_noargs is on.
    return diag.usageOnly('a command is required');
  }
  if (state.host !== null && (mode === 'run' || mode === 'edit')) {
    return diag.plain('a remote host may only be specified when listing privileges.');
  }

  const passthroughReason: PassthroughReason | null = argv.length === 0 ? 'usage' : (PASSTHROUGH_REASON[mode] ?? null);
  const shimMode: SudoMode = passthroughReason !== null ? 'passthrough' : mode === 'edit' ? 'edit' : isShell ? 'shell' : 'command';
  const preserveEnv: true | string[] | false = flags.has('preserveEnvAll') ? true : state.preserveEnvList.length > 0 ? [...state.preserveEnvList] : false;

  return {
    mode: shimMode,
    passthroughReason,
    targetUser: state.targetUser,
    targetGroup: state.targetGroup,
    otherUser: state.otherUser,
    host: state.host,
    preserveEnv,
    setHome: flags.has('setHome'),
    preserveGroups: flags.has('preserveGroups'),
    nonInteractive: flags.has('nonInteractive'),
    stdinPassword: state.stdinPassword,
    askpass: state.askpass,
    bell: state.bell,
    background: flags.has('background'),
    loginShell: flags.has('loginShell'),
    runShell: flags.has('runShell'),
    resetTimestamp: state.resetTimestamp,
    noUpdate: state.noUpdate,
    closeFrom: state.closeFrom,
    chdir: state.chdir,
    chroot: state.chroot,
    commandTimeout: state.commandTimeout,
    prompt: state.prompt,
    role: state.role,
    type: state.type,
    listLevel: Math.min(state.listCount, 2),
    envAssignments: [...state.envAssignments],
    command: operands,
    keptOptions: shimMode === 'passthrough' ? [] : keptOptionsOf(state),
  };
}

function keptOptionsOf(state: ParseState): string[] {
  const kept: string[] = [];
  const withValue = (option: string, value: string | null): void => {
    if (value !== null) kept.push(option, value);
  };
  const when = (condition: boolean, option: string): void => {
    if (condition) kept.push(option);
  };
  withValue('-u', state.targetUser);
  withValue('-g', state.targetGroup);
  when(state.flags.has('preserveEnvAll'), '-E');
  if (state.preserveEnvList.length > 0) kept.push(`--preserve-env=${state.preserveEnvList.join(',')}`);
  when(state.flags.has('setHome'), '-H');
  when(state.flags.has('preserveGroups'), '-P');
  when(state.flags.has('background'), '-b');
  when(state.flags.has('nonInteractive'), '-n');
  when(state.resetTimestamp, '-k');
  when(state.noUpdate, '-N');
  withValue('-C', state.closeFrom);
  withValue('-D', state.chdir);
  withValue('-R', state.chroot);
  withValue('-T', state.commandTimeout);
  withValue('-r', state.role);
  withValue('-t', state.type);
  return kept;
}
