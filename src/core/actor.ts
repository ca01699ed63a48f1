// Who asked for the work running now (a status-API token's name, or the command line), carried by
// AsyncLocalStorage like the priority, so the events a person's action writes (a resolve, a
// retry, a pause, an unlink, a drift repair…) record it without threading it through every call.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventKind, Ledger, NewEvent, PassCommit } from './ledger/types.js';
import type { JsonValue } from './types.js';

interface ActorScope {
  name: string | null;
}

const storage = new AsyncLocalStorage<ActorScope>();

/** Runs `fn` as `name`: the action events it writes (however deep) record it as `data.by`. */
export function withActor<T>(name: string, fn: () => T): T {
  return storage.run({ name }, fn);
}

/** Opens an actor scope for a request whose principal is known only later (see setActor). */
export function actorScope<T>(fn: () => T): T {
  return storage.run({ name: null }, fn);
}

/** Names the actor of the scope opened by actorScope (the request's token, once authenticated). */
export function setActor(name: string): void {
  const scope = storage.getStore();
  if (scope) scope.name = name;
}

/** The actor of the work running now; null for the daemon's own work (polls, webhooks, schedules). */
export function currentActor(): string | null {
  return storage.getStore()?.name ?? null;
}

/** Events only a person's action writes: these say who. */
export const ACTION_EVENT_KINDS: ReadonlySet<EventKind> = new Set<EventKind>([
  'conflict_resolved',
  'resync',
  'error_retried',
  'connection_paused',
  'connection_resumed',
  'link_unlinked',
  'link_closed',
  'ticket_closed',
  'drift_found',
  'drift_repaired',
]);

/** The event with `data.by` set to the current actor, when it is an action event and someone asked. */
export function stampActor(event: NewEvent): NewEvent {
  const by = currentActor();
  if (by === null || !ACTION_EVENT_KINDS.has(event.kind)) return event;
  const data = event.data;
  const base: Record<string, JsonValue> =
    data !== null && data !== undefined && typeof data === 'object' && !Array.isArray(data) ? data : {};
  return { ...event, data: { ...base, by } };
}

/** The ledger with every action event it is given stamped with the actor who asked for it. */
export function actorLedger(ledger: Ledger): Ledger {
  const appendEvents = (events: NewEvent[]): Promise<void> => ledger.appendEvents(events.map(stampActor));
  const commit = (pass: PassCommit): Promise<string | null> =>
    ledger.commit(pass.events ? { ...pass, events: pass.events.map(stampActor) } : pass);
  return new Proxy(ledger, {
    get(target, prop, receiver) {
      if (prop === 'appendEvents') return appendEvents;
      if (prop === 'commit') return commit;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: never[]) => unknown).bind(target) : value;
    },
  });
}
