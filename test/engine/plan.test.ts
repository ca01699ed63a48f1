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

describe('plan honours what a real pass honours', () => {
  it('promises no write for a field parked as a manual conflict, even when only one side moved since', async () => {
    const h = harness({ fields: [{ ...summary, conflict: 'manual' }, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'internal view' });
    h.b.userEdit(link.bId, { summary: 'msp view' });
    await h.pollBoth();
    expect(await h.ledger.listConflicts({ state: 'open' })).toHaveLength(1);
    // b goes back to the agreed value: alone, that would be a's edit to mirror; parked, it waits.
    h.b.userEdit(link.bId, { summary: 'start' });
    h.a.userEdit(aId, { priority: 4 });
    const planned = await h.engine.plan();
    expect(planned).toEqual([expect.objectContaining({ action: 'update', side: 'b', fields: { priority: 'P1' } })]);
    const before = h.b.counters.updates;
    await h.pollBoth();
    expect(h.b.counters.updates - before).toBe(1); // the real pass writes what the plan said, nothing more
    expect(h.b.mustGet(link.bId).fields).toMatchObject({ summary: 'start', priority: 'P1' });
  });

  it('plans no create in a direction whose create is off', async () => {
    const h = harness({ fields: [summary], connection: { create: { aToB: false, bToA: true } } });
    h.a.userCreate({ subject: 'stays here' });
    const fromB = h.b.userCreate({ summary: 'crosses' });
    expect(await h.engine.plan()).toEqual([
      expect.objectContaining({ action: 'create', side: 'a', ticketId: fromB, fields: { subject: 'crosses' } }),
    ]);
  });

  it('plans nothing for a paused connection (enabled: false)', async () => {
    const h = harness({ fields: [summary], connection: { enabled: false } });
    h.a.userCreate({ subject: 'waits' });
    h.b.userCreate({ summary: 'waits too' });
    expect(await h.engine.plan()).toEqual([]);
  });

  it('plans a twin with the create defaults and the first matching routing rule', async () => {
    const h = harness({
      fields: [summary, priority],
      connection: {
        create: { aToB: { enabled: true, defaults: { board: 'Service', type: 'Incident' } }, bToA: true },
        routing: { aToB: [{ when: { field: 'priority', in: [4] }, set: { board: 'Escalations' } }], bToA: [] },
      },
    });
    const urgent = h.a.userCreate({ subject: 'urgent', priority: 4 });
    const routine = h.a.userCreate({ subject: 'routine', priority: 1 });
    const planned = await h.engine.plan();
    expect(planned).toHaveLength(2);
    expect(planned).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'create',
          ticketId: urgent,
          fields: { summary: 'urgent', priority: 'P1', board: 'Escalations', type: 'Incident' },
        }),
        expect.objectContaining({
          action: 'create',
          ticketId: routine,
          fields: { summary: 'routine', priority: 'P4', board: 'Service', type: 'Incident' },
        }),
      ]),
    );
  });
});
