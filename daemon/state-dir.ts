/** Creates the state directory tree with private modes and tightens anything it finds looser. */
import { chmodSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, type Layout } from '../client/layout.js';

export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDirError';
  }
}

function ensureMode(path: string, wanted: number, kind: 'dir' | 'file', log: Logger): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) throw new StateDirError(`${path} is a symbolic link; ocsec refuses to follow it (remove it or point OPENCLAW_STATE_DIR at the real path)`);
  if (kind === 'dir' && !st.isDirectory()) throw new StateDirError(`${path} exists but is not a directory`);
  if (kind === 'file' && !st.isFile()) throw new StateDirError(`${path} exists but is not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new StateDirError(`${path} is owned by uid ${st.uid}, not by this user (uid ${uid}); fix with: chown ${uid} ${path}`);
  }
  const mode = st.mode & 0o777;
  if ((mode & ~wanted) !== 0) {
    chmodSync(path, wanted);
    log.warn({ path, from: mode.toString(8), to: wanted.toString(8) }, 'tightened permissions');
  }
}

/** The state dir itself is the user's (OpenClaw shares it); ocsec owns and locks down security/, run/ and assessments/. */
export function prepareStateDir(layout: Layout, log: Logger): void {
  for (const dir of [layout.stateDir, layout.securityDir, layout.runDir, layout.assessmentsDir]) {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }
  ensureMode(layout.stateDir, PRIVATE_DIR_MODE, 'dir', log);
  for (const dir of [layout.securityDir, layout.runDir, layout.assessmentsDir]) ensureMode(dir, PRIVATE_DIR_MODE, 'dir', log);
  for (const file of [layout.dbPath, layout.auditMirrorPath, layout.configPath, ...Object.values(layout.policyFiles)]) {
    if (existsSync(file)) ensureMode(file, PRIVATE_FILE_MODE, 'file', log);
  }
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(layout.dbPath + suffix)) ensureMode(layout.dbPath + suffix, PRIVATE_FILE_MODE, 'file', log);
  }
}
