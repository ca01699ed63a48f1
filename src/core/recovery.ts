// Recovery: pending intents (writes a stopped run may or may not have made) are finished by the
// passes that own them, transient errors are retried, and errors whose cause has cleared (a
// system answers again, credentials work again) are retried by themselves. One loop, cancellable.
import type { ErrorRecord, Ledger } from './ledger/types.js';
import type { Runner } from './runner.js';
import type { ConnectionRuntime } from './runtime.js';
import { otherSide, type Clock, type Side } from './types.js';

export interface RecoveryDeps {
  ledger: Ledger;
  clock: Clock;
  runner: Runner;
  runtimes: ReadonlyMap<string, ConnectionRuntime>;
  /** Whether a connection is paused: none of its intents or errors are taken up. */
  paused?: (connection: string) => boolean;
}

/** Error codes that clear when the system behind them answers again. */
const CLEARS_WITH_SYSTEM = new Set(['auth_failed', 'network', 'timeout', 'remote_unavailable', 'rate_limited']);

export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /** The runtime of a connection that is configured and not paused. */
  private running(connection: string): ConnectionRuntime | undefined {
    return this.deps.paused?.(connection) ? undefined : this.deps.runtimes.get(connection);
  }

  /** Resumes pending intents at least `minAgeMs` old: creates through their source ticket, writes through their link. */
  async recoverIntents(minAgeMs = 0): Promise<number> {
    // Young intents may belong to a create still in flight here or on another instance.
    const cutoff = this.deps.clock.now() - minAgeMs;
    const intents = (await this.deps.ledger.pendingIntents()).filter((i) => Date.parse(i.createdAt) <= cutoff);
    const work: Promise<unknown>[] = [];
    const links = new Set<string>();
    for (const intent of intents) {
      const rt = this.running(intent.connection);
      if (!rt) continue;
      if (intent.kind === 'create')
        work.push(this.deps.runner.hint(rt, otherSide(intent.targetSide), intent.sourceId, undefined, true));
      else if (intent.linkId && !links.has(intent.linkId)) {
        links.add(intent.linkId);
        work.push(this.deps.runner.linkPass(rt, intent.linkId, { force: true }).catch(() => undefined));
      }
    }
    await Promise.all(work);
    return work.length;
  }

  /** Retries one error's link or ticket; an error of a listing entry resolves on a good read. */
  async retryError(error: ErrorRecord): Promise<ErrorRecord> {
    const { ledger } = this.deps;
    const rt = this.deps.runtimes.get(error.connection);
    if (!rt) return error;
    if (error.linkId) {
      const link = await ledger.getLink(error.linkId);
      if (link && link.state === 'flagged') {
        // A person looked at the flagged link: put it back to work.
        await ledger.commit({ connection: rt.name, linkId: link.id, linkState: { state: 'active', note: null } });
      }
      await this.deps.runner.linkPass(rt, error.linkId, { force: true, hadErrors: true }).catch(() => undefined);
    } else if (error.side && error.ticketId) {
      await this.deps.runner.hint(rt, error.side, error.ticketId, undefined, true);
    }
    const after = (await ledger.getError(error.id))!;
    if (after.state === 'open' && error.code === 'payload_invalid') {
      // The listing parked the ticket; a successful re-read resolves it.
      await ledger.resolveError(error.id);
      return (await ledger.getError(error.id))!;
    }
    return after;
  }

  /**
   * Retries every open error of the running connections (only those of `code`, when given), one
   * after another; answers with each error as it stands afterwards.
   */
  async retryAll(
    code?: string,
    connections?: readonly string[],
    before?: (errors: ErrorRecord[]) => Promise<void>,
  ): Promise<ErrorRecord[]> {
    const open = (await this.deps.ledger.listErrors({ state: 'open' })).filter(
      (e) =>
        (code === undefined || e.code === code) &&
        (connections === undefined || connections.includes(e.connection)) &&
        this.running(e.connection),
    );
    await before?.(open);
    const after: ErrorRecord[] = [];
    for (const error of open) after.push(await this.retryError(error).catch(() => error));
    return after;
  }

  /** Retries every open error the engine may retry by itself; returns how many. */
  async retryTransientErrors(): Promise<number> {
    const open = await this.deps.ledger.listErrors({ state: 'open' });
    const transient = open.filter((e) => e.retryable && this.running(e.connection));
    await Promise.all(transient.map((e) => this.retryError(e).catch(() => undefined)));
    return transient.length;
  }

  /**
   * Retries open errors whose cause has cleared: for each system named by such errors (refused
   * credentials, unreachable), one cheap authenticated call; when it answers, its errors are
   * retried. Returns how many were retried.
   */
  async retryCleared(): Promise<number> {
    const open = (await this.deps.ledger.listErrors({ state: 'open' })).filter(
      (e) => !e.retryable && CLEARS_WITH_SYSTEM.has(e.code) && e.side !== null && this.running(e.connection),
    );
    const answers = new Map<string, Promise<boolean>>();
    const answering = (rt: ConnectionRuntime, side: Side): Promise<boolean> => {
      const system = rt.sides[side].system;
      let p = answers.get(system);
      if (!p) {
        p = rt.sides[side].connector.ping().then(
          () => true,
          () => false,
        );
        answers.set(system, p);
      }
      return p;
    };
    let retried = 0;
    for (const error of open) {
      const rt = this.deps.runtimes.get(error.connection)!;
      if (!(await answering(rt, error.side!))) continue;
      await this.retryError(error).catch(() => undefined);
      retried++;
    }
    return retried;
  }

  /** One round of the recovery loop. */
  async round(orphanAgeMs: number): Promise<void> {
    await this.retryTransientErrors();
    await this.retryCleared();
    await this.recoverIntents(orphanAgeMs);
  }
}
