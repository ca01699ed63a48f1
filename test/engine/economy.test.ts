// Calls a pass spends: comments are listed only on a side that may have new ones, and the
// answer of the daemon's own write is what the ledger holds, so its echo costs no call.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/types.js';
import type { Harness } from '../helpers/engine-harness.js';
import { harness, onlyLink, priority, summary } from './fixtures.js';

/** Both systems stamp versions 10 s in the past, so the ledger trusts them at once (SETTLE_MS). */
const behind: Clock = { now: () => Date.now() - 10_000 };

function calls(h: Harness): Record<string, number> {
  return {
    aReads: h.a.counters.reads,
    bReads: h.b.counters.reads,
    aCommentLists: h.a.counters.commentLists,
    bCommentLists: h.b.counters.commentLists,
    writes: h.writes(),
  };
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

describe('calls per mirrored change', () => {
  it('lists comments only on the side that changed, not on the side it writes to', async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    const link = await onlyLink(h);
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a');
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 1, aCommentLists: 1, bCommentLists: 0, writes: 1 });
  });

  it("takes the write's answer as what the target holds: the next polls of both sides read nothing", async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    const before = calls(h);
    // Side b lists the ticket the daemon just wrote (its echo), side a lists the edit again
    // (at its cursor): both are what the ledger holds.
    await h.pollBoth();
    await h.pollBoth();
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('still copies a comment made on the side a change was written to', async () => {
    const h = harness({ fields: [summary], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    h.b.userComment(link.bId, 'from the MSP', 'public');
    await h.pollBoth();
    await h.pollBoth();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('from the MSP')]);
  });
});
