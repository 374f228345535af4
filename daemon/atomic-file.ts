/** Files the daemon writes (reports, metrics, policy edits): replaced atomically, 0600 unless asked otherwise, never through a symlink. */
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, copyFileSync, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../client/layout.js';

/**
 * Writes a temp file beside `path` (O_EXCL, fsync'd, `mode` set explicitly so the umask cannot widen or
 * narrow it) and returns its name; rename it into place with commitTempFile. The name starts with a dot
 * and ends in .tmp, so collectors that glob for *.prom or *.json never read a half-written file.
 */
export function writeTempFile(path: string, text: string, mode = PRIVATE_FILE_MODE): string {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode);
  try {
    const buf = Buffer.from(text);
    for (let written = 0; written < buf.length; ) written += writeSync(fd, buf, written);
    fchmodSync(fd, mode);
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

export function writeFileAtomic(path: string, text: string, mode = PRIVATE_FILE_MODE): void {
  commitTempFile(writeTempFile(path, text, mode), path);
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
