// Each system's field catalogue (connector.describe()), kept by the daemon and refreshed now and
// then, so the dashboard can show a stored code by the name people see (Freshservice status 2 →
// "Open") without asking the system on every page view.
import { describeError, withTimeout } from './errors.js';
import type { ConnectionRuntime } from './runtime.js';
import type { FieldCatalog, Logger, Side } from './types.js';

export interface CatalogCacheOptions {
  /** @default Date.now */
  now?: () => number;
  /**
   * How long a catalogue is used before it is read again (statuses and groups change rarely).
   * @default 3600000
   */
  ttlMs?: number;
  /**
   * How long after a failed read the system is asked again; until then codes show as they are.
   * @default 300000
   */
  retryMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

/** Looks up the name of a stored value: connection, side, mapped field name and the value. */
export interface ValueLabels {
  label(connection: string, side: Side, field: string, value: unknown): string | null;
}

interface Entry {
  catalog: FieldCatalog | null;
  /** When the last read finished (or failed). */
  readAtMs: number;
  ok: boolean;
  pending: Promise<void> | null;
}

export class CatalogCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly connections: ReadonlyMap<string, ConnectionRuntime>,
    private readonly options: CatalogCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.retryMs = options.retryMs ?? 300_000;
  }

  /**
   * The labels of every configured system. Reads a catalogue that is missing or old (once per
   * system, however many pages ask) and waits at most `waitMs` for it: a slow system shows codes
   * on this page and names on the next.
   */
  async labels(waitMs = 2000): Promise<ValueLabels> {
    const reads: Promise<void>[] = [];
    for (const rt of this.connections.values())
      for (const side of ['a', 'b'] as const) {
        const read = this.refresh(rt, side);
        if (read) reads.push(read);
      }
    if (reads.length > 0) await withTimeout(Promise.all(reads), waitMs).catch(() => undefined);
    return { label: (connection, side, field, value) => this.label(connection, side, field, value) };
  }

  /** The name of `value` of the mapped field `field` on one side, or null when the catalogue has none. */
  label(connection: string, side: Side, field: string, value: unknown): string | null {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return null;
    const rt = this.connections.get(connection);
    const native = rt?.config.fields.find((f) => f.name === field)?.[side];
    if (!rt || native === undefined) return null;
    const catalog = this.entries.get(rt.sides[side].system)?.catalog;
    const info = catalog?.fields.find((f) => f.name === native);
    const key = String(value);
    const named = info?.valueLabels?.[key];
    if (named !== undefined) return named;
    // An assignee is stored as the agent's id (ConnectWise member identifier, Jira accountId).
    return info?.type === 'reference' ? (catalog?.agents?.find((a) => a.id === key)?.name ?? null) : null;
  }

  /** Starts a read of the side's system when its catalogue is due; returns the read in flight, if any. */
  private refresh(rt: ConnectionRuntime, side: Side): Promise<void> | null {
    const { system, connector } = rt.sides[side];
    const entry = this.entries.get(system) ?? { catalog: null, readAtMs: 0, ok: false, pending: null };
    this.entries.set(system, entry);
    if (entry.pending) return entry.pending;
    const due = entry.readAtMs === 0 || this.now() - entry.readAtMs >= (entry.ok ? this.ttlMs : this.retryMs);
    if (!due) return null;
    entry.pending = Promise.resolve()
      .then(() => connector.describe())
      .then(
        (catalog) => {
          Object.assign(entry, { catalog, ok: true });
        },
        (err: unknown) => {
          // An older catalogue is still better than codes; it is kept until a read succeeds.
          entry.ok = false;
          this.options.logger?.warn({ system, err: describeError(err) }, 'field catalogue read failed');
        },
      )
      .finally(() => {
        entry.readAtMs = this.now();
        entry.pending = null;
      });
    return entry.pending;
  }
}
