// The sync engine: schedules passes (serialised per link, coalesced per ticket, bounded overall),
// polls each side with cursor, overlap and dedupe, takes webhook hints, reconciles on a cron,
// retries transient errors, recovers pending intents at start, and answers the operations API.
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import PQueue from 'p-queue';
import { ConflictUnresolvableError, describeError, LeaseBusyError, NotFoundError, SyncError } from './errors.js';
import type { Conflict, Cursor, ErrorRecord, Ledger } from './ledger/types.js';
import {
  createPass,
  linkPass,
  recordPassError,
  type EngineObserver,
  type PassDeps,
  type PassOptions,
  type PassOutcome,
} from './pass.js';
import { buildRuntime, type ConnectionRuntime, type ConnectionSpec } from './runtime.js';
import { KeyedMutex, KeyedSerializer } from './serializer.js';
import type { SystemQueueStats } from './queue.js';
import {
  isInvalidTicket,
  otherSide,
  systemClock,
  type Clock,
  type FieldValues,
  type Logger,
  type Side,
  type Ticket,
} from './types.js';
import { decideField } from './decide.js';

export interface EngineOptions {
  connections: ConnectionSpec[];
  ledger: Ledger;
  logger: Logger;
  clock?: Clock;
  observer?: EngineObserver;
  /** @default 30000 */
  pollIntervalMs?: number;
  /** @default 120000 */
  overlapMs?: number;
  /** node-cron expression for the reconcile; null disables it. @default null */
  reconcileCron?: string | null;
  /** Passes running at once. @default 8 */
  concurrency?: number;
  /** Identity of this instance for ledger leases. @default a random UUID */
  instanceId?: string;
  /** @default 30000 */
  leaseMs?: number;
}

export interface SideStatus {
  system: string;
  label: string;
  cursor: string | null;
  lastPollAt: string | null;
  lastSuccessfulPollAt: string | null;
  lastPollError: string | null;
  /** Milliseconds since the last successful poll began (null before the first). */
  lagMs: number | null;
  queue: SystemQueueStats | null;
}

export interface ConnectionStatus {
  name: string;
  enabled: boolean;
  sides: Record<Side, SideStatus>;
  links: number;
  activeLinks: number;
  openErrors: number;
  openConflicts: number;
  pendingIntents: number;
}

export interface PlannedChange {
  connection: string;
  /** The side that would be written. */
  side: Side;
  action: 'create' | 'update';
  /** Source ticket (create) or the ticket that would be updated. */
  ticketId: string;
  linkId: string | null;
  fields: FieldValues;
  reason: string;
}

export interface Engine {
  readonly connections: ReadonlyMap<string, ConnectionRuntime>;
  /** Starts polling, the reconcile schedule and the retry loop; recovers pending intents first. */
  start(): Promise<void>;
  /** Stops scheduling, waits for passes in flight. Idempotent. */
  stop(): Promise<void>;
  /** A hint (webhook or poll) that a ticket changed; resolves when its pass has run. */
  hint(connection: string, side: Side, ticketId: string, ticket?: Ticket): Promise<void>;
  /** Polls one side once. */
  pollOnce(connection: string, side: Side): Promise<number>;
  /** Re-reads every active link of a connection (or all). */
  reconcile(connection?: string): Promise<number>;
  /** Forces a full pass of one link, comments included. */
  resync(linkId: string): Promise<PassOutcome>;
  resolveConflict(conflictId: string, take: Side): Promise<Conflict>;
  retryError(errorId: string): Promise<ErrorRecord>;
  /** Retries every open transient error; the retry loop calls this. */
  retryTransientErrors(): Promise<number>;
  /** Resumes pending intents at least `minAgeMs` old (all by default); runs at start and periodically. */
  recoverIntents(minAgeMs?: number): Promise<number>;
  /** Dry run: what would change on each side, writing nothing anywhere. */
  plan(connection?: string): Promise<PlannedChange[]>;
  status(): Promise<ConnectionStatus[]>;
  /** Resolves when no pass is queued or running. */
  onIdle(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const ledger = options.ledger;
  const observer = options.observer ?? {};
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const overlapMs = options.overlapMs ?? 120_000;
  const instanceId = options.instanceId ?? randomUUID();
  const leaseMs = options.leaseMs ?? 30_000;
  const deps: PassDeps = { ledger, clock, observer };
  const runtimes = new Map<string, ConnectionRuntime>(
    options.connections.map((spec) => [spec.name, buildRuntime(spec, logger)]),
  );
  const slots = new PQueue({ concurrency: options.concurrency ?? 8 });
  const serializer = new KeyedSerializer();
  const linkMutex = new KeyedMutex();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const pollsRunning = new Set<string>();
  const pollStarted = new Map<string, number>();
  let cronTask: ScheduledTask | null = null;
  let running = false;
  let stopping: Promise<void> | null = null;

  function runtime(name: string): ConnectionRuntime {
    const rt = runtimes.get(name);
    if (!rt) throw new NotFoundError(`no connection named "${name}"`);
    return rt;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Runs `fn` holding a concurrency slot and, with PostgreSQL, a lease on `key`. */
  async function guarded<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return await slots.add(async () => {
      // Another instance's pass on the same key is short: wait for it a little, then hand the
      // work to the retry loop rather than dropping the hint.
      let claimed = await ledger.claim(key, instanceId, leaseMs);
      for (let attempt = 0; !claimed && attempt < 10; attempt++) {
        await new Promise((r) => setTimeout(r, 100 + attempt * 50));
        claimed = await ledger.claim(key, instanceId, leaseMs);
      }
      if (!claimed) throw new LeaseBusyError(`${key} is being synced by another instance; retrying later`);
      try {
        return await fn();
      } finally {
        await ledger.release(key, instanceId);
      }
    });
  }

  /** Records a lease refusal as a retryable error so the retry loop takes the work up again. */
  async function leaseRefused<T>(
    rt: ConnectionRuntime,
    subject: { linkId: string | null; side: Side | null; ticketId: string | null },
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof LeaseBusyError) await recordPassError(deps, rt, subject, err);
      throw err;
    }
  }

  async function runLinkPass(rt: ConnectionRuntime, linkId: string, passOptions: PassOptions): Promise<PassOutcome> {
    return leaseRefused(rt, { linkId, side: null, ticketId: null }, () => linkPassLocked(rt, linkId, passOptions));
  }

  async function linkPassLocked(rt: ConnectionRuntime, linkId: string, passOptions: PassOptions): Promise<PassOutcome> {
    return linkMutex.with(`${rt.name}:${linkId}`, () =>
      guarded(`link:${linkId}`, async () => {
        const snap = await ledger.snapshot(linkId);
        if (!snap) throw new NotFoundError(`no link ${linkId}`);
        try {
          const outcome = await linkPass(deps, rt, snap, passOptions);
          observer.pass?.(rt.name, outcome);
          rt.logger.debug({ linkId, outcome, force: passOptions.force ?? false }, 'link pass');
          return outcome;
        } catch (err) {
          observer.pass?.(rt.name, 'error');
          await recordPassError(deps, rt, { linkId, side: null, ticketId: null }, err);
          throw err;
        }
      }),
    );
  }

  async function ticketPass(
    rt: ConnectionRuntime,
    side: Side,
    ticketId: string,
    given: Ticket | undefined,
    force = false,
  ): Promise<void> {
    const link = await ledger.findLink(rt.name, side, ticketId);
    if (link) {
      if (link.state !== 'active') return; // unlinked, closed or flagged links are never recreated
      await runLinkPass(rt, link.id, given ? { ticket: given, side, force } : { force });
      return;
    }
    // A link pass found inside the ticket guard runs after it: nesting it would wait for a second
    // concurrency slot while holding one, and a burst of such passes deadlocks every slot.
    const late: { linkId?: string; ticket?: Ticket; force?: boolean } = {};
    await leaseRefused(rt, { linkId: null, side, ticketId }, () =>
      guarded(`ticket:${rt.name}:${side}:${ticketId}`, async () => {
        try {
          const ticket = given ?? (await rt.sides[side].connector.getTicket(ticketId));
          // The link may have appeared while this pass waited (a concurrent create committed it).
          const linked = await ledger.findLink(rt.name, side, ticketId);
          if (linked) {
            if (linked.state === 'active') Object.assign(late, { linkId: linked.id, ticket });
            return;
          }
          const created = await createPass(deps, rt, side, ticket);
          observer.pass?.(rt.name, created.outcome);
          if (created.linkId !== null) rt.logger.info({ side, ticketId, linkId: created.linkId }, 'twin created');
          else rt.logger.debug({ side, ticketId, outcome: created.outcome }, 'ticket pass');
          // Comments already on the source are copied by a first link pass, under the link's claim.
          if (created.linkId !== null) Object.assign(late, { linkId: created.linkId, ticket, force: true });
        } catch (err) {
          if (err instanceof NotFoundError && !given) return; // hinted ticket is gone and was never linked
          observer.pass?.(rt.name, 'error');
          await recordPassError(deps, rt, { linkId: null, side, ticketId }, err);
        }
      }),
    );
    if (late.linkId !== undefined && late.ticket)
      await runLinkPass(rt, late.linkId, { ticket: late.ticket, side, force: force || (late.force ?? false) });
  }

  function schedule(rt: ConnectionRuntime, side: Side, ticketId: string, given?: Ticket, force = false): Promise<void> {
    const key = `${rt.name}:${side}:${ticketId}`;
    return track(
      serializer.schedule(key, () =>
        ticketPass(rt, side, ticketId, given, force).catch((err: unknown) => {
          // Already recorded as an error; a hint never rejects.
          logger.debug({ connection: rt.name, side, ticketId, err: describeError(err) }, 'pass ended with an error');
        }),
      ),
    );
  }

  async function pollOnce(connection: string, side: Side): Promise<number> {
    const rt = runtime(connection);
    const key = `${connection}:${side}`;
    if (pollsRunning.has(key)) return 0;
    pollsRunning.add(key);
    const startedAt = clock.now();
    const cursor = await ledger.getCursor(connection, side);
    const since = cursor.since === null ? null : new Date(Date.parse(cursor.since) - overlapMs);
    const seen = new Set(cursor.seenIds);
    let maxVersion = cursor.since;
    let atMax = new Set<string>(cursor.seenIds);
    const passes: Promise<void>[] = [];
    const listed = new Map<string, string>();
    let failed: unknown = null;
    try {
      for await (const item of rt.sides[side].connector.listChanged({ since })) {
        if (isInvalidTicket(item)) {
          await ledger.recordError({
            connection,
            linkId: null,
            side,
            ticketId: item.id,
            code: 'payload_invalid',
            message: `${rt.sides[side].label} ticket ${item.id}: ${item.invalid}`,
            retryable: false,
          });
          observer.error?.(connection, 'payload_invalid');
          continue;
        }
        if (listed.get(item.id) === item.version) continue; // duplicate across pages
        listed.set(item.id, item.version);
        if (item.version === cursor.since && seen.has(item.id)) continue; // handled by the last poll
        if (maxVersion === null || Date.parse(item.version) > Date.parse(maxVersion)) {
          maxVersion = item.version;
          atMax = new Set([item.id]);
        } else if (item.version === maxVersion) atMax.add(item.id);
        passes.push(schedule(rt, side, item.id, item));
      }
    } catch (err) {
      failed = err;
    } finally {
      pollsRunning.delete(key);
    }
    await Promise.all(passes);
    const now = new Date(clock.now()).toISOString();
    const next: Cursor = failed
      ? { ...cursor, lastPollAt: now, lastError: describeError(failed) }
      : {
          connection,
          side,
          since: maxVersion,
          seenIds: [...atMax],
          lastPollAt: now,
          lastSuccessAt: new Date(startedAt).toISOString(),
          lastError: null,
        };
    await ledger.saveCursor(next);
    if (failed) {
      rt.logger.warn({ side, err: describeError(failed) }, 'poll failed; cursor kept');
      observer.error?.(connection, failed instanceof SyncError ? failed.code : 'internal');
    } else pollStarted.set(key, startedAt);
    return passes.length;
  }

  async function reconcile(connection?: string): Promise<number> {
    const names = connection ? [connection] : [...runtimes.keys()];
    let count = 0;
    for (const name of names) {
      const rt = runtime(name);
      let after: string | null = null;
      for (;;) {
        const ids = await ledger.linkIds(name, 'active', after, 500);
        if (ids.length === 0) break;
        await Promise.all(ids.map((id) => track(runLinkPass(rt, id, {}).catch(() => undefined))));
        count += ids.length;
        after = ids[ids.length - 1]!;
      }
    }
    return count;
  }

  async function resync(linkId: string): Promise<PassOutcome> {
    const link = await ledger.getLink(linkId);
    if (!link) throw new NotFoundError(`no link ${linkId}`);
    const rt = runtime(link.connection);
    await ledger.appendEvents([
      {
        connection: rt.name,
        linkId,
        side: null,
        field: null,
        kind: 'resync',
        oldValue: null,
        newValue: null,
        reason: 'a full resync was requested',
      },
    ]);
    return runLinkPass(rt, linkId, { force: true });
  }

  async function resolveConflict(conflictId: string, take: Side): Promise<Conflict> {
    const conflict = await ledger.getConflict(conflictId);
    if (!conflict) throw new NotFoundError(`no conflict ${conflictId}`);
    if (conflict.state !== 'open')
      throw new ConflictUnresolvableError(
        `conflict ${conflictId} is already resolved (${conflict.resolution ?? 'no note'})`,
      );
    await runLinkPass(runtime(conflict.connection), conflict.linkId, { force: true, resolve: { conflictId, take } });
    return (await ledger.getConflict(conflictId))!;
  }

  async function retryError(errorId: string): Promise<ErrorRecord> {
    const error = await ledger.getError(errorId);
    if (!error) throw new NotFoundError(`no error ${errorId}`);
    const rt = runtime(error.connection);
    if (error.linkId) {
      const link = await ledger.getLink(error.linkId);
      if (link && link.state === 'flagged') {
        // A person looked at the flagged link: put it back to work.
        await ledger.commit({ connection: rt.name, linkId: link.id, linkState: { state: 'active', note: null } });
      }
      await runLinkPass(rt, error.linkId, { force: true, hadErrors: true }).catch(() => undefined);
    } else if (error.side && error.ticketId) {
      await schedule(rt, error.side, error.ticketId, undefined, true);
    }
    const after = (await ledger.getError(errorId))!;
    if (after.state === 'open' && error.code === 'payload_invalid') {
      // The listing parked the ticket; a successful re-read resolves it.
      await ledger.resolveError(errorId);
      return (await ledger.getError(errorId))!;
    }
    return after;
  }

  async function retryTransientErrors(): Promise<number> {
    const open = await ledger.listErrors({ state: 'open' });
    const transient = open.filter((e) => e.retryable && runtimes.has(e.connection));
    await Promise.all(transient.map((e) => retryError(e.id).catch(() => undefined)));
    return transient.length;
  }

  async function recoverIntents(minAgeMs = 0): Promise<number> {
    // Young intents may belong to a create still in flight here or on another instance.
    const cutoff = clock.now() - minAgeMs;
    const intents = (await ledger.pendingIntents()).filter((i) => Date.parse(i.createdAt) <= cutoff);
    // In parallel (bounded by the pass slots), so a backlog of recoveries does not hold up polling.
    const work: Promise<unknown>[] = [];
    const links = new Set<string>();
    for (const intent of intents) {
      const rt = runtimes.get(intent.connection);
      if (!rt) continue;
      if (intent.kind === 'create')
        work.push(schedule(rt, otherSide(intent.targetSide), intent.sourceId, undefined, true));
      else if (intent.linkId && !links.has(intent.linkId)) {
        links.add(intent.linkId);
        work.push(runLinkPass(rt, intent.linkId, { force: true }).catch(() => undefined));
      }
    }
    await Promise.all(work);
    return work.length;
  }

  async function plan(connection?: string): Promise<PlannedChange[]> {
    const out: PlannedChange[] = [];
    const names = connection ? [connection] : [...runtimes.keys()];
    for (const name of names) {
      const rt = runtime(name);
      for (const side of ['a', 'b'] as const) {
        const cursor = await ledger.getCursor(name, side);
        const since = cursor.since === null ? null : new Date(Date.parse(cursor.since) - overlapMs);
        for await (const item of rt.sides[side].connector.listChanged({ since })) {
          if (isInvalidTicket(item)) continue;
          const link = await ledger.findLink(name, side, item.id);
          if (!link) {
            if (!item.inScope || item.deleted || item.marker?.startsWith(`tb:${name}:`)) continue;
            const fields: FieldValues = {};
            for (const rule of rt.fields) {
              const v = item.fields[rule.native[side]];
              if (v === undefined) continue;
              const t = rule.translate(side, v);
              if (t.ok) fields[rule.native[otherSide(side)]] = t.value;
            }
            out.push({
              connection: name,
              side: otherSide(side),
              action: 'create',
              ticketId: item.id,
              linkId: null,
              fields,
              reason: `new ticket ${item.id} on ${side}`,
            });
            continue;
          }
          if (link.state !== 'active') continue;
          const snap = await ledger.snapshot(link.id);
          if (!snap) continue;
          const other = otherSide(side);
          const otherTicket = await rt.sides[other].connector
            .getTicket(other === 'a' ? link.aId : link.bId)
            .catch(() => null);
          if (!otherTicket) continue;
          const tickets: Record<Side, Ticket> =
            side === 'a' ? { a: item, b: otherTicket } : { a: otherTicket, b: item };
          const changes: Record<Side, FieldValues> = { a: {}, b: {} };
          for (const rule of rt.fields) {
            const current = { a: tickets.a.fields[rule.native.a] ?? null, b: tickets.b.fields[rule.native.b] ?? null };
            const d = decideField(rule, {
              current,
              baseline: snap.baselines[rule.name],
              changedAt: { a: Date.parse(tickets.a.version), b: Date.parse(tickets.b.version) },
            });
            if (d.kind === 'write') changes[d.to][rule.native[d.to]] = d.value;
          }
          for (const to of ['a', 'b'] as const) {
            if (Object.keys(changes[to]).length === 0) continue;
            out.push({
              connection: name,
              side: to,
              action: 'update',
              ticketId: tickets[to].id,
              linkId: link.id,
              fields: changes[to],
              reason: `link ${link.id} differs from its baseline`,
            });
          }
        }
      }
    }
    // One entry per (side, ticket): both sides' listings can surface the same link.
    const unique = new Map(out.map((c) => [`${c.connection}:${c.side}:${c.action}:${c.ticketId}`, c]));
    return [...unique.values()];
  }

  async function status(): Promise<ConnectionStatus[]> {
    const out: ConnectionStatus[] = [];
    for (const rt of runtimes.values()) {
      const counts = await ledger.counts(rt.name);
      const sides = {} as Record<Side, SideStatus>;
      for (const side of ['a', 'b'] as const) {
        const cursor = await ledger.getCursor(rt.name, side);
        const started =
          pollStarted.get(`${rt.name}:${side}`) ?? (cursor.lastSuccessAt ? Date.parse(cursor.lastSuccessAt) : null);
        const s = rt.sides[side];
        sides[side] = {
          system: s.system,
          label: s.label,
          cursor: cursor.since,
          lastPollAt: cursor.lastPollAt,
          lastSuccessfulPollAt: cursor.lastSuccessAt,
          lastPollError: cursor.lastError,
          lagMs: started === null ? null : Math.max(0, clock.now() - started),
          queue: s.queue ? s.queue.stats() : null,
        };
      }
      out.push({
        name: rt.name,
        enabled: rt.config.enabled,
        sides,
        links: counts.links,
        activeLinks: counts.activeLinks,
        openErrors: counts.openErrors,
        openConflicts: counts.openConflicts,
        pendingIntents: counts.pendingIntents,
      });
    }
    return out;
  }

  function loop(name: string, everyMs: number, fn: () => Promise<unknown>): void {
    const tick = (): void => {
      if (!running) return;
      void track(
        fn()
          .catch((err: unknown) => logger.error({ loop: name, err: describeError(err) }, 'scheduled task failed'))
          .finally(() => {
            if (!running) return;
            const t = setTimeout(() => {
              timers.delete(t);
              tick();
            }, everyMs);
            timers.add(t);
          }),
      );
    };
    tick();
  }

  async function onIdle(): Promise<void> {
    while (inFlight.size > 0 || slots.size > 0 || slots.pending > 0 || serializer.size > 0) {
      await Promise.allSettled([...inFlight]);
      await slots.onIdle();
    }
  }

  return {
    connections: runtimes,
    async start() {
      if (running) return;
      running = true;
      // With SQLite this process is the only writer, so every pending intent is from a stopped
      // run; with PostgreSQL another live instance may be mid-create, so only old ones are taken.
      const orphanAgeMs = ledger.driver === 'sqlite' ? 0 : 2 * leaseMs;
      await recoverIntents(orphanAgeMs);
      for (const rt of runtimes.values()) {
        if (!rt.config.enabled) continue;
        const every = rt.config.pollIntervalMs ?? pollIntervalMs;
        for (const side of ['a', 'b'] as const) loop(`poll ${rt.name}:${side}`, every, () => pollOnce(rt.name, side));
      }
      loop('retry', pollIntervalMs, async () => {
        await retryTransientErrors();
        await recoverIntents(Math.max(2 * leaseMs, 60_000));
      });
      if (options.reconcileCron) {
        cronTask = cron.schedule(options.reconcileCron, () => {
          void track(
            reconcile().catch((err: unknown) => logger.error({ err: describeError(err) }, 'reconcile failed')),
          );
        });
      }
      logger.info({ connections: [...runtimes.keys()], instanceId }, 'engine started');
    },
    async stop() {
      if (stopping) return stopping;
      stopping = (async () => {
        running = false;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        if (cronTask) await cronTask.stop();
        await onIdle();
        logger.info({}, 'engine stopped');
      })();
      return stopping;
    },
    hint: (connection, side, ticketId, ticket) => schedule(runtime(connection), side, ticketId, ticket),
    pollOnce,
    reconcile,
    resync,
    resolveConflict,
    retryError,
    retryTransientErrors,
    recoverIntents,
    plan,
    status,
    onIdle,
  };
}
