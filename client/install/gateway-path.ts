/** Puts <state>/bin first in the OpenClaw gateway's PATH: a systemd drop-in on Linux, the LaunchAgent's EnvironmentVariables on macOS. */
import { copyFileSync, chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { configHomeOf, ensureDir, homeOf, InstallError, reverseComponent, runStep, step, writeAtomically, writeRendered, type InstallContext, type Platform, type PlistKeyEntry } from './context.js';
import { recordEntry } from './manifest.js';
import { packagePaths } from './package-paths.js';
import { asDict, buildPlist, parsePlist, type PlistDict } from './plist-xml.js';
import { formatCommand } from './runner.js';
import { environmentFrom, loadUserUnit, quoteEnvironmentAssignment, SYSTEMD_USER_DEFAULT_PATH, userUnitDirs } from './systemd-unit.js';
import { isShimLauncher } from '../posture/path-analysis.js';
import { systemdUserDir, userSystemdReachable } from './service.js';

export const GATEWAY_UNIT = 'openclaw-gateway.service';
export const GATEWAY_LABEL = 'ai.openclaw.gateway';
export const PATH_DROPIN = '10-ocsec-path.conf';
/** launchd's PATH for a job whose plist sets none (launchd.plist(5)). */
export const LAUNCHD_DEFAULT_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

export function gatewayDropInPath(ctx: Pick<InstallContext, 'env'>, unit = GATEWAY_UNIT): string {
  return join(systemdUserDir(ctx), `${unit}.d`, PATH_DROPIN);
}

export function gatewayPlistPath(ctx: Pick<InstallContext, 'env'>, label = GATEWAY_LABEL): string {
  return join(homeOf(ctx), 'Library', 'LaunchAgents', `${label}.plist`);
}

/** binDir first, then the rest without binDir or empty entries (an empty entry means the working directory). */
export function pathWithShimFirst(binDir: string, base: string): string {
  return [binDir, ...base.split(':').filter((e) => e !== '' && e !== binDir)].join(':');
}

export function restartCommandFor(platform: Platform, uid: number, name: string, plistPath: string): string {
  if (platform === 'darwin') return `launchctl bootout gui/${uid}/${name}; launchctl bootstrap gui/${uid} ${formatCommand([plistPath])}`;
  return `systemctl --user daemon-reload && systemctl --user restart ${name}`;
}

export function restartCommand(ctx: InstallContext, name: string): string {
  return restartCommandFor(ctx.platform, ctx.uid, name, gatewayPlistPath(ctx, name));
}

export function renderGatewayDropIn(binDir: string, path: string, source: string): string {
  const text = readFileSync(packagePaths.template('systemd/openclaw-gateway-path.conf'), 'utf8');
  return text.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    if (name === 'BIN_DIR') return binDir;
    if (name === 'PATH_SOURCE') return source.replace(/\n/g, ' ');
    if (name === 'PATH_ASSIGNMENT') return quoteEnvironmentAssignment('PATH', path);
    throw new Error(`template placeholder ${whole} has no value`);
  });
}

function unitContext(ctx: InstallContext) {
  let user = ctx.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry; %u stays as USER says
  }
  return { home: homeOf(ctx), user, uid: ctx.uid };
}

/** The gateway's PATH before ocsec: its unit and drop-ins without ours, else the user manager's, else systemd's default. */
function gatewayBasePath(ctx: InstallContext, unit: string): { path: string; source: string } {
  const dirs = userUnitDirs(configHomeOf(ctx));
  const loaded = loadUserUnit(unit, dirs);
  if (!loaded) {
    throw new InstallError(
      `no user unit ${unit} found (searched ${dirs.join(', ')}); install the gateway service first (\`openclaw gateway install\`) or name its unit with --gateway-unit`,
    );
  }
  const ours = gatewayDropInPath(ctx, unit);
  const env = environmentFrom(
    loaded.entries.filter((e) => e.file !== ours),
    unitContext(ctx),
  );
  const fromUnit = env.get('PATH');
  if (fromUnit) return { path: fromUnit.value, source: `Environment=PATH in ${fromUnit.file}` };
  const reach = userSystemdReachable(ctx);
  if (reach.ok) {
    const shown = ctx.run(['systemctl', '--user', 'show-environment']).stdout.split('\n').find((l) => l.startsWith('PATH='));
    if (shown) return { path: shown.slice('PATH='.length), source: "the user manager's environment (systemctl --user show-environment)" };
  }
  return { path: SYSTEMD_USER_DEFAULT_PATH, source: "systemd's default PATH for user services" };
}

export function installGatewayPath(ctx: InstallContext, opts: { name?: string | undefined }): void {
  const binDir = ctx.layout.binDir;
  if (!isShimLauncher(join(binDir, 'sudo'))) {
    step(ctx, { kind: 'note', action: `${join(binDir, 'sudo')} is not the ocsec launcher yet: add --shim, or the gateway's sudo stays the real one`, path: binDir, changed: false });
  }
  if (ctx.platform === 'darwin') return installGatewayPlistPath(ctx, opts.name ?? GATEWAY_LABEL);
  const unit = opts.name ?? GATEWAY_UNIT;
  const base = gatewayBasePath(ctx, unit);
  const path = pathWithShimFirst(binDir, base.path);
  const dropIn = gatewayDropInPath(ctx, unit);
  writeRendered(ctx, 'gateway-path', dropIn, renderGatewayDropIn(binDir, path, base.source), 0o644, `PATH=${path}`);
  if (!ctx.dryRun) {
    // A drop-in sorting after ours (override.conf from `systemctl edit`, say) that sets PATH again would win.
    const effective = environmentFrom(loadUserUnit(unit, userUnitDirs(configHomeOf(ctx)))?.entries ?? [], unitContext(ctx)).get('PATH');
    if (effective && effective.file !== dropIn) {
      step(ctx, { kind: 'note', action: `warning: ${effective.file}:${effective.line} sets PATH after ${dropIn}, so the gateway will not see the shim first; remove that PATH there`, path: effective.file, changed: false });
    }
  }
  if (userSystemdReachable(ctx).ok) runStep(ctx, ['systemctl', '--user', 'daemon-reload'], 'load the drop-in');
  step(ctx, { kind: 'note', action: `restart the gateway to use it: ${restartCommand(ctx, unit)}`, path: dropIn, changed: false });
}

function readPlistFile(ctx: InstallContext, path: string): PlistDict {
  const raw = readFileSync(path);
  let xml = raw.toString('utf8');
  if (raw.subarray(0, 6).toString('latin1') === 'bplist') {
    const converted = ctx.run(['plutil', '-convert', 'xml1', '-o', '-', path]);
    if (converted.status !== 0) throw new InstallError(`${path} is a binary property list and plutil could not convert it (${converted.error ?? converted.stderr.trim()})`);
    xml = converted.stdout;
  }
  return asDict(parsePlist(xml), path);
}

function environmentVariables(dict: PlistDict): PlistDict | null {
  const env = dict.EnvironmentVariables;
  if (env === undefined) return null;
  if (typeof env !== 'object' || env === null || Array.isArray(env) || env instanceof Date || Buffer.isBuffer(env)) {
    throw new InstallError('EnvironmentVariables in the gateway plist is not a dictionary');
  }
  return env as PlistDict;
}

function installGatewayPlistPath(ctx: InstallContext, label: string): void {
  const plistPath = gatewayPlistPath(ctx, label);
  if (!existsSync(plistPath)) {
    throw new InstallError(`no LaunchAgent ${plistPath}; install the gateway service first (\`openclaw gateway install\`) or name its label with --gateway-unit`);
  }
  const dict = readPlistFile(ctx, plistPath);
  const env = environmentVariables(dict) ?? {};
  const current = typeof env.PATH === 'string' ? env.PATH : null;
  const path = pathWithShimFirst(ctx.layout.binDir, current ?? LAUNCHD_DEFAULT_PATH);
  if (current === path) {
    step(ctx, { kind: 'unchanged', action: `unchanged: ${plistPath} EnvironmentVariables:PATH already starts with ${ctx.layout.binDir}`, path: plistPath, changed: false });
    return;
  }
  const backups = join(ctx.layout.stateDir, 'backups');
  const backup = join(backups, `${label}.plist.${ctx.now().toISOString().replace(/[:.]/g, '-')}`);
  if (!ctx.dryRun && ctx.env.OPENCLAW_SKIP_PLIST_CONFIRM !== '1') {
    const answer = ctx.confirm(
      `ocsecctl will change EnvironmentVariables:PATH in ${plistPath}\n  from: ${current ?? `(unset: launchd's default ${LAUNCHD_DEFAULT_PATH})`}\n  to:   ${path}\nA copy goes to ${backup} first. Continue? [y/N] `,
    );
    if (answer === null) throw new InstallError(`changing ${plistPath} needs a confirmation on a terminal; run interactively or set OPENCLAW_SKIP_PLIST_CONFIRM=1`);
    if (!answer) throw new InstallError(`${plistPath} left unchanged (not confirmed)`);
  }
  ensureDir(ctx, 'gateway-path', backups, 0o700);
  step(ctx, { kind: 'backup', action: `copy ${plistPath} to ${backup}`, path: backup, changed: true });
  const mode = statSync(plistPath).mode & 0o777;
  const updated = buildPlist({ ...dict, EnvironmentVariables: { ...env, PATH: path } });
  step(ctx, { kind: 'edit', action: `set EnvironmentVariables:PATH in ${plistPath} to ${path}`, path: plistPath, changed: true });
  if (!ctx.dryRun) {
    copyFileSync(plistPath, backup);
    chmodSync(backup, 0o600);
    writeAtomically(plistPath, updated, mode);
    recordEntry(ctx.manifest, { component: 'gateway-path', kind: 'plist-key', path: plistPath, key: 'EnvironmentVariables:PATH', previous: current, value: path, backup, at: ctx.now().toISOString() });
  }
  step(ctx, { kind: 'note', action: `restart the gateway to use it: ${restartCommand(ctx, label)}`, path: plistPath, changed: false });
}

/** Puts the gateway plist's PATH back as it was, but only while it still holds what ocsec set. */
function reversePlistPath(ctx: InstallContext, entry: PlistKeyEntry): boolean {
  if (!existsSync(entry.path)) {
    step(ctx, { kind: 'unchanged', action: `already gone: ${entry.path}`, path: entry.path, changed: false });
    return true;
  }
  const dict = readPlistFile(ctx, entry.path);
  const env = environmentVariables(dict) ?? {};
  if (env.PATH !== entry.value) {
    step(ctx, { kind: 'unchanged', action: `kept EnvironmentVariables:PATH in ${entry.path}: changed since ocsec set it (backup of the original: ${entry.backup})`, path: entry.path, changed: false });
    return true;
  }
  const restoredEnv: PlistDict = { ...env };
  if (entry.previous === null) delete restoredEnv.PATH;
  else restoredEnv.PATH = entry.previous;
  const restored: PlistDict = { ...dict };
  if (Object.keys(restoredEnv).length === 0 && dict.EnvironmentVariables !== undefined && entry.previous === null) delete restored.EnvironmentVariables;
  else restored.EnvironmentVariables = restoredEnv;
  step(ctx, { kind: 'edit', action: entry.previous === null ? `remove EnvironmentVariables:PATH from ${entry.path}` : `restore EnvironmentVariables:PATH in ${entry.path} to ${entry.previous}`, path: entry.path, changed: true });
  if (!ctx.dryRun) writeAtomically(entry.path, buildPlist(restored), statSync(entry.path).mode & 0o777);
  return true;
}

export function uninstallGatewayPath(ctx: InstallContext, opts: { name?: string | undefined }): void {
  reverseComponent(ctx, 'gateway-path', (entry) => reversePlistPath(ctx, entry));
  if (ctx.platform === 'linux' && !ctx.dryRun && userSystemdReachable(ctx).ok) runStep(ctx, ['systemctl', '--user', 'daemon-reload'], 'forget the drop-in');
  const name = opts.name ?? (ctx.platform === 'darwin' ? GATEWAY_LABEL : GATEWAY_UNIT);
  step(ctx, { kind: 'note', action: `restart the gateway for it to take effect: ${restartCommand(ctx, name)}`, path: name, changed: false });
}
