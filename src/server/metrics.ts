// Prometheus metrics for the daemon, on a private prom-client Registry. Counters are fed by the
// engine through `observer`; queue, lag and ledger gauges are read from the engine and ledger at
// scrape time, so /metrics always shows the same numbers as /status.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectionStatus } from '../core/engine.js';
import type { LedgerCounts } from '../core/ledger/types.js';
import type { EngineObserver } from '../core/pass.js';

/** What happened to one inbound webhook delivery. */
export type WebhookResult =
  'accepted' | 'duplicate' | 'paused' | 'forged' | 'invalid' | 'unknown_target' | 'too_large' | 'unsupported_type';

/** Where the scrape-time gauges read from; the server attaches the engine and ledger. */
export interface MetricsSource {
  status(): Promise<ConnectionStatus[]>;
  counts(): Promise<LedgerCounts>;
}

export interface Metrics {
  registry: Registry;
  /** Pass this to createEngine({ observer }). */
  observer: EngineObserver;
  /** Counts one webhook delivery; `connection`/`side` only when they name a configured target. */
  webhook(result: WebhookResult, connection?: string, side?: string): void;
  /** Counts one refused delivery to a configured target by reason (no_signature, bad_signature, …). */
  webhookRejected(connection: string, side: string, reason: string): void;
  /** Connects the scrape-time gauges to a running engine and ledger. */
  attach(source: MetricsSource): void;
}

export interface MetricsOptions {
  /**
   * Also export Node's process metrics (memory, CPU, event loop lag), prefixed `ticketbridge_`.
   * @default true
   */
  processMetrics?: boolean;
}

/** Seconds between a change on one side and its mirror write: sub-second webhooks to slow polls. */
const LAG_BUCKETS_S = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'ticketbridge_' });
  let source: MetricsSource | null = null;
  const registers = [registry];

  const passes = new Counter({
    name: 'ticketbridge_passes_total',
    help: 'Sync passes by connection and outcome.',
    labelNames: ['connection', 'outcome'] as const,
    registers,
  });
  const writes = new Counter({
    name: 'ticketbridge_writes_total',
    help: 'Field writes by connection, side written and field.',
    labelNames: ['connection', 'side', 'field'] as const,
    registers,
  });
  const comments = new Counter({
    name: 'ticketbridge_comments_copied_total',
    help: 'Comments copied, by connection and the side written.',
    labelNames: ['connection', 'side'] as const,
    registers,
  });
  const conflicts = new Counter({
    name: 'ticketbridge_conflicts_total',
    help: 'Conflicts detected (both sides changed a field differently).',
    labelNames: ['connection', 'field'] as const,
    registers,
  });
  const reverts = new Counter({
    name: 'ticketbridge_reverts_total',
    help: 'Edits by a non-owner side that were reverted.',
    labelNames: ['connection', 'field'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'ticketbridge_errors_total',
    help: 'Errors by connection and error code.',
    labelNames: ['connection', 'code'] as const,
    registers,
  });
  const lag = new Histogram({
    name: 'ticketbridge_mirror_lag_seconds',
    help: 'Time from a change on one side to its mirror write on the other.',
    labelNames: ['connection'] as const,
    buckets: LAG_BUCKETS_S,
    registers,
  });
  const webhooks = new Counter({
    name: 'ticketbridge_webhook_deliveries_total',
    help: 'Inbound webhook deliveries by target and result.',
    labelNames: ['connection', 'side', 'result'] as const,
    registers,
  });

  const webhooksRejected = new Counter({
    name: 'ticketbridge_webhooks_rejected_total',
    help: 'Inbound webhook deliveries refused, by target and reason (no_signature, bad_signature, untrusted_key_url, …).',
    labelNames: ['connection', 'side', 'reason'] as const,
    registers,
  });

  // Scrape-time gauges. prom-client awaits collect() on each metric; they share one refresh (one
  // status() call) per scrape.
  let refreshing: Promise<void> | null = null;
  const collect = async (): Promise<void> => {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    await refreshing;
  };
  const queueDepth = new Gauge({
    name: 'ticketbridge_queue_depth',
    help: 'Requests waiting or in flight per remote system.',
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const callsLastMinute = new Gauge({
    name: 'ticketbridge_calls_last_minute',
    help: 'Requests made to a remote system in the last minute.',
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const rateLimited = new Gauge({
    name: 'ticketbridge_rate_limited_last_minute',
    help: '429 answers from a remote system in the last minute.',
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const rateLimitWait = new Counter({
    name: 'ticketbridge_rate_limit_wait_seconds_total',
    help: 'Seconds a system queue has spent paused by rate limits.',
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const budgetLimit = new Gauge({
    name: 'ticketbridge_budget_per_minute',
    help: "A remote system's budget: calls (Freshservice: credits) allowed in any rolling minute.",
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const budgetUsed = new Gauge({
    name: 'ticketbridge_budget_used_last_minute',
    help: "Budget a remote system's calls spent in the last rolling minute.",
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const budgetLeft = new Gauge({
    name: 'ticketbridge_budget_left',
    help: 'Budget left in the current rolling minute.',
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const queueWaiting = new Gauge({
    name: 'ticketbridge_queue_waiting',
    help: 'Requests waiting for a remote system, by priority (change, discovery, background).',
    labelNames: ['system', 'priority'] as const,
    registers,
    collect,
  });
  const drainSeconds = new Gauge({
    name: 'ticketbridge_queue_drain_seconds',
    help: "Estimated seconds until a remote system's queued requests have all been sent, at its budget.",
    labelNames: ['system'] as const,
    registers,
    collect,
  });
  const pollLag = new Gauge({
    name: 'ticketbridge_poll_lag_seconds',
    help: 'Seconds since the last successful poll of a side began.',
    labelNames: ['connection', 'side'] as const,
    registers,
    collect,
  });
  const links = new Gauge({
    name: 'ticketbridge_ledger_links',
    help: 'Links in the ledger by connection and whether active.',
    labelNames: ['connection', 'state'] as const,
    registers,
    collect,
  });
  const openErrors = new Gauge({
    name: 'ticketbridge_open_errors',
    help: 'Open errors waiting for a retry or a person.',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const openConflicts = new Gauge({
    name: 'ticketbridge_open_conflicts',
    help: 'Open conflicts waiting for a person.',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const pendingIntents = new Gauge({
    name: 'ticketbridge_pending_intents',
    help: 'Creates or comments recorded but not yet confirmed.',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const events = new Gauge({
    name: 'ticketbridge_ledger_events',
    help: 'Events in the ledger (all connections).',
    registers,
    collect,
  });

  const driftPairs = new Gauge({
    name: 'ticketbridge_drift_pairs',
    help: 'Pairs the last drift audit of a connection compared.',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const driftDifferences = new Gauge({
    name: 'ticketbridge_drift_differences',
    help: 'Differences the last drift audit found, unexplained (drift) or pending (a change, conflict or revert explains it).',
    labelNames: ['connection', 'explanation'] as const,
    registers,
    collect,
  });
  const driftUnreadable = new Gauge({
    name: 'ticketbridge_drift_unreadable_pairs',
    help: 'Pairs the last drift audit could not read.',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const driftAt = new Gauge({
    name: 'ticketbridge_drift_last_audit_timestamp_seconds',
    help: 'When the last drift audit of a connection ended (Unix seconds).',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });
  const driftProgress = new Gauge({
    name: 'ticketbridge_drift_audit_progress_ratio',
    help: 'Share of the pairs the running drift audit has compared (0..1).',
    labelNames: ['connection'] as const,
    registers,
    collect,
  });

  const waitSeen = new Map<string, number>();

  function driftGauges(c: ConnectionStatus): void {
    const { last, running } = c.drift;
    const connection = c.name;
    if (last) {
      driftPairs.set({ connection }, last.pairs);
      driftDifferences.set({ connection, explanation: 'unexplained' }, last.unexplained);
      driftDifferences.set({ connection, explanation: 'pending' }, last.pending);
      driftUnreadable.set({ connection }, last.unreadable);
      driftAt.set({ connection }, Date.parse(last.at) / 1000);
    }
    if (running) driftProgress.set({ connection }, running.total === 0 ? 0 : running.done / running.total);
  }

  async function refresh(): Promise<void> {
    if (!source) return;
    const [statuses, counts] = await Promise.all([source.status(), source.counts()]);
    for (const g of [
      queueDepth,
      callsLastMinute,
      rateLimited,
      budgetLimit,
      budgetUsed,
      budgetLeft,
      queueWaiting,
      drainSeconds,
      pollLag,
      links,
      openErrors,
      openConflicts,
      pendingIntents,
      driftPairs,
      driftDifferences,
      driftUnreadable,
      driftAt,
      driftProgress,
    ])
      g.reset();
    const systems = new Set<string>();
    for (const c of statuses) {
      links.set({ connection: c.name, state: 'all' }, c.links);
      links.set({ connection: c.name, state: 'active' }, c.activeLinks);
      openErrors.set({ connection: c.name }, c.openErrors);
      openConflicts.set({ connection: c.name }, c.openConflicts);
      pendingIntents.set({ connection: c.name }, c.pendingIntents);
      driftGauges(c);
      for (const side of ['a', 'b'] as const) {
        const s = c.sides[side];
        if (s.lagMs !== null) pollLag.set({ connection: c.name, side }, s.lagMs / 1000);
        // Systems shared by several connections share one queue: count each once.
        if (!s.queue || systems.has(s.system)) continue;
        systems.add(s.system);
        queueDepth.set({ system: s.system }, s.queue.waiting + s.queue.inFlight);
        callsLastMinute.set({ system: s.system }, s.queue.callsLastMinute);
        rateLimited.set({ system: s.system }, s.queue.rateLimitedLastMinute);
        for (const [priority, n] of Object.entries(s.queue.queued)) queueWaiting.set({ system: s.system, priority }, n);
        const budget = s.queue.budget;
        if (budget) {
          budgetLimit.set({ system: s.system }, budget.perMinute);
          budgetUsed.set({ system: s.system }, budget.usedLastMinute);
          budgetLeft.set({ system: s.system }, budget.leftThisMinute);
          drainSeconds.set({ system: s.system }, budget.drainMs / 1000);
        }
        // The queue reports a running total; the counter moves by what was added since last scrape.
        const delta = s.queue.rateLimitWaitMs - (waitSeen.get(s.system) ?? 0);
        if (delta > 0) rateLimitWait.inc({ system: s.system }, delta / 1000);
        waitSeen.set(s.system, s.queue.rateLimitWaitMs);
      }
    }
    events.set(counts.events);
  }

  const observer: EngineObserver = {
    pass: (connection, outcome) => passes.inc({ connection, outcome }),
    write: (connection, side, field) => writes.inc({ connection, side, field }),
    comment: (connection, side) => comments.inc({ connection, side }),
    conflict: (connection, field) => conflicts.inc({ connection, field }),
    revert: (connection, field) => reverts.inc({ connection, field }),
    error: (connection, code) => errors.inc({ connection, code }),
    mirrorLag: (connection, ms) => lag.observe({ connection }, Math.max(0, ms) / 1000),
  };

  return {
    registry,
    observer,
    webhook(result, connection, side) {
      webhooks.inc({ connection: connection ?? '', side: side ?? '', result });
    },
    webhookRejected(connection, side, reason) {
      webhooksRejected.inc({ connection, side, reason });
    },
    attach(next) {
      source = next;
    },
  };
}
