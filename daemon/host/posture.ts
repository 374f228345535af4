/**
 * The host facts that decide whether the sudo shim actually guards anything: who supervises ocsecd, which
 * sudo the running OpenClaw gateway would execute, passwordless sudo rules, and other setuid ways to root.
 * Computed in the daemon so `ocsecctl doctor` and the compliance checks read one answer.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { configHomeOf, homeOf } from '../../client/install/context.js';
import { GATEWAY_LABEL, GATEWAY_UNIT, LAUNCHD_DEFAULT_PATH, gatewayPlistPath } from '../../client/install/gateway-path.js';
import { asDict, parsePlist } from '../../client/install/plist-xml.js';
import { LAUNCH_AGENT_LABEL, SERVICE_UNIT } from '../../client/install/service.js';
import { environmentFrom, loadUserUnit, SYSTEMD_USER_DEFAULT_PATH, userUnitDirs } from '../../client/install/systemd-unit.js';
import type { Layout } from '../../client/layout.js';
import type { HostPosture } from '../../client/protocol.js';
import { isGatewayCommand } from '../../client/posture/gateway-match.js';
import { resolveSudoOnPath } from '../../client/posture/path-analysis.js';
import { classifySudoList } from '../../client/posture/sudo-rules.js';
import { DEFAULT_SECURE_PATH, locateRealSudo } from '../../client/real-sudo.js';
import { redact } from '../audit/redact.js';
import type { PeerCredentials } from '../peer-credentials.js';

export const GATEWAY_MATCH_RULE =
  'processes whose command line is the gateway\'s title `openclaw-gateway`, or `[node] …/openclaw[.mjs] [global flags] gateway [run|options]` (management verbs such as `gateway status` excluded)';

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export type SudoListRunner = (realSudo: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export interface HostPostureOptions {
  layout: Layout;
  env: NodeJS.ProcessEnv;
  log: Logger;
  platform?: NodeJS.Platform;
  /** /proc, or a fake tree in tests. */
  procRoot?: string;
  /** Runs `sudo -n -l`; replaced in tests. */
  listSudo?: SudoListRunner;
  /** Where su, doas and pkexec are looked for. */
  toolDirs?: readonly string[];
  doasConf?: string;
  /** The daemon's uid (root lists no sudo rules: it needs none). */
  uid?: number;
}

type Gateway = HostPosture['gateway'];
type SudoPosture = HostPosture['sudo'];

const defaultListSudo: SudoListRunner = (realSudo) =>
  new Promise((resolve) => {
    // COLUMNS keeps sudo from wrapping long rules; LC_ALL=C keeps its messages parseable.
    execFile(realSudo, ['-n', '-l'], { timeout: 5000, env: { PATH: DEFAULT_SECURE_PATH.join(':'), LC_ALL: 'C', COLUMNS: '10000' } }, (err, stdout, stderr) => {
      // execFile's error carries the exit status as a number, or a string such as ENOENT when sudo did not run.
      const exit = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof exit === 'number' ? exit : null, stdout: String(stdout), stderr: String(stderr) });
    });
  });

export class HostPostureService {
  private readonly platform: NodeJS.Platform;
  private readonly procRoot: string;

  constructor(private readonly opts: HostPostureOptions) {
    this.platform = opts.platform ?? process.platform;
    this.procRoot = opts.procRoot ?? '/proc';
  }

  async collect(caller: PeerCredentials): Promise<HostPosture> {
    return {
      platform: this.platform,
      daemon: { pid: process.pid, uid: process.getuid?.() ?? -1, noNewPrivileges: this.hasNoNewPrivileges(), supervisor: this.supervisor() },
      peer: { mechanism: this.platform === 'darwin' ? 'getpeereid + LOCAL_PEERPID' : 'SO_PEERCRED', uid: caller.uid, pid: caller.pid },
      shimDir: this.opts.layout.binDir,
      gateway: this.gateway(),
      sudo: await this.sudo(),
      alternatives: this.alternatives(),
    };
  }

  /** no_new_privs is set (the opt-in sandbox): setuid sudo cannot run from the daemon. */
  hasNoNewPrivileges(): boolean {
    if (this.platform !== 'linux') return false;
    try {
      return /^NoNewPrivs:\s*1$/m.test(readFileSync(join(this.procRoot, 'self', 'status'), 'utf8'));
    } catch {
      return false;
    }
  }

  supervisor(): HostPosture['daemon']['supervisor'] {
    const env = this.opts.env;
    if (this.platform === 'darwin') {
      const label = env.XPC_SERVICE_NAME;
      if (label && label !== '0') return { kind: 'launchd', unit: label, detail: label === LAUNCH_AGENT_LABEL ? `LaunchAgent ${label}` : `launchd job ${label} (not ${LAUNCH_AGENT_LABEL})` };
      return { kind: 'none', unit: null, detail: 'not started by launchd (no XPC_SERVICE_NAME)' };
    }
    if (!env.INVOCATION_ID) return { kind: 'none', unit: null, detail: 'not started by systemd (no INVOCATION_ID in its environment)' };
    let unit: string | null = null;
    try {
      const cgroup = readFileSync(join(this.procRoot, 'self', 'cgroup'), 'utf8');
      // The innermost .service in the path is ours (user@UID.service is the manager that contains it).
      unit = [...cgroup.matchAll(/\/([^/\n]+\.service)(?=\/|$)/gm)].at(-1)?.[1] ?? null;
    } catch {
      // no cgroup file: the unit stays unknown
    }
    return { kind: 'systemd', unit, detail: unit === SERVICE_UNIT ? `systemd unit ${unit}` : `systemd unit ${unit ?? '(unknown)'}${unit ? `, not ${SERVICE_UNIT}` : ''}` };
  }

  gateway(): Gateway {
    const { processes, otherStateDirs } = this.platform === 'linux' ? this.gatewayProcesses() : { processes: [], otherStateDirs: [] };
    return { match: GATEWAY_MATCH_RULE, processes, otherStateDirs, configured: this.configuredGatewayPath() };
  }

  /**
   * Every process matching the gateway rule that serves this state dir, its PATH read from
   * /proc/<pid>/environ when the kernel lets us. A gateway of another state dir (another OpenClaw profile,
   * OPENCLAW_STATE_DIR elsewhere) looks for its shim in that dir, so it is listed apart, not judged here.
   */
  private gatewayProcesses(): Pick<Gateway, 'processes' | 'otherStateDirs'> {
    let pids: string[];
    try {
      pids = readdirSync(this.procRoot).filter((n) => /^\d+$/.test(n));
    } catch {
      return { processes: [], otherStateDirs: [] };
    }
    const mine = realOr(this.opts.layout.stateDir);
    const processes: Gateway['processes'] = [];
    const otherStateDirs: Gateway['otherStateDirs'] = [];
    for (const pid of pids) {
      let argv: string[];
      let uid: number;
      try {
        argv = readFileSync(join(this.procRoot, pid, 'cmdline'), 'utf8').split('\0');
        if (!isGatewayCommand(argv)) continue;
        uid = Number(/^Uid:\s*(\d+)/m.exec(readFileSync(join(this.procRoot, pid, 'status'), 'utf8'))?.[1] ?? -1);
      } catch {
        continue; // exited while we looked
      }
      const command = (redact(argv.filter((a) => a !== '')) as string[]).join(' ').slice(0, 300);
      const env = this.environOf(pid);
      if (env === undefined) {
        processes.push({ pid: Number(pid), uid, command, pathSource: 'unreadable', path: null, firstSudo: null, shimFirst: null, problem: `cannot read /proc/${pid}/environ (another user's process, or not permitted)` });
        continue;
      }
      const stateDir = env.OPENCLAW_STATE_DIR || (env.HOME ? join(env.HOME, '.openclaw') : null);
      if (stateDir !== null && realOr(resolve(stateDir)) !== mine) {
        otherStateDirs.push({ pid: Number(pid), stateDir });
        continue;
      }
      if (env.PATH === undefined) {
        processes.push({ pid: Number(pid), uid, command, pathSource: 'environ', path: null, firstSudo: null, shimFirst: false, problem: 'the process has no PATH: execvp falls back to /bin:/usr/bin, the real sudo' });
        continue;
      }
      const r = resolveSudoOnPath(env.PATH, this.opts.layout.binDir);
      processes.push({ pid: Number(pid), uid, command, pathSource: 'environ', path: env.PATH, firstSudo: r.firstSudo, shimFirst: r.shimFirst, problem: r.problem });
    }
    return { processes: processes.sort((a, b) => a.pid - b.pid), otherStateDirs: otherStateDirs.sort((a, b) => a.pid - b.pid) };
  }

  /**
   * PATH, HOME and OPENCLAW_STATE_DIR from the environment block; undefined when it cannot be read. The
   * block also holds the gateway's secrets (tokens, API keys): nothing else is kept, returned or logged.
   */
  private environOf(pid: string): { PATH?: string; HOME?: string; OPENCLAW_STATE_DIR?: string } | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(join(this.procRoot, pid, 'environ'));
    } catch {
      return undefined;
    }
    const out: { PATH?: string; HOME?: string; OPENCLAW_STATE_DIR?: string } = {};
    for (const entry of raw.toString('utf8').split('\0')) {
      const eq = entry.indexOf('=');
      const name = entry.slice(0, eq);
      if (name === 'PATH' || name === 'HOME' || name === 'OPENCLAW_STATE_DIR') out[name] = entry.slice(eq + 1);
    }
    return out;
  }

  /** The PATH the gateway's unit or LaunchAgent gives it (what it will get at its next start). */
  private configuredGatewayPath(): Gateway['configured'] {
    const ctx = { env: this.opts.env };
    if (this.platform === 'darwin') {
      const plistPath = gatewayPlistPath(ctx, GATEWAY_LABEL);
      if (!existsSync(plistPath)) return { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: `no LaunchAgent ${plistPath}` };
      try {
        const env = asDict(parsePlist(readFileSync(plistPath, 'utf8')), plistPath).EnvironmentVariables;
        const set = env && typeof env === 'object' && !Array.isArray(env) && !(env instanceof Date) && !Buffer.isBuffer(env) ? (env as Record<string, unknown>).PATH : undefined;
        const path = typeof set === 'string' ? set : LAUNCHD_DEFAULT_PATH;
        return { kind: 'launchd-plist', file: plistPath, ...resolveSudoOnPath(path, this.opts.layout.binDir), path };
      } catch (err) {
        return { kind: 'launchd-plist', file: plistPath, path: null, firstSudo: null, shimFirst: null, problem: `cannot read ${plistPath}: ${(err as Error).message}` };
      }
    }
    const dirs = userUnitDirs(configHomeOf(ctx));
    const unit = loadUserUnit(GATEWAY_UNIT, dirs);
    if (!unit) return { kind: 'none', file: null, path: null, firstSudo: null, shimFirst: null, problem: `no user unit ${GATEWAY_UNIT} in ${dirs.join(', ')}` };
    const env = environmentFrom(unit.entries, { home: homeOf(ctx), user: this.opts.env.USER ?? '', uid: process.getuid?.() ?? -1 });
    const set = env.get('PATH');
    const path = set?.value ?? SYSTEMD_USER_DEFAULT_PATH;
    return { kind: 'systemd-unit', file: set ? `${set.file}:${set.line}` : unit.file, ...resolveSudoOnPath(path, this.opts.layout.binDir), path };
  }

  async sudo(): Promise<SudoPosture> {
    const base = { realSudo: null, passwordless: [], authenticateDisabled: false };
    if ((this.opts.uid ?? process.getuid?.() ?? -1) === 0) return { ...base, status: 'root', detail: 'ocsecd runs as root: sudo never asks root for a password, so the shim is the only gate' };
    const located = locateRealSudo({ override: this.opts.env.OPENCLAW_REAL_SUDO, shimDirs: [this.opts.layout.binDir] });
    if (!located.ok) return { ...base, status: 'not-installed', detail: located.message };
    if (this.hasNoNewPrivileges()) {
      return { ...base, realSudo: located.path, status: 'unavailable', detail: 'ocsecd runs with no_new_privs (the opt-in sandbox), where sudo cannot run' };
    }
    let res: Awaited<ReturnType<SudoListRunner>>;
    try {
      res = await (this.opts.listSudo ?? defaultListSudo)(located.path);
    } catch (err) {
      return { ...base, realSudo: located.path, status: 'error', detail: (err as Error).message };
    }
    return classifySudoList(located.path, res);
  }

  alternatives(): HostPosture['alternatives'] {
    const dirs = this.opts.toolDirs ?? DEFAULT_SECURE_PATH;
    const seen = new Set<string>();
    const out: HostPosture['alternatives'] = [];
    for (const name of ['su', 'doas', 'pkexec', 'run0', 'sudo-rs']) {
      for (const dir of dirs) {
        const path = join(dir, name);
        let st;
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key) || !st.isFile()) continue;
        seen.add(key);
        out.push({ name, path, setuid: (st.mode & 0o4000) !== 0 && st.uid === 0, passwordless: name === 'doas' ? this.doasNopass() : [] });
      }
    }
    return out;
  }

  /** `permit nopass` rules in doas.conf that name this user or one of its groups (or everyone). */
  private doasNopass(): string[] {
    const file = this.opts.doasConf ?? (existsSync('/etc/doas.conf') ? '/etc/doas.conf' : '/usr/local/etc/doas.conf');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    const user = this.opts.env.USER ?? '';
    return text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => /^permit\b/.test(l) && /\bnopass\b/.test(l))
      .filter((l) => {
        const identity = l.replace(/^permit\s+/, '').split(/\s+/).find((w) => !['nopass', 'persist', 'keepenv', 'nolog'].includes(w) && !w.startsWith('setenv'));
        return identity !== undefined && (identity === user || identity.startsWith(':'));
      })
      .map((l) => `${file}: ${l}`);
  }
}
