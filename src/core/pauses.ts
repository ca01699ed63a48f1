// Which connections are paused: by the configuration (`enabled: false`) or at run time by a person
// (`ticketbridge pause`, the API, the dashboard), kept in the ledger so a restart or another
// instance sees the same. A paused connection writes nothing: no pass, poll, reconcile, retry or
// recovery runs for it; its cursors stay where they were, so resuming catches up from them.
import { ConnectionPausedError } from './errors.js';
import type { ConnectionPause, Ledger } from './ledger/types.js';
import type { ConnectionRuntime } from './runtime.js';

export interface PauseState {
  /** config: `enabled: false` in the configuration; operator: paused at run time. */
  by: 'config' | 'operator';
  since: string | null;
  note: string | null;
}

export class Pauses {
  private held = new Map<string, ConnectionPause>();

  constructor(
    private readonly ledger: Ledger,
    private readonly runtimes: ReadonlyMap<string, ConnectionRuntime>,
  ) {}

  /** Re-reads the run-time pauses from the ledger (another process may have paused or resumed). */
  async refresh(): Promise<void> {
    this.held = new Map((await this.ledger.pauses()).map((p) => [p.connection, p]));
  }

  isPaused(connection: string): boolean {
    return this.state(connection) !== null;
  }

  state(connection: string): PauseState | null {
    const rt = this.runtimes.get(connection);
    if (rt && !rt.config.enabled) return { by: 'config', since: null, note: 'enabled: false in the configuration' };
    const held = this.held.get(connection);
    return held ? { by: 'operator', since: held.pausedAt, note: held.note } : null;
  }

  /** Throws when the connection is paused: for actions a person asked for. */
  assertRunning(connection: string, action: string): void {
    const state = this.state(connection);
    if (state === null) return;
    const how =
      state.by === 'config'
        ? 'set enabled: true in the configuration and restart'
        : `resume it first (ticketbridge resume ${connection})`;
    throw new ConnectionPausedError(`connection ${connection} is paused, so ${action} is not done: ${how}`);
  }

  async pause(connection: string, note: string | null): Promise<PauseState> {
    await this.ledger.setPause(connection, { note });
    await this.record(connection, 'connection_paused', `the connection was paused${note ? `: ${note}` : ''}`);
    await this.refresh();
    return this.state(connection)!;
  }

  async resume(connection: string): Promise<void> {
    const rt = this.runtimes.get(connection);
    if (rt && !rt.config.enabled)
      throw new ConnectionPausedError(
        `connection ${connection} has enabled: false in the configuration; set enabled: true and restart to resume it`,
      );
    await this.ledger.setPause(connection, null);
    await this.record(connection, 'connection_resumed', 'the connection was resumed; it catches up from its cursors');
    await this.refresh();
  }

  private record(connection: string, kind: 'connection_paused' | 'connection_resumed', reason: string): Promise<void> {
    return this.ledger.appendEvents([
      { connection, linkId: null, side: null, field: null, kind, oldValue: null, newValue: null, reason },
    ]);
  }
}
