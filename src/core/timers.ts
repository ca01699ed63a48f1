// The engine's schedules: loops that run again a while after each run ends, and node-cron
// tasks. It holds whether they run, their pending timers and tasks, and stops them all at once;
// each run is tracked by the scheduler, so waiting for it to go idle waits for runs in flight.
import cron, { type ScheduledTask } from 'node-cron';
import { describeError } from './errors.js';
import type { Clock, Logger } from './types.js';

export interface TimersDeps {
  clock: Clock;
  logger: Logger;
  /** Tracks a run, so the engine's idle wait includes it (the scheduler's `track`). */
  track(run: Promise<unknown>): unknown;
}

export class Timers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cronTasks: ScheduledTask[] = [];
  private on = false;

  constructor(private readonly deps: TimersDeps) {}

  get running(): boolean {
    return this.on;
  }

  /** Lets loops and schedules run; false when they were running already. */
  start(): boolean {
    if (this.on) return false;
    this.on = true;
    return true;
  }

  /** Stops every loop and schedule: no run starts after this (runs in flight go on). */
  async stop(): Promise<void> {
    this.on = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const task of this.cronTasks.splice(0)) await task.stop();
  }

  /** Runs `fn` now and again `everyMs` after each run ends, until stopped. */
  loop(name: string, everyMs: number, fn: () => Promise<unknown>): void {
    const tick = (): void => {
      if (!this.on) return;
      const run = fn()
        .catch((err: unknown) =>
          this.deps.logger.error({ loop: name, err: describeError(err) }, 'scheduled task failed'),
        )
        .finally(() => this.after(everyMs, tick));
      void this.deps.track(run);
    };
    tick();
  }

  /**
   * Runs `fn` now and again `everyMs` after each run ends, or sooner: at the due time (epoch ms)
   * the run answered, when that comes first. Until stopped.
   */
  loopUntilDue(name: string, everyMs: number, fn: () => Promise<number | null>): void {
    const tick = (): void => {
      if (!this.on) return;
      const run = fn()
        .catch((err: unknown) => {
          this.deps.logger.error({ loop: name, err: describeError(err) }, 'scheduled task failed');
          return null;
        })
        .then((nextDueMs) => {
          const untilDue = nextDueMs === null ? everyMs : nextDueMs - this.deps.clock.now() + 1;
          this.after(Math.max(0, Math.min(everyMs, untilDue)), tick);
        });
      void this.deps.track(run);
    };
    tick();
  }

  /** Runs `fn` on a node-cron schedule (skipping a tick while the last run is still going) until stopped. */
  schedule(name: string, expression: string, fn: () => Promise<unknown>): void {
    let busy = false;
    this.cronTasks.push(
      cron.schedule(expression, () => {
        if (busy) return;
        busy = true;
        const run = fn()
          .catch((err: unknown) => this.deps.logger.error({ err: describeError(err) }, `${name} failed`))
          .finally(() => (busy = false));
        void this.deps.track(run);
      }),
    );
  }

  private after(ms: number, tick: () => void): void {
    if (!this.on) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      tick();
    }, ms);
    this.timers.add(t);
  }
}
