/** Scheduled work: one Job interface, cron schedules read against the injected Clock, never two runs at once. */
import { CronExpressionParser } from 'cron-parser';
import type { Logger } from 'pino';
import type { JobStatus } from '../client/protocol.js';
import type { Clock, TimerHandle } from './clock.js';

export interface Job {
  readonly name: string;
  /** Cron expression; six fields allow seconds (`*\/30 * * * * *`). */
  readonly schedule: string;
  run(): Promise<void> | void;
}

/** Parses a schedule now so a bad one fails at startup with the job's name, not at first fire. */
export function nextFireTime(schedule: string, afterMs: number): number {
  const expr = CronExpressionParser.parse(schedule, { currentDate: new Date(afterMs), tz: 'UTC' });
  return expr.next().getTime();
}

interface JobState {
  job: Job;
  running: boolean;
  timer: TimerHandle | null;
  /** ISO 8601, formatted when set: daemon.status reads them on every call. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastDurationMs: number | null;
  lastError: string | null;
  runs: number;
  skippedOverlaps: number;
}

export class Scheduler {
  private readonly jobs = new Map<string, JobState>();
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  add(job: Job): void {
    if (this.jobs.has(job.name)) throw new Error(`job "${job.name}" is registered twice`);
    try {
      nextFireTime(job.schedule, this.clock.now());
    } catch (err) {
      throw new Error(`job "${job.name}": invalid schedule "${job.schedule}": ${(err as Error).message}`);
    }
    this.sorted = null;
    this.jobs.set(job.name, {
      job,
      running: false,
      timer: null,
      nextRunAt: null,
      lastRunAt: null,
      lastDurationMs: null,
      lastError: null,
      runs: 0,
      skippedOverlaps: 0,
    });
    if (!this.stopped) this.arm(this.jobs.get(job.name)!);
  }

  start(): void {
    this.stopped = false;
    for (const state of this.jobs.values()) this.arm(state);
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.jobs.values()) {
      if (state.timer) this.clock.clearTimeout(state.timer);
      state.timer = null;
      state.nextRunAt = null;
    }
  }

  private arm(state: JobState): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const due = nextFireTime(state.job.schedule, now);
    state.nextRunAt = new Date(due).toISOString();
    state.timer = this.clock.setTimeout(() => this.fire(state, due), due - now);
  }

  private fire(state: JobState, due: number): void {
    state.timer = null;
    // A timer can wake early (Node caps delays at ~24.8 days) or the wall clock may have moved; re-arm if not due.
    if (this.clock.now() < due) {
      const remaining = due - this.clock.now();
      state.timer = this.clock.setTimeout(() => this.fire(state, due), remaining);
      return;
    }
    this.arm(state);
    void this.runNow(state.job.name);
  }

  /** Runs a job immediately unless it is already running; resolves when this run (or the skip) is done. */
  async runNow(name: string): Promise<'ran' | 'skipped-overlap'> {
    const state = this.jobs.get(name);
    if (!state) throw new Error(`no job named "${name}"`);
    if (state.running) {
      state.skippedOverlaps++;
      this.log.warn({ job: name }, 'job still running from its previous start; this run is skipped');
      return 'skipped-overlap';
    }
    state.running = true;
    const startedMono = this.clock.monotonic();
    state.lastRunAt = new Date(this.clock.now()).toISOString();
    try {
      await state.job.run();
      state.lastError = null;
    } catch (err) {
      state.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ job: name, err }, 'job failed');
    } finally {
      state.running = false;
      state.runs++;
      state.lastDurationMs = this.clock.monotonic() - startedMono;
    }
    return 'ran';
  }

  status(): JobStatus[] {
    return this.sortedStates()
      .map((s) => ({
        name: s.job.name,
        schedule: s.job.schedule,
        running: s.running,
        nextRunAt: s.nextRunAt,
        lastRunAt: s.lastRunAt,
        lastDurationMs: s.lastDurationMs,
        lastError: s.lastError,
        runs: s.runs,
      }));
  }

  private sorted: JobState[] | null = null;

  private sortedStates(): JobState[] {
    this.sorted ??= [...this.jobs.values()].sort((a, b) => (a.job.name < b.job.name ? -1 : a.job.name > b.job.name ? 1 : 0));
    return this.sorted;
  }
}

