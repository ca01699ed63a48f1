// The account-wide per-minute rate limit: every key, IP and app shares one bucket. Each response
// carries X-Ratelimit-Total / -Remaining / -Used-CurrentRequest; an exhausted bucket answers 429
// with Retry-After in whole seconds. The window length is configurable so tests need not wait.

export interface RateLimitSettings {
  /** Credits per window (the plan's per-minute limit). */
  perMinute: number;
  /** @default 60000 */
  windowMs: number;
}

export interface RateDecision {
  ok: boolean;
  headers: Record<string, string>;
  retryAfterSec?: number;
}

export class AccountRateLimit {
  settings: RateLimitSettings;
  private windowStart = 0;
  private used = 0;
  limited = 0;

  constructor(
    private readonly initial: RateLimitSettings,
    private readonly now: () => number,
  ) {
    this.settings = { ...initial };
  }

  configure(settings: Partial<RateLimitSettings>): RateLimitSettings {
    this.settings = { ...this.settings, ...settings };
    this.windowStart = 0;
    this.used = 0;
    return this.settings;
  }

  reset(): void {
    this.configure(this.initial);
    this.limited = 0;
  }

  consume(cost: number): RateDecision {
    const now = this.now();
    if (now - this.windowStart >= this.settings.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    const total = this.settings.perMinute;
    if (this.used + cost > total) {
      this.limited++;
      const retryAfterSec = Math.max(1, Math.ceil((this.windowStart + this.settings.windowMs - now) / 1000));
      return { ok: false, retryAfterSec, headers: this.headers(0) };
    }
    this.used += cost;
    return { ok: true, headers: this.headers(cost) };
  }

  private headers(cost: number): Record<string, string> {
    return {
      'X-Ratelimit-Total': String(this.settings.perMinute),
      'X-Ratelimit-Remaining': String(Math.max(0, this.settings.perMinute - this.used)),
      'X-Ratelimit-Used-CurrentRequest': String(cost),
    };
  }
}
