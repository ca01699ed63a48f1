// The token bucket on a hand-moved clock: what it lets through in any rolling minute, how it
// refills (continuously, not per window), and the headroom background work leaves for changes.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/manual-clock.js';
import { TokenBucket } from './budget.js';

/** Takes `cost` whenever the bucket allows, in 10 ms steps over `minutes`; the times it took. */
function greedy(bucket: TokenBucket, clock: ManualClock, minutes: number, cost = 1, charged = cost): number[] {
  const taken: number[] = [];
  const end = clock.now() + minutes * 60_000;
  while (clock.now() < end) {
    while (bucket.waitMs(cost) === 0) {
      bucket.take(cost);
      if (charged !== cost) bucket.settle(cost, charged);
      taken.push(clock.now());
    }
    clock.advance(10);
  }
  return taken;
}

/** The most takes in any window of 60 s (windows start at each take). */
function busiestMinute(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j]! <= times[i]! - 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('TokenBucket', () => {
  it.each([10, 60, 200, 600])('never lets more than %i calls through in any rolling minute', (perMinute) => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute, clock });
    const taken = greedy(bucket, clock, 5);
    expect(busiestMinute(taken)).toBeLessThanOrEqual(perMinute);
    // ...and keeps flowing at its refill rate the whole time, which is 97 % of a 200/min ceiling.
    expect(taken.length).toBeGreaterThanOrEqual(Math.floor(bucket.refillPerMinute * 5));
    if (perMinute >= 200) expect(taken.length).toBeGreaterThanOrEqual(perMinute * 5 * 0.95);
  });

  it('holds the ceiling when the vendor charges more than estimated (include credits)', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 200, clock });
    const taken = greedy(bucket, clock, 3, 1, 3); // estimated 1, charged 3
    expect(busiestMinute(taken) * 3).toBeLessThanOrEqual(200 + 3);
  });

  it('refills continuously: a drained bucket has a call again within a fraction of a second, not a minute', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 600, clock });
    while (bucket.waitMs(1) === 0) bucket.take(1);
    const wait = bucket.waitMs(1);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(Math.ceil(60_000 / bucket.refillPerMinute));
    clock.advance(wait);
    expect(bucket.waitMs(1)).toBe(0);
  });

  it('makes background work leave headroom that a change may still use', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 600, clock });
    while (bucket.waitMs(1, bucket.headroom) === 0) bucket.take(1);
    expect(bucket.waitMs(1, bucket.headroom), 'background yields').toBeGreaterThan(0);
    expect(bucket.waitMs(1), 'a change still goes').toBe(0);
    expect(bucket.level).toBeGreaterThanOrEqual(bucket.headroom - 1);
  });

  it('holds no more than the vendor says is left, and nothing after a 429', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 600, clock });
    bucket.clampTo(0);
    expect(bucket.waitMs(1)).toBeGreaterThan(0);
    clock.advance(60_000);
    expect(bucket.waitMs(1)).toBe(0);
    bucket.drain();
    expect(bucket.level).toBeLessThanOrEqual(0);
  });

  /**
   * A vendor with a fixed per-minute window shared with other apps (the Freshservice simulator's
   * reading): calls as the bucket allows them, each answered with what the window has left.
   */
  function sharedWindow(clock: ManualClock, total: number, othersAtStart: number) {
    let windowStart = clock.now();
    let used = othersAtStart;
    return {
      call(): { ok: boolean; remaining: number } {
        if (clock.now() - windowStart >= 60_000) {
          windowStart = clock.now();
          used = 0;
        }
        if (used + 1 > total) return { ok: false, remaining: 0 };
        used += 1;
        return { ok: true, remaining: total - used };
      },
      spendOthers(n: number) {
        used += n;
      },
    };
  }

  it("spreads what the vendor's window has left to its restart: no 429 and no second-long silence", () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 200, clock });
    const vendor = sharedWindow(clock, 200, 0);
    const starts: number[] = [];
    let refused = 0;
    const run = (ms: number): void => {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        while (bucket.waitMs(1) === 0) {
          bucket.take(1);
          const answer = vendor.call();
          if (!answer.ok) refused++;
          else starts.push(clock.now());
          bucket.observe(answer.remaining, 200);
        }
        clock.advance(10);
      }
    };
    run(90_000); // the first window and a restart seen
    const from = starts.length;
    vendor.spendOthers(60); // other apps on the account spend 60 credits at once
    run(120_000);
    const gaps = starts.slice(from).map((t, k) => t - (starts[from + k - 1] ?? t));
    expect(refused).toBe(0);
    expect(Math.max(...gaps)).toBeLessThan(1000);
    // Still most of what the vendor allows: at least 80 % of 2 minutes x 200, less what others spent.
    expect(starts.length - from).toBeGreaterThan(0.8 * (400 - 60));
  });

  it('paces nothing until the window has been seen to restart', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perMinute: 200, clock });
    bucket.observe(150, 200);
    bucket.take(1);
    expect(bucket.waitMs(1)).toBe(0);
  });
});
