// lifecycle.stopAfterClosedDays: a link whose tickets both stayed closed that long is archived:
// the reconcile no longer reads it, it stays findable and auditable, and a change wakes it.
import { describe, expect, it } from 'vitest';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { harness, onlyLink, summary } from './fixtures.js';

const DAY = 86_400_000;
const status: FieldConfig = { name: 'status', a: 'status', b: 'status', owner: 'both' };

function closingHarness(days: number) {
  const clock = new ManualClock();
  const h = harness({
    fields: [summary, status],
    systemA: { clock },
    systemB: { clock },
    connection: {
      lifecycle: { onDelete: 'flag', onUnscope: 'unlink', stopAfterClosedDays: days },
      initialSync: { openOnly: false },
    },
    engine: { clock },
  });
  return { h, clock };
}

describe('archiving links closed on both sides', () => {
  it('archives after the configured days, then the reconcile reads neither ticket; it stays searchable', async () => {
    const { h, clock } = closingHarness(30);
    const aId = h.a.userCreate({ subject: 'printer', status: 'Open' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { status: 'Closed' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.status).toBe('Closed');

    await h.engine.reconcile();
    const closed = await h.ledger.getLink(link.id);
    expect(closed?.state).toBe('active');
    expect(closed?.closedSince).not.toBeNull();

    clock.advance(29 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('active');

    clock.advance(2 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('archived');

    const reads = h.a.counters.reads + h.b.counters.reads;
    expect(await h.engine.reconcile()).toBe(0);
    expect(h.a.counters.reads + h.b.counters.reads).toBe(reads);

    const found = await h.ledger.listLinks({ ticketId: aId });
    expect(found.items.map((l) => [l.id, l.state])).toEqual([[link.id, 'archived']]);
    const kinds = (await h.ledger.listEvents({ linkId: link.id })).items.map((e) => e.kind);
    expect(kinds).toContain('link_archived');
  });

  it('does not archive a link whose ticket was reopened before the days ran out', async () => {
    const { h, clock } = closingHarness(10);
    const aId = h.a.userCreate({ subject: 'vpn', status: 'Closed' });
    await h.pollBoth();
    const link = await onlyLink(h);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.closedSince).not.toBeNull();

    clock.advance(5 * DAY);
    h.b.userEdit(link.bId, { status: 'Open' });
    await h.pollBoth();
    expect((await h.ledger.getLink(link.id))?.closedSince).toBeNull();
    expect(h.a.mustGet(aId).fields.status).toBe('Open');

    clock.advance(20 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('active');
  });

  it('wakes an archived link when one of its tickets changes, and syncs the change', async () => {
    const { h, clock } = closingHarness(1);
    const aId = h.a.userCreate({ subject: 'laptop', status: 'Closed' });
    await h.pollBoth();
    const link = await onlyLink(h);
    await h.engine.reconcile();
    clock.advance(2 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('archived');

    await h.pollBoth(); // listing the same old versions again leaves it archived
    expect((await h.ledger.getLink(link.id))?.state).toBe('archived');

    h.a.userEdit(aId, { status: 'Open', subject: 'laptop again' });
    await h.pollBoth();
    expect(await h.ledger.getLink(link.id)).toMatchObject({ state: 'active', closedSince: null });
    expect(h.b.mustGet(link.bId).fields).toMatchObject({ status: 'Open', summary: 'laptop again' });
    const events = (await h.ledger.listEvents({ linkId: link.id, order: 'asc' })).items;
    expect(events.map((e) => e.kind)).toContain('link_unarchived');
    // Reopened while archived is a reopening like any other: the report counts it.
    expect(events.filter((e) => e.kind === 'ticket_reopened').map((e) => e.side)).toEqual(['a']);
  });

  it('records no reopening when an archived pair wakes for a change that leaves both closed', async () => {
    const { h, clock } = closingHarness(1);
    const aId = h.a.userCreate({ subject: 'monitor', status: 'Closed' });
    await h.pollBoth();
    const link = await onlyLink(h);
    await h.engine.reconcile();
    clock.advance(2 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('archived');

    h.a.userEdit(aId, { subject: 'monitor (replaced)' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('monitor (replaced)');
    const kinds = (await h.ledger.listEvents({ linkId: link.id })).items.map((e) => e.kind);
    expect(kinds).toContain('link_unarchived');
    expect(kinds).not.toContain('ticket_reopened');
    // The closing clock starts again from the wake: not archived again before its days run out.
    expect((await h.ledger.getLink(link.id))?.state).toBe('active');
  });

  it('never archives without stopAfterClosedDays', async () => {
    const clock = new ManualClock();
    const h = harness({
      fields: [summary, status],
      systemA: { clock },
      systemB: { clock },
      engine: { clock },
      connection: { initialSync: { openOnly: false } },
    });
    h.a.userCreate({ subject: 'old', status: 'Closed' });
    await h.pollBoth();
    const link = await onlyLink(h);
    await h.engine.reconcile();
    clock.advance(3650 * DAY);
    await h.engine.reconcile();
    expect((await h.ledger.getLink(link.id))?.state).toBe('active');
  });
});
