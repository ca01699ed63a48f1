// Routing for created tickets: the first rule whose condition matches the source ticket sets
// native fields on the new twin (which MSP board, which internal group), by field value and by
// business hours in the configured time zone.
import type { ConnectionConfig } from '../mapping/schema.js';
import type { FieldValues, JsonValue, Side } from './types.js';
import { canonical } from './values.js';

type BusinessHours = NonNullable<NonNullable<ConnectionConfig['routing']>['businessHours']>;

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Whether `nowMs` falls inside the business hours, evaluated in their time zone. */
export function inBusinessHours(hours: BusinessHours, nowMs: number): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(nowMs));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').slice(0, 3).toLowerCase();
  if (!DAYS.includes(day as (typeof DAYS)[number]) || !hours.days.includes(day as BusinessHours['days'][number]))
    return false;
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  const [sh, sm] = hours.start.split(':').map(Number);
  const [eh, em] = hours.end.split(':').map(Number);
  return minutes >= (sh ?? 0) * 60 + (sm ?? 0) && minutes < (eh ?? 0) * 60 + (em ?? 0);
}

/** Fields the first matching routing rule sets on a twin created from `source` (born on `from`). */
export function routeCreate(config: ConnectionConfig, from: Side, source: FieldValues, nowMs: number): FieldValues {
  const routing = config.routing;
  if (!routing) return {};
  const rules = from === 'a' ? routing.aToB : routing.bToA;
  for (const rule of rules) {
    const when = rule.when;
    if (when.field !== undefined && when.in !== undefined) {
      const value = canonical(source[when.field]);
      if (!when.in.some((v) => canonical(v as JsonValue) === value)) continue;
    }
    if (when.businessHours !== undefined) {
      const inside = routing.businessHours ? inBusinessHours(routing.businessHours, nowMs) : true;
      if (inside !== when.businessHours) continue;
    }
    return rule.set as FieldValues;
  }
  return {};
}
