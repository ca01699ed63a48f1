// One request queue per remote system. Every HTTP call to a system goes through its queue, so
// concurrency and per-minute limits hold across all connections that share the system, and a
// 429 pauses the whole system instead of sleeping inside one task.
import PQueue from 'p-queue';
import type { Clock, Logger } from './types.js';
import { systemClock } from './types.js';

/** Why a system is paused: a vendor's 429 (its Retry-After or reset time), or a nearly spent budget. */
export type PauseReason = 'rate_limited' | 'budget';

/** The pause in force on a system: why, until when, and what the vendor asked for. */
export interface QueuePause {
  reason: PauseReason;
  /** Epoch ms the pause ends. */
  until: number;
  /** The wait the vendor's signal asked for, before the cap. */
  requestedMs: number;
  /** True when the requested wait was longer than the cap (`rateLimit.maxWaitSeconds`). */
  capped: boolean;
}

/** Default upper bound on any one vendor wait: five minutes. */
export const DEFAULT_MAX_WAIT_MS = 300_000;

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
  /**
   * Upper bound on any one pause a vendor signal asks for (`rateLimit.maxWaitSeconds`): a
   * `Retry-After: 999999` pauses the system for this long at most, with a warning.
   * @default 300000
   */
  maxWaitMs?: number;
  clock?: Clock;
  /** Receives the warning when a vendor's wait is capped. */
  logger?: Logger;
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
  /** The pause in force, with its reason and end; null when requests flow. */
  pause: QueuePause | null;
  /** The cap on one vendor wait, in ms. */
  maxWaitMs: number;
}

export class SystemQueue {
  readonly system: string;
  private readonly queue: PQueue;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  readonly maxWaitMs: number;
  private resumeTimer: NodeJS.Timeout | undefined;
  private current: QueuePause | null = null;
  private pausedAtMs = 0;
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
    const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
      throw new TypeError(`SystemQueue option maxWaitMs: expected a number >= 0, got ${String(maxWaitMs)}`);
    }
    this.maxWaitMs = maxWaitMs;
    this.logger = options.logger;
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

  /**
   * Pauses the whole system for `ms` (a 429's Retry-After, or a near-empty rate budget), at most
   * `maxWaitMs`. A vendor's 429 is its latest word on when to come back, so it replaces the pause
   * in force, shorter or longer; a budget slow-down only ever lengthens one.
   */
  pauseFor(ms: number, reason: PauseReason = 'rate_limited'): void {
    if (reason === 'rate_limited') this.record(this.limited);
    const now = this.clock.now();
    const requestedMs = Math.max(0, Number.isFinite(ms) ? ms : this.maxWaitMs);
    const capped = requestedMs > this.maxWaitMs;
    const waitMs = Math.min(requestedMs, this.maxWaitMs);
    const until = now + waitMs;
    const current = this.current;
    if (current !== null && (reason === 'budget' || current.reason === 'budget') && current.until >= until) return;
    if (capped) {
      this.logger?.warn(
        { system: this.system, requestedMs, maxWaitMs: this.maxWaitMs, until: new Date(until).toISOString() },
        'vendor asked for a longer wait than rateLimit.maxWaitSeconds; waiting the cap instead',
      );
    }
    if (current === null) this.pausedAtMs = now;
    this.current = { reason, until, requestedMs, capped };
    this.queue.pause();
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => this.resume(), waitMs);
    this.resumeTimer.unref();
  }

  private resume(): void {
    this.resumeTimer = undefined;
    if (this.current !== null) this.waitMsTotal += Math.max(0, this.clock.now() - this.pausedAtMs);
    this.current = null;
    this.queue.start();
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
      rateLimitWaitMs: this.waitMsTotal + (this.current === null ? 0 : Math.max(0, this.clock.now() - this.pausedAtMs)),
      pausedUntil: this.current?.until ?? null,
      pause: this.current === null ? null : { ...this.current },
      maxWaitMs: this.maxWaitMs,
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
