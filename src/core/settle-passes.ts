// Passes held until a version has settled. A poll lists a ticket the ledger has just recorded
// (the daemon's own write, or the edit it mirrored) again, and again through the overlap window,
// while its version is under SETTLE_MS old: equality is not trusted then (a one-second version
// hides a comment made later in the same second), so each such delivery used to cost a full pass.
// Now the first one schedules one normal pass of the link at the version's time + SETTLE_MS (and
// a margin), and later ones of the same kind join it. The pass reads both tickets like any other;
// when it runs, the ledger's versions are trusted from then on and the next listings cost nothing.
//
// Held passes live in memory only: one waiting when the engine stops is dropped, and the ledger
// still holds those versions unsettled, so the next listing of either ticket (the first poll after
// a start reaches back by the overlap window) or any other pass of the link does their work.
import type { Link } from './ledger/types.js';
import { PRIORITIES, type Priority } from './priority.js';
import type { ConnectionRuntime } from './runtime.js';
import { isUnlisted, seenVersion, settled, SETTLE_MS, stampOf, versionStep } from './sync/versions.js';
import type { Clock, Side, Ticket } from './types.js';

/** How long after SETTLE_MS a held pass runs: its commit must come after the settle time. */
export const SETTLE_MARGIN_MS = 250;

/**
 * The longest a delivery is held. A version stamped further ahead of this host (a system clock
 * far ahead) would hold its link for that long: its deliveries run passes at once, as before.
 */
export const HOLD_MAX_MS = 2 * SETTLE_MS;

export interface SettlePassesDeps {
  clock: Clock;
  /** The link as the ledger holds it now. */
  link(linkId: string): Promise<Link | null>;
  /** Runs a normal pass of the link for `side` at `priority` (the runner's link pass); never rejects. */
  pass(rt: ConnectionRuntime, linkId: string, side: Side, priority: Priority): Promise<unknown>;
}

interface Held {
  rt: ConnectionRuntime;
  linkId: string;
  side: Side;
  /** The sides whose held versions this pass is for. */
  sides: Set<Side>;
  dueMs: number;
  priority: Priority;
  timer?: NodeJS.Timeout;
  /** Ends its wait in `settled` (the pass ran, was not needed, or the engine stopped). */
  done: () => void;
}

/**
 * When a listed copy of a linked ticket may wait for a held pass instead of running one now (epoch
 * ms), or null: it must show the side exactly as the ledger holds it (version and mapped fields),
 * at a version not settled yet that settles within HOLD_MAX_MS from now.
 */
export function holdUntil(rt: ConnectionRuntime, link: Link, side: Side, ticket: Ticket, nowMs: number): number | null {
  if (ticket.listedAtMs === undefined || !ticket.inScope || ticket.deleted || link.state !== 'active') return null;
  const stored = side === 'a' ? link.aVersion : link.bVersion;
  if (stored === null || seenVersion(rt.fields, side, ticket) !== stored) return null;
  const stepMs = stepOf(rt, side);
  if (settled(link.updatedAt, ticket.version, stepMs)) return null;
  // The first moment `settled` holds for the version (sync/versions.ts), and the margin.
  const dueMs = Date.parse(ticket.version) + Math.min(SETTLE_MS, 3 * stepMs) + SETTLE_MARGIN_MS;
  // Settled by the clock already (a restart): the pass that records it as such runs now.
  return dueMs > nowMs && dueMs - nowMs <= HOLD_MAX_MS ? dueMs : null;
}

/** The step of a side's versions (ConnectorFacts.versionStepMs). */
function stepOf(rt: ConnectionRuntime, side: Side): number {
  return versionStep(rt.sides[side].connector.facts);
}

/** The held passes, at most one per link. */
export class SettlePasses {
  private readonly held = new Map<string, Held>();
  /** Each held pass until it has run (or was dropped). */
  private readonly waits = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: SettlePassesDeps) {}

  /** Held passes waiting. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Takes a listed copy into the link's held pass (scheduling one when none waits); false when
   * the delivery needs a pass now (`holdUntil`) or the engine is stopping.
   */
  hold(rt: ConnectionRuntime, link: Link, side: Side, ticket: Ticket, priority: Priority): boolean {
    if (this.stopped) return false;
    const dueMs = holdUntil(rt, link, side, ticket, this.deps.clock.now());
    if (dueMs === null) return false;
    const key = `${rt.name}\u0000${link.id}`;
    const held = this.held.get(key);
    if (!held) {
      let done!: () => void;
      const wait = new Promise<void>((resolve) => (done = resolve));
      this.waits.add(wait);
      void wait.then(() => this.waits.delete(wait));
      const entry: Held = { rt, linkId: link.id, side, sides: new Set([side]), dueMs, priority, done };
      this.held.set(key, entry);
      this.arm(key, entry);
      return true;
    }
    held.sides.add(side);
    if (PRIORITIES.indexOf(priority) < PRIORITIES.indexOf(held.priority)) held.priority = priority;
    if (dueMs > held.dueMs) {
      held.dueMs = dueMs;
      clearTimeout(held.timer);
      this.arm(key, held);
    }
    return true;
  }

  /**
   * Resolves when no pass is held and none is running (tests and benchmarks: the engine's idle
   * wait does not wait for a version's settle time).
   */
  async settled(): Promise<void> {
    while (this.waits.size > 0) await Promise.all([...this.waits]);
  }

  /** Drops every held pass (the engine stops); one already running is left to finish. */
  stop(): void {
    this.stopped = true;
    for (const held of this.held.values()) {
      clearTimeout(held.timer);
      held.done();
    }
    this.held.clear();
  }

  private arm(key: string, held: Held): void {
    // The pass runs when the timer fires, whatever a hand-moved test clock says by then.
    held.timer = setTimeout(() => void this.fire(key, held), Math.max(0, held.dueMs - this.deps.clock.now()));
    held.timer.unref(); // a held pass never keeps the process alive
  }

  private async fire(key: string, held: Held): Promise<void> {
    if (this.held.get(key) !== held) return;
    this.held.delete(key);
    try {
      if ((await this.needed(held)) && !this.stopped)
        await this.deps.pass(held.rt, held.linkId, held.side, held.priority);
    } finally {
      held.done();
    }
  }

  /** Whether the pass is still needed: a pass that ran meanwhile may have left every held side settled. */
  private async needed(held: Held): Promise<boolean> {
    let link: Link | null;
    try {
      link = await this.deps.link(held.linkId);
    } catch {
      return true; // the ledger did not answer: the pass meets it and records the error
    }
    if (!link || link.state !== 'active') return false;
    // A version recorded while its comments went unlisted (pass.ts keepUntrusted) is not trusted either.
    const untrusted = (stored: string | null): boolean => isUnlisted(stored ?? '');
    return [...held.sides].some((s) => {
      const stored = s === 'a' ? link.aVersion : link.bVersion;
      return untrusted(stored) || !settled(link.updatedAt, stampOf(stored ?? ''), stepOf(held.rt, s));
    });
  }
}
