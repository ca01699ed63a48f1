// The poll cursor as a table: where the next poll starts after each kind of listing.
import { describe, expect, it } from 'vitest';
import type { Cursor } from './ledger/types.js';
import { nextCursor, type PollResult } from './poller.js';

const T = (s: number): string => new Date(Date.UTC(2026, 10, 30, 10, 0, s)).toISOString();
const start: Cursor = {
  connection: 'c',
  side: 'a',
  since: T(10),
  seenIds: ['7'],
  lastPollAt: T(0),
  lastSuccessAt: T(0),
  lastError: null,
};

describe('nextCursor', () => {
  it.each<[string, Cursor, Omit<PollResult, 'startedAtMs' | 'nowMs'>, Partial<Cursor>]>([
    [
      'nothing listed: the watermark stays, the poll is recorded',
      start,
      { listed: [], error: null },
      { since: T(10), seenIds: ['7'] },
    ],
    [
      'newer tickets: the watermark moves to the newest, with the ids seen at it',
      start,
      {
        listed: [
          { id: '8', version: T(12) },
          { id: '9', version: T(15) },
          { id: '3', version: T(15) },
        ],
        error: null,
      },
      { since: T(15), seenIds: ['9', '3'] },
    ],
    [
      'a ticket at the watermark joins the ids seen there',
      start,
      { listed: [{ id: '4', version: T(10) }], error: null },
      { since: T(10), seenIds: ['7', '4'] },
    ],
    [
      'older tickets from the overlap window never move the watermark back',
      start,
      { listed: [{ id: '2', version: T(3) }], error: null },
      { since: T(10), seenIds: ['7'] },
    ],
    [
      'a failed page keeps the cursor where it was and records the error',
      start,
      { listed: [{ id: '8', version: T(20) }], error: 'network: reset' },
      { since: T(10), seenIds: ['7'], lastError: 'network: reset', lastSuccessAt: T(0) },
    ],
    [
      'a first poll starts the watermark',
      { ...start, since: null, seenIds: [] },
      { listed: [{ id: '1', version: T(1) }], error: null },
      { since: T(1), seenIds: ['1'] },
    ],
  ])('%s', (_name, previous, poll, expected) => {
    const next = nextCursor(previous, { ...poll, startedAtMs: Date.parse(T(30)), nowMs: Date.parse(T(31)) });
    expect(next).toMatchObject({ connection: 'c', side: 'a', lastPollAt: T(31), ...expected });
    if (poll.error === null) expect(next).toMatchObject({ lastSuccessAt: T(30), lastError: null });
  });
});
