// The system queue's pauses: a vendor's wait is bounded by the cap, a later and shorter signal
// shortens the pause, and the pause in force is visible (reason, end, what was asked for).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentPriority, withPriority, type Priority } from './priority.js';
import { SystemQueue } from './queue.js';
import type { Logger } from './types.js';

function recordingLogger(): Logger & { warnings: Array<{ obj: object; msg?: string }> } {
  const warnings: Array<{ obj: object; msg?: string }> = [];
  const skip = (): void => undefined;
  return {
    warnings,
    trace: skip,
    debug: skip,
    info: skip,
    warn: (obj: object, msg?: string) => warnings.push(msg === undefined ? { obj } : { obj, msg }),
    error: skip,
    child() {
      return this;
    },
  } as unknown as Logger & { warnings: Array<{ obj: object; msg?: string }> };
}

describe('SystemQueue pauses', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-05T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('caps a 999999-second Retry-After at maxWaitMs, warns once and shows the capped pause', async () => {
    const logger = recordingLogger();
    const queue = new SystemQueue({ system: 'fs', maxWaitMs: 300_000, logger });
    queue.pauseFor(999_999_000);
    expect(queue.stats().pause).toEqual({
      reason: 'rate_limited',
      until: Date.parse('2026-01-05T09:05:00Z'),
      requestedMs: 999_999_000,
      capped: true,
    });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.msg).toContain('rateLimit.maxWaitSeconds');
    expect(logger.warnings[0]!.obj).toMatchObject({ system: 'fs', requestedMs: 999_999_000, maxWaitMs: 300_000 });

    let ran = false;
    const task = queue.add(async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(299_000);
    expect(ran).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await task;
    expect(ran).toBe(true);
    expect(queue.stats().pause).toBeNull();
    queue.stop();
  });

  it('lets a later, shorter Retry-After shorten the pause in force', async () => {
    const queue = new SystemQueue({ system: 'fs', maxWaitMs: 300_000 });
    queue.pauseFor(999_999_000);
    queue.pauseFor(5_000);
    expect(queue.stats().pause).toMatchObject({ until: Date.parse('2026-01-05T09:00:05Z'), capped: false });
    let ran = false;
    const task = queue.add(async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(5_000);
    await task;
    expect(ran).toBe(true);
    queue.stop();
  });

  it('never lets a budget slow-down shorten a vendor 429', () => {
    const queue = new SystemQueue({ system: 'fs' });
    queue.pauseFor(60_000);
    queue.pauseFor(500, 'budget');
    expect(queue.stats().pause).toMatchObject({ reason: 'rate_limited', until: Date.now() + 60_000 });
    queue.stop();
  });
});

describe('SystemQueue budget and priorities', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-05T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves changes first, then discovery, then background, whatever the order they were queued in', async () => {
    const queue = new SystemQueue({ system: 'fs', concurrency: 1, intervalCap: 600 });
    queue.pauseFor(1_000); // everything below queues behind a 429
    const order: string[] = [];
    const call = (name: string, priority: Priority): Promise<void> =>
      queue.add(async () => void order.push(name), { priority });
    const all = [
      call('reconcile 1', 'background'),
      call('listing 1', 'discovery'),
      call('reconcile 2', 'background'),
      call('change 1', 'change'),
      withPriority('discovery', () => call('listing 2', currentPriority())),
      withPriority('change', () => queue.add(async () => void order.push('change 2'))),
    ];
    expect(queue.stats().queued).toEqual({ change: 2, discovery: 2, background: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all(all);
    expect(order).toEqual(['change 1', 'change 2', 'listing 1', 'listing 2', 'reconcile 1', 'reconcile 2']);
    queue.stop();
  });

  it('keeps a backlog flowing at the bucket rate: no gap longer than one refill, never over the rate in a minute', async () => {
    const queue = new SystemQueue({ system: 'fs', concurrency: 4, intervalCap: 200 });
    const started: number[] = [];
    const backlog = Array.from({ length: 400 }, () =>
      queue.add(async () => void started.push(Date.now()), { priority: 'background' }),
    );
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    await Promise.all(backlog);
    const gaps = started.slice(1).map((t, i) => t - started[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(Math.ceil(60_000 / 194) + 1);
    for (const t of started) expect(started.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(200);
    queue.stop();
  });

  it('lets a change through while background work waits for headroom', async () => {
    const queue = new SystemQueue({ system: 'fs', concurrency: 8, intervalCap: 600 });
    const ran: string[] = [];
    const background = Array.from({ length: 30 }, (_, i) =>
      queue.add(async () => void ran.push(`bg ${i}`), { priority: 'background' }),
    );
    await vi.advanceTimersByTimeAsync(0);
    const ranBefore = ran.length;
    const change = queue.add(async () => void ran.push('change'), { priority: 'change' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toContain('change');
    expect(ran.length).toBe(ranBefore + 1);
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all([...background, change]);
    queue.stop();
  });

  it('shows the budget used and left, what waits by priority and the time to drain', () => {
    const queue = new SystemQueue({ system: 'fs', concurrency: 1, intervalCap: 60 });
    queue.pauseFor(10_000);
    for (let i = 0; i < 5; i++)
      void queue.add(async () => undefined, { priority: 'discovery', cost: 3 }).catch(() => 0);
    const stats = queue.stats();
    expect(stats.queued).toEqual({ change: 0, discovery: 5, background: 0 });
    expect(stats.budget).toMatchObject({ perMinute: 60, usedLastMinute: 0, leftThisMinute: 60, queuedCost: 15 });
    // 10 s of pause, then 15 credits at 58 a minute (the 429 emptied the bucket).
    expect(stats.budget!.drainMs).toBe(10_000 + Math.ceil((15 * 60_000) / 58));
    queue.stop();
  });

  it('refuses the calls still waiting when stopped, so a shutdown never waits for a backlog', async () => {
    const queue = new SystemQueue({ system: 'fs', concurrency: 1, intervalCap: 60 });
    queue.pauseFor(60_000);
    const waiting = queue.add(async () => 'sent');
    queue.stop();
    await expect(waiting).rejects.toThrow('fs: request abandoned, the daemon is stopping');
    await expect(queue.add(async () => 'late')).rejects.toThrow('abandoned');
    await queue.onIdle();
  });
});
