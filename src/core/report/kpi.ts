// The monthly KPI report, computed from the ledger alone: per connection, what was created and
// mirrored each way, closed, how fast, what was reverted or fought over (a RACI signal: who keeps
// editing fields they do not own), escalations and SLAs, errors and drift. The JSON form is a
// stable contract for scripts: `{ from, to, connections: [{ name, mirrored: { aToB, bToA },
// reverts, conflicts: { opened, resolved }, mirrorLatencyMs: { p50, p95 }, … }] }`.
import { eventsIn } from '../ledger/events-in.js';
import type { ErrorRecord, Ledger, SyncEvent } from '../ledger/types.js';
import { previousPeriod, type Period } from '../period.js';
import type { JsonValue, Side } from '../types.js';

export interface SideCounts {
  a: number;
  b: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface EscalationRow {
  scenario: string;
  escalations: number;
}

export interface SlaRow {
  policy: string;
  clock: string;
  met: number;
  breached: number;
  /** met / (met + breached), 0..1; null when no clock ended. */
  metShare: number | null;
}

export interface TeamTimes {
  /** The side whose team the clock measured, by its system label. */
  team: string;
  side: Side;
  clock: string;
  /** Clock start to stop: time to first response or to resolution. */
  timeMs: Percentiles;
  count: number;
}

export interface ErrorCause {
  code: string;
  opened: number;
  resolved: number;
  timeToResolveMs: Percentiles;
}

/** One function's share of a connection: events of the tickets that belonged to it at the time. */
export interface FunctionReport {
  /** The function's name from the config; `(none)` for tickets in no function. */
  function: string;
  created: SideCounts;
  mirrored: { aToB: number; bToA: number };
  closed: number;
  reopened: number;
  reverts: number;
  conflicts: { opened: number; resolved: number };
  mirrorLatencyMs: Percentiles;
}

export interface ConnectionReport {
  name: string;
  mirrored: { aToB: number; bToA: number };
  reverts: number;
  conflicts: { opened: number; resolved: number };
  mirrorLatencyMs: Percentiles;
  /** System labels of the two sides ("Freshservice", "ConnectWise"). */
  systems: { a: string; b: string };
  created: SideCounts;
  closed: number;
  reopened: number;
  /** Reverted edits by field and by the side that made them (edited a field it does not own). */
  revertsByField: Record<string, SideCounts>;
  conflictsByField: Record<string, number>;
  /** Tickets moved into each function (`function_changed`), by function. */
  functions: Record<string, number>;
  /** The figures per function (by the function each ticket belonged to when it happened); `(none)` last. */
  byFunction: FunctionReport[];
  escalations: EscalationRow[];
  sla: SlaRow[];
  teamTimes: TeamTimes[];
  errors: ErrorCause[];
  notificationsFailed: number;
  drift: { found: number; repaired: number };
}

export interface Report {
  from: string;
  to: string;
  connections: ConnectionReport[];
  /** The same figures for the period before, for the change against it. */
  previous: { from: string; to: string; connections: ConnectionReport[] };
}

export interface ReportConnection {
  name: string;
  systems: { a: string; b: string };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const record = (v: JsonValue | null): Record<string, JsonValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: JsonValue | undefined, fallback: string): string => (typeof v === 'string' && v !== '' ? v : fallback);
const bump = (map: Record<string, number>, key: string): void => void (map[key] = (map[key] ?? 0) + 1);

/** What one connection's events add up to; fed one event at a time. */
class Tally {
  readonly row: ConnectionReport;
  private readonly latencies: number[] = [];
  private readonly escalations: Record<string, number> = {};
  private readonly sla = new Map<string, SlaRow>();
  private readonly times = new Map<string, { side: Side; clock: string; values: number[] }>();

  constructor(connection: ReportConnection) {
    this.row = {
      name: connection.name,
      mirrored: { aToB: 0, bToA: 0 },
      reverts: 0,
      conflicts: { opened: 0, resolved: 0 },
      mirrorLatencyMs: { p50: null, p95: null },
      systems: connection.systems,
      created: { a: 0, b: 0 },
      closed: 0,
      reopened: 0,
      revertsByField: {},
      conflictsByField: {},
      functions: {},
      byFunction: [],
      escalations: [],
      sla: [],
      teamTimes: [],
      errors: [],
      notificationsFailed: 0,
      drift: { found: 0, repaired: 0 },
    };
  }

  add(e: SyncEvent): void {
    const data = record(e.data);
    const row = this.row;
    switch (e.kind) {
      case 'field_mirrored':
        if (e.side === 'b') row.mirrored.aToB++;
        if (e.side === 'a') row.mirrored.bToA++;
        this.latency(data);
        return;
      case 'link_created': {
        // Tickets a person paired (`ticketbridge link`) were not created by the daemon.
        if (data.adopted === true) return;
        const source = data.source === 'a' || data.source === 'b' ? data.source : e.side === 'a' ? 'b' : 'a';
        row.created[source]++;
        if (source === 'a') row.mirrored.aToB++;
        else row.mirrored.bToA++;
        this.latency(data);
        return;
      }
      case 'field_reverted':
        return this.revert(e);
      case 'conflict_opened':
        row.conflicts.opened++;
        bump(row.conflictsByField, e.field ?? '(ticket)');
        return;
      case 'conflict_resolved':
        row.conflicts.resolved++;
        return;
      default:
        return this.addPlaybook(e, data);
    }
  }

  private latency(data: Record<string, JsonValue>): void {
    const ms = num(data.latencyMs);
    if (ms !== null) this.latencies.push(ms);
  }

  private revert(e: SyncEvent): void {
    this.row.reverts++;
    // The side written by a revert is the side whose edit was rejected.
    const by = (this.row.revertsByField[e.field ?? '(ticket)'] ??= { a: 0, b: 0 });
    if (e.side) by[e.side]++;
  }

  private addPlaybook(e: SyncEvent, data: Record<string, JsonValue>): void {
    const row = this.row;
    if (e.kind === 'pair_closed' || e.kind === 'ticket_closed' || e.kind === 'link_closed') row.closed++;
    else if (e.kind === 'function_changed') bump(row.functions, text(data.to, '(none)'));
    else if (e.kind === 'escalation') bump(this.escalations, text(data.scenario, text(data.policy, '(unnamed)')));
    else if (e.kind === 'sla_met' || e.kind === 'sla_breached') this.slaClock(e, data);
    else if (e.kind === 'notification_failed') row.notificationsFailed++;
    else if (e.kind === 'drift_found') row.drift.found++;
    else if (e.kind === 'drift_repaired') row.drift.repaired++;
    else if (e.kind === 'ticket_reopened') row.reopened++;
  }

  private slaClock(e: SyncEvent, data: Record<string, JsonValue>): void {
    const policy = text(data.policy, '(unnamed)');
    const clock = text(data.clock, 'resolution');
    const key = `${policy}\u0000${clock}`;
    const sla = this.sla.get(key) ?? { policy, clock, met: 0, breached: 0, metShare: null };
    if (e.kind === 'sla_met') sla.met++;
    else sla.breached++;
    this.sla.set(key, sla);
    const side = data.side === 'a' || data.side === 'b' ? data.side : null;
    const started = typeof data.startedAt === 'string' ? Date.parse(data.startedAt) : NaN;
    const stopped = Date.parse(typeof data.at === 'string' ? data.at : e.at);
    if (side === null || Number.isNaN(started) || Number.isNaN(stopped)) return;
    const times = this.times.get(`${side}\u0000${clock}`) ?? { side, clock, values: [] };
    times.values.push(Math.max(0, stopped - started));
    this.times.set(`${side}\u0000${clock}`, times);
  }

  finish(errors: ErrorRecord[], period: Period): ConnectionReport {
    const row = this.row;
    row.mirrorLatencyMs = percentiles(this.latencies);
    row.escalations = Object.entries(this.escalations)
      .map(([scenario, escalations]) => ({ scenario, escalations }))
      .sort((x, y) => y.escalations - x.escalations || x.scenario.localeCompare(y.scenario));
    row.sla = [...this.sla.values()].map((s) => ({
      ...s,
      metShare: s.met + s.breached ? s.met / (s.met + s.breached) : null,
    }));
    row.teamTimes = [...this.times.values()].map((t) => ({
      team: row.systems[t.side],
      side: t.side,
      clock: t.clock,
      timeMs: percentiles(t.values),
      count: t.values.length,
    }));
    row.errors = errorCauses(errors, period);
    return row;
  }
}

/** Errors opened in the period by cause (code), with how long the resolved ones took. */
function errorCauses(errors: ErrorRecord[], period: Period): ErrorCause[] {
  const byCode = new Map<string, { opened: number; resolved: number; times: number[] }>();
  for (const e of errors) {
    if (e.createdAt < period.from || e.createdAt >= period.to) continue;
    const cause = byCode.get(e.code) ?? { opened: 0, resolved: 0, times: [] };
    cause.opened++;
    if (e.state === 'resolved') {
      cause.resolved++;
      cause.times.push(Math.max(0, Date.parse(e.updatedAt) - Date.parse(e.createdAt)));
    }
    byCode.set(e.code, cause);
  }
  return [...byCode.entries()]
    .map(([code, c]) => ({ code, opened: c.opened, resolved: c.resolved, timeToResolveMs: percentiles(c.times) }))
    .sort((x, y) => y.opened - x.opened || x.code.localeCompare(y.code));
}

const NO_FUNCTION = '(none)';

/**
 * Tallies per function of one connection: each link's events go to the function it belonged to
 * then (its last `function_changed` so far, looked up before the period once per link); a twin's
 * creation goes to the first function its ticket got.
 */
class FunctionTallies {
  private readonly current = new Map<string, string>();
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly ledger: Ledger,
    private readonly connection: ReportConnection,
    private readonly period: Period,
  ) {}

  async add(e: SyncEvent): Promise<void> {
    if (e.linkId === null) return;
    if (e.kind === 'function_changed') {
      this.current.set(e.linkId, text(record(e.data).to, NO_FUNCTION));
      return;
    }
    // A ticket gets its function on the first pass after its twin is made: the creation counts there.
    let fn = e.kind === 'link_created' ? await this.firstFunction(e.linkId) : this.current.get(e.linkId);
    if (fn === undefined) {
      const before = await this.ledger.listEvents({
        linkId: e.linkId,
        kind: 'function_changed',
        to: this.period.from,
        limit: 1,
      });
      fn = before.items[0] ? text(record(before.items[0].data).to, NO_FUNCTION) : NO_FUNCTION;
      this.current.set(e.linkId, fn);
    }
    let tally = this.tallies.get(fn);
    if (!tally) this.tallies.set(fn, (tally = new Tally({ ...this.connection, name: fn })));
    tally.add(e);
  }

  private async firstFunction(linkId: string): Promise<string> {
    const first = await this.ledger.listEvents({ linkId, kind: 'function_changed', order: 'asc', limit: 1 });
    return first.items[0] ? text(record(first.items[0].data).to, NO_FUNCTION) : NO_FUNCTION;
  }

  finish(): FunctionReport[] {
    return [...this.tallies.values()]
      .map((t): FunctionReport => {
        const r = t.finish([], this.period);
        const { created, mirrored, closed, reopened, reverts, conflicts, mirrorLatencyMs } = r;
        return { function: r.name, created, mirrored, closed, reopened, reverts, conflicts, mirrorLatencyMs };
      })
      .sort(
        (x, y) =>
          Number(x.function === NO_FUNCTION) - Number(y.function === NO_FUNCTION) ||
          x.function.localeCompare(y.function),
      );
  }
}

async function periodRows(
  ledger: Ledger,
  connections: ReportConnection[],
  period: Period,
): Promise<ConnectionReport[]> {
  const tallies = new Map(connections.map((c) => [c.name, new Tally(c)]));
  const byFunction = new Map(connections.map((c) => [c.name, new FunctionTallies(ledger, c, period)]));
  for await (const e of eventsIn(ledger, { ...period, connections: connections.map((c) => c.name) })) {
    tallies.get(e.connection)?.add(e);
    await byFunction.get(e.connection)?.add(e);
  }
  const rows: ConnectionReport[] = [];
  for (const [name, tally] of tallies) {
    const errors = await ledger.listErrors({ connection: name });
    rows.push({ ...tally.finish(errors, period), byFunction: byFunction.get(name)!.finish() });
  }
  return rows;
}

/** The report for a period (and the period before it) over the given connections. */
export async function buildReport(ledger: Ledger, connections: ReportConnection[], period: Period): Promise<Report> {
  const before = previousPeriod(period);
  return {
    from: period.from,
    to: period.to,
    connections: await periodRows(ledger, connections, period),
    previous: { ...before, connections: await periodRows(ledger, connections, before) },
  };
}
