import { CAPABILITY_KEYS, type CapabilityKey } from '../core/types.js';
import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../core/engine.js';
import type { SystemQueueStats } from '../core/queue.js';
import { createMetrics } from './metrics.js';

const queue = (over: Partial<SystemQueueStats>): SystemQueueStats => ({
  system: 'cw',
  waiting: 0,
  inFlight: 0,
  callsLastMinute: 0,
  rateLimitedLastMinute: 0,
  rateLimitWaitMs: 0,
  pausedUntil: null,
  pause: null,
  maxWaitMs: 300_000,
  budget: null,
  queued: { change: 0, discovery: 0, background: 0 },
  ...over,
});

function status(
  name: string,
  q: SystemQueueStats,
  drift: ConnectionStatus['drift'] = { last: null, running: null },
): ConnectionStatus {
  const side = (system: string) => ({
    system,
    label: system,
    cursor: null,
    lastPollAt: null,
    lastSuccessfulPollAt: null,
    lastPollError: null,
    lagMs: 4000,
    queue: { ...q, system },
    capabilities: Object.fromEntries(CAPABILITY_KEYS.map((k) => [k, true])) as Record<CapabilityKey, boolean>,
  });
  return {
    name,
    enabled: true,
    paused: null,
    firstSync: null,
    sides: { a: side('fs'), b: side('cw') },
    links: 5,
    activeLinks: 4,
    openErrors: 1,
    openConflicts: 2,
    pendingIntents: 0,
    reconcile: { calls: { a: 5, b: 5 }, estimatedMs: null },
    drift,
  };
}

const line = (text: string, prefix: string): string | undefined => text.split('\n').find((l) => l.startsWith(prefix));

describe('createMetrics', () => {
  it('counts what the engine observer reports, with the ticketbridge_ prefix', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observer.pass!('c1', 'changed');
    m.observer.pass!('c1', 'changed');
    m.observer.write!('c1', 'b', 'status');
    m.observer.conflict!('c1', 'priority');
    m.observer.revert!('c1', 'status');
    m.observer.error!('c1', 'rate_limited');
    m.observer.mirrorLag!('c1', 1500);
    m.observer.comment!('c1', 'a');
    m.webhook('accepted', 'c1', 'a');
    m.webhook('unknown_target');
    const text = await m.registry.metrics();
    expect(text).toContain('ticketbridge_passes_total{connection="c1",outcome="changed"} 2');
    expect(text).toContain('ticketbridge_writes_total{connection="c1",side="b",field="status"} 1');
    expect(text).toContain('ticketbridge_conflicts_total{connection="c1",field="priority"} 1');
    expect(text).toContain('ticketbridge_reverts_total{connection="c1",field="status"} 1');
    expect(text).toContain('ticketbridge_errors_total{connection="c1",code="rate_limited"} 1');
    expect(text).toContain('ticketbridge_mirror_lag_seconds_bucket{le="2",connection="c1"} 1');
    expect(text).toContain('ticketbridge_mirror_lag_seconds_bucket{le="1",connection="c1"} 0');
    expect(text).toContain('ticketbridge_comments_copied_total{connection="c1",side="a"} 1');
    expect(text).toContain('ticketbridge_webhook_deliveries_total{connection="c1",side="a",result="accepted"} 1');
    expect(text).toContain('ticketbridge_webhook_deliveries_total{connection="",side="",result="unknown_target"} 1');
    for (const name of text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE'))
      .map((l) => l.split(' ')[2]!))
      expect(name).toMatch(/^ticketbridge_/);
  });

  it('reads queue, lag and ledger gauges at scrape time, counting a shared system once', async () => {
    const m = createMetrics({ processMetrics: false });
    let q = queue({ waiting: 3, inFlight: 2, callsLastMinute: 40, rateLimitedLastMinute: 2, rateLimitWaitMs: 1500 });
    let calls = 0;
    m.attach({
      status: async () => {
        calls++;
        return [status('c1', q), status('c2', q)];
      },
      counts: async () => ({
        links: 10,
        activeLinks: 8,
        events: 99,
        openConflicts: 4,
        openErrors: 2,
        pendingIntents: 0,
        reconcile: { calls: { a: 5, b: 5 }, estimatedMs: null },
      }),
    });
    const text = await m.registry.metrics();
    expect(calls).toBe(1);
    expect(line(text, 'ticketbridge_queue_depth{system="cw"}')).toBe('ticketbridge_queue_depth{system="cw"} 5');
    expect(line(text, 'ticketbridge_calls_last_minute{system="fs"}')).toBe(
      'ticketbridge_calls_last_minute{system="fs"} 40',
    );
    expect(line(text, 'ticketbridge_rate_limited_last_minute{system="cw"}')).toBe(
      'ticketbridge_rate_limited_last_minute{system="cw"} 2',
    );
    expect(line(text, 'ticketbridge_rate_limit_wait_seconds_total{system="cw"}')).toBe(
      'ticketbridge_rate_limit_wait_seconds_total{system="cw"} 1.5',
    );
    expect(line(text, 'ticketbridge_poll_lag_seconds{connection="c2",side="a"}')).toBe(
      'ticketbridge_poll_lag_seconds{connection="c2",side="a"} 4',
    );
    expect(text).toContain('ticketbridge_ledger_links{connection="c1",state="active"} 4');
    expect(text).toContain('ticketbridge_open_conflicts{connection="c2"} 2');
    expect(text).toContain('ticketbridge_ledger_events 99');

    // The wait counter moves by what the queue added since the last scrape.
    q = queue({ rateLimitWaitMs: 4000 });
    const again = await m.registry.metrics();
    expect(line(again, 'ticketbridge_rate_limit_wait_seconds_total{system="cw"}')).toBe(
      'ticketbridge_rate_limit_wait_seconds_total{system="cw"} 4',
    );
    expect(line(again, 'ticketbridge_queue_depth{system="cw"}')).toBe('ticketbridge_queue_depth{system="cw"} 0');
  });

  it('shows the last drift audit per connection, and the one running', async () => {
    const m = createMetrics({ processMetrics: false });
    const last = {
      at: '2026-11-30T06:00:00.000Z',
      pairs: 1204,
      unexplained: 0,
      pending: 3,
      unreadable: 1,
      repaired: 0,
    };
    m.attach({
      status: async () => [
        status('c1', queue({}), { last, running: null }),
        status('c2', queue({}), { last: null, running: { done: 40, total: 200, startedAt: last.at } }),
      ],
      counts: async () => ({
        links: 0,
        activeLinks: 0,
        events: 0,
        openConflicts: 0,
        openErrors: 0,
        pendingIntents: 0,
      }),
    });
    const text = await m.registry.metrics();
    expect(text).toContain('ticketbridge_drift_pairs{connection="c1"} 1204');
    expect(text).toContain('ticketbridge_drift_differences{connection="c1",explanation="unexplained"} 0');
    expect(text).toContain('ticketbridge_drift_differences{connection="c1",explanation="pending"} 3');
    expect(text).toContain('ticketbridge_drift_unreadable_pairs{connection="c1"} 1');
    expect(text).toContain(
      `ticketbridge_drift_last_audit_timestamp_seconds{connection="c1"} ${Date.parse(last.at) / 1000}`,
    );
    expect(text).not.toContain('ticketbridge_drift_pairs{connection="c2"}');
    expect(text).toContain('ticketbridge_drift_audit_progress_ratio{connection="c2"} 0.2');
  });

  it('exports process metrics under the prefix when asked', async () => {
    const text = await createMetrics({ processMetrics: true }).registry.metrics();
    expect(text).toContain('ticketbridge_process_cpu_seconds_total');
  });
});
