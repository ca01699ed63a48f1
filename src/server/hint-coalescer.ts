// Webhook hints coalesce instead of being dropped: a pass reads the ticket fresh, so while one is
// queued for a ticket, more hints for it need nothing; a hint that arrives while the pass runs may
// report an edit the pass read too early, so exactly one more pass follows. Thirty updates in a
// burst cost at most two passes, and the last edit is always read. What the folded hints say moved
// (`moved`, WebhookHint) is merged: the run they owe says "fields" or "comments" only when every
// one of them said so, and "anything" (undefined) otherwise. What each reported that the ledger
// can check (`delivered`: its version, the comment it announced) is kept for the run they owe, so
// a run owed only to news the ledger already holds costs no call (pass.ts deliveriesHeld).
import { type Delivered, foldDelivered, mergeMoved, type Moved } from '../core/types.js';

interface Running {
  /** Whether another pass is owed once the current one finishes. */
  again: boolean;
  /** What the hints folded since the current run started say moved. */
  moved: Moved | undefined;
  /** What the hints folded since the current run started reported (undefined: something unchecked). */
  delivered: Delivered[] | undefined;
}

export class HintCoalescer {
  private readonly running = new Map<string, Running>();

  /**
   * Runs `pass` for `key` now, or folds this hint into the pass in flight. Resolves when the work
   * this hint asked for is done (or folded); never rejects: `onError` hears failures.
   */
  hint(
    key: string,
    pass: (folded: boolean, moved: Moved | undefined, delivered: Delivered[] | undefined) => Promise<void>,
    onError: (err: unknown) => void,
    moved?: Moved,
    delivered?: Delivered[],
  ): 'scheduled' | 'coalesced' {
    const current = this.running.get(key);
    if (current) {
      current.moved = current.again ? mergeMoved(current.moved, moved) : moved;
      current.delivered = current.again ? foldDelivered(current.delivered, delivered) : delivered;
      current.again = true;
      return 'coalesced';
    }
    const state: Running = { again: false, moved, delivered };
    this.running.set(key, state);
    void (async () => {
      try {
        let folded = false;
        do {
          state.again = false;
          try {
            // A run owed to hints folded into this one carries no single delivery's version.
            await pass(folded, state.moved, state.delivered);
            folded = true;
          } catch (err) {
            onError(err);
          }
        } while (state.again);
      } finally {
        this.running.delete(key);
      }
    })();
    return 'scheduled';
  }

  get size(): number {
    return this.running.size;
  }
}
