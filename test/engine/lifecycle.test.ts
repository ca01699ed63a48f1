// Lifecycle: a ticket deleted or leaving scope closes, unlinks or flags its link.
import { describe, expect, it } from 'vitest';
import { summary, harness, onlyLink } from './fixtures.js';

describe('lifecycle', () => {
  it('unlinks a ticket that leaves scope and never recreates it', async () => {
    const h = harness({
      fields: [summary],
      scopeA: (f) => f.queue !== 'elsewhere',
      connection: { lifecycle: { onUnscope: 'unlink', onDelete: 'flag' } },
    });
    const aId = h.a.userCreate({ subject: 's', queue: 'it' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { queue: 'elsewhere' });
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('unlinked');
    h.a.userEdit(aId, { queue: 'it', subject: 'back in scope' });
    for (let i = 0; i < 3; i++) await h.pollBoth();
    expect(h.b.tickets.size).toBe(1);
    expect(h.b.counters.creates).toBe(1);
  });

  it('closes the twin when a ticket is deleted and the rule says close', async () => {
    const h = harness({
      fields: [summary],
      systemB: { closedStatus: 'Closed' },
      connection: { lifecycle: { onDelete: 'close', onUnscope: 'unlink' } },
    });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userDelete(aId);
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.status).toBe('Closed');
    expect((await h.ledger.getLink(link.id))?.state).toBe('closed');
  });

  it('flags the link as an open error when a ticket vanishes and the rule says flag', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.tickets.delete(aId);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('flagged');
    const errors = await h.ledger.listErrors({ state: 'open' });
    expect(errors[0]).toMatchObject({ code: 'not_found', linkId: link.id });
  });
});
