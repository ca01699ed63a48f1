// The dry run: what the next passes would write, per side, computed by the same planner the
// passes use (creates with their directions, defaults and routing; field writes with owners,
// conflict rules, open conflicts and pending intents). It reads the systems and the ledger and
// writes nothing anywhere.
import type { Ledger, Link } from './ledger/types.js';
import { planPass, readBoth } from './pass.js';
import type { ConnectionRuntime } from './runtime.js';
import { ticketMarker } from './marker.js';
import { planCreate } from './sync/create.js';
import { isInvalidTicket, otherSide, type Clock, type FieldValues, type Side, type Ticket } from './types.js';

export interface PlannedChange {
  connection: string;
  /** The side that would be written. */
  side: Side;
  action: 'create' | 'update' | 'leave';
  /** Source ticket (create) or the ticket that would be updated. */
  ticketId: string;
  linkId: string | null;
  fields: FieldValues;
  reason: string;
}

export interface DryRunDeps {
  ledger: Ledger;
  clock: Clock;
  overlapMs: number;
  /** Told of every ticket listed (for a progress line). */
  listed?: (connection: string, side: Side) => void;
}

/** What the next pass over `link` would write, as the pass itself would decide it. */
async function planForLink(deps: DryRunDeps, rt: ConnectionRuntime, link: Link): Promise<PlannedChange[]> {
  const snap = await deps.ledger.snapshot(link.id);
  if (!snap) return [];
  const ids: Record<Side, string> = { a: link.aId, b: link.bId };
  const read = (await readBoth(rt, link, deps.clock)).tickets;
  for (const side of ['a', 'b'] as const) {
    const t = read[side];
    if (!t || t.deleted || !t.inScope) {
      const why = !t || t.deleted ? 'deleted' : 'out of scope';
      const rule = !t || t.deleted ? rt.config.lifecycle.onDelete : rt.config.lifecycle.onUnscope;
      return [
        {
          connection: rt.name,
          side,
          action: 'leave',
          ticketId: ids[side],
          linkId: link.id,
          fields: {},
          reason: `ticket ${why} on ${side}; lifecycle: ${rule}`,
        },
      ];
    }
  }
  const { plan } = await planPass(deps.ledger, rt, snap, read as Record<Side, Ticket>);
  const out: PlannedChange[] = [];
  for (const to of ['a', 'b'] as const) {
    const writes = plan.writes[to];
    if (writes.length === 0) continue;
    out.push({
      connection: rt.name,
      side: to,
      action: 'update',
      ticketId: ids[to],
      linkId: link.id,
      fields: Object.fromEntries(writes.map((w) => [w.native, w.value])),
      reason: writes.map((w) => `${w.field}: ${w.why}`).join(', '),
    });
  }
  return out;
}

/** Both sides' tickets changed since their cursors (minus the overlap), as the next polls would list them. */
async function listBoth(deps: DryRunDeps, rt: ConnectionRuntime): Promise<Record<Side, Ticket[]>> {
  const out: Record<Side, Ticket[]> = { a: [], b: [] };
  for (const side of ['a', 'b'] as const) {
    const cursor = await deps.ledger.getCursor(rt.name, side);
    const since = cursor.since === null ? null : new Date(Date.parse(cursor.since) - deps.overlapMs);
    for await (const item of rt.sides[side].connector.listChanged({ since })) {
      if (!isInvalidTicket(item)) out[side].push(item);
      deps.listed?.(rt.name, side);
    }
  }
  return out;
}

/** The dry run over every connection (or one): what would be created or changed, per side. */
export async function dryRun(deps: DryRunDeps, runtimes: Iterable<ConnectionRuntime>): Promise<PlannedChange[]> {
  const out = new Map<string, PlannedChange>();
  const add = (c: PlannedChange): void => void out.set(`${c.connection}:${c.side}:${c.action}:${c.ticketId}`, c);
  for (const rt of runtimes) {
    if (!rt.config.enabled) continue; // a paused connection writes nothing
    const planned = new Set<string>();
    const first = await deps.ledger.firstSync(rt.name);
    // Like the engine's first round: both sides are listed before anything is planned, so a
    // ticket whose twin an earlier run made (its marker listed) is linked, not created again.
    const listed = await listBoth(deps, rt);
    const twins = new Set<string>();
    for (const side of ['a', 'b'] as const) for (const t of listed[side]) if (t.marker) twins.add(t.marker);
    for (const side of ['a', 'b'] as const) {
      for (const item of listed[side]) {
        const link = await deps.ledger.findLink(rt.name, side, item.id);
        if (!link) {
          if (twins.has(ticketMarker(rt.name, `${side}${item.id}`))) continue;
          const plan = planCreate({
            connection: rt.name,
            config: rt.config,
            rules: rt.fields,
            from: side,
            ticket: item,
            nowMs: deps.clock.now(),
            calendars: rt.calendars,
            firstSyncStartedMs: first ? Date.parse(first.startedAt) : null,
          });
          if (!plan.create) continue;
          add({
            connection: rt.name,
            side: otherSide(side),
            action: 'create',
            ticketId: item.id,
            linkId: null,
            fields: plan.fields,
            reason: `new ticket ${item.id} on ${side}`,
          });
          continue;
        }
        if (link.state !== 'active' || planned.has(link.id)) continue;
        planned.add(link.id);
        for (const change of await planForLink(deps, rt, link)) add(change);
      }
    }
  }
  return [...out.values()];
}
