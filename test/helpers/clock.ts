/** Advancing a ManualClock the way real timers behave: promise continuations run between timer callbacks. */
import type { ManualClock } from '../../daemon/clock.js';
import { flushPromises } from './tmp.js';

/**
 * ManualClock.advance() fires every due timer synchronously in one call, so an async continuation
 * (e.g. the `finally` of a job run) cannot run between two ticks, unlike with real timers where each
 * callback is its own macrotask. Stepping by `stepMs` and flushing between steps restores that order.
 */
export async function advanceStepwise(clock: ManualClock, ms: number, stepMs = 1000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await flushPromises();
  }
}
