// Rebuilding links from markers (`ticketbridge ledger rebuild`) and the start-up check that an
// empty ledger is not a lost one. Every twin the daemon creates carries the marker
// `tb:<connection>:<side><id>` of its source, so listing both sides' scopes finds every pair.
// Cost: one listing of each side's scope (pages of the vendor's page size), plus one read of a
// source ticket the listing of its side did not include.
import { NotFoundError } from './errors.js';
import type { Ledger } from './ledger/types.js';
import type { ConnectionRuntime } from './runtime.js';
import { adoptTwin, markerSource } from './twins.js';
import { isInvalidTicket, type Side, type Ticket } from './types.js';

export type RebuildProgress =
  | { phase: 'listing'; connection: string; side: Side; listed: number }
  | { phase: 'linking'; connection: string; done: number; total: number };

export interface RebuildSummary {
  connection: string;
  /** Tickets listed in scope, per side. */
  listed: Record<Side, number>;
  /** Twins found (tickets carrying a marker of the connection). */
  twins: number;
  /** Links made from markers. */
  linked: number;
  /** Pairs the ledger already holds. */
  alreadyLinked: number;
  /** Twins whose source ticket no longer exists (left unlinked). */
  sourceMissing: number;
}

async function listSide(
  rt: ConnectionRuntime,
  side: Side,
  progress: (p: RebuildProgress) => void,
): Promise<Map<string, Ticket>> {
  const out = new Map<string, Ticket>();
  for await (const item of rt.sides[side].connector.listChanged({ since: null })) {
    if (isInvalidTicket(item)) continue;
    out.set(item.id, item);
    progress({ phase: 'listing', connection: rt.name, side, listed: out.size });
  }
  return out;
}

async function sourceOf(
  rt: ConnectionRuntime,
  listed: Map<string, Ticket>,
  side: Side,
  id: string,
): Promise<Ticket | null> {
  const known = listed.get(id);
  if (known) return known;
  try {
    return await rt.sides[side].connector.getTicket(id);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Re-creates the links (and the baselines both sides agree on) of one connection from its markers. */
export async function rebuildConnection(
  ledger: Ledger,
  rt: ConnectionRuntime,
  progress: (p: RebuildProgress) => void = () => undefined,
): Promise<RebuildSummary> {
  const listed = { a: await listSide(rt, 'a', progress), b: await listSide(rt, 'b', progress) };
  const twins = (['a', 'b'] as const).flatMap((side) =>
    [...listed[side].values()].flatMap((ticket) => {
      const source = markerSource(rt.name, ticket.marker);
      return source && source.side !== side ? [{ side, ticket, source }] : [];
    }),
  );
  const summary: RebuildSummary = {
    connection: rt.name,
    listed: { a: listed.a.size, b: listed.b.size },
    twins: twins.length,
    linked: 0,
    alreadyLinked: 0,
    sourceMissing: 0,
  };
  // Tickets that existed before the rebuild are the first sync's: initialSync applies to them.
  await ledger.startFirstSync(rt.name);
  // A pair linked by hand carries a marker on both tickets: it is counted once.
  const paired = new Set<string>();
  for (const [i, { side, ticket, source }] of twins.entries()) {
    progress({ phase: 'linking', connection: rt.name, done: i, total: twins.length });
    if (paired.has(`${side}:${ticket.id}`)) continue;
    paired.add(`${source.side}:${source.id}`);
    const known =
      (await ledger.findLink(rt.name, side, ticket.id)) ?? (await ledger.findLink(rt.name, source.side, source.id));
    if (known) {
      summary.alreadyLinked++;
      continue;
    }
    const original = await sourceOf(rt, listed[source.side], source.side, source.id);
    if (!original) {
      summary.sourceMissing++;
      continue;
    }
    const pair = source.side === 'a' ? { a: original, b: ticket } : { a: ticket, b: original };
    await adoptTwin(ledger, rt, source.side, pair, 'ledger rebuild');
    summary.linked++;
  }
  progress({ phase: 'linking', connection: rt.name, done: twins.length, total: twins.length });
  return summary;
}

/**
 * A ticket of this connection's carrying one of its markers while the ledger holds none of its
 * links: the ledger is not the one that synced it. Lists each side until the first marker (a full
 * listing only when there is none, which the first sync then repeats). Null when none is found.
 */
export async function markerWithoutLedger(
  ledger: Ledger,
  rt: ConnectionRuntime,
  waitMs = 10_000,
): Promise<{ side: Side; ticketId: string; marker: string } | null> {
  // Empty means never synced here: no link, no intent, no first sync begun (a daemon stopped
  // mid-way through its first creates left its intents and first sync, and recovers them).
  const counts = await ledger.counts(rt.name);
  if (counts.links > 0 || counts.pendingIntents > 0 || (await ledger.firstSync(rt.name)) !== null) return null;
  for (const side of ['a', 'b'] as const) {
    const found = await firstMarkerOn(rt, side, waitMs);
    if (found) return found;
  }
  return null;
}

/**
 * The first ticket on one side carrying a marker of the connection, or null. A system that cannot
 * be listed now, or not within `waitMs`, does not stop or hold the start (the daemon keeps running
 * for the others): the first round, which lists both sides before any create, links every twin it
 * finds by marker, and searches markers one by one on a side whose listing fails.
 */
async function firstMarkerOn(
  rt: ConnectionRuntime,
  side: Side,
  waitMs: number,
): Promise<{ side: Side; ticketId: string; marker: string } | null> {
  const controller = new AbortController();
  const scan = (async () => {
    for await (const item of rt.sides[side].connector.listChanged({ since: null, signal: controller.signal })) {
      if (isInvalidTicket(item)) continue;
      if (markerSource(rt.name, item.marker)) return { side, ticketId: item.id, marker: item.marker! };
    }
    return null;
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
  const warn = (why: string, err?: unknown) =>
    rt.logger.warn(
      { connection: rt.name, side, ...(err ? { err } : {}) },
      `${rt.sides[side].label} ${why} while looking for markers of an earlier ledger; the first round links any twin it finds`,
    );
  try {
    const out = await Promise.race([scan, late]);
    if (out !== 'late') return out;
    controller.abort();
    scan.catch(() => undefined); // the abandoned listing ends at its next page
    warn(`did not answer within ${Math.round(waitMs / 1000)} s`);
    return null;
  } catch (err) {
    warn('could not be listed', err);
    return null;
  } finally {
    clearTimeout(timer);
  }
}
