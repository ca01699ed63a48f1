// A crash between a remote field write and the ledger commit must lose nothing: the update
// intent written ahead of the write tells the next pass what the sides agreed on.
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { crashingLedger } from '../helpers/crashing-ledger.js';
import { createHarness } from '../helpers/engine-harness.js';

const status: FieldConfig = {
  name: 'status',
  a: 'status',
  b: 'status',
  owner: 'both',
  conflict: 'newest',
  map: [
    { a: 2, b: 'New' },
    { a: 3, b: 'In Progress' },
    { a: 4, b: 'Resolved' },
  ],
};

/** A linked ticket set to Resolved on a; the write to b lands, then the daemon "dies" before the commit. */
async function crashAfterMirroringResolved(options: { updateStepsB?: readonly string[] } = {}) {
  const ledger = new SqliteLedger({ path: ':memory:' });
  const crashing = crashingLedger(ledger, (p) => (p.events ?? []).some((e) => e.kind === 'field_mirrored'));
  const h = createHarness({ fields: [status], ledger: crashing, ...options });
  const aId = h.a.userCreate({ status: 2 });
  await h.pollBoth();
  const link = (await ledger.findLink('test', 'a', aId))!;
  h.a.userEdit(aId, { status: 4 });
  await h.engine.pollOnce('test', 'a');
  await h.engine.onIdle();
  return { ledger, h, aId, link };
}

describe('crash between a write and its commit', () => {
  it("keeps the source's later edit when it returns to the old value", async () => {
    const { ledger, h, aId, link } = await crashAfterMirroringResolved();
    expect(h.b.mustGet(link.bId).fields.status).toBe('Resolved');
    expect((await ledger.pendingIntentsForLink(link.id)).map((i) => i.kind)).toEqual(['update']);

    h.a.userEdit(aId, { status: 2 }); // the person changes their mind: back to the old value
    const restarted = h.restart({ ledger });
    await restarted.pollBoth();
    await restarted.pollBoth();
    expect(h.a.mustGet(aId).fields.status).toBe(2);
    expect(h.b.mustGet(link.bId).fields.status).toBe('New');
    expect(await ledger.pendingIntentsForLink(link.id)).toEqual([]);
  });

  it('records on recovery the mirror of a write that landed before the crash', async () => {
    const { ledger, h, link } = await crashAfterMirroringResolved();
    const restarted = h.restart({ ledger });
    await restarted.pollBoth();
    const mirrored = (await ledger.listEvents({ linkId: link.id })).items.filter((e) => e.kind === 'field_mirrored');
    expect(mirrored.map((e) => [e.side, e.field, e.oldValue, e.newValue])).toEqual([
      ['a', 'status', 'New', 'Resolved'],
    ]);
    expect(mirrored[0]!.reason).toBe('status was written to Beta before a restart; recorded on recovery');
  });

  it("keeps a person's edit made on the target after the crash: the conflict rule decides, not the recovery", async () => {
    const { ledger, h, aId, link } = await crashAfterMirroringResolved();
    // The write of Resolved landed; then someone on b moved the ticket on before the daemon restarted.
    h.b.userEdit(link.bId, { status: 'In Progress' });

    const restarted = h.restart({ ledger });
    await restarted.pollBoth();
    await restarted.pollBoth();
    // conflict: newest: b's edit came after a's, so it wins on both sides instead of being overwritten.
    expect(h.b.mustGet(link.bId).fields.status).toBe('In Progress');
    expect(h.a.mustGet(aId).fields.status).toBe(3);
  });

  it('finishes a write that stopped half-way (a transition path) instead of mirroring its middle step back', async () => {
    const { ledger, h, aId, link } = await crashAfterMirroringResolved({ updateStepsB: ['status'] });
    // As if the write had been a path of steps and stopped at its middle one.
    h.b.userEdit(link.bId, { status: 'In Progress' });

    const restarted = h.restart({ ledger });
    await restarted.pollBoth();
    await restarted.pollBoth();
    expect(h.a.mustGet(aId).fields.status).toBe(4);
    expect(h.b.mustGet(link.bId).fields.status).toBe('Resolved');
  });

  it('keeps an edit made on a twin between its create and the crashed commit', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    const crashing = crashingLedger(ledger, (p) => p.newLink !== undefined);
    const h = createHarness({ fields: [status], ledger: crashing });
    const aId = h.a.userCreate({ status: 2 });
    await h.pollBoth(); // creates the twin, then "dies" before the link is committed
    const twin = [...h.b.tickets.values()][0]!;
    h.b.userEdit(twin.id, { status: 'Resolved' }); // the MSP works the new ticket meanwhile
    h.a.userEdit(aId, { note: 'unrelated edit that moves the version' });

    const restarted = h.restart({ ledger });
    await restarted.engine.recoverIntents();
    await restarted.engine.onIdle();
    await restarted.pollBoth();
    expect(h.b.counters.creates).toBe(1);
    expect(h.b.mustGet(twin.id).fields.status).toBe('Resolved');
    expect(h.a.mustGet(aId).fields.status).toBe(4);
  });
});
