// Change detection by polling: list each side from its cursor minus the overlap window, skip
// what the last poll already handled, hand every changed ticket to a pass, and move the cursor
// only past what was listed without a failure. `nextCursor` is the pure part, table-tested.
import { describeError } from './errors.js';
import type { Cursor, Ledger } from './ledger/types.js';
import { isInvalidTicket, type Clock, type Connector, type Logger, type Side, type Ticket } from './types.js';

/** What one poll saw: every (id, version) listed, in listing order. */
export interface PollResult {
  listed: Array<{ id: string; version: string }>;
  /** The listing stopped with this error (a failed page); nothing after it was seen. */
  error: string | null;
  startedAtMs: number;
  nowMs: number;
}

/**
 * The cursor after a poll: the newest version listed and the ids seen exactly at it (so the next
 * poll, which reaches back by the overlap, skips them), or the old cursor with the error when the
 * listing failed part-way: never move a cursor past a page that failed.
 */
export function nextCursor(previous: Cursor, poll: PollResult): Cursor {
  const now = new Date(poll.nowMs).toISOString();
  if (poll.error !== null) return { ...previous, lastPollAt: now, lastError: poll.error };
  let since = previous.since;
  let atSince = new Set(previous.seenIds);
  for (const { id, version } of poll.listed) {
    if (since === null || Date.parse(version) > Date.parse(since)) {
      since = version;
      atSince = new Set([id]);
    } else if (version === since) atSince.add(id);
  }
  return {
    connection: previous.connection,
    side: previous.side,
    since,
    seenIds: [...atSince],
    lastPollAt: now,
    lastSuccessAt: new Date(poll.startedAtMs).toISOString(),
    lastError: null,
  };
}

export interface PollDeps {
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  overlapMs: number;
  /**
   * A listed ticket that changed since the last poll; resolves when its pass has run. `overlap`:
   * it is older than the cursor, listed again only by the overlap window (most likely seen before).
   */
  changed(ticket: Ticket, overlap: boolean): Promise<void>;
  /** A listing entry the connector could not parse. */
  invalid(id: string, reason: string): Promise<void>;
  /** The listing has ended (with its error, or null), before the passes it started are awaited. */
  listed?(error: unknown): void;
}

/** Lists one side once and runs a pass for each changed ticket: how many were handed on, and the listing's error. */
export async function pollSide(
  deps: PollDeps,
  connection: string,
  side: Side,
  connector: Connector,
): Promise<{ handed: number; error: unknown }> {
  const startedAtMs = deps.clock.now();
  const cursor = await deps.ledger.getCursor(connection, side);
  const cursorMs = cursor.since === null ? null : Date.parse(cursor.since);
  const since = cursorMs === null ? null : new Date(cursorMs - deps.overlapMs);
  const listed: PollResult['listed'] = [];
  const versions = new Map<string, string>();
  const passes: Promise<void>[] = [];
  let error: unknown = null;
  try {
    for await (const item of connector.listChanged({ since })) {
      if (isInvalidTicket(item)) {
        await deps.invalid(item.id, item.invalid);
        continue;
      }
      if (versions.get(item.id) === item.version) continue; // duplicate across pages
      versions.set(item.id, item.version);
      // A ticket at the cursor's own version is handed on again: versions of one second (Freshservice,
      // ConnectWise) do not move for an edit within the same second. The pass's version fast path
      // (version plus a hash of the mapped fields) costs no call when it is unchanged.
      listed.push({ id: item.id, version: item.version });
      const overlap = cursorMs !== null && Date.parse(item.version) < cursorMs;
      passes.push(deps.changed({ ...item, listedAtMs: startedAtMs }, overlap));
    }
  } catch (err) {
    error = err;
  }
  deps.listed?.(error);
  await Promise.all(passes);
  const next = nextCursor(cursor, {
    listed,
    error: error === null ? null : describeError(error),
    startedAtMs,
    nowMs: deps.clock.now(),
  });
  await deps.ledger.saveCursor(next);
  if (error !== null) deps.logger.warn({ side, err: describeError(error) }, 'poll failed; cursor kept');
  return { handed: passes.length, error };
}
