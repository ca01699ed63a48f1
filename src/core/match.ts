// Whether a ticket matches a rule's conditions (functions, escalation policies, routing): every
// condition in `all` and, when `any` is given, one of `any`. A condition tests one native field on
// one side, or on either side when it names none: `in` a list of values (any element of a list
// field), or `contains` a word (case-insensitive) in the field's text.
import type { FieldValues, JsonValue, Side } from './types.js';
import { canonical } from './values.js';

export interface Condition {
  side?: Side | undefined;
  field: string;
  in?: readonly unknown[] | undefined;
  contains?: readonly string[] | undefined;
}

export interface Match {
  all?: readonly Condition[] | undefined;
  any?: readonly Condition[] | undefined;
}

/** The tickets a match looks at: both sides of a link, or only the source of a create. */
export type MatchSubject = { [S in Side]?: FieldValues | undefined };

function textOf(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join(' ');
  if (typeof value === 'object') return Object.values(value).map(textOf).join(' ');
  return String(value);
}

function holdsOn(condition: Condition, fields: FieldValues): boolean {
  const value = fields[condition.field];
  if (condition.in !== undefined) {
    const wanted = new Set(condition.in.map((v) => canonical(v as JsonValue)));
    const held = Array.isArray(value) ? value : [value ?? null];
    if (held.some((v) => wanted.has(canonical(v)))) return true;
  }
  if (condition.contains !== undefined) {
    const text = textOf(value).toLowerCase();
    if (condition.contains.some((word) => text.includes(word.toLowerCase()))) return true;
  }
  return false;
}

export function holds(condition: Condition, subject: MatchSubject): boolean {
  const sides: Side[] = condition.side ? [condition.side] : ['a', 'b'];
  return sides.some((side) => subject[side] !== undefined && holdsOn(condition, subject[side]));
}

export function matches(match: Match, subject: MatchSubject): boolean {
  const all = match.all ?? [];
  const any = match.any ?? [];
  if (all.length === 0 && any.length === 0) return true;
  return all.every((c) => holds(c, subject)) && (any.length === 0 || any.some((c) => holds(c, subject)));
}
