import { describe, expect, it } from 'vitest';
import { createHarness } from '../helpers/engine-harness.js';

describe('engine smoke', () => {
  it('mirrors a created ticket and an edit', async () => {
    const h = createHarness({ fields: [{ name: 'summary', a: 'subject', b: 'summary', owner: 'both' }] });
    const id = h.a.userCreate({ subject: 'Hello' });
    await h.pollBoth();
    const links = await h.ledger.listLinks({});
    expect(links.total).toBe(1);
    const bId = links.items[0]!.bId;
    expect(h.b.mustGet(bId).fields.summary).toBe('Hello');
    h.a.userEdit(id, { subject: 'Changed' });
    await h.pollBoth();
    expect(h.b.mustGet(bId).fields.summary).toBe('Changed');
    const before = h.writes();
    for (let i = 0; i < 5; i++) await h.pollBoth();
    expect(h.writes()).toBe(before);
    await h.close();
  });
});
