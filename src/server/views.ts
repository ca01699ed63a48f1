// The data behind the operations surface, computed once and shared by the JSON routes and the
// dashboard so both teams always see the same numbers: status with health, link detail,
// readiness checks.
import { errorCode, withTimeout } from '../core/errors.js';
import type { Engine } from '../core/engine.js';
import type { Ledger, SyncEvent } from '../core/ledger/types.js';
import type { QueuePause } from '../core/queue.js';
import { LAG_RED_INTERVALS } from '../core/trouble.js';
import type { Side } from '../core/types.js';
import { describeRejections, WebhookStats } from './webhook-stats.js';
import type { ConnectionStatus, HealthLevel, LinkDetail, Ready, ReadyCheck, Status } from './schemas.js';

export interface ViewDeps {
  engine: Engine;
  ledger: Ledger;
  version: string;
  startedAtMs: number;
  /** Poll interval of connections that do not set their own; lag is judged against it. */
  pollIntervalMs: number;
  now(): number;
  /** The webhook receiver's counts; absent: no deliveries are shown. */
  webhookStats?: WebhookStats;
  /** Every system's reachability, reused for a few seconds (the server shares one cache). @default checkSystems */
  systemChecks?: () => Promise<ReadyCheck[]>;
}

const NO_WEBHOOKS = new WebhookStats(() => 0);

const SIDES: readonly Side[] = ['a', 'b'];

/** Lag beyond this many poll intervals turns a connection amber / red. */
const LAG_AMBER_INTERVALS = 3;

export async function buildStatus(deps: ViewDeps): Promise<Status> {
  const now = deps.now();
  const engineStatus = await deps.engine.status();
  const connections: ConnectionStatus[] = [];
  for (const c of engineStatus) {
    const rt = deps.engine.connections.get(c.name);
    const intervalMs = rt?.config.pollIntervalMs ?? deps.pollIntervalMs;
    const errors = c.openErrors > 0 ? await deps.ledger.listErrors({ connection: c.name, state: 'open' }) : [];
    const sides = {} as ConnectionStatus['sides'];
    for (const side of SIDES) {
      const s = c.sides[side];
      sides[side] = {
        system: s.system,
        label: s.label,
        lastPollAt: s.lastPollAt,
        lastSuccessfulPollAt: s.lastSuccessfulPollAt,
        lastPollError: s.lastPollError,
        cursor: s.cursor,
        lagMs: s.lagMs,
        capabilities: s.capabilities,
        queue: s.queue
          ? {
              depth: s.queue.waiting + s.queue.inFlight,
              waiting: s.queue.waiting,
              inFlight: s.queue.inFlight,
              callsLastMinute: s.queue.callsLastMinute,
              rateLimitedLastMinute: s.queue.rateLimitedLastMinute,
              rateLimitWaitMs: s.queue.rateLimitWaitMs,
              pausedUntil: s.queue.pausedUntil === null ? null : new Date(s.queue.pausedUntil).toISOString(),
              pause: s.queue.pause === null ? null : pauseView(s.queue.pause),
              maxWaitSeconds: Math.round(s.queue.maxWaitMs / 1000),
              budget: s.queue.budget && {
                perMinute: s.queue.budget.perMinute,
                usedLastMinute: s.queue.budget.usedLastMinute,
                leftThisMinute: s.queue.budget.leftThisMinute,
                refillPerMinute: s.queue.budget.refillPerMinute,
              },
              ratePerMinute: s.queue.callsLastMinute,
              queued: s.queue.queued,
              drainSeconds: Math.ceil((s.queue.budget?.drainMs ?? 0) / 1000),
            }
          : null,
        openErrors: errors.filter((e) => e.side === side).length,
        webhooks: (deps.webhookStats ?? NO_WEBHOOKS).summary(c.name, side),
      };
    }
    const base = {
      name: c.name,
      enabled: c.enabled,
      paused: c.paused && { ...c.paused, webhooksHeld: (deps.webhookStats ?? NO_WEBHOOKS).heldCount(c.name) },
      firstSync: c.firstSync,
      links: c.links,
      activeLinks: c.activeLinks,
      openErrors: c.openErrors,
      openConflicts: c.openConflicts,
      pendingIntents: c.pendingIntents,
      reconcile: {
        calls: c.reconcile.calls,
        estimatedSeconds: c.reconcile.estimatedMs === null ? null : Math.ceil(c.reconcile.estimatedMs / 1000),
      },
      drift: c.drift,
      sides,
    };
    connections.push({ ...base, health: judgeHealth(base, intervalMs) });
  }
  const systems = await (deps.systemChecks ?? (() => checkSystems(deps)))();
  return {
    version: deps.version,
    startedAt: new Date(deps.startedAtMs).toISOString(),
    uptimeSeconds: Math.round((now - deps.startedAtMs) / 1000),
    connections,
    systems,
    degraded: systems.filter((c) => !c.ready).map((c) => c.name),
  };
}

function pauseView(p: QueuePause): NonNullable<ConnectionStatus['sides']['a']['queue']>['pause'] {
  return {
    reason: p.reason,
    until: new Date(p.until).toISOString(),
    requestedSeconds: Math.round(p.requestedMs / 1000),
    capped: p.capped,
  };
}

/** "Freshservice asked us to wait 11 days; waiting 5 minutes, until 05:12 UTC", for a capped pause. */
export function describePause(label: string, queue: ConnectionStatus['sides']['a']['queue']): string | null {
  const p = queue?.pause;
  if (!p) return null;
  const until = `until ${p.until.slice(11, 16)} UTC`;
  if (p.capped)
    return `${label} asked us to wait ${duration(p.requestedSeconds)}; waiting at most ${duration(queue.maxWaitSeconds)}, ${until}`;
  return p.reason === 'rate_limited' ? `${label} is rate limiting us; paused ${until}` : null;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

/**
 * Red: a side cannot be polled or is far behind, or errors need a person. Amber: conflicts wait
 * for a decision, transient errors are being retried, a side is behind or rate limited, or a
 * side has not been polled yet. Green otherwise. The summary says which, in words.
 */
export function judgeHealth(
  c: Omit<ConnectionStatus, 'health' | 'drift'>,
  intervalMs: number,
): { level: HealthLevel; summary: string } {
  if (!c.enabled) return { level: 'off', summary: 'Paused in the configuration; nothing is synced.' };
  if (c.paused) {
    const held = c.paused.webhooksHeld;
    const since = c.paused.since ? ` since ${c.paused.since}` : '';
    const why = c.paused.note ? ` (${c.paused.note})` : '';
    const hooks = held > 0 ? `; ${held} webhook${held === 1 ? '' : 's'} held` : '';
    return {
      level: 'off',
      summary: `Paused by an operator${since}${why}; nothing is synced${hooks}. Resuming catches up from where it stopped.`,
    };
  }
  const red: string[] = [];
  const amber: string[] = [];
  // A first sync under way says how far it is (its sides are not checked until it has listed them).
  const syncing = c.firstSync && c.firstSync.state !== 'done' ? c.firstSync : null;
  if (syncing)
    amber.push(
      syncing.state === 'listing'
        ? `${syncing.kind} under way: listing both sides`
        : `${syncing.kind} under way: ${syncing.done.toLocaleString('en-US')} of ${syncing.total.toLocaleString('en-US')} tickets`,
    );
  for (const side of SIDES) {
    const s = c.sides[side];
    if (s.lastPollError) red.push(`the last check of ${s.label} failed (${s.lastPollError.split(':')[0]})`);
    else if (s.lagMs === null) {
      if (!syncing) amber.push(`${s.label} has not been checked yet`);
    } else if (s.lagMs > intervalMs * LAG_RED_INTERVALS)
      red.push(`${s.label} has not been checked for ${minutes(s.lagMs)}`);
    else if (s.lagMs > intervalMs * LAG_AMBER_INTERVALS) amber.push(`${s.label} is ${minutes(s.lagMs)} behind`);
    const paused = describePause(s.label, s.queue);
    if (paused !== null) amber.push(paused);
    else if (s.queue && s.queue.rateLimitedLastMinute > 0) amber.push(`${s.label} is rate limiting us`);
    const rejections = describeRejections(s.label, s.webhooks);
    if (rejections !== null) amber.push(`${rejections} (changes still arrive by polling)`);
  }
  if (c.openErrors > 0) amber.push(`${c.openErrors} ${c.openErrors === 1 ? 'error needs' : 'errors need'} attention`);
  if (c.openConflicts > 0)
    amber.push(`${c.openConflicts} ${c.openConflicts === 1 ? 'conflict waits' : 'conflicts wait'} for a decision`);
  if (red.length > 0) return { level: 'red', summary: sentence([...red, ...amber]) };
  if (amber.length > 0) return { level: 'amber', summary: sentence(amber) };
  return { level: 'green', summary: 'In sync: both sides are checked on time and nothing needs attention.' };
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m <= 1 ? 'about a minute' : `${m} minutes`;
}

function sentence(parts: string[]): string {
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Everything known about one link; live ticket reads (for URLs) are bounded by `readTimeoutMs`. */
export async function buildLinkDetail(
  deps: ViewDeps,
  linkId: string,
  readTimeoutMs = 3000,
): Promise<LinkDetail | null> {
  const snap = await deps.ledger.snapshot(linkId);
  if (!snap) return null;
  const { link } = snap;
  const rt = deps.engine.connections.get(link.connection);
  const [conflicts, errors, events, a, b] = await Promise.all([
    deps.ledger.listConflicts({ linkId }),
    deps.ledger.listErrors({ linkId }),
    allEvents(deps.ledger, linkId),
    ticketRef('a'),
    ticketRef('b'),
  ]);

  async function ticketRef(side: Side): Promise<LinkDetail['tickets']['a']> {
    const id = side === 'a' ? link.aId : link.bId;
    const s = rt?.sides[side];
    const ref = {
      side,
      system: s?.system ?? '',
      label: s?.label ?? side.toUpperCase(),
      id,
      key: null as string | null,
      url: null as string | null,
      readError: null as string | null,
    };
    if (!s) return { ...ref, readError: 'connection_not_configured' };
    try {
      const ticket = await withTimeout(s.connector.getTicket(id), readTimeoutMs);
      return { ...ref, key: ticket.key ?? null, url: ticket.url ?? null };
    } catch (err) {
      return { ...ref, readError: errorCode(err) };
    }
  }

  return {
    link,
    tickets: { a, b },
    baselines: Object.entries(snap.baselines).map(([field, v]) => ({ field, a: v.a, b: v.b })),
    comments: snap.comments,
    conflicts,
    errors,
    events,
  };
}

async function allEvents(ledger: Ledger, linkId: string): Promise<SyncEvent[]> {
  const out: SyncEvent[] = [];
  for (;;) {
    const page = await ledger.listEvents({ linkId, offset: out.length, limit: 1000 });
    out.push(...page.items);
    if (page.items.length === 0 || out.length >= page.total) return out;
  }
}

/** Fixed sentences per code: /readyz is public, so remote messages never reach its body. */
const READY_REASONS: Record<string, string> = {
  auth_failed: 'the system rejected the credentials (expired or revoked?)',
  network: 'the system could not be reached',
  timeout: 'the system did not answer in time',
  remote_unavailable: 'the system answered with a server error',
  rate_limited: 'the system is rate limiting us',
  not_found: 'the configured address or resource was not found',
  config_invalid: 'the configuration for this system is invalid',
  internal: 'an unexpected error; the daemon log has the details',
  ledger_failed:
    'the ledger cannot be read or written (damaged, read-only or a full disk); the daemon log has the details',
};

async function check(
  name: string,
  kind: 'ledger' | 'system',
  ping: () => Promise<void>,
  pingTimeoutMs: number,
): Promise<ReadyCheck> {
  try {
    await withTimeout(ping(), pingTimeoutMs);
    return { name, kind, ready: true, code: null, reason: null };
  } catch (err) {
    const code = errorCode(err);
    return { name, kind, ready: false, code, reason: READY_REASONS[code] ?? 'the check failed' };
  }
}

/** Every system (once, however many connections share it): reachable and authenticated, or why not. */
export async function checkSystems(deps: Pick<ViewDeps, 'engine'>, pingTimeoutMs = 5000): Promise<ReadyCheck[]> {
  const systems = new Map<string, () => Promise<void>>();
  for (const rt of deps.engine.connections.values()) {
    for (const side of SIDES) {
      const s = rt.sides[side];
      // A paused system answered (with a 429) and is authenticated: a ping would only wait out
      // the pause and make the status page hang; the pause itself is shown beside its queue.
      const paused = s.queue?.stats().pause != null;
      if (!systems.has(s.system)) systems.set(s.system, paused ? async () => undefined : () => s.connector.ping());
    }
  }
  return Promise.all([...systems].map(([name, ping]) => check(name, 'system', ping, pingTimeoutMs)));
}

/** checkSystems, with each answer reused for `ttlMs`: /status and /readyz?verbose share it. */
export function cachedSystemChecks(deps: Pick<ViewDeps, 'engine' | 'now'>, ttlMs = 5000): () => Promise<ReadyCheck[]> {
  let cache: { at: number; value: Promise<ReadyCheck[]> } | null = null;
  return () => {
    const now = deps.now();
    if (!cache || now - cache.at >= ttlMs) cache = { at: now, value: checkSystems(deps) };
    return cache.value;
  };
}

/**
 * Readiness means "can serve webhooks and status": the ledger answers. Systems are checked and
 * reported (`degraded`) but never make the daemon unready: behind a load balancer, one vendor's
 * outage must not cut the webhooks of the others.
 */
export async function checkReady(
  deps: Pick<ViewDeps, 'engine' | 'ledger'>,
  pingTimeoutMs = 5000,
  systems: () => Promise<ReadyCheck[]> = () => checkSystems(deps, pingTimeoutMs),
): Promise<Required<Ready>> {
  const [ledger, others] = await Promise.all([
    check('ledger', 'ledger', () => deps.ledger.ping(), pingTimeoutMs),
    systems(),
  ]);
  return {
    ready: ledger.ready,
    checks: [ledger, ...others],
    degraded: others.filter((c) => !c.ready).map((c) => c.name),
  };
}

/** Only the ledger: what /readyz asks on every probe (no call to any system). */
export async function checkLedgerReady(deps: Pick<ViewDeps, 'ledger'>, pingTimeoutMs = 5000): Promise<Ready> {
  const ledger = await check('ledger', 'ledger', () => deps.ledger.ping(), pingTimeoutMs);
  return { ready: ledger.ready, checks: [ledger] };
}

/** "Last audit: 1,204 pairs, 0 unexplained, 3 pending (2 hours ago)", or the audit running now. */
export function describeDrift(drift: ConnectionStatus['drift'], now: number): string {
  const pairs = (n: number): string => `${n.toLocaleString('en-US')} pair${n === 1 ? '' : 's'}`;
  if (drift.running)
    return `Drift audit running: ${drift.running.done.toLocaleString('en-US')} of ${pairs(drift.running.total)} compared.`;
  const last = drift.last;
  if (!last) return 'No drift audit yet (ticketbridge drift, or drift.cron).';
  const minutes = Math.max(0, Math.round((now - Date.parse(last.at)) / 60_000));
  const ago = minutes < 1 ? 'just now' : minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
  const extra = [
    last.unreadable ? `${last.unreadable} unreadable` : '',
    last.repaired ? `${last.repaired} repaired` : '',
  ].filter(Boolean);
  return `Last audit: ${pairs(last.pairs)}, ${last.unexplained.toLocaleString('en-US')} unexplained, ${last.pending.toLocaleString('en-US')} pending${extra.length ? `, ${extra.join(', ')}` : ''} (${ago}).`;
}
