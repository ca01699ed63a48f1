import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Ledger } from './ledger/types.js';
import { Scheduler } from './scheduler.js';

/** A ledger whose lease on `busy` is held by another instance for its first `refusals` claims. */
function leases(busy: string, refusals: number, log: string[]): Ledger {
  let refused = 0;
  const ledger: Pick<Ledger, 'claim' | 'release'> = {
    async claim(key) {
      const granted = key !== busy || refused++ >= refusals;
      log.push(`claim ${key} ${granted ? 'granted' : 'refused'}`);
      return granted;
    },
    async release() {},
  };
  return ledger as Ledger;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler', () => {
  it('waits for a lease another instance holds outside its slot: other work runs meanwhile', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const ledger = leases('link:1', 2, log);
    const scheduler = new Scheduler({ ledger, instanceId: 'me', leaseMs: 30_000, concurrency: 1 });
    const first = scheduler.exclusive('conn', 'link:1', async () => void log.push('pass on link 1'));
    const second = scheduler.exclusive('conn', 'link:2', async () => void log.push('pass on link 2'));
    // No time passes: link 1 is waiting for its lease, and the one slot is free for link 2.
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['claim link:1 refused', 'claim link:2 granted', 'pass on link 2']);
    expect(scheduler.depth('conn')).toEqual({ waiting: 0, running: 0 });
    await second;
    await vi.runAllTimersAsync();
    await first;
    expect(log.slice(3)).toEqual(['claim link:1 refused', 'claim link:1 granted', 'pass on link 1']);
  });
});
