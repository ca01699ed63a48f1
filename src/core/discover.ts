// Discovery of tickets both teams already hold, by a connection's `match:` rule: a field on one
// side that holds the other side's ticket id or key (ConnectWise External Reference `externalXRef`,
// a Freshservice custom field, a Jira field), or the same normalised summary and requester created
// within a time window. Reads both sides' tickets in scope, never writes; each candidate pair
// carries its evidence, and a ticket that fits several is listed as ambiguous (never accepted).
import type { Ledger } from './ledger/types.js';
import type { PairMatchConfig } from '../mapping/schema.js';
import type { ConnectionRuntime } from './runtime.js';
import { isInvalidTicket, otherSide, type JsonValue, type Side, type Ticket } from './types.js';

export interface Candidate {
  connection: string;
  ids: Record<Side, string>;
  /** Why the two look like the same incident, in one sentence. */
  evidence: string;
  /** Another candidate shares one of its tickets: listed, never accepted. */
  ambiguous: boolean;
}

/** Unlinked, unmarked tickets in scope on one side (a marked ticket is a twin or already paired). */
async function open(ledger: Ledger, rt: ConnectionRuntime, side: Side): Promise<Ticket[]> {
  const out: Ticket[] = [];
  for await (const item of rt.sides[side].connector.listChanged({ since: null })) {
    if (isInvalidTicket(item) || !item.inScope || item.deleted || item.marker) continue;
    if (await ledger.findLink(rt.name, side, item.id)) continue;
    out.push(item);
  }
  return out;
}

/** Text compared the way people mean it: case, punctuation and spacing do not count. */
export function normaliseWords(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}@.]+/gu, ' ')
    .trim();
}

function byReference(rt: ConnectionRuntime, rule: { side: Side; field: string }, t: Record<Side, Ticket[]>) {
  const target = otherSide(rule.side);
  const index = new Map<string, Ticket[]>();
  for (const ticket of t[target])
    for (const name of [ticket.id, ticket.key].filter((x): x is string => typeof x === 'string' && x !== '')) {
      const key = name.replace(/^#/, '').toLowerCase();
      index.set(key, [...(index.get(key) ?? []), ticket]);
    }
  const found: Array<{ ids: Record<Side, string>; evidence: string }> = [];
  for (const ticket of t[rule.side]) {
    const value = ticket.fields[rule.field];
    if (value === null || value === undefined || value === '') continue;
    const ref = (typeof value === 'string' ? value : JSON.stringify(value)).trim();
    for (const match of index.get(ref.replace(/^#/, '').toLowerCase()) ?? []) {
      const ids = rule.side === 'a' ? { a: ticket.id, b: match.id } : { a: match.id, b: ticket.id };
      const evidence = `${rule.field} on ${rule.side} (${rt.sides[rule.side].label}) ${ticket.id} holds ${JSON.stringify(ref)}, ${target} (${rt.sides[target].label}) ticket ${match.key ?? match.id}`;
      found.push({ ids, evidence });
    }
  }
  return found;
}

function bySummary(
  rule: { summary: Record<Side, string>; requester: Record<Side, string>; withinMinutes: number },
  t: Record<Side, Ticket[]>,
) {
  const key = (side: Side, ticket: Ticket): string =>
    `${normaliseWords(ticket.fields[rule.summary[side]])}\u0000${normaliseWords(ticket.fields[rule.requester[side]])}`;
  const index = new Map<string, Ticket[]>();
  for (const ticket of t.b) {
    const k = key('b', ticket);
    if (k.startsWith('\u0000') || k.endsWith('\u0000')) continue;
    index.set(k, [...(index.get(k) ?? []), ticket]);
  }
  const when = (ticket: Ticket): number => Date.parse(ticket.createdAt ?? ticket.version);
  const found: Array<{ ids: Record<Side, string>; evidence: string }> = [];
  for (const a of t.a) {
    for (const b of index.get(key('a', a)) ?? []) {
      const apartMin = Math.round(Math.abs(when(a) - when(b)) / 60_000);
      if (!(apartMin <= rule.withinMinutes)) continue;
      const summary = normaliseWords(a.fields[rule.summary.a]);
      const requester = normaliseWords(a.fields[rule.requester.a]);
      const evidence = `same summary "${summary}" and requester ${requester}, created ${apartMin} min apart`;
      found.push({ ids: { a: a.id, b: b.id }, evidence });
    }
  }
  return found;
}

/** Candidate pairs of one connection by its `match:` rule (none without one). */
export async function discoverPairs(ledger: Ledger, rt: ConnectionRuntime): Promise<Candidate[]> {
  const rule: PairMatchConfig | undefined = rt.config.match;
  if (!rule) return [];
  const tickets = { a: await open(ledger, rt, 'a'), b: await open(ledger, rt, 'b') };
  const found = 'reference' in rule ? byReference(rt, rule.reference, tickets) : bySummary(rule, tickets);
  const uses = new Map<string, number>();
  for (const { ids } of found) for (const key of [`a:${ids.a}`, `b:${ids.b}`]) uses.set(key, (uses.get(key) ?? 0) + 1);
  return found.map(({ ids, evidence }) => ({
    connection: rt.name,
    ids,
    evidence,
    ambiguous: (uses.get(`a:${ids.a}`) ?? 0) > 1 || (uses.get(`b:${ids.b}`) ?? 0) > 1,
  }));
}
