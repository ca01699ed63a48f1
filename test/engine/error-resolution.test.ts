// Errors belong to their ticket and link, and resolve themselves: once a pass of the link (or the
// create of the ticket) completes cleanly, its open errors are resolved and each resolution is an
// event on the ticket's audit. An error whose cause the same pass finds still true stays open.
import { describe, expect, it } from 'vitest';
import { harness, onlyLink, priority, summary } from './fixtures.js';

describe('errors resolve themselves', () => {
  it('records a ticket listed malformed with its link, side and ticket, and resolves it once the ticket syncs cleanly again', async () => {
    const h = harness({ fields: [summary] });
    const id = h.a.userCreate({ subject: 'fine at first' });
    await h.pollBoth();
    const link = await onlyLink(h);

    h.a.malformed.set(id, 'priority: expected a number, got "urgent"');
    h.a.userEdit(id, { subject: 'edited while malformed' });
    await h.pollBoth();
    const open = await h.ledger.listErrors({ state: 'open' });
    expect(open.map((e) => [e.code, e.linkId, e.side, e.ticketId])).toEqual([['payload_invalid', link.id, 'a', id]]);
    expect(open[0]!.message).toContain('priority');
    expect((await h.ledger.counts('test')).openErrors).toBe(1);

    h.a.malformed.delete(id);
    h.a.userEdit(id, { subject: 'fixed' });
    await h.pollBoth();
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    expect((await h.ledger.counts('test')).openErrors).toBe(0);
    expect(h.b.mustGet(link.bId).fields.summary).toBe('fixed');
    const resolved = await h.ledger.listEvents({ linkId: link.id, kind: 'error_resolved' });
    expect(resolved.items.map((e) => [e.side, e.field])).toEqual([['a', null]]);
    expect(resolved.items[0]!.reason).toContain('error resolved (payload invalid)');
    expect(resolved.items[0]!.reason).toContain('synced cleanly again');
    expect(resolved.items[0]!.reason).toContain('priority');
  });

  it("resolves an error recorded without a link for one of the link's tickets on the link's next clean pass", async () => {
    const h = harness({ fields: [summary] });
    const id = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    // As a ledger written before errors carried their link holds it.
    await h.ledger.recordError({
      connection: 'test',
      linkId: null,
      side: 'b',
      ticketId: link.bId,
      code: 'payload_invalid',
      message: `Beta ticket ${link.bId}: status is null`,
      retryable: false,
    });
    h.a.userEdit(id, { subject: 'two' });
    await h.pollBoth();
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    const resolved = await h.ledger.listEvents({ linkId: link.id, kind: 'error_resolved' });
    expect(resolved.items.map((e) => e.side)).toEqual(['b']);
  });

  it('keeps open an error whose cause the clean pass finds still true, and resolves the one whose cause is gone', async () => {
    const h = harness({ fields: [summary, priority] });
    const id = h.a.userCreate({ subject: 'one', priority: 3 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.malformed.set(id, 'status is null');
    h.a.userEdit(id, { subject: 'two' });
    await h.pollBoth();
    expect((await h.ledger.listErrors({ state: 'open' })).map((e) => e.code)).toEqual(['payload_invalid']);

    // Readable again, but with a priority Beta has no value for: that error is true after this pass.
    h.a.malformed.delete(id);
    h.a.userEdit(id, { subject: 'three', priority: 9 });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('three');
    const open = await h.ledger.listErrors({ state: 'open' });
    expect(open.map((e) => [e.code, e.linkId, e.side])).toEqual([['unmapped_value', link.id, 'a']]);
    const events = await h.ledger.listEvents({ linkId: link.id, kind: 'error_resolved' });
    expect(events.items.map((e) => e.oldValue)).toEqual(['payload_invalid']);

    h.a.userEdit(id, { priority: 4 });
    await h.pollBoth();
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P1');
    const after = await h.ledger.listEvents({ linkId: link.id, kind: 'error_resolved' });
    expect(after.items.map((e) => e.oldValue)).toEqual(['unmapped_value', 'payload_invalid']);
  });

  it("resolves a refused create's error once the create goes through, with an event on the new link's audit", async () => {
    const h = harness({
      fields: [summary, { name: 'category', a: 'category', b: 'category', owner: 'a' }],
      systemB: { allowedValues: { category: ['Network', 'Hardware', null] } },
    });
    const id = h.a.userCreate({ subject: 'new', category: 'Plumbing' });
    await h.pollBoth();
    const [refused] = await h.ledger.listErrors({ state: 'open' });
    expect([refused?.code, refused?.linkId, refused?.side, refused?.ticketId]).toEqual([
      'remote_validation',
      null,
      'a',
      id,
    ]);

    h.a.userEdit(id, { category: 'Hardware' });
    await h.pollBoth();
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    const link = await onlyLink(h);
    const resolved = await h.ledger.listEvents({ linkId: link.id, kind: 'error_resolved' });
    expect(resolved.items.map((e) => [e.side, e.oldValue])).toEqual([['a', 'remote_validation']]);
  });
});
