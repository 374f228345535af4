// Covers client/install/: `ocsecctl install` / `uninstall` against a temp HOME, XDG_CONFIG_HOME and state dir, with the
// service managers (systemctl, launchctl) replaced by a recording runner: files, modes, manifest, idempotence, reversal.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plist from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { runInstall, runUninstall, type InstallRequest } from '../../client/install/index.js';
import { InstallError } from '../../client/install/context.js';
import { manifestPath, readManifest, type Component } from '../../client/install/manifest.js';
import type { CommandResult } from '../../client/install/runner.js';
import { layoutFor } from '../../client/layout.js';
import { locateRealSudo } from '../../client/real-sudo.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-install-');
afterEach(() => dirs.cleanup());

const root = join(import.meta.dirname, '../..');
const servicePaths = { node: process.execPath, daemonEntry: join(root, 'package.json') };
const canInstallShim = existsSync(join(root, 'dist/shim/ocsec-sudo.cjs')) && locateRealSudo({ shimDirs: [] }).ok;
const mode = (p: string) => statSync(p).mode & 0o777;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

type Responder = (argv: readonly string[]) => CommandResult | undefined;

function setup(opts: { platform?: 'linux' | 'darwin'; systemd?: boolean; respond?: Responder } = {}) {
  const base = dirs.make();
  const home = join(base, 'home');
  mkdirSync(home);
  const xdg = join(base, 'xdg');
  const layout = layoutFor(join(base, 'state'));
  const env: NodeJS.ProcessEnv = { HOME: home, XDG_CONFIG_HOME: xdg, USER: 'alice' };
  const calls: string[][] = [];
  const run = (argv: readonly string[]): CommandResult => {
    calls.push([...argv]);
    const custom = opts.respond?.(argv);
    if (custom) return custom;
    if (argv[0] === 'systemctl') {
      if (!opts.systemd) return { status: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found\n' };
      if (argv[2] === 'show-environment') return { status: 0, stdout: 'HOME=/home/alice\nPATH=/usr/local/bin:/usr/bin:/bin\n', stderr: '' };
      if (argv[2] === 'is-active') return { status: 3, stdout: '', stderr: '' };
      return { status: 0, stdout: '', stderr: '' };
    }
    if (argv[0] === 'launchctl') {
      if (argv[1] === 'print') return { status: 113, stdout: '', stderr: 'Could not find service' };
      return { status: 0, stdout: '', stderr: '' };
    }
    return { status: null, stdout: '', stderr: '', error: `${argv[0]} not found` };
  };
  const request = (components: Component[], extra: Partial<InstallRequest> = {}): InstallRequest => ({
    layout,
    components,
    dryRun: false,
    env,
    platform: opts.platform ?? 'linux',
    uid: 501,
    run,
    servicePaths,
    now: () => new Date('2026-03-04T05:06:07Z'),
    ...extra,
  });
  const unit = join(xdg, 'systemd', 'user', 'ocsecd.service');
  /** Files ocsec must never remove: created before install, checked after uninstall. */
  const protectedFiles = () => {
    mkdirSync(layout.securityDir, { recursive: true, mode: 0o700 });
    const files = { [layout.dbPath]: 'SQLite format 3\0', [layout.auditMirrorPath]: '{"seq":1}\n', [layout.policyFiles.commandPolicy]: '{}', [layout.configPath]: '{}' };
    for (const [p, text] of Object.entries(files)) writeFileSync(p, text, { mode: 0o600 });
    return files;
  };
  return { base, home, xdg, layout, env, calls, run, request, unit, protectedFiles };
}

describe('install --service (Linux)', () => {
  it('--dry-run prints every step and changes nothing', () => {
    const s = setup();
    const report = runInstall(s.request(['service'], { dryRun: true }));
    expect(report.steps.filter((st) => st.kind === 'write').map((st) => st.path)).toEqual([s.unit]);
    expect(report.steps.some((st) => st.kind === 'mkdir' && st.path === s.xdg)).toBe(true);
    expect(existsSync(s.xdg)).toBe(false);
    expect(existsSync(s.layout.stateDir)).toBe(false);
    expect(report.steps.every((st) => st.content === undefined || st.kind === 'write')).toBe(true);
  });

  it('writes the unit (0644, dirs 0700), records it in a 0600 manifest, and says how to enable it when systemd is not reachable', () => {
    const s = setup();
    const report = runInstall(s.request(['service']));
    const text = readFileSync(s.unit, 'utf8');
    expect(text).toContain(`ExecStart=${servicePaths.node} ${servicePaths.daemonEntry} --state-dir ${s.layout.stateDir}\n`);
    expect(mode(s.unit)).toBe(0o644);
    expect(mode(join(s.xdg, 'systemd', 'user'))).toBe(0o700);
    expect(mode(manifestPath(s.layout))).toBe(0o600);
    const skip = report.steps.find((st) => st.kind === 'skip')!;
    expect(skip.action).toMatch(/not reachable \(Failed to connect to bus: No medium found\).*systemctl --user daemon-reload && systemctl --user enable --now ocsecd\.service/);
    const manifest = readManifest(s.layout, 'linux');
    expect(manifest.entries.map((e) => [e.component, e.kind, 'path' in e ? e.path : e.argv.join(' ')])).toEqual([
      ['service', 'dir', s.xdg],
      ['service', 'dir', join(s.xdg, 'systemd')],
      ['service', 'dir', join(s.xdg, 'systemd', 'user')],
      ['service', 'file', s.unit],
    ]);
    expect(manifest.entries[3]).toMatchObject({ sha256: sha(text) });
  });

  it('is idempotent: a second install changes nothing and records nothing twice', () => {
    const s = setup();
    runInstall(s.request(['service']));
    const before = readFileSync(manifestPath(s.layout), 'utf8');
    const report = runInstall(s.request(['service']));
    expect(report.steps.filter((st) => st.changed)).toEqual([]);
    expect(report.steps[0]).toMatchObject({ kind: 'unchanged', path: s.unit });
    expect(JSON.parse(readFileSync(manifestPath(s.layout), 'utf8')).entries).toHaveLength(JSON.parse(before).entries.length);
  });

  it('with user systemd: daemon-reload, enable --now (recorded with its undo); uninstall disables and reloads', () => {
    const s = setup({ systemd: true });
    runInstall(s.request(['service']));
    expect(s.calls.filter((c) => c[2] !== 'show-environment').map((c) => c.join(' '))).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user is-active --quiet ocsecd.service',
      'systemctl --user enable --now ocsecd.service',
    ]);
    expect(readManifest(s.layout, 'linux').entries.at(-1)).toMatchObject({ kind: 'command', argv: ['systemctl', '--user', 'enable', '--now', 'ocsecd.service'], undo: ['systemctl', '--user', 'disable', '--now', 'ocsecd.service'] });
    s.calls.length = 0;
    runUninstall(s.request([]));
    expect(s.calls.filter((c) => c[2] !== 'show-environment').map((c) => c.join(' '))).toEqual(['systemctl --user disable --now ocsecd.service', 'systemctl --user daemon-reload']);
    expect(existsSync(s.unit)).toBe(false);
    expect(existsSync(s.xdg)).toBe(false);
    expect(existsSync(manifestPath(s.layout))).toBe(false);
  });

  it('restarts a running daemon whose unit changed, and only then', () => {
    const s = setup({ systemd: true, respond: (argv) => (argv[2] === 'is-active' ? { status: 0, stdout: '', stderr: '' } : undefined) });
    runInstall(s.request(['service']));
    expect(s.calls.some((c) => c.join(' ') === 'systemctl --user restart ocsecd.service')).toBe(true);
    s.calls.length = 0;
    runInstall(s.request(['service']));
    expect(s.calls.some((c) => c[2] === 'restart')).toBe(false);
  });

  it('uninstall reverses only what the manifest records and never touches the policies, the database or the audit log', () => {
    const s = setup();
    const files = s.protectedFiles();
    runInstall(s.request(['service']));
    const dry = runUninstall(s.request([], { dryRun: true }));
    expect(dry.steps.filter((st) => st.kind === 'remove').map((st) => st.path)).toEqual([s.unit, join(s.xdg, 'systemd', 'user'), join(s.xdg, 'systemd'), s.xdg]);
    expect(existsSync(s.unit)).toBe(true);
    runUninstall(s.request([]));
    expect(existsSync(s.unit)).toBe(false);
    for (const [p, text] of Object.entries(files)) expect(readFileSync(p, 'utf8')).toBe(text);
    expect(existsSync(s.layout.securityDir)).toBe(true);
  });

  it('refuses to remove a protected path even when the manifest lists it', () => {
    const s = setup();
    const files = s.protectedFiles();
    runInstall(s.request(['service']));
    const manifest = JSON.parse(readFileSync(manifestPath(s.layout), 'utf8'));
    manifest.entries.push(
      { component: 'service', kind: 'file', path: s.layout.dbPath, sha256: sha(files[s.layout.dbPath]!), at: 'x' },
      { component: 'service', kind: 'file', path: s.layout.auditMirrorPath, sha256: sha(files[s.layout.auditMirrorPath]!), at: 'x' },
      { component: 'service', kind: 'dir', path: s.layout.securityDir, at: 'x' },
    );
    writeFileSync(manifestPath(s.layout), JSON.stringify(manifest));
    const report = runUninstall(s.request(['service']));
    expect(report.steps.filter((st) => st.action.startsWith('refused')).map((st) => st.path).sort()).toEqual([s.layout.auditMirrorPath, s.layout.dbPath, s.layout.securityDir].sort());
    for (const [p, text] of Object.entries(files)) expect(readFileSync(p, 'utf8')).toBe(text);
  });

  it('keeps a unit the user changed after install', () => {
    const s = setup();
    runInstall(s.request(['service']));
    writeFileSync(s.unit, readFileSync(s.unit, 'utf8') + '\n# local note\n');
    const report = runUninstall(s.request(['service']));
    expect(existsSync(s.unit)).toBe(true);
    expect(report.steps.some((st) => st.path === s.unit && /changed since ocsec wrote it/.test(st.action))).toBe(true);
  });

  it('refuses to overwrite an ocsecd.service it did not write, and changes nothing', () => {
    const s = setup();
    mkdirSync(join(s.xdg, 'systemd', 'user'), { recursive: true });
    writeFileSync(s.unit, '[Service]\nExecStart=/usr/local/bin/something-else\n');
    expect(() => runInstall(s.request(['service']))).toThrow(InstallError);
    expect(readFileSync(s.unit, 'utf8')).toBe('[Service]\nExecStart=/usr/local/bin/something-else\n');
    expect(existsSync(manifestPath(s.layout))).toBe(false);
  });

  it('--sandbox adds the sandbox drop-in; --no-sandbox removes it', () => {
    const s = setup();
    const dropIn = join(s.xdg, 'systemd', 'user', 'ocsecd.service.d', '50-sandbox.conf');
    runInstall(s.request(['service'], { sandbox: true }));
    expect(readFileSync(dropIn, 'utf8')).toMatch(new RegExp(`^ReadWritePaths=${s.layout.stateDir}$`, 'm'));
    expect(mode(dropIn)).toBe(0o644);
    runInstall(s.request(['service']));
    expect(existsSync(dropIn)).toBe(true);
    runInstall(s.request(['service'], { sandbox: false }));
    expect(existsSync(dropIn)).toBe(false);
    expect(readManifest(s.layout, 'linux').entries.some((e) => 'path' in e && e.path === dropIn)).toBe(false);
  });
});

describe('install --service (macOS, launchctl replaced)', () => {
  const plistPath = (home: string) => join(home, 'Library', 'LaunchAgents', 'ai.openclaw.ocsecd.plist');

  it('writes the LaunchAgent, creates the log files 0640 in a 0750 logs dir, bootstraps it in gui/UID; uninstall boots it out', () => {
    const s = setup({ platform: 'darwin' });
    runInstall(s.request(['service']));
    const agent = plistPath(s.home);
    expect(mode(agent)).toBe(0o644);
    const parsed = plist.parse(readFileSync(agent, 'utf8')) as Record<string, unknown>;
    expect(parsed).toMatchObject({ Label: 'ai.openclaw.ocsecd', RunAtLoad: true, Umask: 63, ProgramArguments: [servicePaths.node, servicePaths.daemonEntry, '--state-dir', s.layout.stateDir] });
    const logs = join(s.layout.stateDir, 'logs');
    expect(mode(logs)).toBe(0o750);
    expect(mode(join(logs, 'ocsecd.log'))).toBe(0o640);
    expect(mode(join(logs, 'ocsecd.err.log'))).toBe(0o640);
    expect(s.calls.map((c) => c.join(' '))).toEqual(['launchctl print gui/501/ai.openclaw.ocsecd', 'launchctl enable gui/501/ai.openclaw.ocsecd', `launchctl bootstrap gui/501 ${agent}`]);
    s.calls.length = 0;
    runUninstall(s.request(['service']));
    expect(s.calls.map((c) => c.join(' '))).toEqual(['launchctl bootout gui/501/ai.openclaw.ocsecd']);
    expect(existsSync(agent)).toBe(false);
    expect(existsSync(join(logs, 'ocsecd.log'))).toBe(true); // logs are kept
  });

  it('leaves a loaded, unchanged agent alone and reloads a changed one', () => {
    let loaded = false;
    const s = setup({ platform: 'darwin', respond: (argv) => (argv[1] === 'print' ? { status: loaded ? 0 : 113, stdout: '', stderr: '' } : undefined) });
    runInstall(s.request(['service']));
    loaded = true;
    s.calls.length = 0;
    runInstall(s.request(['service']));
    expect(s.calls.map((c) => c[1])).toEqual(['print']);
    s.calls.length = 0;
    runInstall(s.request(['service'], { servicePaths: { ...servicePaths, daemonEntry: join(root, 'README.md') } }));
    expect(s.calls.map((c) => c[1])).toEqual(['print', 'bootout', 'enable', 'bootstrap']);
  });

  it('without launchctl it writes the plist and prints the command instead', () => {
    const s = setup({ platform: 'darwin', respond: (argv) => (argv[0] === 'launchctl' ? { status: null, stdout: '', stderr: '', error: 'launchctl not found' } : undefined) });
    const report = runInstall(s.request(['service']));
    expect(existsSync(plistPath(s.home))).toBe(true);
    expect(report.steps.find((st) => st.kind === 'skip')?.action).toMatch(/launchctl is not available.*launchctl bootstrap gui\/501/);
    expect(readManifest(s.layout, 'darwin').entries.some((e) => e.kind === 'command')).toBe(false);
  });
});

describe.skipIf(!canInstallShim)('install --shim', () => {
  it('writes the launcher 0700 and records it; uninstall removes it and the bin dir it created', () => {
    const s = setup();
    runInstall(s.request(['shim']));
    const launcher = join(s.layout.binDir, 'sudo');
    expect(mode(launcher)).toBe(0o700);
    expect(readManifest(s.layout, 'linux').entries.map((e) => [e.component, e.kind])).toEqual([
      ['shim', 'dir'],
      ['shim', 'file'],
    ]);
    runUninstall(s.request(['shim']));
    expect(existsSync(s.layout.binDir)).toBe(false);
  });
});

describe('install --gateway-path (Linux)', () => {
  function withGatewayUnit(s: ReturnType<typeof setup>, text: string) {
    mkdirSync(join(s.xdg, 'systemd', 'user'), { recursive: true });
    writeFileSync(join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service'), text);
  }
  const dropInOf = (s: ReturnType<typeof setup>) => join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service.d', '10-ocsec-path.conf');

  it("writes a drop-in putting <state>/bin before the gateway's own PATH, idempotently, and prints the restart", () => {
    const s = setup();
    withGatewayUnit(s, '[Service]\nExecStart=/usr/bin/openclaw gateway run\nEnvironment="PATH=/home/alice/.nvm/versions/node/v22/bin:/usr/bin:/bin" OPENCLAW_SYSTEMD_UNIT=openclaw-gateway.service\n');
    const report = runInstall(s.request(['gateway-path']));
    const text = readFileSync(dropInOf(s), 'utf8');
    expect(text).toContain(`Environment="PATH=${s.layout.binDir}:/home/alice/.nvm/versions/node/v22/bin:/usr/bin:/bin"`);
    expect(mode(dropInOf(s))).toBe(0o644);
    expect(report.steps.some((st) => /is not the ocsec launcher yet/.test(st.action))).toBe(true);
    expect(report.steps.at(-2)?.action).toMatch(/restart the gateway to use it: systemctl --user daemon-reload && systemctl --user restart openclaw-gateway\.service/);
    const again = runInstall(s.request(['gateway-path']));
    expect(again.steps.filter((st) => st.changed)).toEqual([]);
    expect(readFileSync(dropInOf(s), 'utf8')).toBe(text);
  });

  it("uses the user manager's PATH when the unit sets none", () => {
    const s = setup({ systemd: true });
    withGatewayUnit(s, '[Service]\nExecStart=/usr/bin/openclaw gateway run\n');
    runInstall(s.request(['gateway-path']));
    expect(readFileSync(dropInOf(s), 'utf8')).toContain(`"PATH=${s.layout.binDir}:/usr/local/bin:/usr/bin:/bin"`);
    expect(s.calls.some((c) => c.join(' ') === 'systemctl --user daemon-reload')).toBe(true);
  });

  it('warns when a later drop-in sets PATH again', () => {
    const s = setup();
    withGatewayUnit(s, '[Service]\nExecStart=/usr/bin/openclaw gateway run\n');
    mkdirSync(join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service.d'), { recursive: true });
    writeFileSync(join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service.d', 'override.conf'), '[Service]\nEnvironment=PATH=/usr/bin\n');
    const report = runInstall(s.request(['gateway-path']));
    expect(report.steps.some((st) => /override\.conf:2 sets PATH after/.test(st.action))).toBe(true);
  });

  it('refuses when there is no gateway unit, naming where it looked', () => {
    const s = setup();
    expect(() => runInstall(s.request(['gateway-path']))).toThrow(/no user unit openclaw-gateway\.service found \(searched .*xdg\/systemd\/user/);
  });

  it('uninstall removes the drop-in and its directory, leaving the gateway unit', () => {
    const s = setup();
    withGatewayUnit(s, '[Service]\nExecStart=/usr/bin/openclaw gateway run\n');
    runInstall(s.request(['gateway-path']));
    runUninstall(s.request(['gateway-path']));
    expect(existsSync(dropInOf(s))).toBe(false);
    expect(existsSync(join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service.d'))).toBe(false);
    expect(existsSync(join(s.xdg, 'systemd', 'user', 'openclaw-gateway.service'))).toBe(true);
  });
});

describe('install --gateway-path (macOS plist)', () => {
  const GATEWAY = {
    Label: 'ai.openclaw.gateway',
    ProgramArguments: ['/opt/homebrew/bin/node', '/opt/homebrew/lib/node_modules/openclaw/openclaw.mjs', 'gateway', '--port', '18789'],
    RunAtLoad: true,
    KeepAlive: true,
    EnvironmentVariables: { PATH: '/opt/homebrew/bin:/usr/bin:/bin', OPENCLAW_GATEWAY_TOKEN: 'keep-me' },
  };
  function withGatewayPlist(s: ReturnType<typeof setup>, value: Record<string, unknown> = GATEWAY) {
    const dir = join(s.home, 'Library', 'LaunchAgents');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'ai.openclaw.gateway.plist');
    writeFileSync(file, plist.build(value as plist.PlistValue), { mode: 0o644 });
    return file;
  }

  it('asks first, backs the plist up, sets EnvironmentVariables:PATH and keeps every other key; uninstall restores it', () => {
    const s = setup({ platform: 'darwin' });
    const file = withGatewayPlist(s);
    const original = readFileSync(file, 'utf8');
    const questions: string[] = [];
    const report = runInstall(s.request(['gateway-path'], { confirm: (q) => (questions.push(q), true) }));
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain(`to:   ${s.layout.binDir}:/opt/homebrew/bin:/usr/bin:/bin`);
    const updated = plist.parse(readFileSync(file, 'utf8'));
    expect(updated).toEqual({ ...GATEWAY, EnvironmentVariables: { PATH: `${s.layout.binDir}:/opt/homebrew/bin:/usr/bin:/bin`, OPENCLAW_GATEWAY_TOKEN: 'keep-me' } });
    expect(mode(file)).toBe(0o644);
    const backup = report.steps.find((st) => st.kind === 'backup')!.path;
    expect(readFileSync(backup, 'utf8')).toBe(original);
    expect(mode(backup)).toBe(0o600);
    expect(report.steps.some((st) => /launchctl bootout gui\/501\/ai\.openclaw\.gateway; launchctl bootstrap gui\/501/.test(st.action))).toBe(true);
    runUninstall(s.request(['gateway-path']));
    expect(plist.parse(readFileSync(file, 'utf8'))).toEqual(GATEWAY);
  });

  it('a plist without PATH gets one, and uninstall removes it again', () => {
    const s = setup({ platform: 'darwin' });
    const { EnvironmentVariables: _drop, ...bare } = GATEWAY;
    const file = withGatewayPlist(s, bare);
    runInstall(s.request(['gateway-path'], { env: { ...s.env, OPENCLAW_SKIP_PLIST_CONFIRM: '1' } }));
    expect((plist.parse(readFileSync(file, 'utf8')) as { EnvironmentVariables: { PATH: string } }).EnvironmentVariables.PATH).toBe(`${s.layout.binDir}:/usr/bin:/bin:/usr/sbin:/sbin`);
    runUninstall(s.request(['gateway-path']));
    expect(plist.parse(readFileSync(file, 'utf8'))).toEqual(bare);
  });

  it.each<[string, boolean | null, RegExp]>([
    ['declined', false, /left unchanged \(not confirmed\)/],
    ['no terminal to ask on', null, /needs a confirmation on a terminal; run interactively or set OPENCLAW_SKIP_PLIST_CONFIRM=1/],
  ])('%s: refused, nothing changed, nothing recorded', (_name, answer, message) => {
    const s = setup({ platform: 'darwin' });
    const file = withGatewayPlist(s);
    const before = readFileSync(file, 'utf8');
    expect(() => runInstall(s.request(['gateway-path'], { confirm: () => answer }))).toThrow(message);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(join(s.layout.stateDir, 'backups'))).toBe(false);
    expect(readManifest(s.layout, 'darwin').entries).toEqual([]);
  });

  it('OPENCLAW_SKIP_PLIST_CONFIRM=1 skips the question', () => {
    const s = setup({ platform: 'darwin' });
    withGatewayPlist(s);
    let asked = false;
    runInstall(s.request(['gateway-path'], { env: { ...s.env, OPENCLAW_SKIP_PLIST_CONFIRM: '1' }, confirm: () => ((asked = true), false) }));
    expect(asked).toBe(false);
  });

  it('uninstall keeps a PATH someone changed after install', () => {
    const s = setup({ platform: 'darwin' });
    const file = withGatewayPlist(s);
    runInstall(s.request(['gateway-path'], { confirm: () => true }));
    const changed = { ...GATEWAY, EnvironmentVariables: { PATH: '/custom/bin:/usr/bin' } };
    writeFileSync(file, plist.build(changed as plist.PlistValue));
    const report = runUninstall(s.request(['gateway-path']));
    expect(plist.parse(readFileSync(file, 'utf8'))).toEqual(changed);
    expect(report.steps.some((st) => /changed since ocsec set it/.test(st.action))).toBe(true);
  });
});
