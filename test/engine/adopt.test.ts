// Pairing tickets both teams already hold (`ticketbridge link`): both stamped with markers, a link
// without baselines whose first pass decides each field by its owner and conflict rule, exactly as
// the dry run said, and no twin created for either ticket.
import { describe, expect, it } from 'vitest';
import { LinkRefusedError, NotFoundError } from '../../src/core/errors.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { pairMarkers } from '../../src/core/marker.js';
import { rebuildConnection } from '../../src/core/rebuild.js';
import { TicketRefError } from '../../src/core/ticket-ref.js';
import { CONNECTION } from '../helpers/engine-harness.js';
import { harness, priority, summary } from './fixtures.js';

describe('linking existing tickets', () => {
  it('previews the first pass, then links, stamps both markers and lets the first pass decide each field by its owner', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'Printer on floor 2', priority: 3 });
    const bId = h.b.userCreate({ summary: 'Printer jams', priority: 'P4' });
    h.b.userEdit(bId, { summary: 'Printer jams on floor 2' }); // b typed its summary last

    const preview = await h.engine.link({ a: aId, b: bId }, { dryRun: true });
    expect(h.writes()).toBe(0);
    expect((await h.ledger.listLinks({})).total).toBe(0);
    expect(preview.status).toBe('preview');
    const predicted = (['a', 'b'] as const).flatMap((side) =>
      preview.writes![side].map((w) => ({ side, native: w.native, value: w.value })),
    );
    // priority is a's; summary is both's under `newest`, and b typed its summary last.
    expect(predicted).toEqual([
      { side: 'a', native: 'subject', value: 'Printer jams on floor 2' },
      { side: 'b', native: 'priority', value: 'P2' },
    ]);

    const linked = await h.engine.link({ a: aId, b: bId });
    expect(linked.status).toBe('linked');
    const link = linked.link!;
    expect(link).toMatchObject({ aId, bId, state: 'active', aVersion: null, bVersion: null });
    const snap = await h.ledger.snapshot(link.id);
    expect(snap!.baselines).toEqual({});
    const markers = pairMarkers(CONNECTION, { a: aId, b: bId });
    expect(h.a.tickets.get(aId)!.marker).toBe(markers.a);
    expect(h.b.tickets.get(bId)!.marker).toBe(markers.b);

    await h.pollBoth();
    expect(h.a.counters.creates + h.b.counters.creates).toBe(0);
    expect(h.a.tickets.size).toBe(1);
    expect(h.b.tickets.size).toBe(1);
    expect(h.a.tickets.get(aId)!.fields.subject).toBe('Printer jams on floor 2');
    expect(h.b.tickets.get(bId)!.fields.priority).toBe('P2');
    const mirrored = await h.ledger.listEvents({ linkId: link.id, kind: 'field_mirrored' });
    expect(mirrored.items.map((e) => [e.side, e.field]).sort()).toEqual([
      ['a', 'summary'],
      ['b', 'priority'],
    ]);
    expect(Object.keys((await h.ledger.snapshot(link.id))!.baselines).sort()).toEqual(['priority', 'summary']);
  });

  it('answers "already linked" for the same pair again and writes nothing more', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 'VPN down' });
    const bId = h.b.userCreate({ summary: 'VPN down' });
    const first = await h.engine.link({ a: aId, b: bId });
    const writes = h.writes();
    const again = await h.engine.link({ a: aId, b: bId });
    expect(again).toMatchObject({ status: 'already_linked', link: { id: first.link!.id } });
    expect(h.writes()).toBe(writes);
  });

  it('refuses a ticket linked to another, one not found and one outside the scope, each in one line, stamping nothing', async () => {
    const h = harness({ fields: [summary], scopeB: (f) => f.summary !== 'not ours' });
    const a1 = h.a.userCreate({ subject: 'one' });
    const a2 = h.a.userCreate({ subject: 'two' });
    const b1 = h.b.userCreate({ summary: 'one' });
    const outside = h.b.userCreate({ summary: 'not ours' });
    const linked = await h.engine.link({ a: a1, b: b1 });

    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (err: Error) => err,
      );
    const taken = await refusal(h.engine.link({ a: a2, b: b1 }));
    expect(taken).toBeInstanceOf(LinkRefusedError);
    expect(taken!.message).toBe(
      `${CONNECTION}: ticket ${b1} on b (Beta) is already linked to ${a1} (link ${linked.link!.id}, active)`,
    );
    const missing = await refusal(h.engine.link({ a: a2, b: '999' }));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing!.message).toBe(`${CONNECTION}: no ticket 999 on b (Beta)`);
    const scoped = await refusal(h.engine.link({ a: a2, b: outside }));
    expect(scoped).toBeInstanceOf(LinkRefusedError);
    expect(scoped!.message).toBe(`${CONNECTION}: ticket ${outside} on b (Beta) is outside the connection's scope`);
    expect(await refusal(h.engine.link({ a: 'nosuch:1', b: b1 }))).toBeInstanceOf(TicketRefError);
    for (const err of [taken, missing, scoped]) expect(err!.message).not.toContain('\n');
    expect(h.a.tickets.get(a2)!.marker).toBeNull();
    expect(h.b.tickets.get(outside)!.marker).toBeNull();
    expect((await h.ledger.listLinks({})).total).toBe(1);
  });

  it('refuses a twin of another ticket (it carries another marker of the connection)', async () => {
    const h = harness({ fields: [summary] });
    const source = h.a.userCreate({ subject: 'mail bounce' });
    await h.pollBoth();
    const twin = [...h.b.tickets.keys()][0]!;
    // The twin's link is lost (say, a ledger restored from an old backup) and someone pairs it by hand.
    const lone = h.a.userCreate({ subject: 'mail bounce again' });
    const err = await h.engine.link({ a: lone, b: twin }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(LinkRefusedError);
    expect(err!.message).toContain(`already linked to ${source}`);
  });

  it('finishes a pair whose markers were stamped before a stop, without stamping again', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 'disk full' });
    const bId = h.b.userCreate({ summary: 'disk full' });
    const markers = pairMarkers(CONNECTION, { a: aId, b: bId });
    await h.connectorA.stampMarker(aId, markers.a);
    await h.connectorB.stampMarker(bId, markers.b);
    // Stamped tickets are never taken for sources of a twin, even before the link exists.
    await h.pollBoth();
    expect(h.a.counters.creates + h.b.counters.creates).toBe(0);
    const updates = h.a.counters.updates + h.b.counters.updates;
    const result = await h.engine.link({ a: aId, b: bId });
    expect(result.status).toBe('linked');
    expect(h.a.counters.updates + h.b.counters.updates).toBe(updates);
  });

  it('a lost ledger is rebuilt from the pair markers: one link per pair, and no twin afterwards', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'Door sensor', priority: 2 });
    const bId = h.b.userCreate({ summary: 'Door sensor', priority: 'P3' });
    await h.engine.link({ a: aId, b: bId });

    const fresh = new SqliteLedger({ path: ':memory:' });
    const rebuilt = await rebuildConnection(fresh, h.engine.connections.get(CONNECTION)!);
    expect(rebuilt.linked).toBe(1);
    const links = await fresh.listLinks({});
    expect(links.items.map((l) => [l.aId, l.bId])).toEqual([[aId, bId]]);

    const restarted = h.restart({ ledger: fresh });
    await restarted.pollBoth();
    expect(h.a.counters.creates + h.b.counters.creates).toBe(0);
    expect((await fresh.listLinks({})).total).toBe(1);
    await restarted.engine.stop();
  });
});
