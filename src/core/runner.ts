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
import type { Logger, Side, Ticket } from './types.js';

export interface RunnerDeps extends PassDeps {
  scheduler: Scheduler;
  logger: Logger;
  /** Whether a connection is paused: its passes are skipped (hints are dropped; the cursor catches up). */
  paused?: (connection: string) => boolean;
}

type Subject = { linkId: string | null; side: Side | null; ticketId: string | null };

export class Runner {
  constructor(private readonly deps: RunnerDeps) {}

  private get ledger(): Ledger {
    return this.deps.ledger;
  }

  private get observer(): EngineObserver {
    return this.deps.observer;
  }

  /** A hint that a ticket changed: coalesced per ticket; resolves when its pass has run. */
  hint(rt: ConnectionRuntime, side: Side, ticketId: string, given?: Ticket, force = false): Promise<void> {
    if (this.deps.paused?.(rt.name)) return Promise.resolve();
    // A coalesced run may start from another caller's continuation: it keeps this hint's priority.
    const priority = currentPriority();
    return this.deps.scheduler.coalesce(`${rt.name}:${side}:${ticketId}`, () =>
      withPriority(priority, () => this.ticketPass(rt, side, ticketId, given, force)).catch((err: unknown) => {
        // Already recorded as an error; a hint never rejects.
        this.deps.logger.debug(
          { connection: rt.name, side, ticketId, err: describeError(err) },
          'pass ended with an error',
        );
      }),
    );
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
    given: Ticket | undefined,
    force: boolean,
  ): Promise<void> {
    const link = await this.ledger.findLink(rt.name, side, ticketId);
    if (link) {
      const woke = link.state === 'archived' && (await wakeArchived(this.ledger, rt, link, side, given));
      if (link.state !== 'active' && !woke) return; // unlinked, closed or flagged links are never recreated
      await this.linkPass(rt, link.id, given ? { ticket: given, side, force } : { side, force });
      return;
    }
    // A link pass found inside the ticket guard runs after it: nesting it would wait for a second
    // slot while holding one, and a burst of such passes deadlocks every slot.
    const late: { linkId?: string; ticket?: Ticket; force?: boolean } = {};
    await this.leaseRefused(rt, { linkId: null, side, ticketId }, () =>
      this.deps.scheduler.exclusive(rt.name, `ticket:${rt.name}:${side}:${ticketId}`, async () => {
        try {
          const ticket = given ?? (await rt.sides[side].connector.getTicket(ticketId));
          // The link may have appeared while this pass waited (a concurrent create committed it).
          const linked = await this.ledger.findLink(rt.name, side, ticketId);
          if (linked) {
            if (linked.state === 'active') Object.assign(late, { linkId: linked.id, ticket });
            return;
          }
          const created = await createPass(this.deps, rt, side, ticket);
          this.observer.pass?.(rt.name, created.outcome);
          if (created.linkId !== null) {
            if (created.outcome === 'created')
              rt.logger.info({ side, ticketId, linkId: created.linkId }, 'twin created');
            // Comments already on the source are copied by a first link pass, under the link's claim.
            Object.assign(late, { linkId: created.linkId, ticket, force: true });
          } else rt.logger.debug({ side, ticketId, outcome: created.outcome }, 'ticket pass');
        } catch (err) {
          if (err instanceof NotFoundError && !given) return; // hinted ticket is gone and was never linked
          this.observer.pass?.(rt.name, 'error');
          await recordPassError(this.deps, rt, { linkId: null, side, ticketId }, err);
        }
      }),
    );
    if (late.linkId !== undefined && late.ticket) {
      await this.linkPass(rt, late.linkId, { ticket: late.ticket, side, force: force || (late.force ?? false) });
    }
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
