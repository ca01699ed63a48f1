// Ticket search references as people type them: `<system>:<ref>` (`cw:123`, `jira:IT-12`) or a
// bare `<ref>` meaning any system. One reading shared by the API, the dashboard and the CLI, so a
// reference finds the same links everywhere. A connector that knows human-facing keys
// (resolveTicketRef) turns them into the native ids links hold. A leading `#` (`#1234`, `#INC-4`)
// is how systems print references, so it is searched with and without.
import { describeError, withTimeout } from './errors.js';
import type { TicketCandidate } from './ledger/types.js';
import type { ConnectionRuntime } from './runtime.js';
import type { Logger, Side } from './types.js';

const SIDES: readonly Side[] = ['a', 'b'];

/** A reference the configuration cannot read (an unknown system, nothing to search for): the user's mistake. */
export class TicketRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TicketRefError';
  }
}

export interface TicketRef {
  /** The system named before the colon, or null for a bare reference (every system). */
  system: string | null;
  /** A native id or a human-facing key (Jira `IT-12`). */
  ref: string;
}

/** The systems the configured connections use, by their names under `systems:`. */
export function knownSystems(connections: ReadonlyMap<string, ConnectionRuntime>): string[] {
  return [...new Set([...connections.values()].flatMap((rt) => SIDES.map((side) => rt.sides[side].system)))].sort();
}

/** Splits `system:ref`; the system name must be a configured one (its case may differ). */
export function parseTicketRef(text: string, systems: readonly string[]): TicketRef {
  const trimmed = text.trim();
  const example = systems.length > 0 ? `${systems[0]}:123` : 'system:123';
  if (trimmed === '')
    throw new TicketRefError(
      `ticket reference is empty; give a ticket id or key, optionally after its system (${example})`,
    );
  const colon = trimmed.indexOf(':');
  if (colon < 0) return { system: null, ref: trimmed };
  const name = trimmed.slice(0, colon).trim();
  const ref = trimmed.slice(colon + 1).trim();
  const system = systems.find((s) => s === name) ?? systems.find((s) => s.toLowerCase() === name.toLowerCase());
  if (system === undefined) {
    const known =
      systems.length > 0 ? `the configured systems are ${systems.join(', ')}` : 'no connection is configured';
    throw new TicketRefError(`unknown system "${name}" in "${trimmed}"; ${known}`);
  }
  if (ref === '')
    throw new TicketRefError(`nothing after "${system}:" in "${trimmed}"; give a ticket id or key (${system}:123)`);
  return { system, ref };
}

/**
 * A ticket as its system shows it to people: the key without the `#` some systems print before
 * it (Freshservice `INC-4`, Jira `IT-2`), or `#` and the id where tickets have no key
 * (ConnectWise `#1234`).
 */
export function shownKey(id: string, key: string | null | undefined): string {
  const bare = key?.replace(/^#+/, '').trim();
  return bare ? bare : `#${id}`;
}

/** The reference without the `#` people copy from ticket lists ("#1234" → "1234"); kept when nothing else is left. */
function withoutHash(ref: string): string {
  const bare = ref.replace(/^#+/, '').trim();
  return bare === '' ? ref : bare;
}

/** Keys the ledger may hold for a reference: as given, bare, and with the `#` Freshservice keys carry. */
function keySpellings(ref: string): string[] {
  const bare = withoutHash(ref);
  return [...new Set([ref, bare, `#${bare}`])];
}

export interface TicketSearch {
  reference: TicketRef;
  /** What the ledger matches (LinkFilter.tickets). */
  candidates: TicketCandidate[];
  /** Systems whose lookup failed or timed out: only the literal reference was searched there. */
  unresolved: string[];
}

export interface ResolveOptions {
  logger?: Pick<Logger, 'warn'>;
  /**
   * How long one system's lookup may take; a slower one counts as failed. Searches are
   * interactive, so this is shorter than a sync call's retries.
   * @default 3000
   */
  timeoutMs?: number;
}

/**
 * The (connection, side, id) candidates a reference stands for: the reference itself as an id and
 * as a stored key on every side of the named system (any side of any connection, for a bare
 * reference), plus the id
 * each connector with `resolveTicketRef` finds behind it. A lookup that fails is logged and
 * skipped, never fatal. Throws TicketRefError for an unknown system.
 */
export async function resolveTicketRef(
  text: string,
  connections: ReadonlyMap<string, ConnectionRuntime>,
  options: ResolveOptions = {},
): Promise<TicketSearch> {
  const reference = parseTicketRef(text, knownSystems(connections));
  const { system } = reference;
  const ref = withoutHash(reference.ref);
  const keys = keySpellings(reference.ref);
  // The reference as an id, and as a key the ledger already holds (found even when the system is down).
  const candidates: TicketCandidate[] = system === null ? [{ ticketId: ref }, ...keys.map((key) => ({ key }))] : [];
  const unresolved = new Set<string>();
  // Each system is asked once, however many connections and sides use it.
  const lookups = new Map<string, Promise<string | null>>();
  const lookup = (systemName: string, ask: () => Promise<string | null>): Promise<string | null> => {
    let pending = lookups.get(systemName);
    if (!pending) {
      pending = withTimeout(Promise.resolve().then(ask), options.timeoutMs ?? 3000).catch((err: unknown) => {
        unresolved.add(systemName);
        options.logger?.warn(
          { system: systemName, reference: ref, err: describeError(err) },
          'ticket reference lookup failed; searching it as an id and among stored keys only',
        );
        return null;
      });
      lookups.set(systemName, pending);
    }
    return pending;
  };

  const resolved: Array<Promise<TicketCandidate | null>> = [];
  for (const rt of connections.values()) {
    for (const side of SIDES) {
      const s = rt.sides[side];
      if (system !== null && s.system !== system) continue;
      if (system !== null)
        candidates.push(
          { connection: rt.name, side, ticketId: ref },
          ...keys.map((key) => ({ connection: rt.name, side, key })),
        );
      const connector = s.connector;
      if (!connector.resolveTicketRef) continue;
      resolved.push(
        lookup(s.system, () => connector.resolveTicketRef!(ref)).then((id) =>
          id === null || id === ref ? null : { connection: rt.name, side, ticketId: id },
        ),
      );
    }
  }
  for (const c of await Promise.all(resolved)) if (c) candidates.push(c);
  return { reference, candidates, unresolved: [...unresolved].sort() };
}
