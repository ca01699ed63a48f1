// The SLA watch: breaches are recorded when a clock falls due, not when the ticket next moves.
// The engine runs it on a timer set for the next due time (and at least every watch interval);
// each overdue clock is re-checked alone on its link (no pass at the same time), recorded as an
// `sla_breached` event and told to its policy's contacts.
import { linkUrls } from './ticket-urls.js';
import type { Ledger, SyncEvent } from './ledger/types.js';
import { deliver, type Notifier } from './notify.js';
import type { ConnectionRuntime } from './runtime.js';
import { breachEvent, slaClocks, type SlaClock } from './sla.js';
import type { Clock } from './types.js';

/** Escalations older than this are not watched (no SLA of a policy runs this long). */
const WATCH_DAYS = 90;

export interface SlaWatchDeps {
  ledger: Ledger;
  clock: Clock;
  notifier?: Notifier | undefined;
  runtimes: ReadonlyMap<string, ConnectionRuntime>;
  /** Runs `fn` alone on a link (the scheduler's exclusive slot). */
  exclusive<T>(connection: string, linkId: string, fn: () => Promise<T>): Promise<T>;
  paused(connection: string): boolean;
}

async function eventsOf(ledger: Ledger, connection: string, fromIso: string, linkId?: string): Promise<SyncEvent[]> {
  const kinds = ['escalation', 'sla_met', 'sla_breached'] as const;
  const pages = await Promise.all(
    kinds.map((kind) =>
      ledger.listEvents({ connection, kind, from: fromIso, limit: 10_000, ...(linkId ? { linkId } : {}) }),
    ),
  );
  return pages.flatMap((p) => p.items);
}

/** Records every overdue clock as breached; returns the next due time of the clocks still running. */
export async function checkSlaClocks(deps: SlaWatchDeps): Promise<{ breached: SlaClock[]; nextDueMs: number | null }> {
  const nowMs = deps.clock.now();
  const fromIso = new Date(nowMs - WATCH_DAYS * 86_400_000).toISOString();
  const breached: SlaClock[] = [];
  let nextDueMs: number | null = null;
  for (const rt of deps.runtimes.values()) {
    if (!rt.config.enabled || deps.paused(rt.name) || !rt.config.escalations.some((p) => p.sla)) continue;
    const running = slaClocks(await eventsOf(deps.ledger, rt.name, fromIso)).filter((c) => c.state === 'running');
    for (const clock of running) {
      const dueMs = Date.parse(clock.dueAt);
      if (dueMs > nowMs) {
        nextDueMs = nextDueMs === null ? dueMs : Math.min(nextDueMs, dueMs);
        continue;
      }
      if (await breach(deps, rt, clock, fromIso)) breached.push(clock);
    }
  }
  return { breached, nextDueMs };
}

/** Records one breach, alone on its link and only if the clock still runs; then tells the contacts. */
async function breach(deps: SlaWatchDeps, rt: ConnectionRuntime, clock: SlaClock, fromIso: string): Promise<boolean> {
  const recorded = await deps.exclusive(rt.name, clock.linkId, async () => {
    const again = slaClocks(await eventsOf(deps.ledger, rt.name, fromIso, clock.linkId)).find(
      (c) => c.policy === clock.policy && c.clock === clock.clock,
    );
    if (!again || again.state !== 'running') return false;
    await deps.ledger.appendEvents([breachEvent(again)]);
    return true;
  });
  if (!recorded) return false;
  rt.logger.warn(
    { linkId: clock.linkId, policy: clock.policy, clock: clock.clock, dueAt: clock.dueAt },
    'SLA breached',
  );
  const policy = rt.config.escalations.find((p) => p.name === clock.policy);
  if (policy && policy.contacts.length > 0) {
    const link = await deps.ledger.getLink(clock.linkId);
    const event = breachEvent(clock);
    await deliver(
      deps,
      {
        kind: 'sla_breach',
        channels: policy.contacts,
        title: `SLA breached: ${clock.label}`,
        text: `${event.reason}.\n${rt.sides.a.label} ticket ${link?.aKey ?? link?.aId ?? '?'} ⇄ ${rt.sides.b.label} ticket ${link?.bKey ?? link?.bId ?? '?'} (${rt.name}).`,
        connection: rt.name,
        linkId: clock.linkId,
        links: await linkUrls(rt, link),
      },
      (err) => rt.logger.warn({ linkId: clock.linkId, err }, 'notification failed'),
    );
  }
  return true;
}

/**
 * One round of the SLA watch as the engine runs it: pauses read afresh from the ledger, every
 * overdue clock recorded; how many breached and the next due time of those still running.
 */
export async function slaRound(
  deps: Omit<SlaWatchDeps, 'paused'>,
  pauses: { refresh(): Promise<void>; isPaused(connection: string): boolean },
): Promise<{ breached: number; nextDueMs: number | null }> {
  await pauses.refresh();
  const { breached, nextDueMs } = await checkSlaClocks({ ...deps, paused: (name) => pauses.isPaused(name) });
  return { breached: breached.length, nextDueMs };
}
