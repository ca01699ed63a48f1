// Per-key serialisation for passes. Two workers never touch the same link at once, and hints
// that arrive while a pass for the key is queued or running coalesce into one more run, so 20
// concurrent hints for a ticket cost at most two passes (and one write).

interface Entry {
  again: boolean;
  run: () => Promise<void>;
  done: Promise<void>;
}

export class KeyedSerializer {
  private readonly entries = new Map<string, Entry>();

  /** Runs `run` for `key`, or schedules one more run of the latest `run` if the key is busy. */
  schedule(key: string, run: () => Promise<void>): Promise<void> {
    const busy = this.entries.get(key);
    if (busy) {
      busy.again = true;
      busy.run = run;
      return busy.done;
    }
    const entry: Entry = { again: false, run, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await entry.run();
        } while (entry.again);
      } finally {
        this.entries.delete(key);
      }
    })();
    this.entries.set(key, entry);
    return entry.done;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A plain mutex per key: every caller runs, one at a time, in arrival order. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
