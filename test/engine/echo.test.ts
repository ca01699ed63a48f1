// No echo and no flapping: the daemon never mirrors its own writes back.
import { FRESH_MS } from '../../src/core/pass.js';
import { describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/engine-harness.js';
import { summary, priority, status, harness, onlyLink } from './fixtures.js';

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

  it('reads the target again when its read has aged, and leaves a field a person changed meanwhile for the next pass', async () => {
    // The pass reads both sides at once and writes moments later. When it was held up between
    // the read and the write (a busy system), the read is FRESH_MS old: it reads the target again
    // and never overwrites what a person typed meanwhile.
    let offsetMs = 0;
    const clock = { now: () => Date.now() + offsetMs };
    const h = harness({ fields: [summary], engine: { clock } });
    const aId = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const read = h.connectorB.getTicket.bind(h.connectorB);
    let armed = true;
    h.connectorB.getTicket = async (id, context) => {
      const ticket = await read(id, context);
      if (armed) {
        armed = false;
        offsetMs += FRESH_MS + 1000; // the pass waits on a busy system after this read
        h.b.userEdit(id, { summary: 'the MSP typed this meanwhile' });
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

  it('reads each side once for a one-field change, writes with what it read, and lists comments once per side', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'one', priority: 1 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const before = { a: { ...h.a.counters }, b: { ...h.b.counters } };
    h.a.userEdit(aId, { subject: 'two' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const calls = (side: 'a' | 'b') => {
      const c = h[side].counters;
      const was = before[side];
      return { reads: c.reads - was.reads, updates: c.updates - was.updates };
    };
    expect(calls('a')).toEqual({ reads: 1, updates: 0 });
    expect(calls('b')).toEqual({ reads: 1, updates: 1 });
    expect(h.connectorB.lastExpected?.id).toBe(link.bId);
    expect(h.connectorB.lastExpected?.fields.summary).toBe('one');
  });

  it('reads the hinted side again before reverting its edit there, and the other side only once', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'one', priority: 1 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const before = { a: h.a.counters.reads, b: h.b.counters.reads };
    h.b.userEdit(link.bId, { priority: 'P3' }); // b does not own priority: reverted
    await h.engine.hint('test', 'b', link.bId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P4');
    expect({ a: h.a.counters.reads - before.a, b: h.b.counters.reads - before.b }).toEqual({ a: 1, b: 2 });
    expect(h.a.mustGet(aId).fields.priority).toBe(1);
  });

  it('sees an edit made within the second a one-second version already shows', async () => {
    // Freshservice and ConnectWise stamp versions in whole seconds: a poll at the cursor's own
    // version must still look, or the edit waits for the next change or the reconcile.
    const clock = { now: () => Date.parse('2026-11-30T10:00:00.200Z') };
    const h = harness({
      fields: [summary],
      systemA: { clock, versionPrecisionMs: 1000 },
      systemB: { clock },
      engine: { clock },
    });
    const aId = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'two' }); // same second, same version
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('two');
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
