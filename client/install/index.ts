/** `ocsecctl install` / `uninstall`: runs the chosen components in order and keeps the manifest of what changed. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../layout.js';
import { installShim, uninstallShim } from '../shim-install.js';
import { InstallError, reverseComponent, step, type InstallContext, type Platform } from './context.js';
import { installGatewayPath, uninstallGatewayPath } from './gateway-path.js';
import { manifestPath, readManifest, recordEntry, sha256, writeManifest, type Component, type InstallStep } from './manifest.js';
import { systemRunner, type CommandRunner } from './runner.js';
import { currentServicePaths, installService, uninstallService, type ServicePaths } from './service.js';

export { InstallError, type Platform };

export interface InstallRequest {
  layout: Layout;
  components: readonly Component[];
  dryRun: boolean;
  env: NodeJS.ProcessEnv;
  platform?: Platform;
  uid?: number;
  run?: CommandRunner;
  confirm?: (question: string) => boolean | null;
  now?: () => Date;
  /** The systemd unit (Linux) or LaunchAgent label (macOS) of the gateway. */
  gatewayUnit?: string | undefined;
  /** Write (true) or remove (false) the opt-in sandbox drop-in; undefined leaves it. */
  sandbox?: boolean | undefined;
  /** Defaults to this node and the built daemon. */
  servicePaths?: ServicePaths;
}

export interface InstallReport {
  dryRun: boolean;
  platform: Platform;
  components: Component[];
  manifest: string;
  steps: InstallStep[];
}

export function currentPlatform(): Platform {
  if (process.platform === 'linux' || process.platform === 'darwin') return process.platform;
  throw new InstallError(`ocsec runs on Linux and macOS, not ${process.platform}`);
}

function contextFor(req: InstallRequest): InstallContext {
  const platform = req.platform ?? currentPlatform();
  return {
    layout: req.layout,
    platform,
    env: req.env,
    uid: req.uid ?? process.getuid?.() ?? -1,
    dryRun: req.dryRun,
    run: req.run ?? systemRunner,
    manifest: readManifest(req.layout, platform),
    confirm: req.confirm ?? (() => null),
    now: req.now ?? (() => new Date()),
    steps: [],
    wouldRemove: new Set(),
  };
}

/** Order matters: the shim before the PATH that points at it; the service first so the shim finds a daemon. */
const ORDER: readonly Component[] = ['service', 'shim', 'gateway-path'];

function installShimComponent(ctx: InstallContext): void {
  let steps: InstallStep[];
  try {
    steps = installShim(ctx.layout, { dryRun: ctx.dryRun, env: ctx.env });
  } catch (e) {
    throw new InstallError((e as Error).message);
  }
  for (const s of steps) {
    const { content, ...shown } = s;
    ctx.steps.push(shown);
    if (ctx.dryRun) continue;
    const at = ctx.now().toISOString();
    if (s.kind === 'mkdir') recordEntry(ctx.manifest, { component: 'shim', kind: 'dir', path: s.path, at });
    if (s.kind === 'write' || s.kind === 'unchanged') {
      recordEntry(ctx.manifest, { component: 'shim', kind: 'file', path: s.path, sha256: sha256(content ?? readFileSync(s.path, 'utf8')), at });
    }
  }
}

function uninstallShimComponent(ctx: InstallContext): void {
  const launcher = join(ctx.layout.binDir, 'sudo');
  const recorded = ctx.manifest.entries.some((e) => e.component === 'shim' && e.kind === 'file' && e.path === launcher);
  reverseComponent(ctx, 'shim');
  // A launcher from before install manifests existed: recognised by its marker line instead.
  if (!recorded && existsSync(launcher)) {
    try {
      ctx.steps.push(...uninstallShim(ctx.layout, { dryRun: ctx.dryRun }));
    } catch (e) {
      throw new InstallError((e as Error).message);
    }
  }
}

export function runInstall(req: InstallRequest): InstallReport {
  const ctx = contextFor(req);
  const components = ORDER.filter((c) => req.components.includes(c));
  try {
    for (const component of components) {
      if (component === 'service') installService(ctx, { paths: req.servicePaths ?? currentServicePaths(), sandbox: req.sandbox });
      else if (component === 'shim') installShimComponent(ctx);
      else installGatewayPath(ctx, { name: req.gatewayUnit });
    }
  } finally {
    // What was done before a failing step is recorded, so uninstall can still reverse it.
    if (!ctx.dryRun) writeManifest(req.layout, ctx.manifest);
  }
  if (!ctx.dryRun && ctx.manifest.entries.length > 0) step(ctx, { kind: 'note', action: `recorded in ${manifestPath(req.layout)}`, path: manifestPath(req.layout), changed: false });
  return { dryRun: req.dryRun, platform: ctx.platform, components, manifest: manifestPath(req.layout), steps: ctx.steps };
}

/** With no component named, everything the manifest records; never the policy files, the database or the audit log. */
export function runUninstall(req: InstallRequest): InstallReport {
  const ctx = contextFor(req);
  const recorded = new Set(ctx.manifest.entries.map((e) => e.component));
  const requested = req.components.length > 0 ? req.components : [...recorded, ...(existsSync(join(req.layout.binDir, 'sudo')) ? (['shim'] as const) : [])];
  const components = [...ORDER].reverse().filter((c) => requested.includes(c));
  try {
    for (const component of components) {
      if (component === 'service') uninstallService(ctx);
      else if (component === 'shim') uninstallShimComponent(ctx);
      else uninstallGatewayPath(ctx, { name: req.gatewayUnit });
    }
  } finally {
    if (!ctx.dryRun) writeManifest(req.layout, ctx.manifest);
  }
  if (components.length === 0) step(ctx, { kind: 'unchanged', action: `nothing to uninstall: ${manifestPath(req.layout)} records no changes`, path: manifestPath(req.layout), changed: false });
  return { dryRun: req.dryRun, platform: ctx.platform, components, manifest: manifestPath(req.layout), steps: ctx.steps };
}
