// The JSON routes of the operations surface: health, readiness, status, the ledger (links,
// events), the conflict inbox, the error list and their actions. Engine errors become HTTP
// answers with the error family's code: unknown ids 404, an already resolved conflict 409, a
// remote system's failure during the action 502.
import { z } from 'zod';
import { describeError, ERROR_CODES, SyncError } from '../core/errors.js';
import type { Page } from '../core/ledger/types.js';
import { parseBound, PeriodError } from '../core/period.js';
import { resolveTicketRef, TicketRefError, type TicketSearch } from '../core/ticket-ref.js';
import type { FastifyInstance } from 'fastify';
import { pairRoute } from './pair-route.js';
import { addRoute, HttpError, notFound, type RouteDoc } from './route.js';
import {
  ActionBody,
  ConnectionParams,
  Link,
  PauseBody,
  PauseResult,
  ConflictsPage,
  ConflictsQuery,
  ErrorRecord,
  ErrorsPage,
  ErrorsQuery,
  EventsPage,
  EventsQuery,
  Health,
  IdParams,
  LinkDetail,
  LinksPage,
  LinksQuery,
  Conflict,
  Ready,
  ReadyQuery,
  ResolveBody,
  ResyncResult,
  Status,
  WebhookAccepted,
  WebhookParams,
} from './schemas.js';
import { buildLinkDetail, buildStatus, checkLedgerReady, checkReady, type ViewDeps } from './views.js';

/** `POST /errors/retry?code=`: every open error, or those of one code. */
const RetryAllQuery = z.strictObject({
  code: z.enum(ERROR_CODES).optional().describe('Only errors of this code.'),
});
export interface ApiDeps extends ViewDeps {
  logger: { error(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** Maps an engine failure during an action to an HTTP answer. */
function actionError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof SyncError && ['conflict_unresolvable', 'connection_paused', 'link_refused'].includes(err.code))
    return new HttpError(409, err.code, err.message);
  if (err instanceof SyncError && err.code === 'not_found') return new HttpError(404, err.code, err.message);
  if (err instanceof SyncError) return new HttpError(502, err.code, `the action failed: ${describeError(err)}`);
  return new HttpError(500, 'internal', `the action failed: ${describeError(err)}`);
}

function slice<T>(items: T[], offset: number, limit: number): Page<T> {
  return { items: items.slice(offset, offset + limit), total: items.length, offset, limit };
}

/** The from/to query parameters as instants; a day `to` includes that day. */
function eventPeriod(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  try {
    return {
      ...(from === undefined ? {} : { from: parseBound('query parameter from', from, false) }),
      ...(to === undefined ? {} : { to: parseBound('query parameter to', to, true) }),
    };
  } catch (err) {
    if (err instanceof PeriodError) throw new HttpError(400, 'invalid_request', err.message);
    throw err;
  }
}

const stateOf = (state: 'open' | 'resolved' | 'all') => (state === 'all' ? {} : { state });

export function apiRoutes(app: FastifyInstance, docs: RouteDoc[], deps: ApiDeps): void {
  const { ledger, engine } = deps;
  const log = deps.logger;
  const searchTicket = async (text: string): Promise<TicketSearch> => {
    try {
      return await resolveTicketRef(text, engine.connections, { logger: log });
    } catch (err) {
      if (err instanceof TicketRefError)
        throw new HttpError(400, 'invalid_request', `query parameter ticket: ${err.message}`);
      throw err;
    }
  };

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/healthz',
      tag: 'health',
      summary: 'The process is alive.',
      auth: false,
      response: Health,
      handler: async () => ({
        status: 'ok' as const,
        version: deps.version,
        uptimeSeconds: Math.round((deps.now() - deps.startedAtMs) / 1000),
      }),
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/readyz',
      tag: 'health',
      summary: 'The daemon can serve webhooks and status: the ledger answers. For a Kubernetes readiness probe.',
      description:
        'Only the ledger decides readiness: a vendor that is down or rejects the credentials does not make the daemon unready, so one outage never cuts the webhooks of the healthy systems. With ?verbose the body also lists every system (each checked once however many connections use it; answers reused for a few seconds) and names the degraded ones, with an error code such as auth_failed, never credentials or remote messages. /status carries the same list.',
      auth: false,
      query: ReadyQuery,
      response: Ready,
      errors: { 503: 'Not ready: the ledger does not answer; the body (a Ready document) says why.' },
      handler: async ({ query, reply }) => {
        const ready =
          query.verbose === undefined
            ? await checkLedgerReady(deps)
            : await checkReady(deps, undefined, deps.systemChecks);
        if (!ready.ready) reply.code(503);
        return ready;
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/status',
      tag: 'status',
      summary:
        'Per connection and side: last successful poll, cursor, lag, queue, calls and 429s in the last minute, open errors and conflicts.',
      auth: true,
      response: Status,
      handler: () => buildStatus(deps),
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/ledger/links',
      tag: 'ledger',
      summary:
        'Links, filtered by connection, a ticket (`123`, `IT-12`, or `system:ref` such as `cw:123`, `jira:IT-12`) and state; paged, newest first.',
      description:
        'ticket is a search reference: `<system>:<ref>`, where system is a name under `systems:` in the configuration, finds the ticket on that system only (ConnectWise 123 and Freshservice 123 are different tickets); a bare `<ref>` matches either side of every connection. ref is the native id or, for Jira, the issue key in any case (`IT-12`, `it-12`), looked up in Jira and among the keys links hold; if the Jira lookup fails the reference is still searched as an id and a stored key. An unknown system answers 400 naming the configured ones.',
      auth: true,
      query: LinksQuery,
      response: LinksPage,
      errors: { 400: 'A bad parameter, or a ticket reference naming a system that is not configured.' },
      handler: async ({ query }) => {
        const page = await ledger.listLinks({
          ...(query.connection ? { connection: query.connection } : {}),
          ...(query.ticket ? { tickets: (await searchTicket(query.ticket)).candidates } : {}),
          ...(query.state ? { state: query.state } : {}),
          offset: query.offset,
          limit: query.limit,
        });
        return page;
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/ledger/links/:id',
      tag: 'ledger',
      summary:
        'One link: both tickets (ids, keys and URLs where known), baselines, comment map, conflicts, errors and the full event history.',
      auth: true,
      params: IdParams,
      response: LinkDetail,
      errors: { 404: 'No link with this id.' },
      handler: async ({ params }) => {
        const detail = await buildLinkDetail(deps, params.id);
        if (!detail) throw notFound(`no link ${params.id}`);
        return detail;
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/events',
      tag: 'ledger',
      summary: 'Ledger events, newest first; filter by connection, link, kind and period (from, to); paged.',
      auth: true,
      query: EventsQuery,
      response: EventsPage,
      errors: { 400: 'A bad parameter, such as a from or to that is not a day or an instant.' },
      handler: async ({ query }) =>
        ledger.listEvents({
          ...(query.connection ? { connection: query.connection } : {}),
          ...(query.link ? { linkId: query.link } : {}),
          ...(query.kind ? { kind: query.kind } : {}),
          ...eventPeriod(query.from, query.to),
          offset: query.offset,
          limit: query.limit,
        }),
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/conflicts',
      tag: 'conflicts',
      summary:
        'The conflict inbox: both values per field, filtered by state (default open), connection and link; paged.',
      auth: true,
      query: ConflictsQuery,
      response: ConflictsPage,
      handler: async ({ query }) => {
        const items = await ledger.listConflicts({
          ...stateOf(query.state),
          ...(query.connection ? { connection: query.connection } : {}),
          ...(query.link ? { linkId: query.link } : {}),
        });
        return slice(items, query.offset, query.limit);
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/conflicts/:id/resolve',
      tag: 'conflicts',
      summary: "Resolves a conflict by taking one side's value; it is written to the other side.",
      auth: true,
      params: IdParams,
      body: ResolveBody,
      response: Conflict,
      errors: {
        404: 'No conflict with this id.',
        409: 'The conflict is already resolved.',
        502: 'A system refused the write; the message says why.',
      },
      form: (c) => `Conflict on ${c.field} resolved: ${c.resolution ?? 'done'}.`,
      handler: async ({ params, body }) => {
        const conflict = await ledger.getConflict(params.id);
        if (!conflict) throw notFound(`no conflict ${params.id}`);
        if (conflict.state !== 'open')
          throw new HttpError(
            409,
            'conflict_unresolvable',
            `conflict ${params.id} is already resolved (${conflict.resolution ?? 'no note'})`,
          );
        try {
          return await engine.resolveConflict(params.id, body.take);
        } catch (err) {
          throw actionError(err);
        }
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/links/:id/resync',
      tag: 'ledger',
      summary: 'Forces a full pass of one link (both tickets re-read, comments included).',
      auth: true,
      params: IdParams,
      body: ActionBody,
      response: ResyncResult,
      errors: { 404: 'No link with this id.', 502: 'A system failed during the pass; the error is also in /errors.' },
      form: (r) => `Link ${r.linkId} resynced (${r.outcome === 'noop' ? 'already in sync' : r.outcome}).`,
      handler: async ({ params }) => {
        if (!(await ledger.getLink(params.id))) throw notFound(`no link ${params.id}`);
        try {
          return { linkId: params.id, outcome: await engine.resync(params.id) };
        } catch (err) {
          throw actionError(err);
        }
      },
    },
    log,
  );

  linkActionRoutes(app, docs, deps);
  pairRoute(app, docs, deps);
  pauseRoutes(app, docs, deps);

  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/errors',
      tag: 'errors',
      summary:
        'Errors that stopped a ticket from syncing, filtered by state (default open), connection and link; paged.',
      auth: true,
      query: ErrorsQuery,
      response: ErrorsPage,
      handler: async ({ query }) => {
        const items = await ledger.listErrors({
          ...stateOf(query.state),
          ...(query.connection ? { connection: query.connection } : {}),
          ...(query.link ? { linkId: query.link } : {}),
        });
        return slice(items, query.offset, query.limit);
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/errors/retry',
      tag: 'errors',
      summary:
        'Retries every open error of the running connections (only those of `code`, when given); answers with each error as it stands afterwards.',
      auth: true,
      query: RetryAllQuery,
      body: ActionBody,
      response: z.object({ items: z.array(ErrorRecord), resolved: z.number().int(), open: z.number().int() }),
      form: (r) =>
        r.open === 0
          ? `Retried ${r.items.length} errors: all resolved.`
          : `Retried ${r.items.length} errors: ${r.resolved} resolved, ${r.open} still open.`,
      handler: async ({ query }) => {
        try {
          const items = await engine.retryErrors(query.code);
          const open = items.filter((e) => e.state === 'open').length;
          return { items, resolved: items.length - open, open };
        } catch (err) {
          throw actionError(err);
        }
      },
    },
    log,
  );

  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/errors/:id/retry',
      tag: 'errors',
      summary: 'Retries the pass behind an error now; answers with the error as it stands afterwards.',
      auth: true,
      params: IdParams,
      body: ActionBody,
      response: ErrorRecord,
      errors: { 404: 'No error with this id.' },
      form: (e) =>
        e.state === 'resolved'
          ? `Retried: the error on ${e.ticketId ? `ticket ${e.ticketId}` : `link ${e.linkId ?? '?'}`} is resolved.`
          : `Retried, but it failed again: ${e.message}`,
      handler: async ({ params }) => {
        if (!(await ledger.getError(params.id))) throw notFound(`no error ${params.id}`);
        try {
          return await engine.retryError(params.id);
        } catch (err) {
          throw actionError(err);
        }
      },
    },
    log,
  );
}

/** A person's actions on a link: close the surviving twin of a flagged link, unlink, dismiss a flag. */
function linkActionRoutes(app: FastifyInstance, docs: RouteDoc[], deps: ApiDeps): void {
  const actions = [
    {
      verb: 'close-twin',
      summary:
        'Flagged link: closes the ticket that is still there (the twin of the one deleted or moved out of scope) and closes the link.',
      done: 'twin closed',
      run: (id: string) => deps.engine.closeTwin(id),
    },
    {
      verb: 'unlink',
      summary: 'Ends a link: neither ticket syncs any more and neither gets a new twin. The history stays.',
      done: 'unlinked',
      run: (id: string) => deps.engine.unlink(id),
    },
    {
      verb: 'dismiss',
      summary:
        'Flagged link (moved out of scope): dismisses the flag; the link syncs again and scope no longer flags it. A deleted ticket cannot be dismissed.',
      done: 'flag dismissed; syncing again',
      run: (id: string) => deps.engine.dismissFlag(id),
    },
  ];
  for (const action of actions) {
    addRoute(
      app,
      docs,
      {
        method: 'POST',
        url: `/links/:id/${action.verb}`,
        tag: 'ledger',
        summary: action.summary,
        auth: true,
        params: IdParams,
        body: ActionBody,
        response: Link,
        errors: {
          404: 'No link with this id.',
          409: 'The link is not in a state this action applies to, or its connection is paused; the message says why.',
          502: 'A system refused the action; the message names the side and ticket.',
        },
        form: (link) => `Link ${link.id}: ${action.done}.`,
        handler: async ({ params }) => {
          try {
            return await action.run(params.id);
          } catch (err) {
            throw actionError(err);
          }
        },
      },
      deps.logger,
    );
  }
}

/** Pausing a connection at run time (kept in the ledger) and resuming it (catching up from its cursors). */
function pauseRoutes(app: FastifyInstance, docs: RouteDoc[], deps: ApiDeps): void {
  const { engine } = deps;
  const result = (name: string) => {
    const paused = engine.pauseState(name);
    return {
      connection: name,
      paused: paused && { ...paused, webhooksHeld: deps.webhookStats?.heldCount(name) ?? 0 },
    };
  };
  const known = (name: string): void => {
    if (!engine.connections.has(name)) throw notFound(`no connection named "${name}"`);
  };
  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/connections/:name/pause',
      tag: 'status',
      summary:
        'Pauses a connection now, without a restart: no pass, poll, reconcile, retry or resync runs for it; webhooks are acknowledged and counted. Kept in the ledger across restarts.',
      auth: true,
      params: ConnectionParams,
      body: PauseBody,
      response: PauseResult,
      errors: { 404: 'No connection with this name.' },
      form: (r) => `Connection ${r.connection} paused.`,
      handler: async ({ params, body }) => {
        known(params.name);
        await engine.pause(params.name, body?.note ?? null);
        return result(params.name);
      },
    },
    deps.logger,
  );
  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/connections/:name/resume',
      tag: 'status',
      summary:
        'Resumes a paused connection: both sides are polled at once from their cursors, so every change made while paused is synced.',
      auth: true,
      params: ConnectionParams,
      body: ActionBody,
      response: PauseResult,
      errors: { 404: 'No connection with this name.', 409: 'Paused by enabled: false in the configuration.' },
      form: (r) => `Connection ${r.connection} resumed; catching up.`,
      handler: async ({ params }) => {
        known(params.name);
        try {
          await engine.resume(params.name);
        } catch (err) {
          throw actionError(err);
        }
        return result(params.name);
      },
    },
    deps.logger,
  );
}

/** Routes that do not answer JSON, listed so /openapi.json documents the whole surface. */
export function documentOtherRoutes(docs: RouteDoc[]): void {
  docs.push(
    {
      method: 'GET',
      url: '/metrics',
      tag: 'status',
      summary: 'Prometheus metrics (text exposition format), names prefixed ticketbridge_.',
      description:
        'Readable with server.metricsToken (which reads nothing else) or with a token that is not limited to some connections; with server.metricsPort also on a listener of its own that serves nothing else.',
      auth: true,
      produces: 'text/plain',
      errors: {
        401: 'Missing or wrong bearer token.',
        403: 'A token limited to some connections (the metrics count every connection).',
      },
      form: false,
    },
    {
      method: 'POST',
      url: '/webhooks/:connection/:side',
      tag: 'webhooks',
      summary:
        "Inbound webhook for one side of a connection, verified by that side's connector against the raw body before anything is parsed; answered at once, processed in the background.",
      description:
        'A delivery seen before (same delivery id, or same body) within ten minutes answers 200 with status duplicate and is not processed again.',
      auth: false,
      params: WebhookParams,
      body: z.string().describe('The raw body as the system sent it (at most 1 MB).'),
      consumes: ['application/json', 'application/x-www-form-urlencoded'],
      response: WebhookAccepted,
      errors: {
        400: 'Verified, but the body is malformed; the message says what.',
        401: 'Signature missing or wrong.',
        404: 'No such connection or side.',
        413: 'Body over 1 MB.',
        415: 'Content type other than JSON or form data.',
      },
      form: false,
    },
    {
      method: 'GET',
      url: '/',
      tag: 'dashboard',
      summary: "The dashboard (HTML). ?ticket=<id> shows that ticket's link history.",
      auth: true,
      produces: 'text/html',
      query: z.strictObject({ ticket: z.string().optional() }),
      errors: {},
      form: false,
    },
  );
}
