// Step 3 of the sync rule, per field: given each side's current value, its own baseline and the
// field's owner and conflict rule, decide what to do. Pure; the table test covers every row.
import type { JsonValue, Side } from '../types.js';
import type { FieldRule } from '../values.js';

/** Why a value is written: mirrored, restored by its owner, a conflict rule, or a person's resolution. */
export type WriteWhy = 'mirror' | 'revert' | 'conflict-newest' | 'conflict-prefer' | 'resolved';

export type FieldDecision =
  | { kind: 'none' }
  /** Both sides agree (again): record the current values as the new baseline. */
  | { kind: 'converged' }
  /** Write `value` (already in `to`'s vocabulary) to side `to`, taken from side `from`. */
  | {
      kind: 'write';
      from: Side;
      to: Side;
      value: JsonValue;
      why: WriteWhy;
    }
  /** Keep a non-owner edit without mirroring it (onForeignEdit: ignore). */
  | { kind: 'ignore'; side: Side }
  /** Manual conflict: park the field in the conflict inbox. */
  | { kind: 'conflict' }
  /** The value cannot be translated (unmapped, no reverseDefault). */
  | { kind: 'error'; side: Side; reason: string };

export interface FieldState {
  current: Record<Side, JsonValue>;
  /** Undefined when the field has no baseline yet (a field added to the mapping later). */
  baseline: Record<Side, JsonValue> | undefined;
  /** When each side last changed (ms since epoch), for `conflict: newest`. */
  changedAt: Record<Side, number>;
}

function other(side: Side): Side {
  return side === 'a' ? 'b' : 'a';
}

function writeFrom(
  rule: FieldRule,
  state: FieldState,
  from: Side,
  why: Extract<FieldDecision, { kind: 'write' }>['why'],
): FieldDecision {
  const to = other(from);
  if (rule.equivalent(from, state.current[from], state.current[to])) return { kind: 'converged' };
  const t = rule.translate(from, state.current[from]);
  if (!t.ok) return { kind: 'error', side: from, reason: t.reason };
  return { kind: 'write', from, to, value: t.value, why };
}

/** The side whose value wins a both-owned conflict under the field's rule, or null for manual. */
function conflictWinner(rule: FieldRule, state: FieldState): Side | null {
  switch (rule.conflict) {
    case 'prefer-a':
      return 'a';
    case 'prefer-b':
      return 'b';
    case 'manual':
      return null;
    case 'newest':
      // Ties go to side a so the outcome is deterministic.
      return state.changedAt.b > state.changedAt.a ? 'b' : 'a';
  }
}

export function decideField(rule: FieldRule, state: FieldState): FieldDecision {
  const { current, baseline } = state;
  if (baseline === undefined) {
    // No baseline yet (a field added to the mapping, a pair a person linked): agree if
    // equivalent, else the owner decides, or for `both` the conflict rule, `newest` by when each
    // side last changed the field.
    if (rule.equivalent('a', current.a, current.b)) return { kind: 'converged' };
    if (rule.owner !== 'both') return writeFrom(rule, state, rule.owner, 'mirror');
    const winner = conflictWinner(rule, state);
    if (winner === null) return { kind: 'conflict' };
    return writeFrom(rule, state, winner, rule.conflict === 'newest' ? 'conflict-newest' : 'conflict-prefer');
  }

  const changed: Record<Side, boolean> = { a: !rule.same(current.a, baseline.a), b: !rule.same(current.b, baseline.b) };

  if (!changed.a && !changed.b) return { kind: 'none' };

  if (changed.a !== changed.b) {
    const side: Side = changed.a ? 'a' : 'b';
    const mayWrite = rule.owner === 'both' || rule.owner === side;
    if (mayWrite) return writeFrom(rule, state, side, 'mirror');
    // The non-owner side changed the field.
    if (rule.equivalent(side, current[side], current[other(side)])) return { kind: 'converged' };
    if (rule.onForeignEdit === 'ignore') return { kind: 'ignore', side };
    return writeFrom(rule, state, other(side), 'revert');
  }

  // Both sides changed.
  if (rule.equivalent('a', current.a, current.b)) return { kind: 'converged' };
  if (rule.owner !== 'both') return writeFrom(rule, state, rule.owner, 'revert');
  const winner = conflictWinner(rule, state);
  if (winner === null) return { kind: 'conflict' };
  return writeFrom(rule, state, winner, rule.conflict === 'newest' ? 'conflict-newest' : 'conflict-prefer');
}
