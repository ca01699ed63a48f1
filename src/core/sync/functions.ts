// Ownership by function (the co-managed RACI): which function a linked ticket belongs to now
// (the first whose match holds on either side's fields), the field rules in force for it (its
// owners replace the mapping's), and the sentence logged when a ticket changes function. Pure:
// the pass and the dry run ask the same questions of the same tickets, so `plan` and the pass agree.
import type { FunctionConfig } from '../../mapping/schema.js';
import type { NewEvent } from '../ledger/types.js';
import { matches } from '../match.js';
import type { JsonValue, Owner, Side, Ticket } from '../types.js';
import type { FieldRule } from '../values.js';

/** The function a ticket belongs to, by its fields on both sides; null when none matches. */
export function functionOf(
  functions: readonly FunctionConfig[],
  tickets: Partial<Record<Side, Ticket>>,
): FunctionConfig | null {
  const subject = { a: tickets.a?.fields, b: tickets.b?.fields };
  return functions.find((f) => matches(f.match, subject)) ?? null;
}

/** The field rules in force for a ticket of `fn`: its owners replace the mapping's. */
export function rulesFor(rules: readonly FieldRule[], fn: FunctionConfig | null): readonly FieldRule[] {
  if (!fn || Object.keys(fn.owners).length === 0) return rules;
  return rules.map((rule) => {
    const owner = fn.owners[rule.name];
    return owner === undefined || owner === rule.owner ? rule : { ...rule, owner };
  });
}

/** Field name → owner, for every field, under `fn`. */
export function ownersOf(rules: readonly FieldRule[], fn: FunctionConfig | null): Record<string, Owner> {
  return Object.fromEntries(rulesFor(rules, fn).map((r) => [r.name, r.owner]));
}

/** How a side is named in sentences: its system, and its team when the config names one. */
export interface SideNames {
  labels: Record<Side, string>;
  teams: Partial<Record<Side, string>>;
}

export function ownerWords(names: SideNames, owner: Owner): string {
  if (owner === 'both') return 'both sides';
  const team = names.teams[owner];
  return team ? `${names.labels[owner]} (${team})` : names.labels[owner];
}

/** "security incident: status and assignee now owned by ConnectWise (MSP)". */
export function describeFunctionChange(
  rules: readonly FieldRule[],
  names: SideNames,
  from: FunctionConfig | null,
  to: FunctionConfig | null,
): string {
  const before = ownersOf(rules, from);
  const after = ownersOf(rules, to);
  const byOwner = new Map<Owner, string[]>();
  for (const [field, owner] of Object.entries(after)) {
    if (before[field] === owner) continue;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), field]);
  }
  const title = to ? (to.label ?? to.name) : `no longer ${from?.label ?? from?.name ?? 'in a function'}`;
  const moves = [...byOwner].map(([owner, fields]) => `${listWords(fields)} now owned by ${ownerWords(names, owner)}`);
  return `${title}: ${moves.length > 0 ? moves.join('; ') : 'ownership unchanged'}`;
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

/** The event a pass records when a linked ticket's function differs from the one last recorded. */
export function functionChangeEvent(
  context: { connection: string; linkId: string; rules: readonly FieldRule[]; names: SideNames },
  previous: FunctionConfig | null,
  previousName: string | null,
  current: FunctionConfig | null,
): NewEvent | null {
  const to = current?.name ?? null;
  if (previousName === to) return null;
  const owners = ownersOf(context.rules, current) as Record<string, JsonValue>;
  return {
    connection: context.connection,
    linkId: context.linkId,
    side: current?.responsible ?? null,
    field: null,
    kind: 'function_changed',
    oldValue: previousName,
    newValue: to,
    reason: describeFunctionChange(context.rules, context.names, previous, current),
    data: { from: previousName, to, owners },
  };
}
