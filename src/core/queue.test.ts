// The system queue's pauses: a vendor's wait is bounded by the cap, a later and shorter signal
// shortens the pause, and the pause in force is visible (reason, end, what was asked for).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
