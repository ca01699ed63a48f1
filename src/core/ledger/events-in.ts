// Every event matching a filter, oldest first, read page by page (keyset on id) so an export or a
// report over a busy year never holds the whole table at once.
import type { EventFilter, Ledger, SyncEvent } from './types.js';

const PAGE = 1000;

export async function* eventsIn(
  ledger: Ledger,
  filter: Omit<EventFilter, 'order' | 'afterId' | 'offset' | 'limit'>,
): AsyncGenerator<SyncEvent> {
  let afterId: string | undefined;
  for (;;) {
    const page = await ledger.listEvents({
      ...filter,
      order: 'asc',
      limit: PAGE,
      ...(afterId === undefined ? {} : { afterId }),
    });
    yield* page.items;
    if (page.items.length < PAGE) return;
    afterId = page.items.at(-1)!.id;
  }
}
