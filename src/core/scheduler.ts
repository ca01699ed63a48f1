// Where passes wait their turn: hints for the same ticket coalesce into at most one more run,
// passes of one link run one at a time, each connection has its own pool of slots (so a
// throttled system never holds capacity another connection needs), and with PostgreSQL a pass
// holds a ledger lease. A lease is waited for outside a slot, so a busy link never blocks others.
import PQueue from 'p-queue';
import { LeaseBusyError } from './errors.js';
import type { Ledger } from './ledger/types.js';
import { currentPriority, withPriority } from './priority.js';
import { KeyedMutex, KeyedSerializer } from './serializer.js';

export interface SchedulerOptions {
  ledger: Ledger;
  /** Identity of this instance for ledger leases. */
  instanceId: string;
  leaseMs: number;
  /** Passes running at once per connection. */
  concurrency: number;
}

/** How often, and how long between tries, a lease held by another instance is asked for again. */
const LEASE_TRIES = 10;
const leasePauseMs = (attempt: number): number => 100 + attempt * 50;

export class Scheduler {
  private readonly pools = new Map<string, PQueue>();
  private readonly serializer = new KeyedSerializer();
  private readonly mutex = new KeyedMutex();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: SchedulerOptions) {}

  /** Runs `run` for `key`, or once more after the running one if the key is busy (hints coalesce). */
  coalesce(key: string, run: () => Promise<void>): Promise<void> {
    return this.track(this.serializer.schedule(key, run));
  }

  /** Runs `fn` alone for `key` (in this process), under a lease on it, in a slot of `pool`. */
  exclusive<T>(pool: string, key: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.with(key, () => this.leased(pool, key, fn));
  }

  /** Keeps `p` in the set `onIdle` waits for. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Passes waiting for a slot and running, per pool. */
  depth(pool: string): { waiting: number; running: number } {
    const q = this.pools.get(pool);
    return { waiting: q?.size ?? 0, running: q?.pending ?? 0 };
  }

  /** Resolves when nothing is queued, waiting or running. */
  async onIdle(): Promise<void> {
    const busy = (): boolean =>
      this.inFlight.size > 0 ||
      this.serializer.size > 0 ||
      [...this.pools.values()].some((q) => q.size + q.pending > 0);
    while (busy()) {
      await Promise.allSettled([...this.inFlight]);
      await Promise.all([...this.pools.values()].map((q) => q.onIdle()));
    }
  }

  private pool(name: string): PQueue {
    let q = this.pools.get(name);
    if (!q) {
      q = new PQueue({ concurrency: this.options.concurrency });
      this.pools.set(name, q);
    }
    return q;
  }

  private async leased<T>(pool: string, key: string, fn: () => Promise<T>): Promise<T> {
    const { ledger, instanceId, leaseMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      // The pool may start the task from another task's continuation: keep this work's priority.
      const priority = currentPriority();
      const outcome = await this.pool(pool).add(() =>
        withPriority(priority, async () => {
          if (!(await ledger.claim(key, instanceId, leaseMs))) return { claimed: false as const };
          try {
            return { claimed: true as const, value: await fn() };
          } finally {
            await ledger.release(key, instanceId);
          }
        }),
      );
      if (outcome.claimed) return outcome.value;
      // Another instance's pass on the same key is short: wait for it outside the slot, then hand
      // the work to the retry loop rather than dropping it.
      if (attempt + 1 >= LEASE_TRIES)
        throw new LeaseBusyError(`${key} is being synced by another instance; retrying later`);
      await new Promise((resolve) => setTimeout(resolve, leasePauseMs(attempt)));
    }
  }
}
