// Covers client/posture/: recognising the gateway by its command line, `sudo -n -l` parsing and classification, and which sudo a PATH runs.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayCommand } from '../../client/posture/gateway-match.js';
import { LAUNCHER_MARKER, resolveSudoOnPath } from '../../client/posture/path-analysis.js';
import { classifySudoList, parseSudoList, passwordlessRules } from '../../client/posture/sudo-rules.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-posture-');
afterEach(() => dirs.cleanup());

describe('isGatewayCommand', () => {
  it.each<[string, string[], boolean]>([
    ['the process title', ['openclaw-gateway', '', '', ''], true],
    ['the title with arguments kept', ['openclaw-gateway --port 18789'], true],
    ['the CLI bin via node', ['node', '/usr/lib/node_modules/openclaw/openclaw.mjs', 'gateway'], true],
    ['gateway run', ['/usr/bin/node', '/usr/local/bin/openclaw', 'gateway', 'run', '--allow-unconfigured'], true],
    ['gateway with options', ['node', '--max-old-space-size=2048', '/home/u/.npm-global/bin/openclaw', 'gateway', '--port', '18999', '--bind', 'loopback'], true],
    ['a global flag with a value first', ['node', '/opt/openclaw/openclaw.mjs', '--profile', 'work', 'gateway'], true],
    ['the bin executed directly', ['/usr/local/bin/openclaw', 'gateway'], true],
    ['the package entry', ['node', '/usr/lib/node_modules/openclaw/dist/index.js', 'gateway', 'run'], true],
    ['gateway status (management)', ['node', '/usr/local/bin/openclaw', 'gateway', 'status'], false],
    ['gateway install', ['node', '/usr/local/bin/openclaw', 'gateway', 'install', '--force'], false],
    ['gateway restart', ['/usr/local/bin/openclaw', 'gateway', 'restart'], false],
    ['another subcommand', ['node', '/usr/local/bin/openclaw', 'agent', '--message', 'gateway'], false],
    ['an unrelated node script mentioning gateway', ['node', '/srv/app/server.js', 'gateway'], false],
    ['a script after a positional argument', ['node', 'app.js', '/usr/local/bin/openclaw', 'gateway'], false],
    ['an editor opening the file', ['vim', '/usr/local/bin/openclaw'], false],
    ['empty', [], false],
    ['kernel thread (no cmdline)', [''], false],
  ])('%s', (_name, argv, expected) => {
    expect(isGatewayCommand(argv)).toBe(expected);
  });
});

const LISTED = `Matching Defaults entries for alice on vm:
    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty

User alice may run the following commands on vm:
    (ALL : ALL) ALL
    (root) NOPASSWD: /usr/bin/apt update, /usr/bin/systemctl restart nginx
    (root) /usr/bin/journalctl, NOPASSWD: /usr/bin/id, PASSWD: /usr/bin/less
    (backup) CWD=* NOEXEC: NOPASSWD: /usr/bin/rsync
    (root) SETENV: /usr/bin/env, /usr/bin/printf a\\,b
`;

describe('parseSudoList', () => {
  it('reads defaults and rules, carrying tags forward within a rule until overridden', () => {
    const l = parseSudoList(LISTED);
    expect(l.defaults).toContain('use_pty');
    expect(l.defaults).toContain('secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin');
    expect(l.authenticateDisabled).toBe(false);
    expect(l.rules.map((r) => r.runas)).toEqual(['ALL : ALL', 'root', 'root', 'backup', 'root']);
    expect(l.rules[2]!.commands).toEqual([
      { command: '/usr/bin/journalctl', nopasswd: false },
      { command: '/usr/bin/id', nopasswd: true },
      { command: '/usr/bin/less', nopasswd: false },
    ]);
    expect(l.rules[4]!.commands.map((c) => c.command)).toEqual(['/usr/bin/env', '/usr/bin/printf a\\,b']);
  });

  it('lists exactly the passwordless commands', () => {
    expect(passwordlessRules(parseSudoList(LISTED))).toEqual(['(root) /usr/bin/apt update, /usr/bin/systemctl restart nginx', '(root) /usr/bin/id', '(backup) /usr/bin/rsync']);
  });

  it('treats Defaults !authenticate as every rule passwordless', () => {
    const text = `Matching Defaults entries for bob on h:\n    env_reset, !authenticate\n\nUser bob may run the following commands on h:\n    (ALL) ALL\n`;
    const l = parseSudoList(text);
    expect(l.authenticateDisabled).toBe(true);
    expect(passwordlessRules(l)).toEqual(['(ALL) ALL']);
  });

  it('finds nothing passwordless in a plain (ALL) ALL', () => {
    expect(passwordlessRules(parseSudoList('User carol may run the following commands on h:\n    (ALL : ALL) ALL\n'))).toEqual([]);
  });
});

describe('classifySudoList', () => {
  it.each<[string, { code: number | null; stdout: string; stderr: string }, string, number]>([
    ['a listing with NOPASSWD', { code: 0, stdout: LISTED, stderr: '' }, 'listed', 3],
    ['a listing without', { code: 0, stdout: 'User c may run the following commands on h:\n    (ALL) ALL\n', stderr: '' }, 'listed', 0],
    ['a password is required', { code: 1, stdout: '', stderr: 'sudo: a password is required\n' }, 'password-required', 0],
    ['no sudo rights', { code: 1, stdout: '', stderr: 'Sorry, user dave may not run sudo on h.\n' }, 'no-rights', 0],
    ['no_new_privs', { code: 1, stdout: '', stderr: 'sudo: The "no new privileges" flag is set, which prevents sudo from running as root.\n' }, 'unavailable', 0],
    ['anything else', { code: 1, stdout: '', stderr: 'sudo: unable to open /etc/sudoers: Permission denied\n' }, 'error', 0],
  ])('%s', (_name, res, status, passwordless) => {
    const c = classifySudoList('/usr/bin/sudo', res);
    expect(c.status).toBe(status);
    expect(c.passwordless).toHaveLength(passwordless);
    expect(c.detail.length).toBeGreaterThan(0);
  });

  const e2eUser = spawnSync('id', ['-u', 'ocsec-e2e'], { encoding: 'utf8' });
  it.skipIf(process.getuid?.() !== 0 || e2eUser.status !== 0 || !existsSync('/usr/bin/sudo'))('reads the real `sudo -n -l` of a user with NOPASSWD rules (the e2e user)', () => {
    const res = spawnSync('setpriv', ['--reuid=ocsec-e2e', '--regid=ocsec-e2e', '--init-groups', '/usr/bin/sudo', '-n', '-l'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', COLUMNS: '10000' } });
    const c = classifySudoList('/usr/bin/sudo', { code: res.status, stdout: res.stdout, stderr: res.stderr });
    expect(c.status).toBe('listed');
    expect(c.passwordless.join(' ')).toContain('/usr/bin/id');
  });
});

describe('resolveSudoOnPath', () => {
  function setup() {
    const base = dirs.make();
    const shim = join(base, 'state', 'bin');
    const realDir = join(base, 'usr', 'bin');
    mkdirSync(shim, { recursive: true });
    mkdirSync(realDir, { recursive: true });
    writeFileSync(join(realDir, 'sudo'), '#!/bin/sh\n', { mode: 0o755 });
    return { base, shim, realDir };
  }
  const launcher = (dir: string) => writeFileSync(join(dir, 'sudo'), `#!/bin/sh\n${LAUNCHER_MARKER}\n`, { mode: 0o700 });

  it('the shim first: guarded', () => {
    const { shim, realDir } = setup();
    launcher(shim);
    expect(resolveSudoOnPath(`${shim}:${realDir}`, shim)).toEqual({ firstSudo: join(shim, 'sudo'), shimFirst: true, problem: null });
  });

  it('a symlinked spelling of the shim directory counts as the shim directory', () => {
    const { base, shim, realDir } = setup();
    launcher(shim);
    symlinkSync(shim, join(base, 'link'));
    expect(resolveSudoOnPath(`${join(base, 'link')}:${realDir}`, shim).shimFirst).toBe(true);
  });

  it('the shim after the real sudo: unguarded, and says so', () => {
    const { shim, realDir } = setup();
    launcher(shim);
    const r = resolveSudoOnPath(`${realDir}:${shim}`, shim);
    expect(r).toMatchObject({ firstSudo: join(realDir, 'sudo'), shimFirst: false });
    expect(r.problem).toMatch(/comes after/);
  });

  it('the shim directory missing from PATH', () => {
    const { shim, realDir } = setup();
    expect(resolveSudoOnPath(realDir, shim).problem).toMatch(/is not in PATH/);
  });

  it('the shim directory first but empty: the real sudo runs', () => {
    const { shim, realDir } = setup();
    const r = resolveSudoOnPath(`${shim}:${realDir}`, shim);
    expect(r).toMatchObject({ firstSudo: join(realDir, 'sudo'), shimFirst: false });
  });

  it('a foreign sudo in the shim directory is not the shim', () => {
    const { shim, realDir } = setup();
    writeFileSync(join(shim, 'sudo'), '#!/bin/sh\nexec /usr/bin/sudo "$@"\n', { mode: 0o755 });
    expect(resolveSudoOnPath(`${shim}:${realDir}`, shim)).toMatchObject({ shimFirst: false, problem: expect.stringMatching(/not the ocsec launcher/) });
  });

  it('a non-executable sudo is skipped, like execvp does', () => {
    const { shim, realDir } = setup();
    launcher(shim);
    chmodSync(join(realDir, 'sudo'), 0o644);
    expect(resolveSudoOnPath(`${realDir}:${shim}`, shim).shimFirst).toBe(true);
  });

  it.each([['an empty entry', (s: string, r: string) => `:${s}:${r}`], ['a relative entry', (s: string, r: string) => `bin:${s}:${r}`]])('%s before the shim is a problem', (_n, make) => {
    const { shim, realDir } = setup();
    launcher(shim);
    expect(resolveSudoOnPath(make(shim, realDir), shim)).toMatchObject({ shimFirst: false, problem: expect.stringMatching(/relative/) });
  });
});
