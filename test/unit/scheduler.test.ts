// Covers daemon/jobs.ts: cron schedules against a ManualClock, exact fire counts, status(), no overlapping runs, bad schedules, failures and stop().
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.js';
import { nextFireTime, Scheduler, type Job } from '../../daemon/jobs.js';
import { advanceStepwise } from '../helpers/clock.js';
import { flushPromises, silentLogger } from '../helpers/tmp.js';

const START = Date.UTC(2026, 0, 1); // ManualClock's default start: exactly on a 10 s (and minute) boundary

function setup(start = START): { clock: ManualClock; scheduler: Scheduler } {
  const clock = new ManualClock(start);
  return { clock, scheduler: new Scheduler(clock, silentLogger()) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('nextFireTime', () => {
  it.each<[string, number, string]>([
    ['*/10 * * * * *', START, '2026-01-01T00:00:10.000Z'], // strictly after a boundary, never the boundary itself
    ['*/10 * * * * *', START + 3_500, '2026-01-01T00:00:10.000Z'],
    ['0 17 * * * *', START, '2026-01-01T00:17:00.000Z'],
    ['0 17 * * * *', START + 17 * 60_000, '2026-01-01T01:17:00.000Z'],
    ['0 0 3 * * *', START, '2026-01-01T03:00:00.000Z'], // read in UTC
  ])('%s after %d is %s', (schedule, after, expected) => {
    expect(new Date(nextFireTime(schedule, after)).toISOString()).toBe(expected);
  });
});

describe('Scheduler', () => {
  it.each<[string, number, number]>([
    ['started on a 10 s boundary', START, 6], // fires at :10 :20 :30 :40 :50 :60, not at :00
    ['started 5 s past a boundary', START + 5_000, 6], // :10 .. :60 within 00:05..01:05
    ['started 1 ms before a boundary', START + 9_999, 6], // :10 .. :60 within 00:09.999..01:09.999
  ])('a */10 s job fires exactly 6 times in 60 s (%s)', async (_name, start, expected) => {
    const { clock, scheduler } = setup(start);
    const firedAt: string[] = [];
    scheduler.add({ name: 'tick', schedule: '*/10 * * * * *', run: () => void firedAt.push(new Date(clock.now()).toISOString()) });
    scheduler.start();
    await advanceStepwise(clock, 60_000);
    expect(firedAt).toHaveLength(expected);
    expect(firedAt[0]).toBe('2026-01-01T00:00:10.000Z');
    expect(firedAt[5]).toBe('2026-01-01T00:01:00.000Z');
    expect(scheduler.status()[0]!.runs).toBe(expected);
  });

  it('status() reports runs, lastRunAt, nextRunAt and duration', async () => {
    const { clock, scheduler } = setup();
    let pending: ReturnType<typeof deferred> | undefined;
    scheduler.add({
      name: 'tick',
      schedule: '*/10 * * * * *',
      run: () => {
        pending = deferred();
        return pending.promise;
      },
    });
    expect(scheduler.status()).toEqual([
      { name: 'tick', schedule: '*/10 * * * * *', running: false, nextRunAt: null, lastRunAt: null, lastDurationMs: null, lastError: null, runs: 0 },
    ]);
    scheduler.start();
    expect(scheduler.status()[0]!.nextRunAt).toBe('2026-01-01T00:00:10.000Z');
    await advanceStepwise(clock, 10_000); // first tick at 00:00:10 starts a run
    for (let tick = 1; tick <= 6; tick++) {
      clock.advance(250); // each run takes 250 ms
      pending!.resolve();
      await flushPromises();
      if (tick < 6) await advanceStepwise(clock, 9_750); // up to the next tick, which starts the next run
    }
    expect(scheduler.status()).toEqual([
      {
        name: 'tick',
        schedule: '*/10 * * * * *',
        running: false,
        nextRunAt: '2026-01-01T00:01:10.000Z',
        lastRunAt: '2026-01-01T00:01:00.000Z',
        lastDurationMs: 250,
        lastError: null,
        runs: 6,
      },
    ]);
  });

  it('status() lists jobs sorted by name', () => {
    const { scheduler } = setup();
    for (const name of ['zeta', 'alpha', 'mid']) scheduler.add({ name, schedule: '0 0 * * * *', run: () => undefined });
    expect(scheduler.status().map((s) => s.name)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('never starts an async job twice while it is still running', async () => {
    const { clock, scheduler } = setup();
    const runs: Array<ReturnType<typeof deferred>> = [];
    scheduler.add({
      name: 'slow',
      schedule: '*/10 * * * * *',
      run: () => {
        const d = deferred();
        runs.push(d);
        return d.promise;
      },
    });
    scheduler.start();

    await advanceStepwise(clock, 10_000); // first tick: starts
    expect(runs).toHaveLength(1);
    expect(scheduler.status()[0]).toMatchObject({ running: true, runs: 0, lastRunAt: '2026-01-01T00:00:10.000Z' });

    await advanceStepwise(clock, 20_000); // two more ticks while the first run is pending: both skipped
    expect(runs).toHaveLength(1);
    await expect(scheduler.runNow('slow')).resolves.toBe('skipped-overlap');
    expect(runs).toHaveLength(1);
    expect(scheduler.status()[0]).toMatchObject({ running: true, runs: 0, nextRunAt: '2026-01-01T00:00:40.000Z' });

    runs[0]!.resolve();
    await flushPromises();
    expect(scheduler.status()[0]).toMatchObject({ running: false, runs: 1, lastDurationMs: 20_000 });

    const manual = scheduler.runNow('slow');
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    await expect(manual).resolves.toBe('ran');
    expect(scheduler.status()[0]).toMatchObject({ running: false, runs: 2 });
  });

  it('runNow on an unknown job throws', async () => {
    const { scheduler } = setup();
    await expect(scheduler.runNow('ghost')).rejects.toThrow('no job named "ghost"');
  });

  it.each(['not a cron', '61 * * * * *', '* * * * * * * *', '*/0 * * * * *'])('an invalid schedule %j throws at add() naming the job', (schedule) => {
    const { scheduler } = setup();
    expect(() => scheduler.add({ name: 'broken-job', schedule, run: () => undefined })).toThrow(`job "broken-job": invalid schedule "${schedule}"`);
    expect(scheduler.status()).toEqual([]);
  });

  it('a duplicate job name throws and keeps the first job', () => {
    const { scheduler } = setup();
    scheduler.add({ name: 'audit-verify', schedule: '0 17 * * * *', run: () => undefined });
    expect(() => scheduler.add({ name: 'audit-verify', schedule: '*/10 * * * * *', run: () => undefined })).toThrow('job "audit-verify" is registered twice');
    expect(scheduler.status().map((s) => s.schedule)).toEqual(['0 17 * * * *']);
  });

  it.each<[string, () => Promise<void> | void]>([
    ['throws synchronously', () => {
      throw new Error('disk on fire');
    }],
    ['rejects', () => Promise.reject(new Error('disk on fire'))],
  ])('a job that %s records lastError and keeps being scheduled', async (_name, failing) => {
    const { clock, scheduler } = setup();
    let calls = 0;
    const job: Job = {
      name: 'flaky',
      schedule: '*/10 * * * * *',
      run: () => {
        calls++;
        if (calls === 1) return failing();
      },
    };
    scheduler.add(job);
    scheduler.start();
    await advanceStepwise(clock, 10_000);
    expect(scheduler.status()[0]).toMatchObject({ lastError: 'disk on fire', runs: 1, running: false, nextRunAt: '2026-01-01T00:00:20.000Z' });
    expect(clock.pendingTimers()).toBe(1);
    await advanceStepwise(clock, 10_000);
    expect(calls).toBe(2);
    expect(scheduler.status()[0]).toMatchObject({ lastError: null, runs: 2 });
  });

  it('stop() clears every timer and nothing fires afterwards', async () => {
    const { clock, scheduler } = setup();
    let calls = 0;
    scheduler.add({ name: 'a', schedule: '*/10 * * * * *', run: () => void calls++ });
    scheduler.add({ name: 'b', schedule: '0 * * * * *', run: () => void calls++ });
    scheduler.start();
    expect(clock.pendingTimers()).toBe(2);
    scheduler.stop();
    expect(clock.pendingTimers()).toBe(0);
    expect(scheduler.status().map((s) => s.nextRunAt)).toEqual([null, null]);
    await advanceStepwise(clock, 120_000);
    expect(calls).toBe(0);
  });

  it('a job added after start() is armed at once; one added while stopped is not', () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'before', schedule: '0 * * * * *', run: () => undefined });
    expect(clock.pendingTimers()).toBe(0);
    scheduler.start();
    scheduler.add({ name: 'after', schedule: '*/10 * * * * *', run: () => undefined });
    expect(clock.pendingTimers()).toBe(2);
    expect(scheduler.status().find((s) => s.name === 'after')!.nextRunAt).toBe('2026-01-01T00:00:10.000Z');
  });

  it('re-arms instead of running when the wall clock was set back before the due time', async () => {
    const { clock, scheduler } = setup();
    let calls = 0;
    scheduler.add({ name: 'tick', schedule: '*/10 * * * * *', run: () => void calls++ });
    scheduler.start(); // due at wall 00:00:10, i.e. 10 s of monotonic time from now
    clock.setWall(START - 5_000); // the administrator moves the clock back 5 s
    await advanceStepwise(clock, 10_000); // monotonic timer fires; the wall reads 00:00:05
    expect(calls).toBe(0);
    expect(clock.pendingTimers()).toBe(1);
    await advanceStepwise(clock, 5_000); // wall reaches 00:00:10
    expect(calls).toBe(1);
  });
});

describe('ManualClock (the injected time the scheduler runs on)', () => {
  it('fires timers in due order and moves both clocks together', () => {
    const clock = new ManualClock(START);
    const fired: Array<[string, number, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now() - START, clock.monotonic()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now() - START, clock.monotonic()]), 100);
    const cancelled = clock.setTimeout(() => fired.push(['x', 0, 0]), 150);
    clock.clearTimeout(cancelled);
    clock.advance(250);
    expect(fired).toEqual([
      ['a', 100, 100],
      ['b', 200, 200],
    ]);
    expect([clock.now() - START, clock.monotonic(), clock.pendingTimers()]).toEqual([250, 250, 0]);
  });

  it('time never goes back when a timer callback itself advances the clock (a job that "takes" time)', () => {
    const clock = new ManualClock(START);
    clock.setTimeout(() => clock.advance(250), 1_000);
    clock.advance(1_000);
    // The callback ran at mono 1000 and moved time on to 1250; the outer advance must not pull it back to 1000.
    expect(clock.monotonic()).toBe(1_250);
    expect(clock.now() - START).toBe(1_250);
  });
});
