// Covers daemon/policy/risk.ts and policies/shell-escapes.json: which resolved commands count as a shell, and list validation.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyRisk, compileShellEscapes, defaultPoliciesDir, defaultShellEscapesPath, loadShellEscapes, type RequestMode } from '../../daemon/policy/risk.js';
import { tempDirs } from '../helpers/tmp.js';

const list = loadShellEscapes();

describe('classifyRisk with the shipped list', () => {
  it.each<[string[], 'shell' | 'standard']>([
    [['/usr/bin/apt', 'update'], 'standard'],
    [['/usr/bin/apt', 'install', '-y', 'nginx'], 'standard'],
    [['/usr/bin/apt-get', '-o', 'APT::Update::Pre-Invoke::=sh', 'update'], 'shell'],
    [['/usr/bin/apt-get', '-oAPT::Update::Pre-Invoke::=sh', 'update'], 'shell'],
    [['/usr/bin/apt-get', '--option=APT::Update::Pre-Invoke::=sh', 'update'], 'shell'],
    [['/usr/bin/apt-get', 'changelog', 'bash'], 'shell'],
    [['/usr/bin/apt', 'edit-sources'], 'shell'],
    [['/usr/bin/apt-get', '-y', 'upgrade'], 'standard'],
    [['/usr/bin/bash'], 'shell'],
    [['/usr/bin/dash', '-c', 'id'], 'shell'],
    [['/usr/bin/busybox', 'ls'], 'shell'],
    [['/usr/bin/python3.11', '-c', 'x'], 'shell'],
    [['/usr/local/bin/python3', 'script.py'], 'shell'],
    [['/usr/bin/python'], 'shell'],
    [['/usr/bin/perl5.36.0', '-e', 'x'], 'shell'],
    [['/usr/bin/ruby3.1', '-e', 'x'], 'shell'],
    [['/usr/bin/lua5.4'], 'shell'],
    [['/usr/bin/node', '-e', 'x'], 'shell'],
    [['/usr/bin/mawk', 'BEGIN{system("sh")}'], 'shell'],
    [['/usr/bin/pythonista'], 'standard'],
    [['/usr/bin/find', '.', '-name', 'x'], 'standard'],
    [['/usr/bin/find', '.', '-exec', 'sh', ';'], 'shell'],
    [['/usr/bin/find', '/', '-execdir', 'id', '{}', '+'], 'shell'],
    [['/usr/bin/find', '.', '-fprintf', '/etc/cron.d/x', 'y'], 'shell'],
    [['/usr/bin/tar', '--checkpoint-action=exec=sh'], 'shell'],
    [['/usr/bin/tar', '-cf', '/dev/null', '/dev/null', '--checkpoint=1', '--checkpoint-action', 'exec=sh'], 'shell'],
    [['/usr/bin/tar', '--to-command=sh', '-xf', 'a.tar'], 'shell'],
    [['/usr/bin/tar', '-I', 'sh', '-cf', 'a', 'b'], 'shell'],
    [['/usr/bin/tar', '-cIf', 'sh', 'a', 'b'], 'shell'],
    [['/usr/bin/tar', '-czf', 'a.tgz', 'dir'], 'standard'],
    [['/usr/bin/tar', '-xzf', 'a.tgz', '-C', '/tmp/Foo'], 'standard'],
    [['/usr/bin/zip', 'a.zip', 'f', '-T', '-TT', 'sh #'], 'shell'],
    [['/usr/bin/zip', '-r', 'a.zip', 'dir'], 'standard'],
    [['/usr/bin/rsync', '-e', 'sh -c "sh 0<&2 1>&2"', '127.0.0.1:/dev/null'], 'shell'],
    [['/usr/bin/rsync', '-avze', 'ssh', 'a', 'host:b'], 'shell'],
    [['/usr/bin/rsync', '-a', '/src/', '/dst/'], 'standard'],
    [['/usr/bin/ssh', 'host'], 'standard'],
    [['/usr/bin/ssh', '-o', 'ProxyCommand=;sh 0<&2 1>&2', 'x'], 'shell'],
    [['/usr/bin/scp', '-S', '/tmp/x', 'a', 'b:'], 'shell'],
    [['/usr/bin/sed', '-i', 's/a/b/', '/etc/hosts'], 'shell'],
    [['/usr/bin/sed', '--sandbox', '-i', 's/a/b/', '/etc/hosts'], 'standard'],
    [['/usr/bin/systemctl', 'restart', 'nginx'], 'standard'],
    [['/usr/bin/systemctl', 'daemon-reload'], 'standard'],
    [['/usr/bin/systemctl', 'status', 'nginx'], 'shell'],
    [['/usr/bin/systemctl', '--no-pager', 'status', 'nginx'], 'standard'],
    [['/usr/bin/systemctl'], 'shell'],
    [['/usr/bin/systemctl', '--no-pager'], 'standard'],
    [['/usr/bin/systemctl', 'edit', 'nginx'], 'shell'],
    [['/usr/bin/systemctl', '--no-pager', 'edit', 'nginx'], 'shell'],
    [['/usr/bin/systemctl', 'link', '/tmp/evil.service'], 'shell'],
    [['/usr/bin/journalctl', '-u', 'nginx'], 'shell'],
    [['/usr/bin/journalctl', '--no-pager', '-u', 'nginx'], 'standard'],
    [['/usr/bin/dmesg', '-H'], 'shell'],
    [['/usr/bin/dmesg'], 'standard'],
    [['/usr/bin/docker', 'ps'], 'standard'],
    [['/usr/bin/docker', 'run', '-v', '/:/host', '-it', 'alpine'], 'shell'],
    [['/usr/bin/podman', 'exec', '-it', 'c', 'sh'], 'shell'],
    [['/usr/bin/git', 'status'], 'shell'],
    [['/usr/bin/less', '/var/log/syslog'], 'shell'],
    [['/usr/bin/vim.basic', '/etc/hosts'], 'shell'],
    [['/usr/bin/nano', '/etc/hosts'], 'shell'],
    [['/usr/bin/man', 'ls'], 'shell'],
    [['/usr/bin/env', 'FOO=1', '/usr/bin/id'], 'shell'],
    [['/usr/bin/nice', '/usr/bin/id'], 'shell'],
    [['/usr/bin/sudo', '-l'], 'shell'],
    [['/usr/bin/su', '-'], 'shell'],
    [['/usr/bin/crontab', '-l'], 'shell'],
    [['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/bin/sh'], 'shell'],
    [['/usr/bin/id'], 'standard'],
    [['/usr/bin/cat', '/etc/shadow'], 'standard'],
    [['/usr/sbin/nginx', '-t'], 'standard'],
    [['/usr/bin/npm', 'exec', 'x'], 'shell'],
    [['/usr/bin/npm', 'ls', '-g'], 'standard'],
  ])('%j → %s', (argv, risk) => {
    const verdict = classifyRisk(argv, 'command', list);
    expect(verdict.risk).toBe(risk);
    if (risk === 'standard') expect(verdict.why).toBeNull();
    else expect(verdict.why).toMatch(/\S/);
  });

  it.each<[RequestMode, string[]]>([
    ['shell', ['/bin/bash']],
    ['shell', ['/bin/bash', '-c', 'id']],
    ['edit', ['/etc/hosts']],
    ['edit', ['/usr/bin/id']],
  ])('mode %s is always a shell (%j)', (mode, argv) => {
    expect(classifyRisk(argv, mode, list).risk).toBe('shell');
  });

  it('says why, naming the program', () => {
    expect(classifyRisk(['/usr/bin/bash'], 'command', list).why).toBe('bash is a shell');
    expect(classifyRisk(['/usr/bin/python3.11', '-c', 'x'], 'command', list).why).toBe('python3.11 is a Python interpreter (python -c)');
    expect(classifyRisk(['/x'], 'edit', list).why).toMatch(/sudoedit/);
  });

  it('treats an empty argv as a shell rather than guessing', () => {
    expect(classifyRisk([], 'command', list).risk).toBe('shell');
  });
});

describe('the shipped shell-escape list', () => {
  it('is found in the package policies/ directory', () => {
    expect(defaultShellEscapesPath()).toBe(path.join(defaultPoliciesDir(), 'shell-escapes.json'));
    expect(fs.existsSync(defaultShellEscapesPath())).toBe(true);
  });

  it('covers the shells, privilege tools and interpreters by name or pattern', () => {
    for (const name of ['sh', 'bash', 'dash', 'zsh', 'ksh', 'csh', 'tcsh', 'fish', 'ash', 'busybox', 'su', 'sudo', 'doas', 'pkexec', 'runuser', 'env', 'xargs', 'perl', 'python3', 'vi', 'less', 'awk']) {
      expect(classifyRisk([`/usr/bin/${name}`], 'command', list).risk, name).toBe('shell');
    }
  });
});

describe('shell-escape list validation', () => {
  const temps = tempDirs('ocsec-risk-');
  afterAll(() => temps.cleanup());
  const valid = { version: 1, always: [{ name: 'bash', why: 'is a shell' }], name_patterns: [], when_args: [] };

  it.each<[string, unknown, RegExp]>([
    ['another version', { ...valid, version: 2 }, /version/],
    ['a duplicate name', { ...valid, always: [...valid.always, { name: 'bash', why: 'again' }] }, /always\.1\.name: bash is listed twice/],
    ['a bad regex', { ...valid, name_patterns: [{ pattern: '^python[', why: 'x' }] }, /name_patterns\.0\.pattern: is not a valid regular expression/],
    ['a rule without triggers or exceptions', { ...valid, when_args: [{ name: 'find', why: 'x' }] }, /when_args\.0: needs a trigger/],
    ['a rule for an "always" name', { ...valid, when_args: [{ name: 'bash', args_any: ['-c'], why: 'x' }] }, /when_args\.0\.name: bash is already in "always"/],
    ['an unknown field', { ...valid, always: [{ name: 'sh', why: 'x', risk: 'high' }] }, /always\.0/],
    ['a missing why', { ...valid, always: [{ name: 'sh' }] }, /always\.0\.why/],
    ['a multi-letter short flag', { ...valid, when_args: [{ name: 'tar', short_flags_any: ['If'], why: 'x' }] }, /short_flags_any\.0/],
  ])('rejects %s', (_name, data, message) => {
    expect(() => compileShellEscapes(data, 'test.json')).toThrow(message);
  });

  it('accepts a minimal list and uses it', () => {
    const small = compileShellEscapes({ ...valid, when_args: [{ name: 'find', args_any: ['-exec'], why: 'runs commands' }] });
    expect(classifyRisk(['/bin/bash'], 'command', small)).toEqual({ risk: 'shell', why: 'bash is a shell' });
    expect(classifyRisk(['/bin/find', '-exec'], 'command', small)).toEqual({ risk: 'shell', why: 'runs commands' });
    expect(classifyRisk(['/usr/bin/python3'], 'command', small)).toEqual({ risk: 'standard', why: null });
  });

  it('loads a file and names it when it is broken', () => {
    const dir = temps.make();
    const good = path.join(dir, 'good.json');
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(good, JSON.stringify(valid));
    fs.writeFileSync(broken, '{ "version": 1, ');
    expect(loadShellEscapes(good).always.get('bash')).toBe('is a shell');
    expect(() => loadShellEscapes(broken)).toThrow(broken);
    expect(() => loadShellEscapes(path.join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
});
