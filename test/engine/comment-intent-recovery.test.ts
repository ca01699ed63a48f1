// Found by the reliability tests (test/reliability/): a crash after a comment was copied remotely
// and before the ledger commit left its intent pending for ever (the next pass found the copy by
// its marker without closing the intent); a pass that hit a 404 on a ticket being deleted left an
// open error on the link that the deletion then closed.
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { CONNECTION, createHarness, type Harness } from '../helpers/engine-harness.js';
import { crashingLedger } from '../helpers/crashing-ledger.js';

const summary: FieldConfig = { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' };

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close().catch(() => undefined);
});

describe('a crash between a comment copy and the ledger commit', () => {
  it('leaves one copy and no pending intent once the copy is found by its marker', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    const crashing = crashingLedger(ledger, (p) => (p.comments ?? []).some((c) => c.role === 'copied'), {
      armed: false,
    });
    const h = createHarness({ fields: [summary], ledger: crashing });
    harnesses.push(h);
    const aId = h.a.userCreate({ subject: 'printer' });
    await h.pollBoth();
    const link = (await ledger.listLinks({})).items[0]!;

    crashing.arm();
    h.a.userComment(aId, 'Rebooted the printer', 'public', 'Ada');
    await h.engine.pollOnce(CONNECTION, 'a');
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.filter((c) => c.body.includes('Rebooted the printer'))).toHaveLength(1); // the copy happened
    expect(await ledger.pendingIntents()).toHaveLength(1); // the commit did not

    const restarted = createHarness({ fields: [summary] }, { a: h.a, b: h.b, ledger });
    await restarted.engine.recoverIntents();
    await restarted.engine.onIdle();
    await restarted.pollBoth();
    expect(h.b.mustGet(link.bId).comments.filter((c) => c.body.includes('Rebooted the printer'))).toHaveLength(1);
    expect(await ledger.pendingIntents()).toEqual([]);
    expect((await ledger.counts()).pendingIntents).toBe(0);
  });
});

describe('a ticket deleted while a pass is reading it', () => {
  it('closes the link and leaves no stale error behind', async () => {
    const h = createHarness({
      fields: [summary],
      connection: { lifecycle: { onDelete: 'close', onUnscope: 'unlink' } },
    });
    harnesses.push(h);
    const aId = h.a.userCreate({ subject: 'printer' });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;
    expect(link.aId).toBe(aId);

    // The ticket is read, then deleted before its comments are listed: that pass fails with a 404.
    const listComments = h.connectorB.listComments.bind(h.connectorB);
    h.connectorB.listComments = async (id: string) => {
      h.b.userDelete(id);
      throw new NotFoundError(`ticket ${id} not found`);
    };
    await expect(h.engine.resync(link.id)).rejects.toThrow(/not found/);
    expect(await h.ledger.listErrors({ state: 'open' })).toHaveLength(1);
    h.connectorB.listComments = listComments;

    await h.engine.reconcile();
    await h.engine.onIdle();
    expect((await h.ledger.getLink(link.id))?.state).toBe('closed');
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
  });
});
