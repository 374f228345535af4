/**
 * Takes one socket snapshot: /proc/net read in the daemon on Linux (no subprocess), owners attached
 * from the cached inode index; `ss`, then `lsof`, when /proc cannot be read; `lsof`, then
 * `netstat`, on macOS. Concurrent callers (the ports and egress jobs firing together) share one
 * sample, which also keeps the owner index single-threaded.
 */
import { closeSync, openSync } from 'node:fs';
import { COVERAGE_NOTE, type Coverage, type ProcessRef, type SamplerTool, type SocketRecord, type SocketSnapshot } from './sockets.js';
import { SocketOwnerIndex } from './owners.js';
import { parseProcNet, PROC_NET_TABLES, readProcNetTable } from './procfs.js';
import { ProcTableReader, type TableText } from './table-reader.js';
import { TimeSlicer } from './slicer.js';
import { locateTool, runCommand, TOOL_COMMANDS, type CommandRunner, type ToolName } from './tools.js';
import { UserNames } from './users.js';

export type SamplerPreference = 'auto' | SamplerTool;

export interface SamplerOptions {
  preference?: SamplerPreference;
  platform?: NodeJS.Platform;
  /** /proc, or a fixture tree in tests. */
  procRoot?: string;
  /** Replaces running the tools (tests). */
  runCommand?: CommandRunner;
  /** Replaces the secure-path lookup of a tool (tests). */
  locateTool?: (name: string) => string | null;
  users?: UserNames;
  /** Every this many samples the owner index is rebuilt from scratch (default 10). */
  fullScanEvery?: number;
  /** Longest synchronous stretch before yielding to the event loop (default 4 ms). */
  sliceBudgetMs?: number;
  /** Read the /proc/net tables on the reader threads (default); false reads them on the event loop's thread, as when the threads cannot start. */
  tableThread?: boolean;
  /** Wall clock for takenAt (the daemon's injected clock). */
  now?: () => number;
}

/** No source could list the sockets; the message names what was tried and why each failed. */
export class SamplerUnavailableError extends Error {
  constructor(readonly attempts: ReadonlyArray<{ tool: SamplerTool; reason: string }>) {
    super(`cannot list sockets: ${attempts.map((a) => `${a.tool}: ${a.reason}`).join('; ')}`);
    this.name = 'SamplerUnavailableError';
  }
}

class SourceFailed extends Error {}

/** Shared by every socket no process holds; never mutated. */
const NO_OWNERS: ProcessRef[] = [];

export function sourceOrder(preference: SamplerPreference, platform: NodeJS.Platform): SamplerTool[] {
  if (preference !== 'auto') return [preference];
  return platform === 'linux' ? ['procfs', 'ss', 'lsof'] : ['lsof', 'netstat'];
}

function emptyCoverage(attribution: Coverage['attribution']): Coverage {
  return {
    sockets: 0,
    attributed: 0,
    unattributed: 0,
    unowned: 0,
    attribution,
    processesScanned: 0,
    processesUnreadable: 0,
    entriesUnreadable: 0,
    malformedLines: 0,
    note: COVERAGE_NOTE,
  };
}

function countOwners(sockets: readonly SocketRecord[], coverage: Coverage): void {
  coverage.sockets = sockets.length;
  for (const s of sockets) {
    if (s.ownerStatus === 'visible') coverage.attributed++;
    else if (s.ownerStatus === 'not visible') coverage.unattributed++;
    else coverage.unowned++;
  }
}

export class SocketSampler {
  private readonly procRoot: string;
  private readonly owners: SocketOwnerIndex;
  private readonly users: UserNames;
  private readonly run: CommandRunner;
  private readonly locate: (name: string) => string | null;
  private readonly order: SamplerTool[];
  private readonly now: () => number;
  private inFlight: Promise<SocketSnapshot> | null = null;
  private readonly tables = new ProcTableReader();

  constructor(private readonly opts: SamplerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.users = opts.users ?? new UserNames();
    this.owners = new SocketOwnerIndex(this.users, this.procRoot, opts.fullScanEvery ?? 10);
    this.run = opts.runCommand ?? runCommand;
    this.locate = opts.locateTool ?? ((name) => locateTool(name));
    this.order = sourceOrder(opts.preference ?? 'auto', opts.platform ?? process.platform);
    this.now = opts.now ?? Date.now;
  }

  /** Stops the table reader threads (the daemon's stop); a later sample reads the tables on this thread. */
  async close(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    await this.tables.close();
  }

  /** One snapshot; a call made while another is running gets that one's result. */
  sample(): Promise<SocketSnapshot> {
    this.inFlight ??= this.takeSample().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async takeSample(): Promise<SocketSnapshot> {
    const attempts: Array<{ tool: SamplerTool; reason: string }> = [];
    for (const tool of this.order) {
      const slicer = new TimeSlicer(this.opts.sliceBudgetMs ?? 4);
      const started = performance.now();
      const takenAt = this.now();
      try {
        const phasesMs: Record<string, number> = {};
        const { sockets, coverage } = tool === 'procfs' ? await this.fromProcfs(slicer, phasesMs) : await this.fromTool(tool, phasesMs);
        return {
          tool,
          fallbackReason: attempts.length > 0 ? attempts.map((a) => `${a.tool}: ${a.reason}`).join('; ') : null,
          takenAt,
          durationMs: performance.now() - started,
          longestSliceMs: slicer.longestSliceMs(),
          phasesMs,
          sockets,
          coverage,
        };
      } catch (err) {
        if (!(err instanceof SourceFailed)) throw err;
        attempts.push({ tool, reason: err.message });
      }
    }
    throw new SamplerUnavailableError(attempts);
  }

  /**
   * The tables are read whole on the reader thread; on a full scan this thread reads every fd table
   * meanwhile (both are syscall-bound, so on two cores they overlap). Without the reader thread the
   * tables are read here, a page at a time, yielding whenever the slice is used up.
   */
  private async fromProcfs(slicer: TimeSlicer, phasesMs: Record<string, number>): Promise<{ sockets: SocketRecord[]; coverage: Coverage }> {
    let mark = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      phasesMs[name] = (phasesMs[name] ?? 0) + (now - mark);
      mark = now;
    };
    const tcpPath = `${this.procRoot}/net/tcp`;
    try {
      closeSync(openSync(tcpPath, 'r'));
    } catch (err) {
      throw new SourceFailed(`${tcpPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const coverage = emptyCoverage('incremental');
    const paths = PROC_NET_TABLES.map((t) => `${this.procRoot}/net/${t.file}`);
    const readHere = async (): Promise<TableText[]> => {
      const texts: TableText[] = [];
      for (const path of paths) texts.push(await readProcNetTable(path, slicer).catch((err: NodeJS.ErrnoException) => err));
      return texts;
    };
    // The tables are read on the reader threads while this one scans fd tables (on a full scan) or waits.
    const fullScan = this.owners.isFullScanDue();
    const reading = this.opts.tableThread !== false && this.tables.isAvailable ? this.tables.read(paths, !fullScan).catch(() => null) : Promise.resolve(null);
    let texts: TableText[];
    try {
      if (fullScan) {
        await this.owners.scanAll(slicer);
        phase('fd_scan');
      }
      texts = (await slicer.wait(reading)) ?? (await readHere());
      phase('tables');
    } catch (err) {
      throw new SourceFailed(`${this.procRoot}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const rows = [];
    for (let i = 0; i < PROC_NET_TABLES.length; i++) {
      const table = PROC_NET_TABLES[i]!;
      const text = texts[i]!;
      if (typeof text !== 'string') {
        // Without IPv6 the *6 tables do not exist; without tcp there is nothing to go on.
        if (table.file === 'tcp') throw new SourceFailed(`${paths[i]}: ${text.code ?? text.message}`);
        if (text.code !== 'ENOENT') coverage.entriesUnreadable++;
        continue;
      }
      const parsed = await parseProcNet(text, table.protocol, table.family, slicer);
      coverage.malformedLines += parsed.malformedLines;
      for (const entry of parsed.entries) rows.push(entry);
    }
    phase('parse');
    const inodes = new Set<number>();
    for (const row of rows) if (row.inode !== 0) inodes.add(row.inode);
    let lookup;
    try {
      lookup = await this.owners.lookup(inodes, slicer);
    } catch (err) {
      throw new SourceFailed(`${this.procRoot}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    phase('owners');
    coverage.attribution = lookup.mode;
    coverage.processesScanned = lookup.processesScanned;
    coverage.processesUnreadable = lookup.processesUnreadable;
    coverage.entriesUnreadable += lookup.entriesUnreadable;
    const sockets: SocketRecord[] = new Array<SocketRecord>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      if ((i & 1023) === 1023 && slicer.isDue()) await slicer.yieldNow();
      const row = rows[i]!;
      const owners = row.inode === 0 ? NO_OWNERS : (lookup.owners.get(row.inode) ?? NO_OWNERS);
      sockets[i] = {
        protocol: row.protocol,
        family: row.family,
        state: row.state,
        localAddress: row.localAddress,
        localPort: row.localPort,
        remoteAddress: row.remoteAddress,
        remotePort: row.remotePort,
        uid: row.uid,
        inode: row.inode,
        owners,
        ownerStatus: row.inode === 0 ? 'none' : owners.length > 0 ? 'visible' : 'not visible',
      };
    }
    countOwners(sockets, coverage);
    phase('build');
    return { sockets, coverage };
  }

  private async fromTool(tool: ToolName, phasesMs: Record<string, number>): Promise<{ sockets: SocketRecord[]; coverage: Coverage }> {
    const started = performance.now();
    const spec = TOOL_COMMANDS[tool];
    const binary = this.locate(spec.binary);
    if (!binary) throw new SourceFailed(`${spec.binary} not found in /usr/sbin, /usr/bin, /sbin or /bin`);
    const coverage = emptyCoverage('tool');
    const sockets: SocketRecord[] = [];
    for (const args of spec.runs) {
      const result = await this.run(binary, args);
      if (result.code === null || !spec.okCodes.includes(result.code)) {
        throw new SourceFailed(`${binary} ${args.join(' ')} failed (${result.code === null ? 'killed or timed out' : `exit ${result.code}`}): ${result.stderr.trim().slice(0, 300)}`);
      }
      const parsed = spec.parse(result.stdout);
      coverage.malformedLines += parsed.malformedLines;
      sockets.push(...parsed.sockets);
    }
    this.users.refresh();
    for (const s of sockets) for (const o of s.owners) o.user ??= o.uid === null ? null : this.users.nameOf(o.uid);
    countOwners(sockets, coverage);
    phasesMs[tool] = performance.now() - started;
    if (tool === 'lsof') coverage.note = `${COVERAGE_NOTE} lsof lists only sockets of processes it can see, so sockets of other users' processes are missing, not counted as unattributed.`;
    return { sockets, coverage };
  }
}
