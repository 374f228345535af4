/** Installs ocsecd as a supervised per-user service: a systemd user unit on Linux, a LaunchAgent on macOS. */
import { accessSync, chmodSync, closeSync, constants, existsSync, openSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../layout.js';
import { configHomeOf, ensureDir, homeOf, InstallError, reverseComponent, runStep, step, writeRendered, type InstallContext, type Platform } from './context.js';
import { recordEntry, sha256 } from './manifest.js';
import { packagePaths } from './package-paths.js';
import { asDict, escapeXml, parsePlist } from './plist-xml.js';
import { formatCommand } from './runner.js';
import { parseUnitFile, quoteExecArg, splitEnvironmentWords } from './systemd-unit.js';

export const SERVICE_UNIT = 'ocsecd.service';
export const SANDBOX_DROPIN = '50-sandbox.conf';
export const LAUNCH_AGENT_LABEL = 'ai.openclaw.ocsecd';
export const UNIT_FILE_MODE = 0o644;
export const LOG_DIR_MODE = 0o750;
export const LOG_FILE_MODE = 0o640;

export interface ServicePaths {
  node: string;
  daemonEntry: string;
}

/** This node binary and the built daemon, resolved to real paths: the unit must not depend on PATH or a symlink that moves. */
export function currentServicePaths(): ServicePaths {
  const daemonEntry = packagePaths.daemonEntry();
  if (!existsSync(daemonEntry)) throw new InstallError(`the built daemon ${daemonEntry} is missing; run \`npm run build\` first`);
  return { node: realpathSync(process.execPath), daemonEntry: realpathSync(daemonEntry) };
}

export function systemdUserDir(ctx: Pick<InstallContext, 'env'>): string {
  return join(configHomeOf(ctx), 'systemd', 'user');
}

export function unitPath(ctx: Pick<InstallContext, 'env'>): string {
  return join(systemdUserDir(ctx), SERVICE_UNIT);
}

export function sandboxPath(ctx: Pick<InstallContext, 'env'>): string {
  return join(systemdUserDir(ctx), `${SERVICE_UNIT}.d`, SANDBOX_DROPIN);
}

export function launchAgentPath(ctx: Pick<InstallContext, 'env'>, label = LAUNCH_AGENT_LABEL): string {
  return join(homeOf(ctx), 'Library', 'LaunchAgents', `${label}.plist`);
}

export function logDir(layout: Layout): string {
  return join(layout.stateDir, 'logs');
}

function template(relative: string): string {
  return readFileSync(packagePaths.template(relative), 'utf8');
}

function fill(text: string, values: Record<string, string>): string {
  const out = text.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`template placeholder ${whole} has no value`);
    return v;
  });
  return out;
}

function assertPlainPath(path: string, what: string): void {
  if (!path.startsWith('/')) throw new InstallError(`${what} must be an absolute path, got "${path}"`);
  if (/[\n\r\0]/.test(path)) throw new InstallError(`${what} contains a newline or NUL`);
}

export function renderUnit(paths: ServicePaths, layout: Layout): string {
  for (const [p, what] of [[paths.node, 'node'], [paths.daemonEntry, 'the daemon'], [layout.stateDir, 'the state dir']] as const) assertPlainPath(p, what);
  return fill(template('systemd/ocsecd.service'), {
    NODE: quoteExecArg(paths.node),
    DAEMON: quoteExecArg(paths.daemonEntry),
    STATE_DIR: quoteExecArg(layout.stateDir),
  });
}

export function renderSandbox(layout: Layout): string {
  assertPlainPath(layout.stateDir, 'the state dir');
  // ReadWritePaths= takes space-separated paths; a path with spaces is quoted, specifiers escaped.
  return fill(template('systemd/ocsecd-sandbox.conf'), { STATE_DIR: quoteExecArg(layout.stateDir) });
}

export function renderLaunchAgent(paths: ServicePaths, layout: Layout): string {
  for (const [p, what] of [[paths.node, 'node'], [paths.daemonEntry, 'the daemon'], [layout.stateDir, 'the state dir']] as const) assertPlainPath(p, what);
  return fill(template('launchd/ai.openclaw.ocsecd.plist'), {
    NODE: escapeXml(paths.node),
    DAEMON: escapeXml(paths.daemonEntry),
    STATE_DIR: escapeXml(layout.stateDir),
    LOG_DIR: escapeXml(logDir(layout)),
  });
}

/** The user's systemd instance answers (PID 1 in a container, or a login without lingering, often has none). */
export function userSystemdReachable(ctx: InstallContext): { ok: boolean; why: string } {
  const res = ctx.run(['systemctl', '--user', 'show-environment']);
  if (res.status === 0) return { ok: true, why: '' };
  return { ok: false, why: res.error ?? ((res.stderr || res.stdout).trim().split('\n')[0] || `systemctl exit ${res.status}`) };
}

function launchDomain(ctx: InstallContext): string {
  return `gui/${ctx.uid}`;
}

/** `sandbox`: true writes the sandbox drop-in, false removes ours, undefined leaves whatever is there. */
export function installService(ctx: InstallContext, opts: { paths: ServicePaths; sandbox?: boolean | undefined }): void {
  if (ctx.platform === 'darwin') return installLaunchAgent(ctx, opts.paths);
  const unit = unitPath(ctx);
  const unitChanged = writeRendered(ctx, 'service', unit, renderUnit(opts.paths, ctx.layout), UNIT_FILE_MODE, `ExecStart ${opts.paths.node} ${opts.paths.daemonEntry}`);
  let sandboxChanged = false;
  const sandbox = sandboxPath(ctx);
  if (opts.sandbox === true) {
    sandboxChanged = writeRendered(ctx, 'service', sandbox, renderSandbox(ctx.layout), UNIT_FILE_MODE, 'opt-in sandbox: ocsecd can no longer run sudo -K at idle expiry');
  } else if (opts.sandbox === false && existsSync(sandbox)) {
    sandboxChanged = removeRecordedFile(ctx, sandbox);
  } else if (existsSync(sandbox)) {
    step(ctx, { kind: 'note', action: `kept the sandbox drop-in ${sandbox} (--no-sandbox removes it)`, path: sandbox, changed: false });
  }
  const reach = userSystemdReachable(ctx);
  const enableArgv = ['systemctl', '--user', 'enable', '--now', SERVICE_UNIT];
  if (!reach.ok) {
    step(ctx, {
      kind: 'skip',
      action: `skipped: the user's systemd is not reachable (${reach.why}); when it is, run: systemctl --user daemon-reload && ${formatCommand(enableArgv)}`,
      path: unit,
      changed: false,
    });
    step(ctx, { kind: 'note', action: `to keep ocsecd running without a login session: loginctl enable-linger ${ctx.env.USER ?? '$USER'}`, path: unit, changed: false });
    return;
  }
  runStep(ctx, ['systemctl', '--user', 'daemon-reload'], 'load the unit');
  const wasActive = ctx.run(['systemctl', '--user', 'is-active', '--quiet', SERVICE_UNIT]).status === 0;
  if (runStep(ctx, enableArgv, 'start now and at every login')) {
    recordEntry(ctx.manifest, { component: 'service', kind: 'command', argv: enableArgv, undo: ['systemctl', '--user', 'disable', '--now', SERVICE_UNIT], at: ctx.now().toISOString() });
  }
  if (wasActive && (unitChanged || sandboxChanged)) runStep(ctx, ['systemctl', '--user', 'restart', SERVICE_UNIT], 'the running daemon picks up the new unit');
}

/** Removes a file install recorded, if it still has the recorded content; true when it was removed. */
function removeRecordedFile(ctx: InstallContext, path: string): boolean {
  const entry = ctx.manifest.entries.find((e) => e.kind === 'file' && e.path === path);
  if (!entry || entry.kind !== 'file' || sha256(readFileSync(path, 'utf8')) !== entry.sha256) {
    step(ctx, { kind: 'unchanged', action: `kept ${path}: not written by this install or changed since`, path, changed: false });
    return false;
  }
  step(ctx, { kind: 'remove', action: `remove ${path}`, path, changed: true });
  if (!ctx.dryRun) {
    rmSync(path);
    ctx.manifest.entries = ctx.manifest.entries.filter((e) => e !== entry);
  }
  return true;
}

function installLaunchAgent(ctx: InstallContext, paths: ServicePaths): void {
  const logs = logDir(ctx.layout);
  ensureDir(ctx, 'service', logs, LOG_DIR_MODE);
  for (const name of ['ocsecd.log', 'ocsecd.err.log']) {
    // launchd opens these itself with the job's umask (0077); creating them first gives them the intended 0640.
    const file = join(logs, name);
    if (existsSync(file)) continue;
    step(ctx, { kind: 'write', action: `create ${file} (mode 0640)`, path: file, changed: true });
    if (!ctx.dryRun) {
      closeSync(openSync(file, 'a', LOG_FILE_MODE));
      chmodSync(file, LOG_FILE_MODE);
    }
  }
  const plistPath = launchAgentPath(ctx);
  const changed = writeRendered(ctx, 'service', plistPath, renderLaunchAgent(paths, ctx.layout), UNIT_FILE_MODE, `ProgramArguments ${paths.node} ${paths.daemonEntry}`);
  const target = `${launchDomain(ctx)}/${LAUNCH_AGENT_LABEL}`;
  const loaded = ctx.run(['launchctl', 'print', target]);
  if (loaded.error) {
    step(ctx, { kind: 'skip', action: `skipped: launchctl is not available (${loaded.error}); on macOS run: launchctl bootstrap ${launchDomain(ctx)} ${plistPath}`, path: plistPath, changed: false });
    return;
  }
  const bootstrapArgv = ['launchctl', 'bootstrap', launchDomain(ctx), plistPath];
  const record = () => recordEntry(ctx.manifest, { component: 'service', kind: 'command', argv: bootstrapArgv, undo: ['launchctl', 'bootout', target], at: ctx.now().toISOString() });
  if (loaded.status === 0 && !changed) {
    step(ctx, { kind: 'unchanged', action: `unchanged: ${target} is loaded`, path: plistPath, changed: false });
    if (!ctx.dryRun) record();
    return;
  }
  if (loaded.status === 0) runStep(ctx, ['launchctl', 'bootout', target], 'unload the old definition');
  runStep(ctx, ['launchctl', 'enable', target], 'clear a disabled override');
  if (runStep(ctx, bootstrapArgv, 'load and start it now and at every login')) record();
}

export function uninstallService(ctx: InstallContext): void {
  reverseComponent(ctx, 'service');
  if (ctx.platform === 'linux' && !ctx.dryRun && userSystemdReachable(ctx).ok) runStep(ctx, ['systemctl', '--user', 'daemon-reload'], 'forget the removed unit');
}

export interface InstalledService {
  platform: Platform;
  /** The unit or LaunchAgent file, whether or not it exists. */
  file: string;
  installed: boolean;
  /** Enabled to start at login: the default.target.wants link (systemd), or loaded in the gui domain (launchd); null when unknown. */
  enabled: boolean | null;
  node: string | null;
  daemonEntry: string | null;
  /** What is wrong with the installed file (a pinned path that no longer exists), empty when nothing. */
  problems: string[];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads the installed unit or LaunchAgent without asking the service manager anything it cannot answer offline. */
export function inspectInstalledService(ctx: Pick<InstallContext, 'env' | 'platform' | 'run' | 'uid'>): InstalledService {
  const file = ctx.platform === 'darwin' ? launchAgentPath(ctx) : unitPath(ctx);
  const base = { platform: ctx.platform, file, node: null, daemonEntry: null };
  if (!existsSync(file)) return { ...base, installed: false, enabled: false, problems: [] };
  let argv: string[] = [];
  const problems: string[] = [];
  try {
    if (ctx.platform === 'darwin') {
      const args = asDict(parsePlist(readFileSync(file, 'utf8')), file).ProgramArguments;
      argv = Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [];
    } else {
      const exec = parseUnitFile(readFileSync(file, 'utf8'), file).filter((e) => e.section === 'Service' && e.key === 'ExecStart').at(-1);
      argv = exec ? splitEnvironmentWords(exec.value.replace(/%%/g, '%').replace(/\$\$/g, '$')) : [];
    }
  } catch (err) {
    problems.push(`${file} cannot be read: ${(err as Error).message}`);
  }
  const [node, daemonEntry] = argv;
  if (!node || !daemonEntry) problems.push(`${file} does not start node with the daemon`);
  else {
    if (!isExecutable(node)) problems.push(`the pinned node ${node} no longer exists or is not executable`);
    if (!existsSync(daemonEntry)) problems.push(`the pinned daemon ${daemonEntry} no longer exists`);
  }
  let enabled: boolean | null;
  if (ctx.platform === 'darwin') {
    const res = ctx.run(['launchctl', 'print', `gui/${ctx.uid}/${LAUNCH_AGENT_LABEL}`]);
    enabled = res.error ? null : res.status === 0;
  } else {
    enabled = existsSync(join(systemdUserDir(ctx), 'default.target.wants', SERVICE_UNIT));
  }
  return { ...base, installed: true, enabled, node: node ?? null, daemonEntry: daemonEntry ?? null, problems };
}
