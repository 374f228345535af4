// Runs the built ocsecd and ocsecctl as separate processes, the way the end-to-end tests need them.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
export const OCSECD = join(root, 'dist/daemon/main.js');
export const OCSECCTL = join(root, 'dist/client/cli.js');

export interface SpawnedDaemon {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns ocsecd and resolves once it logs that it listens (rejects with its output if it exits first).
 * `cleanups` receives a kill for the process, for the test's afterEach.
 */
export function startOcsecd(env: NodeJS.ProcessEnv, cleanups: Array<() => void>, extraArgs: string[] = []): Promise<SpawnedDaemon> {
  const child = spawn(process.execPath, [OCSECD, ...extraArgs], { env });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"msg":"ocsecd listening"')) resolveStart({ child, stdout: () => out, stderr: () => err, exited });
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    void exited.then((code) => reject(new Error(`ocsecd exited ${code} before listening:\n${out}\n${err}`)));
  });
}

export function runOcsecd(env: NodeJS.ProcessEnv, args: string[] = []): ProcessResult {
  const r = spawnSync(process.execPath, [OCSECD, ...args], { env, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runOcsecctl(env: NodeJS.ProcessEnv, args: string[]): ProcessResult {
  const r = spawnSync(process.execPath, [OCSECCTL, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
