/** Runs the real sudo for an authorised command: clean environment, inherited terminal, signals passed on. */
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';

/** Variables that change what a privileged program loads or how a shell parses: never handed to sudo. */
const UNSAFE_ENV = /^(LD_.*|DYLD_.*|NODE_OPTIONS|NODE_EXTRA_CA_CERTS|NODE_PATH|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5LIB|PERL5OPT|PERLLIB|RUBYOPT|RUBYLIB|IFS|BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4|GCONV_PATH|LOCPATH|HOSTALIASES|RESOLV_HOST_CONF|OCSEC_.*)$/;

export function cleanEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (!UNSAFE_ENV.test(k) && !k.startsWith('BASH_FUNC_')) out[k] = v;
  }
  return out;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH', 'SIGCONT'];

export interface ExecOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** What the shim should exit with: the command's status, or 128 + signal like a shell. */
  status: number;
  durationMs: number;
}

/** Spawns sudo with the terminal inherited and relays signals sent to the shim until it exits. */
export function runSudo(realSudo: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ExecOutcome> {
  const started = performance.now();
  const child = spawn(realSudo, args, { stdio: 'inherit', env: cleanEnvironment(env) });
  const relays = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) {
    const relay = () => {
      try {
        child.kill(sig);
      } catch {
        // the child is gone; its exit is on its way
      }
    };
    relays.set(sig, relay);
    process.on(sig, relay);
  }
  // Ctrl-Z: stop the child, then ourselves, as a shell job would; SIGCONT above resumes both.
  const onStop = () => {
    try {
      child.kill('SIGTSTP');
    } catch {
      // gone
    }
    process.kill(process.pid, 'SIGSTOP');
  };
  process.on('SIGTSTP', onStop);
  return new Promise((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      for (const [sig, relay] of relays) process.off(sig, relay);
      process.off('SIGTSTP', onStop);
      const signum = signal ? (constants.signals[signal] ?? 0) : 0;
      resolve({ exitCode, signal, status: exitCode ?? 128 + signum, durationMs: performance.now() - started });
    };
    child.on('error', () => finish(1, null));
    child.on('exit', finish);
  });
}

/** `sudo -k`: sudo's own credential cache must not outlive the approved command. */
export function resetSudoCredentials(realSudo: string, env: NodeJS.ProcessEnv): { command: string; ok: boolean; detail: string } {
  const r = spawnSync(realSudo, ['-k'], { env: cleanEnvironment(env), stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8' });
  const ok = r.status === 0;
  return { command: 'sudo -k', ok, detail: ok ? 'credential cache cleared' : (r.stderr || r.error?.message || `exit ${r.status}`).trim().slice(0, 500) };
}
