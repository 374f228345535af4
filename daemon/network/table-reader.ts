/**
 * Reads the /proc/net tables on worker threads. The kernel generates them a page per read() (about
 * 20 ms of kernel time for 10,000 sockets, and each read of a sparse table walks the whole hash, a few
 * ms), while the fs module's async reads hop back to the calling thread after every page; only
 * threads that read the tables whole keep that work off the event loop and let it overlap the
 * fd-table scan. While the event loop's thread is idle the tables are split over two threads (IPv4 on
 * one, IPv6 on the other) so the hash walks of the IPv6 tables overlap the IPv4 reads; while it scans
 * fd tables, one thread reads them all, so a two-core host is not oversubscribed by the sample's own
 * threads (which would delay the event loop). Each thread is a few lines of plain JavaScript (built-ins
 * only), started on first use and referenced only while a read is outstanding; when one cannot run,
 * the caller reads the tables itself.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
parentPort.on('message', ({ id, paths }) => {
  const results = paths.map((path) => {
    try {
      return { text: readFileSync(path, 'latin1') };
    } catch (err) {
      return { code: err.code || null, message: String(err.message) };
    }
  });
  parentPort.postMessage({ id, results });
});
`;

export type TableText = string | NodeJS.ErrnoException;

type WireResult = { text?: string; code?: string | null; message?: string };

interface Pending {
  resolve: (results: WireResult[]) => void;
  reject: (err: Error) => void;
}

/** One reader thread and its outstanding requests. */
class ReaderThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly onFailure: () => void) {}

  read(paths: readonly string[]): Promise<WireResult[]> {
    const worker = this.start();
    const id = this.nextId++;
    // Referenced only while a read is outstanding: an idle reader never keeps the process alive, a busy one does.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, paths: [...paths] });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.rejectAll(new Error('the table reader was closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    worker.unref();
    worker.on('message', (msg: { id: number; results: WireResult[] }) => {
      const pending = this.pending.get(msg.id);
      if (!pending) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      pending.resolve(msg.results);
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.rejectAll(err);
      this.onFailure();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a table reader thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private rejectAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}

export class ProcTableReader {
  private readonly threads: ReaderThread[];
  private failed = false;

  constructor(threads = 2) {
    this.threads = Array.from({ length: threads }, () => new ReaderThread(() => (this.failed = true)));
  }

  /** False once a thread could not start or died; the caller then reads on its own thread. */
  get isAvailable(): boolean {
    return !this.failed;
  }

  /**
   * Each path's text, or the error reading it (ENOENT for a missing *6 table without IPv6). With
   * `spread`, paths are dealt to the threads in turn (with [tcp, tcp6, udp, udp6] and two threads IPv4
   * and IPv6 split); without, one thread reads them all.
   */
  async read(paths: readonly string[], spread: boolean): Promise<TableText[]> {
    if (this.failed) throw new Error('the table reader threads are not available');
    const width = spread ? this.threads.length : 1;
    const shares = this.threads.map((_, t) => paths.flatMap((path, i) => (i % width === t ? [{ path, i }] : [])));
    let replies: WireResult[][];
    try {
      replies = await Promise.all(shares.map((share, t) => (share.length > 0 ? this.threads[t]!.read(share.map((s) => s.path)) : Promise.resolve([]))));
    } catch (err) {
      this.failed = true;
      throw err;
    }
    const out = new Array<TableText>(paths.length);
    shares.forEach((share, t) =>
      share.forEach(({ i }, k) => {
        const r = replies[t]![k]!;
        out[i] = typeof r.text === 'string' ? r.text : Object.assign(new Error(r.message ?? 'read failed'), { code: r.code ?? undefined });
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    this.failed = true;
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}
