// The sync rule as a table, without any connector: each row is a link's state (baselines, both
// tickets, pending intents, open conflicts) and what the planner must decide.
import { describe, expect, it } from 'vitest';
import type { FieldConfig } from '../../mapping/schema.js';
import type { Baseline, Conflict, Intent } from '../ledger/types.js';
import type { FieldValues, JsonValue, Side, Ticket } from '../types.js';
import { compileField } from '../values.js';
import { planLink, type LinkInput, type LinkPlan, type PlannedWrite } from './planner.js';
import { settleWrites } from './settle.js';

const fields: FieldConfig[] = [
  { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' },
  {
    name: 'priority',
    a: 'priority',
    b: 'priority',
    owner: 'a',
    map: [
      { a: 1, b: 'P1' },
      { a: 2, b: 'P2' },
    ],
  },
  { name: 'note', a: 'note', b: 'note', owner: 'a', onForeignEdit: 'ignore' },
  {
    name: 'status',
    a: 'status',
    b: 'status',
    owner: 'both',
    conflict: 'manual',
    map: [
      { a: 2, b: 'Open' },
      { a: 3, b: 'Waiting' },
      { a: 4, b: 'Done' },
    ],
  },
];
const rules = fields.map(compileField);

const agreed: Record<string, Baseline> = {
  summary: { a: 'Printer', b: 'Printer' },
  priority: { a: 1, b: 'P1' },
  note: { a: 'n', b: 'n' },
  status: { a: 2, b: 'Open' },
};
const sideA: FieldValues = { subject: 'Printer', priority: 1, note: 'n', status: 2 };
const sideB: FieldValues = { summary: 'Printer', priority: 'P1', note: 'n', status: 'Open' };

function ticket(id: string, fieldsOf: FieldValues, version = '2026-11-30T10:00:00.000Z'): Ticket {
  return { id, version, fields: fieldsOf, inScope: true };
}

interface Row {
  a?: FieldValues;
  b?: FieldValues;
  versions?: Record<Side, string>;
  intents?: Array<{ id: string; field: string; from: Side; value: JsonValue; source: JsonValue; before: JsonValue }>;
  conflicts?: Array<Pick<Conflict, 'id' | 'field' | 'aValue' | 'bValue'>>;
  resolve?: { conflictId: string; take: Side };
  fieldTimes?: Record<Side, Record<string, string>>;
  updateSteps?: Record<Side, string[]>;
}

function input(row: Row): LinkInput {
  return {
    connection: 'c',
    linkId: 'L1',
    labels: { a: 'Alpha', b: 'Beta' },
    rules,
    baselines: agreed,
    tickets: {
      a: ticket('A1', { ...sideA, ...row.a }, row.versions?.a),
      b: ticket('B1', { ...sideB, ...row.b }, row.versions?.b),
    },
    intents: (row.intents ?? []).map((i): Intent => ({
      id: i.id,
      connection: 'c',
      kind: 'update',
      targetSide: i.from === 'a' ? 'b' : 'a',
      sourceId: `L1:${i.field}:x`,
      linkId: 'L1',
      marker: 'tb:c:L1',
      payload: { field: i.field, from: i.from, value: i.value, source: i.source, before: i.before },
      createdAt: '2026-11-30T09:00:00.000Z',
    })),
    conflicts: new Map(
      (row.conflicts ?? []).map((c): [string, Conflict] => [
        c.field,
        {
          ...c,
          connection: 'c',
          linkId: 'L1',
          baseline: agreed[c.field]!,
          state: 'open',
          createdAt: '',
          resolvedAt: null,
          resolution: null,
        },
      ]),
    ),
    ...(row.resolve ? { resolve: row.resolve } : {}),
    ...(row.fieldTimes ? { fieldTimes: row.fieldTimes } : {}),
    ...(row.updateSteps ? { updateSteps: row.updateSteps } : {}),
  };
}

/** The plan in a compact form: writes per side, baselines, event kinds, conflicts, intents, errors. */
function summarise(plan: LinkPlan) {
  const writes = (side: Side) => Object.fromEntries(plan.writes[side].map((w) => [w.native, [w.value, w.why]]));
  return {
    a: writes('a'),
    b: writes('b'),
    baselines: plan.baselines,
    events: plan.events.map((e) => `${e.kind}:${e.field ?? ''}`),
    open: plan.openConflicts.map((c) => c.field),
    close: plan.closeConflicts.map((c) => c.id),
    settled: plan.intentsSettled,
    errors: plan.errors.map((e) => `${e.side}:${e.field}`),
    wantsFieldTimes: plan.wantsFieldTimes,
  };
}

const nothing = {
  a: {},
  b: {},
  baselines: {},
  events: [],
  open: [],
  close: [],
  settled: [],
  errors: [],
  wantsFieldTimes: false,
};

describe('planLink', () => {
  it.each<[string, Row, Partial<ReturnType<typeof summarise>>]>([
    ['nothing changed: nothing to do', {}, {}],
    [
      'a changed a both-owned field: mirrored to b',
      { a: { subject: 'Printer on fire' } },
      { b: { summary: ['Printer on fire', 'mirror'] } },
    ],
    [
      'b changed a field a owns: the owner restores it',
      { b: { priority: 'P2' } },
      { b: { priority: ['P1', 'revert'] } },
    ],
    [
      'b changed an ignore field a owns: kept, not mirrored, baseline moves',
      { b: { note: 'mine' } },
      { baselines: { note: { a: 'n', b: 'mine' } }, events: ['field_ignored:note'] },
    ],
    [
      'both changed a manual field differently: parked, the rest still syncs',
      { a: { status: 3, subject: 'Printer 2' }, b: { status: 'Done' } },
      { b: { summary: ['Printer 2', 'mirror'] }, open: ['status'], events: ['conflict_opened:status'] },
    ],
    [
      'both changed to equivalent values: converged',
      { a: { status: 4 }, b: { status: 'Done' } },
      { baselines: { status: { a: 4, b: 'Done' } }, events: ['converged:status'] },
    ],
    [
      'a parked field is not written while its conflict is open',
      { a: { status: 3 }, conflicts: [{ id: 'K1', field: 'status', aValue: 3, bValue: 'Open' }] },
      {},
    ],
    [
      'an open conflict closes when both sides come to agree',
      {
        a: { status: 4 },
        b: { status: 'Done' },
        conflicts: [{ id: 'K1', field: 'status', aValue: 3, bValue: 'Done' }],
      },
      { baselines: { status: { a: 4, b: 'Done' } }, close: ['K1'], events: ['conflict_resolved:status'] },
    ],
    [
      "a person's resolution takes a's value to b",
      {
        a: { status: 3 },
        b: { status: 'Done' },
        conflicts: [{ id: 'K1', field: 'status', aValue: 3, bValue: 'Done' }],
        resolve: { conflictId: 'K1', take: 'a' },
      },
      { b: { status: ['Waiting', 'resolved'] }, close: ['K1'], events: ['conflict_resolved:status'] },
    ],
    [
      'a value outside the map is an error for a person, not a write',
      { b: { status: 'Escalated' } },
      { errors: ['b:status'], events: ['error:status'] },
    ],
    [
      'a newest-wins call on ticket times asks for per-field history',
      {
        a: { subject: 'From a' },
        b: { summary: 'From b' },
        versions: { a: '2026-11-30T10:00:05.000Z', b: '2026-11-30T10:00:09.000Z' },
      },
      { a: { subject: ['From b', 'conflict-newest'] }, wantsFieldTimes: true },
    ],
    [
      'per-field history overrules ticket times: a changed the summary last',
      {
        a: { subject: 'From a' },
        b: { summary: 'From b' },
        versions: { a: '2026-11-30T10:00:05.000Z', b: '2026-11-30T10:00:09.000Z' },
        fieldTimes: { a: { subject: '2026-11-30T10:00:05.000Z' }, b: { summary: '2026-11-30T10:00:01.000Z' } },
      },
      { b: { summary: ['From a', 'conflict-newest'] } },
    ],
    [
      'an intent whose write landed: the sides agreed on it, nothing to write',
      {
        a: { subject: 'New' },
        b: { summary: 'New' },
        intents: [{ id: 'I1', field: 'summary', from: 'a', value: 'New', source: 'New', before: 'Printer' }],
      },
      { baselines: { summary: { a: 'New', b: 'New' } }, settled: ['I1'], events: ['field_mirrored:summary'] },
    ],
    [
      'an intent whose write never landed, the source back at the old value: nothing to write',
      { intents: [{ id: 'I1', field: 'summary', from: 'a', value: 'New', source: 'New', before: 'Printer' }] },
      { settled: ['I1'] },
    ],
    [
      'an intent that landed, then the source went back: the source is mirrored again',
      {
        b: { summary: 'New' },
        intents: [{ id: 'I1', field: 'summary', from: 'a', value: 'New', source: 'New', before: 'Printer' }],
      },
      {
        baselines: { summary: { a: 'New', b: 'New' } },
        settled: ['I1'],
        events: ['field_mirrored:summary'],
        b: { summary: ['Printer', 'mirror'] },
      },
    ],
    [
      'an intent stopped half-way (a transition path): its middle step is agreed, the source written again',
      {
        a: { status: 4 },
        b: { status: 'Waiting' },
        intents: [{ id: 'I1', field: 'status', from: 'a', value: 'Done', source: 4, before: 'Open' }],
        updateSteps: { a: [], b: ['status'] },
      },
      { baselines: { status: { a: 2, b: 'Waiting' } }, settled: ['I1'], b: { status: ['Done', 'mirror'] } },
    ],
    [
      "an intent whose target now holds a third value on a one-call field: a person's edit, the conflict rule decides",
      {
        a: { status: 4 },
        b: { status: 'Waiting' },
        intents: [{ id: 'I1', field: 'status', from: 'a', value: 'Done', source: 4, before: 'Open' }],
      },
      { settled: ['I1'], open: ['status'], events: ['conflict_opened:status'] },
    ],
  ])('%s', (_name, row, expected) => {
    expect(summarise(planLink(input(row)))).toEqual({ ...nothing, ...expected });
  });
});

describe('settleWrites', () => {
  const write = (field: string, native: string, value: JsonValue): PlannedWrite => ({
    field,
    native,
    from: 'a',
    to: 'b',
    value,
    why: 'mirror',
    source: value,
    before: null,
  });

  it('takes the value the target holds after the write as its baseline, never what was sent', () => {
    const held = ticket('B1', { ...sideB, summary: 'Printer on fi' });
    const s = settleWrites(input({ a: { subject: 'Printer on fire' } }), {
      written: [{ write: { ...write('summary', 'summary', 'Printer on fire'), source: 'Printer on fire' }, held }],
      refused: [],
    });
    expect(s.baselines).toEqual({ summary: { a: 'Printer on fire', b: 'Printer on fi' } });
    expect(s.events.map((e) => [e.kind, e.newValue])).toEqual([['field_mirrored', 'Printer on fi']]);
  });

  it('parks a both-owned value the target refuses for good in the conflict inbox', () => {
    const s = settleWrites(input({ a: { status: 4 } }), {
      written: [],
      refused: [{ write: write('status', 'status', 'Done'), reason: 'no transition' }],
    });
    expect(s.openConflicts.map((c) => [c.field, c.aValue, c.bValue])).toEqual([['status', 4, 'Open']]);
    expect(s.failed).toEqual([]);
  });

  it('leaves a refused value of a field one side owns as a failure for the error list', () => {
    const w = { ...write('priority', 'priority', 'P9'), why: 'revert' as const };
    const s = settleWrites(input({ b: { priority: 'P2' } }), {
      written: [],
      refused: [{ write: w, reason: 'not allowed' }],
    });
    expect(s.failed).toEqual([w]);
    expect(s.openConflicts).toEqual([]);
  });
});
