// Owners and conflicts: reverts, ignored edits, manual and newest-wins conflicts.
import { describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/engine-harness.js';
import { summary, priority, harness, onlyLink } from './fixtures.js';

describe('owners and conflicts', () => {
  it('reverts an edit by the non-owner side and records why', async () => {
    const h = harness({ fields: [priority] });
    const aId = h.a.userCreate({ priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.b.userEdit(link.bId, { priority: 'P1' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P3');
    expect(h.a.mustGet(aId).fields.priority).toBe(2);
    const events = await h.ledger.listEvents({ linkId: link.id, kind: 'field_reverted' });
    expect(events.items[0]).toMatchObject({ side: 'b', field: 'priority', oldValue: 'P1', newValue: 'P3' });
    expect(events.items[0]?.reason).toBe("Beta edited priority, which Alpha owns; Alpha's value was restored");
  });

  it('keeps a non-owner edit without mirroring it when onForeignEdit is ignore', async () => {
    const h = harness({ fields: [{ ...priority, onForeignEdit: 'ignore' }] });
    const aId = h.a.userCreate({ priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.b.userEdit(link.bId, { priority: 'P1' });
    await h.pollBoth();
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P1');
    expect(h.a.mustGet(aId).fields.priority).toBe(2);
  });

  it('parks a manual conflict for that field only, keeps syncing the rest, and resolves it on request', async () => {
    const h = harness({
      fields: [
        { ...summary, conflict: 'manual' },
        { name: 'note', a: 'note', b: 'note', owner: 'both' },
      ],
    });
    const aId = h.a.userCreate({ subject: 'start', note: 'n1' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'internal view', note: 'n2' });
    h.b.userEdit(link.bId, { summary: 'msp view' });
    await h.pollBoth();

    const open = await h.ledger.listConflicts({ state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ field: 'summary', aValue: 'internal view', bValue: 'msp view' });
    expect(h.b.mustGet(link.bId).fields.note).toBe('n2'); // the rest kept syncing
    expect(h.b.mustGet(link.bId).fields.summary).toBe('msp view'); // the parked field was not touched

    for (let i = 0; i < 3; i++) await h.pollBoth();
    expect(await h.ledger.listConflicts({ state: 'open' })).toHaveLength(1);

    const resolved = await h.engine.resolveConflict(open[0]!.id, 'b');
    expect(resolved.state).toBe('resolved');
    expect(h.a.mustGet(aId).fields.subject).toBe('msp view');
    const settled = h.writes();
    for (let i = 0; i < 5; i++) await h.pollBoth();
    expect(h.writes()).toBe(settled);
  });

  it('parks a both-owned value the other system refuses in the conflict inbox, writes the rest of the batch, and stops retrying it', async () => {
    const h = harness({
      fields: [summary, { name: 'state', a: 'state', b: 'state', owner: 'both' }],
      systemB: { allowedValues: { state: ['Open', 'Closed'] } },
    });
    const aId = h.a.userCreate({ subject: 's', state: 'Open' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'renamed', state: 'Reopened' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields).toMatchObject({ summary: 'renamed', state: 'Open' });
    const open = await h.ledger.listConflicts({ state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ field: 'state', aValue: 'Reopened', bValue: 'Open' });
    const events = await h.ledger.listEvents({ linkId: link.id, kind: 'conflict_opened' });
    expect(events.items[0]?.reason).toContain('Beta refused state "Reopened"');
    const updates = h.b.counters.updates;
    for (let i = 0; i < 3; i++) await h.engine.resync(link.id);
    expect(h.b.counters.updates).toBe(updates); // parked: not hammered on every pass
    await h.engine.resolveConflict(open[0]!.id, 'b');
    expect(h.a.mustGet(aId).fields.state).toBe('Open');
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
  });

  it('closes an open conflict when both sides come to agree by themselves', async () => {
    const h = harness({ fields: [{ ...summary, conflict: 'manual' }] });
    const aId = h.a.userCreate({ subject: 'x' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'y' });
    h.b.userEdit(link.bId, { summary: 'z' });
    await h.pollBoth();
    expect(await h.ledger.listConflicts({ state: 'open' })).toHaveLength(1);
    h.b.userEdit(link.bId, { summary: 'y' });
    await h.pollBoth();
    expect(await h.ledger.listConflicts({ state: 'open' })).toHaveLength(0);
  });
});

describe('conflict: newest with per-field history', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5)); // edits on two systems strictly ordered in time

  // The internal team edits the summary, then the MSP edits it, then the internal team edits an
  // unrelated field: the internal ticket is the newer ticket, but the MSP's summary is the newer summary.
  async function editInThatOrder(h: Harness) {
    const aId = h.a.userCreate({ subject: 'one', priority: 4 });
    await h.pollBoth();
    const link = await onlyLink(h);
    await tick();
    h.a.userEdit(aId, { subject: 'from the internal team' });
    await tick();
    h.b.userEdit(link.bId, { summary: 'from the MSP' });
    await tick();
    h.a.userEdit(aId, { priority: 3 });
    await h.pollBoth();
    return { aId, link };
  }

  it('lets the side that changed the field itself last win, not the side with the newest ticket', async () => {
    const h = harness({
      fields: [summary, priority],
      systemA: { fieldHistory: true },
      systemB: { fieldHistory: true },
    });
    const { aId, link } = await editInThatOrder(h);
    expect(h.a.mustGet(aId).fields.subject).toBe('from the MSP');
    expect(h.b.mustGet(link.bId).fields.summary).toBe('from the MSP');
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P2'); // the unrelated edit still mirrors
    const events = await h.ledger.listEvents({ linkId: link.id, kind: 'field_mirrored' });
    expect(events.items.find((e) => e.field === 'summary')?.reason).toContain(
      'Beta changed it last, so its value was kept (conflict: newest)',
    );
  });

  it('falls back to whole-ticket times where a system keeps no per-field history', async () => {
    const h = harness({ fields: [summary, priority] });
    const { aId, link } = await editInThatOrder(h);
    expect(h.a.mustGet(aId).fields.subject).toBe('from the internal team');
    expect(h.b.mustGet(link.bId).fields.summary).toBe('from the internal team');
  });

  it('reads the history only to settle a newest-wins conflict', async () => {
    const h = harness({
      fields: [summary, priority],
      systemA: { fieldHistory: true },
      systemB: { fieldHistory: true },
    });
    let asked = 0;
    const original = h.connectorA.fieldChangeTimes!;
    (h.connectorA as { fieldChangeTimes?: typeof original }).fieldChangeTimes = async (id, natives) => {
      asked++;
      return original(id, natives);
    };
    const aId = h.a.userCreate({ subject: 'one', priority: 4 });
    await h.pollBoth();
    h.a.userEdit(aId, { subject: 'two' });
    await h.pollBoth();
    expect(asked).toBe(0);
    const link = await onlyLink(h);
    await tick();
    h.a.userEdit(aId, { subject: 'three' });
    await tick();
    h.b.userEdit(link.bId, { summary: 'four' });
    await h.pollBoth();
    expect(asked).toBe(1);
    expect(h.a.mustGet(aId).fields.subject).toBe('four');
  });
});
