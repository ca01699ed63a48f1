// Which kind of work a remote call serves, carried by AsyncLocalStorage so the engine can say it
// once around a poll, a pass or a reconcile and the HTTP layer reads it when it enqueues a
// request, without threading it through every connector signature.
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * `change`: a pass for an edit or create people wait for (webhook- or poll-detected);
 * `discovery`: poll listings; `background`: overlap re-reads, reconcile, drift audits.
 */
export type Priority = 'change' | 'discovery' | 'background';

/** Highest first: the order a system's queue serves them in. */
export const PRIORITIES: readonly Priority[] = ['change', 'discovery', 'background'];

const current = new AsyncLocalStorage<Priority>();

/** Runs `fn` with every remote call it makes (however deep) queued at `priority`. */
export function withPriority<T>(priority: Priority, fn: () => T): T {
  return current.run(priority, fn);
}

/** The priority of the work running now; `change` outside any (a person asked for it). */
export function currentPriority(): Priority {
  return current.getStore() ?? 'change';
}
