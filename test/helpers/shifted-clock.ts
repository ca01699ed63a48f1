// A clock that runs at real speed from a chosen instant and can jump ahead: the daemon and the
// simulators see "Monday 19:00 in London" whatever the test machine's time, versions still move
// on every change, and an SLA's due time is reached by a jump rather than a wait.
import type { Clock } from '../../src/core/types.js';

export class ShiftedClock implements Clock {
  private offsetMs: number;

  constructor(startMs: number) {
    this.offsetMs = startMs - Date.now();
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves time forward by `ms` at once. */
  jump(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ShiftedClock.jump: expected ms >= 0, got ${ms}`);
    this.offsetMs += ms;
  }
}
