/**
 * Which process holds which socket, found through /proc/<pid>/fd and cached between samples.
 *
 * A full scan reads every process's fd table; it runs on the first sample and every
 * `fullScanEvery` samples, so a socket handed to another process (fork, SCM_RIGHTS) is
 * re-attributed. In between, only sockets that are new since the last sample are looked for (new
 * processes first, then processes that already hold sockets, then the rest) and the search stops
 * as soon as they are all found; when nothing changed no fd table is read at all. A socket no
 * process visible to this user holds is remembered as such until the next full scan, so another
 * user's sockets do not cost a search on every sample. Unreadable entries (a process exiting
 * mid-scan, another user's fd table) are counted, never fatal.
 */
import { opendirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { redactArgv } from '../audit/redact.js';
import type { TimeSlicer } from './slicer.js';
import type { ProcessRef } from './sockets.js';
import type { UserNames } from './users.js';

export interface OwnerLookup {
  /** inode → the processes holding it, lowest pid first; inodes missing here are not visible. */
  owners: Map<number, ProcessRef[]>;
  mode: 'full-scan' | 'incremental';
  processesScanned: number;
  processesUnreadable: number;
  entriesUnreadable: number;
}

interface ProcEntry {
  starttime: string;
  ref: ProcessRef;
}

interface ScanStats {
  processesScanned: number;
  processesUnreadable: number;
  entriesUnreadable: number;
}

const MAX_CMDLINE = 4096;
const SOCKET_LINK = 'socket:[';

function isNoEntry(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Since Linux 6.2 stat() of /proc/<pid>/fd reports the number of open fds as its size, so an
 * unchanged count spares listing a large table again. Older kernels report 0: then it is listed.
 */
function hasSameFdCount(fdDir: string, count: number): boolean {
  try {
    const size = statSync(fdDir).size;
    return size !== 0 && size === count;
  } catch {
    return false;
  }
}

function emptyStats(): ScanStats {
  return { processesScanned: 0, processesUnreadable: 0, entriesUnreadable: 0 };
}

export class SocketOwnerIndex {
  private readonly procs = new Map<number, ProcEntry>();
  private readonly inodeOwners = new Map<number, number[]>();
  /** Inodes a complete pass did not find: looked for again only at the next full scan. */
  private readonly notVisible = new Set<number>();
  private previousPids = new Set<number>();
  private samples = 0;
  /** Set by scanAll for the lookup that follows it: each process's fd names at scan time. */
  private fullScan: { pids: Set<number>; fdNames: Map<number, Set<string>>; stats: ScanStats } | null = null;

  constructor(
    private readonly users: UserNames,
    private readonly procRoot = '/proc',
    private readonly fullScanEvery = 10,
  ) {}

  isFullScanDue(): boolean {
    return this.samples % this.fullScanEvery === 0;
  }

  /**
   * The full scan: every process's fd table, every socket inode in it. The caller reads the socket
   * tables meanwhile (in the thread pool), and lookup() then keeps the inodes that are in them.
   */
  async scanAll(slicer: TimeSlicer): Promise<void> {
    this.users.refresh();
    this.procs.clear();
    this.inodeOwners.clear();
    this.notVisible.clear();
    const stats = emptyStats();
    const fdNames = new Map<number, Set<string>>();
    const pids = this.listPids();
    for (const pid of pids) {
      const names = await this.scanProcess(pid, null, null, stats, slicer);
      if (names) fdNames.set(pid, new Set(names));
      if (slicer.isDue()) await slicer.yieldNow();
    }
    this.fullScan = { pids: new Set(pids), fdNames, stats };
  }

  async lookup(inodes: ReadonlySet<number>, slicer: TimeSlicer): Promise<OwnerLookup> {
    const scan = this.fullScan;
    this.fullScan = null;
    this.samples++;
    const pids = this.listPids();
    const alive = new Set(pids);
    let stats: ScanStats;
    if (scan) {
      stats = scan.stats;
      for (const inode of this.inodeOwners.keys()) if (!inodes.has(inode)) this.inodeOwners.delete(inode); // unix sockets, or closed since
      await this.findOpenedDuringScan(inodes, pids, scan, slicer);
      for (const inode of inodes) if (!this.inodeOwners.has(inode)) this.notVisible.add(inode);
      const holding = new Set<number>();
      for (const holders of this.inodeOwners.values()) for (const pid of holders) holding.add(pid);
      for (const pid of this.procs.keys()) if (!holding.has(pid)) this.procs.delete(pid); // held only unix sockets
    } else {
      this.users.refresh();
      stats = emptyStats();
      await this.forgetGone(inodes, alive, slicer);
      const wanted = new Set<number>();
      let row = 0;
      for (const inode of inodes) {
        if (!this.inodeOwners.has(inode) && !this.notVisible.has(inode)) wanted.add(inode);
        if ((++row & 1023) === 0 && slicer.isDue()) await slicer.yieldNow();
      }
      if (wanted.size > 0) {
        // A new socket most likely belongs to a new process, else to one that already holds sockets.
        const fresh = pids.filter((p) => !this.previousPids.has(p));
        const holders = pids.filter((p) => this.previousPids.has(p) && this.procs.has(p));
        const rest = pids.filter((p) => this.previousPids.has(p) && !this.procs.has(p));
        for (const pid of [...fresh, ...holders, ...rest]) {
          if (wanted.size === 0) break;
          await this.scanProcess(pid, inodes, wanted, stats, slicer);
          if (slicer.isDue()) await slicer.yieldNow();
        }
        for (const inode of wanted) this.notVisible.add(inode);
      }
    }
    this.previousPids = alive;
    const owners = new Map<number, ProcessRef[]>();
    let row = 0;
    for (const inode of inodes) {
      if ((++row & 1023) === 0 && slicer.isDue()) await slicer.yieldNow();
      const holders = this.inodeOwners.get(inode);
      if (!holders) continue;
      const refs: ProcessRef[] = [];
      for (const pid of holders) {
        const entry = this.procs.get(pid);
        if (entry) refs.push(entry.ref);
      }
      if (refs.length > 1) refs.sort((a, b) => a.pid - b.pid);
      if (refs.length > 0) owners.set(inode, refs);
    }
    return { owners, mode: scan ? 'full-scan' : 'incremental', ...stats };
  }

  /**
   * The tables were read while the fd tables were scanned, so a socket opened in between is in the
   * table but was not seen. The processes most likely to have opened it (those holding sockets, and
   * those started since) are listed again when their fd count changed, and only fd numbers new since
   * the scan are read. A socket opened in that window by a process that also closed an fd (same
   * count, or a reused fd number), or by a process holding no other socket, is attributed at the next
   * full scan.
   */
  private async findOpenedDuringScan(inodes: ReadonlySet<number>, pids: readonly number[], scan: NonNullable<SocketOwnerIndex['fullScan']>, slicer: TimeSlicer): Promise<void> {
    const wanted = new Set<number>();
    for (const inode of inodes) if (!this.inodeOwners.has(inode)) wanted.add(inode);
    if (wanted.size === 0) return;
    const holding = new Set<number>();
    for (const holders of this.inodeOwners.values()) for (const pid of holders) holding.add(pid);
    // The processes were counted by the scan; this second look only adds what it could not read.
    const stats = emptyStats();
    for (const pid of pids) {
      if (wanted.size === 0) break;
      const isNew = !scan.pids.has(pid);
      if (!isNew && !holding.has(pid)) continue;
      const before = scan.fdNames.get(pid);
      if (before && hasSameFdCount(`${this.procRoot}/${pid}/fd`, before.size)) continue;
      await this.scanProcess(pid, inodes, wanted, stats, slicer, before ? (fd) => !before.has(fd) : undefined);
      if (slicer.isDue()) await slicer.yieldNow();
    }
    scan.stats.entriesUnreadable += stats.entriesUnreadable + stats.processesUnreadable;
  }

  private listPids(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync(this.procRoot)) {
      const c = name.charCodeAt(0);
      if (c >= 48 && c <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
    }
    return pids.sort((a, b) => a - b);
  }

  /** Drops processes that exited (or whose pid now names another process) and sockets that closed. */
  private async forgetGone(inodes: ReadonlySet<number>, alive: ReadonlySet<number>, slicer: TimeSlicer): Promise<void> {
    let gone = false;
    for (const [pid, entry] of this.procs) {
      if (alive.has(pid) && this.readStarttime(pid) === entry.starttime) continue;
      this.procs.delete(pid);
      gone = true;
    }
    let row = 0;
    for (const [inode, holders] of this.inodeOwners) {
      if ((++row & 1023) === 0 && slicer.isDue()) await slicer.yieldNow();
      if (!inodes.has(inode)) {
        this.inodeOwners.delete(inode);
        continue;
      }
      if (!gone) continue;
      const living = holders.filter((pid) => this.procs.has(pid));
      if (living.length === 0) this.inodeOwners.delete(inode); // its owner exited: look again, a child may hold it
      else if (living.length !== holders.length) this.inodeOwners.set(inode, living);
    }
    for (const inode of this.notVisible) if (!inodes.has(inode)) this.notVisible.delete(inode);
  }

  /**
   * An fd table's names, read in batches with yields between them: listing a process with 10,000
   * fds takes ~10 ms of kernel time, too long to hold the event loop in one readdir. Null when the
   * table cannot be read (the error says why); a process that exits mid-listing gives what was read.
   */
  private async listFds(fdDir: string, slicer: TimeSlicer): Promise<string[]> {
    const dir = opendirSync(fdDir, { bufferSize: 256 });
    const names: string[] = [];
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        names.push(entry.name);
        if ((names.length & 255) === 0 && slicer.isDue()) await slicer.yieldNow();
      }
    } catch (err) {
      if (names.length === 0) throw err;
    } finally {
      dir.closeSync();
    }
    return names;
  }

  /**
   * Reads one process's fd table and records the sockets in it: all of them when `inodes` is null
   * (full scan), else those in `inodes`, removing each from `wanted`. `onlyFds` limits which fd
   * numbers are read. Returns the fd names listed, or null when the table could not be read.
   */
  private async scanProcess(
    pid: number,
    inodes: ReadonlySet<number> | null,
    wanted: Set<number> | null,
    stats: ScanStats,
    slicer: TimeSlicer,
    onlyFds?: (fd: string) => boolean,
  ): Promise<string[] | null> {
    const fdDir = `${this.procRoot}/${pid}/fd`;
    let fds: string[];
    try {
      fds = await this.listFds(fdDir, slicer);
    } catch (err) {
      if (isNoEntry(err)) stats.entriesUnreadable++;
      else stats.processesUnreadable++;
      return null;
    }
    stats.processesScanned++;
    let holdsAny = false;
    const prefix = `${fdDir}/`;
    for (let i = 0; i < fds.length; i++) {
      // A server can hold tens of thousands of fds: yield inside one process's table too.
      if ((i & 127) === 127 && slicer.isDue()) await slicer.yieldNow();
      const fd = fds[i]!;
      if (onlyFds && !onlyFds(fd)) continue;
      let link: string;
      try {
        link = readlinkSync(prefix + fd);
      } catch {
        stats.entriesUnreadable++; // closed between readdir and readlink
        continue;
      }
      if (!link.startsWith(SOCKET_LINK)) continue;
      const inode = Number(link.slice(SOCKET_LINK.length, -1));
      if (inodes && !inodes.has(inode)) continue;
      holdsAny = true;
      const holders = this.inodeOwners.get(inode);
      if (!holders) this.inodeOwners.set(inode, [pid]);
      else if (!holders.includes(pid)) holders.push(pid);
      wanted?.delete(inode);
      this.notVisible.delete(inode);
    }
    if (holdsAny && !this.procs.has(pid)) {
      const entry = this.readProcess(pid);
      if (entry) this.procs.set(pid, entry);
      else {
        stats.entriesUnreadable++; // exited while we read it: what it held is not attributed to a dead pid
        for (const [inode, holders] of this.inodeOwners) {
          const rest = holders.filter((p) => p !== pid);
          if (rest.length === 0) this.inodeOwners.delete(inode);
          else if (rest.length !== holders.length) this.inodeOwners.set(inode, rest);
        }
      }
    }
    return fds;
  }

  /** Field 22 of /proc/<pid>/stat: with the pid, it names one process for the life of the system. */
  private readStarttime(pid: number): string | null {
    try {
      const stat = readFileSync(`${this.procRoot}/${pid}/stat`, 'latin1');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
    } catch {
      return null;
    }
  }

  private readProcess(pid: number): ProcEntry | null {
    const starttime = this.readStarttime(pid);
    if (starttime === null) return null; // exited
    const base = `${this.procRoot}/${pid}`;
    const readText = (name: string): string | null => {
      try {
        return readFileSync(`${base}/${name}`, 'utf8');
      } catch {
        return null;
      }
    };
    let exe: string | null = null;
    try {
      exe = readlinkSync(`${base}/exe`);
    } catch {
      // another user's process, or a kernel thread: the rest is still useful
    }
    const comm = readText('comm');
    const cmdline = readText('cmdline');
    const uidLine = /^Uid:\s+(\d+)/m.exec(readText('status') ?? '');
    const uid = uidLine ? Number(uidLine[1]) : null;
    return {
      starttime,
      ref: {
        pid,
        command: comm === null ? null : comm.replace(/\n$/, ''),
        exe,
        // Command lines end up in reports and the dashboard: credentials passed as arguments are redacted as in the audit trail.
        cmdline: cmdline === null ? null : redactArgv(cmdline.replace(/\0+$/, '').split('\0')).join(' ').slice(0, MAX_CMDLINE),
        uid,
        user: this.users.nameOf(uid),
      },
    };
  }
}
