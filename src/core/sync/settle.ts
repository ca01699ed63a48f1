// Step 4's record, after the pass wrote what the planner (planner.ts) asked for: the baselines the
// written sides now hold, the events for each write, and the conflicts a refused write opens; and
// the events for text a connector cut to fit its system. Pure, like the planner.
import type { Baseline, NewEvent } from '../ledger/types.js';
import type { Side, Ticket } from '../types.js';
import {
  baselineOf,
  currentOf,
  event,
  valueOf,
  type LinkInput,
  type OpenConflict,
  type PlannedWrite,
} from './planner.js';
import { describeWrite } from './words.js';

/**
 * Events for text a connector cut to fit its system's limit (`Ticket.cuts`), for the fields named
 * (native name to field name): visible in the ticket's audit, never a silent truncation.
 */
export function cutEvents(
  connection: string,
  labels: Record<Side, string>,
  side: Side,
  ticket: Ticket,
  fields: Record<string, string>,
): NewEvent[] {
  return (ticket.cuts ?? []).flatMap((cut) => {
    const field = fields[cut.field];
    if (field === undefined) return [];
    const n = (x: number): string => x.toLocaleString('en-US');
    const reason = `${field} cut from ${n(cut.fromChars)} to ${n(cut.toChars)} characters to fit ${labels[side]}'s limit`;
    return [
      {
        connection,
        linkId: null,
        side,
        field,
        kind: 'text_cut' as const,
        oldValue: cut.fromChars,
        newValue: cut.toChars,
        reason,
      },
    ];
  });
}

/** What one side's system did with the planned writes. */
export interface WriteOutcome {
  written: Array<{ write: PlannedWrite; held: Ticket }>;
  /** Refused for good (validation, no transition), with the system's words. */
  refused: Array<{ write: PlannedWrite; reason: string }>;
}

export interface Settlement {
  baselines: Record<string, Baseline>;
  events: NewEvent[];
  openConflicts: OpenConflict[];
  /** Refused writes of fields one side owns: errors for a person, not conflicts. */
  failed: PlannedWrite[];
}

/**
 * Step 4's record: the new baseline of a written side is the value it holds after the write,
 * never what was sent; a both-owned value the other system refuses for good is parked in the
 * conflict inbox, where a person decides.
 */
export function settleWrites(input: LinkInput, outcome: WriteOutcome): Settlement {
  const settled: Settlement = { baselines: {}, events: [], openConflicts: [], failed: [] };
  for (const { write, held } of outcome.written) {
    const { field, to, from } = write;
    const newValue = valueOf(held, write.native);
    settled.baselines[field] = baselineOf(from, write.source, newValue);
    const kind = write.why === 'revert' ? 'field_reverted' : 'field_mirrored';
    const reason = describeWrite(input.labels, write);
    settled.events.push(event(input, { side: to, field, kind, oldValue: write.before, newValue, reason }));
    const rule = input.rules.find((r) => r.name === field)!;
    const cuts = [
      ...cutEvents(input.connection, input.labels, from, input.tickets[from], { [rule.native[from]]: field }),
      ...cutEvents(input.connection, input.labels, to, held, { [write.native]: field }),
    ];
    settled.events.push(...cuts.map((e) => ({ ...e, linkId: input.linkId })));
  }
  for (const { write, reason: why } of outcome.refused) {
    const { field, to } = write;
    const rule = input.rules.find((r) => r.name === field)!;
    if (rule.owner !== 'both') settled.failed.push(write);
    if (rule.owner !== 'both' || input.conflicts.has(field)) continue;
    const current = currentOf(rule, input.tickets);
    const baseline = input.baselines[field] ?? { a: null, b: null };
    settled.openConflicts.push({ field, aValue: current.a, bValue: current.b, baseline });
    const reason = `${input.labels[to]} refused ${field} ${JSON.stringify(write.value)} (${why}); parked for a person`;
    settled.events.push(
      event(input, { side: to, field, kind: 'conflict_opened', oldValue: current.a, newValue: current.b, reason }),
    );
  }
  return settled;
}
