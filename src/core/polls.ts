// The poll wiring: one poll of a side at a time, the pause check, the first round after a start
// (catch-up.ts), each changed ticket handed to the runner at its priority, unparseable entries
// parked as errors, and when each side's last clean listing started (status reads it). The
// listing itself and the cursor are poller.ts.
import { CatchUp, type FirstSyncProgress, type RoundHooks } from './catch-up.js';
import { errorCode } from './errors.js';
import type { Ledger } from './ledger/types.js';
import type { EngineObserver } from './pass.js';
import type { Pauses } from './pauses.js';
import { pollSide } from './poller.js';
import { withPriority } from './priority.js';
import type { Runner } from './runner.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Clock, Side } from './types.js';

export interface PollsDeps {
  ledger: Ledger;
  clock: Clock;
  observer: EngineObserver;
  runner: Runner;
  pauses: Pauses;
  runtimes: ReadonlyMap<string, ConnectionRuntime>;
  overlapMs: number;
  firstSyncProgress?: ((progress: FirstSyncProgress) => void) | undefined;
}

export class Polls {
  /** When each side's last poll without a listing error started, by `connection:side`. */
  readonly started = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly catchUps: Map<string, CatchUp>;

  constructor(private readonly deps: PollsDeps) {
    const { ledger, clock, firstSyncProgress } = deps;
    this.catchUps = new Map(
      [...deps.runtimes.values()].map((rt) => [
        rt.name,
        new CatchUp({
          ledger,
          clock,
          rt,
          poll: (side, hooks) => this.side(rt, side, hooks),
          ...(firstSyncProgress ? { progress: firstSyncProgress } : {}),
        }),
      ]),
    );
  }

  /** The first sync (or catch-up round) of a connection as it stands. */
  firstSync(connection: string): FirstSyncProgress | null {
    return this.catchUps.get(connection)!.report();
  }

  /** Polls one side once (nothing while the connection is paused); how many tickets it handed to passes. */
  async once(rt: ConnectionRuntime, side: Side): Promise<number> {
    // A pause may come from another process (the CLI) or instance: the ledger says.
    await this.deps.pauses.refresh();
    if (this.deps.pauses.isPaused(rt.name)) return 0; // the cursor stays: resuming catches up from it
    // The first poll after a start lists both sides before any pass (catch-up.ts).
    const catchUp = this.catchUps.get(rt.name)!;
    if (catchUp.pending) return catchUp.run();
    return this.side(rt, side);
  }

  private async side(rt: ConnectionRuntime, side: Side, round?: RoundHooks): Promise<number> {
    const connection = rt.name;
    const key = `${connection}:${side}`;
    if (this.running.has(key)) return 0;
    this.running.add(key);
    const { ledger, clock, overlapMs, runner, observer } = this.deps;
    const startedAt = clock.now();
    try {
      // The listing is discovery; a pass for what it found is a change people wait for, unless
      // the ticket was listed again only by the overlap window (background).
      const { handed, error } = await withPriority('discovery', () =>
        pollSide(
          {
            ledger,
            clock,
            logger: rt.logger,
            overlapMs,
            changed: async (ticket, overlap) => {
              round?.seen(ticket);
              await round?.gate;
              await withPriority(overlap ? 'background' : 'change', () => runner.hint(rt, side, ticket.id, ticket));
              round?.passed();
            },
            invalid: (id, reason) => this.parkInvalid(rt, side, id, reason),
            ...(round ? { listed: (error: unknown) => round.listed(error) } : {}),
          },
          connection,
          side,
          rt.sides[side].connector,
        ),
      );
      if (error === null) this.started.set(key, startedAt);
      else observer.error?.(connection, errorCode(error));
      return handed;
    } finally {
      this.running.delete(key);
    }
  }

  private async parkInvalid(rt: ConnectionRuntime, side: Side, id: string, reason: string): Promise<void> {
    const message = `${rt.sides[side].label} ticket ${id}: ${reason}`;
    // A linked ticket's error carries its link: the link's next clean pass resolves it.
    const link = await this.deps.ledger.findLink(rt.name, side, id);
    await this.deps.ledger.recordError({
      connection: rt.name,
      linkId: link?.id ?? null,
      side,
      ticketId: id,
      code: 'payload_invalid',
      message,
      retryable: false,
    });
    this.deps.observer.error?.(rt.name, 'payload_invalid');
  }
}
