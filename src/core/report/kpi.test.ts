import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../ledger/sqlite/index.js';
import type { NewEvent } from '../ledger/types.js';
import { parsePeriod } from '../period.js';
import { buildReport, percentile } from './kpi.js';
import { renderCsv, renderMarkdown } from './render.js';

const CONNECTIONS = [
  { name: 'fs-cw', systems: { a: 'Freshservice', b: 'ConnectWise' } },
  { name: 'jsm-cw', systems: { a: 'Jira Service Management', b: 'ConnectWise' } },
];
const NOVEMBER = parsePeriod('2026-11-01', '2026-11-30');

function ev(at: string, e: Partial<NewEvent> & Pick<NewEvent, 'kind'>): NewEvent {
  return {
    connection: 'fs-cw',
    linkId: null,
    side: null,
    field: null,
    oldValue: null,
    newValue: null,
    reason: 'r',
    at,
    ...e,
  };
}

async function ledgerWith(events: NewEvent[]): Promise<SqliteLedger> {
  const ledger = new SqliteLedger({ path: ':memory:' });
  await ledger.appendEvents(events);
  return ledger;
}

describe('the KPI report', () => {
  it('keeps the JSON contract: from, to, then per connection name, mirrored each way, reverts, conflicts and time to mirror first', async () => {
    const ledger = await ledgerWith([
      ev('2026-11-02T10:00:00Z', { kind: 'link_created', side: 'b', data: { source: 'a', latencyMs: 4000 } }),
      ev('2026-11-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 1000 } }),
      ev('2026-11-02T12:00:00Z', { kind: 'field_mirrored', side: 'a', field: 'summary', data: { latencyMs: 3000 } }),
      ev('2026-11-03T12:00:00Z', { kind: 'field_reverted', side: 'b', field: 'priority' }),
      ev('2026-11-04T12:00:00Z', { kind: 'conflict_opened', side: 'a', field: 'summary' }),
      ev('2026-11-05T12:00:00Z', { kind: 'conflict_resolved', field: 'summary' }),
      ev('2026-10-30T12:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 9 } }),
      ev('2026-12-01T00:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 9 } }),
    ]);
    const report = await buildReport(ledger, CONNECTIONS, NOVEMBER);
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & {
      connections: Array<Record<string, unknown>>;
    };
    expect(Object.keys(json).slice(0, 3)).toEqual(['from', 'to', 'connections']);
    expect(Object.keys(json.connections[0]!).slice(0, 5)).toEqual([
      'name',
      'mirrored',
      'reverts',
      'conflicts',
      'mirrorLatencyMs',
    ]);
    expect(json.connections[0]).toMatchObject({
      name: 'fs-cw',
      mirrored: { aToB: 2, bToA: 1 },
      reverts: 1,
      conflicts: { opened: 1, resolved: 1 },
      mirrorLatencyMs: { p50: 3000, p95: 4000 },
      created: { a: 1, b: 0 },
      revertsByField: { priority: { a: 0, b: 1 } },
      conflictsByField: { summary: 1 },
    });
    expect(json.connections[1]).toMatchObject({
      name: 'jsm-cw',
      mirrored: { aToB: 0, bToA: 0 },
      mirrorLatencyMs: { p50: null, p95: null },
    });
    expect(report.previous.connections[0]!.mirrored).toEqual({ aToB: 1, bToA: 0 });
  });

  it('breaks each connection down by function (the function each ticket belonged to at the time), with reopened tickets', async () => {
    const fn = (at: string, linkId: string, to: string | null): NewEvent =>
      ev(at, { kind: 'function_changed', linkId, newValue: to, data: { from: null, to } });
    const ledger = await ledgerWith([
      // L1 became a security ticket in October; L2 is patching from November 3; L3 never had one.
      fn('2026-10-20T10:00:00Z', 'L1', 'security'),
      ev('2026-11-02T10:00:00Z', { kind: 'field_mirrored', linkId: 'L1', side: 'b', data: { latencyMs: 2000 } }),
      ev('2026-11-02T11:00:00Z', { kind: 'field_reverted', linkId: 'L1', side: 'a', field: 'status' }),
      ev('2026-11-02T12:00:00Z', { kind: 'field_mirrored', linkId: 'L2', side: 'a', data: { latencyMs: 9000 } }),
      fn('2026-11-03T10:00:00Z', 'L2', 'patching'),
      ev('2026-11-04T10:00:00Z', { kind: 'field_mirrored', linkId: 'L2', side: 'b', data: { latencyMs: 5000 } }),
      ev('2026-11-05T10:00:00Z', { kind: 'ticket_reopened', linkId: 'L2', side: 'a' }),
      ev('2026-11-06T10:00:00Z', {
        kind: 'link_created',
        linkId: 'L3',
        side: 'b',
        data: { source: 'a', latencyMs: 1000 },
      }),
      ev('2026-11-07T10:00:00Z', { kind: 'ticket_reopened', linkId: 'L3', side: 'b' }),
      // L4's twin is made, then its first pass files it under security: the creation counts there.
      ev('2026-11-08T10:00:00Z', {
        kind: 'link_created',
        linkId: 'L4',
        side: 'a',
        data: { source: 'b', latencyMs: 500 },
      }),
      fn('2026-11-08T10:00:02Z', 'L4', 'security'),
    ]);
    const report = await buildReport(ledger, CONNECTIONS, NOVEMBER);
    const row = report.connections[0]!;
    expect(row.reopened).toBe(2);
    expect(row.byFunction).toEqual([
      expect.objectContaining({
        function: 'patching',
        mirrored: { aToB: 1, bToA: 0 },
        reopened: 1,
        reverts: 0,
        mirrorLatencyMs: { p50: 5000, p95: 5000 },
      }),
      expect.objectContaining({
        function: 'security',
        created: { a: 0, b: 1 },
        mirrored: { aToB: 1, bToA: 1 },
        reverts: 1,
        reopened: 0,
      }),
      expect.objectContaining({
        function: '(none)',
        created: { a: 1, b: 0 },
        mirrored: { aToB: 1, bToA: 1 },
        reopened: 1,
      }),
    ]);
    const md = renderMarkdown(report);
    expect(md).toContain('| security |');
    expect(md).toContain('**By function** (each ticket counted under the function it belonged to at the time):');
    expect(renderCsv(report)).toMatch(/^fs-cw,function patching,reopened,1,/m);
  });

  it('counts escalations per scenario, the share of SLAs met per policy and clock, and times per team', async () => {
    const sla = (kind: 'sla_met' | 'sla_breached', clock: string, side: 'a' | 'b', minutes: number): NewEvent =>
      ev('2026-11-10T10:00:00Z', {
        kind,
        data: {
          policy: 'p1',
          clock,
          side,
          startedAt: '2026-11-10T09:00:00Z',
          dueAt: '2026-11-10T09:30:00Z',
          at: new Date(Date.parse('2026-11-10T09:00:00Z') + minutes * 60_000).toISOString(),
        },
      });
    const ledger = await ledgerWith([
      ev('2026-11-10T10:00:00Z', { kind: 'escalation', data: { policy: 'outage', scenario: 'outage', route: 'msp' } }),
      ev('2026-11-11T10:00:00Z', { kind: 'escalation', data: { policy: 'outage', scenario: 'outage', route: 'msp' } }),
      ev('2026-11-12T10:00:00Z', { kind: 'escalation', data: { policy: 'sec', scenario: 'security', route: 'msp' } }),
      sla('sla_met', 'firstResponse', 'b', 10),
      sla('sla_met', 'firstResponse', 'b', 20),
      sla('sla_breached', 'firstResponse', 'b', 50),
      ev('2026-11-13T10:00:00Z', { kind: 'function_changed', data: { from: null, to: 'patching', owners: {} } }),
      ev('2026-11-13T10:00:00Z', { kind: 'drift_found', field: 'status' }),
      ev('2026-11-13T11:00:00Z', { kind: 'drift_repaired', field: 'status' }),
    ]);
    const [fs] = (await buildReport(ledger, CONNECTIONS, NOVEMBER)).connections;
    expect(fs!.escalations).toEqual([
      { scenario: 'outage', escalations: 2 },
      { scenario: 'security', escalations: 1 },
    ]);
    expect(fs!.sla).toEqual([{ policy: 'p1', clock: 'firstResponse', met: 2, breached: 1, metShare: 2 / 3 }]);
    expect(fs!.teamTimes).toEqual([
      {
        team: 'ConnectWise',
        side: 'b',
        clock: 'firstResponse',
        timeMs: { p50: 20 * 60_000, p95: 50 * 60_000 },
        count: 3,
      },
    ]);
    expect(fs!.functions).toEqual({ patching: 1 });
    expect(fs!.drift).toEqual({ found: 1, repaired: 1 });
  });

  it('counts errors opened in the period by cause, with the time the resolved ones took', async () => {
    let now = Date.parse('2026-11-05T10:00:00Z');
    const ledger = new SqliteLedger({ path: ':memory:', clock: { now: () => now } });
    const base = { connection: 'fs-cw', linkId: null, side: 'a' as const, message: 'm', retryable: false };
    const e1 = await ledger.recordError({ ...base, ticketId: '1', code: 'remote_validation' });
    await ledger.recordError({ ...base, ticketId: '2', code: 'remote_validation' });
    now += 3_600_000;
    await ledger.resolveError(e1.id);
    const [fs] = (await buildReport(ledger, CONNECTIONS, NOVEMBER)).connections;
    expect(fs!.errors).toEqual([
      { code: 'remote_validation', opened: 2, resolved: 1, timeToResolveMs: { p50: 3_600_000, p95: 3_600_000 } },
    ]);
  });

  it('renders the summary first with the change against the previous period, then the detail', async () => {
    const ledger = await ledgerWith([
      ev('2026-10-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 1000 } }),
      ev('2026-10-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 1000 } }),
      ev('2026-11-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 1000 } }),
      ev('2026-11-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status', data: { latencyMs: 1000 } }),
      ev('2026-11-02T11:00:00Z', { kind: 'field_mirrored', side: 'a', field: 'status', data: { latencyMs: 1000 } }),
    ]);
    const md = renderMarkdown({
      ...(await buildReport(ledger, CONNECTIONS, NOVEMBER)),
      from: '2026-11-01',
      to: '2026-11-30',
    });
    expect(md.split('\n').slice(0, 5)).toEqual([
      '# Sync report, 2026-11-01 to 2026-11-30',
      '',
      '## Summary',
      '',
      'Change in brackets against 2026-10-01 to 2026-10-31.',
    ]);
    expect(md).toContain('| fs-cw (Freshservice ⇄ ConnectWise) | 0 (=) | 3 (+50%) | 1.0 s / 1.0 s |');
    expect(md.indexOf('## Summary')).toBeLessThan(md.indexOf('## Detail'));
    expect(md).toContain('### fs-cw: Freshservice ⇄ ConnectWise');
  });

  it('writes one CSV row per connection and figure, with the previous period beside it', async () => {
    const ledger = await ledgerWith([
      ev('2026-11-02T11:00:00Z', { kind: 'field_mirrored', side: 'b', field: 'status' }),
    ]);
    const csv = renderCsv(await buildReport(ledger, CONNECTIONS, NOVEMBER));
    expect(csv.split('\n').slice(0, 3)).toEqual([
      'connection,figure,key,value,previous',
      'fs-cw,mirrored,aToB,1,0',
      'fs-cw,mirrored,bToA,0,0',
    ]);
  });

  it.each([
    [[], 50, null],
    [[5], 95, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95, 19],
  ])('takes the nearest-rank percentile of %j at p%i', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});
