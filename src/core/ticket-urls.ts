// Links to a linked pair's tickets for the notices people receive (SLA breaches, sync trouble),
// built by each connector from the ids and keys the ledger keeps: a notice never reads a ticket.
import type { Link } from './ledger/types.js';
import type { Notice } from './notify.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Side } from './types.js';

/** The URL of one side's ticket, or undefined where the connector cannot build one. */
export async function ticketUrlOf(
  rt: ConnectionRuntime,
  side: Side,
  id: string,
  key: string | null,
): Promise<string | undefined> {
  const connector = rt.sides[side].connector;
  const url = connector.ticketUrl ? await connector.ticketUrl(id, key).catch(() => null) : null;
  return url ?? undefined;
}

/** Both tickets' URLs of a link, for a notice's `links`. */
export async function linkUrls(rt: ConnectionRuntime, link: Link | null): Promise<Notice['links']> {
  if (!link) return {};
  const [a, b] = await Promise.all([
    ticketUrlOf(rt, 'a', link.aId, link.aKey),
    ticketUrlOf(rt, 'b', link.bId, link.bKey),
  ]);
  return { ...(a ? { a } : {}), ...(b ? { b } : {}) };
}
