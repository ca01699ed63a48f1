// SLA clocks of escalation policies: started when a policy triggers (their due times recorded on
// its `escalation` event), stopped by the first public reply a person writes on either side or by
// the ticket becoming resolved, and breached when they fall due first. Pure: the pass hands in the
// tickets and comments it read, the SLA watch hands in the time; both record what this returns.
import type { EscalationConfig, MatchConfig } from '../mapping/schema.js';
import { inBusinessHours, type Calendar } from './calendar.js';
import type { NewEvent, SyncEvent } from './ledger/types.js';
import { matches } from './match.js';
import type { Comment, JsonValue, Side, Ticket } from './types.js';

export type SlaClockName = 'firstResponse' | 'resolution';

/** A clock as its policy's `escalation` event records it when it starts. */
export interface SlaStart {
  clock: SlaClockName;
  startedAt: string;
  dueAt: string;
  minutes: number;
  businessHours: boolean;
}

/** A clock as the ledger's events tell it. */
export interface SlaClock extends SlaStart {
  linkId: string;
  connection: string;
  policy: string;
  label: string;
  state: 'running' | 'met' | 'breached';
  /** When the clock stopped (the reply or the resolution), null while running or breached unanswered. */
  stoppedAt: string | null;
  /** The side whose reply or resolution stopped it. */
  side: Side | null;
}

const CLOCK_WORDS: Record<SlaClockName, string> = { firstResponse: 'first response', resolution: 'resolution' };
const MINUTE_MS = 60_000;
/** A business-hours clock whose calendar opens no window for this long never falls due. */
const BUSINESS_SEARCH_MINUTES = 21 * 24 * 60;

/**
 * The time `minutes` after `startMs`; with a calendar, only minutes inside its windows count
 * (a 30-minute clock started Friday 19:00 on an office calendar falls due Monday 08:30).
 * Null when the calendar opens no window within three weeks.
 */
export function dueAfter(startMs: number, minutes: number, calendar?: Calendar): number | null {
  if (!calendar) return startMs + minutes * MINUTE_MS;
  if (calendar.days.length === 0 || calendar.windows.length === 0) return null;
  let counted = 0;
  let t = startMs;
  for (let step = 0; step < BUSINESS_SEARCH_MINUTES; step++) {
    if (inBusinessHours(calendar, t)) counted++;
    t += MINUTE_MS;
    if (counted >= minutes) return t;
  }
  return null;
}

/** The clocks a policy starts when it triggers at `nowMs` (none without `sla:`). */
export function slaStarts(
  policy: EscalationConfig,
  calendars: ReadonlyMap<string, Calendar>,
  nowMs: number,
): SlaStart[] {
  const sla = policy.sla;
  if (!sla) return [];
  const calendarName = policy.route?.calendar;
  const calendar = sla.businessHours && calendarName !== undefined ? calendars.get(calendarName) : undefined;
  const out: SlaStart[] = [];
  const clocks: Array<[SlaClockName, number | undefined]> = [
    ['firstResponse', sla.firstResponseMinutes],
    ['resolution', sla.resolutionMinutes],
  ];
  for (const [clock, minutes] of clocks) {
    if (minutes === undefined) continue;
    const due = dueAfter(nowMs, minutes, calendar);
    if (due === null) continue;
    out.push({
      clock,
      startedAt: new Date(nowMs).toISOString(),
      dueAt: new Date(due).toISOString(),
      minutes,
      businessHours: calendar !== undefined,
    });
  }
  return out;
}

function record(value: JsonValue | null): Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function text(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function startsOf(event: SyncEvent): SlaStart[] {
  const list = record(event.data).sla;
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw) => {
    const s = record(raw);
    if (s.clock !== 'firstResponse' && s.clock !== 'resolution') return [];
    if (typeof s.startedAt !== 'string' || typeof s.dueAt !== 'string') return [];
    return [
      {
        clock: s.clock,
        startedAt: s.startedAt,
        dueAt: s.dueAt,
        minutes: typeof s.minutes === 'number' ? s.minutes : 0,
        businessHours: s.businessHours === true,
      },
    ];
  });
}

/** Every SLA clock of the given events (a link's, or a connection's), with its state. */
export function slaClocks(events: readonly SyncEvent[]): SlaClock[] {
  const clocks = new Map<string, SlaClock>();
  const ordered = [...events].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.id < y.id ? -1 : 1));
  for (const e of ordered) {
    if (e.kind !== 'escalation' || e.linkId === null) continue;
    const data = record(e.data);
    const policy = typeof data.policy === 'string' ? data.policy : typeof e.newValue === 'string' ? e.newValue : '';
    const label = typeof data.label === 'string' ? data.label : policy;
    for (const start of startsOf(e))
      clocks.set(`${e.linkId}\u0000${policy}\u0000${start.clock}`, {
        ...start,
        linkId: e.linkId,
        connection: e.connection,
        policy,
        label,
        state: 'running',
        stoppedAt: null,
        side: null,
      });
  }
  for (const e of ordered) {
    if ((e.kind !== 'sla_met' && e.kind !== 'sla_breached') || e.linkId === null) continue;
    const data = record(e.data);
    const clock = clocks.get(`${e.linkId}\u0000${text(data.policy)}\u0000${text(data.clock)}`);
    if (!clock || clock.state !== 'running') continue;
    clock.state = e.kind === 'sla_met' ? 'met' : 'breached';
    clock.stoppedAt = typeof data.at === 'string' ? data.at : null;
    clock.side = data.side === 'a' || data.side === 'b' ? data.side : null;
  }
  return [...clocks.values()];
}

function minutesBetween(fromIso: string, toMs: number): number {
  return Math.max(0, Math.round((toMs - Date.parse(fromIso)) / MINUTE_MS));
}

function hhmm(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The `sla_met` or `sla_breached` event of a clock stopped at `atMs` by `side`. */
export function stopEvent(clock: SlaClock, side: Side, atMs: number, sideLabel: string): NewEvent {
  const met = atMs <= Date.parse(clock.dueAt);
  const words = CLOCK_WORDS[clock.clock];
  const took = minutesBetween(clock.startedAt, atMs);
  return {
    connection: clock.connection,
    linkId: clock.linkId,
    side,
    field: null,
    kind: met ? 'sla_met' : 'sla_breached',
    oldValue: null,
    newValue: clock.clock,
    reason: `${clock.label}: ${words} by ${sideLabel} after ${took} min, ${met ? 'within' : 'beyond'} the ${clock.minutes}-minute SLA (due ${hhmm(clock.dueAt)})`,
    data: dataOf(clock, { at: new Date(atMs).toISOString(), side }),
  };
}

/** The `sla_breached` event of a running clock found past its due time at `nowMs`. */
export function breachEvent(clock: SlaClock): NewEvent {
  const words = CLOCK_WORDS[clock.clock];
  return {
    connection: clock.connection,
    linkId: clock.linkId,
    side: null,
    field: null,
    kind: 'sla_breached',
    oldValue: null,
    newValue: clock.clock,
    reason: `${clock.label}: no ${words} within the ${clock.minutes}-minute SLA (due ${hhmm(clock.dueAt)})`,
    data: dataOf(clock, {}),
  };
}

function dataOf(clock: SlaClock, extra: Record<string, JsonValue>): Record<string, JsonValue> {
  return {
    policy: clock.policy,
    clock: clock.clock,
    startedAt: clock.startedAt,
    dueAt: clock.dueAt,
    businessHours: clock.businessHours,
    ...extra,
  };
}

/** The earliest public comment a person wrote (not one this daemon copied) at or after `fromIso`. */
function firstReply(lists: Record<Side, readonly Comment[]>, fromIso: string): { side: Side; atMs: number } | null {
  const from = Date.parse(fromIso);
  let best: { side: Side; atMs: number } | null = null;
  for (const side of ['a', 'b'] as const)
    for (const c of lists[side]) {
      if (c.visibility !== 'public' || (c.marker !== undefined && c.marker !== null)) continue;
      const at = Date.parse(c.createdAt);
      if (Number.isNaN(at) || at < from) continue;
      if (!best || at < best.atMs) best = { side, atMs: at };
    }
  return best;
}

/** The side on which the ticket is resolved (the earlier, when both), and since when. */
function resolution(
  when: MatchConfig | undefined,
  tickets: Record<Side, Ticket>,
  fromIso: string,
): { side: Side; atMs: number } | null {
  if (!when) return null;
  const from = Date.parse(fromIso);
  let best: { side: Side; atMs: number } | null = null;
  for (const side of ['a', 'b'] as const) {
    if (!matches(when, { [side]: tickets[side].fields })) continue;
    const at = Math.max(from, Date.parse(tickets[side].version) || from);
    if (!best || at < best.atMs) best = { side, atMs: at };
  }
  return best;
}

/**
 * The events of running clocks this pass stops: the first public reply on either side (from the
 * comments the pass listed) and the ticket resolved on either side (from the tickets it read).
 */
export function slaStops(
  running: readonly SlaClock[],
  policies: readonly EscalationConfig[],
  tickets: Record<Side, Ticket>,
  lists: Record<Side, readonly Comment[]>,
  labels: Record<Side, string>,
): NewEvent[] {
  const events: NewEvent[] = [];
  for (const clock of running) {
    if (clock.state !== 'running') continue;
    const policy = policies.find((p) => p.name === clock.policy);
    const stop =
      clock.clock === 'firstResponse'
        ? firstReply(lists, clock.startedAt)
        : resolution(policy?.sla?.resolvedWhen, tickets, clock.startedAt);
    if (stop) events.push(stopEvent(clock, stop.side, stop.atMs, labels[stop.side]));
  }
  return events;
}

/** One clock in a line of words, for the audit: "critical outage, first response (30 min): met by b after 12 min, due …". */
export function slaClockWords(clock: SlaClock): string {
  const head = `${clock.label}, ${CLOCK_WORDS[clock.clock]} (${clock.minutes}${clock.businessHours ? ' business' : ''} min, started ${hhmm(clock.startedAt)}, due ${hhmm(clock.dueAt)})`;
  const took = clock.stoppedAt === null ? null : minutesBetween(clock.startedAt, Date.parse(clock.stoppedAt));
  const by = clock.side === null ? '' : ` by side ${clock.side}`;
  if (clock.state === 'met') return `${head}: met${by} after ${took} min`;
  if (clock.state === 'breached') return `${head}: breached${took === null ? '' : `${by}, after ${took} min`}`;
  return `${head}: running`;
}
