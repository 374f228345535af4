/** Private files the network monitor writes (reports, review files, policy edits): 0600, replaced atomically, never through a symlink. */
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, copyFileSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../../client/layout.js';

/** Writes a temp file beside `path` (O_EXCL, 0600, fsync'd) and returns its name; rename it into place with commitTempFile. */
export function writeTempFile(path: string, text: string): string {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, PRIVATE_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  return tmp;
}

/** rename(2) replaces a symlink at `path` rather than writing through it. */
export function commitTempFile(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomic(path: string, text: string): void {
  commitTempFile(writeTempFile(path, text), path);
}

/** Copies a regular file to `<path>.bak-<stamp>` (0600); null when there is nothing to back up. Refuses to follow a symlink. */
export function backupFile(path: string, stamp: string): string | null {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!st.isFile()) throw new Error(`${path} is not a regular file; not backing it up or replacing it`);
  const backup = `${path}.bak-${stamp}`;
  copyFileSync(path, backup, fsc.COPYFILE_EXCL);
  return backup;
}
