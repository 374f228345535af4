/**
 * An append-only JSON-lines file rotated by size the way log shippers expect: `file` → `file.1` → … →
 * `file.N`, then a fresh `file`. Tailers follow the rename by inode, so nothing between two reads is lost.
 */
import { closeSync, constants as fsc, existsSync, fchmodSync, fdatasyncSync, fstatSync, ftruncateSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface RotatingFileOptions {
  path: string;
  maxBytes: number;
  maxFiles: number;
  mode: number;
}

export class RotatingJsonlFile {
  private fd: number | null = null;
  private size = 0;

  /** The file must be the daemon's own: one another user made at the path is not written to or chmodded. */
  private readonly ownUid = process.geteuid?.() ?? -1;

  constructor(private readonly opts: RotatingFileOptions) {}

  /**
   * O_NOFOLLOW: a symlink planted at the path (the directory may be shared with a collector) is refused,
   * not followed; O_NONBLOCK: a FIFO planted there fails instead of blocking the daemon. What was opened
   * must be a regular file of ours, and its mode is set through the descriptor, never by name again.
   */
  private open(): number {
    if (this.fd !== null) return this.fd;
    const fd = openSync(this.opts.path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK, this.opts.mode);
    let st;
    try {
      st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`${this.opts.path} is not a regular file; not written`);
      if (st.uid !== this.ownUid) throw new Error(`${this.opts.path} is owned by uid ${st.uid}, not ocsecd's (${this.ownUid}); not written`);
      // The daemon's umask is 0077; the collector's group needs the mode asked for.
      if ((st.mode & 0o777) !== this.opts.mode) fchmodSync(fd, this.opts.mode);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
    this.size = st.size;
    return fd;
  }

  private rotate(): void {
    this.close();
    const { path, maxFiles } = this.opts;
    rmSync(`${path}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    }
    if (existsSync(path) && lstatSync(path).isFile()) renameSync(path, `${path}.1`);
  }

  /** Appends complete lines and syncs them; rotates first when they would push the file past maxBytes. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const buf = Buffer.from(lines.join('\n') + '\n');
    if (this.fd !== null && this.movedAway()) this.close();
    this.open();
    if (this.size > 0 && this.size + buf.length > this.opts.maxBytes) this.rotate();
    const fd = this.open();
    const before = this.size;
    try {
      let written = 0;
      while (written < buf.length) written += writeSync(fd, buf, written);
      fdatasyncSync(fd);
    } catch (err) {
      // Leave no torn line for the tailer: cut back to the last complete one; the batch is retried whole.
      try {
        ftruncateSync(fd, before);
      } catch {
        // the next open reads the size again
      }
      this.close();
      throw err;
    }
    this.size += buf.length;
  }

  /** Someone else (logrotate, an admin) renamed or removed the file: start a new one at the path. */
  private movedAway(): boolean {
    try {
      const onDisk = lstatSync(this.opts.path);
      const open = fstatSync(this.fd!);
      return onDisk.ino !== open.ino || onDisk.dev !== open.dev;
    } catch {
      return true;
    }
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = null;
  }
}
