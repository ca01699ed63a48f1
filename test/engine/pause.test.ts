// Pause that holds, and what a person can do with a flagged link.
import { describe, expect, it } from 'vitest';
import { ConnectionPausedError, LinkRefusedError } from '../../src/core/errors.js';
import { summary, harness, onlyLink } from './fixtures.js';

const HOUR_MS = 3_600_000;

describe('pause', () => {
  it('writes nothing while paused (hints, polls, reconcile, retries, resync), keeps the pause across a restart, and catches up on resume', async () => {
    const h = harness({ fields: [summary], engine: { pollIntervalMs: HOUR_MS } });
    const first = h.a.userCreate({ subject: 'before the pause' });
    await h.pollBoth();
    const link = await onlyLink(h);

    await h.engine.pause('test', 'go-live weekend');
    const writes = h.writes();
    const cursor = await h.ledger.getCursor('test', 'a');
    h.a.userEdit(first, { subject: 'edited while paused' });
    const second = h.a.userCreate({ subject: 'created while paused' });
    await h.ledger.recordError({
      connection: 'test',
      linkId: link.id,
      side: 'b',
      ticketId: link.bId,
      code: 'network',
      message: 'reset',
      retryable: true,
    });

    await h.engine.hint('test', 'a', second); // what a webhook does
    await h.engine.hint('test', 'a', first);
    expect(await h.engine.pollOnce('test', 'a')).toBe(0);
    expect(await h.engine.reconcile()).toBe(0);
    expect(await h.engine.retryTransientErrors()).toBe(0);
    await expect(h.engine.resync(link.id)).rejects.toBeInstanceOf(ConnectionPausedError);
    await h.engine.onIdle();
    expect(h.writes()).toBe(writes);
    expect(await h.ledger.getCursor('test', 'a')).toEqual(cursor);
    expect(h.engine.pauseState('test')).toMatchObject({ by: 'operator', note: 'go-live weekend' });

    // A restart on the same ledger is still paused; starting it writes nothing either.
    const restarted = h.restart();
    await restarted.engine.start();
    await restarted.engine.onIdle();
    expect(restarted.engine.pauseState('test')).toMatchObject({ by: 'operator' });
    expect(h.writes()).toBe(writes);

    await restarted.engine.resume('test');
    await restarted.engine.onIdle();
    await restarted.engine.stop();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited while paused');
    expect([...h.b.tickets.values()].map((t) => t.fields.summary).sort()).toEqual([
      'created while paused',
      'edited while paused',
    ]);
    expect(restarted.engine.pauseState('test')).toBeNull();
  });

  it('cannot resume a connection the configuration disables', async () => {
    const h = harness({ fields: [summary], connection: { enabled: false } });
    h.a.userCreate({ subject: 'never synced' });
    await h.engine.hint('test', 'a', '1');
    await h.engine.reconcile();
    expect(h.writes()).toBe(0);
    expect(h.engine.pauseState('test')).toMatchObject({ by: 'config' });
    await expect(h.engine.resume('test')).rejects.toThrow(/enabled: false in the configuration/);
  });
});

describe('flagged links', () => {
  it('closes the twin of a ticket deleted on the other side, and closes the link', async () => {
    const h = harness({ fields: [summary], systemB: { closedStatus: 'Closed' } });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userDelete(aId);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('flagged');
    await expect(h.engine.dismissFlag(link.id)).rejects.toBeInstanceOf(LinkRefusedError);

    const closed = await h.engine.closeTwin(link.id);
    expect(closed.state).toBe('closed');
    expect(h.b.mustGet(link.bId).fields.status).toBe('Closed');
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    const events = await h.ledger.listEvents({ linkId: link.id, kind: 'ticket_closed' });
    expect(events.items[0]?.reason).toContain('a person closed the twin');
  });

  it('dismissing an out-of-scope flag keeps the link syncing', async () => {
    const h = harness({
      fields: [summary],
      scopeA: (f) => f.queue !== 'elsewhere',
      connection: { lifecycle: { onUnscope: 'flag', onDelete: 'flag' } },
    });
    const aId = h.a.userCreate({ subject: 's', queue: 'it' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { queue: 'elsewhere' });
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('flagged');

    await h.engine.dismissFlag(link.id);
    h.a.userEdit(aId, { subject: 'still mirrored' });
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('active');
    expect(h.b.mustGet(link.bId).fields.summary).toBe('still mirrored');
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
  });

  it('unlinks: neither ticket syncs again and no new twin is made', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    expect((await h.engine.unlink(link.id)).state).toBe('unlinked');
    h.a.userEdit(aId, { subject: 'after unlink' });
    await h.pollBoth();
    expect(h.b.tickets.size).toBe(1);
    expect(h.b.mustGet(link.bId).fields.summary).toBe('s');
  });

  it('names the side and ticket of an error met during a link pass', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'moved' });
    h.b.failWith = new Error('socket hang up');
    await h.engine.reconcile();
    const [error] = await h.ledger.listErrors({ state: 'open' });
    expect(error).toMatchObject({ linkId: link.id, side: 'b', ticketId: link.bId });
    expect(error?.message).toBe(`b (Beta) ticket ${link.bId}: socket hang up`);
  });
});
