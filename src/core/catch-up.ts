// The first poll round of a connection after the engine starts (its first sync, when the ledger
// has no cursor yet): both sides are listed before any ticket's pass runs, so every ticket that
// carries one of the connection's markers is known before a create could make a second twin
// (twins.ts). The listings are the polls themselves, so the round costs no extra call. It also
// counts what it hands on, which /status, the dashboard and `run` show as progress.
import type { Ledger } from './ledger/types.js';
import type { ConnectionRuntime } from './runtime.js';
import { indexTwin, type TwinIndex } from './twins.js';
import type { Clock, Side, Ticket } from './types.js';

/** Progress of a connection's first sync (or of the catch-up round after a restart). */
export interface FirstSyncProgress {
  connection: string;
  /** `first sync`: the ledger had no cursor; `catch-up`: the first round after a restart. */
  kind: 'first sync' | 'catch-up';
  state: 'listing' | 'syncing' | 'done';
  /** Tickets the listings found (so far, while listing). */
  total: number;
  /** Tickets whose pass has run. */
  done: number;
  startedAt: string;
  /** Estimated time left from the pace so far; null until a pass has run. */
  etaMs: number | null;
  /** One line for people: "fs-cw first sync: 340 of 1,200 tickets, about 2 min left". */
  text: string;
}

/** What the round needs from the poller: the listing's start and end, each ticket, each pass done. */
export interface RoundHooks {
  seen(ticket: Ticket): void;
  /** Resolves once both listings have ended: a pass waits for it. */
  gate: Promise<void>;
  passed(): void;
  listed(error: unknown): void;
}

export interface CatchUpDeps {
  ledger: Ledger;
  clock: Clock;
  rt: ConnectionRuntime;
  /** Polls one side with the round's hooks; resolves with how many tickets it handed on. */
  poll(side: Side, hooks: RoundHooks): Promise<number>;
  /** Told on every change of the progress (callers throttle). */
  progress?: (progress: FirstSyncProgress) => void;
}

const count = (n: number): string => n.toLocaleString('en-US');

function timeLeft(ms: number): string {
  if (ms < 60_000) return 'under a minute left';
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `about ${minutes} min left` : `about ${Math.round(minutes / 60)} h left`;
}

/** The line people read for a progress report. */
export function progressText(p: Omit<FirstSyncProgress, 'text'>): string {
  const head = `${p.connection} ${p.kind}:`;
  if (p.state === 'listing') return `${head} listing tickets on both sides (${count(p.total)} so far)`;
  if (p.state === 'done') return `${head} ${count(p.total)} of ${count(p.total)} tickets, done`;
  const eta = p.etaMs === null ? 'estimating time left' : timeLeft(p.etaMs);
  return `${head} ${count(p.done)} of ${count(p.total)} tickets, ${eta}`;
}

export class CatchUp {
  private running: Promise<number> | null = null;
  private finished = false;
  /** Sides listed completely from their cursors in some round: their absent markers mean no twin. */
  private readonly trusted: Record<Side, boolean> = { a: false, b: false };
  private readonly byMarker: TwinIndex['byMarker'] = new Map();
  private state: Omit<FirstSyncProgress, 'text' | 'etaMs'> | null = null;
  private syncingSinceMs = 0;

  constructor(private readonly deps: CatchUpDeps) {}

  /** Whether the connection still has its first round to run (or to finish after a failed listing). */
  get pending(): boolean {
    return !this.finished;
  }

  /** Runs the round (callers arriving meanwhile share it); resolves with the tickets handed on. */
  run(): Promise<number> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The progress as it stands, or null before the first round. */
  report(): FirstSyncProgress | null {
    if (!this.state) return null;
    const s = this.state;
    const elapsed = this.deps.clock.now() - this.syncingSinceMs;
    const etaMs =
      s.state === 'syncing' && s.done > 0
        ? Math.round((elapsed / s.done) * (s.total - s.done))
        : s.state === 'done'
          ? 0
          : null;
    const base = { ...s, etaMs };
    return { ...base, text: progressText(base) };
  }

  private changed(): void {
    const report = this.report();
    if (report) this.deps.progress?.(report);
  }

  private async round(): Promise<number> {
    const { ledger, rt, clock } = this.deps;
    const cursors = await Promise.all([ledger.getCursor(rt.name, 'a'), ledger.getCursor(rt.name, 'b')]);
    const first = cursors.some((c) => c.since === null);
    // A ledger from before first syncs were recorded counts as having synced until now.
    const recorded = (await ledger.firstSync(rt.name)) ?? (await ledger.startFirstSync(rt.name));
    let ended = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const index: TwinIndex = { byMarker: this.byMarker, complete: { ...this.trusted }, listed: gate };
    rt.twins = index;
    const startedAt = first ? recorded.startedAt : new Date(clock.now()).toISOString();
    this.state = {
      connection: rt.name,
      kind: first ? 'first sync' : 'catch-up',
      state: 'listing',
      total: 0,
      done: 0,
      startedAt,
    };
    const state = this.state;
    const hooks = (side: Side): RoundHooks => {
      let ends = false;
      return {
        gate,
        seen: (ticket) => {
          indexTwin(index, rt.name, side, ticket);
          state.total++;
        },
        passed: () => {
          state.done++;
          this.changed();
        },
        listed: (error) => {
          if (ends) return;
          ends = true;
          if (error === null) index.complete[side] = this.trusted[side] = true;
          if (++ended < 2) return;
          state.state = 'syncing';
          this.syncingSinceMs = clock.now();
          release();
          this.changed();
        },
      };
    };
    const sides = (['a', 'b'] as const).map((side) => {
      const h = hooks(side);
      return this.deps.poll(side, h).finally(() => h.listed(new Error('the poll ended before listing')));
    });
    const handed = (await Promise.allSettled(sides)).reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
    if (this.trusted.a && this.trusted.b) {
      this.finished = true;
      rt.twins = null; // steady state: creates search no marker
      state.state = 'done';
      if (recorded.finishedAt === null) await ledger.finishFirstSync(rt.name);
      this.changed();
    }
    return handed;
  }
}
