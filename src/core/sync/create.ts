// Whether a ticket with no link gets a twin, and with what: the connection's switches, the
// create direction and its defaults, the mapped fields translated, and routing. Then the
// baselines of a new link. Pure, shared by the create pass and the dry run.
import type { ConnectionConfig } from '../../mapping/schema.js';
import type { Baseline, NewEvent } from '../ledger/types.js';
import { routeCreate, type Calendars } from '../routing.js';
import { otherSide, type FieldValues, type JsonValue, type Side, type Ticket } from '../types.js';
import type { FieldRule } from '../values.js';
import { baselineOf, valueOf } from './planner.js';

export type Direction = 'aToB' | 'bToA';
export const direction = (from: Side): Direction => (from === 'a' ? 'aToB' : 'bToA');

/** Create settings for tickets born on `from`, normalised from the boolean shorthand. */
export function createSettings(
  config: ConnectionConfig,
  from: Side,
): { enabled: boolean; defaults: Record<string, JsonValue> } {
  const c = config.create[direction(from)];
  if (typeof c === 'boolean') return { enabled: c, defaults: {} };
  return { enabled: c.enabled, defaults: c.defaults as Record<string, JsonValue> };
}

export interface CreateInput {
  connection: string;
  config: ConnectionConfig;
  rules: readonly FieldRule[];
  from: Side;
  ticket: Ticket;
  nowMs: number;
  /** Named business-hours calendars routing may refer to. */
  calendars?: Calendars;
  /** When the connection's first sync started; null before it did (every ticket then exists already). */
  firstSyncStartedMs?: number | null;
}

/** How far a system's clock may differ from the daemon's when initialSync asks what existed before. */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/**
 * Why a ticket gets no twin under `initialSync`, or null. It speaks of tickets that existed before
 * the first sync (created before it started); later tickets follow the create rules alone. Without
 * a creation time the ticket's version bounds it: a ticket was created no later than it changed.
 */
export function initialSyncRefusal(
  config: ConnectionConfig,
  ticket: Ticket,
  firstSyncStartedMs: number | null,
): string | null {
  const rule = config.initialSync;
  const created = Date.parse(ticket.createdAt ?? '');
  const createdAtMost = Number.isNaN(created) ? Date.parse(ticket.version) : created;
  if (rule.createdAfter !== undefined && createdAtMost < Date.parse(rule.createdAfter))
    return `created before ${rule.createdAfter} (initialSync.createdAfter)`;
  // The creation time is the system's clock and the start the daemon's: they differ (skew, whole
  // seconds), so only a ticket created well before the start counts as existing. One created in
  // the minutes around it is mirrored: a few more closed twins, never a ticket left out.
  const existed = firstSyncStartedMs === null || createdAtMost < firstSyncStartedMs - CLOCK_TOLERANCE_MS;
  if (rule.openOnly && existed && ticket.closed === true) return 'closed before the first sync (initialSync.openOnly)';
  return null;
}

export type CreatePlan =
  | { create: false; reason: string }
  | {
      create: true;
      to: Side;
      /** What the twin is created with, in the target's vocabulary. */
      fields: FieldValues;
      /** The source values those fields came from (the intent keeps both). */
      source: FieldValues;
      /** Values that could not be translated (left out of the twin). */
      events: NewEvent[];
    };

/** Whether `ticket`, seen on `from` with no link, gets a twin, and with what. */
export function planCreate(input: CreateInput): CreatePlan {
  const { config, ticket, from } = input;
  if (!config.enabled) return { create: false, reason: 'the connection is paused (enabled: false)' };
  if (ticket.deleted) return { create: false, reason: 'the ticket is deleted' };
  if (!ticket.inScope) return { create: false, reason: 'the ticket is outside the scope' };
  // A ticket carrying this connection's marker is a twin the daemon created: never a source.
  if (ticket.marker?.startsWith(`tb:${input.connection}:`)) return { create: false, reason: 'the ticket is a twin' };
  const settings = createSettings(config, from);
  if (!settings.enabled) return { create: false, reason: `create.${direction(from)} is off` };
  const refusal = initialSyncRefusal(config, ticket, input.firstSyncStartedMs ?? null);
  if (refusal !== null) return { create: false, reason: refusal };
  const to = otherSide(from);
  const fields: FieldValues = { ...settings.defaults };
  const source: FieldValues = {};
  const events: NewEvent[] = [];
  for (const rule of input.rules) {
    const value = ticket.fields[rule.native[from]];
    if (value === undefined) continue;
    const t = rule.translate(from, value);
    if (t.ok) {
      fields[rule.native[to]] = t.value;
      source[rule.native[from]] = value;
    } else {
      events.push({
        connection: input.connection,
        linkId: null,
        side: from,
        field: rule.name,
        kind: 'error',
        oldValue: null,
        newValue: value,
        reason: t.reason,
      });
    }
  }
  Object.assign(fields, routeCreate(config, from, ticket.fields, input.nowMs, input.calendars));
  return { create: true, to, fields, source, events };
}

/**
 * The baseline a source side gets for a field its new twin does not hold as sent: no real value
 * equals it, so the next pass sees the source as changed and writes its value to the twin.
 */
export const NOT_MIRRORED: JsonValue = { ticketbridge: 'not mirrored yet' };

/** Whether the twin holds the value sent: equivalent to the source, or the sent text cut to fit. */
function holdsAsSent(rule: FieldRule, from: Side, source: JsonValue, wrote: JsonValue, held: JsonValue): boolean {
  if (rule.equivalent(from, source, held)) return true;
  return typeof wrote === 'string' && typeof held === 'string' && held.length < wrote.length && wrote.startsWith(held);
}

/**
 * The baselines of a new link. A field the twin holds as sent agrees: the source as read, the
 * twin as it holds the value. A field the twin does not hold was not (fully) written by the
 * create: the twin's value counts as agreed and the next pass writes the source's value again.
 * A recovered create (found by its marker after a stop) is read later, so there a difference is a
 * person's edit on the twin (kept: the sides agreed on what was sent), except in `halfDone`: the
 * fields the target's create sets in later calls (`facts.createSteps`, e.g. a Jira status reached
 * through transitions) that nobody else changed since, where the stop came between the calls.
 * Fields not sent get a baseline only when the sides already agree; the next pass settles the
 * rest by owner.
 */
export function createBaselines(
  rules: readonly FieldRule[],
  from: Side,
  tickets: Record<Side, Ticket>,
  sent: { fields: FieldValues; source: FieldValues },
  recovered: { halfDone: readonly string[] } | null,
): Record<string, Baseline> {
  const to = otherSide(from);
  const baselines: Record<string, Baseline> = {};
  for (const rule of rules) {
    const current = { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
    const wrote = sent.fields[rule.native[to]];
    const source = sent.source[rule.native[from]];
    if (wrote !== undefined && source !== undefined) {
      if (holdsAsSent(rule, from, source, wrote, current[to]))
        baselines[rule.name] = baselineOf(from, source, current[to]);
      else if (recovered && !recovered.halfDone.includes(rule.native[to]))
        baselines[rule.name] = baselineOf(from, source, wrote);
      else baselines[rule.name] = baselineOf(from, NOT_MIRRORED, current[to]);
    } else if (rule.equivalent('a', current.a, current.b)) {
      baselines[rule.name] = current;
    }
  }
  return baselines;
}
