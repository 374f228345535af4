/** Benchmark of the sudo shim: an already-authorized command through the installed launcher and the real sudo, against sudo alone and a bare `node -e 0`, in the same run. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutFor } from '../client/layout.js';
import { installShim } from '../client/shim-install.js';
import { createLogger } from '../daemon/log.js';
import { startDaemon, type RunningDaemon } from '../daemon/ocsecd.js';
import { freshTempDir, progress, round } from './rpc.js';

export interface ShimBenchOptions {
  /** Timed runs of each kind. */
  runs?: number;
  /** Untimed runs of each kind first. */
  warmup?: number;
}

const REAL_SUDO = '/usr/bin/sudo';
const COMMAND = '/usr/bin/true';
const SESSION_ID = 'bench-session';
const PROMPT = 'Allow this command? [y/N]';

/** The one environment all three kinds run with: the launcher unsets the NODE_* variables, so the references go without them too; the caller's own ocsec settings must not change what is measured. */
function benchEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_EXTRA_CA_CERTS' || k === 'NODE_PATH') continue;
    if (k.startsWith('OPENCLAW_') || k.startsWith('OCSEC_')) continue;
    env[k] = v;
  }
  return env;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Why this machine cannot run the benchmark, or null when it can. */
function skipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (util-linux script and /proc), not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (the shim and the daemon run as root, with the real sudo)';
  if (!existsSync(REAL_SUDO)) return `${REAL_SUDO} is missing`;
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (script.error || script.status !== 0 || !/util-linux/.test(script.stdout + script.stderr)) return 'util-linux `script` is missing (needed to approve the first run on a pseudo-terminal)';
  return null;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ns: bigint;
}

/**
 * One run, timed from just before spawn to its exit: stdin /dev/null, stdout discarded, stderr kept
 * for the error message, and no controlling terminal (setsid), so the figures do not depend on how
 * the benchmark itself was started. Asynchronous because the daemon answers the shim from this process.
 */
function timedRun(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let ns = 0n;
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let stderr = '';
    // A run that hangs would keep the benchmark (and the daemon in it) alive forever.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`${[file, ...args].join(' ')}\` did not exit within ${timeoutMs} ms; stderr: ${stderr.trim().slice(0, 500)}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (c, s) => {
      ns = process.hrtime.bigint() - t0;
      code = c;
      signal = s;
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ns });
    });
  });
}

/** The first run of the command in the session, on a fresh pty (util-linux `script`), answered "y" at the shim's prompt. */
async function approveOnPty(launcher: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<void> {
  const child = spawn('script', ['-qfec', `${shQuote(launcher)} ${shQuote(COMMAND)}`, '/dev/null'], { env, stdio: 'pipe' });
  let output = '';
  let answered = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the approval run on a pty did not finish in ${timeoutMs} ms; it printed: ${JSON.stringify(output.slice(-2000))}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    if (!answered && output.includes(PROMPT)) {
      answered = true;
      child.stdin.write('y\r');
    }
  });
  child.stderr.resume();
  const code = await exited;
  if (!answered) throw new Error(`the shim never asked for approval on the pty (exit ${code}); it printed: ${JSON.stringify(output.slice(-2000))}`);
  if (code !== 0) throw new Error(`the approved first run exited ${code}; it printed: ${JSON.stringify(output.slice(-2000))}`);
}

/** Nearest-rank percentile of nanosecond samples, in milliseconds. */
function percentileMs(samples: readonly bigint[], p: number): number {
  const sorted = [...samples].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Number(sorted[rank]!) / 1e6;
}

function summary(samples: readonly bigint[]) {
  return {
    median_ms: round(percentileMs(samples, 50), 2),
    p90_ms: round(percentileMs(samples, 90), 2),
    min_ms: round(percentileMs(samples, 0), 2),
  };
}

interface Kind {
  name: 'shim' | 'direct_sudo' | 'node';
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  samples: bigint[];
}

async function runChecked(kind: Kind): Promise<bigint> {
  const r = await timedRun(kind.file, kind.args, kind.env);
  if (r.code !== 0) {
    throw new Error(`${kind.name}: \`${[kind.file, ...kind.args].join(' ')}\` exited ${r.code ?? r.signal}, so its time measures a failure: ${r.stderr.trim().slice(0, 500)}`);
  }
  return r.ns;
}

/**
 * Median wall time of an already-authorized `sudo /usr/bin/true` through the installed shim launcher
 * (request authorized by a kept session, begin, the real sudo, finish) against `sudo /usr/bin/true`
 * run directly and against `node -e 0`. Target: the shim's overhead over direct sudo is at most
 * 1.3 × the time a bare node takes to start and exit.
 */
export async function benchShim(opts: ShimBenchOptions = {}) {
  const skipped = skipReason();
  if (skipped) return { skipped };
  const runs = opts.runs ?? 40;
  const warmup = opts.warmup ?? 3;
  const dir = freshTempDir('ocb-shim-');
  let daemon: RunningDaemon | null = null;
  try {
    const layout = layoutFor(dir);
    // Approvals keep a session, so every later run of the same argv in the same task session is authorized without a prompt.
    mkdirSync(layout.securityDir, { recursive: true, mode: 0o700 });
    writeFileSync(layout.policyFiles.commandPolicy, JSON.stringify({ keep_session: true }) + '\n', { mode: 0o600 });
    const daemonEnv = { ...process.env };
    delete daemonEnv.OPENCLAW_APPROVAL_TOKEN; // a token factor would need typing at the prompt
    daemon = await startDaemon({ stateDir: dir, log: createLogger('silent'), env: daemonEnv });
    const env = benchEnvironment();
    // The shim runs the same real sudo as the reference (it would otherwise take the first sudo on the secure path).
    const shimEnv = { ...env, OPENCLAW_TASK_SESSION_ID: SESSION_ID, OPENCLAW_REAL_SUDO: REAL_SUDO };
    installShim(layout, { dryRun: false, env: shimEnv });
    const launcher = join(layout.binDir, 'sudo');

    progress('shim: approving the first run on a pty to open the session');
    await approveOnPty(launcher, shimEnv);
    const sessions = daemon.services.privilege.sessions();
    if (!sessions.some((s) => s.sessionId === SESSION_ID && s.approvedArgv.some((a) => a.length === 2 && a[0] === '--' && a[1] === COMMAND))) {
      throw new Error(`no kept session for ${SESSION_ID} holding ${COMMAND} after the approval: ${JSON.stringify(sessions)}`);
    }

    const kinds: Kind[] = [
      { name: 'shim', file: launcher, args: [COMMAND], env: shimEnv, samples: [] },
      { name: 'direct_sudo', file: REAL_SUDO, args: [COMMAND], env, samples: [] },
      { name: 'node', file: process.execPath, args: ['-e', '0'], env, samples: [] },
    ];
    // Without a terminal an unauthorized request is refused (exit 2), so exit 0 here means the session authorized it.
    await runChecked(kinds[0]!);

    progress(`shim: ${warmup} warm-up and ${runs} timed runs of each kind, round-robin`);
    for (let r = 0; r < warmup + runs; r++) {
      // Rotate which kind goes first, so none always follows the same neighbour.
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(r + k) % kinds.length]!;
        const ns = await runChecked(kind);
        if (r >= warmup) kind.samples.push(ns);
      }
    }

    const [shim, direct, node] = kinds.map((k) => summary(k.samples)) as [ReturnType<typeof summary>, ReturnType<typeof summary>, ReturnType<typeof summary>];
    const overheadMs = round(shim.median_ms - direct.median_ms, 2);
    const ratio = round(overheadMs / node.median_ms);
    const target = { metric: 'ratio', max: 1.3 };
    progress(`shim: median shim ${shim.median_ms} ms, direct sudo ${direct.median_ms} ms, node -e 0 ${node.median_ms} ms → overhead ${overheadMs} ms = ${ratio} × node`);
    const same = 'stdin /dev/null, no controlling terminal (setsid), timed from spawn to exit; environment: this process\'s minus NODE_OPTIONS, NODE_EXTRA_CA_CERTS and NODE_PATH (the launcher unsets them, so the references run without them too) and minus OPENCLAW_*/OCSEC_*';
    return {
      command: COMMAND,
      runs,
      warmup_runs: warmup,
      order: 'the three kinds round-robin, the first kind rotating each round, one run at a time',
      shim: {
        what: `${launcher} ${COMMAND} with OPENCLAW_TASK_SESSION_ID=${SESSION_ID} and OPENCLAW_REAL_SUDO=${REAL_SUDO}, already authorized by a kept session (launcher sh → node shim → privilege.request → privilege.begin → real sudo → privilege.finish), daemon in this process; ${same}`,
        ...shim,
      },
      direct_sudo: { what: `${REAL_SUDO} ${COMMAND}; ${same}`, ...direct },
      node_startup: { what: `${process.execPath} -e 0; ${same}`, ...node },
      overhead_ms: overheadMs,
      ratio,
      ratio_meaning: '(median(shim) − median(direct sudo)) / median(node -e 0)',
      target,
      passed: ratio <= target.max,
    };
  } finally {
    if (daemon) await daemon.stop('benchmark finished');
    rmSync(dir, { recursive: true, force: true });
  }
}
