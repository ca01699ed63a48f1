// Creating twins: translated values, directions, defaults and routing, crash recovery.
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { crashingLedger } from '../helpers/crashing-ledger.js';
import { summary, priority, status, harness, onlyLink } from './fixtures.js';

describe('creating twins', () => {
  it('creates the twin on b with translated values and records one link with agreeing baselines', async () => {
    const h = harness({ fields: [summary, priority, status] });
    const aId = h.a.userCreate({ subject: 'VPN down', priority: 4, status: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    expect(link.aId).toBe(aId);
    expect(h.b.mustGet(link.bId).fields).toEqual({ summary: 'VPN down', priority: 'P1', status: 'New' });
    expect(h.b.mustGet(link.bId).marker).toBe(`tb:test:a${aId}`);
    const snap = await h.ledger.snapshot(link.id);
    expect(snap?.baselines).toEqual({
      summary: { a: 'VPN down', b: 'VPN down' },
      priority: { a: 4, b: 'P1' },
      status: { a: 2, b: 'New' },
    });
  });

  it("records each side's ticket key on the link, and keeps it current", async () => {
    const h = harness({ fields: [summary], systemB: { keyPrefix: 'IT' } });
    const aId = h.a.userCreate({ subject: 'VPN down' });
    await h.pollBoth();
    const link = await onlyLink(h);
    expect(link).toMatchObject({ aKey: null, bKey: `IT-${link.bId}` });
    h.b.options.keyPrefix = 'OPS'; // the issue moved project: new key, same id
    h.a.userEdit(aId, { subject: 'VPN down again' });
    await h.pollBoth();
    expect(await h.ledger.getLink(link.id)).toMatchObject({ bId: link.bId, bKey: `OPS-${link.bId}` });
  });

  it('creates tickets born on b on side a, and never treats its own twins as new tickets', async () => {
    const h = harness({ fields: [summary] });
    h.b.userCreate({ summary: 'From the MSP' });
    for (let i = 0; i < 3; i++) await h.pollBoth();
    expect(h.a.tickets.size).toBe(1);
    expect(h.b.tickets.size).toBe(1);
    expect((await h.ledger.listLinks({})).total).toBe(1);
  });

  it('does not create twins in a direction whose create is disabled', async () => {
    const h = harness({ fields: [summary], connection: { create: { aToB: false, bToA: true } } });
    h.a.userCreate({ subject: 'stays here' });
    await h.pollBoth();
    expect(h.b.tickets.size).toBe(0);
  });

  it('applies create defaults and the first matching routing rule', async () => {
    const h = harness({
      fields: [summary, priority],
      connection: {
        create: { aToB: { enabled: true, defaults: { board: 'Service', type: 'Incident' } }, bToA: true },
        routing: { aToB: [{ when: { field: 'priority', in: [4] }, set: { board: 'Escalations' } }], bToA: [] },
      },
    });
    h.a.userCreate({ subject: 'urgent', priority: 4 });
    h.a.userCreate({ subject: 'routine', priority: 1 });
    await h.pollBoth();
    const boards = [...h.b.tickets.values()].map((t) => [t.fields.summary, t.fields.board, t.fields.type]);
    expect(boards).toEqual(
      expect.arrayContaining([
        ['urgent', 'Escalations', 'Incident'],
        ['routine', 'Service', 'Incident'],
      ]),
    );
  });

  it('survives a crash after the remote create and before the ledger commit: one twin, one link', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    const crashing = crashingLedger(ledger, (p) => p.newLink !== undefined);
    const h = harness({ fields: [summary], ledger: crashing });
    h.a.userCreate({ subject: 'only once' });
    await h.pollBoth();
    expect(h.b.tickets.size).toBe(1); // the remote create happened
    expect((await ledger.listLinks({})).total).toBe(0); // the commit did not
    expect((await ledger.pendingIntents()).length).toBe(1);

    const restarted = h.restart({ ledger });
    await restarted.engine.recoverIntents();
    await restarted.engine.onIdle();
    await restarted.pollBoth();
    expect(h.b.tickets.size).toBe(1);
    expect(h.b.counters.creates).toBe(1);
    expect((await ledger.listLinks({})).total).toBe(1);
    expect((await ledger.pendingIntents()).length).toBe(0);
  });

  it("does not create a second twin while the target's search may still be catching up", async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    const crashing = crashingLedger(ledger, (p) => p.newLink !== undefined);
    const h = harness({ fields: [summary], ledger: crashing, markerSearchLagMsB: 300 });
    h.a.userCreate({ subject: 'only once' });
    await h.pollBoth();
    const restarted = h.restart({ ledger });
    await restarted.engine.recoverIntents();
    await restarted.engine.onIdle();
    expect(h.b.counters.creates).toBe(1); // the twin is not yet searchable, and no second one was made
    expect((await ledger.listErrors({ state: 'open' }))[0]?.retryable).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    await restarted.engine.retryTransientErrors();
    await restarted.engine.onIdle();
    expect(h.b.counters.creates).toBe(1);
    expect((await ledger.listLinks({})).total).toBe(1);
    expect(await ledger.listErrors({ state: 'open' })).toHaveLength(0);
  });
});
