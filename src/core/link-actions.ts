// What a person can do with a link the engine stopped on (flagged: a ticket deleted or moved out of
// scope on one side), and with any link: close the surviving twin, unlink, or dismiss the flag and
// keep syncing. Each action records an event saying who asked, and settles the link's errors.
import { LinkRefusedError, NotFoundError, tagSubject } from './errors.js';
import type { Ledger, Link, NewEvent } from './ledger/types.js';
import { sideNames, type ConnectionRuntime } from './runtime.js';
import { sideName } from './sync/words.js';
import { shownKey } from './ticket-ref.js';
import { otherSide, type Side } from './types.js';

/** Note prefix of a link whose out-of-scope flag a person dismissed: scope no longer flags it. */
export const DISMISSED = 'dismissed: ';

export interface LinkActionDeps {
  ledger: Ledger;
}

function event(rt: ConnectionRuntime, link: Link, side: Side | null, kind: NewEvent['kind'], reason: string): NewEvent {
  return { connection: rt.name, linkId: link.id, side, field: null, kind, oldValue: null, newValue: null, reason };
}

/** "Freshservice INC-4 and ConnectWise #1234": both tickets of a link as people know them. */
function names(rt: ConnectionRuntime, link: Link): string {
  const labels = sideNames(rt).labels;
  return `${sideName(labels, 'a')} ${shownKey(link.aId, link.aKey)} and ${sideName(labels, 'b')} ${shownKey(link.bId, link.bKey)}`;
}

/** The side whose ticket went away, from the flag's note ("deleted on a (Freshservice)"). */
export function goneSide(link: Link): Side | null {
  const match = /\bon ([ab]) \(/.exec(link.note ?? '');
  return match ? (match[1] as Side) : null;
}

async function mustGet(ledger: Ledger, linkId: string): Promise<Link> {
  const link = await ledger.getLink(linkId);
  if (!link) throw new NotFoundError(`no link ${linkId}`);
  return link;
}

/** Closes the ticket that is still there on a flagged link and closes the link. */
export async function closeTwin(deps: LinkActionDeps, rt: ConnectionRuntime, linkId: string): Promise<Link> {
  const link = await mustGet(deps.ledger, linkId);
  if (link.state !== 'flagged')
    throw new LinkRefusedError(`link ${linkId} is ${link.state}: only a flagged link's twin is closed this way`);
  const gone = goneSide(link);
  if (gone === null) throw new LinkRefusedError(`link ${linkId}: its flag does not say which side's ticket went away`);
  const side = otherSide(gone);
  const twinId = side === 'a' ? link.aId : link.bId;
  await rt.sides[side].connector.closeTicket(twinId).catch((err: unknown) => {
    throw tagSubject(err, side, twinId);
  });
  const twinKey = shownKey(twinId, side === 'a' ? link.aKey : link.bKey);
  const reason = `a person closed the twin ${twinKey} on ${sideName(sideNames(rt).labels, side)} of a flagged link (${link.note ?? 'flagged'})`;
  await deps.ledger.commit({
    connection: rt.name,
    linkId,
    linkState: { state: 'closed', note: `${link.note ?? 'flagged'}; twin closed by a person` },
    events: [event(rt, link, side, 'ticket_closed', reason)],
    resolveErrorsFor: { linkId, reason: 'a person closed the twin' },
  });
  return mustGet(deps.ledger, linkId);
}

/** Ends a link: neither ticket is synced any more, and neither gets a new twin. */
export async function unlink(deps: LinkActionDeps, rt: ConnectionRuntime, linkId: string): Promise<Link> {
  const link = await mustGet(deps.ledger, linkId);
  if (link.state === 'unlinked') return link;
  if (link.state === 'closed') throw new LinkRefusedError(`link ${linkId} is closed already`);
  await deps.ledger.commit({
    connection: rt.name,
    linkId,
    linkState: { state: 'unlinked', note: 'unlinked by a person' },
    events: [event(rt, link, null, 'link_unlinked', `a person unlinked ${names(rt, link)}`)],
    resolveErrorsFor: { linkId, reason: 'a person unlinked the tickets' },
  });
  return mustGet(deps.ledger, linkId);
}

/**
 * Puts a flagged link back to work and keeps it there: a ticket out of scope no longer flags it.
 * A deleted ticket cannot be synced, so that flag is closed or unlinked instead.
 */
export async function dismissFlag(deps: LinkActionDeps, rt: ConnectionRuntime, linkId: string): Promise<Link> {
  const link = await mustGet(deps.ledger, linkId);
  if (link.state !== 'flagged') throw new LinkRefusedError(`link ${linkId} is ${link.state}, not flagged`);
  if ((link.note ?? '').startsWith('deleted'))
    throw new LinkRefusedError(
      `link ${linkId}: the ticket was ${link.note ?? 'deleted'} and cannot be synced; close the twin or unlink instead`,
    );
  await deps.ledger.commit({
    connection: rt.name,
    linkId,
    linkState: { state: 'active', note: `${DISMISSED}${link.note ?? 'flagged'}` },
    events: [
      event(
        rt,
        link,
        goneSide(link),
        'resync',
        `a person dismissed the flag (${link.note ?? 'flagged'}); the link syncs again`,
      ),
    ],
    resolveErrorsFor: { linkId, reason: 'a person dismissed the flag' },
  });
  return mustGet(deps.ledger, linkId);
}
