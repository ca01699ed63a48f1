import { describe, expect, it } from 'vitest';
import { decideField, type FieldDecision } from './decide.js';
import { compileField } from '../values.js';
import type { FieldConfig } from '../../mapping/schema.js';
import type { JsonValue } from '../types.js';

const field = (overrides: Partial<FieldConfig> = {}): FieldConfig => ({
  name: 'f',
  a: 'fa',
  b: 'fb',
  owner: 'both',
  ...overrides,
});

// Status: four ConnectWise-like values on b, two Freshservice-like values on a (many-to-one).
const statusMap: FieldConfig['map'] = [
  { a: 2, b: 'New' },
  { a: 2, b: 'In Progress' },
  { a: 2, b: 'Assigned' },
  { a: 2, b: 'Scheduled' },
  { a: 4, b: 'Resolved' },
];

interface Row {
  name: string;
  config: Partial<FieldConfig>;
  baseline: [JsonValue, JsonValue] | undefined;
  current: [JsonValue, JsonValue];
  changedAt?: [number, number];
  expected: FieldDecision;
}

const rows: Row[] = [
  {
    name: 'neither side changed: nothing',
    config: {},
    baseline: ['x', 'x'],
    current: ['x', 'x'],
    expected: { kind: 'none' },
  },
  {
    name: 'a changed, owner both: mirror to b',
    config: {},
    baseline: ['x', 'x'],
    current: ['y', 'x'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'mirror' },
  },
  {
    name: 'b changed, owner both: mirror to a',
    config: {},
    baseline: ['x', 'x'],
    current: ['x', 'z'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'z', why: 'mirror' },
  },
  {
    name: 'a changed, owner a: mirror to b',
    config: { owner: 'a' },
    baseline: ['x', 'x'],
    current: ['y', 'x'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'mirror' },
  },
  {
    name: 'b (non-owner) changed, revert: owner value restored on b',
    config: { owner: 'a' },
    baseline: ['x', 'x'],
    current: ['x', 'z'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'x', why: 'revert' },
  },
  {
    name: 'a (non-owner) changed, revert: owner value restored on a',
    config: { owner: 'b' },
    baseline: ['x', 'x'],
    current: ['y', 'x'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'x', why: 'revert' },
  },
  {
    name: 'b (non-owner) changed, ignore: kept, not mirrored',
    config: { owner: 'a', onForeignEdit: 'ignore' },
    baseline: ['x', 'x'],
    current: ['x', 'z'],
    expected: { kind: 'ignore', side: 'b' },
  },
  {
    name: 'one side changed but the other already holds an equivalent value: converged',
    config: {},
    baseline: ['x', 'y'],
    current: ['y', 'y'],
    expected: { kind: 'converged' },
  },
  {
    name: 'both changed to equal values: converged',
    config: {},
    baseline: ['x', 'x'],
    current: ['y', 'y'],
    expected: { kind: 'converged' },
  },
  {
    name: 'both changed differently, owner a: a wins, b reverted',
    config: { owner: 'a' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'revert' },
  },
  {
    name: 'both changed differently, newest: later b wins',
    config: { conflict: 'newest' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    changedAt: [1000, 2000],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'z', why: 'conflict-newest' },
  },
  {
    name: 'both changed differently, newest: later a wins',
    config: { conflict: 'newest' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    changedAt: [3000, 2000],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'conflict-newest' },
  },
  {
    name: 'both changed differently, newest tie: a wins deterministically',
    config: { conflict: 'newest' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    changedAt: [2000, 2000],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'conflict-newest' },
  },
  {
    name: 'both changed differently, prefer-a',
    config: { conflict: 'prefer-a' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    changedAt: [1000, 9000],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'y', why: 'conflict-prefer' },
  },
  {
    name: 'both changed differently, prefer-b',
    config: { conflict: 'prefer-b' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    changedAt: [9000, 1000],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'z', why: 'conflict-prefer' },
  },
  {
    name: 'both changed differently, manual: parked',
    config: { conflict: 'manual' },
    baseline: ['x', 'x'],
    current: ['y', 'z'],
    expected: { kind: 'conflict' },
  },
  {
    name: 'many-to-one: b moves between values that map to the same a value: converged, no write',
    config: { map: statusMap },
    baseline: [2, 'New'],
    current: [2, 'In Progress'],
    expected: { kind: 'converged' },
  },
  {
    name: 'many-to-one: a changes, the first pair names the value written to b',
    config: { map: statusMap },
    baseline: [4, 'Resolved'],
    current: [2, 'Resolved'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'New', why: 'mirror' },
  },
  {
    name: 'many-to-one: b changes to a value mapping elsewhere',
    config: { map: statusMap },
    baseline: [2, 'Scheduled'],
    current: [2, 'Resolved'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 4, why: 'mirror' },
  },
  {
    name: 'unmapped value without reverseDefault: error',
    config: { map: statusMap },
    baseline: [2, 'New'],
    current: [2, 'Waiting'],
    expected: {
      kind: 'error',
      side: 'b',
      reason: 'f: "Waiting" has no entry in the value map and no default the other way (reverseDefault.a: not set)',
    },
  },
  {
    name: 'unmapped value with reverseDefault: the default is written',
    config: { map: statusMap, reverseDefault: { a: 2 } },
    baseline: [4, 'Resolved'],
    current: [4, 'Waiting'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 2, why: 'mirror' },
  },
  {
    name: 'text fields compare as normalised text: formatting noise is no change',
    config: { type: 'text' },
    baseline: ['one\ntwo', 'one\ntwo'],
    current: ['one\r\ntwo  ', 'one\ntwo'],
    expected: { kind: 'none' },
  },
  {
    name: 'transform truncate: a 10-char value held as 5 chars on b is equivalent',
    config: { transform: { toB: ['truncate:5'] } },
    baseline: ['abcde', 'abcde'],
    current: ['abcdefghij', 'abcde'],
    expected: { kind: 'converged' },
  },
  {
    name: 'transform truncate counts UTF-16 units like the truncating system, even through emoji',
    config: { transform: { toB: ['truncate:5'] } },
    baseline: ['🙂🙂🙂', '🙂🙂\ud83d'],
    current: ['🙂🙂🙂x', '🙂🙂\ud83d'],
    expected: { kind: 'converged' },
  },
  {
    name: 'no baseline and sides agree: converged',
    config: {},
    baseline: undefined,
    current: ['x', 'x'],
    expected: { kind: 'converged' },
  },
  {
    name: 'no baseline and owner a: owner value written',
    config: { owner: 'a' },
    baseline: undefined,
    current: ['x', 'y'],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'x', why: 'mirror' },
  },
  {
    name: 'no baseline, owner both, manual: parked',
    config: { conflict: 'manual' },
    baseline: undefined,
    current: ['x', 'y'],
    expected: { kind: 'conflict' },
  },
  {
    name: 'no baseline, owner b, onForeignEdit ignore: the owner value is still written',
    config: { owner: 'b', onForeignEdit: 'ignore' },
    baseline: undefined,
    current: ['x', 'y'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'y', why: 'mirror' },
  },
  {
    name: 'no baseline, owner both, newest: the side that changed the field last wins',
    config: { conflict: 'newest' },
    baseline: undefined,
    current: ['x', 'y'],
    changedAt: [2000, 1000],
    expected: { kind: 'write', from: 'a', to: 'b', value: 'x', why: 'conflict-newest' },
  },
  {
    name: 'no baseline, owner both, prefer-b: b value written',
    config: { conflict: 'prefer-b' },
    baseline: undefined,
    current: ['x', 'y'],
    expected: { kind: 'write', from: 'b', to: 'a', value: 'y', why: 'conflict-prefer' },
  },
  {
    name: 'tags compare as a set: reordering is no change',
    config: {},
    baseline: [
      ['x', 'y'],
      ['x', 'y'],
    ],
    current: [
      ['y', 'x'],
      ['x', 'y'],
    ],
    expected: { kind: 'none' },
  },
];

describe('the sync rule, per field', () => {
  it.each(rows)('$name', ({ config, baseline, current, changedAt, expected }) => {
    const rule = compileField(field(config));
    const decision = decideField(rule, {
      current: { a: current[0], b: current[1] },
      baseline: baseline === undefined ? undefined : { a: baseline[0], b: baseline[1] },
      changedAt: { a: changedAt?.[0] ?? 0, b: changedAt?.[1] ?? 0 },
    });
    expect(decision).toEqual(expected);
  });
});
