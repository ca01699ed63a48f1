// Routing for created tickets: the first rule whose conditions match the source ticket sets
// native fields on the new twin (which MSP board, which internal group), by field values (one
// field, or several with all/any) and by business hours in the calendar's time zone.
import type { CalendarConfig, ConnectionConfig } from '../mapping/schema.js';
import { compileCalendar, inBusinessHours, type Calendar } from './calendar.js';
import { matches } from './match.js';
import type { FieldValues, JsonValue, Side } from './types.js';
import { canonical } from './values.js';

/** Named calendars from the config, compiled. */
export type Calendars = ReadonlyMap<string, Calendar>;

export function compileCalendars(specs: Readonly<Record<string, CalendarConfig>> | undefined): Calendars {
  return new Map(Object.entries(specs ?? {}).map(([name, spec]) => [name, compileCalendar(spec)]));
}

/** A calendar named or written inline; undefined when none is configured (or the name is unknown). */
export function calendarOf(ref: string | CalendarConfig | undefined, calendars: Calendars): Calendar | undefined {
  if (ref === undefined) return undefined;
  return typeof ref === 'string' ? calendars.get(ref) : compileCalendar(ref);
}

type RoutingRule = NonNullable<ConnectionConfig['routing']>['aToB'][number];

function ruleMatches(rule: RoutingRule, from: Side, source: FieldValues, inside: () => boolean): boolean {
  const when = rule.when;
  if (when.field !== undefined && when.in !== undefined) {
    const value = canonical(source[when.field]);
    if (!when.in.some((v) => canonical(v as JsonValue) === value)) return false;
  }
  if (!matches({ all: when.all, any: when.any }, { [from]: source })) return false;
  return when.businessHours === undefined || inside() === when.businessHours;
}

/** Fields the first matching routing rule sets on a twin created from `source` (born on `from`). */
export function routeCreate(
  config: ConnectionConfig,
  from: Side,
  source: FieldValues,
  nowMs: number,
  calendars: Calendars = new Map(),
): FieldValues {
  const routing = config.routing;
  if (!routing) return {};
  const calendar = calendarOf(routing.businessHours, calendars);
  const inside = (): boolean => (calendar ? inBusinessHours(calendar, nowMs) : true);
  const rules = from === 'a' ? routing.aToB : routing.bToA;
  const rule = rules.find((r) => ruleMatches(r, from, source, inside));
  return (rule?.set ?? {}) as FieldValues;
}
