import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('SLA clocks', () => {
  const slaConnection = {
    escalations: [
      {
        name: 'outage',
        scenario: 'outage',
        label: 'critical outage',
        match: { all: [{ side: 'a', field: 'priority', in: [4] }] },
        route: { side: 'b', set: { board: 'Co-Managed' }, calendar: 'office' },
        sla: {
          firstResponseMinutes: 30,
          resolutionMinutes: 120,
          resolvedWhen: { any: [{ side: 'b', field: 'status', in: ['Resolved'] }] },
        },
        contacts: ['oncall'],
      },
    ],
  } as unknown as NonNullable<HarnessOptions['connection']>;
  const fields = [
    { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
    { name: 'priority', a: 'priority', b: 'priority', owner: 'a' },
    { name: 'status', a: 'status', b: 'status', owner: 'b' },
  ] as HarnessOptions['fields'];

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

  it('the first public reply on the MSP side meets the response clock; the resolution clock is breached when it falls due', async () => {
    const { notifier, notices } = recordingNotifier();
    const start = Date.parse('2026-11-30T10:00:00Z'); // Monday, in office hours
    const clock = new ManualClock(start);
    const h = createHarness({
      fields,
      connection: slaConnection,
      engine: { clock, notifier },
      calendars,
      systemA: { clock },
      systemB: { clock },
    });
    const id = h.a.userCreate({ subject: 'Mail down', priority: 4, status: 'Open' });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;
    const [escalation] = (await h.ledger.listEvents({ linkId: link.id, kind: 'escalation' })).items;
    expect((escalation!.data as { sla: unknown }).sla).toEqual([
      {
        clock: 'firstResponse',
        startedAt: '2026-11-30T10:00:00.000Z',
        dueAt: '2026-11-30T10:30:00.000Z',
        minutes: 30,
        businessHours: false,
      },
      {
        clock: 'resolution',
        startedAt: '2026-11-30T10:00:00.000Z',
        dueAt: '2026-11-30T12:00:00.000Z',
        minutes: 120,
        businessHours: false,
      },
    ]);

    // A note on the internal side does not count, nor does the requester's own edit.
    clock.advance(5 * 60_000);
    h.a.userComment(id, 'internal musing', 'internal');
    clock.advance(7 * 60_000);
    h.b.userComment(link.bId, 'We are on it', 'public', 'MSP engineer');
    await h.pollBoth();
    await h.pollBoth();
    const met = (await h.ledger.listEvents({ linkId: link.id, kind: 'sla_met' })).items;
    expect(met.map((e) => [e.newValue, e.side, (e.data as { at: string }).at])).toEqual([
      ['firstResponse', 'b', '2026-11-30T10:12:00.000Z'],
    ]);
    expect(met[0]!.reason).toBe(
      'critical outage: first response by Beta after 12 min, within the 30-minute SLA (due 2026-11-30 10:30 UTC)',
    );

    clock.advance(100 * 60_000); // 11:52
    expect(await h.engine.checkSla()).toBe(0);
    clock.advance(9 * 60_000); // 12:01
    expect(await h.engine.checkSla()).toBe(1);
    expect(await h.engine.checkSla()).toBe(0);
    const breached = (await h.ledger.listEvents({ linkId: link.id, kind: 'sla_breached' })).items;
    expect(breached.map((e) => [e.newValue, e.reason])).toEqual([
      ['resolution', 'critical outage: no resolution within the 120-minute SLA (due 2026-11-30 12:00 UTC)'],
    ]);
    expect(notices.map((n) => [n.kind, n.title])).toEqual([
      ['escalation', 'critical outage: Mail down'],
      ['sla_breach', 'SLA breached: critical outage'],
    ]);

    // Resolving later records nothing more: the clock was already breached.
    h.b.userEdit(link.bId, { status: 'Resolved' });
    await h.pollBoth();
    expect(
      (await h.ledger.listEvents({ linkId: link.id })).items.filter((e) => e.kind.startsWith('sla_')),
    ).toHaveLength(2);
    await h.close();
  });

  it('a resolution before the due time meets the clock, on the side that resolved it', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T10:00:00Z'));
    const h = createHarness({
      fields,
      connection: slaConnection,
      engine: { clock },
      calendars,
      systemA: { clock },
      systemB: { clock },
    });
    h.a.userCreate({ subject: 'Mail down', priority: 4, status: 'Open' });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;
    clock.advance(45 * 60_000);
    h.b.userEdit(link.bId, { status: 'Resolved' });
    await h.pollBoth();
    clock.advance(3 * 3_600_000);
    await h.engine.checkSla();
    const events = (await h.ledger.listEvents({ linkId: link.id })).items.filter((e) => e.kind.startsWith('sla_'));
    expect(events.map((e) => [e.kind, e.newValue, e.side]).sort()).toEqual([
      ['sla_breached', 'firstResponse', null],
      ['sla_met', 'resolution', 'b'],
    ]);
    await h.close();
  });

  it('counts only business minutes when the policy asks for it: a 30-minute clock started Monday 19:00 falls due Tuesday 08:30', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T19:00:00Z'));
    const businessHours = structuredClone(slaConnection) as { escalations: Array<{ sla: Record<string, unknown> }> };
    businessHours.escalations[0]!.sla = { firstResponseMinutes: 30, businessHours: true };
    const h = createHarness({
      fields,
      connection: businessHours as unknown as NonNullable<HarnessOptions['connection']>,
      engine: { clock },
      calendars,
    });
    h.a.userCreate({ subject: 'Mail down', priority: 4, status: 'Open' });
    await h.pollBoth();
    const [escalation] = (await h.ledger.listEvents({ kind: 'escalation' })).items;
    expect((escalation!.data as { sla: Array<{ dueAt: string }> }).sla.map((s) => s.dueAt)).toEqual([
      '2026-12-01T08:30:00.000Z',
    ]);
    await h.close();
  });
});

describe('SLA watch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records a breach when the clock falls due, with no change, poll or pass in between', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-30T10:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const h = createHarness({
      fields: [
        { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
        { name: 'priority', a: 'priority', b: 'priority', owner: 'a' },
      ],
      connection: {
        escalations: [
          {
            name: 'outage',
            match: { all: [{ side: 'a', field: 'priority', in: [4] }] },
            sla: { firstResponseMinutes: 30 },
          },
        ],
      } as unknown as NonNullable<HarnessOptions['connection']>,
      // Polls and checks every 7 minutes: 28 and 35 minutes in, never at the due time by chance.
      engine: { watchIntervalMs: 7 * 60_000, pollIntervalMs: 7 * 60_000 },
    });
    h.a.userCreate({ subject: 'Mail down', priority: 4 });
    await h.pollBoth();
    await h.engine.start();
    const breaches = async (): Promise<string[]> =>
      (await h.ledger.listEvents({ kind: 'sla_breached' })).items.map((e) => e.at);

    await vi.advanceTimersByTimeAsync(30 * 60_000 - 1_000);
    expect(await breaches()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    const at = await breaches();
    expect(at).toHaveLength(1);
    expect(Date.parse(at[0]!) - Date.parse('2026-11-30T10:30:00Z')).toBeLessThanOrEqual(1_000);
    await h.close();
  });
});
