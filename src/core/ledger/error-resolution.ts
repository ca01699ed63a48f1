// An open error resolved by itself becomes an event on its link's audit: both ledgers build the
// event the same way, inside the commit that resolves the error.
import type { ErrorRecord, NewEvent } from './types.js';

/** The reason an `error_resolved` event gives when the commit names none. */
export const SYNCED_AGAIN = 'the ticket synced cleanly again';

/** The `error_resolved` event of one resolved error (both ledgers build it the same way). */
export function resolvedEvent(error: ErrorRecord, linkId: string | null, reason: string): NewEvent {
  const said = error.message.length > 200 ? `${error.message.slice(0, 199)}…` : error.message;
  return {
    connection: error.connection,
    linkId: linkId ?? error.linkId,
    side: error.side,
    field: null,
    kind: 'error_resolved',
    oldValue: error.code,
    newValue: null,
    reason: `error resolved (${error.code.replace(/_/g, ' ')}): ${reason} (it said: ${said})`,
    data: { errorId: error.id, attempts: error.attempts },
  };
}
