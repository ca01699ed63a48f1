// Discovery by a connection's `match:` rule (`ticketbridge link --discover`): a reference field
// naming the other side's ticket, or the same summary and requester within a time window; already
// linked or marked tickets are left out, and a ticket fitting two candidates makes both ambiguous.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { harness, summary } from './fixtures.js';

describe('discovering pairs both teams already hold', () => {
  it('pairs by a reference field holding the other side id or key, with its evidence', async () => {
    const h = harness({
      fields: [summary],
      systemB: { keyPrefix: 'IT' },
      connection: { match: { reference: { side: 'a', field: 'msp_ref' } } },
    });
    const b1 = h.b.userCreate({ summary: 'VPN drops' });
    const b2 = h.b.userCreate({ summary: 'Mail bounces' });
    h.b.userCreate({ summary: 'No reference to me' });
    const a1 = h.a.userCreate({ subject: 'VPN drops for sales', msp_ref: b1 });
    const a2 = h.a.userCreate({ subject: 'Mail', msp_ref: ` it-${b2} ` });
    h.a.userCreate({ subject: 'Unknown ref', msp_ref: '999' });

    const found = await h.engine.discover();
    expect(found.map((c) => [c.ids.a, c.ids.b, c.ambiguous])).toEqual([
      [a1, b1, false],
      [a2, b2, false],
    ]);
    expect(found[1]!.evidence).toBe(`msp_ref on a (Alpha) ${a2} holds "it-${b2}", b (Beta) ticket IT-${b2}`);

    // Once linked, a pair is no candidate any more.
    await h.engine.link({ a: a1, b: b1 });
    expect((await h.engine.discover()).map((c) => c.ids.a)).toEqual([a2]);
  });

  it('pairs by the same summary and requester created within the window; two fits are ambiguous', async () => {
    const clock = new ManualClock(Date.parse('2026-11-02T09:00:00Z'));
    const h = harness({
      fields: [summary],
      systemA: { clock },
      systemB: { clock },
      connection: {
        match: {
          summary: { a: 'subject', b: 'summary' },
          requester: { a: 'email', b: 'contact' },
          withinMinutes: 30,
        },
      },
    });
    const a1 = h.a.userCreate({ subject: 'Printer on floor 2 jams!', email: 'Sam@Contoso.example' });
    const a2 = h.a.userCreate({ subject: 'Laptop broken', email: 'kim@contoso.example' });
    const a3 = h.a.userCreate({ subject: 'Wifi slow', email: 'lee@contoso.example' });
    clock.advance(10 * 60_000);
    const b1 = h.b.userCreate({ summary: 'printer on  floor 2 jams', contact: 'sam@contoso.example' });
    h.b.userCreate({ summary: 'Laptop broken', contact: 'someone.else@contoso.example' });
    const w1 = h.b.userCreate({ summary: 'wifi slow', contact: 'lee@contoso.example' });
    const w2 = h.b.userCreate({ summary: 'WIFI SLOW', contact: 'lee@contoso.example' });
    clock.advance(60 * 60_000);
    h.b.userCreate({ summary: 'Printer on floor 2 jams', contact: 'sam@contoso.example' }); // 70 min later: outside

    const found = await h.engine.discover();
    expect(found).toEqual([
      {
        connection: 'test',
        ids: { a: a1, b: b1 },
        evidence: 'same summary "printer on floor 2 jams" and requester sam@contoso.example, created 10 min apart',
        ambiguous: false,
      },
      expect.objectContaining({ ids: { a: a3, b: w1 }, ambiguous: true }),
      expect.objectContaining({ ids: { a: a3, b: w2 }, ambiguous: true }),
    ]);
    expect(found.some((c) => c.ids.a === a2)).toBe(false);
  });

  it('finds nothing for a connection without a match: rule', async () => {
    const h = harness({ fields: [summary] });
    h.a.userCreate({ subject: 'same' });
    h.b.userCreate({ summary: 'same' });
    expect(await h.engine.discover()).toEqual([]);
  });
});
