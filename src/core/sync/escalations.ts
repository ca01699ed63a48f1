// Escalation policies, decided purely on every pass: each policy whose match holds on the link's
// tickets now and that has not triggered for this link before (the ledger's `escalation` events)
// triggers once — its route (in or after business hours) is written to the other side and the
// event recorded. The pass applies the decisions; the dry run shows them.
import type { EscalationConfig } from '../../mapping/schema.js';
import { inBusinessHours } from '../calendar.js';
import type { NewEvent } from '../ledger/types.js';
import { matches } from '../match.js';
import type { Calendars } from '../routing.js';
import { slaStarts } from '../sla.js';
import type { FieldValues, JsonValue, Side, Ticket } from '../types.js';
import { canonical } from '../values.js';

export interface EscalationDecision {
  policy: EscalationConfig;
  /** The route written, or null when the policy only notifies. */
  route: { side: Side; set: FieldValues; afterHours: boolean } | null;
  event: NewEvent;
}

export interface EscalationContext {
  connection: string;
  linkId: string;
  policies: readonly EscalationConfig[];
  calendars: Calendars;
  labels: Record<Side, string>;
  /** Policies that already triggered for this link. */
  triggered: ReadonlySet<string>;
  nowMs: number;
}

function routeOf(policy: EscalationConfig, calendars: Calendars, nowMs: number): EscalationDecision['route'] {
  const route = policy.route;
  if (!route) return null;
  const calendar = route.calendar === undefined ? undefined : calendars.get(route.calendar);
  const afterHours = route.afterHours !== undefined && calendar !== undefined && !inBusinessHours(calendar, nowMs);
  const set = (afterHours ? route.afterHours : route.set) as FieldValues;
  return { side: route.side, set, afterHours };
}

function routeWords(route: EscalationDecision['route'], labels: Record<Side, string>): string {
  if (!route) return 'no route';
  const fields = Object.entries(route.set).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return `${labels[route.side]} ${fields.join(', ')}${route.afterHours ? ' (after hours)' : ''}`;
}

/** The SLA clocks the policy starts now, kept on its event (the SLA watch and the pass read them there). */
function slaData(policy: EscalationConfig, ctx: EscalationContext): Record<string, JsonValue> {
  const starts = slaStarts(policy, ctx.calendars, ctx.nowMs);
  if (starts.length === 0) return {};
  return { label: policy.label ?? policy.name, sla: starts.map((s) => ({ ...s })) };
}

/** The policies that trigger for this link in this pass, with their routes and events. */
export function planEscalations(ctx: EscalationContext, tickets: Record<Side, Ticket>): EscalationDecision[] {
  const subject = { a: tickets.a.fields, b: tickets.b.fields };
  return ctx.policies
    .filter((p) => !ctx.triggered.has(p.name) && matches(p.match, subject))
    .map((policy) => {
      const route = routeOf(policy, ctx.calendars, ctx.nowMs);
      const where = routeWords(route, ctx.labels);
      const event: NewEvent = {
        connection: ctx.connection,
        linkId: ctx.linkId,
        side: route?.side ?? null,
        field: null,
        kind: 'escalation',
        oldValue: null,
        newValue: policy.name,
        reason: `${policy.label ?? policy.name} (${policy.scenario}) triggered: routed to ${where}`,
        data: {
          policy: policy.name,
          scenario: policy.scenario,
          route: route ? { side: route.side, ...route.set } : null,
          ...slaData(policy, ctx),
        },
      };
      return { policy, route, event };
    });
}

/** The fields of a route the target does not hold yet (nothing to write when it is already there). */
export function routeChanges(route: NonNullable<EscalationDecision['route']>, target: Ticket): FieldValues {
  return Object.fromEntries(
    Object.entries(route.set).filter(([k, v]) => canonical(target.fields[k] ?? null) !== canonical(v)),
  );
}
