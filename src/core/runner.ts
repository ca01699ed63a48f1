// Turns a hint ("ticket X on side a changed") into the right pass under the scheduler's guards:
// a link pass when the ticket is linked, else a create pass (then a first link pass to copy the
// comments already there). Every failure becomes a visible error record; a hint never rejects.
import { wakeArchived } from './archive.js';
import { describeError, LeaseBusyError, NotFoundError } from './errors.js';
import type { Ledger } from './ledger/types.js';
import {
  createPass,
  linkPass,
  recordPassError,
  type EngineObserver,
  type PassDeps,
  type PassOptions,
  type PassOutcome,
} from './pass.js';
import { currentPriority, withPriority } from './priority.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Scheduler } from './scheduler.js';
import { SettlePasses } from './settle-passes.js';
import {
  type Delivered,
  foldDelivered,
  mergeMoved,
  otherSide,
  type Logger,
  type Moved,
  type Side,
  type Ticket,
} from './types.js';

export interface RunnerDeps extends PassDeps {
  scheduler: Scheduler;
  logger: Logger;
  /** Whether a connection is paused: its passes are skipped (hints are dropped; the cursor catches up). */
  paused?: (connection: string) => boolean;
}

type Subject = { linkId: string | null; side: Side | null; ticketId: string | null };

export class Runner {
  /** Poll deliveries of versions the ledger holds but does not trust yet: one held pass per link. */
  private readonly settling: SettlePasses;
  /**
   * Per ticket key, what the hints waiting for its next run say moved: merged as they fold (a set
   * that disagrees says anything), taken by the run when it starts.
   */
  private readonly owed = new Map<string, { moved: Moved | undefined; delivered: Delivered[] | undefined }>();

  constructor(private readonly deps: RunnerDeps) {
    this.settling = new SettlePasses({
      clock: deps.clock,
      link: (linkId) => deps.ledger.getLink(linkId),
      pass: (rt, linkId, side, priority) =>
        withPriority(priority, () => this.linkPass(rt, linkId, { side })).catch(() => undefined), // recorded
    });
  }

  /** Drops the held passes (the engine stops); passes already running finish. */
  stop(): void {
    this.settling.stop();
  }

  /** Held passes waiting (settle-passes.ts). */
  get holding(): number {
    return this.settling.size;
  }

  /** Resolves when no held pass waits or runs (settle-passes.ts). */
  settled(): Promise<void> {
    return this.settling.settled();
  }

  private get ledger(): Ledger {
    return this.deps.ledger;
  }

  private get observer(): EngineObserver {
    return this.deps.observer;
  }

  /**
   * A hint that a ticket changed: coalesced per ticket; resolves when its pass has run, or, for a
   * poll's copy of a linked ticket as the ledger holds it inside SETTLE_MS, when the link's held
   * pass is scheduled (settle-passes.ts; `Engine.onSettled` waits for it). `version`:
   * what a webhook reported (its own write's echo costs no call); hints folded into one more run
   * keep the last hint's version, and the echo is used up once. `moved`: what a webhook said moved
   * (WebhookHint); hints folded into one run say it only when they all agree. `delivered`: what
   * the deliveries behind the hint reported that the ledger can check (Delivered), kept for every
   * hint folded into the run.
   */
  hint(
    rt: ConnectionRuntime,
    side: Side,
    ticketId: string,
    given?: Ticket,
    force = false,
    version?: string,
    moved?: Moved,
    delivered?: Delivered[],
  ): Promise<void> {
    if (this.deps.paused?.(rt.name)) return Promise.resolve();
    // A coalesced run may start from another caller's continuation: it keeps this hint's priority.
    const priority = currentPriority();
    const key = `${rt.name}:${side}:${ticketId}`;
    const waiting = this.owed.get(key);
    this.owed.set(key, {
      moved: waiting ? mergeMoved(waiting.moved, moved) : moved,
      delivered: waiting ? foldDelivered(waiting.delivered, delivered) : delivered,
    });
    return this.deps.scheduler.coalesce(key, () => {
      const owed = this.owed.get(key);
      this.owed.delete(key);
      const hinted = { given, force, version, moved: owed?.moved, delivered: owed?.delivered };
      return withPriority(priority, () => this.ticketPass(rt, side, ticketId, hinted)).catch((err: unknown) => {
        // Already recorded as an error; a hint never rejects.
        this.deps.logger.debug(
          { connection: rt.name, side, ticketId, err: describeError(err) },
          'pass ended with an error',
        );
      });
    });
  }

  /** One pass over a link, alone on it; a failure is recorded and rethrown. */
  async linkPass(rt: ConnectionRuntime, linkId: string, options: PassOptions): Promise<PassOutcome> {
    if (this.deps.paused?.(rt.name)) return 'skipped';
    return this.leaseRefused(rt, { linkId, side: null, ticketId: null }, () =>
      this.deps.scheduler.exclusive(rt.name, `link:${linkId}`, async () => {
        const snap = await this.ledger.snapshot(linkId);
        if (!snap) throw new NotFoundError(`no link ${linkId}`);
        try {
          const outcome = await linkPass(this.deps, rt, snap, options);
          this.observer.pass?.(rt.name, outcome);
          rt.logger.debug({ linkId, outcome, force: options.force ?? false }, 'link pass');
          return outcome;
        } catch (err) {
          this.observer.pass?.(rt.name, 'error');
          await recordPassError(this.deps, rt, { linkId, side: null, ticketId: null }, err);
          throw err;
        }
      }),
    );
  }

  private async ticketPass(
    rt: ConnectionRuntime,
    side: Side,
    ticketId: string,
    hinted: {
      given: Ticket | undefined;
      force: boolean;
      version: string | undefined;
      moved: Moved | undefined;
      delivered: Delivered[] | undefined;
    },
  ): Promise<void> {
    const { given, force, version } = hinted;
    const echo = version === undefined || force ? {} : { version };
    const said = {
      ...(hinted.moved === undefined || force ? {} : { moved: hinted.moved }),
      ...(hinted.delivered === undefined || force ? {} : { delivered: hinted.delivered }),
    };
    const link = await this.ledger.findLink(rt.name, side, ticketId);
    if (link) {
      const woke =
        link.state === 'archived' && (await wakeArchived(this.ledger, rt, link, side, given, this.deps.clock.now()));
      if (link.state !== 'active' && !woke) return; // unlinked, closed or flagged links are never recreated
      if (given && !force && this.settling.hold(rt, link, side, given, currentPriority())) return;
      const options = { side, force, ...echo, ...said };
      await this.linkPass(rt, link.id, given ? { ticket: given, ...options } : options);
      return;
    }
    // A twin this daemon has just created, reported by its create's webhook before the link is
    // committed (or before the create answered: it is waited for): the create pass holds it as
    // answered (echoes.ts).
    if (echo.version !== undefined && this.deps.echoes) {
      await this.deps.echoes.createsEnded(rt.name, side);
      if (this.deps.echoes.take(rt.name, side, ticketId, echo.version)) return;
    }
    // A link pass found inside the ticket guard runs after it: nesting it would wait for a second
    // slot while holding one, and a burst of such passes deadlocks every slot.
    const late: { linkId?: string; options?: PassOptions } = {};
    await this.leaseRefused(rt, { linkId: null, side, ticketId }, () =>
      this.deps.scheduler.exclusive(rt.name, `ticket:${rt.name}:${side}:${ticketId}`, async () => {
        try {
          const ticket = given ?? (await rt.sides[side].connector.getTicket(ticketId));
          // The link may have appeared while this pass waited (a concurrent create committed it).
          const linked = await this.ledger.findLink(rt.name, side, ticketId);
          if (linked) {
            if (linked.state === 'active') late.linkId = linked.id;
            late.options = { ticket, side, force, ...echo };
            return;
          }
          const created = await createPass(this.deps, rt, side, ticket);
          this.observer.pass?.(rt.name, created.outcome);
          if (created.linkId !== null) {
            if (created.outcome === 'created')
              rt.logger.info({ side, ticketId, linkId: created.linkId }, 'twin created');
            // Comments already on the source are copied by a first link pass, under the link's
            // claim. After a create it reads nothing: the source was read just now and the twin is
            // as its create answered; only the source's comments are listed (the twin has none yet).
            late.linkId = created.linkId;
            const twin = created.twin;
            late.options = twin
              ? { ticket, side, force: true, known: { [side]: ticket, [otherSide(side)]: twin }, commentsOn: [side] }
              : { ticket, side, force: true };
          } else rt.logger.debug({ side, ticketId, outcome: created.outcome }, 'ticket pass');
        } catch (err) {
          if (err instanceof NotFoundError && !given) return; // hinted ticket is gone and was never linked
          this.observer.pass?.(rt.name, 'error');
          await recordPassError(this.deps, rt, { linkId: null, side, ticketId }, err);
        }
      }),
    );
    if (late.linkId !== undefined && late.options) await this.linkPass(rt, late.linkId, late.options);
  }

  /** Records a lease refusal as a retryable error so the retry loop takes the work up again. */
  private async leaseRefused<T>(rt: ConnectionRuntime, subject: Subject, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof LeaseBusyError) await recordPassError(this.deps, rt, subject, err);
      throw err;
    }
  }
}
