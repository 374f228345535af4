/**
 * The checks of `ocsecctl doctor` beyond modes and the store: is ocsecd supervised, did the kernel identify
 * this caller, is the shim installed and sound, does the gateway's sudo go through it, which ways around it
 * exist, and are the scheduled jobs and exports working. Each is PASS, WARN or FAIL with the fix.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_LABEL, GATEWAY_UNIT, gatewayPlistPath, restartCommandFor } from './install/gateway-path.js';
import type { Platform } from './install/context.js';
import type { CommandRunner } from './install/runner.js';
import { inspectInstalledService, LAUNCH_AGENT_LABEL, SERVICE_UNIT } from './install/service.js';
import type { Layout } from './layout.js';
import { LAUNCHER_MARKER } from './posture/path-analysis.js';
import { classifySudoList } from './posture/sudo-rules.js';
import type { ExportSinkStatus, HostPosture, JobStatus } from './protocol.js';
import { DEFAULT_SECURE_PATH, locateRealSudo } from './real-sudo.js';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorEnv {
  layout: Layout;
  env: NodeJS.ProcessEnv;
  platform: Platform;
  uid: number;
  pid: number;
  run: CommandRunner;
}

const startCommand = (platform: Platform) => (platform === 'darwin' ? `launchctl kickstart gui/$UID/${LAUNCH_AGENT_LABEL}` : `systemctl --user start ${SERVICE_UNIT}`);

/** Installed, enabled, pinned paths intact, and (when the daemon answers) actually the process running. */
export function serviceCheck(d: DoctorEnv, supervisor: HostPosture['daemon']['supervisor'] | null): Check {
  const name = 'daemon supervised';
  const svc = inspectInstalledService({ env: d.env, platform: d.platform, run: d.run, uid: d.uid });
  const kind = d.platform === 'darwin' ? 'LaunchAgent' : 'user unit';
  if (!svc.installed) {
    return {
      name,
      status: 'WARN',
      detail: `no ${kind} (${svc.file}): ocsecd ${supervisor ? 'runs by hand and ' : ''}will not restart after a crash or start at login, and sudo through the shim fails closed while it is down`,
      fix: 'ocsecctl install --service',
    };
  }
  if (svc.problems.length > 0) return { name, status: 'FAIL', detail: `${svc.file}: ${svc.problems.join('; ')}`, fix: 'ocsecctl install --service (renders it again with this node and daemon)' };
  const enabled = svc.enabled === false ? 'installed but not enabled' : svc.enabled === null ? 'installed' : 'installed and enabled';
  if (svc.enabled === false) {
    const fix = d.platform === 'darwin' ? `launchctl bootstrap gui/$UID ${svc.file}` : `systemctl --user enable --now ${SERVICE_UNIT}`;
    return { name, status: 'WARN', detail: `${svc.file} is ${enabled}: it will not start at login`, fix };
  }
  if (supervisor === null) return { name, status: 'WARN', detail: `${svc.file} is ${enabled}, but ocsecd is not answering`, fix: d.platform === 'darwin' ? startCommand(d.platform) : `systemctl --user status ${SERVICE_UNIT}; ${startCommand(d.platform)}` };
  const expected = d.platform === 'darwin' ? LAUNCH_AGENT_LABEL : SERVICE_UNIT;
  if (supervisor.kind === 'none' || supervisor.unit !== expected) {
    return {
      name,
      status: 'WARN',
      detail: `${svc.file} is ${enabled}, but the running ocsecd ${supervisor.kind === 'none' ? 'was started by hand' : `runs as ${supervisor.detail}`} (${supervisor.detail})`,
      fix: `stop this ocsecd and ${startCommand(d.platform)}`,
    };
  }
  return { name, status: 'PASS', detail: `running as ${supervisor.detail}; ${svc.file} ${enabled}` };
}

/** The kernel's answer for this very connection must be this process: otherwise the daemon is not checking peers. */
export function peerCheck(d: DoctorEnv, posture: HostPosture): Check {
  const { peer } = posture;
  if (peer.uid === d.uid && peer.pid === d.pid) return { name: 'peer credentials', status: 'PASS', detail: `${peer.mechanism} identified this ocsecctl (uid ${peer.uid}, pid ${peer.pid})` };
  return {
    name: 'peer credentials',
    status: 'FAIL',
    detail: `ocsecd saw uid ${peer.uid} pid ${peer.pid} for this connection, but this ocsecctl is uid ${d.uid} pid ${d.pid}: it is not reading the kernel's peer credentials`,
    fix: 'stop that daemon and start ocsecd from the installed service; do not trust approvals it granted',
  };
}

/** The launcher exists, is ours, pins a node, shim and socket that are still right, and the real sudo is trustworthy. */
export function shimChecks(d: DoctorEnv): Check[] {
  const launcher = join(d.layout.binDir, 'sudo');
  if (!existsSync(launcher)) {
    return [{ name: 'sudo shim', status: 'FAIL', detail: `${launcher} is not installed: nothing routes sudo through ocsecd`, fix: 'ocsecctl install --shim --gateway-path' }];
  }
  let text: string;
  try {
    text = readFileSync(launcher, 'utf8');
  } catch (err) {
    return [{ name: 'sudo shim', status: 'FAIL', detail: `cannot read ${launcher}: ${(err as Error).message}` }];
  }
  if (!text.includes(LAUNCHER_MARKER)) return [{ name: 'sudo shim', status: 'FAIL', detail: `${launcher} is not the ocsec launcher`, fix: `move ${launcher} aside, then ocsecctl install --shim` }];
  const problems: string[] = [];
  const exec = /^exec '((?:[^']|'"'"')*)' '((?:[^']|'"'"')*)' "\$@"$/m.exec(text);
  const unquote = (s: string) => s.replace(/'"'"'/g, "'");
  if (!exec) problems.push('its exec line is not the one ocsec writes');
  else {
    const [node, shim] = [unquote(exec[1]!), unquote(exec[2]!)];
    try {
      accessSync(node, constants.X_OK);
    } catch {
      problems.push(`the pinned node ${node} no longer exists or is not executable`);
    }
    if (!existsSync(shim)) problems.push(`the pinned shim ${shim} no longer exists`);
  }
  const socket = /^OCSEC_SOCKET='((?:[^']|'"'"')*)'$/m.exec(text);
  if (!socket || unquote(socket[1]!) !== d.layout.socketPath) problems.push(`it pins the socket ${socket ? unquote(socket[1]!) : '(none)'}, not ${d.layout.socketPath}`);
  try {
    accessSync(launcher, constants.X_OK);
  } catch {
    problems.push('it is not executable');
  }
  const checks: Check[] = [
    problems.length > 0
      ? { name: 'sudo shim', status: 'FAIL', detail: `${launcher}: ${problems.join('; ')}`, fix: 'ocsecctl install --shim (pins this node and shim again)' }
      : { name: 'sudo shim', status: 'PASS', detail: `${launcher} pins ${exec ? unquote(exec[1]!) : ''}` },
  ];
  const real = locateRealSudo({ override: d.env.OPENCLAW_REAL_SUDO, shimDirs: [d.layout.binDir] });
  checks.push(real.ok ? { name: 'real sudo', status: 'PASS', detail: `${real.path} (root-owned, not writable by group or others)` } : { name: 'real sudo', status: 'FAIL', detail: real.message, fix: 'install sudo from the distribution, or point OPENCLAW_REAL_SUDO at a root-owned sudo' });
  return checks;
}

function gatewayRestart(d: DoctorEnv): string {
  const name = d.platform === 'darwin' ? GATEWAY_LABEL : GATEWAY_UNIT;
  return restartCommandFor(d.platform, d.uid, name, gatewayPlistPath({ env: d.env }, GATEWAY_LABEL));
}

/** The running gateway's own PATH where it can be read, else what its unit or LaunchAgent will give it. */
export function gatewayCheck(d: DoctorEnv, posture: HostPosture): Check {
  const name = 'gateway PATH';
  const { processes, configured } = posture.gateway;
  const fix = `ocsecctl install --shim --gateway-path, then ${gatewayRestart(d)}`;
  const configuredText =
    configured.kind === 'none'
      ? 'no gateway unit or LaunchAgent found'
      : `${configured.file} gives PATH ${configured.path}${configured.shimFirst ? ' (shim first)' : configured.problem ? ` (${configured.problem})` : ''}`;
  if (processes.length === 0) {
    const others = posture.gateway.otherStateDirs.length > 0 ? ` (gateways of other state dirs, checked by their own ocsecd: ${posture.gateway.otherStateDirs.map((o) => `pid ${o.pid} ${o.stateDir}`).join(', ')})` : '';
    if (configured.kind === 'none') return { name, status: 'WARN', detail: `no running OpenClaw gateway process for ${d.layout.stateDir}${others}, and ${configuredText}`, fix: 'start the gateway, then run doctor again (README: how doctor finds the gateway)' };
    if (configured.shimFirst) return { name, status: 'PASS', detail: `the gateway is not running; at its next start ${configuredText}` };
    return { name, status: 'FAIL', detail: `the gateway is not running; when it starts, sudo will not go through the shim: ${configuredText}`, fix };
  }
  const bad = processes.filter((p) => p.shimFirst === false);
  const unreadable = processes.filter((p) => p.shimFirst === null);
  if (bad.length > 0) {
    return { name, status: 'FAIL', detail: bad.map((p) => `pid ${p.pid} (${p.command}): ${p.problem ?? 'the shim is not first'}`).join('; '), fix };
  }
  if (unreadable.length > 0) {
    const status: CheckStatus = configured.shimFirst ? 'WARN' : 'FAIL';
    return { name, status, detail: `${unreadable.map((p) => `pid ${p.pid} (uid ${p.uid})`).join(', ')}: environment not readable; ${configuredText}`, ...(status === 'FAIL' ? { fix } : { fix: 'run doctor as the gateway\'s user to read its live PATH' }) };
  }
  return { name, status: 'PASS', detail: processes.map((p) => `pid ${p.pid} runs ${p.firstSudo}`).join('; ') };
}

/** `sudo -n -l` as this user: the daemon's result, or (when its sandbox stops sudo) our own run. */
export function sudoRulesCheck(d: DoctorEnv, posture: HostPosture): Check {
  const name = 'sudo NOPASSWD';
  let sudo = posture.sudo;
  if (sudo.status === 'unavailable' && d.uid !== 0) sudo = listSudoHere(d) ?? sudo;
  if (sudo.authenticateDisabled || sudo.passwordless.length > 0) {
    return {
      name,
      status: 'FAIL',
      detail: `${sudo.authenticateDisabled ? 'Defaults !authenticate: no rule asks for a password' : `sudo runs without a password: ${sudo.passwordless.join('; ')}`} — any process of this user can call ${sudo.realSudo ?? '/usr/bin/sudo'} directly and skip the shim`,
      fix: 'remove NOPASSWD (and !authenticate) for this user with visudo (look in /etc/sudoers and /etc/sudoers.d/)',
    };
  }
  switch (sudo.status) {
    case 'listed':
    case 'password-required':
    case 'no-rights':
      return { name, status: 'PASS', detail: sudo.detail };
    case 'root':
      return { name, status: 'WARN', detail: sudo.detail, fix: 'run the gateway and ocsecd as an unprivileged user' };
    default:
      return { name, status: 'WARN', detail: `could not list the sudo rules: ${sudo.detail}` };
  }
}

function listSudoHere(d: DoctorEnv): HostPosture['sudo'] | null {
  const real = locateRealSudo({ override: d.env.OPENCLAW_REAL_SUDO, shimDirs: [d.layout.binDir] });
  if (!real.ok) return null;
  try {
    const stdout = execFileSync(real.path, ['-n', '-l'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: DEFAULT_SECURE_PATH.join(':'), LC_ALL: 'C', COLUMNS: '10000' } });
    return classifySudoList(real.path, { code: 0, stdout, stderr: '' });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string };
    return classifySudoList(real.path, { code: e.status ?? null, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') });
  }
}

export function alternativesCheck(posture: HostPosture): Check {
  const name = 'su/doas/pkexec';
  const passwordless = posture.alternatives.flatMap((a) => a.passwordless);
  if (passwordless.length > 0) {
    return { name, status: 'FAIL', detail: `doas runs without a password: ${passwordless.join('; ')}`, fix: 'remove nopass from those doas.conf rules' };
  }
  const present = posture.alternatives.filter((a) => a.setuid);
  if (present.length === 0) return { name, status: 'PASS', detail: 'no other setuid way to root found on the secure path' };
  return {
    name,
    status: 'WARN',
    detail: `${present.map((a) => `${a.name} (${a.path})`).join(', ')}: setuid and not covered by the shim; they still ask for the target's password or polkit's consent`,
    fix: 'where agents run, restrict them to an admin group (e.g. pam_wheel for su, a polkit rule for pkexec) or remove them',
  };
}

export function sandboxCheck(posture: HostPosture): Check | null {
  if (!posture.daemon.noNewPrivileges) return null;
  return {
    name: 'idle expiry',
    status: 'WARN',
    detail: "ocsecd runs sandboxed (no_new_privs): when an elevated session idles out it cannot run `sudo -K`, so sudo's own timestamp_timeout bounds its credential cache",
    fix: 'accept the trade-off, or ocsecctl install --service --no-sandbox',
  };
}

export function jobChecks(jobs: readonly JobStatus[], nowMs: number): Check[] {
  return jobs.map((j) => {
    const name = `job ${j.name}`;
    if (j.lastError) return { name, status: 'WARN', detail: `last run ${j.lastRunAt} failed: ${j.lastError}`, fix: 'see the daemon log (journalctl --user -u ocsecd)' };
    if (j.nextRunAt && Date.parse(j.nextRunAt) < nowMs - 60_000) return { name, status: 'WARN', detail: `due at ${j.nextRunAt} and not run yet: the scheduler is stalled`, fix: 'restart ocsecd' };
    if (!j.lastRunAt) return { name, status: 'PASS', detail: `not run yet; next at ${j.nextRunAt ?? '-'}` };
    return { name, status: 'PASS', detail: `last run ${j.lastRunAt} (${(j.lastDurationMs ?? 0).toFixed(1)} ms), ${j.runs} run(s); next at ${j.nextRunAt ?? '-'}` };
  });
}

export function exportChecks(res: { headSeq: number; sinks: readonly ExportSinkStatus[] }): Check[] {
  return res.sinks
    .filter((s) => s.enabled)
    .map((s) => {
      const name = `export ${s.name}`;
      const lag = s.cursorSeq === null ? '' : `, ${Math.max(0, res.headSeq - s.cursorSeq)} event(s) behind`;
      if (s.consecutiveFailures > 0) {
        return { name, status: 'WARN' as const, detail: `failing since ${s.lastFailureAt} (${s.consecutiveFailures} attempt(s)): ${s.lastError}${lag}; nothing is lost, it resumes from its cursor`, fix: `make ${s.target} writable/reachable for this user` };
      }
      return { name, status: 'PASS' as const, detail: `${s.target}: ${s.delivered} delivered since start${lag}` };
    });
}
