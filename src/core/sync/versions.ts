// What the ledger remembers of each side between passes: a version plus a hash of the mapped
// fields (so an edit that does not move a coarse timestamp is still seen), and each side's
// human-facing key. The version fast path lets a pass skip a side that has not moved.
import { createHash } from 'node:crypto';
import type { Link } from '../ledger/types.js';
import type { JsonValue, Side, Ticket } from '../types.js';
import { canonical, type FieldRule } from '../values.js';

/**
 * How long after a version's timestamp the ledger must have seen it before version equality is
 * trusted to mean "nothing new". Systems with one-second timestamps (Freshservice, ConnectWise)
 * can change a ticket again within the same second without moving its version.
 */
export const SETTLE_MS = 3000;

/** The version as the ledger stores it: the ticket's version and a hash of its mapped fields. */
export function seenVersion(rules: readonly FieldRule[], side: Side, ticket: Ticket): string {
  const hash = createHash('sha1');
  for (const rule of rules) hash.update(canonical(ticket.fields[rule.native[side]] ?? null)).update('\u0000');
  return `${ticket.version}#${hash.digest('base64url').slice(0, 12)}`;
}

const UNLISTED = '#unlisted';

/**
 * A stored version whose side's comments no pass has listed since the side moved or while it was
 * untrusted (pass.ts keepUntrusted): it equals no version seen, so the next pass that reads the
 * side finds it moved and lists its comments. Its own version stays first (`<version>#…`).
 */
export function unlisted(stored: string): string {
  return isUnlisted(stored) ? stored : `${stored}${UNLISTED}`;
}

/** The system's own version in a stored one (`<version>#<field hash>[#unlisted]`). */
export function stampOf(stored: string): string {
  return stored.split('#')[0] ?? '';
}

/** Whether a stored version is marked `unlisted`. */
export function isUnlisted(stored: string): boolean {
  return stored.endsWith(UNLISTED);
}

/** How long after a version's stamp the ledger must have held it to trust it (see `settled`). */
export function settleMs(stepMs = 1000): number {
  return Math.min(SETTLE_MS, 3 * stepMs);
}

/**
 * Whether the ledger saw `version` long enough after it was stamped to trust equality. `stepMs` is
 * the step of the system's versions (`ConnectorFacts.versionStepMs`): whole seconds by default,
 * where a second change inside the same second keeps the version, so equality is trusted only
 * SETTLE_MS after it; a system stamping milliseconds (Jira's `updated`) is trusted three steps after.
 */
export function settled(linkUpdatedAt: string, version: string, stepMs = 1000): boolean {
  return Date.parse(linkUpdatedAt) - Date.parse(version) > settleMs(stepMs);
}

/** The step of a side's versions, in milliseconds (whole seconds unless its connector says). */
export function versionStep(facts: { versionStepMs?: number }): number {
  return facts.versionStepMs ?? 1000;
}

/** Each side's human-facing key where its system has one and the link does not hold it yet. */
export function keysOf(tickets: Record<Side, Ticket>, link?: Link): { a?: string; b?: string } {
  const changed = (side: Side): string | undefined => {
    const key = tickets[side].key;
    return key && key !== (side === 'a' ? link?.aKey : link?.bKey) ? key : undefined;
  };
  const a = changed('a');
  const b = changed('b');
  return { ...(a ? { a } : {}), ...(b ? { b } : {}) };
}

/** Each side's connector memo where the ticket carries one the link does not hold yet. */
export function memosOf(tickets: Record<Side, Ticket>, link?: Link): { a?: JsonValue; b?: JsonValue } {
  const out: { a?: JsonValue; b?: JsonValue } = {};
  for (const side of ['a', 'b'] as const) {
    const memo = tickets[side].memo;
    const held = side === 'a' ? link?.aMemo : link?.bMemo;
    if (memo !== undefined && canonical(memo) !== canonical(held ?? null)) out[side] = memo;
  }
  return out;
}
