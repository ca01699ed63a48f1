// The engine against two in-memory systems and a real SQLite ledger: the behaviours DESIGN.md
// promises (no echo, no lost update, no duplicate, manual conflicts, owners, lifecycle).
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { crashingLedger } from '../helpers/crashing-ledger.js';
import { createHarness, type Harness } from '../helpers/engine-harness.js';

const summary: FieldConfig = { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' };
const priority: FieldConfig = {
  name: 'priority',
  a: 'priority',
  b: 'priority',
  owner: 'a',
  map: [
    { a: 4, b: 'P1' },
    { a: 3, b: 'P2' },
    { a: 2, b: 'P3' },
    { a: 1, b: 'P4' },
  ],
};
const status: FieldConfig = {
  name: 'status',
  a: 'status',
  b: 'status',
  owner: 'both',
  map: [
    { a: 2, b: 'New' },
    { a: 2, b: 'In Progress' },
    { a: 2, b: 'Assigned' },
    { a: 2, b: 'Scheduled' },
    { a: 4, b: 'Resolved' },
    { a: 5, b: 'Closed' },
  ],
};

const harnesses: Harness[] = [];
function harness(...args: Parameters<typeof createHarness>): Harness {
  const h = createHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close().catch(() => undefined);
});

async function onlyLink(h: Harness) {
  const links = await h.ledger.listLinks({});
  expect(links.total).toBe(1);
  return links.items[0]!;
}

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

describe('no echo and no flapping', () => {
  it('a many-to-one status map produces zero writes over 1,000 unchanged polls', async () => {
    const h = harness({ fields: [status] });
    const bIds = ['In Progress', 'Assigned', 'Scheduled', 'New'].map((s) => h.b.userCreate({ status: s }));
    await h.pollBoth();
    await h.pollBoth();
    expect((await h.ledger.listLinks({})).total).toBe(4);
    const before = h.writes();
    for (let i = 0; i < 1000; i++) await h.pollBoth();
    expect(h.writes()).toBe(before);
    // b still holds its own, richer statuses; a holds the one they all map to.
    expect(bIds.map((id) => h.b.mustGet(id).fields.status)).toEqual(['In Progress', 'Assigned', 'Scheduled', 'New']);
    expect([...h.a.tickets.values()].map((t) => t.fields.status)).toEqual([2, 2, 2, 2]);
  });

  it.each([
    ['summary on a', (h: Harness, aId: string) => h.a.userEdit(aId, { subject: 'new words' })],
    ['summary on b', (h: Harness, _aId: string, bId: string) => h.b.userEdit(bId, { summary: 'msp words' })],
    [
      'status on b to a many-to-one value',
      (h: Harness, _aId: string, bId: string) => h.b.userEdit(bId, { status: 'Scheduled' }),
    ],
    ['status on a', (h: Harness, aId: string) => h.a.userEdit(aId, { status: 4 })],
    ['priority on a', (h: Harness, aId: string) => h.a.userEdit(aId, { priority: 1 })],
    [
      'a foreign priority edit on b (reverted)',
      (h: Harness, _aId: string, bId: string) => h.b.userEdit(bId, { priority: 'P4' }),
    ],
    ['a public comment on b', (h: Harness, _aId: string, bId: string) => void h.b.userComment(bId, 'hello', 'public')],
  ])('after a mirrored change (%s) the next 10 polls on both sides write nothing', async (_name, change) => {
    const h = harness({ fields: [summary, priority, status] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2, status: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    change(h, aId, link.bId);
    await h.pollBoth();
    await h.pollBoth();
    const settled = h.writes();
    for (let i = 0; i < 10; i++) await h.pollBoth();
    expect(h.writes()).toBe(settled);
    const snap = await h.ledger.snapshot(link.id);
    const a = h.a.mustGet(aId).fields;
    const b = h.b.mustGet(link.bId).fields;
    expect(b.summary).toBe(a.subject);
    expect(snap?.baselines.summary).toEqual({ a: a.subject, b: b.summary });
  });

  it('records the value the system actually holds, so a truncating system does not bounce', async () => {
    const h = harness({ fields: [summary], systemB: { maxLength: { summary: 10 } } });
    const aId = h.a.userCreate({ subject: 'short' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'a much longer summary than ten' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('a much lon');
    const settled = h.writes();
    for (let i = 0; i < 10; i++) await h.pollBoth();
    expect(h.writes()).toBe(settled);
    expect(h.a.mustGet(aId).fields.subject).toBe('a much longer summary than ten');
  });

  it('never overwrites a field a person changed between the pass reading it and writing it', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const read = h.connectorB.getTicket.bind(h.connectorB);
    let armed = true;
    h.connectorB.getTicket = async (id: string) => {
      const ticket = await read(id);
      if (armed) {
        armed = false;
        h.b.userEdit(id, { summary: 'the MSP typed this meanwhile' }); // lands after the pass read b
      }
      return ticket;
    };
    h.a.userEdit(aId, { subject: 'two' });
    await new Promise((r) => setTimeout(r, 5)); // so the MSP's edit is strictly the newer one
    await h.pollBoth();
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('the MSP typed this meanwhile');
    expect(h.a.mustGet(aId).fields.subject).toBe('the MSP typed this meanwhile'); // newest wins, nothing silently lost
  });

  it('the same ticket hinted 20 times concurrently costs one write', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'two' });
    const updatesBefore = h.b.counters.updates;
    const hints = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? h.engine.hint('test', 'a', aId) : h.engine.pollOnce('test', 'a'),
    );
    await Promise.all(hints);
    await h.engine.onIdle();
    expect(h.b.counters.updates - updatesBefore).toBe(1);
    expect(h.b.mustGet(link.bId).fields.summary).toBe('two');
  });
});

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
    expect(events.items[0]?.reason).toContain('which a owns');
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
    expect(events.items.find((e) => e.field === 'summary')?.reason).toContain('b (Beta) changed it last');
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

describe('comments', () => {
  it('copies a public comment once as public, keeps internal notes on their side, and never copies back', async () => {
    const h = harness({ fields: [summary] });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'Customer can log in again', 'public', 'Ada');
    h.a.userComment(aId, 'Password is hunter2', 'internal', 'Ada');
    h.b.userComment(link.bId, 'Replaced the switch', 'public', 'Tech');
    for (let i = 0; i < 5; i++) await h.pollBoth();
    const bComments = h.b.mustGet(link.bId).comments;
    const aComments = h.a.mustGet(aId).comments;
    expect(bComments.filter((c) => c.body.includes('Customer can log in again'))).toHaveLength(1);
    expect(bComments.find((c) => c.body.includes('Customer can log in again'))?.visibility).toBe('public');
    expect(bComments.some((c) => c.body.includes('hunter2'))).toBe(false);
    expect(aComments.filter((c) => c.body.includes('Replaced the switch'))).toHaveLength(1);
    expect(aComments).toHaveLength(3);
    expect(bComments).toHaveLength(2);
  });

  it('copies internal notes as internal only where configured, never as public', async () => {
    const h = harness({
      fields: [summary],
      connection: {
        comments: { aToB: { public: 'internal', internal: 'internal' }, bToA: { public: 'public', internal: 'skip' } },
      },
    });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'internal note', 'internal');
    h.a.userComment(aId, 'public note', 'public');
    await h.pollBoth();
    const vis = h.b.mustGet(link.bId).comments.map((c) => c.visibility);
    expect(vis).toEqual(['internal', 'internal']);
  });
});

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
