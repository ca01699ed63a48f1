// Webhook hints coalesce instead of being dropped: a pass reads the ticket fresh, so while one is
// queued for a ticket, more hints for it need nothing; a hint that arrives while the pass runs may
// report an edit the pass read too early, so exactly one more pass follows. Thirty updates in a
// burst cost at most two passes, and the last edit is always read.

export class HintCoalescer {
  /** Per key: whether another pass is owed once the current one finishes. */
  private readonly running = new Map<string, { again: boolean }>();

  /**
   * Runs `pass` for `key` now, or folds this hint into the pass in flight. Resolves when the work
   * this hint asked for is done (or folded); never rejects: `onError` hears failures.
   */
  hint(
    key: string,
    pass: (folded: boolean) => Promise<void>,
    onError: (err: unknown) => void,
  ): 'scheduled' | 'coalesced' {
    const current = this.running.get(key);
    if (current) {
      current.again = true;
      return 'coalesced';
    }
    const state = { again: false };
    this.running.set(key, state);
    void (async () => {
      try {
        let folded = false;
        do {
          state.again = false;
          try {
            // A run owed to hints folded into this one carries no single delivery's version.
            await pass(folded);
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
