// The reconcile: a pass over every active link of the connections that are not paused, as
// background work. The scheduled run skips links a pass read on both sides since its last run and
// starts the rest evenly over most of the interval, so their reads spread over it.
import type { Ledger } from './ledger/types.js';
import type { Pauses } from './pauses.js';
import type { Runner } from './runner.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Scheduler } from './scheduler.js';

export interface ReconcileDeps {
  ledger: Ledger;
  pauses: Pauses;
  scheduler: Scheduler;
  runner: Runner;
  /** When each link was last read on both sides by a pass. */
  readLinks: ReadonlyMap<string, number>;
  /** Aborted when the engine stops: no further pass is started. */
  stopped: AbortSignal;
}

/** Spreading for the scheduled run: skip links read since `readSince`, start the rest over `spreadMs`. */
export interface ReconcilePlan {
  readSince?: number;
  spreadMs?: number;
}

/** Runs a pass over each due link of `runtimes`; resolves with how many were started, when all have run. */
export async function reconcileLinks(
  deps: ReconcileDeps,
  runtimes: Iterable<ConnectionRuntime>,
  plan: ReconcilePlan = {},
): Promise<number> {
  let count = 0;
  await deps.pauses.refresh();
  const due = await dueLinks(deps, runtimes, plan.readSince);
  const gapMs = plan.spreadMs === undefined || due.length === 0 ? 0 : plan.spreadMs / due.length;
  const passes: Promise<unknown>[] = [];
  for (const { rt, id } of due) {
    if (deps.stopped.aborted) break;
    passes.push(deps.scheduler.track(deps.runner.linkPass(rt, id, {}).catch(() => undefined)));
    count++;
    if (gapMs >= 1) await sleepUnlessStopped(gapMs, deps.stopped);
    else if (passes.length % 500 === 0) await Promise.all(passes.splice(0));
  }
  await Promise.all(passes);
  return count;
}

/** The active links of the connections not paused, paged from the ledger, less those read since `readSince`. */
async function dueLinks(
  deps: ReconcileDeps,
  runtimes: Iterable<ConnectionRuntime>,
  readSince: number | undefined,
): Promise<Array<{ rt: ConnectionRuntime; id: string }>> {
  const due: Array<{ rt: ConnectionRuntime; id: string }> = [];
  for (const rt of runtimes) {
    if (deps.pauses.isPaused(rt.name)) continue;
    for (let after: string | null = null; ;) {
      const ids = await deps.ledger.linkIds(rt.name, 'active', after, 500);
      if (ids.length === 0) break;
      for (const id of ids)
        if (readSince === undefined || (deps.readLinks.get(id) ?? -Infinity) < readSince) due.push({ rt, id });
      after = ids[ids.length - 1]!;
    }
  }
  return due;
}

/** Waits `ms`, or less when the engine stops. */
function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
