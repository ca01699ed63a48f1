// Failures: rejected writes and failed polls are visible and recover.
import { describe, expect, it } from 'vitest';
import { summary, harness } from './fixtures.js';

describe('failures', () => {
  it('records a rejected write as an open error, keeps other links flowing, and clears it once fixed', async () => {
    const h = harness({
      fields: [summary, { name: 'category', a: 'category', b: 'category', owner: 'a' }],
      systemB: { allowedValues: { category: ['Network', 'Hardware', null] } },
    });
    const good = h.a.userCreate({ subject: 'good', category: 'Network' });
    const bad = h.a.userCreate({ subject: 'bad', category: 'Network' });
    await h.pollBoth();
    h.a.userEdit(bad, { category: 'Plumbing' });
    h.a.userEdit(good, { subject: 'still flowing' });
    await h.pollBoth();
    const errors = await h.ledger.listErrors({ state: 'open' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('remote_validation');
    expect(errors[0]?.message).toContain('Plumbing');
    const goodLink = await h.ledger.findLink('test', 'a', good);
    expect(h.b.mustGet(goodLink!.bId).fields.summary).toBe('still flowing');

    h.a.userEdit(bad, { category: 'Hardware' });
    await h.pollBoth();
    expect(await h.ledger.listErrors({ state: 'open' })).toHaveLength(0);
  });

  it('keeps the cursor when a poll fails and catches up afterwards', async () => {
    const h = harness({ fields: [summary] });
    h.a.userCreate({ subject: 'first' });
    await h.pollBoth();
    const cursor = await h.ledger.getCursor('test', 'a');
    h.a.userCreate({ subject: 'second' });
    h.a.failWith = new Error('connection reset');
    await h.engine.pollOnce('test', 'a');
    const after = await h.ledger.getCursor('test', 'a');
    expect(after.since).toBe(cursor.since);
    expect(after.lastError).toContain('connection reset');
    h.a.failWith = null;
    await h.pollBoth();
    expect(h.b.tickets.size).toBe(2);
  });
});
