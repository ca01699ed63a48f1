// A month of made-up but plausible ledger history for the demo's two connections, written through
// the ledger's own commit (links, events, conflicts, errors), so the KPI report and the Reports
// page have something to show. Seeded: the same month always gives the same ledger.
import type { Ledger, NewEvent } from './core/ledger/types.js';
import type { Config } from './mapping/schema.js';
import type { Side } from './core/types.js';

export interface DemoMonthOptions {
  /** First day of the month, YYYY-MM. */
  month: string;
  connections: Array<{ name: string; fields: string[]; owners: Record<string, Side | 'both'> }>;
  /** Tickets per connection in the month. @default 120 */
  ticketsPerConnection?: number;
  /** @default 17 */
  seed?: number;
  /** Native id of the first ticket on side a (side b counts from 4000 more). @default 1000 */
  firstTicketId?: number;
  /** Moves the ledger's clock, so errors are opened and resolved inside the month. */
  setNow?: (ms: number) => void;
}

/** mulberry32: a small seeded generator, good enough for demo data. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const SCENARIOS = ['outage', 'security', 'executive impact'];
const FUNCTIONS = ['end-user tier 1', 'patching', 'security', 'network'];
const ERROR_CODES = ['remote_validation', 'rate_limited', 'network_error', 'auth_failed'];

/** Writes the month into `ledger`; returns how many events. */
export async function generateDemoMonth(ledger: Ledger, options: DemoMonthOptions): Promise<number> {
  const rnd = random(options.seed ?? 17);
  const start = Date.parse(`${options.month}-01T00:00:00Z`);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  const spanMs = end.getTime() - start - 3 * 86_400_000;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const iso = (ms: number): string => new Date(ms).toISOString();
  let written = 0;
  for (const c of options.connections) {
    for (let i = 0; i < (options.ticketsPerConnection ?? 120); i++) {
      const source: Side = rnd() < 0.62 ? 'a' : 'b';
      const t0 = start + Math.floor(rnd() * spanMs);
      const events: NewEvent[] = [];
      const ev = (ms: number, e: Partial<NewEvent> & Pick<NewEvent, 'kind'>): void =>
        void events.push({
          connection: c.name,
          linkId: null,
          side: null,
          field: null,
          oldValue: null,
          newValue: null,
          reason: `${e.kind.replace(/_/g, ' ')} (demo data)`,
          at: iso(ms),
          ...e,
        });
      const latency = (): number => Math.round(800 + rnd() * rnd() * 40_000);
      ev(t0 + 2000, { kind: 'link_created', side: source === 'a' ? 'b' : 'a', data: { source, latencyMs: latency() } });
      const fn = pick(FUNCTIONS);
      ev(t0 + 2500, { kind: 'function_changed', data: { from: null, to: fn, owners: {} } });
      let t = t0 + 60_000;
      const changes = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < changes; k++) {
        t += Math.floor(rnd() * 8 * 3_600_000);
        const field = pick(c.fields);
        const owner = c.owners[field] ?? 'both';
        const by: Side =
          owner === 'both' ? (rnd() < 0.5 ? 'a' : 'b') : rnd() < 0.85 ? owner : owner === 'a' ? 'b' : 'a';
        const to: Side = by === 'a' ? 'b' : 'a';
        if (owner !== 'both' && by !== owner)
          ev(t, {
            kind: 'field_reverted',
            side: by,
            field,
            reason: `${field} edited on ${by}, which does not own it; reverted`,
          });
        else if (owner === 'both' && rnd() < 0.05) ev(t, { kind: 'conflict_opened', side: to, field });
        else ev(t, { kind: 'field_mirrored', side: to, field, data: { latencyMs: latency() } });
      }
      const escalated = rnd() < 0.12;
      if (escalated)
        ev(t0 + 120_000, {
          kind: 'escalation',
          data: { policy: pick(SCENARIOS), scenario: pick(SCENARIOS), route: 'msp' },
        });
      const responseMs = Math.round(5 * 60_000 + rnd() * rnd() * 4 * 3_600_000);
      const policy = escalated ? 'priority-1' : 'standard';
      const dueMs = escalated ? 30 * 60_000 : 4 * 3_600_000;
      const slaSide: Side = source === 'a' ? 'b' : 'a';
      const sla = (clock: string, took: number, due: number): void =>
        ev(t0 + took, {
          kind: took <= due ? 'sla_met' : 'sla_breached',
          side: slaSide,
          data: {
            policy,
            clock,
            startedAt: iso(t0),
            dueAt: iso(t0 + due),
            at: iso(t0 + took),
            side: slaSide,
          },
        });
      sla('firstResponse', responseMs, dueMs);
      const closed = rnd() < 0.8;
      if (closed) {
        const resolutionMs = Math.round(responseMs + rnd() * 3 * 86_400_000);
        sla('resolution', resolutionMs, escalated ? 8 * 3_600_000 : 3 * 86_400_000);
        ev(t0 + resolutionMs, { kind: 'pair_closed' });
        // About one closed ticket in eleven is reopened by the side that raised it.
        if (i % 11 === 3) ev(t0 + resolutionMs + 7_200_000, { kind: 'ticket_reopened', side: source });
      }
      if (rnd() < 0.02) ev(t0 + 200_000, { kind: 'drift_found', field: pick(c.fields) });
      const linkId = await ledger.commit({
        connection: c.name,
        newLink: {
          aId: String((options.firstTicketId ?? 1000) + i),
          bId: String((options.firstTicketId ?? 1000) + 4000 + i),
        },
        events: events.sort((x, y) => (x.at! < y.at! ? -1 : 1)),
      });
      written += events.length;
      await demoErrorsAndConflicts(ledger, c.name, linkId!, rnd, events, options.setNow);
    }
  }
  return written;
}

/** Resolves some conflicts the month opened and leaves the rest open; records a few errors. */
async function demoErrorsAndConflicts(
  ledger: Ledger,
  connection: string,
  linkId: string,
  rnd: () => number,
  events: NewEvent[],
  setNow?: (ms: number) => void,
): Promise<void> {
  for (const e of events.filter((x) => x.kind === 'conflict_opened')) {
    if (rnd() < 0.7) {
      const at = new Date(Date.parse(e.at!) + Math.floor(rnd() * 86_400_000)).toISOString();
      await ledger.appendEvents([
        { ...e, linkId, kind: 'conflict_resolved', at, reason: 'resolved by a person (demo data)' },
      ]);
    }
  }
  if (rnd() < 0.08) {
    const openedMs = Date.parse(events[0]!.at!) + 60_000;
    setNow?.(openedMs);
    const error = await ledger.recordError({
      connection,
      linkId,
      side: rnd() < 0.5 ? 'a' : 'b',
      ticketId: null,
      code: ERROR_CODES[Math.floor(rnd() * ERROR_CODES.length)]!,
      message: 'demo error',
      retryable: false,
    });
    if (rnd() < 0.75) {
      setNow?.(openedMs + Math.floor(rnd() * rnd() * 2 * 86_400_000));
      await ledger.resolveError(error.id);
    }
  }
}

/** The demo history's view of a config's connections: field names and owners. */
export function demoConnections(config: Config): DemoMonthOptions['connections'] {
  return Object.entries(config.connections).map(([name, c]) => ({
    name,
    fields: c.fields.map((f) => f.name),
    owners: Object.fromEntries(c.fields.map((f) => [f.name, f.owner])),
  }));
}
