/** Time as a dependency: wall time for records and expiry, a monotonic reading for durations, and timers. */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Wall-clock milliseconds since the epoch (persisted; may jump). */
  now(): number;
  /** Monotonic milliseconds (never goes back; meaningless across restarts). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = (() => {
  const timers = new Map<number, NodeJS.Timeout>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimeout(fn, ms) {
      const id = nextId++;
      // Node caps timers at 2^31-1 ms (~24.8 days); a longer wait fires early and the caller re-checks the time.
      const timer = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.min(Math.max(0, ms), 2 ** 31 - 1));
      timer.unref?.();
      timers.set(id, timer);
      return { id };
    },
    clearTimeout(handle) {
      const timer = timers.get(handle.id);
      if (timer) clearTimeout(timer);
      timers.delete(handle.id);
    },
  };
})();

/** A clock the test advances by hand; timers fire in due order as time passes. */
export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wall = startWallMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.mono + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Moves both clocks forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextDue = Infinity;
      for (const [id, t] of this.timers) {
        if (t.due <= target && t.due < nextDue) {
          nextDue = t.due;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.wall += nextDue - this.mono;
      this.mono = nextDue;
      timer.fn();
    }
    // A timer callback may itself have advanced past the target; time never goes back.
    if (target > this.mono) {
      this.wall += target - this.mono;
      this.mono = target;
    }
  }

  /** Sets the wall clock alone, as an administrator (or attacker) changing the system time would. */
  setWall(ms: number): void {
    this.wall = ms;
  }

  pendingTimers(): number {
    return this.timers.size;
  }
}
