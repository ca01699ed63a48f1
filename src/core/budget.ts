// A system's budget of remote calls: a token bucket refilled continuously at the configured rate,
// with a small burst, and a record of what was spent in the last minute so no rolling minute ever
// sees more than the configured rate. Pure: time comes from a Clock, nothing waits here.
import type { Clock } from './types.js';

const MINUTE_MS = 60_000;

export interface BudgetOptions {
  /** Calls (or credits) per rolling minute; the ceiling. */
  perMinute: number;
  clock: Clock;
  /**
   * Tokens the bucket holds at most. The refill rate is `perMinute - burst` a minute, so a full
   * bucket plus a minute of refill is exactly `perMinute`.
   * @default 3 % of perMinute, at least 1
   */
  burst?: number;
  /**
   * Tokens kept for changes: `background` work waits while taking its cost would leave fewer.
   * @default half the burst, at least 1
   */
  headroom?: number;
}

/** A token bucket refilled continuously, with a rolling-minute ceiling and headroom for changes. */
export class TokenBucket {
  readonly perMinute: number;
  readonly burst: number;
  readonly headroom: number;
  /** Refill in tokens per millisecond. */
  private readonly ratePerMs: number;
  private readonly clock: Clock;
  private tokens: number;
  private refilledAt: number;
  private readonly spent: Array<{ at: number; cost: number }> = [];
  private spentSum = 0;
  /** The vendor's own count, as its last answer showed it (pacing, see `observe`). */
  private vendor: { remaining: number; at: number; takenSince: number } | null = null;
  /** When the vendor's window last restarted, once seen (its remaining jumped back up), and its length. */
  private windowStart: number | null = null;
  private windowMs = MINUTE_MS;
  private lastTakeAt = Number.NEGATIVE_INFINITY;

  constructor(options: BudgetOptions) {
    const { perMinute } = options;
    if (!Number.isFinite(perMinute) || perMinute <= 0)
      throw new TypeError(`TokenBucket option perMinute: expected a number > 0, got ${String(perMinute)}`);
    this.perMinute = perMinute;
    this.burst = Math.min(perMinute / 2, options.burst ?? Math.max(1, Math.ceil(perMinute * 0.03)));
    this.headroom = options.headroom ?? Math.max(1, Math.floor(this.burst / 2));
    this.ratePerMs = (perMinute - this.burst) / MINUTE_MS;
    this.clock = options.clock;
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  /** Tokens in the bucket now (may be below zero after a call dearer than estimated). */
  get level(): number {
    this.refill();
    return this.tokens;
  }

  /** The sustained rate, per minute. */
  get refillPerMinute(): number {
    return this.ratePerMs * MINUTE_MS;
  }

  /** What was spent in the last rolling minute. */
  spentLastMinute(): number {
    this.trim();
    return this.spentSum;
  }

  /**
   * Milliseconds until a call costing `cost` may go (0: now). `reserve` tokens must stay in the
   * bucket afterwards (the headroom background work leaves for changes).
   */
  waitMs(cost: number, reserve = 0): number {
    this.refill();
    // A call dearer than the bucket goes when the bucket is full, and leaves it in debt.
    const need = Math.min(cost + reserve, this.burst);
    const tokenWait = this.tokens >= need ? 0 : Math.ceil((need - this.tokens) / this.ratePerMs);
    return Math.max(tokenWait, this.ceilingWaitMs(Math.min(cost, this.perMinute)), this.paceWaitMs(cost + reserve));
  }

  /** Spends `cost` now (the caller checked waitMs). */
  take(cost: number): void {
    this.refill();
    this.tokens -= cost;
    this.lastTakeAt = this.clock.now();
    if (this.vendor) this.vendor.takenSince += cost;
    this.spent.push({ at: this.clock.now(), cost });
    this.spentSum += cost;
  }

  /** The vendor charged `actual` for a call taken at `estimated` (e.g. Freshservice include credits). */
  settle(estimated: number, actual: number): void {
    if (!Number.isFinite(actual) || actual < 0 || actual === estimated) return;
    this.refill();
    this.tokens -= actual - estimated;
    this.spent.push({ at: this.clock.now(), cost: actual - estimated });
    this.spentSum += actual - estimated;
  }

  /** The vendor says only `remaining` is left (other apps share the account): never hold more. */
  clampTo(remaining: number): void {
    if (!Number.isFinite(remaining)) return;
    this.refill();
    this.tokens = Math.min(this.tokens, Math.max(0, remaining));
  }

  /**
   * The vendor's own count after a call: `remaining` of `total` left in its window of `windowMs`
   * (Freshservice `X-Ratelimit-Remaining`/`-Total`, shared with every app on the account). The
   * bucket never holds more than is left, and once the window's restart has been seen (remaining
   * jumping back up by more than a quarter of the total) what is left is spread evenly over the
   * time to the next restart, so the flow slows instead of running dry and stopping.
   */
  observe(remaining: number, total: number, windowMs = MINUTE_MS): void {
    if (!Number.isFinite(remaining) || !Number.isFinite(total) || total <= 0 || !(windowMs > 0)) return;
    this.clampTo(remaining);
    const now = this.clock.now();
    const previous = this.vendor === null ? null : this.vendor.remaining - this.vendor.takenSince;
    if (previous !== null && remaining - previous > total / 4) this.windowStart = now;
    this.windowMs = windowMs;
    this.vendor = { remaining, at: now, takenSince: 0 };
  }

  /** Milliseconds until a call costing `cost` keeps the vendor's remaining spread to its window's restart. */
  private paceWaitMs(cost: number): number {
    if (this.vendor === null || this.windowStart === null) return 0;
    const now = this.clock.now();
    const elapsed = (now - this.windowStart) % this.windowMs;
    const untilRestart = this.windowMs - elapsed;
    if (this.vendor.at < now - elapsed) return 0; // the window restarted since the vendor last answered
    const left = this.vendor.remaining - this.vendor.takenSince;
    if (left < cost) return Math.ceil(untilRestart);
    const interval = (untilRestart * cost) / left;
    return Math.max(0, Math.ceil(this.lastTakeAt + interval - now));
  }

  /** A 429: the vendor's budget is spent, so after the pause the flow restarts at the refill rate. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.refilledAt) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.ratePerMs);
    }
    this.refilledAt = Math.max(this.refilledAt, now);
  }

  /** Milliseconds until the last rolling minute has room for `cost` more. */
  private ceilingWaitMs(cost: number): number {
    this.trim();
    let excess = this.spentSum + cost - this.perMinute;
    if (excess <= 0) return 0;
    const now = this.clock.now();
    for (const entry of this.spent) {
      excess -= entry.cost;
      if (excess <= 0) return Math.max(1, entry.at + MINUTE_MS - now);
    }
    return MINUTE_MS;
  }

  private trim(): void {
    const cutoff = this.clock.now() - MINUTE_MS;
    let drop = 0;
    while (drop < this.spent.length && this.spent[drop]!.at <= cutoff) this.spentSum -= this.spent[drop++]!.cost;
    if (drop > 0) this.spent.splice(0, drop);
  }
}
