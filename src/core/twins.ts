// Adopting twins the daemon made before: a ticket the ledger has never seen may already have a
// twin carrying its marker (the ledger was lost, an older backup restored, `--ledger` mistyped).
// Such a pair is linked, never given a second twin.
//
// API economy: the engine learns markers from the listings it makes anyway. The first poll round
// after a start (and every first sync) lists both sides before any create (catch-up.ts) and keeps
// every ticket that carries one of the connection's markers in a TwinIndex; a create looks its
// marker up there, which costs no call. Only when a side's listing failed is the marker searched
// for on that side (one `findByMarker` per never-seen ticket, until a listing of it succeeds).
// After the round the index is dropped and steady-state creates search nothing: a twin can only
// exist without a link after the ledger changed under a stopped daemon, which a restart catches.
// Assumption: a twin sits in its side's scope (creates and routing put it there); a twin moved
// out of scope is found by `ticketbridge ledger rebuild` only.
import type { Baseline, Ledger, NewEvent } from './ledger/types.js';
import { ticketMarker } from './marker.js';
import type { ConnectionRuntime } from './runtime.js';
import { keysOf, memosOf } from './sync/versions.js';
import { otherSide, type Side, type Ticket } from './types.js';

export interface TwinIndex {
  /** Tickets carrying a marker of this connection, by marker, as the listings found them. */
  byMarker: Map<string, { side: Side; ticket: Ticket }>;
  /** Sides listed completely since their cursors: a marker absent there means no twin there. */
  complete: Record<Side, boolean>;
  /** Resolves once both sides' listings of the round have ended (successfully or not). */
  listed: Promise<void>;
}

/** The source a twin's marker names (`tb:<connection>:<side><id>`), or null for other markers. */
export function markerSource(connection: string, marker: string | null | undefined): { side: Side; id: string } | null {
  const prefix = `tb:${connection}:`;
  if (!marker?.startsWith(prefix)) return null;
  const rest = marker.slice(prefix.length);
  const side = rest[0];
  if ((side !== 'a' && side !== 'b') || rest.length < 2 || rest.includes(':')) return null;
  return { side, id: rest.slice(1) };
}

/** Keeps a listed ticket in the index when it carries one of the connection's ticket markers. */
export function indexTwin(index: TwinIndex, connection: string, side: Side, ticket: Ticket): void {
  const source = markerSource(connection, ticket.marker);
  if (source && source.side !== side) index.byMarker.set(ticket.marker!, { side, ticket });
}

/**
 * The twin of a never-seen ticket `from` made by an earlier run, when the connection is catching
 * up; null in steady state (no call) or when there is none.
 */
export async function findTwin(rt: ConnectionRuntime, from: Side, ticket: Ticket): Promise<Ticket | null> {
  const index = rt.twins;
  if (!index || !ticket.inScope || ticket.deleted || markerSource(rt.name, ticket.marker)) return null;
  await index.listed;
  const to = otherSide(from);
  const marker = ticketMarker(rt.name, `${from}${ticket.id}`);
  const hit = index.byMarker.get(marker);
  if (hit && hit.side === to) return hit.ticket;
  if (index.complete[to]) return null;
  return rt.sides[to].connector.findByMarker(marker);
}

/**
 * The baselines of an adopted pair: fields on which the two tickets agree now. The rest have no
 * baseline, so the first pass decides each by its owner and conflict rule.
 */
export function agreedBaselines(rt: ConnectionRuntime, tickets: Record<Side, Ticket>): Record<string, Baseline> {
  const out: Record<string, Baseline> = {};
  for (const rule of rt.fields) {
    const a = tickets.a.fields[rule.native.a] ?? null;
    const b = tickets.b.fields[rule.native.b] ?? null;
    if (rule.equivalent('a', a, b)) out[rule.name] = { a, b };
  }
  return out;
}

/** Links a ticket with the twin its marker found; returns the new link's id. */
export async function adoptTwin(
  ledger: Ledger,
  rt: ConnectionRuntime,
  source: Side,
  tickets: Record<Side, Ticket>,
  how: string,
): Promise<string> {
  const twinSide = otherSide(source);
  const event: NewEvent = {
    connection: rt.name,
    linkId: null,
    side: twinSide,
    field: null,
    kind: 'link_adopted',
    oldValue: null,
    newValue: { a: tickets.a.id, b: tickets.b.id },
    data: { source },
    reason: `ticket ${tickets[source].id} on ${source} (${rt.sides[source].label}) already had its twin ${tickets[twinSide].id} on ${twinSide} (${rt.sides[twinSide].label}), found by its marker ${tickets[twinSide].marker ?? ''} (${how}): linked, not created again`,
  };
  const linkId = await ledger.commit({
    connection: rt.name,
    newLink: { aId: tickets.a.id, bId: tickets.b.id },
    keys: keysOf(tickets),
    memos: memosOf(tickets),
    baselines: agreedBaselines(rt, tickets),
    events: [event],
    resolveErrorsFor: { side: source, ticketId: tickets[source].id },
  });
  rt.logger.info({ linkId, source, a: tickets.a.id, b: tickets.b.id, how }, 'twin adopted');
  return linkId!;
}
