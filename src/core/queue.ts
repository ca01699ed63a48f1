// One request queue per remote system. Every HTTP call to a system goes through its queue, so
// concurrency and per-minute limits hold across all connections that share the system, and a
// 429 pauses the whole system instead of sleeping inside one task.
import PQueue from 'p-queue';
import type { Clock } from './types.js';
import { systemClock } from './types.js';

export interface SystemQueueOptions {
  /** System name from the config, for logs and metrics. */
  system: string;
  /**
   * Requests in flight at once.
   * @default 4
   */
  concurrency?: number;
  /** Requests allowed per `intervalMs` window (the system's documented limit); unlimited when unset. */
  intervalCap?: number;
  /** @default 60000 */
  intervalMs?: number;
  clock?: Clock;
}

export interface SystemQueueStats {
  system: string;
  waiting: number;
  inFlight: number;
  callsLastMinute: number;
  rateLimitedLastMinute: number;
  /** Total milliseconds the queue has spent paused by rate limits since start. */
  rateLimitWaitMs: number;
  pausedUntil: number | null;
}

export class SystemQueue {
  readonly system: string;
  private readonly queue: PQueue;
  private readonly clock: Clock;
  private resumeTimer: NodeJS.Timeout | undefined;
  private pausedUntilMs: number | null = null;
  private readonly calls: number[] = [];
  private readonly limited: number[] = [];
  private waitMsTotal = 0;

  constructor(options: SystemQueueOptions) {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError(`SystemQueue option concurrency: expected an integer >= 1, got ${String(concurrency)}`);
    }
    if (options.intervalCap !== undefined && (!Number.isInteger(options.intervalCap) || options.intervalCap < 1)) {
      throw new TypeError(
        `SystemQueue option intervalCap: expected an integer >= 1, got ${String(options.intervalCap)}`,
      );
    }
    this.system = options.system;
    this.clock = options.clock ?? systemClock;
    this.queue =
      options.intervalCap === undefined
        ? new PQueue({ concurrency })
        : new PQueue({
            concurrency,
            intervalCap: options.intervalCap,
            interval: options.intervalMs ?? 60_000,
            carryoverIntervalCount: true,
          });
  }

  /** Runs `task` when the system has capacity. */
  async add<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.add<T>(async () => {
      this.record(this.calls);
      return task();
    });
  }

  /** Pauses the whole system for `ms` (a 429's Retry-After, or a near-empty rate budget). */
  pauseFor(ms: number, reason: 'rate_limited' | 'budget' = 'rate_limited'): void {
    if (reason === 'rate_limited') this.record(this.limited);
    const until = this.clock.now() + Math.max(0, ms);
    if (this.pausedUntilMs !== null && this.pausedUntilMs >= until) return;
    const started = this.pausedUntilMs === null ? this.clock.now() : this.pausedUntilMs;
    this.waitMsTotal += Math.max(0, until - started);
    this.pausedUntilMs = until;
    this.queue.pause();
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      this.pausedUntilMs = null;
      this.queue.start();
    }, ms);
    this.resumeTimer.unref();
  }

  get depth(): number {
    return this.queue.size + this.queue.pending;
  }

  stats(): SystemQueueStats {
    return {
      system: this.system,
      waiting: this.queue.size,
      inFlight: this.queue.pending,
      callsLastMinute: this.countRecent(this.calls),
      rateLimitedLastMinute: this.countRecent(this.limited),
      rateLimitWaitMs: this.waitMsTotal,
      pausedUntil: this.pausedUntilMs,
    };
  }

  /** Resolves when nothing is waiting or running. */
  async onIdle(): Promise<void> {
    await this.queue.onIdle();
  }

  stop(): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.queue.clear();
  }

  private record(list: number[]): void {
    list.push(this.clock.now());
    if (list.length > 5000) this.trim(list);
  }

  private countRecent(list: number[]): number {
    this.trim(list);
    return list.length;
  }

  private trim(list: number[]): void {
    const cutoff = this.clock.now() - 60_000;
    let drop = 0;
    while (drop < list.length && list[drop]! < cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
  }
}
