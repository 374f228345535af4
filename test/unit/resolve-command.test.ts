// Covers shim/resolve-command.ts: secure_path from `sudo -V`, command resolution, login shells and sudo's -s/-i argv.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SECURE_PATH,
  escapeForShellCommand,
  loginShellOf,
  resolveCommand,
  securePathFromSudoV,
  shellCommandFor,
} from '../../shim/resolve-command.js';
import { tempDirs } from '../helpers/tmp.js';

// `sudo -V` as root (sudo 1.9.13p3, Debian), trimmed: the sudoers defaults include secure_path.
const SUDO_V_AS_ROOT = `Sudo version 1.9.13p3
Configure options: --build=x86_64-linux-gnu --prefix=/usr --with-secure-path
Sudoers policy plugin version 1.9.13p3
Sudoers file grammar version 50

Sudoers path: /etc/sudoers
Authentication methods: 'pam'
Syslog facility if syslog is being used for logging: authpriv
Authentication timestamp timeout: 15.0 minutes
Path to authentication timestamp dir: /run/sudo/ts
Default password prompt: [sudo] password for %p: 
Default user to run commands as: root
Value to override user's $PATH with: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
Path to the editor for use by visudo: /usr/bin/editor
Environment variables to preserve:
\tXAUTHORITY
\tPATH
\tDISPLAY
Locale to use while parsing sudoers: C

Local IP address and netmask pairs:
\t192.0.2.2/255.255.255.0

Sudoers I/O plugin version 1.9.13p3
Sudoers audit plugin version 1.9.13p3
`;

// `sudo -V` as an ordinary user: versions only.
const SUDO_V_AS_USER = `Sudo version 1.9.13p3
Sudoers policy plugin version 1.9.13p3
Sudoers file grammar version 50
Sudoers I/O plugin version 1.9.13p3
Sudoers audit plugin version 1.9.13p3
`;

describe('securePathFromSudoV', () => {
  it.each<[string, string, string[] | null]>([
    ['root output with the Debian secure_path', SUDO_V_AS_ROOT, [...DEFAULT_SECURE_PATH]],
    ['a custom secure_path', SUDO_V_AS_ROOT.replace(/with: .*/, 'with: /opt/admin/bin:/usr/bin'), ['/opt/admin/bin', '/usr/bin']],
    ['empty entries dropped', SUDO_V_AS_ROOT.replace(/with: .*/, 'with: /usr/bin::/bin:'), ['/usr/bin', '/bin']],
    ['root output of a sudoers without secure_path', SUDO_V_AS_ROOT.replace(/^Value to override.*\n/m, ''), null],
    ['non-root output (versions only)', SUDO_V_AS_USER, null],
    ['an empty secure_path', SUDO_V_AS_ROOT.replace(/with: .*/, 'with: '), null],
    ['nothing', '', null],
  ])('%s', (_name, output, expected) => {
    expect(securePathFromSudoV(output)).toEqual(expected);
  });
});

describe('resolveCommand in a temporary tree', () => {
  const temps = tempDirs('ocsec-resolve-');
  let root = '';
  let first = '';
  let second = '';
  let realTool = '';
  const savedPath = process.env.PATH;

  beforeAll(() => {
    root = fs.realpathSync(temps.make());
    first = path.join(root, 'first');
    second = path.join(root, 'second');
    const real = path.join(root, 'real');
    const callerBin = path.join(root, 'caller-bin');
    for (const dir of [first, second, real, callerBin]) fs.mkdirSync(dir);
    const writeExecutable = (file: string) => fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const writePlain = (file: string) => fs.writeFileSync(file, 'data\n', { mode: 0o644 });

    // "tool": a non-executable file in the first directory, an executable one in the second.
    writePlain(path.join(first, 'tool'));
    writeExecutable(path.join(second, 'tool'));
    // "adir": a directory first, an executable later.
    fs.mkdirSync(path.join(first, 'adir'));
    writeExecutable(path.join(second, 'adir'));
    // Found nowhere runnable:
    writePlain(path.join(first, 'plain-only'));
    fs.mkdirSync(path.join(first, 'dir-only'));
    realTool = path.join(real, 'real-tool');
    writeExecutable(realTool);
    fs.symlinkSync(realTool, path.join(second, 'linked'));
    fs.symlinkSync(path.join(real, 'missing'), path.join(second, 'dangling'));
    writeExecutable(path.join(root, 'in-cwd'));
    writeExecutable(path.join(callerBin, 'caller-only'));
    process.env.PATH = `${callerBin}:${savedPath ?? ''}`;
  });

  afterAll(() => {
    process.env.PATH = savedPath;
    temps.cleanup();
  });

  const opts = () => ({ securePath: [first, second], cwd: root });

  it.each<[string, () => string, () => string, () => string[]]>([
    ['the first executable regular file wins, past a non-executable one', () => 'tool', () => path.join(second, 'tool'), () => [path.join(first, 'tool'), path.join(second, 'tool')]],
    ['a directory named like the command is skipped', () => 'adir', () => path.join(second, 'adir'), () => [path.join(first, 'adir'), path.join(second, 'adir')]],
    ['a symlink resolves to its target', () => 'linked', () => realTool, () => [path.join(first, 'linked'), path.join(second, 'linked')]],
    ['an absolute path is used as is', () => realTool, () => realTool, () => [realTool]],
    ['an absolute symlink is resolved', () => path.join(second, 'linked'), () => realTool, () => [path.join(second, 'linked')]],
    ['./name is relative to cwd', () => './in-cwd', () => path.join(root, 'in-cwd'), () => [path.join(root, 'in-cwd')]],
    ['dir/name is relative to cwd, not searched', () => 'real/real-tool', () => realTool, () => [realTool]],
    ['.. is normalised', () => '../' + path.basename(root) + '/real/real-tool', () => realTool, () => [realTool]],
  ])('%s', (_name, name, expectedPath, expectedSearched) => {
    expect(resolveCommand(name(), opts())).toEqual({ ok: true, path: expectedPath(), searched: expectedSearched() });
  });

  it.each<[string, () => string, () => { securePath: string[]; cwd: string }, 'not-found' | 'not-executable' | 'is-directory']>([
    ['a name found nowhere', () => 'nothing-here', opts, 'not-found'],
    ['only a non-executable file', () => 'plain-only', opts, 'not-executable'],
    ['only a directory', () => 'dir-only', opts, 'is-directory'],
    ['a dangling symlink', () => 'dangling', opts, 'not-found'],
    ['an absolute non-executable file', () => path.join(first, 'tool'), opts, 'not-executable'],
    ['an absolute directory', () => first, opts, 'is-directory'],
    ['a relative path that does not exist', () => './nope', opts, 'not-found'],
    ['a bare name is never looked up in cwd', () => 'in-cwd', opts, 'not-found'],
    ["a bare name is never looked up in the caller's PATH", () => 'caller-only', opts, 'not-found'],
    ['relative secure_path entries are ignored', () => 'in-cwd', () => ({ securePath: ['.', ''], cwd: root }), 'not-found'],
    ['an empty name', () => '', opts, 'not-found'],
  ])('%s', (_name, name, options, reason) => {
    const n = name();
    expect(resolveCommand(n, options())).toEqual({ ok: false, reason, message: `sudo: ${n}: command not found` });
  });
});

describe('resolveCommand on this system', () => {
  it('finds sh in the default secure_path, as a real path under /usr/bin or /bin', () => {
    const result = resolveCommand('sh', { securePath: DEFAULT_SECURE_PATH, cwd: '/' });
    if (!result.ok) throw new Error(result.message);
    expect(result.path).toMatch(/^\/(usr\/)?bin\/[^/]+$/);
    expect(result.path).toBe(fs.realpathSync(result.path));
    expect(fs.statSync(result.path).isFile()).toBe(true);
  });

  it('reports a misspelt command in sudo words', () => {
    expect(resolveCommand('apt-gett', { securePath: DEFAULT_SECURE_PATH, cwd: '/' })).toEqual({
      ok: false,
      reason: 'not-found',
      message: 'sudo: apt-gett: command not found',
    });
  });
});

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  '# a comment line',
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'alice:x:1000:1000:Alice,,,:/home/alice:/usr/bin/zsh',
  'noshell:x:1001:1001::/home/noshell:',
  'short:x:1002',
  '+nisuser::::::/bin/csh',
  '',
].join('\n');

describe('loginShellOf', () => {
  it.each<[string, string | null]>([
    ['root', '/bin/bash'],
    ['alice', '/usr/bin/zsh'],
    ['www-data', '/usr/sbin/nologin'],
    ['noshell', '/bin/sh'],
    ['#0', '/bin/bash'],
    ['#1000', '/usr/bin/zsh'],
    ['nobody', null],
    ['short', null],
    ['+nisuser', null],
    ['#9999', null],
    ['ali', null],
  ])('%s → %s', (user, shell) => {
    expect(loginShellOf(user, PASSWD)).toBe(shell);
  });
});

describe('escapeForShellCommand (sudo -s/-i quoting)', () => {
  it.each<[string[], string]>([
    [['id'], 'id'],
    [['ls', '-la', '/root'], 'ls -la \\/root'],
    // Observed with sudo 1.9.13p3: `SHELL=printargs sudo -s echo 'a b$c' "x'y" 'q_-.,/=:@%+~'`.
    [['echo', 'a b$c', "x'y", 'q_-.,/=:@%+~'], "echo a\\ b$c x\\'y q_-\\.\\,\\/\\=\\:\\@\\%\\+\\~"],
    [['echo', '$HOME'], 'echo $HOME'],
    [['sh', '-c', 'a;b|c&d'], 'sh -c a\\;b\\|c\\&d'],
    [['printf', '%s\n', 'x'], 'printf \\%s\\\n x'],
    [['echo', 'é'], 'echo \\é'],
    [['echo', ''], 'echo '],
  ])('%j → %s', (words, expected) => {
    expect(escapeForShellCommand(words)).toBe(expected);
  });
});

describe('shellCommandFor', () => {
  it.each<[string, { loginShell: boolean; command: string[] }, string[]]>([
    ['-s', { loginShell: false, command: [] }, ['/bin/bash']],
    ['-s cmd args', { loginShell: false, command: ['ls', '-l', 'a b'] }, ['/bin/bash', '-c', 'ls -l a\\ b']],
    ['-i', { loginShell: true, command: [] }, ['/bin/bash', '-l']],
    ['-i cmd args', { loginShell: true, command: ['echo', 'a b'] }, ['/bin/bash', '-l', '-c', 'echo a\\ b']],
  ])('%s', (_name, parsed, expected) => {
    expect(shellCommandFor(parsed, '/bin/bash')).toEqual(expected);
  });
});
