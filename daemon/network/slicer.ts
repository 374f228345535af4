/**
 * Cooperative time slicing for the samplers: synchronous /proc reads are cheap one by one but a
 * sample of 10,000 sockets is tens of milliseconds of them, so the work yields to the event loop
 * whenever a slice has used its budget and the RPC keeps answering during a sample.
 */

export class TimeSlicer {
  private sliceStart: number;
  private longest = 0;

  constructor(
    private readonly budgetMs = 4,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sliceStart = this.now();
  }

  /** Whether the current slice has used its budget; check it in loops, then `await yieldNow()`. */
  isDue(): boolean {
    return this.now() - this.sliceStart >= this.budgetMs;
  }

  /** Lets timers, I/O and other requests run, then starts a new slice. */
  async yieldNow(): Promise<void> {
    this.longest = Math.max(this.longest, this.now() - this.sliceStart);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = this.now();
  }

  /** Awaits other work (thread-pool reads); the time spent waiting is not counted as holding the loop. */
  async wait<T>(work: Promise<T>): Promise<T> {
    this.longest = Math.max(this.longest, this.now() - this.sliceStart);
    try {
      return await work;
    } finally {
      this.sliceStart = this.now();
    }
  }

  /** The longest stretch held without yielding, including the current one. */
  longestSliceMs(): number {
    return Math.max(this.longest, this.now() - this.sliceStart);
  }
}
