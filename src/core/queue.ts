// One request queue per remote system. Every HTTP call to a system goes through its queue, so
// concurrency and the rate budget hold across all connections that share the system. Calls draw
// from the system's budget (a token bucket refilled continuously) in priority order: changes
// people wait for, then discovery, then background work, which leaves headroom for changes. A
// 429 pauses the whole system (bounded by maxWaitMs) instead of sleeping inside one task.
import { TokenBucket } from './budget.js';
import { RemoteUnavailableError } from './errors.js';
import { currentPriority, PRIORITIES, type Priority } from './priority.js';
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
  /**
   * Calls (credits, for Freshservice) allowed in any rolling `intervalMs` (the system's documented
   * limit, `rateLimit.requestsPerMinute`); unlimited when unset. A token bucket refilled
   * continuously paces them, so a backlog flows at an even rate instead of in bursts and stalls.
   */
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

/** How one call is queued. */
export interface RequestOptions {
  /** What it costs from the budget (Freshservice include credits). @default 1 */
  cost?: number;
  /** @default the priority of the work making the call (withPriority), else `change` */
  priority?: Priority;
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
  /** The budget: null when the system has no configured rate. */
  budget: BudgetStats | null;
  /** Calls waiting, by priority. */
  queued: Record<Priority, number>;
}

export interface BudgetStats {
  /** The ceiling per rolling minute (calls or credits). */
  perMinute: number;
  /** Spent in the last rolling minute. */
  usedLastMinute: number;
  /** Left in the last rolling minute (perMinute - used). */
  leftThisMinute: number;
  /** Tokens in the bucket now. */
  tokens: number;
  /** The rate the bucket refills at, per minute. */
  refillPerMinute: number;
  /** Budget the waiting calls need. */
  queuedCost: number;
  /** Estimated milliseconds until everything queued has been sent, at the refill rate and after any pause. */
  drainMs: number;
}

interface Waiting {
  cost: number;
  run: () => void;
  fail: (err: unknown) => void;
}

const MINUTE_MS = 60_000;

export class SystemQueue {
  readonly system: string;
  readonly maxWaitMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly concurrency: number;
  private readonly bucket: TokenBucket | null;
  private readonly waiting: Record<Priority, Waiting[]> = { change: [], discovery: [], background: [] };
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private current: QueuePause | null = null;
  private pausedAtMs = 0;
  private stopped = false;
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
    this.system = options.system;
    this.maxWaitMs = maxWaitMs;
    this.concurrency = concurrency;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    const perMinute =
      options.intervalCap === undefined
        ? undefined
        : (options.intervalCap * MINUTE_MS) / (options.intervalMs ?? MINUTE_MS);
    this.bucket = perMinute === undefined ? null : new TokenBucket({ perMinute, clock: this.clock });
  }

  /** Runs `task` when the system has capacity and budget, in priority order. */
  add<T>(task: () => Promise<T>, options: RequestOptions = {}): Promise<T> {
    if (this.stopped) return Promise.reject(this.abandoned());
    const priority = options.priority ?? currentPriority();
    const cost = Math.max(0, options.cost ?? 1);
    return new Promise<T>((resolve, reject) => {
      this.waiting[priority].push({
        cost,
        fail: reject,
        run: () => {
          this.record(this.calls);
          task()
            .then(resolve, reject)
            .finally(() => {
              this.inFlight--;
              this.pump();
            });
        },
      });
      this.pump();
    });
  }

  /**
   * Pauses the whole system for `ms` (a 429's Retry-After, or a near-empty rate budget), at most
   * `maxWaitMs`. A vendor's 429 is its latest word on when to come back, so it replaces the pause
   * in force, shorter or longer; a budget slow-down only ever lengthens one.
   */
  pauseFor(ms: number, reason: PauseReason = 'rate_limited'): void {
    const now = this.clock.now();
    if (reason === 'rate_limited') {
      this.record(this.limited);
      this.bucket?.drain();
    }
    const requestedMs = Math.max(0, Number.isFinite(ms) ? ms : this.maxWaitMs);
    const capped = requestedMs > this.maxWaitMs;
    const until = now + Math.min(requestedMs, this.maxWaitMs);
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
    this.wakeAt = Infinity; // the pause's own end replaces any earlier wake-up
    this.pump();
  }

  /** The vendor says only `remaining` of the budget is left (other apps share it): hold no more. */
  observeRemaining(remaining: number): void {
    this.bucket?.clampTo(remaining);
  }

  /**
   * The vendor's count after a call, `remaining` of `total` in windows of `windowMs`: what is left
   * is paced to the window's restart instead of spent and then waited out (budget.ts `observe`).
   */
  observeWindow(remaining: number, total: number, windowMs: number): void {
    this.bucket?.observe(remaining, total, windowMs);
  }

  /** The vendor charged `actual` for a call queued at `estimated`. */
  settle(estimated: number, actual: number): void {
    this.bucket?.settle(estimated, actual);
  }

  get depth(): number {
    return this.waitingCount() + this.inFlight;
  }

  /** True once stop() ran: every call is refused. */
  get isStopped(): boolean {
    return this.stopped;
  }

  stats(): SystemQueueStats {
    this.endPauseIfDue();
    const pausedMs = this.current === null ? 0 : Math.max(0, this.clock.now() - this.pausedAtMs);
    return {
      system: this.system,
      waiting: this.waitingCount(),
      inFlight: this.inFlight,
      callsLastMinute: this.countRecent(this.calls),
      rateLimitedLastMinute: this.countRecent(this.limited),
      rateLimitWaitMs: this.waitMsTotal + pausedMs,
      pausedUntil: this.current?.until ?? null,
      pause: this.current === null ? null : { ...this.current },
      maxWaitMs: this.maxWaitMs,
      budget: this.budgetStats(),
      queued: {
        change: this.waiting.change.length,
        discovery: this.waiting.discovery.length,
        background: this.waiting.background.length,
      },
    };
  }

  /** Resolves when nothing is waiting or running. */
  onIdle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Refuses every waiting call (their passes fail as transient and recover on the next start) and any new one. */
  stop(): void {
    this.stopped = true;
    this.clearWake();
    for (const priority of PRIORITIES) {
      for (const w of this.waiting[priority].splice(0)) w.fail(this.abandoned());
    }
    this.settleIdle();
  }

  /** Starts every call the concurrency, the pause and the budget allow; sets a timer for the next. */
  private pump(): void {
    if (this.stopped) return;
    this.endPauseIfDue();
    if (this.current !== null) return this.wakeIn(this.current.until - this.clock.now());
    while (this.inFlight < this.concurrency) {
      const priority = PRIORITIES.find((p) => this.waiting[p].length > 0);
      if (priority === undefined) break;
      const next = this.waiting[priority][0]!;
      // Background work leaves headroom in the bucket for the changes people wait for.
      const reserve = priority === 'background' && this.bucket ? this.bucket.headroom : 0;
      const waitMs = this.bucket ? this.bucket.waitMs(next.cost, reserve) : 0;
      if (waitMs > 0) return this.wakeIn(waitMs);
      this.waiting[priority].shift();
      this.bucket?.take(next.cost);
      this.inFlight++;
      next.run();
    }
    this.settleIdle();
  }

  private endPauseIfDue(): void {
    if (this.current === null || this.clock.now() < this.current.until) return;
    this.waitMsTotal += Math.max(0, this.current.until - this.pausedAtMs);
    this.current = null;
  }

  private wakeIn(ms: number): void {
    const at = this.clock.now() + Math.max(1, ms);
    if (this.wakeTimer && this.wakeAt <= at) return;
    this.clearWake();
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Infinity;
        this.pump();
      },
      Math.max(1, ms),
    );
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }

  private settleIdle(): void {
    if (this.depth > 0 || this.idle.length === 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private waitingCount(): number {
    return this.waiting.change.length + this.waiting.discovery.length + this.waiting.background.length;
  }

  private budgetStats(): BudgetStats | null {
    const bucket = this.bucket;
    if (!bucket) return null;
    const used = bucket.spentLastMinute();
    const tokens = bucket.level;
    const queuedCost = PRIORITIES.reduce((sum, p) => sum + this.waiting[p].reduce((s, w) => s + w.cost, 0), 0);
    const pauseLeft = this.current === null ? 0 : Math.max(0, this.current.until - this.clock.now());
    const short = Math.max(0, queuedCost - Math.max(0, tokens));
    return {
      perMinute: bucket.perMinute,
      usedLastMinute: Math.round(used),
      leftThisMinute: Math.max(0, Math.round(bucket.perMinute - used)),
      tokens: Math.floor(tokens * 10) / 10,
      refillPerMinute: Math.round(bucket.refillPerMinute),
      queuedCost,
      drainMs: queuedCost === 0 ? 0 : Math.ceil(pauseLeft + (short * MINUTE_MS) / bucket.refillPerMinute),
    };
  }

  private abandoned(): RemoteUnavailableError {
    return new RemoteUnavailableError(`${this.system}: request abandoned, the daemon is stopping`, {
      system: this.system,
    });
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
    const cutoff = this.clock.now() - MINUTE_MS;
    let drop = 0;
    while (drop < list.length && list[drop]! < cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
  }
}
