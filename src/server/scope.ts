// What a token limited to some connections may see, applied once for every route: the server's
// ledger and engine are wrapped so reads answer only for the request's connections (a link, a
// conflict or an error of another connection is "not there"), whichever route asks, the dashboard
// and exports included. The request's principal lives in AsyncLocalStorage, set by a hook.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import { actorScope, setActor } from '../core/actor.js';
import type { DriftRunOptions, DriftRunResult } from '../core/drift-runs.js';
import type { Engine, LinkOptions, PairRequest } from '../core/engine.js';
import { NotFoundError } from '../core/errors.js';
import type { Ledger, LedgerCounts, Page } from '../core/ledger/types.js';
import type { Principal } from './sessions.js';

interface Scope {
  principal: Principal | null;
}

const storage = new AsyncLocalStorage<Scope>();

/** Runs every request inside its own scope (callback hook, so the rest of the chain inherits it). */
export function installScope(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, _reply, done) => {
    storage.run({ principal: null }, () => actorScope(done));
  });
}

export function setPrincipal(principal: Principal): void {
  const scope = storage.getStore();
  if (scope) scope.principal = principal;
  // The events of this request's actions record the token's name.
  setActor(principal.name);
}

/** The connections the current request may see; null: all (or outside any request). */
export function allowedConnections(): readonly string[] | null {
  return storage.getStore()?.principal?.connections ?? null;
}

const allowed = (connection: string): boolean => {
  const list = allowedConnections();
  return list === null || list.includes(connection);
};

async function pagedFilter<T extends { connection: string }>(
  fetch: (offset: number, limit: number) => Promise<Page<T>>,
  offset: number,
  limit: number,
): Promise<Page<T>> {
  const all: T[] = [];
  for (let at = 0; ; at += 500) {
    const page = await fetch(at, 500);
    all.push(...page.items.filter((i) => allowed(i.connection)));
    if (page.items.length < 500) break;
  }
  return { items: all.slice(offset, offset + limit), total: all.length, offset, limit };
}

type Fn = (...args: never[]) => unknown;

/** The ledger as the current request may see it. */
export function scopedLedger(ledger: Ledger): Ledger {
  const byConnection = async <T extends { connection: string } | null>(p: Promise<T>): Promise<T | null> => {
    const item = await p;
    return item !== null && !allowed(item.connection) ? null : item;
  };
  const overrides: Partial<Record<keyof Ledger, Fn>> = {
    getLink: (id: string) => byConnection(ledger.getLink(id)),
    getConflict: (id: string) => byConnection(ledger.getConflict(id)),
    getError: (id: string) => byConnection(ledger.getError(id)),
    snapshot: async (id: string) => {
      const snap = await ledger.snapshot(id);
      return snap && allowed(snap.link.connection) ? snap : null;
    },
    findLink: (connection: string, ...rest: [never, never]) =>
      allowed(connection) ? ledger.findLink(connection, ...rest) : Promise.resolve(null),
    listConflicts: async (filter: Parameters<Ledger['listConflicts']>[0]) =>
      (await ledger.listConflicts(filter)).filter((c) => allowed(c.connection)),
    listErrors: async (filter: Parameters<Ledger['listErrors']>[0]) =>
      (await ledger.listErrors(filter)).filter((e) => allowed(e.connection)),
    listEvents: (filter: Parameters<Ledger['listEvents']>[0]) => {
      const list = allowedConnections();
      if (list === null) return ledger.listEvents(filter);
      const connections = filter.connections ? filter.connections.filter((c) => list.includes(c)) : list;
      return ledger.listEvents({ ...filter, connections });
    },
    listLinks: (filter: Parameters<Ledger['listLinks']>[0]) => {
      const list = allowedConnections();
      if (list === null) return ledger.listLinks(filter);
      if (filter.connection !== undefined || list.length === 1) {
        const connection = filter.connection ?? list[0]!;
        if (!list.includes(connection))
          return Promise.resolve({ items: [], total: 0, offset: filter.offset ?? 0, limit: filter.limit ?? 50 });
        return ledger.listLinks({ ...filter, connection });
      }
      return pagedFilter(
        (offset, limit) => ledger.listLinks({ ...filter, offset, limit }),
        filter.offset ?? 0,
        filter.limit ?? 50,
      );
    },
    counts: async (connection?: string) => {
      const list = allowedConnections();
      if (list === null) return ledger.counts(connection);
      const names = connection === undefined ? list : list.filter((c) => c === connection);
      const sum: LedgerCounts = {
        links: 0,
        activeLinks: 0,
        events: 0,
        openConflicts: 0,
        openErrors: 0,
        pendingIntents: 0,
      };
      for (const name of names) {
        const c = await ledger.counts(name);
        for (const key of Object.keys(sum) as (keyof LedgerCounts)[]) sum[key] += c[key];
      }
      return sum;
    },
  };
  return new Proxy(ledger, {
    get(target, prop, receiver) {
      const own = overrides[prop as keyof Ledger];
      if (own !== undefined && allowedConnections() !== null) return own;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as Fn).bind(target) : value;
    },
  });
}

/**
 * The engine's methods that name a connection, or a link, conflict or error of one, guarded: for a
 * token limited to some connections, anything of another connection is "not there" (404), so no
 * route, old or new, can act on it.
 */
function guardedMethods(engine: Engine, ledger: Ledger, list: readonly string[]): Partial<Record<keyof Engine, Fn>> {
  const connection = (name: string | undefined): void => {
    if (name !== undefined && !list.includes(name)) throw new NotFoundError(`no connection named "${name}"`);
  };
  const of = async (what: string, id: string, found: Promise<{ connection: string } | null>): Promise<void> => {
    const item = await found;
    if (!item || !list.includes(item.connection)) throw new NotFoundError(`no ${what} ${id}`);
  };
  const link = (id: string) => of('link', id, ledger.getLink(id));
  return {
    connections: () => new Map([...engine.connections].filter(([name]) => list.includes(name))),
    status: async () => (await engine.status()).filter((s) => list.includes(s.name)),
    hint: (name: string, ...rest: [never, never, never?]) => (connection(name), engine.hint(name, ...rest)),
    pollOnce: (name: string, side: never) => (connection(name), engine.pollOnce(name, side)),
    reconcile: async (name?: string) => {
      if (name === undefined)
        return (await Promise.all(list.map((n) => engine.reconcile(n)))).reduce((x, y) => x + y, 0);
      connection(name);
      return engine.reconcile(name);
    },
    pause: async (name: string, note?: never) => (connection(name), engine.pause(name, note)),
    resume: async (name: string) => (connection(name), engine.resume(name)),
    pauseState: (name: string) => (connection(name), engine.pauseState(name)),
    plan: async (name?: string) =>
      name === undefined
        ? (await engine.plan()).filter((c) => list.includes(c.connection))
        : (connection(name), engine.plan(name)),
    resync: async (id: string) => (await link(id), engine.resync(id)),
    closeTwin: async (id: string) => (await link(id), engine.closeTwin(id)),
    unlink: async (id: string) => (await link(id), engine.unlink(id)),
    dismissFlag: async (id: string) => (await link(id), engine.dismissFlag(id)),
    discover: async (name?: string) =>
      name === undefined
        ? (await engine.discover()).filter((c) => list.includes(c.connection))
        : (connection(name), engine.discover(name)),
    // A pair is looked for only in the token's connections.
    link: async (request: PairRequest, options: LinkOptions = {}) => (
      connection(request.connection),
      engine.link(request, { ...options, within: list })
    ),
    resolveConflict: async (id: string, take: never) => (
      await of('conflict', id, ledger.getConflict(id)),
      engine.resolveConflict(id, take)
    ),
    retryError: async (id: string) => (await of('error', id, ledger.getError(id)), engine.retryError(id)),
    drift: async (options: DriftRunOptions = {}) => {
      if (options.connection !== undefined) return (connection(options.connection), engine.drift(options));
      const runs: DriftRunResult[] = [];
      for (const name of list.filter((n) => engine.connections.has(n)))
        runs.push(await engine.drift({ ...options, connection: name }));
      return runs.reduce(
        (sum, r) => ({
          pairs: sum.pairs + r.pairs,
          findings: [...sum.findings, ...r.findings],
          unexplained: sum.unexplained + r.unexplained,
          pending: sum.pending + r.pending,
          unreadable: sum.unreadable + r.unreadable,
          repaired: [...sum.repaired, ...r.repaired],
        }),
        { pairs: 0, findings: [], unexplained: 0, pending: 0, unreadable: 0, repaired: [] },
      );
    },
    retryErrors: (code?: string, connections?: readonly string[]) =>
      engine.retryErrors(code, connections ? connections.filter((c) => list.includes(c)) : list),
  };
}

/** The engine as the current request may see it: its connections, their status, and actions on them only. */
export function scopedEngine(engine: Engine, ledger: Ledger): Engine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const list = allowedConnections();
      if (list !== null) {
        const guarded = guardedMethods(target, ledger, list)[prop as keyof Engine];
        if (prop === 'connections' && guarded) return guarded();
        if (guarded) return guarded;
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as Fn).bind(target) : value;
    },
  });
}
