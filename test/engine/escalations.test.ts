import { describe, expect, it } from 'vitest';
import type { Notice, Notifier } from '../../src/core/notify.js';
import { createHarness, type HarnessOptions } from '../helpers/engine-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Config } from '../../src/mapping/schema.js';

const connection = {
  escalations: [
    {
      name: 'outage',
      scenario: 'outage',
      label: 'critical outage',
      match: { all: [{ side: 'a', field: 'priority', in: [4] }] },
      route: { side: 'b', set: { board: 'Co-Managed' }, afterHours: { board: 'On-Call' }, calendar: 'office' },
      contacts: ['oncall'],
      message: '{label}: {summary} -> {route}',
    },
  ],
} as unknown as NonNullable<HarnessOptions['connection']>;

const calendars: Config['calendars'] = {
  office: {
    timezone: 'Europe/London',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: '08:00',
    end: '18:00',
    holidays: [],
  },
};

describe('escalation policies', () => {
  it('a ticket raised to P1 at 19:00 moves to the on-call board and triggers its policy once', async () => {
    const notices: Notice[] = [];
    const notifier: Notifier = {
      send: async (notice) => {
        notices.push(notice);
        return notice.channels.map((channel) => ({ channel, target: 'test', ok: true }));
      },
    };
    const clock = new ManualClock(Date.parse('2026-11-30T19:00:00Z')); // Monday 19:00 in London
    const h = createHarness({
      fields: [
        { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
        { name: 'priority', a: 'priority', b: 'priority', owner: 'a' },
      ],
      connection,
      engine: { clock, notifier },
      calendars,
    });

    const id = h.a.userCreate({ subject: 'Mail down', priority: 2 });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;
    expect(h.b.mustGet(link.bId).fields.board).toBeUndefined();

    h.a.userEdit(id, { priority: 4 });
    await h.pollBoth();
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields).toMatchObject({ board: 'On-Call', priority: 4 });
    h.a.userEdit(id, { subject: 'Mail down for everyone' });
    await h.pollBoth();

    const events = (await h.ledger.listEvents({ linkId: link.id, kind: 'escalation' })).items;
    expect(events.map((e) => [e.newValue, e.reason, e.data])).toEqual([
      [
        'outage',
        'critical outage (outage) triggered: routed to Beta board "On-Call" (after hours)',
        { policy: 'outage', scenario: 'outage', route: { side: 'b', board: 'On-Call' } },
      ],
    ]);
    expect(notices.map((n) => [n.kind, n.channels, n.text])).toEqual([
      ['escalation', ['oncall'], 'critical outage: Mail down -> Beta On-Call (after hours)'],
    ]);
    await h.close();
  });
});
