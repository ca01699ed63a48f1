// Running the drift audit for the engine: on demand (`ticketbridge drift`) or on `drift.cron`, at
// background priority so its reads draw from each system's budget only after changes people wait
// for and discovery. Each connection's run reports its progress while it lasts and leaves a
// `drift_audited` event with its figures, so /status, the dashboard and /metrics show the last
// audit across restarts and whichever process ran it.
import { auditDrift, recordDrift, type DriftResult } from './drift.js';
import { describeError } from './errors.js';
import type { Ledger } from './ledger/types.js';
import { withPriority } from './priority.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Clock, Logger } from './types.js';

export interface DriftRunOptions {
  /** Only this connection. */
  connection?: string;
  /** Settle each unexplained field difference by its rule with a pass. */
  repair?: boolean;
  /** Called after each pair: done so far and how many in all (of the connection being audited). */
  progress?: (done: number, total: number) => void;
}

export interface DriftRunResult extends DriftResult {
  /** Links whose unexplained differences a pass settled (with `repair`). */
  repaired: string[];
}

/** The last audit of a connection, as its `drift_audited` event recorded it. */
export interface DriftAudit {
  at: string;
  pairs: number;
  unexplained: number;
  pending: number;
  unreadable: number;
  repaired: number;
}

/** What /status says of a connection's drift audits. */
export interface DriftStatus {
  last: DriftAudit | null;
  /** The audit running now: pairs done of how many, since when. */
  running: { done: number; total: number; startedAt: string } | null;
}

export interface DriftRunnerDeps {
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  connections: ReadonlyMap<string, ConnectionRuntime>;
  /** A forced pass of one link (the engine's resync). */
  resync: (linkId: string) => Promise<unknown>;
  /** Whether a connection is paused: it is audited, but not repaired. */
  paused: (connection: string) => boolean;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class DriftRunner {
  private readonly running = new Map<string, NonNullable<DriftStatus['running']>>();

  constructor(private readonly deps: DriftRunnerDeps) {}

  /** Audits the connections (or one), one after another, as background work. */
  run(options: DriftRunOptions = {}): Promise<DriftRunResult> {
    return withPriority('background', () => this.runAll(options));
  }

  async status(connection: string): Promise<DriftStatus> {
    const [event] = (await this.deps.ledger.listEvents({ connection, kind: 'drift_audited', limit: 1 })).items;
    const data = (event?.data ?? {}) as Record<string, unknown>;
    return {
      last: event
        ? {
            at: event.at,
            pairs: count(data.pairs),
            unexplained: count(data.unexplained),
            pending: count(data.pending),
            unreadable: count(data.unreadable),
            repaired: count(data.repaired),
          }
        : null,
      running: this.running.get(connection) ?? null,
    };
  }

  private async runAll(options: DriftRunOptions): Promise<DriftRunResult> {
    const total: DriftRunResult = { pairs: 0, findings: [], unexplained: 0, pending: 0, unreadable: 0, repaired: [] };
    for (const rt of this.deps.connections.values()) {
      if (options.connection !== undefined && rt.name !== options.connection) continue;
      const one = await this.runOne(rt, options);
      total.pairs += one.pairs;
      total.findings.push(...one.findings);
      total.unexplained += one.unexplained;
      total.pending += one.pending;
      total.unreadable += one.unreadable;
      total.repaired.push(...one.repaired);
    }
    return total;
  }

  private async runOne(rt: ConnectionRuntime, options: DriftRunOptions): Promise<DriftRunResult> {
    const { ledger, clock } = this.deps;
    const progress = { done: 0, total: 0, startedAt: new Date(clock.now()).toISOString() };
    this.running.set(rt.name, progress);
    try {
      const audit = await auditDrift(this.deps.connections, ledger, {
        connection: rt.name,
        progress: (done, all) => {
          Object.assign(progress, { done, total: all });
          options.progress?.(done, all);
        },
      });
      const repair = options.repair === true && !this.deps.paused(rt.name);
      const repaired = await this.repair(rt, await recordDrift(this.deps.connections, ledger, audit.findings, repair));
      const figures = { pairs: audit.pairs, unexplained: audit.unexplained, pending: audit.pending };
      await ledger.appendEvents([
        {
          connection: rt.name,
          linkId: null,
          side: null,
          field: null,
          kind: 'drift_audited',
          oldValue: null,
          newValue: null,
          reason: `drift audit: ${audit.pairs} pairs, ${audit.unexplained} unexplained, ${audit.pending} pending${repaired.length ? `, ${repaired.length} repaired` : ''}`,
          data: { ...figures, unreadable: audit.unreadable, repaired: repaired.length },
        },
      ]);
      return { ...audit, repaired };
    } finally {
      this.running.delete(rt.name);
    }
  }

  /** A pass for each drifted link (its baselines were rewritten), and an event for each settled. */
  private async repair(rt: ConnectionRuntime, links: string[]): Promise<string[]> {
    const repaired: string[] = [];
    for (const id of links) {
      try {
        await this.deps.resync(id);
      } catch (err) {
        this.deps.logger.warn({ connection: rt.name, linkId: id, err: describeError(err) }, 'drift repair pass failed');
        continue;
      }
      repaired.push(id);
      await this.deps.ledger.appendEvents([
        {
          connection: rt.name,
          linkId: id,
          side: null,
          field: null,
          kind: 'drift_repaired',
          oldValue: null,
          newValue: null,
          reason: 'the drift audit settled the link by its field rules',
        },
      ]);
    }
    return repaired;
  }
}
