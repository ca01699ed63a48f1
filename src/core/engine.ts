// The sync engine's façade: it wires the scheduler, the runner (hints to passes), the poller,
// recovery, the dry run and status for a set of connections, and runs the schedules (polls,
// the recovery loop, the reconcile cron). Each part lives in its own module (the reconcile in
// reconcile.ts).
import { randomUUID } from 'node:crypto';
import { DriftRunner, type DriftRunOptions, type DriftRunResult } from './drift-runs.js';
import type { FirstSyncProgress } from './catch-up.js';
import { dryRun, type PlannedChange } from './dry-run.js';
import { ConflictUnresolvableError, NotFoundError } from './errors.js';
import type { Conflict, ErrorRecord, Ledger, Link } from './ledger/types.js';
import { actorLedger } from './actor.js';
import { adoptPair, type LinkOptions, type PairRequest, type PairResult } from './adopt.js';
import { EchoBook } from './echoes.js';
import { discoverPairs, type Candidate } from './discover.js';
import { closeTwin, dismissFlag, unlink } from './link-actions.js';
import type { EngineObserver, PassOutcome } from './pass.js';
import { Pauses, type PauseState } from './pauses.js';
import { Polls } from './polls.js';
import { withPriority } from './priority.js';
import { reconcileLinks, type ReconcilePlan } from './reconcile.js';
import { Recovery } from './recovery.js';
import { Runner } from './runner.js';
import type { Notice, Notifier } from './notify.js';
import { slaRound } from './sla-watch.js';
import { linkUrls, ticketUrlOf } from './ticket-urls.js';
import { TroubleWatch } from './trouble.js';
import { buildRuntime, type ConnectionRuntime, type ConnectionSpec } from './runtime.js';
import { Scheduler } from './scheduler.js';
import { connectionStatus, type ConnectionStatus } from './status.js';
import { Timers } from './timers.js';
import { systemClock, type Clock, type Delivered, type Logger, type Moved, type Side, type Ticket } from './types.js';

export type { PlannedChange } from './dry-run.js';
export type { PairRequest } from './adopt.js';
export type { Candidate } from './discover.js';

export type { LinkOptions, PairResult } from './adopt.js';
export type { ConnectionStatus, SideStatus } from './status.js';
export type { FirstSyncProgress } from './catch-up.js';

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
  /** node-cron expression for the drift audit; null disables it. @default null */
  driftCron?: string | null;
  /** Whether the scheduled drift audit repairs what it finds unexplained. @default false */
  driftRepair?: boolean;
  /** Passes running at once, per connection. @default 8 */
  concurrency?: number;
  /** Identity of this instance for ledger leases. @default a random UUID */
  instanceId?: string;
  /** @default 30000 */
  leaseMs?: number;
  /** Tells people about escalations and sync trouble (src/notify). */
  notifier?: Notifier;
  /** Who hears about sync trouble (`notifications.trouble`); none: nobody. */
  trouble?: { channels: readonly string[]; conflictMinutes: number };
  /** How often SLA clocks and sync trouble are checked; a clock is also checked when it falls due. @default 30000 */
  watchIntervalMs?: number;
  /** Told as a connection's first sync (or catch-up round) progresses; called often, throttle it. */
  firstSyncProgress?: (progress: FirstSyncProgress) => void;
}

export interface Engine {
  readonly connections: ReadonlyMap<string, ConnectionRuntime>;
  /** Starts polling, the reconcile schedule and the recovery loop; recovers pending intents first. */
  start(): Promise<void>;
  /** Stops scheduling, waits for passes in flight. Idempotent. */
  stop(): Promise<void>;
  /**
   * A hint (webhook or poll) that a ticket changed; resolves when its pass has run. `version`: the
   * ticket's version as a webhook reported it (the echo of this daemon's own write costs no call);
   * `moved`: what the delivery says moved, when it says (WebhookHint); `delivered`: what each
   * delivery folded into this hint reported that the ledger can check (Delivered).
   */
  hint(
    connection: string,
    side: Side,
    ticketId: string,
    ticket?: Ticket,
    version?: string,
    moved?: Moved,
    delivered?: Delivered[],
  ): Promise<void>;
  /** Polls one side once; returns how many tickets it handed to passes. */
  pollOnce(connection: string, side: Side): Promise<number>;
  /** Re-reads every active link of a connection (or all). */
  reconcile(connection?: string): Promise<number>;
  /** Audits every active pair for drift (background priority), records the result, and repairs when asked. */
  drift(options?: DriftRunOptions): Promise<DriftRunResult>;
  /**
   * The reconcile as its schedule runs it: links read on both sides since the last scheduled run
   * are skipped, the rest spread over most of the time since then; how many links it read.
   */
  scheduledReconcile(): Promise<number>;
  /** Forces a full pass of one link, comments included. */
  resync(linkId: string): Promise<PassOutcome>;
  resolveConflict(conflictId: string, take: Side): Promise<Conflict>;
  retryError(errorId: string): Promise<ErrorRecord>;
  /**
   * Retries every open error of the running connections (of one code, when given; of these
   * connections, when given), each as it stands afterwards.
   */
  retryErrors(code?: string, connections?: readonly string[]): Promise<ErrorRecord[]>;
  /** Retries errors whose cause has cleared (the system answers again); the recovery loop calls this. */
  retryCleared(): Promise<number>;
  /** Retries every open transient error; the recovery loop calls this. */
  retryTransientErrors(): Promise<number>;
  /** Resumes pending intents at least `minAgeMs` old (all by default); runs at start and periodically. */
  recoverIntents(minAgeMs?: number): Promise<number>;
  /** A flagged link: closes the ticket still there, and the link. */
  closeTwin(linkId: string): Promise<Link>;
  /** Ends a link: neither ticket syncs any more, and neither gets a new twin. */
  unlink(linkId: string): Promise<Link>;
  /** A flagged link (out of scope) syncs again and scope no longer flags it. */
  dismissFlag(linkId: string): Promise<Link>;
  /**
   * Pairs two existing tickets: both found, in scope and unlinked, markers stamped on both, a link
   * recorded without baselines (its first pass decides each field by its owner). `dryRun` links
   * nothing and answers what that first pass would write. Throws NotFoundError, LinkRefusedError,
   * TicketRefError (a reference that cannot be read) or ConnectionPausedError.
   */
  link(request: PairRequest, options?: LinkOptions): Promise<PairResult>;
  /** Candidate pairs by each connection's `match:` rule (or one connection's), with their evidence; writes nothing. */
  discover(connection?: string): Promise<Candidate[]>;
  /** Pauses a connection at run time (kept in the ledger): nothing of it is written until resumed. */
  pause(connection: string, note?: string | null): Promise<PauseState>;
  /** Resumes a connection paused at run time and catches up from its cursors (both sides polled now). */
  resume(connection: string): Promise<void>;
  /** Whether (and why) a connection is paused, as last read from the config and the ledger. */
  pauseState(connection: string): PauseState | null;
  /** Dry run: what would change on each side, writing nothing anywhere; `listed` is told of every ticket listed. */
  plan(connection?: string, listed?: (connection: string, side: Side) => void): Promise<PlannedChange[]>;
  status(): Promise<ConnectionStatus[]>;
  /** Records every SLA clock past its due time as breached (and tells its contacts); returns how many. */
  checkSla(): Promise<number>;
  /** Tells sync trouble not told yet (`notifications.trouble`); returns the notices sent. */
  checkTrouble(): Promise<Notice[]>;
  /** Resolves when no pass is queued or running. */
  onIdle(): Promise<void>;
  /**
   * Resolves when no pass is queued or running and none is held for a version to settle (a poll
   * listing a ticket as the ledger holds it inside SETTLE_MS holds one pass of its link until then,
   * settle-passes.ts; `onIdle` does not wait for it). For tests and benchmarks.
   */
  onSettled(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  return new SyncEngine(options);
}

class SyncEngine implements Engine {
  readonly connections: ReadonlyMap<string, ConnectionRuntime>;
  private readonly clock: Clock;
  private readonly ledger: Ledger;
  private readonly logger: Logger;
  private readonly observer: EngineObserver;
  private readonly pollIntervalMs: number;
  private readonly overlapMs: number;
  private readonly leaseMs: number;
  private readonly instanceId: string;
  private readonly scheduler: Scheduler;
  private readonly runner: Runner;
  private readonly recovery: Recovery;
  private readonly pauses: Pauses;
  private readonly trouble: TroubleWatch;
  private readonly polls: Polls;
  private readonly timers: Timers;
  private readonly drifts: DriftRunner;
  /** When each link was last read on both sides by a pass (the scheduled reconcile skips those read since its last run). */
  private readonly readLinks = new Map<string, number>();
  private lastScheduledReconcile: number | null = null;
  private readonly stopped = new AbortController();
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    // Events of a person's actions record who asked (the token's name), however deep they are written.
    this.ledger = actorLedger(options.ledger);
    this.logger = options.logger;
    this.observer = options.observer ?? {};
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.overlapMs = options.overlapMs ?? 120_000;
    this.instanceId = options.instanceId ?? randomUUID();
    this.leaseMs = options.leaseMs ?? 30_000;
    this.connections = new Map(options.connections.map((spec) => [spec.name, buildRuntime(spec, this.logger)]));
    const { ledger, clock, observer, logger, instanceId, leaseMs } = this;
    this.pauses = new Pauses(ledger, this.connections);
    const paused = (name: string): boolean => this.pauses.isPaused(name);
    this.scheduler = new Scheduler({ ledger, instanceId, leaseMs, concurrency: options.concurrency ?? 8 });
    this.runner = new Runner({
      ledger,
      clock,
      observer,
      scheduler: this.scheduler,
      logger,
      paused,
      echoes: new EchoBook(clock),
      readLinks: this.readLinks,
      // Once started, every side of an enabled connection is polled (start()).
      polled: (name) => this.timers.running && this.connections.get(name)?.config.enabled === true,
      ...(options.notifier ? { notifier: options.notifier } : {}),
    });
    this.recovery = new Recovery({ ledger, clock, runner: this.runner, runtimes: this.connections, paused });
    this.trouble = new TroubleWatch({
      ledger,
      clock,
      logger,
      notifier: options.notifier,
      trouble: options.trouble,
      connections: () => [...this.connections.values()].filter((rt) => rt.config.enabled).map((rt) => rt.name),
      status: () => this.status(),
      pollIntervalMs: (name) => this.connections.get(name)?.config.pollIntervalMs ?? this.pollIntervalMs,
      urls: (name, about) => this.noticeUrls(name, about),
    });
    const resync = (id: string) => this.resync(id);
    this.drifts = new DriftRunner({ ledger, clock, logger, connections: this.connections, resync, paused });
    const { runner, pauses, overlapMs, connections: runtimes } = this;
    const { firstSyncProgress } = options;
    this.polls = new Polls({ ledger, clock, observer, runner, pauses, runtimes, overlapMs, firstSyncProgress });
    this.timers = new Timers({ clock, logger, track: (run) => this.scheduler.track(run) });
  }

  async start(): Promise<void> {
    if (!this.timers.start()) return;
    // The first sync begins when the daemon first starts, not at its first poll round: a ticket
    // created after that is new (initialSync does not apply), even if this run stops before the
    // round. Kept once per connection; later starts leave it as it is. A ledger that cannot take
    // the write now (a full disk) is shown by its own checks; the first round records it then.
    for (const rt of this.connections.values())
      if (rt.config.enabled)
        await this.ledger.startFirstSync(rt.name).catch((err: unknown) => {
          this.logger.warn({ connection: rt.name, err }, 'could not record the start of the first sync yet');
        });
    await this.pauses.refresh();
    // With SQLite this process is the only writer, so every pending intent is from a stopped
    // run; with PostgreSQL another live instance may be mid-create, so only old ones are taken.
    await this.recovery.recoverIntents(this.ledger.driver === 'sqlite' ? 0 : 2 * this.leaseMs);
    for (const rt of this.connections.values()) {
      if (!rt.config.enabled) continue;
      const every = rt.config.pollIntervalMs ?? this.pollIntervalMs;
      for (const side of ['a', 'b'] as const)
        this.timers.loop(`poll ${rt.name}:${side}`, every, () => this.pollOnce(rt.name, side));
    }
    this.timers.loop('recovery', this.pollIntervalMs, () => this.recovery.round(Math.max(2 * this.leaseMs, 60_000)));
    // SLA clocks and sync trouble: also woken at the next SLA clock's due time, so a breach is recorded when it happens.
    this.timers.loopUntilDue('watch', this.options.watchIntervalMs ?? 30_000, async () => {
      const { nextDueMs } = await this.slaRound();
      await this.trouble.check();
      return nextDueMs;
    });
    if (this.options.reconcileCron)
      this.timers.schedule('reconcile', this.options.reconcileCron, () => this.scheduledReconcile());
    if (this.options.driftCron) {
      const repair = this.options.driftRepair ?? false;
      this.timers.schedule('drift audit', this.options.driftCron, () => this.drift({ repair }));
    }
    this.logger.info({ connections: [...this.connections.keys()], instanceId: this.instanceId }, 'engine started');
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const stopping = this.timers.stop();
      this.runner.stop();
      this.stopped.abort();
      await stopping;
      await this.scheduler.onIdle();
      this.logger.info({}, 'engine stopped');
    })();
    return this.stopping;
  }

  hint(
    connection: string,
    side: Side,
    ticketId: string,
    ticket?: Ticket,
    version?: string,
    moved?: Moved,
    delivered?: Delivered[],
  ): Promise<void> {
    return this.runner.hint(this.runtime(connection), side, ticketId, ticket, false, version, moved, delivered);
  }

  pollOnce(connection: string, side: Side): Promise<number> {
    return this.polls.once(this.runtime(connection), side);
  }

  /** The reconcile is background work: it yields the budget to changes and discovery. */
  reconcile(connection?: string): Promise<number> {
    return withPriority('background', () => this.reconcileAll(connection));
  }

  /**
   * The reconcile on its schedule: links a pass has read on both sides since the last scheduled
   * run are skipped (they were read within the interval), and the rest are started evenly over
   * most of the interval instead of all at once, so the reads spread over it (background priority).
   */
  scheduledReconcile(): Promise<number> {
    const now = this.clock.now();
    const since = this.lastScheduledReconcile;
    this.lastScheduledReconcile = now;
    const plan = since === null ? {} : { readSince: since, spreadMs: 0.8 * (now - since) };
    return withPriority('background', () => this.reconcileAll(undefined, plan));
  }

  private async reconcileAll(connection?: string, plan: ReconcilePlan = {}): Promise<number> {
    const runtimes = connection ? [this.runtime(connection)] : this.connections.values();
    const { ledger, pauses, scheduler, runner, readLinks } = this;
    return reconcileLinks(
      { ledger, pauses, scheduler, runner, readLinks, stopped: this.stopped.signal },
      runtimes,
      plan,
    );
  }

  drift(options: DriftRunOptions = {}): Promise<DriftRunResult> {
    if (options.connection !== undefined) this.runtime(options.connection);
    return this.drifts.run(options);
  }

  async resync(linkId: string): Promise<PassOutcome> {
    const link = await this.ledger.getLink(linkId);
    if (!link) throw new NotFoundError(`no link ${linkId}`);
    const rt = this.runtime(link.connection);
    this.pauses.assertRunning(rt.name, `a resync of link ${linkId}`);
    const reason = 'a full resync was requested';
    await this.ledger.appendEvents([
      { connection: rt.name, linkId, side: null, field: null, kind: 'resync', oldValue: null, newValue: null, reason },
    ]);
    return this.runner.linkPass(rt, linkId, { force: true });
  }

  async resolveConflict(conflictId: string, take: Side): Promise<Conflict> {
    const conflict = await this.ledger.getConflict(conflictId);
    if (!conflict) throw new NotFoundError(`no conflict ${conflictId}`);
    this.pauses.assertRunning(conflict.connection, `resolving conflict ${conflictId}`);
    if (conflict.state !== 'open') {
      throw new ConflictUnresolvableError(
        `conflict ${conflictId} is already resolved (${conflict.resolution ?? 'no note'})`,
      );
    }
    await this.runner.linkPass(this.runtime(conflict.connection), conflict.linkId, {
      force: true,
      resolve: { conflictId, take },
    });
    return (await this.ledger.getConflict(conflictId))!;
  }

  async retryError(errorId: string): Promise<ErrorRecord> {
    const error = await this.ledger.getError(errorId);
    if (!error) throw new NotFoundError(`no error ${errorId}`);
    this.runtime(error.connection);
    this.pauses.assertRunning(error.connection, `a retry of error ${errorId}`);
    await this.retried([error]);
    return this.recovery.retryError(error);
  }

  async retryErrors(code?: string, connections?: readonly string[]): Promise<ErrorRecord[]> {
    return this.recovery.retryAll(code, connections, (errors) => this.retried(errors));
  }

  /** A person retried these errors: one event each, saying which (and, through the actor, who). */
  private retried(errors: readonly ErrorRecord[]): Promise<void> {
    return this.ledger.appendEvents(
      errors.map((e) => ({
        connection: e.connection,
        linkId: e.linkId,
        side: e.side,
        field: null,
        kind: 'error_retried' as const,
        oldValue: null,
        newValue: null,
        reason: `a person retried the ${e.code} error${e.ticketId ? ` on ticket ${e.ticketId}` : ''}`,
        data: { errorId: e.id, code: e.code },
      })),
    );
  }

  retryCleared(): Promise<number> {
    return this.recovery.retryCleared();
  }

  retryTransientErrors(): Promise<number> {
    return this.recovery.retryTransientErrors();
  }

  recoverIntents(minAgeMs?: number): Promise<number> {
    return this.recovery.recoverIntents(minAgeMs);
  }

  closeTwin(linkId: string): Promise<Link> {
    return this.linkAction(linkId, 'closing the twin', (rt) => closeTwin({ ledger: this.ledger }, rt, linkId));
  }

  unlink(linkId: string): Promise<Link> {
    return this.linkAction(linkId, null, (rt) => unlink({ ledger: this.ledger }, rt, linkId));
  }

  async dismissFlag(linkId: string): Promise<Link> {
    const link = await this.linkAction(linkId, 'dismissing the flag', (rt) =>
      dismissFlag({ ledger: this.ledger }, rt, linkId),
    );
    await this.runner.linkPass(this.runtime(link.connection), linkId, { force: true, hadErrors: true });
    return (await this.ledger.getLink(linkId))!;
  }

  async discover(connection?: string): Promise<Candidate[]> {
    const runtimes = connection === undefined ? [...this.connections.values()] : [this.runtime(connection)];
    const out: Candidate[] = [];
    for (const rt of runtimes) out.push(...(await discoverPairs(this.ledger, rt)));
    return out;
  }

  link(request: PairRequest, options: LinkOptions = {}): Promise<PairResult> {
    const { ledger, connections, pauses, scheduler } = this;
    const deps = {
      ledger,
      connections,
      assertRunning: (name: string, action: string) => pauses.assertRunning(name, action),
      exclusive: <T>(pool: string, key: string, fn: () => Promise<T>) => scheduler.exclusive(pool, key, fn),
    };
    return adoptPair(deps, request, options);
  }

  /** Runs a person's action on a link alone on it (no pass at the same time). */
  private async linkAction(
    linkId: string,
    what: string | null,
    fn: (rt: ConnectionRuntime) => Promise<Link>,
  ): Promise<Link> {
    const link = await this.ledger.getLink(linkId);
    if (!link) throw new NotFoundError(`no link ${linkId}`);
    const rt = this.runtime(link.connection);
    if (what !== null) this.pauses.assertRunning(rt.name, `${what} of link ${linkId}`);
    return this.scheduler.exclusive(rt.name, `link:${linkId}`, () => fn(rt));
  }

  async pause(connection: string, note: string | null = null): Promise<PauseState> {
    this.runtime(connection);
    const state = await this.pauses.pause(connection, note);
    this.logger.info({ connection, note }, 'connection paused');
    return state;
  }

  async resume(connection: string): Promise<void> {
    this.runtime(connection);
    await this.pauses.resume(connection);
    this.logger.info({ connection }, 'connection resumed');
    if (!this.timers.running) return;
    // Catch up from the cursors: whatever changed while paused is listed by these polls.
    await Promise.all((['a', 'b'] as const).map((side) => this.pollOnce(connection, side)));
  }

  pauseState(connection: string): PauseState | null {
    this.runtime(connection);
    return this.pauses.state(connection);
  }

  plan(connection?: string, listed?: (connection: string, side: Side) => void): Promise<PlannedChange[]> {
    const runtimes = connection ? [this.runtime(connection)] : this.connections.values();
    const deps = { ledger: this.ledger, clock: this.clock, overlapMs: this.overlapMs, ...(listed ? { listed } : {}) };
    return dryRun(deps, runtimes);
  }

  async status(): Promise<ConnectionStatus[]> {
    const out: ConnectionStatus[] = [];
    const deps = { ledger: this.ledger, clock: this.clock, pollStarted: this.polls.started };
    await this.pauses.refresh();
    for (const rt of this.connections.values())
      out.push({
        ...(await connectionStatus(deps, rt)),
        paused: this.pauses.state(rt.name),
        drift: await this.drifts.status(rt.name),
        firstSync: this.polls.firstSync(rt.name),
      });
    return out;
  }

  async checkSla(): Promise<number> {
    return (await this.slaRound()).breached;
  }

  /** Links to the tickets a trouble notice is about: its link's pair, or the one ticket it names. */
  private async noticeUrls(
    name: string,
    about: { linkId: string | null; side?: Side | null; ticketId?: string | null },
  ): Promise<Notice['links']> {
    const rt = this.connections.get(name);
    if (!rt) return {};
    if (about.linkId) return linkUrls(rt, await this.ledger.getLink(about.linkId));
    if (!about.side || !about.ticketId) return {};
    const url = await ticketUrlOf(rt, about.side, about.ticketId, null);
    return url ? { [about.side]: url } : {};
  }

  checkTrouble(): Promise<Notice[]> {
    return this.trouble.check();
  }

  private slaRound(): Promise<{ breached: number; nextDueMs: number | null }> {
    const { ledger, clock, connections: runtimes, scheduler } = this;
    const exclusive = <T>(connection: string, linkId: string, fn: () => Promise<T>): Promise<T> =>
      scheduler.exclusive(connection, `link:${linkId}`, fn);
    return slaRound({ ledger, clock, notifier: this.options.notifier, runtimes, exclusive }, this.pauses);
  }

  onIdle(): Promise<void> {
    return this.scheduler.onIdle();
  }

  async onSettled(): Promise<void> {
    // A held pass runs in the scheduler: idle again after it, and nothing it started is held.
    do {
      await this.scheduler.onIdle();
      await this.runner.settled();
      await this.scheduler.onIdle();
    } while (this.runner.holding > 0);
  }

  private runtime(name: string): ConnectionRuntime {
    const rt = this.connections.get(name);
    if (!rt) throw new NotFoundError(`no connection named "${name}"`);
    return rt;
  }
}
