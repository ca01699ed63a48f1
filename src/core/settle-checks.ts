// Deferred comment checks. A ticket version of one second (Freshservice, ConnectWise) does not
// move for a comment made later in that same second, so the ledger trusts an unchanged version
// only once it has listed the ticket's comments SETTLE_MS after it (versions.ts `settled`). A
// delivery (a poll's listing copy, a webhook read) that shows a ticket exactly as the ledger holds
// it, inside that window, no longer costs a pass each: it is folded into one check per link, run
// once every version the ledger holds for the link is past the window. The check lists comments
// only on the sides not settled yet, and runs a pass only when it finds one the ledger does not
// know (pass.ts `settleCheck`).
//
// Nothing of this is kept in the ledger: a check waiting when the daemon stops is gone, but the
// ledger still holds those versions unsettled, so the next delivery of either ticket (the catch-up
// listing reaches back by the overlap window) or any pass of the link lists those comments again.
import type { ConnectionRuntime } from './runtime.js';
import type { Clock } from './types.js';

interface Pending {
  rt: ConnectionRuntime;
  linkId: string;
  dueMs: number;
  timer: NodeJS.Timeout | null;
}

export class SettleChecks {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Runs the check of one link; answers a later due time when it is not due yet, else null. */
    private readonly run: (rt: ConnectionRuntime, linkId: string) => Promise<number | null>,
  ) {}

  /**
   * One check of the link's unsettled comments at `dueMs` or later. A check already waiting for
   * the link takes this one in (the later due time of the two).
   */
  defer(rt: ConnectionRuntime, linkId: string, dueMs: number): void {
    if (this.stopped || Number.isNaN(dueMs)) return;
    const key = `${rt.name}\u0000${linkId}`;
    const held = this.pending.get(key);
    if (held && held.dueMs >= dueMs) return;
    if (held?.timer) clearTimeout(held.timer);
    const entry: Pending = held ?? { rt, linkId, dueMs, timer: null };
    entry.dueMs = dueMs;
    this.pending.set(key, entry);
    this.arm(key, entry);
  }

  /** Runs every check due now (their timers do this on their own); how many ran. */
  async runDue(): Promise<number> {
    const due = [...this.pending.entries()].filter(([, p]) => p.dueMs <= this.clock.now());
    await Promise.all(due.map(([key]) => this.fire(key)));
    return due.length;
  }

  /** Checks waiting or running. */
  get size(): number {
    return this.pending.size + this.running.size;
  }

  /** Drops every waiting check (the engine stops); a running one is left to finish. */
  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
  }

  private arm(key: string, entry: Pending): void {
    // A timer that fires early (a clock moved by hand, or not at all) looks again later.
    const delay = Math.min(Math.max(entry.dueMs - this.clock.now(), 0) + 5, 60_000);
    entry.timer = setTimeout(() => void this.fire(key), delay);
    entry.timer.unref();
  }

  private async fire(key: string): Promise<void> {
    const entry = this.pending.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    if (entry.dueMs > this.clock.now()) {
      this.arm(key, entry);
      return;
    }
    this.pending.delete(key);
    const run = this.run(entry.rt, entry.linkId).then(
      (later) => {
        if (later !== null) this.defer(entry.rt, entry.linkId, later);
      },
      () => undefined, // the runner records a failed check as the link's error
    );
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }
}
