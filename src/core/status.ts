// What the engine reports on /status: per connection and side, the last poll, the cursor, the
// lag, the system's request queue and what the system can do; and the ledger's counts.
import type { DriftStatus } from './drift-runs.js';
import type { FirstSyncProgress } from './catch-up.js';
import type { Ledger } from './ledger/types.js';
import type { PauseState } from './pauses.js';
import type { SystemQueueStats } from './queue.js';
import type { ConnectionRuntime } from './runtime.js';
import type { CapabilityKey, Clock, Side } from './types.js';

export interface SideStatus {
  system: string;
  label: string;
  cursor: string | null;
  lastPollAt: string | null;
  lastSuccessfulPollAt: string | null;
  lastPollError: string | null;
  /** Milliseconds since the last successful poll began (null before the first). */
  lagMs: number | null;
  queue: SystemQueueStats | null;
  /** Which of the connector's capabilities its system supports. */
  capabilities: Record<CapabilityKey, boolean>;
}

export interface ConnectionStatus {
  name: string;
  enabled: boolean;
  /** Why nothing of this connection is synced right now, when it is paused. */
  paused: PauseState | null;
  /** The first sync (or the catch-up round after a start) as it progresses; null before it ran. */
  firstSync: FirstSyncProgress | null;
  sides: Record<Side, SideStatus>;
  links: number;
  activeLinks: number;
  openErrors: number;
  openConflicts: number;
  pendingIntents: number;
  reconcile: ReconcileEstimate;
  /** The last drift audit and the one running now. */
  drift: DriftStatus;
}

/** What a full reconcile of a connection costs at the configured limits. */
export interface ReconcileEstimate {
  /** Calls it makes on each side: one read per active link (comments only where a ticket moved). */
  calls: Record<Side, number>;
  /** How long it takes, the slower side's calls at its budget's refill rate; null without a budget. */
  estimatedMs: number | null;
}

/**
 * A full reconcile reads every active link's ticket on both sides once; each side's system sends
 * those reads at its budget's rate (other connections on the same system share it, so more then).
 */
export function reconcileEstimate(activeLinks: number, perMinute: Record<Side, number | null>): ReconcileEstimate {
  const calls = { a: activeLinks, b: activeLinks };
  const ms = (['a', 'b'] as const).map((side) => {
    const rate = perMinute[side];
    return rate === null || rate <= 0 ? null : Math.ceil((calls[side] / rate) * 60_000);
  });
  const estimatedMs = ms.includes(null) ? null : Math.max(...(ms as number[]));
  return { calls, estimatedMs };
}

export async function connectionStatus(
  deps: { ledger: Ledger; clock: Clock; pollStarted: ReadonlyMap<string, number> },
  rt: ConnectionRuntime,
): Promise<Omit<ConnectionStatus, 'paused' | 'drift' | 'firstSync'>> {
  const counts = await deps.ledger.counts(rt.name);
  const sides = {} as Record<Side, SideStatus>;
  for (const side of ['a', 'b'] as const) {
    const cursor = await deps.ledger.getCursor(rt.name, side);
    const started =
      deps.pollStarted.get(`${rt.name}:${side}`) ?? (cursor.lastSuccessAt ? Date.parse(cursor.lastSuccessAt) : null);
    const s = rt.sides[side];
    sides[side] = {
      system: s.system,
      label: s.label,
      cursor: cursor.since,
      lastPollAt: cursor.lastPollAt,
      lastSuccessfulPollAt: cursor.lastSuccessAt,
      lastPollError: cursor.lastError,
      lagMs: started === null ? null : Math.max(0, deps.clock.now() - started),
      queue: s.queue ? s.queue.stats() : null,
      capabilities: Object.fromEntries(
        Object.entries(s.connector.facts.capabilities).map(([key, c]) => [key, c.supported]),
      ) as Record<CapabilityKey, boolean>,
    };
  }
  return {
    name: rt.name,
    enabled: rt.config.enabled,
    sides,
    links: counts.links,
    activeLinks: counts.activeLinks,
    openErrors: counts.openErrors,
    openConflicts: counts.openConflicts,
    pendingIntents: counts.pendingIntents,
    reconcile: reconcileEstimate(counts.activeLinks, {
      a: sides.a.queue?.budget?.refillPerMinute ?? null,
      b: sides.b.queue?.budget?.refillPerMinute ?? null,
    }),
  };
}
