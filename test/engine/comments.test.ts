// Comments: copied once by the visibility rules, never back.
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/core/errors.js';
import type { Clock } from '../../src/core/types.js';
import { CONNECTION } from '../helpers/engine-harness.js';
import { summary, harness, onlyLink } from './fixtures.js';

describe('comments', () => {
  it('copies a public comment once as public, keeps internal notes on their side, and never copies back', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'Customer can log in again', 'public', 'Ada');
    h.a.userComment(aId, 'Password is hunter2', 'internal', 'Ada');
    h.b.userComment(link.bId, 'Replaced the switch', 'public', 'Tech');
    for (let i = 0; i < 5; i++) await h.pollBoth();
    const bComments = h.b.mustGet(link.bId).comments;
    const aComments = h.a.mustGet(aId).comments;
    expect(bComments.filter((c) => c.body.includes('Customer can log in again'))).toHaveLength(1);
    expect(bComments.find((c) => c.body.includes('Customer can log in again'))?.visibility).toBe('public');
    expect(bComments.some((c) => c.body.includes('hunter2'))).toBe(false);
    expect(aComments.filter((c) => c.body.includes('Replaced the switch'))).toHaveLength(1);
    expect(aComments).toHaveLength(3);
    expect(bComments).toHaveLength(2);
  });

  it('copies internal notes as internal only where configured, never as public', async () => {
    const h = harness({
      fields: [summary],
      connection: {
        comments: { aToB: { public: 'internal', internal: 'internal' }, bToA: { public: 'public', internal: 'skip' } },
      },
    });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'internal note', 'internal');
    h.a.userComment(aId, 'public note', 'public');
    await h.pollBoth();
    const vis = h.b.mustGet(link.bId).comments.map((c) => c.visibility);
    expect(vis).toEqual(['internal', 'internal']);
  });
});

describe("a new link's first pass", () => {
  /** Both systems stamp versions 10 s in the past, so the ledger trusts them at once (SETTLE_MS). */
  const behind: Clock = { now: () => Date.now() - 10_000 };

  it('still copies the comments the source had at its create when that pass never finished (a stop, or a failed listing)', async () => {
    const h = harness({ fields: [summary], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'printer jammed' });
    h.a.userComment(aId, 'It jams on every second page', 'public', 'Ada');
    // The twin is created and its link committed; the pass that copies the source's comments
    // then fails before listing them (as if the daemon were killed between the two).
    const listComments = h.connectorA.listComments.bind(h.connectorA);
    h.connectorA.listComments = () => Promise.reject(new NetworkError('connection reset'));
    await h.engine.hint(CONNECTION, 'a', aId);
    await h.engine.onIdle();
    const link = await onlyLink(h);
    expect(h.b.mustGet(link.bId).comments).toEqual([]);
    h.connectorA.listComments = listComments;

    const restarted = h.restart();
    for (let i = 0; i < 3; i++) await restarted.pollBoth();
    await restarted.engine.reconcile();
    await restarted.engine.onIdle();
    const copies = h.b.mustGet(link.bId).comments.filter((c) => c.body.includes('It jams on every second page'));
    expect(copies).toHaveLength(1);
    expect(copies[0]?.visibility).toBe('public');
  });
});
