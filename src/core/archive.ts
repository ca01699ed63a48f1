// Archiving (`lifecycle.stopAfterClosedDays`): a link whose tickets have both been closed that
// long leaves the reconcile (it is no longer read every night) but stays in the ledger, findable
// and auditable. A change to either ticket (webhook or poll) makes it active again.
import type { Ledger, Link, NewEvent, PassCommit } from './ledger/types.js';
import { sideNames, type ConnectionRuntime } from './runtime.js';
import { sideName } from './sync/words.js';
import { shownKey } from './ticket-ref.js';
import { seenVersion } from './sync/versions.js';
import type { Side, Ticket } from './types.js';

const DAY_MS = 86_400_000;

/** What a pass learned about the link's closing: a new `closedSince` (undefined: unchanged), and whether it is due to be archived. */
export interface Closure {
  closedSince: string | null | undefined;
  archive: boolean;
}

/** Closed on both sides since when (a pass that sees both closed starts the clock; one open stops it). */
export function closureOf(days: number | undefined, link: Link, tickets: Record<Side, Ticket>, nowMs: number): Closure {
  const bothClosed = tickets.a.closed === true && tickets.b.closed === true;
  if (!bothClosed) return { closedSince: link.closedSince === null ? undefined : null, archive: false };
  if (link.closedSince === null) return { closedSince: new Date(nowMs).toISOString(), archive: days === 0 };
  const due = days !== undefined && nowMs - Date.parse(link.closedSince) >= days * DAY_MS;
  return { closedSince: undefined, archive: due };
}

/** The event of a pair closed on both sides that a pass sees open again on one; null otherwise. */
export function reopenedEvent(
  rt: ConnectionRuntime,
  link: Link,
  tickets: Record<Side, Ticket>,
  closure: Closure,
): NewEvent | null {
  if (closure.closedSince !== null) return null;
  const side: Side = tickets.a.closed === true ? 'b' : 'a';
  const ticket = shownKey(side === 'a' ? link.aId : link.bId, side === 'a' ? link.aKey : link.bKey);
  return {
    connection: rt.name,
    linkId: link.id,
    side,
    field: null,
    kind: 'ticket_reopened',
    oldValue: null,
    newValue: null,
    reason: `${sideName(sideNames(rt).labels, side)} ticket ${ticket} was reopened after both tickets were closed`,
  };
}

/**
 * The event of a pair a pass sees closed on both sides for the first time (people closed both
 * tickets, or the twin followed a mapped status); null otherwise. The report counts it as closed.
 */
export function pairClosedEvent(
  rt: ConnectionRuntime,
  link: Link,
  tickets: Record<Side, Ticket>,
  closure: Closure,
): NewEvent | null {
  if (typeof closure.closedSince !== 'string' || link.closedSince !== null) return null;
  if (tickets.a.closed !== true || tickets.b.closed !== true) return null;
  const { labels } = sideNames(rt);
  return {
    connection: rt.name,
    linkId: link.id,
    side: null,
    field: null,
    kind: 'pair_closed',
    oldValue: null,
    newValue: null,
    reason: `both tickets are closed: ${shownKey(link.aId, link.aKey)} on ${sideName(labels, 'a')} and ${shownKey(link.bId, link.bKey)} on ${sideName(labels, 'b')}`,
  };
}

/** What a pass records of the pair's closing: closed on both sides, or reopened. */
export function closureEvents(
  rt: ConnectionRuntime,
  link: Link,
  tickets: Record<Side, Ticket>,
  closure: Closure,
): NewEvent[] {
  return [reopenedEvent(rt, link, tickets, closure), pairClosedEvent(rt, link, tickets, closure)].filter(
    (e): e is NewEvent => e !== null,
  );
}

/** Commits the closing a pass that changed nothing else learned; archives the link when due. */
export async function commitClosure(
  ledger: Ledger,
  rt: ConnectionRuntime,
  link: Link,
  closure: Closure,
  events: readonly NewEvent[] = [],
): Promise<'changed' | 'noop'> {
  const commit: PassCommit = { connection: rt.name, linkId: link.id, events: [...events] };
  if (closure.closedSince !== undefined) commit.closedSince = closure.closedSince;
  if (closure.archive) archiveInto(commit, rt, link);
  await ledger.commit(commit);
  rt.logger.info(
    { linkId: link.id, archived: closure.archive },
    closure.archive ? 'link archived' : 'link closed on both sides',
  );
  return closure.archive ? 'changed' : 'noop';
}

/** Makes a pass's commit archive the link (its events must be a list). */
export function archiveInto(commit: PassCommit, rt: ConnectionRuntime, link: Link): void {
  const days = rt.config.lifecycle.stopAfterClosedDays ?? 0;
  const reason = `both tickets closed for ${days} day${days === 1 ? '' : 's'}: archived, no longer reconciled (lifecycle.stopAfterClosedDays: ${days})`;
  commit.linkState = { state: 'archived', note: reason };
  commit.events!.push({
    connection: rt.name,
    linkId: link.id,
    side: null,
    field: null,
    kind: 'link_archived',
    oldValue: null,
    newValue: null,
    reason,
  });
}

/**
 * An archived link whose ticket changed wakes up (active again, the closing clock started afresh
 * from now); a hint carrying the version the ledger already holds (a listing re-reading old
 * tickets) leaves it asleep. The pair stays "closed on both sides" until the pass that follows
 * reads it, so a ticket reopened while archived records `ticket_reopened` there like any other.
 */
export async function wakeArchived(
  ledger: Ledger,
  rt: ConnectionRuntime,
  link: Link,
  side: Side,
  given: Ticket | undefined,
  nowMs: number,
): Promise<boolean> {
  const stored = side === 'a' ? link.aVersion : link.bVersion;
  if (given && stored !== null && seenVersion(rt.fields, side, given) === stored) return false;
  const ticket = shownKey(side === 'a' ? link.aId : link.bId, side === 'a' ? link.aKey : link.bKey);
  const reason = `${sideName(sideNames(rt).labels, side)} ticket ${ticket} changed: the archived link syncs again`;
  await ledger.commit({
    connection: rt.name,
    linkId: link.id,
    linkState: { state: 'active', note: null },
    closedSince: new Date(nowMs).toISOString(),
    events: [
      {
        connection: rt.name,
        linkId: link.id,
        side,
        field: null,
        kind: 'link_unarchived',
        oldValue: null,
        newValue: null,
        reason,
      },
    ],
  });
  return true;
}
