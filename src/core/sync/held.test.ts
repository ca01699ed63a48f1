// When a webhook's pass may plan from what the ledger holds for the other side instead of reading
// it (issue 14), as a table over the link's state.
import { describe, expect, it } from 'vitest';
import type { FieldConfig, MatchConfig } from '../../mapping/schema.js';
import type { Baseline, Link } from '../ledger/types.js';
import type { Ticket } from '../types.js';
import { compileField } from '../values.js';
import { heldTwin, hintedAsHeld, type HeldInput } from './held.js';
import { seenVersion, unlisted } from './versions.js';

const fields: FieldConfig[] = [
  { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' },
  { name: 'priority', a: 'priority', b: 'priority', owner: 'a', map: [{ a: 1, b: 'P1' }] },
];
const rules = fields.map(compileField);
const baselines: Record<string, Baseline> = { summary: { a: 'Printer', b: 'Printer' }, priority: { a: 1, b: 'P1' } };
const bVersion = '2026-11-30T10:00:00.000Z';
const twinB: Ticket = { id: 'B1', version: bVersion, fields: { summary: 'Printer', priority: 'P1' }, inScope: true };
const onA: Ticket = {
  id: 'A1',
  version: '2026-11-30T10:05:00.000Z',
  fields: { subject: 'Printer', priority: 1 },
  inScope: true,
};

const link: Link = {
  id: 'L1',
  connection: 'test',
  aId: 'A1',
  bId: 'B1',
  state: 'active',
  aVersion: seenVersion(rules, 'a', { ...onA, version: '2026-11-30T09:59:00.000Z' }),
  bVersion: seenVersion(rules, 'b', twinB),
  aKey: null,
  bKey: 'IT-1',
  aMemo: null,
  bMemo: { note: 7 },
  createdAt: '2026-11-30T09:00:00.000Z',
  // Recorded a minute after b's version: the ledger trusts it.
  updatedAt: '2026-11-30T10:01:00.000Z',
  note: null,
  closedSince: null,
};

const input: HeldInput = {
  link,
  baselines,
  rules,
  hinted: 'a',
  webhooks: true,
  intents: 0,
  conflicts: 0,
  matches: [],
  routesThere: false,
};
const match = (field: string, side?: 'a' | 'b'): MatchConfig => ({ all: [{ field, in: ['x'], side }], any: [] });

describe('the other side as the ledger holds it', () => {
  it('stands in with the values, version, key and memo the ledger holds for it', () => {
    expect(heldTwin(input)).toEqual({ ...twinB, key: 'IT-1', memo: { note: 7 }, closed: false });
  });

  it('stands in for a version the ledger recorded under SETTLE_MS after it (its own delivery covers a change hidden there)', () => {
    expect(heldTwin({ ...input, link: { ...link, updatedAt: '2026-11-30T10:00:00.200Z' } })).not.toBeNull();
  });

  it('is closed when the link was last seen closed on both sides', () => {
    expect(heldTwin({ ...input, link: { ...link, closedSince: '2026-11-30T10:01:00.000Z' } })?.closed).toBe(true);
  });

  it.each<[string, Partial<HeldInput>]>([
    ['its system sends no deliveries', { webhooks: false }],
    ['its version is marked unlisted', { link: { ...link, bVersion: unlisted(link.bVersion!) } }],
    ["the link's first pass has not run (no version)", { link: { ...link, bVersion: null } }],
    ['the hinted side has no version yet', { link: { ...link, aVersion: null } }],
    ['an intent is pending', { intents: 1 }],
    ['a conflict is open', { conflicts: 1 }],
    ['an escalation still to trigger routes to it', { routesThere: true }],
    ['a match tests a field of it that no rule maps', { matches: [match('board', 'b')] }],
    ['a match on either side tests a field no rule maps there', { matches: [match('board')] }],
    ['a field has no baseline', { baselines: { summary: baselines.summary! } }],
    [
      'its baselines are not what it held at its version',
      { baselines: { ...baselines, summary: { a: 'Printer', b: 'Old' } } },
    ],
  ])('is read instead when %s', (_what, change) => {
    expect(heldTwin({ ...input, ...change })).toBeNull();
  });

  it('still stands in when matches test its mapped fields or only the hinted side', () => {
    expect(heldTwin({ ...input, matches: [match('priority', 'b'), match('board', 'a')] })).not.toBeNull();
  });
});

describe('the hinted side as read', () => {
  it('lets the stand-in serve when its mapped fields hold their baselines (a comment moved it)', () => {
    expect(hintedAsHeld(rules, baselines, link, 'a', onA)).toBe(true);
  });

  it.each<[string, Ticket | null]>([
    ['a mapped field moved', { ...onA, fields: { ...onA.fields, priority: 2 } }],
    ['it is gone', null],
    ['it is deleted', { ...onA, deleted: true }],
    ['it left scope', { ...onA, inScope: false }],
    ['it is closed on a link not seen closed on both sides', { ...onA, closed: true }],
  ])('does not when %s', (_what, ticket) => {
    expect(hintedAsHeld(rules, baselines, link, 'a', ticket)).toBe(false);
  });
});
