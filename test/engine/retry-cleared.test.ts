// After an outage: errors whose cause has cleared are retried by themselves, and a person can
// retry every open error (or those of one code) at once.
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.js';
import { summary, harness } from './fixtures.js';

describe('retrying after an outage', () => {
  it('retries the errors of refused credentials once the system answers again, and not before', async () => {
    const h = harness({ fields: [summary] });
    const id = h.a.userCreate({ subject: 'before the outage' });
    await h.pollBoth();
    const link = (await h.ledger.findLink('test', 'a', id))!;

    h.b.failWith = new AuthError('b refused the credentials (401)', { system: 'b' });
    h.a.userEdit(id, { subject: 'during the outage' });
    await h.pollBoth();
    const [error] = await h.ledger.listErrors({ state: 'open' });
    expect(error?.code).toBe('auth_failed');
    expect(error?.retryable).toBe(false);

    // Still refused: nothing is retried, the error stays.
    expect(await h.engine.retryCleared()).toBe(0);
    expect(await h.ledger.listErrors({ state: 'open' })).toHaveLength(1);

    h.b.failWith = null; // the credentials work again
    expect(await h.engine.retryCleared()).toBe(1);
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
    expect(h.b.mustGet(link.bId).fields.summary).toBe('during the outage');
  });

  it('retries every open error, or only those of one code, and answers with each as it stands', async () => {
    const h = harness({
      fields: [summary, { name: 'category', a: 'category', b: 'category', owner: 'a' }],
      systemB: { allowedValues: { category: ['Network', 'Hardware', null] } },
    });
    const refused = h.a.userCreate({ subject: 'refused', category: 'Network' });
    const unreachable = h.a.userCreate({ subject: 'unreachable', category: 'Network' });
    await h.pollBoth();
    h.a.userEdit(refused, { category: 'Plumbing' });
    await h.pollBoth();
    const [validation] = await h.ledger.listErrors({ state: 'open' });
    expect(validation?.code).toBe('remote_validation');

    h.b.failWith = new AuthError('b refused the credentials (401)', { system: 'b' });
    h.a.userEdit(unreachable, { subject: 'unreachable, edited' });
    await h.pollBoth();
    h.b.failWith = null;
    const auth = (await h.ledger.listErrors({ state: 'open' })).filter((e) => e.code === 'auth_failed');
    expect(auth.length).toBeGreaterThan(0);

    const onlyAuth = await h.engine.retryErrors('auth_failed');
    expect(onlyAuth.map((e) => e.id).sort()).toEqual(auth.map((e) => e.id).sort());
    expect(await h.ledger.getError(validation!.id)).toMatchObject({ state: 'open' });
    expect(h.b.mustGet((await h.ledger.findLink('test', 'a', unreachable))!.bId).fields.summary).toBe(
      'unreachable, edited',
    );

    const all = await h.engine.retryErrors();
    expect(all.map((e) => e.id)).toContain(validation!.id);
    expect(all.find((e) => e.id === validation!.id)?.state).toBe('open');
  });
});
