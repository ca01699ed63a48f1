// Comments: copied once by the visibility rules, never back.
import { describe, expect, it } from 'vitest';
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
