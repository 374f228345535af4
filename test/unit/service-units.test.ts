// Covers systemd/ and launchd/ as rendered by client/install/service.ts and gateway-path.ts: systemd-analyze verify, the plist's keys, unit-file parsing and quoting, and why MemoryDenyWriteExecute is absent.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plist from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { renderGatewayDropIn } from '../../client/install/gateway-path.js';
import { renderLaunchAgent, renderSandbox, renderUnit } from '../../client/install/service.js';
import { environmentFrom, loadUserUnit, parseUnitFile, quoteEnvironmentAssignment, quoteExecArg, splitEnvironmentWords } from '../../client/install/systemd-unit.js';
import { layoutFor } from '../../client/layout.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-units-');
afterEach(() => dirs.cleanup());

const root = join(import.meta.dirname, '../..');
const node = process.execPath;
const daemonEntry = join(root, 'daemon', 'main.ts'); // any existing file: verify checks ExecStart's binary, not the script

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

/**
 * `systemd-analyze --user verify` loads units the way a user manager would without contacting one (PID 1 here
 * is not systemd). It needs XDG_RUNTIME_DIR to exist; SYSTEMD_UNIT_PATH makes it find drop-ins beside the unit.
 * Unknown or misplaced keys are only warnings (exit 0), so the test fails on any output at all.
 */
function verify(unitDir: string, unit: string): { status: number | null; output: string } {
  const runtime = dirs.make();
  const res = spawnSync('systemd-analyze', ['--user', 'verify', '--man=no', join(unitDir, unit)], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', XDG_RUNTIME_DIR: runtime, SYSTEMD_UNIT_PATH: `${unitDir}:`, HOME: runtime },
  });
  return { status: res.status, output: (res.stdout + res.stderr).trim() };
}

function writeUnit(dir: string, name: string, text: string): void {
  mkdirSync(join(dir, ...name.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(dir, name), text);
}

describe('the ocsecd user unit', () => {
  const layout = layoutFor('/home/alice/.openclaw');
  const unit = renderUnit({ node, daemonEntry }, layout);

  it('pins node, the daemon and the state dir, restarts on failure, keeps a private umask and no core dumps', () => {
    expect(unit).toContain(`ExecStart=${node} ${daemonEntry} --state-dir /home/alice/.openclaw\n`);
    for (const line of ['Restart=on-failure', 'UMask=0077', 'LimitCORE=0', 'Type=exec', 'WantedBy=default.target', 'UnsetEnvironment=NODE_OPTIONS NODE_EXTRA_CA_CERTS NODE_PATH']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
    expect(unit).not.toMatch(/^NoNewPrivileges=/m); // would stop ocsecd's own sudo -K (see the unit's comment)
    expect(unit).not.toMatch(/@[A-Z_]+@/);
  });

  it.skipIf(!hasAnalyze)('passes systemd-analyze --user verify with no warnings', () => {
    const dir = dirs.make();
    writeUnit(dir, 'ocsecd.service', unit);
    expect(verify(dir, 'ocsecd.service')).toEqual({ status: 0, output: '' });
  });

  it.skipIf(!hasAnalyze)('the verification can fail: a misspelled key warns and a missing node is an error', () => {
    const dir = dirs.make();
    writeUnit(dir, 'bad.service', unit.replace('Restart=on-failure', 'Restart=on-failure\nRestartt=always'));
    expect(verify(dir, 'bad.service').output).toMatch(/Unknown key 'Restartt'/);
    writeUnit(dir, 'gone.service', renderUnit({ node: '/nonexistent/node', daemonEntry }, layout));
    expect(verify(dir, 'gone.service').status).not.toBe(0);
  });

  it.skipIf(!hasAnalyze)('with the opt-in sandbox drop-in it still verifies, and the drop-in is really loaded', () => {
    const dir = dirs.make();
    const sandbox = renderSandbox(layout);
    expect(sandbox).toMatch(/^NoNewPrivileges=yes$/m);
    expect(sandbox).toMatch(/^PrivateUsers=yes$/m);
    expect(sandbox).toMatch(/^ProtectSystem=strict$/m);
    expect(sandbox).toMatch(/^ReadWritePaths=\/home\/alice\/\.openclaw$/m);
    expect(sandbox).toMatch(/^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK$/m);
    expect(sandbox).not.toMatch(/^MemoryDenyWriteExecute=/m);
    writeUnit(dir, 'ocsecd.service', unit);
    writeUnit(dir, 'ocsecd.service.d/50-sandbox.conf', sandbox);
    expect(verify(dir, 'ocsecd.service')).toEqual({ status: 0, output: '' });
    writeUnit(dir, 'ocsecd.service.d/60-typo.conf', '[Service]\nProtectSystm=strict\n');
    expect(verify(dir, 'ocsecd.service').output).toMatch(/60-typo\.conf.*Unknown key 'ProtectSystm'/);
  });

  it('quotes paths with spaces and escapes specifiers and variables in ExecStart', () => {
    const odd = renderUnit({ node: '/opt/my node/bin/node', daemonEntry: '/srv/100%/$HOME/main.js' }, layoutFor('/home/a b/.openclaw'));
    expect(odd).toContain('ExecStart="/opt/my node/bin/node" /srv/100%%/$$HOME/main.js --state-dir "/home/a b/.openclaw"');
  });

  it('refuses a path with a newline (it would add directives)', () => {
    expect(() => renderUnit({ node: '/usr/bin/node\nExecStartPre=/bin/sh', daemonEntry }, layout)).toThrow(/newline/);
  });
});

describe('the gateway PATH drop-in', () => {
  it.skipIf(!hasAnalyze)('sets PATH for the gateway unit, verifies, and is what the unit ends up with', () => {
    const dir = dirs.make();
    const path = '/home/alice/.openclaw/bin:/home/alice/.nvm/versions/node/v22/bin:/usr/bin:/bin';
    writeUnit(dir, 'openclaw-gateway.service', `[Service]\nExecStart=${node} -e 0\nEnvironment=PATH=/home/alice/.nvm/versions/node/v22/bin:/usr/bin:/bin\n`);
    const dropIn = renderGatewayDropIn('/home/alice/.openclaw/bin', path, 'Environment=PATH in openclaw-gateway.service');
    expect(dropIn).toContain(`Environment="PATH=${path}"`);
    writeUnit(dir, 'openclaw-gateway.service.d/10-ocsec-path.conf', dropIn);
    expect(verify(dir, 'openclaw-gateway.service')).toEqual({ status: 0, output: '' });
    const loaded = loadUserUnit('openclaw-gateway.service', [dir])!;
    expect(environmentFrom(loaded.entries, { home: '/home/alice', user: 'alice', uid: 1000 }).get('PATH')?.value).toBe(path);
  });
});

describe('the LaunchAgent', () => {
  const layout = layoutFor('/Users/alice/.openclaw');

  it('parses (plist package), has the required keys, and round-trips', () => {
    const text = renderLaunchAgent({ node: '/opt/homebrew/bin/node', daemonEntry: '/opt/ocsec/dist/daemon/main.js' }, layout);
    const parsed = plist.parse(text) as Record<string, unknown>;
    expect(parsed).toEqual({
      Label: 'ai.openclaw.ocsecd',
      ProgramArguments: ['/opt/homebrew/bin/node', '/opt/ocsec/dist/daemon/main.js', '--state-dir', '/Users/alice/.openclaw'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false, Crashed: true },
      ThrottleInterval: 10,
      ProcessType: 'Background',
      Umask: 63,
      StandardOutPath: '/Users/alice/.openclaw/logs/ocsecd.log',
      StandardErrorPath: '/Users/alice/.openclaw/logs/ocsecd.err.log',
    });
    expect(parsed.Umask).toBe(0o077);
    expect(plist.parse(plist.build(parsed as plist.PlistValue))).toEqual(parsed);
  });

  it('escapes XML in paths, so a path cannot add keys', () => {
    const text = renderLaunchAgent({ node: '/opt/a&b/node', daemonEntry: '/x/</string><key>RunAtLoad</key><false/><string>' }, layout);
    const parsed = plist.parse(text) as { ProgramArguments: string[]; RunAtLoad: boolean };
    expect(parsed.ProgramArguments[0]).toBe('/opt/a&b/node');
    expect(parsed.ProgramArguments[1]).toBe('/x/</string><key>RunAtLoad</key><false/><string>');
    expect(parsed.RunAtLoad).toBe(true);
  });
});

describe('unit-file parsing and quoting', () => {
  it.each<[string, string]>([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/a b/node', '"/a b/node"'],
    ['/a"b', '"/a\\"b"'],
    ['/a\\b', '"/a\\\\b"'],
    ['/x/50%', '/x/50%%'],
    ['/x/$HOME', '/x/$$HOME'],
  ])('quoteExecArg(%j) = %s', (input, expected) => {
    expect(quoteExecArg(input)).toBe(expected);
  });

  it('quoteEnvironmentAssignment doubles % and escapes quotes, and refuses newlines and bad names', () => {
    expect(quoteEnvironmentAssignment('PATH', '/a b:/c%d:/e"f')).toBe('"PATH=/a b:/c%%d:/e\\"f"');
    expect(() => quoteEnvironmentAssignment('PATH', '/a\n[Service]')).toThrow(/newline/);
    expect(() => quoteEnvironmentAssignment('1PATH', '/a')).toThrow(/invalid environment variable name/);
  });

  it('splitEnvironmentWords follows systemd quoting', () => {
    expect(splitEnvironmentWords(`A=1 "B=two words" 'C=x"y' D=a\\ b "E=q\\"r"`)).toEqual(['A=1', 'B=two words', 'C=x"y', 'D=a b', 'E=q"r']);
  });

  it('parseUnitFile joins continuations and drops comments', () => {
    const entries = parseUnitFile('# c\n[Service]\n; c\nEnvironment=A=1 \\\n  B=2\nExecStart=/bin/true\n', 'u');
    expect(entries.map((e) => [e.section, e.key, e.value])).toEqual([
      ['Service', 'Environment', 'A=1  B=2'],
      ['Service', 'ExecStart', '/bin/true'],
    ]);
  });

  it('environmentFrom: later assignments win, an empty one resets, %h expands', () => {
    const entries = parseUnitFile('[Service]\nEnvironment=PATH=/a X=1\nEnvironment=\nEnvironment="PATH=%h/bin:/usr/bin" Y=%u\n', 'u');
    const env = environmentFrom(entries, { home: '/home/z', user: 'zed', uid: 7 });
    expect(Object.fromEntries([...env].map(([k, v]) => [k, v.value]))).toEqual({ PATH: '/home/z/bin:/usr/bin', Y: 'zed' });
  });

  it('loadUserUnit: the first directory holding the unit wins; drop-ins from all directories apply in name order, each name once', () => {
    const high = dirs.make();
    const low = dirs.make();
    writeUnit(low, 'gw.service', '[Service]\nEnvironment=PATH=/low\n');
    writeUnit(high, 'gw.service', '[Service]\nEnvironment=PATH=/high\n');
    writeUnit(low, 'gw.service.d/20-b.conf', '[Service]\nEnvironment=PATH=/low-20\n');
    writeUnit(high, 'gw.service.d/20-b.conf', '[Service]\nEnvironment=PATH=/high-20\n');
    writeUnit(low, 'gw.service.d/10-a.conf', '[Service]\nEnvironment=PATH=/low-10\n');
    const loaded = loadUserUnit('gw.service', [high, low])!;
    expect(loaded.file).toBe(join(high, 'gw.service'));
    expect(loaded.dropIns).toEqual([join(low, 'gw.service.d/10-a.conf'), join(high, 'gw.service.d/20-b.conf')]);
    expect(environmentFrom(loaded.entries, { home: '/', user: 'u', uid: 1 }).get('PATH')?.value).toBe('/high-20');
    expect(loadUserUnit('absent.service', [high, low])).toBeNull();
  });
});

describe('MemoryDenyWriteExecute and Node', () => {
  // prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) (Linux 6.3+) is the kernel's form of the rule systemd's
  // MemoryDenyWriteExecute= enforces with seccomp: no mapping may become executable after being writable.
  // It survives execve, so a child that sets it and execs node shows what node does under the unit setting.
  // The exec'd node writes its result to a file: Node's own stdio descriptors do not survive the raw execv.
  const script = `
    const koffi = require('koffi');
    const libc = koffi.load('libc.so.6');
    const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
    const execv = libc.func('int execv(const char *path, const char **argv)');
    const [mode, out] = process.argv.slice(-2);
    if (mode === 'mdwe' && prctl(65, 1, 0, 0, 0) !== 0) { require('fs').writeFileSync(out, 'unsupported'); process.exit(0); }
    const code = 'let s = 0; for (let i = 0; i < 1e7; i++) s += i; require("fs").writeFileSync(process.argv[1], "ran " + s)';
    execv(process.execPath, [process.execPath, '-e', code, out, null]);
    process.exit(99);
  `;
  const run = (mode: string) => {
    const out = join(dirs.make(), 'result');
    const res = spawnSync(process.execPath, ['-e', script, '--', mode, out], { encoding: 'utf8', cwd: root, timeout: 20_000 });
    return { status: res.status, signal: res.signal, result: existsSync(out) ? readFileSync(out, 'utf8') : '' };
  };
  const supported = process.platform === 'linux' && run('mdwe').result !== 'unsupported';

  it.skipIf(process.platform !== 'linux')('node runs normally without it (the control)', () => {
    expect(run('plain')).toEqual({ status: 0, signal: null, result: 'ran 49999995000000' });
  });

  it.skipIf(!supported)('node aborts under it: V8 makes JIT code executable after writing it', () => {
    const res = run('mdwe');
    expect(res.result).toBe('');
    expect(res.status === 0 && res.signal === null).toBe(false);
  });

  it('the sandbox drop-in explains the omission', () => {
    const text = readFileSync(join(root, 'systemd/ocsecd-sandbox.conf'), 'utf8');
    expect(text).toMatch(/MemoryDenyWriteExecute= is deliberately absent: V8's JIT/);
    expect(existsSync(join(root, 'systemd/ocsecd.service'))).toBe(true);
  });
});
