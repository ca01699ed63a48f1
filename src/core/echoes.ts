// The daemon's own writes as the target answered them. When the target's webhook reports a ticket
// at exactly the version the daemon's last write there answered with, that delivery is the write's
// own echo: it is acknowledged without a call. Each write expects one delivery; the expectation is
// used up by the first one, so a second delivery at the same version (a person's edit or comment
// in the same second, on systems whose versions count whole seconds) runs a full pass. Reading the
// ticket again forgets the expectation (anything reported after a read may be newer than it).
//
// Assumption (connector readmes): each system sends one delivery per change, changes made through
// the API included (Freshservice Workflow Automator "ticket is updated" by anyone, ConnectWise
// ticket callbacks, Jira issue webhooks). A system that sent none for the daemon's write would let
// the expectation catch a person's edit made in that same second; the expectation therefore lives
// only `ttlMs`, and the next poll listing or reconcile reads the ticket anyway.
import type { Clock, Side } from './types.js';

interface Expected {
  versionMs: number;
  atMs: number;
}

export class EchoBook {
  private readonly entries = new Map<string, Expected>();
  /** Creates under way per connection and side: they end once their answer is expected. */
  private readonly creating = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}

  /** The daemon wrote `ticketId` on `side` and the answer showed `version`. */
  expect(connection: string, side: Side, ticketId: string, version: string): void {
    const versionMs = Date.parse(version);
    const key = keyOf(connection, side, ticketId);
    this.entries.delete(key);
    if (Number.isNaN(versionMs)) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { versionMs, atMs: this.clock.now() });
  }

  /** The ticket was read again: a later delivery at the same version may be someone else's change. */
  forget(connection: string, side: Side, ticketId: string): void {
    this.entries.delete(keyOf(connection, side, ticketId));
  }

  /** Whether a delivery at `version` is the echo of the daemon's last write there; uses it up. */
  take(connection: string, side: Side, ticketId: string, version: string): boolean {
    const key = keyOf(connection, side, ticketId);
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    return this.clock.now() - entry.atMs <= this.ttlMs && Date.parse(version) === entry.versionMs;
  }

  /**
   * A create onto `side` is under way; call the returned function once its answer is expected
   * (or it failed). A target's webhook for the new ticket may come before the create answered
   * (Freshservice's automator and ConnectWise's callback fire on the change itself, and the create
   * can make more calls after its POST), when there is neither an expectation nor a link for it.
   */
  startCreate(connection: string, side: Side): () => void {
    const key = `${connection}\u0000${side}`;
    let end!: () => void;
    const done = new Promise<void>((resolve) => (end = resolve));
    const running = this.creating.get(key) ?? new Set<Promise<void>>();
    running.add(done);
    this.creating.set(key, running);
    return () => {
      running.delete(done);
      if (running.size === 0 && this.creating.get(key) === running) this.creating.delete(key);
      end();
    };
  }

  /**
   * Resolves once the creates onto `side` under way now have ended, so a delivery for an unknown
   * ticket there can tell whether it is a new twin's echo (`take`) before reading it.
   */
  async createsEnded(connection: string, side: Side): Promise<void> {
    const running = this.creating.get(`${connection}\u0000${side}`);
    if (running) await Promise.all([...running]);
  }

  get size(): number {
    return this.entries.size;
  }
}

function keyOf(connection: string, side: Side, ticketId: string): string {
  return `${connection}\u0000${side}\u0000${ticketId}`;
}
