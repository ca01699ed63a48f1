// Adopting tickets both teams already hold: a person names one ticket on each side (as people type
// them: `123`, `IT-12`, `cw:123`), the pair is checked (found, in scope, not linked, no other
// marker), both are stamped with markers and the ledger records a link without baselines, so the
// first pass decides every field by its owner and conflict rule. `previewPair` is that first pass
// as a dry run: the same planner, nothing written anywhere.
import { currentActor } from './actor.js';
import { LinkRefusedError, NotFoundError, tagSubject } from './errors.js';
import type { Ledger, Link, LinkSnapshot } from './ledger/types.js';
import { pairMarkers } from './marker.js';
import { planPass, type LinkState } from './pass.js';
import type { ConnectionRuntime } from './runtime.js';
import type { PlannedWrite } from './sync/planner.js';
import { keysOf, memosOf } from './sync/versions.js';
import { knownSystems, parseTicketRef, TicketRefError } from './ticket-ref.js';
import type { Side, Ticket } from './types.js';

const SIDES: readonly Side[] = ['a', 'b'];

/** Two tickets to pair, as a person typed them; the connection may be left out when refs say it. */
export interface PairRequest {
  connection?: string;
  a: string;
  b: string;
}

/** A request turned into one connection and one native id per side, with both tickets as read. */
export interface ResolvedPair {
  rt: ConnectionRuntime;
  ids: Record<Side, string>;
  /** An existing link of exactly this pair (`already linked`), else null. */
  existing: Link | null;
}

export interface CheckedPair extends ResolvedPair {
  tickets: Record<Side, Ticket>;
  markers: Record<Side, string>;
}

const sideName = (rt: ConnectionRuntime, side: Side): string => `${side} (${rt.sides[side].label})`;

/** The connection a pair belongs to: named, the only one, or the one whose systems the refs name. */
function pickConnection(
  connections: ReadonlyMap<string, ConnectionRuntime>,
  request: PairRequest,
): { rt: ConnectionRuntime; refs: Record<Side, string> } {
  const systems = knownSystems(connections);
  const parsed = { a: parseTicketRef(request.a, systems), b: parseTicketRef(request.b, systems) };
  const fits = (rt: ConnectionRuntime, swap: boolean): boolean =>
    SIDES.every((side) => {
      const system = parsed[swap ? (side === 'a' ? 'b' : 'a') : side].system;
      return system === null || system === rt.sides[side].system;
    });
  let candidates = [...connections.values()];
  if (request.connection !== undefined) {
    const rt = connections.get(request.connection);
    if (!rt)
      throw new TicketRefError(
        `no connection "${request.connection}" (configured: ${[...connections.keys()].join(', ')})`,
      );
    candidates = [rt];
  }
  const straight = candidates.filter((rt) => fits(rt, false));
  const swapped = candidates.filter((rt) => !fits(rt, false) && fits(rt, true));
  const all = [...straight.map((rt) => ({ rt, swap: false })), ...swapped.map((rt) => ({ rt, swap: true }))];
  const shown = `${request.a} ${request.b}`;
  if (all.length === 0)
    throw new TicketRefError(
      `no connection pairs ${shown}: give the a-side ticket first, or name the systems (system:ref)`,
    );
  if (all.length > 1)
    throw new TicketRefError(
      `${shown} fits connections ${all.map((c) => c.rt.name).join(', ')}: name the connection, or the systems (system:ref)`,
    );
  const { rt, swap } = all[0]!;
  const refs = swap ? { a: parsed.b.ref, b: parsed.a.ref } : { a: parsed.a.ref, b: parsed.b.ref };
  return { rt, refs };
}

/** The native id behind what a person typed on one side (a key resolved, else the id as typed). */
async function nativeId(rt: ConnectionRuntime, side: Side, ref: string): Promise<string> {
  const connector = rt.sides[side].connector;
  if (!connector.resolveTicketRef) return ref;
  const id = await connector.resolveTicketRef(ref).catch((err: unknown) => {
    throw tagSubject(err, side, ref);
  });
  // Not a key the system knows: it may be the native id itself (reading the ticket decides).
  return id ?? ref;
}

/**
 * Resolves a request to a connection and native ids, and settles what the ledger alone decides:
 * the pair linked already (returned as `existing`), or either ticket linked to another.
 * Throws TicketRefError (the request cannot be read), NotFoundError or LinkRefusedError.
 */
export async function resolvePair(
  ledger: Ledger,
  connections: ReadonlyMap<string, ConnectionRuntime>,
  request: PairRequest,
): Promise<ResolvedPair> {
  const { rt, refs } = pickConnection(connections, request);
  const ids = { a: await nativeId(rt, 'a', refs.a), b: await nativeId(rt, 'b', refs.b) };
  const links = { a: await ledger.findLink(rt.name, 'a', ids.a), b: await ledger.findLink(rt.name, 'b', ids.b) };
  if (links.a && links.a.id === links.b?.id) return { rt, ids, existing: links.a };
  for (const side of SIDES) {
    const link = links[side];
    if (!link) continue;
    const other = side === 'a' ? link.bId : link.aId;
    throw new LinkRefusedError(
      `${rt.name}: ticket ${refs[side]} on ${sideName(rt, side)} is already linked to ${other} (link ${link.id}, ${link.state})`,
    );
  }
  return { rt, ids, existing: null };
}

/** Reads both tickets and refuses a pair that cannot be linked: gone, out of scope, or another twin. */
export async function checkPair(pair: ResolvedPair): Promise<CheckedPair> {
  const { rt, ids } = pair;
  const markers = pairMarkers(rt.name, ids);
  const read = async (side: Side): Promise<Ticket> => {
    const ticket = await rt.sides[side].connector.getTicket(ids[side]).catch((err: unknown) => {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`${rt.name}: no ticket ${ids[side]} on ${sideName(rt, side)}`);
      throw tagSubject(err, side, ids[side]);
    });
    const where = `${rt.name}: ticket ${ids[side]} on ${sideName(rt, side)}`;
    if (ticket.deleted) throw new NotFoundError(`${where} is deleted`);
    if (!ticket.inScope) throw new LinkRefusedError(`${where} is outside the connection's scope`);
    const marker = ticket.marker ?? null;
    if (marker !== null && marker !== markers[side])
      throw new LinkRefusedError(
        `${where} already carries marker ${marker}${marker.startsWith(`tb:${rt.name}:`) ? ' (a twin of another ticket; `ticketbridge ledger rebuild` relinks it)' : ''}`,
      );
    return ticket;
  };
  const [a, b] = await Promise.all([read('a'), read('b')]);
  return { ...pair, tickets: { a, b }, markers };
}

/** The link's first pass as a dry run: what it would write on each side, nothing written. */
export async function previewPair(ledger: Ledger, pair: CheckedPair): Promise<Record<Side, PlannedWrite[]>> {
  const now = new Date().toISOString();
  const link: Link = {
    id: '(new)',
    connection: pair.rt.name,
    aId: pair.ids.a,
    bId: pair.ids.b,
    state: 'active',
    aVersion: null,
    bVersion: null,
    aKey: pair.tickets.a.key ?? null,
    bKey: pair.tickets.b.key ?? null,
    aMemo: pair.tickets.a.memo ?? null,
    bMemo: pair.tickets.b.memo ?? null,
    createdAt: now,
    updatedAt: now,
    note: null,
    closedSince: null,
  };
  const snap: LinkSnapshot = { link, baselines: {}, comments: [] };
  // A link not yet made has no intents, conflicts, function or escalations behind it.
  const state: LinkState = {
    intents: [],
    conflicts: new Map(),
    functionName: null,
    triggered: new Set(),
    slaRunning: [],
  };
  const { plan } = await planPass(ledger, pair.rt, snap, pair.tickets, { state, nowMs: Date.now() });
  return plan.writes;
}

/**
 * Stamps both markers (each names the ticket on the other side) and records the link without
 * baselines and without versions, so the next pass over it runs in full and decides each field
 * by its owner and conflict rule. Stamping first means a stop before the commit leaves tickets
 * no create takes for a source; running the same pair again finishes the link.
 */
export async function linkPair(ledger: Ledger, pair: CheckedPair, by: string): Promise<Link> {
  const { rt, ids, markers } = pair;
  const stamped: Partial<Record<Side, Ticket>> = {};
  for (const side of SIDES) {
    const connector = rt.sides[side].connector;
    if (pair.tickets[side].marker === markers[side]) {
      stamped[side] = pair.tickets[side];
      continue;
    }
    if (!connector.stampMarker)
      throw new LinkRefusedError(`${rt.name}: ${rt.sides[side].label} cannot stamp a marker on an existing ticket`);
    stamped[side] = await connector.stampMarker(ids[side], markers[side]).catch((err: unknown) => {
      throw tagSubject(err, side, ids[side]);
    });
  }
  const tickets = stamped as Record<Side, Ticket>;
  const linkId = await ledger.commit({
    connection: rt.name,
    newLink: { aId: ids.a, bId: ids.b },
    keys: keysOf(tickets),
    memos: memosOf(tickets),
    events: [
      {
        connection: rt.name,
        linkId: null,
        side: null,
        field: null,
        kind: 'link_created',
        oldValue: null,
        newValue: ids,
        // The versions before the stamps: `conflict: newest` without a field history compares these.
        data: {
          adopted: true,
          versions: { a: pair.tickets.a.version, b: pair.tickets.b.version },
          ...(currentActor() !== null ? { by: currentActor()! } : {}),
        },
        reason: `${by} linked existing tickets ${ids.a} on ${sideName(rt, 'a')} and ${ids.b} on ${sideName(rt, 'b')}; the first pass decides each field by its owner`,
      },
    ],
  });
  const link = linkId === null ? null : await ledger.getLink(linkId);
  if (!link) throw new LinkRefusedError(`${rt.name}: the ledger did not record the link of ${ids.a} and ${ids.b}`);
  return link;
}

export interface LinkOptions {
  /** Link nothing; answer what the link's first pass would write. */
  dryRun?: boolean;
  /** Who links, for the event's sentence. @default 'a person' */
  by?: string;
  /** Only these connections may take the pair (a status-API token limited to some). */
  within?: readonly string[];
}

/** What `link` did with a pair: linked it, found it linked already, or (dry run) what its first pass would write. */
export interface PairResult {
  status: 'linked' | 'already_linked' | 'preview';
  connection: string;
  ids: Record<Side, string>;
  /** The link made or found; null for a preview. */
  link: Link | null;
  /** Preview only: what the link's first pass would write, per side. */
  writes?: Record<Side, PlannedWrite[]>;
}

export interface AdoptDeps {
  ledger: Ledger;
  connections: ReadonlyMap<string, ConnectionRuntime>;
  /** Throws ConnectionPausedError when the connection is paused (Pauses.assertRunning). */
  assertRunning(connection: string, action: string): void;
  /** Runs `fn` alone on a key of a connection's pool (Scheduler.exclusive). */
  exclusive<T>(pool: string, key: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The engine's `link`: resolves and checks the pair, answers a pair linked already or (dry run)
 * what its first pass would write, else links it alone on both tickets.
 */
export async function adoptPair(deps: AdoptDeps, request: PairRequest, options: LinkOptions = {}): Promise<PairResult> {
  const { ledger } = deps;
  const within = options.within;
  const connections = within ? new Map([...deps.connections].filter(([n]) => within.includes(n))) : deps.connections;
  const pair = await resolvePair(ledger, connections, request);
  const { rt, ids } = pair;
  const base = { connection: rt.name, ids };
  if (pair.existing) return { ...base, status: 'already_linked', link: pair.existing };
  if (options.dryRun) {
    const writes = await previewPair(ledger, await checkPair(pair));
    return { ...base, status: 'preview', link: null, writes };
  }
  deps.assertRunning(rt.name, `linking ${ids.a} and ${ids.b}`);
  // Alone on both tickets: no create pass takes either for a source while they are paired.
  const alone = <T>(side: Side, fn: () => Promise<T>): Promise<T> =>
    deps.exclusive(rt.name, `ticket:${rt.name}:${side}:${ids[side]}`, fn);
  const link = await alone('a', () =>
    alone('b', async () => linkPair(ledger, await checkPair(pair), options.by ?? 'a person')),
  );
  return { ...base, status: 'linked', link };
}
