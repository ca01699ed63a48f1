// What the engine keeps for connectors and tells people about their systems: a memo per linked
// ticket handed back on every read and write, and text a system cut to fit, as a visible event.
import { describe, expect, it } from 'vitest';
import { harness, onlyLink, summary } from './fixtures.js';

describe('connector memos', () => {
  it("keeps the memo a connector sets on a ticket and hands it back on the link's next reads and writes", async () => {
    const h = harness({ fields: [summary], memoB: (fields) => ({ noteFor: (fields.summary as string).slice(0, 3) }) });
    const aId = h.a.userCreate({ subject: 'one' });
    await h.pollBoth();
    const link = await onlyLink(h);
    expect(link.bMemo).toEqual({ noteFor: 'one' });
    expect(link.aMemo).toBeNull();

    h.a.userEdit(aId, { subject: 'two' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.connectorB.lastContext).toEqual({ memo: { noteFor: 'one' } });
    expect(h.connectorB.lastExpected?.memo).toEqual({ noteFor: 'one' });
    expect((await h.ledger.getLink(link.id))!.bMemo).toEqual({ noteFor: 'two' }); // the write's held ticket moved it
  });
});

describe('text cut to fit a system', () => {
  it('records a cut on create and on a later write as events in the ticket audit', async () => {
    const h = harness({ fields: [summary], systemB: { maxLength: { summary: 10 } } });
    const aId = h.a.userCreate({ subject: 'Printer on fire again' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'Printer still on fire' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const cuts = await h.ledger.listEvents({ linkId: link.id, kind: 'text_cut' });
    expect(cuts.items.map((e) => [e.side, e.field, e.reason]).reverse()).toEqual([
      ['b', 'summary', "summary cut from 21 to 10 characters to fit Beta's limit"],
      ['b', 'summary', "summary cut from 21 to 10 characters to fit Beta's limit"],
    ]);
  });
});
