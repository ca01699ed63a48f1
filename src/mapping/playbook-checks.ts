// Checks of the co-managed playbook parts of a parsed config that zod cannot make alone: every
// calendar named exists, and every route target (a board, group or category a routing rule or
// escalation sets on a twin) lies inside that side's scope — a twin routed outside the scope
// would leave it at once and its link would stop syncing.
import type { Side } from '../core/types.js';
import { canonical } from '../core/values.js';
import type { PathProblem } from './references.js';
import type { Config, ConnectionConfig, EscalationConfig, ScopeConfig } from './schema.js';

/** Native fields that place a ticket in (or out of) a scope key, per system kind. */
const SCOPE_FIELDS: Record<string, Record<string, keyof ScopeConfig>> = {
  connectwise: { board: 'boards' },
  freshservice: { group_id: 'groups', category: 'categories' },
};

function scopeProblem(
  config: Config,
  connection: string,
  conn: ConnectionConfig,
  side: Side,
  set: Record<string, unknown>,
  path: (string | number)[],
): PathProblem[] {
  const system = config.systems[conn[side].system];
  const fields = system ? SCOPE_FIELDS[system.kind] : undefined;
  if (!fields) return [];
  const problems: PathProblem[] = [];
  for (const [native, value] of Object.entries(set)) {
    const key = fields[native];
    const allowed = key ? (conn[side].scope[key] as unknown[] | undefined) : undefined;
    if (!key || allowed === undefined || allowed.length === 0) continue;
    if (allowed.some((v) => canonical(v as never) === canonical(value as never))) continue;
    // Freshservice groups may be listed by name while a route sets an id (or the reverse).
    if (native === 'group_id' && allowed.some((v) => typeof v !== typeof value)) continue;
    problems.push({
      path: [...path, native],
      message: `routes tickets to ${native} ${JSON.stringify(value)}, outside side ${side}'s scope (${key}: ${allowed.map((v) => JSON.stringify(v)).join(', ')}); a twin there leaves the scope and its link stops syncing — add it to connections.${connection}.${side}.scope.${key}`,
    });
  }
  return problems;
}

function calendarProblem(config: Config, ref: unknown, path: (string | number)[]): PathProblem[] {
  if (typeof ref !== 'string' || ref in config.calendars) return [];
  const known = Object.keys(config.calendars);
  const hint = known.length > 0 ? `; calendars defined: ${known.join(', ')}` : '; no calendars are defined';
  return [{ path, message: `unknown calendar ${JSON.stringify(ref)}${hint}` }];
}

/** Function owners name mapped fields; function names are unique. */
function functionProblems(name: string, conn: ConnectionConfig): PathProblem[] {
  const problems: PathProblem[] = [];
  const fields = conn.fields.map((f) => f.name);
  const seen = new Set<string>();
  conn.functions.forEach((fn, i) => {
    const path = ['connections', name, 'functions', i];
    if (seen.has(fn.name))
      problems.push({ path: [...path, 'name'], message: `duplicate function ${JSON.stringify(fn.name)}` });
    seen.add(fn.name);
    for (const field of Object.keys(fn.owners)) {
      if (fields.includes(field)) continue;
      problems.push({
        path: [...path, 'owners', field],
        target: 'key',
        message: `owners names ${JSON.stringify(field)}, which is not a mapped field (fields: ${fields.join(', ')})`,
      });
    }
  });
  return problems;
}

function channelProblem(config: Config, contact: string, path: (string | number)[]): PathProblem[] {
  const channels = Object.keys(config.notifications?.channels ?? {});
  if (channels.includes(contact)) return [];
  const known =
    channels.length > 0 ? `channels defined: ${channels.join(', ')}` : 'no notifications.channels are defined';
  return [{ path, message: `unknown notification channel ${JSON.stringify(contact)}; ${known}` }];
}

/** A resolution clock needs to know what resolved means; a business-hours clock needs a calendar. */
function slaProblems(policy: EscalationConfig, path: (string | number)[]): PathProblem[] {
  const sla = policy.sla;
  if (!sla) return [];
  const problems: PathProblem[] = [];
  if (sla.resolutionMinutes !== undefined && sla.resolvedWhen === undefined)
    problems.push({
      path: [...path, 'sla', 'resolutionMinutes'],
      message: 'a resolution SLA needs sla.resolvedWhen (e.g. status Resolved or Closed) to know when the clock stops',
    });
  if (sla.businessHours && policy.route?.calendar === undefined)
    problems.push({
      path: [...path, 'sla', 'businessHours'],
      message: 'business-hours SLA clocks count the minutes of route.calendar, and this policy names none',
    });
  return problems;
}

export function checkPlaybook(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  config.notifications?.trouble?.channels.forEach((c, j) =>
    problems.push(...channelProblem(config, c, ['notifications', 'trouble', 'channels', j])),
  );
  for (const [name, conn] of Object.entries(config.connections)) {
    problems.push(...functionProblems(name, conn));
    conn.escalations.forEach((policy, i) => {
      const path = ['connections', name, 'escalations', i];
      const route = policy.route;
      if (route) {
        problems.push(...calendarProblem(config, route.calendar, [...path, 'route', 'calendar']));
        problems.push(...scopeProblem(config, name, conn, route.side, route.set, [...path, 'route', 'set']));
        if (route.afterHours)
          problems.push(
            ...scopeProblem(config, name, conn, route.side, route.afterHours, [...path, 'route', 'afterHours']),
          );
      }
      problems.push(...slaProblems(policy, path));
      policy.contacts.forEach((contact, j) =>
        problems.push(...channelProblem(config, contact, [...path, 'contacts', j])),
      );
    });
    const routing = conn.routing;
    if (!routing) continue;
    problems.push(...calendarProblem(config, routing.businessHours, ['connections', name, 'routing', 'businessHours']));
    for (const [direction, to] of [
      ['aToB', 'b'],
      ['bToA', 'a'],
    ] as const) {
      routing[direction].forEach((rule, i) => {
        const path = ['connections', name, 'routing', direction, i, 'set'];
        problems.push(...scopeProblem(config, name, conn, to, rule.set, path));
      });
    }
  }
  return problems;
}
