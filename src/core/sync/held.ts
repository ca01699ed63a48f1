// The other side of a webhook's pass as the ledger holds it (issue 14: calls per mirrored change).
// When a person's change on the hinted side leaves its mapped fields as the ledger holds them (a
// comment), and the ledger can trust that the other side has not moved, the pass plans from what
// the ledger holds for the other side instead of reading it first. Pure: the pass decides here.
import type { MatchConfig } from '../../mapping/schema.js';
import type { Baseline, Link } from '../ledger/types.js';
import { otherSide, type FieldValues, type Side, type Ticket } from '../types.js';
import { canonical, type FieldRule } from '../values.js';
import { isUnlisted, seenVersion } from './versions.js';

export interface HeldInput {
  link: Link;
  baselines: Readonly<Record<string, Baseline>>;
  rules: readonly FieldRule[];
  /** The side the webhook delivery named; the other side is the one stood in for. */
  hinted: Side;
  /** The other side's system sends this daemon deliveries (SideRuntime.webhooks). */
  webhooks: boolean;
  /** Pending intents of the link (updates, comment and file copies a stopped pass left). */
  intents: number;
  /** Open conflicts of the link. */
  conflicts: number;
  /**
   * The matches the pass tests on the tickets' fields: functions, escalation policies not yet
   * triggered, and `resolvedWhen` of running SLA clocks.
   */
  matches: readonly MatchConfig[];
  /** An escalation policy not yet triggered would write its route to the other side. */
  routesThere: boolean;
}

/**
 * The other side's ticket as the ledger holds it, or null when the pass must read it now. It
 * stands in only when everything the ledger says about it is known to be current:
 * - its system sends deliveries: a change a person makes there (a field, a comment) brings that
 *   side's own pass, so nothing it does is left unseen for long. This holds for a version the
 *   ledger does not trust yet too (under SETTLE_MS old, usually this daemon's write seconds
 *   before): a change hidden behind it is a change there with a delivery of its own, which the
 *   pass leaves to it exactly as it leaves that side's comments (pass.ts commentSides: the side is
 *   `deferred`, and keepUntrusted keeps its version untrusted, so that delivery runs a pass);
 * - its stored version is not marked `unlisted` (its comments never listed since it moved: the
 *   next pass that reads the side lists them, so this one reads it);
 * - no intent is pending on the link and no conflict is open: recovering a stopped write and
 *   re-deciding a parked field both need the values there as they are;
 * - every mapped field has a baseline, and the baselines of that side hash to its stored version:
 *   they are then exactly the values it held at that version (a field kept unmirrored by
 *   `onForeignEdit: ignore` keeps the baseline it holds, so it still matches);
 * - whatever the pass tests on that side's fields (function, escalation and SLA matches) is a
 *   mapped field, and no escalation still to trigger would write there.
 * The stand-in is open or closed as the link last saw it (`closedSince` is set only while both
 * sides were closed). A pass never writes to a side it did not read just now (the pass reads it
 * first), so the stand-in only ever feeds the plan.
 */
export function heldTwin(input: HeldInput): Ticket | null {
  const { link, baselines, rules } = input;
  const side = otherSide(input.hinted);
  const stored = side === 'a' ? link.aVersion : link.bVersion;
  const hintedStored = input.hinted === 'a' ? link.aVersion : link.bVersion;
  if (!input.webhooks || stored === null || hintedStored === null || isUnlisted(stored)) return null;
  if (input.intents > 0 || input.conflicts > 0 || input.routesThere) return null;
  const version = stored.split('#')[0] ?? '';
  if (Number.isNaN(Date.parse(version))) return null;
  const natives = new Set(rules.map((r) => r.native[side]));
  const conditions = input.matches.flatMap((m) => [...(m.all ?? []), ...(m.any ?? [])]);
  if (conditions.some((c) => c.side !== input.hinted && !natives.has(c.field))) return null;
  const fields: FieldValues = {};
  for (const rule of rules) {
    const baseline = baselines[rule.name];
    if (!baseline) return null;
    fields[rule.native[side]] = baseline[side];
  }
  const key = side === 'a' ? link.aKey : link.bKey;
  const memo = side === 'a' ? link.aMemo : link.bMemo;
  const ticket: Ticket = {
    id: side === 'a' ? link.aId : link.bId,
    version,
    fields,
    inScope: true,
    closed: link.closedSince !== null,
    ...(key === null ? {} : { key }),
    ...(memo === null ? {} : { memo }),
  };
  return seenVersion(rules, side, ticket) === stored ? ticket : null;
}

/**
 * Whether the hinted side as just read lets the held stand-in serve: it is there and in scope,
 * every mapped field holds its baseline (so nothing is written to either side and no field
 * decision needs the other side's value now), and the link's closure can be told without the
 * other side (a closed ticket on a link not seen closed on both sides needs the other's state).
 */
export function hintedAsHeld(
  rules: readonly FieldRule[],
  baselines: Readonly<Record<string, Baseline>>,
  link: Link,
  side: Side,
  ticket: Ticket | null,
): boolean {
  if (!ticket || ticket.deleted || !ticket.inScope) return false;
  if (ticket.closed === true && link.closedSince === null) return false;
  return rules.every((rule) => {
    const baseline = baselines[rule.name];
    return baseline !== undefined && canonical(ticket.fields[rule.native[side]] ?? null) === canonical(baseline[side]);
  });
}
