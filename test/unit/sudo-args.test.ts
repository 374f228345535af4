// Covers shim/sudo-args.ts: every sudo option form, assignments, modes, kept options and sudo's exact diagnostics.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isEnvAssignment, isSudoArgsError, parseSudoArgs, type ParsedSudo, type ParseSudoOptions, type SudoArgsError } from '../../shim/sudo-args.js';

const NO_ENV: ParseSudoOptions = { environment: {} };
const SUDOEDIT: ParseSudoOptions = { invokedAs: 'sudoedit', environment: {} };

function parsed(argv: string[], options: ParseSudoOptions = NO_ENV): ParsedSudo {
  const result = parseSudoArgs(argv, options);
  if (isSudoArgsError(result)) throw new Error(`expected ${JSON.stringify(argv)} to parse, got: ${result.message}`);
  return result;
}

function failed(argv: string[], options: ParseSudoOptions = NO_ENV): SudoArgsError {
  const result = parseSudoArgs(argv, options);
  if (!isSudoArgsError(result)) throw new Error(`expected ${JSON.stringify(argv)} to fail, got mode ${result.mode}`);
  return result;
}

type Expected = Partial<ParsedSudo>;

describe('parseSudoArgs: short options', () => {
  it.each<[string, string[], Expected]>([
    ['-u USER', ['-u', 'root', 'id'], { mode: 'command', targetUser: 'root', command: ['id'], keptOptions: ['-u', 'root'] }],
    ['-uUSER attached', ['-uroot', 'id'], { targetUser: 'root', command: ['id'], keptOptions: ['-u', 'root'] }],
    ['-u=root names user "=root" (getopt)', ['-u=root', 'id'], { targetUser: '=root', keptOptions: ['-u', '=root'] }],
    ['-u takes an option-looking next word', ['-u', '-n', 'id'], { targetUser: '-n', nonInteractive: false, command: ['id'] }],
    ['-u #UID', ['-u', '#0', 'id'], { targetUser: '#0', keptOptions: ['-u', '#0'] }],
    ['-g GROUP', ['-g', 'adm', 'id'], { targetGroup: 'adm', targetUser: null, keptOptions: ['-g', 'adm'] }],
    ['-gGROUP attached', ['-gadm', 'id'], { targetGroup: 'adm', keptOptions: ['-g', 'adm'] }],
    ['-u and -g', ['-u', 'www-data', '-g', 'www-data', 'id'], { targetUser: 'www-data', targetGroup: 'www-data', keptOptions: ['-u', 'www-data', '-g', 'www-data'] }],
    ['-E', ['-E', 'env'], { preserveEnv: true, keptOptions: ['-E'] }],
    ['-H', ['-H', 'id'], { setHome: true, keptOptions: ['-H'] }],
    ['-P', ['-P', 'id'], { preserveGroups: true, keptOptions: ['-P'] }],
    ['-n', ['-n', 'id'], { nonInteractive: true, keptOptions: ['-n'] }],
    ['-b', ['-b', 'id'], { background: true, keptOptions: ['-b'] }],
    ['-k with a command runs it', ['-k', 'id'], { mode: 'command', resetTimestamp: true, command: ['id'], keptOptions: ['-k'] }],
    ['-N', ['-N', 'id'], { noUpdate: true, keptOptions: ['-N'] }],
    ['-S is recorded, not kept', ['-S', 'id'], { stdinPassword: true, keptOptions: [] }],
    ['-A is recorded, not kept', ['-A', 'id'], { askpass: true, keptOptions: [] }],
    ['-B is recorded, not kept', ['-B', 'id'], { bell: true, keptOptions: [] }],
    ['-p PROMPT is recorded, not kept', ['-p', 'Password:', 'id'], { prompt: 'Password:', keptOptions: [] }],
    ['-pPROMPT attached', ['-pPW:', 'id'], { prompt: 'PW:', keptOptions: [] }],
    ['-p with an empty prompt', ['-p', '', 'id'], { prompt: '', command: ['id'] }],
    ['-C N', ['-C', '5', 'id'], { closeFrom: '5', keptOptions: ['-C', '5'] }],
    ['-CN attached', ['-C5', 'id'], { closeFrom: '5', keptOptions: ['-C', '5'] }],
    ['-D DIR', ['-D', '/tmp', 'id'], { chdir: '/tmp', keptOptions: ['-D', '/tmp'] }],
    ['-DDIR attached', ['-D/tmp', 'id'], { chdir: '/tmp', keptOptions: ['-D', '/tmp'] }],
    ['-R DIR', ['-R', '/srv/root', 'id'], { chroot: '/srv/root', keptOptions: ['-R', '/srv/root'] }],
    ['-T TIMEOUT', ['-T', '30', 'id'], { commandTimeout: '30', keptOptions: ['-T', '30'] }],
    ['-r ROLE', ['-r', 'sysadm_r', 'id'], { role: 'sysadm_r', keptOptions: ['-r', 'sysadm_r'] }],
    ['-t TYPE', ['-t', 'sysadm_t', 'id'], { type: 'sysadm_t', keptOptions: ['-t', 'sysadm_t'] }],
    ['-U USER with -l', ['-l', '-U', 'alice'], { mode: 'passthrough', otherUser: 'alice', listLevel: 1 }],
  ])('%s', (_name, argv, expected) => {
    expect(parsed(argv)).toMatchObject(expected);
  });
});

describe('parseSudoArgs: long options', () => {
  it.each<[string, string[], Expected]>([
    ['--user=USER', ['--user=root', 'id'], { targetUser: 'root', command: ['id'], keptOptions: ['-u', 'root'] }],
    ['--user USER', ['--user', 'root', 'id'], { targetUser: 'root', command: ['id'], keptOptions: ['-u', 'root'] }],
    ['--group=GROUP', ['--group=adm', 'id'], { targetGroup: 'adm', keptOptions: ['-g', 'adm'] }],
    ['--group GROUP', ['--group', 'adm', 'id'], { targetGroup: 'adm', keptOptions: ['-g', 'adm'] }],
    ['--preserve-env', ['--preserve-env', 'env'], { preserveEnv: true, command: ['env'], keptOptions: ['-E'] }],
    ['--preserve-env takes no separate word', ['--preserve-env', 'PATH', 'env'], { preserveEnv: true, command: ['PATH', 'env'] }],
    ['--preserve-env=LIST', ['--preserve-env=PATH,HOME', 'env'], { preserveEnv: ['PATH', 'HOME'], keptOptions: ['--preserve-env=PATH,HOME'] }],
    ['--preserve-env=LIST drops empty items', ['--preserve-env=,PATH,,HOME,', 'env'], { preserveEnv: ['PATH', 'HOME'] }],
    ['--preserve-env=LIST repeated accumulates', ['--preserve-env=PATH', '--preserve-env=HOME', 'env'], { preserveEnv: ['PATH', 'HOME'], keptOptions: ['--preserve-env=PATH,HOME'] }],
    ['--preserve-env= (empty list)', ['--preserve-env=', 'env'], { preserveEnv: false, keptOptions: [] }],
    ['-E with --preserve-env=LIST keeps both', ['-u', 'root', '-E', '--preserve-env=PATH,HOME', '-H', '-n', 'env'], { preserveEnv: true, keptOptions: ['-u', 'root', '-E', '--preserve-env=PATH,HOME', '-H', '-n'] }],
    ['--set-home', ['--set-home', 'id'], { setHome: true, keptOptions: ['-H'] }],
    ['--preserve-groups', ['--preserve-groups', 'id'], { preserveGroups: true, keptOptions: ['-P'] }],
    ['--non-interactive', ['--non-interactive', 'id'], { nonInteractive: true, keptOptions: ['-n'] }],
    ['--background', ['--background', 'id'], { background: true, keptOptions: ['-b'] }],
    ['--reset-timestamp with a command', ['--reset-timestamp', 'id'], { mode: 'command', resetTimestamp: true, keptOptions: ['-k'] }],
    ['--no-update', ['--no-update', 'id'], { noUpdate: true, keptOptions: ['-N'] }],
    ['--stdin', ['--stdin', 'id'], { stdinPassword: true, keptOptions: [] }],
    ['--askpass', ['--askpass', 'id'], { askpass: true, keptOptions: [] }],
    ['--bell', ['--bell', 'id'], { bell: true, keptOptions: [] }],
    ['--prompt=P', ['--prompt=PW:', 'id'], { prompt: 'PW:', keptOptions: [] }],
    ['--prompt P', ['--prompt', 'PW:', 'id'], { prompt: 'PW:', command: ['id'] }],
    ['--close-from=N', ['--close-from=4', 'id'], { closeFrom: '4', keptOptions: ['-C', '4'] }],
    ['--close-from N', ['--close-from', '4', 'id'], { closeFrom: '4', keptOptions: ['-C', '4'] }],
    ['--chdir=DIR', ['--chdir=/tmp', 'id'], { chdir: '/tmp', keptOptions: ['-D', '/tmp'] }],
    ['--chdir DIR', ['--chdir', '/tmp', 'id'], { chdir: '/tmp', keptOptions: ['-D', '/tmp'] }],
    ['--chroot=DIR', ['--chroot=/srv', 'id'], { chroot: '/srv', keptOptions: ['-R', '/srv'] }],
    ['--command-timeout=T', ['--command-timeout=1m', 'id'], { commandTimeout: '1m', keptOptions: ['-T', '1m'] }],
    ['--role=R', ['--role=sysadm_r', 'id'], { role: 'sysadm_r', keptOptions: ['-r', 'sysadm_r'] }],
    ['--type T', ['--type', 'sysadm_t', 'id'], { type: 'sysadm_t', keptOptions: ['-t', 'sysadm_t'] }],
    ['--other-user=U with --list', ['--list', '--other-user=alice'], { mode: 'passthrough', otherUser: 'alice' }],
    ['--host=H with --list', ['--host=db1', '--list'], { mode: 'passthrough', host: 'db1', passthroughReason: 'list' }],
    ['--shell', ['--shell', 'id'], { mode: 'shell', runShell: true, command: ['id'] }],
    ['--login', ['--login', 'id'], { mode: 'shell', loginShell: true, command: ['id'] }],
    ['--edit', ['--edit', '/etc/hosts'], { mode: 'edit', command: ['/etc/hosts'] }],
  ])('%s', (_name, argv, expected) => {
    expect(parsed(argv)).toMatchObject(expected);
  });
});

describe('parseSudoArgs: combined short options', () => {
  it.each<[string, string[], Expected]>([
    ['-nE', ['-nE', 'env'], { nonInteractive: true, preserveEnv: true, keptOptions: ['-E', '-n'] }],
    ['-Eu root', ['-Eu', 'root', 'id'], { preserveEnv: true, targetUser: 'root', command: ['id'], keptOptions: ['-u', 'root', '-E'] }],
    ['-Euroot', ['-Euroot', 'id'], { preserveEnv: true, targetUser: 'root', keptOptions: ['-u', 'root', '-E'] }],
    ['-uroot -nE', ['-uroot', '-nE', 'id'], { targetUser: 'root', nonInteractive: true, preserveEnv: true, keptOptions: ['-u', 'root', '-E', '-n'] }],
    ['-nHu root', ['-nHu', 'root', 'id'], { targetUser: 'root', setHome: true, nonInteractive: true, keptOptions: ['-u', 'root', '-H', '-n'] }],
    ['-uroot swallows the rest of the word', ['-unE', 'id'], { targetUser: 'nE', nonInteractive: false, preserveEnv: false }],
    ['-kl lists', ['-kl'], { mode: 'passthrough', passthroughReason: 'list', listLevel: 1 }],
    ['-bEHPn', ['-bEHPn', 'id'], { keptOptions: ['-E', '-H', '-P', '-b', '-n'] }],
    ['-sk', ['-sk'], { mode: 'shell', runShell: true, resetTimestamp: true, keptOptions: ['-k'] }],
  ])('%s', (_name, argv, expected) => {
    expect(parsed(argv)).toMatchObject(expected);
  });
});

describe('parseSudoArgs: end of options, assignments and the command', () => {
  it.each<[string, string[], Expected]>([
    ['-- ends options', ['--', '-u', 'root'], { mode: 'command', targetUser: null, command: ['-u', 'root'] }],
    ['options then --', ['-u', 'root', '--', 'id', '-n'], { targetUser: 'root', nonInteractive: false, command: ['id', '-n'] }],
    ['-- makes an assignment the command', ['--', 'FOO=1', 'id'], { envAssignments: [], command: ['FOO=1', 'id'] }],
    ['assignments before the command', ['FOO=1', 'BAR=x=y', 'id'], { envAssignments: ['FOO=1', 'BAR=x=y'], command: ['id'] }],
    ['assignments after the command are arguments', ['FOO=1', 'env', 'BAZ=2'], { envAssignments: ['FOO=1'], command: ['env', 'BAZ=2'] }],
    ['options may follow assignments', ['FOO=1', '-u', 'root', 'BAR=2', 'id'], { targetUser: 'root', envAssignments: ['FOO=1', 'BAR=2'], command: ['id'] }],
    ['a word starting with / is never an assignment', ['/opt/x=1', 'id'], { envAssignments: [], command: ['/opt/x=1', 'id'] }],
    ['sudo does not check the name of an assignment', ['./x=1', 'a-b=2', 'id'], { envAssignments: ['./x=1', 'a-b=2'], command: ['id'] }],
    ['an empty value', ['EMPTY=', 'id'], { envAssignments: ['EMPTY='], command: ['id'] }],
    ['options after the command are the command\'s', ['id', '-u', 'root'], { targetUser: null, command: ['id', '-u', 'root'] }],
    ['-- inside the command is kept', ['-u', 'root', 'grep', '--', '-x', 'f'], { command: ['grep', '--', '-x', 'f'] }],
    ['a lone - is the command', ['-'], { mode: 'command', command: ['-'] }],
    ['after `-u --` an assignment is the command (sudo looks only at the previous word)', ['-u', '--', 'FOO=1', 'id'], { targetUser: '--', envAssignments: [], command: ['FOO=1', 'id'] }],
    ['the same after `-p --` (observed: sudo: FOO=1: command not found)', ['-p', '--', 'FOO=1', 'env'], { prompt: '--', envAssignments: [], command: ['FOO=1', 'env'] }],
    ['-u as the word before the command', ['-n', '-u', 'root', 'id'], { targetUser: 'root', nonInteractive: true, command: ['id'] }],
  ])('%s', (_name, argv, expected) => {
    expect(parsed(argv)).toMatchObject(expected);
  });
});

describe('parseSudoArgs: passthrough (runs nothing as another user)', () => {
  it.each<[string, string[], ParsedSudo['passthroughReason'], Expected]>([
    ['no arguments at all', [], 'usage', { command: [] }],
    ['-h', ['-h'], 'help', {}],
    ['--help', ['--help'], 'help', {}],
    ['-V', ['-V'], 'version', {}],
    ['--version', ['--version'], 'version', {}],
    ['-l', ['-l'], 'list', { listLevel: 1 }],
    ['--list', ['--list'], 'list', { listLevel: 1 }],
    ['-ll', ['-ll'], 'list', { listLevel: 2 }],
    ['-l -l', ['-l', '-l'], 'list', { listLevel: 2 }],
    ['-lll is still the long format', ['-lll'], 'list', { listLevel: 2 }],
    ['-l with a command only checks it', ['-l', 'apt', 'update'], 'list', { command: ['apt', 'update'] }],
    ['-l -u USER with a command', ['-l', '-u', 'www-data', 'id'], 'list', { targetUser: 'www-data', command: ['id'] }],
    ['-l -U USER with a command', ['-lU', 'alice', 'id'], 'list', { otherUser: 'alice' }],
    ['-ln', ['-ln'], 'list', { nonInteractive: true }],
    ['-k alone', ['-k'], 'reset-timestamp', { resetTimestamp: true }],
    ['--reset-timestamp alone', ['--reset-timestamp'], 'reset-timestamp', {}],
    ['-kk', ['-kk'], 'reset-timestamp', {}],
    ['-K', ['-K'], 'remove-timestamp', {}],
    ['--remove-timestamp', ['--remove-timestamp'], 'remove-timestamp', {}],
    ['-kK', ['-kK'], 'remove-timestamp', {}],
    ['-v', ['-v'], 'validate', {}],
    ['--validate', ['--validate'], 'validate', {}],
    ['-k -v', ['-k', '-v'], 'validate', {}],
    ['-v -u USER', ['-v', '-u', 'root'], 'validate', { targetUser: 'root' }],
    ['-vn', ['-vn'], 'validate', { nonInteractive: true }],
    ['-h HOST -l (a lone -h takes the next word as the host)', ['-h', 'db1', '-l'], 'list', { host: 'db1' }],
    ['-hHOST -l', ['-hdb1', '-l'], 'list', { host: 'db1' }],
    ['-h followed by an option is help', ['-h', '-k'], 'help', { host: null }],
    ['-k -h', ['-k', '-h'], 'help', {}],
    ['-h -h', ['-h', '-h'], 'help', {}],
  ])('%s', (_name, argv, reason, expected) => {
    const result = parsed(argv);
    expect(result).toMatchObject({ mode: 'passthrough', passthroughReason: reason, ...expected });
    expect(result.keptOptions).toEqual([]);
  });
});

describe('parseSudoArgs: shell and edit modes', () => {
  it.each<[string, string[], ParseSudoOptions, Expected]>([
    ['-s', ['-s'], NO_ENV, { mode: 'shell', runShell: true, loginShell: false, command: [], keptOptions: [] }],
    ['-s CMD ARGS', ['-s', 'ls', '-la', '/root'], NO_ENV, { mode: 'shell', command: ['ls', '-la', '/root'] }],
    ['-i', ['-i'], NO_ENV, { mode: 'shell', loginShell: true, runShell: false, command: [] }],
    ['-i CMD', ['-i', 'id'], NO_ENV, { mode: 'shell', loginShell: true, command: ['id'] }],
    ['-u USER -i keeps -u, drops -i', ['-u', 'alice', '-i'], NO_ENV, { mode: 'shell', targetUser: 'alice', keptOptions: ['-u', 'alice'] }],
    ['-E -s', ['-E', '-s'], NO_ENV, { mode: 'shell', preserveEnv: true, keptOptions: ['-E'] }],
    ['-k -s is a shell, not -k alone', ['-k', '-s'], NO_ENV, { mode: 'shell', resetTimestamp: true, keptOptions: ['-k'] }],
    ['-k -i', ['-k', '-i'], NO_ENV, { mode: 'shell', loginShell: true }],
    ['-s VAR=value', ['-s', 'FOO=1'], NO_ENV, { mode: 'shell', envAssignments: ['FOO=1'], command: [] }],
    ['-i -b', ['-ib', 'id'], NO_ENV, { mode: 'shell', background: true, keptOptions: ['-b'] }],
    ['-i --preserve-env=LIST (only the flag -E conflicts with -i)', ['-i', '--preserve-env=PATH', 'id'], NO_ENV, { mode: 'shell', preserveEnv: ['PATH'] }],
    ['-e FILE', ['-e', '/etc/hosts'], NO_ENV, { mode: 'edit', command: ['/etc/hosts'], keptOptions: [] }],
    ['-e -u USER FILES', ['-e', '-u', 'www', '/a', '/b'], NO_ENV, { mode: 'edit', targetUser: 'www', command: ['/a', '/b'], keptOptions: ['-u', 'www'] }],
    ['-en (-n is valid in edit mode)', ['-en', '/a'], NO_ENV, { mode: 'edit', nonInteractive: true, keptOptions: ['-n'] }],
    ['-e --preserve-env=UNSET (sudo adds only set variables)', ['-e', '--preserve-env=OCSEC_UNSET', '/a'], { environment: {} }, { mode: 'edit' }],
    ['-e -e', ['-e', '-e', '/a'], NO_ENV, { mode: 'edit' }],
    ['sudoedit FILE', ['/etc/hosts'], SUDOEDIT, { mode: 'edit', command: ['/etc/hosts'] }],
    ['/usr/bin/sudoedit -u USER FILE', ['-u', 'root', '/etc/hosts'], { invokedAs: '/usr/bin/sudoedit', environment: {} }, { mode: 'edit', targetUser: 'root', keptOptions: ['-u', 'root'] }],
    ['sudoedit -n -k FILE', ['-nk', '/a'], SUDOEDIT, { mode: 'edit', nonInteractive: true, resetTimestamp: true, keptOptions: ['-n', '-k'] }],
    ['sudoedit -h', ['-h'], SUDOEDIT, { mode: 'passthrough', passthroughReason: 'help' }],
    ['sudoedit -V', ['-V'], SUDOEDIT, { mode: 'passthrough', passthroughReason: 'version' }],
    ['sudoedit with no arguments', [], SUDOEDIT, { mode: 'passthrough', passthroughReason: 'usage' }],
    ['sudoedit -- -n edits a file named -n', ['--', '-n'], SUDOEDIT, { mode: 'edit', nonInteractive: false, command: ['-n'] }],
    ['a name merely containing "edit" is not sudoedit', ['id'], { invokedAs: 'editor', environment: {} }, { mode: 'command' }],
  ])('%s', (_name, argv, options, expected) => {
    expect(parsed(argv, options)).toMatchObject(expected);
  });
});

const EXCL = "sudo: Only one of the -e, -h, -i, -K, -l, -s, -v or -V options may be specified";

describe('parseSudoArgs: errors', () => {
  it.each<[string, string[], ParseSudoOptions, string]>([
    ['unknown short option', ['-z'], NO_ENV, "sudo: invalid option -- 'z'"],
    ['unknown option in a cluster', ['-nzE', 'id'], NO_ENV, "sudo: invalid option -- 'z'"],
    ['-W is not an option', ['-W', 'id'], NO_ENV, "sudo: invalid option -- 'W'"],
    ['-u as the last word', ['-u'], NO_ENV, "sudo: option requires an argument -- 'u'"],
    ['-u last in a cluster and the line', ['-nu'], NO_ENV, "sudo: option requires an argument -- 'u'"],
    ['-g missing', ['-g'], NO_ENV, "sudo: option requires an argument -- 'g'"],
    ['-C missing', ['-C'], NO_ENV, "sudo: option requires an argument -- 'C'"],
    ['-D missing', ['-D'], NO_ENV, "sudo: option requires an argument -- 'D'"],
    ['-T missing', ['-T'], NO_ENV, "sudo: option requires an argument -- 'T'"],
    ['--user missing', ['--user'], NO_ENV, "sudo: option '--user' requires an argument"],
    ['--host missing', ['--host'], NO_ENV, "sudo: option '--host' requires an argument"],
    ['unknown long option', ['--usr', 'root', 'id'], NO_ENV, "sudo: unrecognized option '--usr'"],
    ['unknown long option with a value', ['--frobnicate=1', 'id'], NO_ENV, "sudo: unrecognized option '--frobnicate=1'"],
    ['three dashes', ['---'], NO_ENV, "sudo: unrecognized option '---'"],
    ['abbreviation refused, with the full name', ['--us', 'root', 'id'], NO_ENV, "sudo: unrecognized option '--us' (abbreviated long options are not accepted; use '--user')"],
    ['ambiguous abbreviation refused', ['--pres', 'id'], NO_ENV, "sudo: unrecognized option '--pres' (abbreviated long options are not accepted; use '--preserve-env' or '--preserve-groups')"],
    ['no-argument long option given one', ['--login=x'], NO_ENV, "sudo: option '--login' doesn't allow an argument"],
    ['--help=x', ['--help=x'], NO_ENV, "sudo: option '--help' doesn't allow an argument"],
    ['an assignment and no command', ['VAR=1'], NO_ENV, 'sudo: a command is required'],
    ['options and no command', ['-u', 'root'], NO_ENV, 'sudo: a command is required'],
    ['-n alone', ['-n'], NO_ENV, 'sudo: a command is required'],
    ['-E alone', ['-E'], NO_ENV, 'sudo: a command is required'],
    ['-- alone', ['--'], NO_ENV, 'sudo: a command is required'],
    ['-C below 3', ['-C', '2', 'id'], NO_ENV, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['-C not a number', ['-Cabc', 'id'], NO_ENV, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['-C hexadecimal', ['-C', '0x10', 'id'], NO_ENV, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['-C above INT_MAX', ['-C', '2147483648', 'id'], NO_ENV, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['--close-from= empty', ['--close-from=', 'id'], NO_ENV, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['-l -V', ['-l', '-V'], NO_ENV, EXCL],
    ['-V -l', ['-Vl'], NO_ENV, EXCL],
    ['-e -l', ['-e', '-l', '/a'], NO_ENV, EXCL],
    ['-v -K', ['-v', '-K'], NO_ENV, EXCL],
    ['-h -l', ['-h', '-l'], NO_ENV, EXCL],
    ['-lh (an -h inside a cluster is help)', ['-lh', 'db1'], NO_ENV, EXCL],
    ['-l -v', ['-l', '-v'], NO_ENV, EXCL],
    ['-i -s', ['-i', '-s'], NO_ENV, 'sudo: you may not specify both the -i and -s options'],
    ['-i -E', ['-iE', 'id'], NO_ENV, 'sudo: you may not specify both the -i and -E options'],
    ['-U without -l', ['-U', 'alice', 'id'], NO_ENV, 'sudo: the -U option may only be used with the -l option'],
    ['-A with -S', ['-A', '-S', 'id'], NO_ENV, 'sudo: the -A and -S options may not be used together'],
    ['--preserve-env=LIST with an assignment', ['--preserve-env=A=B', 'id'], NO_ENV, 'sudo: invalid environment variable name: A=B'],
    ['an assignment in edit mode', ['FOO=1', '-e', '/etc/hosts'], NO_ENV, 'sudo: you may not specify environment variables in edit mode'],
    ['--preserve-env=SET in edit mode', ['-e', '--preserve-env=OCSEC_SET', '/a'], { environment: { OCSEC_SET: '1' } }, 'sudo: you may not specify environment variables in edit mode'],
    ['-e without a file', ['-e'], NO_ENV, 'sudo: no file to edit was given'],
    ['-l -b', ['-l', '-b'], NO_ENV, 'sudo: the -b option cannot be used with -l without a command'],
    ['-l -H cmd', ['-l', '-H', 'id'], NO_ENV, 'sudo: the -H option cannot be used with -l'],
    ['-l -E', ['-l', '-E'], NO_ENV, 'sudo: the -E option cannot be used with -l without a command'],
    ['-i -l', ['-i', '-l'], NO_ENV, 'sudo: the -i option cannot be used with -l without a command'],
    ['-v -H', ['-v', '-H'], NO_ENV, 'sudo: the -H option cannot be used with -v'],
    ['-s -v', ['-s', '-v'], NO_ENV, 'sudo: the -s option cannot be used with -v'],
    ['-K -n', ['-K', '-n'], NO_ENV, 'sudo: the -n option cannot be used with -K'],
    ['-V -n', ['-V', '-n'], NO_ENV, 'sudo: the -n option cannot be used with -V'],
    ['-k -n without a command', ['-kn'], NO_ENV, 'sudo: the -n option cannot be used with -k without a command'],
    ['-e -b', ['-e', '-b', '/a'], NO_ENV, 'sudo: the -b option cannot be used with -e'],
    ['-e -P', ['-eP', '/a'], NO_ENV, 'sudo: the -P option cannot be used with -e'],
    ['-e -s', ['-e', '-s', '/a'], NO_ENV, 'sudo: the -s option cannot be used with -e'],
    ['-l -u without a command', ['-l', '-u', 'root'], NO_ENV, 'sudo: the -u and -g options cannot be used with -l without a command'],
    ['-K -u', ['-K', '-u', 'root'], NO_ENV, 'sudo: the -u and -g options cannot be used with -K'],
    ['-k -u without a command', ['-k', '-u', 'root'], NO_ENV, 'sudo: the -u and -g options cannot be used with -k without a command'],
    ['-K with a command', ['-K', 'id'], NO_ENV, 'sudo: -K does not take a command'],
    ['-v with a command', ['-v', 'id'], NO_ENV, 'sudo: -v does not take a command'],
    ['-V with a command', ['-V', 'id'], NO_ENV, 'sudo: -V does not take a command'],
    ['--help with a command', ['--help', 'id'], NO_ENV, 'sudo: -h does not take a command'],
    ['-h VAR=1 is help, then a command', ['-h', 'FOO=1', 'id'], NO_ENV, 'sudo: -h does not take a command'],
    ['empty -u', ['-u', '', 'id'], NO_ENV, 'sudo: the argument to -u must not be empty'],
    ['empty --group=', ['--group=', 'id'], NO_ENV, 'sudo: the argument to --group must not be empty'],
    ['empty -U', ['-l', '-U', ''], NO_ENV, 'sudo: the argument to -U must not be empty'],
    ['empty --chdir=', ['--chdir=', 'id'], NO_ENV, 'sudo: the argument to --chdir must not be empty'],
    ['empty -r', ['-r', '', 'id'], NO_ENV, 'sudo: the argument to -r must not be empty'],
    ['-a (BSD auth) on Linux', ['-a', 'x', 'id'], NO_ENV, 'sudo: -a is not supported on this system (BSD authentication and login classes only)'],
    ['--login-class on Linux', ['--login-class=x', 'id'], NO_ENV, 'sudo: --login-class is not supported on this system (BSD authentication and login classes only)'],
    ['a remote host with a command', ['-h', 'db1', 'id'], NO_ENV, 'sudo: a remote host may only be specified when listing privileges.'],
    ['--host with a shell', ['--host=db1', '-s'], NO_ENV, 'sudo: a remote host may only be specified when listing privileges.'],
    ['the first bad option wins', ['-z', '-u'], NO_ENV, "sudo: invalid option -- 'z'"],
    ['getopt names the program as invoked', ['-z'], { invokedAs: '/usr/bin/sudo', environment: {} }, "/usr/bin/sudo: invalid option -- 'z'"],
    ['sudo names itself by base name', ['-C', '1', 'id'], { invokedAs: '/usr/bin/sudo', environment: {} }, 'sudo: the argument to -C must be a number greater than or equal to 3'],
    ['sudoedit has no -l', ['-l', '/a'], SUDOEDIT, "sudoedit: invalid option -- 'l'"],
    ['sudoedit has no -s', ['-s', '/a'], SUDOEDIT, "sudoedit: invalid option -- 's'"],
    ['sudoedit has no -E', ['-E', '/a'], SUDOEDIT, "sudoedit: invalid option -- 'E'"],
    ['sudoedit has no --shell', ['--shell', '/a'], SUDOEDIT, "sudoedit: unrecognized option '--shell'"],
    ['sudoedit has no --preserve-env', ['--preserve-env=PATH', '/a'], SUDOEDIT, "sudoedit: unrecognized option '--preserve-env=PATH'"],
    ['sudoedit -K', ['-K'], SUDOEDIT, 'sudoedit: Only one of the -e, -h, -i, -K, -l, -s, -v or -V options may be specified'],
    ['sudoedit -V FILE', ['-V', '/a'], SUDOEDIT, 'sudoedit: -V does not take a command'],
    ['sudoedit options but no file', ['-n'], SUDOEDIT, 'sudoedit: no file to edit was given'],
  ])('%s', (_name, argv, options, message) => {
    expect(failed(argv, options).message).toBe(message);
  });

  it('follows a diagnostic with the usage synopsis, as sudo does', () => {
    const error = failed(['-z']);
    expect(error.stderr.startsWith("sudo: invalid option -- 'z'\nusage: sudo -h | -K | -k | -V\n")).toBe(true);
    expect(error.stderr.endsWith('[-h host] [-p prompt] [-R directory] [-T timeout] [-u user] file ...\n')).toBe(true);
  });

  it('prints only the synopsis where sudo prints no diagnostic', () => {
    expect(failed(['VAR=1']).stderr.startsWith('usage: sudo -h | -K | -k | -V\n')).toBe(true);
  });

  it("uses sudoedit's synopsis when invoked as sudoedit", () => {
    expect(failed(['-l', 'f'], SUDOEDIT).stderr).toBe(
      "sudoedit: invalid option -- 'l'\nusage: sudoedit -h | -V\nusage: sudoedit [-ABkNnS] [-r role] [-t type] [-C num] [-D directory] [-g\n                group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u\n                user] file ...\n",
    );
  });

  it('prints a sudoers refusal without the synopsis', () => {
    expect(failed(['-h', 'db1', 'id']).stderr).toBe('sudo: a remote host may only be specified when listing privileges.\n');
  });

  it('reads --preserve-env=LIST variables from process.env by default', () => {
    process.env.OCSEC_TEST_PRESERVED = '1';
    try {
      expect(isSudoArgsError(parseSudoArgs(['-e', '--preserve-env=OCSEC_TEST_PRESERVED', '/a']))).toBe(true);
    } finally {
      delete process.env.OCSEC_TEST_PRESERVED;
    }
    expect(isSudoArgsError(parseSudoArgs(['-e', '--preserve-env=OCSEC_TEST_PRESERVED', '/a']))).toBe(false);
  });
});

describe('isEnvAssignment', () => {
  it.each<[string, boolean]>([
    ['FOO=1', true],
    ['FOO=', true],
    ['_X=a=b', true],
    ['./x=1', true],
    ['=x', true],
    ['/usr/bin/x=1', false],
    ['FOO', false],
    ['', false],
  ])('%j → %s', (word, expected) => {
    expect(isEnvAssignment(word)).toBe(expected);
  });
});

// The installed sudo is the reference: its front end rejects these before any policy plugin runs, so its
// standard error must be exactly what the parser predicts. Skipped where no sudo 1.9 is installed.
// Without a terminal sudo wraps its synopsis at $COLUMNS, else 80 columns; the parser's copy is the 80-column one.
const { COLUMNS: _columns, ...inheritedEnv } = process.env;
const sudoEnv = { ...inheritedEnv, LC_ALL: 'C' };
const realSudo = (() => {
  const probe = spawnSync('sudo', ['-V'], { encoding: 'utf8', env: sudoEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  return probe.status === 0 && /^Sudo version 1\.9\./.test(probe.stdout);
})();

describe.skipIf(!realSudo)('parseSudoArgs agrees with the installed sudo 1.9', () => {
  it.each<[string[]]>([
    [['-z']],
    [['-nzE', 'id']],
    [['-u']],
    [['--user']],
    [['--usr', 'root', 'id']],
    [['--login=x']],
    [['-l', '-V']],
    [['-i', '-s']],
    [['-iE', 'id']],
    [['-U', 'alice', 'id']],
    [['-A', '-S', 'id']],
    [['-C', '2', 'id']],
    [['--preserve-env=A=B', 'id']],
    [['-l', '-b']],
    [['-K', 'id']],
    [['-e']],
    [['-K', '-u', 'root']],
    [['-l', '-u', 'root']],
    [['-kn']],
    [['-V', 'id']],
    [['-h', '-l']],
  ])('sudo %j', (argv) => {
    const real = spawnSync('sudo', argv, { encoding: 'utf8', env: sudoEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    expect(real.status).toBe(1);
    expect(failed(argv).stderr).toBe(real.stderr);
  });

  // Every case is an error, so no editor is ever started.
  it.each<[string[]]>([[['-l', 'f']], [['-s', 'f']], [['--shell', 'f']], [['-K']], [['-n']], [['-u']]])('sudoedit %j', (argv) => {
    const real = spawnSync('sudoedit', argv, { encoding: 'utf8', env: sudoEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    expect(real.status).toBe(1);
    expect(failed(argv, SUDOEDIT).stderr).toBe(real.stderr);
  });
});
