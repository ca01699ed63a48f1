// Found by the crash test (test/reliability/crash.integration.test.ts): a crash after a comment
// was copied remotely and before the ledger commit left its intent pending for ever, because the
// next pass found the copy by its marker and recorded it without closing the intent.
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { Ledger, PassCommit } from '../../src/core/ledger/types.js';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { CONNECTION, createHarness, type Harness } from '../helpers/engine-harness.js';

const summary: FieldConfig = { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' };

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close().catch(() => undefined);
});

describe('a crash between a comment copy and the ledger commit', () => {
  it('leaves one copy and no pending intent once the copy is found by its marker', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    let crash = false;
    const crashing: Ledger = Object.create(ledger) as Ledger;
    crashing.commit = async (pass: PassCommit) => {
      if (crash && (pass.comments ?? []).some((c) => c.role === 'copied')) {
        crash = false;
        throw new Error('process killed before commit');
      }
      return ledger.commit(pass);
    };
    const h = createHarness({ fields: [summary], ledger: crashing });
    harnesses.push(h);
    const aId = h.a.userCreate({ subject: 'printer' });
    await h.pollBoth();
    const link = (await ledger.listLinks({})).items[0]!;

    crash = true;
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
