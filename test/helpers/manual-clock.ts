// A clock tests move by hand: simulators and connectors given one see time pass only when the
// test says so, so waiting for a vendor's index lag or Retry-After costs no real time.
import type { Clock } from '../../src/core/types.js';

export class ManualClock implements Clock {
  private ms: number;

  /** Starts at `startMs` (default: the real time now, so timestamps look current). */
  constructor(startMs: number = Date.now()) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: expected ms >= 0, got ${ms}`);
    this.ms += ms;
  }
}
