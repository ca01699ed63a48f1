// The dry run: what would change, computed by the same planner, writing nothing.
import { describe, expect, it } from 'vitest';
import { summary, priority, harness, onlyLink } from './fixtures.js';

describe('plan', () => {
  it('lists what would be created and changed on each side and writes nothing anywhere', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'linked', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited' });
    h.b.userEdit(link.bId, { priority: 'P1' });
    h.a.userCreate({ subject: 'brand new', priority: 3 });
    const writesBefore = h.writes();
    const eventsBefore = (await h.ledger.listEvents({})).total;
    const planned = await h.engine.plan();
    expect(h.writes()).toBe(writesBefore);
    expect((await h.ledger.listEvents({})).total).toBe(eventsBefore);
    expect(planned).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'create', side: 'b', fields: { summary: 'brand new', priority: 'P2' } }),
        expect.objectContaining({
          action: 'update',
          side: 'b',
          linkId: link.id,
          fields: { summary: 'edited', priority: 'P3' },
        }),
      ]),
    );
  });
});
