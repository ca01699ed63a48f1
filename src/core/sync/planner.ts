// The sync rule for one link, as one pure function: given the link's baselines, both tickets as
// read, the writes a stopped pass left behind (update intents) and the open conflicts, decide per
// field what to write where, which baselines, events and conflicts to record, and which intents
// are settled. `settleWrites` (settle.ts) turns what the systems did with the writes into the
// same kind of record. No I/O: the pass (pass.ts) reads, asks here, writes, and commits; the dry run asks the
// same questions and prints the answers.
import { decideField, type FieldDecision, type WriteWhy } from './decide.js';
import type { Baseline, Conflict, Intent, NewEvent } from '../ledger/types.js';
import { otherSide, type JsonValue, type Side, type Ticket } from '../types.js';
import { canonical, type FieldRule } from '../values.js';
import type { EscalationDecision } from './escalations.js';
import { sideName } from './words.js';

export interface LinkInput {
  connection: string;
  linkId: string;
  /** Each side's system label ("ConnectWise"), for the sentences in events. */
  labels: Record<Side, string>;
  /** The field rules in force for this ticket (ownership may depend on its function). */
  rules: readonly FieldRule[];
  baselines: Readonly<Record<string, Baseline>>;
  tickets: Record<Side, Ticket>;
  /** Pending `update` intents of the link: writes a pass made but did not commit. */
  intents: readonly Intent[];
  /** Per side, the native fields one write sets in several calls (`ConnectorFacts.updateSteps`). */
  updateSteps?: Record<Side, readonly string[]>;
  /** Open conflicts by field name. */
  conflicts: ReadonlyMap<string, Conflict>;
  /** A person resolved this conflict by taking this side's value. */
  resolve?: { conflictId: string; take: Side };
  /** When each native field last changed, per side, where the systems keep a history. */
  fieldTimes?: Record<Side, Record<string, string>>;
  /** The ticket changed function (and so field owners) since the ledger last recorded it. */
  functionEvent?: NewEvent;
  /** Escalation policies that trigger in this pass (sync/escalations.ts). */
  escalations?: readonly EscalationDecision[];
}

/** One field value to write to side `to`, already in its vocabulary. */
export interface PlannedWrite {
  field: string;
  native: string;
  from: Side;
  to: Side;
  value: JsonValue;
  why: WriteWhy;
  /** The source side's value it was translated from. */
  source: JsonValue;
  /** What the target held when the pass read it. */
  before: JsonValue;
}

export interface OpenConflict {
  field: string;
  aValue: JsonValue;
  bValue: JsonValue;
  baseline: Baseline;
}

export interface LinkPlan {
  writes: Record<Side, PlannedWrite[]>;
  /** Baselines recorded without a write: converged, ignored, or recovered from an intent. */
  baselines: Record<string, Baseline>;
  events: NewEvent[];
  openConflicts: OpenConflict[];
  closeConflicts: Array<{ id: string; resolution: string }>;
  intentsSettled: string[];
  /** Values that cannot be translated: an error for a person, per side and field. */
  errors: Array<{ side: Side; field: string; message: string }>;
  /** A newest-wins call was made on ticket times; per-field history would settle it exactly. */
  wantsFieldTimes: boolean;
  /** Escalation policies triggering now: their routes are written and their events recorded. */
  escalations: readonly EscalationDecision[];
}

/** The payload of an `update` intent, as the pass records it before writing. */
export interface UpdatePayload {
  field: string;
  from: Side;
  value: JsonValue;
  source: JsonValue;
  before?: JsonValue;
}

/** A baseline from one side's value and the other side's. */
export function baselineOf(side: Side, value: JsonValue, other: JsonValue): Baseline {
  return side === 'a' ? { a: value, b: other } : { a: other, b: value };
}

export function valueOf(ticket: Ticket, native: string): JsonValue {
  return ticket.fields[native] ?? null;
}

function timeOf(ticket: Ticket, native: string, history?: Record<string, string>): number {
  const ms = Date.parse(history?.[native] ?? ticket.fieldChangedAt?.[native] ?? ticket.version);
  return Number.isNaN(ms) ? 0 : ms;
}

export function currentOf(rule: FieldRule, tickets: Record<Side, Ticket>): Record<Side, JsonValue> {
  return { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
}

/**
 * Writes a stopped pass made. Where the target holds what was written, the write landed and the
 * sides agreed then: that is the baseline, and the mirror is recorded now. Where it still holds
 * what it held before, the write never landed. A middle value of a write made in several calls
 * (`updateSteps`: a Jira transition path) stopped half-way counts as agreed, so the source's value
 * is written again. Any other value is a person's edit made since: the baseline stays, so the
 * field's owner and conflict rule decide, as they would have without the crash.
 */
function recoverIntents(input: LinkInput, baselines: Record<string, Baseline>, plan: LinkPlan): void {
  for (const intent of input.intents) {
    if (intent.kind !== 'update') continue;
    plan.intentsSettled.push(intent.id);
    const p = intent.payload as UpdatePayload | null;
    const rule = p ? input.rules.find((r) => r.name === p.field) : undefined;
    if (!p || !rule) continue;
    const to = otherSide(p.from);
    const held = valueOf(input.tickets[to], rule.native[to]);
    let agreed: Baseline;
    if (rule.equivalent(p.from, p.source, held)) {
      agreed = baselineOf(p.from, p.source, held);
      const reason = `${rule.name} was written to ${input.labels[to]} before a restart; recorded on recovery`;
      const oldValue = p.before ?? null;
      plan.events.push(
        event(input, { side: p.from, field: rule.name, kind: 'field_mirrored', oldValue, newValue: held, reason }),
      );
    } else if (p.before === undefined || rule.same(held, p.before)) continue;
    else if (baselines[rule.name] && input.updateSteps?.[to].includes(rule.native[to]))
      agreed = { ...baselines[rule.name]!, [to]: held };
    else continue;
    baselines[rule.name] = agreed;
    plan.baselines[rule.name] = agreed;
  }
}

/** The decision for one field, with a person's conflict resolution taking precedence. */
function decide(input: LinkInput, rule: FieldRule, baseline: Baseline | undefined, plan: LinkPlan): FieldDecision {
  const { tickets } = input;
  const current = currentOf(rule, tickets);
  const conflict = input.conflicts.get(rule.name);
  if (input.resolve && conflict?.id === input.resolve.conflictId) {
    const from = input.resolve.take;
    const to = otherSide(from);
    plan.closeConflicts.push({
      id: conflict.id,
      resolution: `took ${from} (${input.labels[from]}): ${JSON.stringify(current[from])}`,
    });
    const reason = `a person resolved the conflict on ${rule.name} by taking ${sideName(input.labels, from)}'s value`;
    const resolved = {
      field: rule.name,
      kind: 'conflict_resolved',
      oldValue: current[to],
      newValue: current[from],
    } as const;
    plan.events.push(event(input, { side: from, ...resolved, reason }));
    if (rule.equivalent(from, current[from], current[to])) return { kind: 'converged' };
    const t = rule.translate(from, current[from]);
    return t.ok
      ? { kind: 'write', from, to, value: t.value, why: 'resolved' }
      : { kind: 'error', side: from, reason: t.reason };
  }
  const times = input.fieldTimes;
  const changedAt = {
    a: timeOf(tickets.a, rule.native.a, times?.a),
    b: timeOf(tickets.b, rule.native.b, times?.b),
  };
  const decision = decideField(rule, { current, baseline, changedAt });
  if (decision.kind === 'write' && decision.why === 'conflict-newest' && !times) plan.wantsFieldTimes = true;
  // A parked field is not written until a person resolves it (or both sides come to agree).
  if (conflict && decision.kind === 'write') return { kind: 'conflict' };
  return decision;
}

type EventFacts = Pick<NewEvent, 'side' | 'field' | 'kind' | 'oldValue' | 'newValue' | 'reason'>;

export function event(input: LinkInput, facts: EventFacts): NewEvent {
  return { connection: input.connection, linkId: input.linkId, ...facts };
}

/** Steps 2 and 3 of the sync rule for every mapped field of one link. */
export function planLink(input: LinkInput): LinkPlan {
  const plan: LinkPlan = {
    writes: { a: [], b: [] },
    baselines: {},
    events: [],
    openConflicts: [],
    closeConflicts: [],
    intentsSettled: [],
    errors: [],
    wantsFieldTimes: false,
    escalations: input.escalations ?? [],
  };
  const baselines: Record<string, Baseline> = { ...input.baselines };
  if (input.functionEvent) plan.events.push(input.functionEvent);
  recoverIntents(input, baselines, plan);
  for (const rule of input.rules) planField(input, rule, baselines[rule.name], plan);
  return plan;
}

/** Records one field's decision in the plan. */
function planField(input: LinkInput, rule: FieldRule, baseline: Baseline | undefined, plan: LinkPlan): void {
  const field = rule.name;
  const current = currentOf(rule, input.tickets);
  const conflict = input.conflicts.get(field);
  const decision = decide(input, rule, baseline, plan);
  switch (decision.kind) {
    case 'none':
      return;
    case 'converged':
      plan.baselines[field] = current;
      if (conflict && conflict.id !== input.resolve?.conflictId) {
        plan.closeConflicts.push({ id: conflict.id, resolution: 'both sides now agree' });
        const reason = `both sides now agree on ${field}`;
        plan.events.push(
          event(input, { side: null, field, kind: 'conflict_resolved', oldValue: null, newValue: current.a, reason }),
        );
      } else if (baseline !== undefined) {
        const reason = `both sides hold equivalent ${field} values`;
        plan.events.push(
          event(input, { side: null, field, kind: 'converged', oldValue: baseline.a, newValue: current.a, reason }),
        );
      }
      return;
    case 'ignore': {
      const side = decision.side;
      plan.baselines[field] = { ...(baseline ?? current), [side]: current[side] };
      const owner = rule.owner === 'both' ? 'both sides' : sideName(input.labels, rule.owner);
      const reason = `${sideName(input.labels, side)} edited ${field}, which ${owner} owns; kept but not mirrored (onForeignEdit: ignore)`;
      const oldValue = baseline?.[side] ?? null;
      plan.events.push(event(input, { side, field, kind: 'field_ignored', oldValue, newValue: current[side], reason }));
      return;
    }
    case 'conflict':
      // A parked conflict is opened again only when either value moved since it was parked.
      if (conflict && canonical([conflict.aValue, conflict.bValue]) === canonical([current.a, current.b])) return;
      plan.openConflicts.push({
        field,
        aValue: current.a,
        bValue: current.b,
        baseline: baseline ?? { a: null, b: null },
      });
      if (!conflict) {
        const reason = `both sides changed ${field} differently; parked for a person (conflict: manual)`;
        const opened = { field, kind: 'conflict_opened', oldValue: current.a, newValue: current.b, reason } as const;
        plan.events.push(event(input, { side: null, ...opened }));
      }
      return;
    case 'error': {
      const { side, reason } = decision;
      plan.events.push(event(input, { side, field, kind: 'error', oldValue: null, newValue: current[side], reason }));
      plan.errors.push({ side, field, message: reason });
      return;
    }
    case 'write': {
      const { from, to, value, why } = decision;
      const native = rule.native[to];
      plan.writes[to].push({ field, native, from, to, value, why, source: current[from], before: current[to] });
      return;
    }
  }
}
