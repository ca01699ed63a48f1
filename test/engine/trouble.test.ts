import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { Notice, Notifier } from '../../src/core/notify.js';
import { createHarness } from '../helpers/engine-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

function recordingNotifier(): { notifier: Notifier; notices: Notice[] } {
  const notices: Notice[] = [];
  return {
    notices,
    notifier: {
      send: async (notice) => {
        notices.push(notice);
        return notice.channels.map((channel) => ({ channel, target: 'test', ok: true }));
      },
    },
  };
}

const summary = { name: 'summary', a: 'subject', b: 'summary', owner: 'both' as const, conflict: 'manual' as const };

describe('sync-trouble notices', () => {
  it('tells a conflict once it has waited longer than conflictMinutes, and only once', async () => {
    // The memory systems stamp versions with the real time; the daemon's clock stays ahead of it,
    // so no ticket version is ever newer than the daemon's now (whatever the day the test runs).
    const clock = new ManualClock(Date.now() + 3_600_000);
    const { notifier, notices } = recordingNotifier();
    const h = createHarness({
      fields: [summary],
      ledger: new SqliteLedger({ path: ':memory:', clock }),
      engine: { clock, notifier, trouble: { channels: ['ops'], conflictMinutes: 30 } },
    });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;
    h.a.userEdit(aId, { subject: 'internal view' });
    h.b.userEdit(link.bId, { summary: 'msp view' });
    await h.pollBoth();
    expect(await h.ledger.listConflicts({ state: 'open' })).toHaveLength(1);

    clock.advance(29 * 60_000);
    await h.pollBoth(); // both sides checked on time: the connection stays green
    expect(await h.engine.checkTrouble()).toEqual([]);
    clock.advance(2 * 60_000);
    await h.pollBoth();
    const told = await h.engine.checkTrouble();
    expect(told.map((n) => [n.kind, n.channels, n.title, n.linkId])).toEqual([
      ['trouble', ['ops'], 'Conflict waiting: test', link.id],
    ]);
    expect(told[0]!.text).toContain('field summary was changed on both sides (a: "internal view", b: "msp view")');
    // Links to both tickets for people to open, built without reading either ticket.
    expect(told[0]!.links).toEqual({
      a: `https://alpha.example/tickets/${aId}`,
      b: `https://beta.example/tickets/${link.bId}`,
    });
    expect(await h.engine.checkTrouble()).toEqual([]);
    expect(notices).toHaveLength(1);
    await h.close();
  });

  it('tells an error that waits for a person and a connection turning red, once each, and again after it recovers and turns red again', async () => {
    // The memory systems stamp versions with the real time; the daemon's clock stays ahead of it,
    // so no ticket version is ever newer than the daemon's now (whatever the day the test runs).
    const clock = new ManualClock(Date.now() + 3_600_000);
    const { notifier, notices } = recordingNotifier();
    const h = createHarness({
      fields: [summary],
      ledger: new SqliteLedger({ path: ':memory:', clock }),
      engine: { clock, notifier, trouble: { channels: ['ops'], conflictMinutes: 30 } },
    });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    expect(await h.engine.checkTrouble()).toEqual([]);

    h.b.failWith = new AuthError('Beta refused the API key');
    h.a.userEdit(aId, { subject: 'changed' });
    await h.pollBoth();
    const told = await h.engine.checkTrouble();
    expect(told.map((n) => n.title).sort()).toEqual([
      'Connection not syncing: test',
      'Sync error needs a person: test',
    ]);
    expect(told.find((n) => n.title.startsWith('Connection'))!.text).toBe(
      'test is not syncing: the last check of Beta failed (auth_failed).',
    );
    expect(told.find((n) => n.title.startsWith('Sync error'))!.text).toContain(
      'Beta refused the API key (auth_failed)',
    );
    await h.pollBoth();
    expect(await h.engine.checkTrouble()).toEqual([]);

    h.b.failWith = null;
    await h.pollBoth();
    await h.engine.retryErrors();
    expect(await h.engine.checkTrouble()).toEqual([]);
    h.b.failWith = new AuthError('Beta refused the API key');
    await h.pollBoth();
    expect((await h.engine.checkTrouble()).map((n) => n.title)).toEqual(['Connection not syncing: test']);
    expect(notices).toHaveLength(3);
    await h.close();
  });

  it('tells nobody without notifications.trouble', async () => {
    const { notifier, notices } = recordingNotifier();
    const h = createHarness({ fields: [summary], engine: { notifier } });
    h.a.userCreate({ subject: 'start' });
    h.b.failWith = new AuthError('Beta refused the API key');
    await h.pollBoth();
    expect(await h.engine.checkTrouble()).toEqual([]);
    expect(notices).toEqual([]);
    await h.close();
  });
});
