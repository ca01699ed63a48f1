// The ConnectWise REST routes under `/{codebase}apis/3.0/`, plus the unauthenticated codebase
// discovery and callback signing-key endpoints. Handlers throw CwHttpError; one error handler
// renders it (and fastify's own errors) in the vendor's error shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackService } from './callbacks.js';
import type { FieldLookup } from './conditions.js';
import type { FileStore } from '../common/files.js';
import { registerDocumentRoutes, type DocumentService } from './documents.js';
import { CwHttpError, endpointMissing } from './errors.js';
import { countMatches, project, renderedLookup, runQuery, ticketLookup, type ListQuery } from './query.js';
import type { CwStore, Member, Renderer } from './store.js';
import type { TicketService } from './tickets.js';

export const CURRENT_API_VERSION = '2025.1';
const CODEBASE = /^v(4_6_release|\d{4}_\d+)$/;

export interface RouteContext {
  store: CwStore;
  renderer: Renderer;
  tickets: TicketService;
  callbacks: CallbackService;
  documents: DocumentService;
  files: FileStore;
  company: string;
  codebase: string;
  signingKey: () => string;
  keyId: string;
  /** Absolute base URL of the listening server (`http://127.0.0.1:9102`). */
  origin: () => string;
  /** Base URL the signing key is served from (another host, like cloud's UI host). */
  keyOrigin: () => string;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: ListQuery }>;

function intId(value: string | undefined, name = 'id'): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw new CwHttpError(400, {
      code: 'InvalidObject',
      message: `The value '${value ?? ''}' is not valid for ${name}.`,
      errors: null,
    });
  return Number(value);
}

/** The member a request acts as: the API member, or (simulator only) `x-sim-member: <identifier>`. */
function actorOf(ctx: RouteContext, request: FastifyRequest): Member {
  const header = request.headers['x-sim-member'];
  if (typeof header === 'string' && header !== '') {
    const member = [...ctx.store.members.values()].find((m) => m.identifier.toLowerCase() === header.toLowerCase());
    if (member) return member;
  }
  return ctx.store.apiMember;
}

function requestUrl(ctx: RouteContext, request: FastifyRequest): URL {
  return new URL(request.url, ctx.origin());
}

function isForwardOnly(request: FastifyRequest): boolean {
  const header = request.headers['pagination-type'];
  return typeof header === 'string' && header.toLowerCase() === 'forward-only';
}

/** Lists `source` with the standard query parameters and renders each item. */
function sendList<T extends { id: number }>(
  ctx: RouteContext,
  request: Req,
  reply: FastifyReply,
  source: Iterable<T>,
  lookup: FieldLookup<T>,
  render: (item: T) => Record<string, unknown>,
): unknown {
  const page = runQuery(source, lookup, request.query, {
    forwardOnly: isForwardOnly(request),
    requestUrl: requestUrl(ctx, request),
  });
  if (page.link !== undefined) void reply.header('Link', page.link);
  return page.items.map((item) => project(render(item), request.query.fields));
}

function sendCount<T>(request: Req, source: Iterable<T>, lookup: FieldLookup<T>): unknown {
  return { count: countMatches(source, lookup, request.query.conditions) };
}

const RENDERED_FIELDS = {
  boards: {
    id: 'number',
    name: 'string',
    inactiveFlag: 'boolean',
    projectFlag: 'boolean',
    'location/id': 'number',
    'department/id': 'number',
    '_info/lastUpdated': 'datetime',
  },
  statuses: {
    id: 'number',
    name: 'string',
    'board/id': 'number',
    'board/name': 'string',
    sortOrder: 'number',
    closedStatus: 'boolean',
    defaultFlag: 'boolean',
    inactive: 'boolean',
    escalationStatus: 'string',
    '_info/lastUpdated': 'datetime',
  },
  children: {
    id: 'number',
    name: 'string',
    inactiveFlag: 'boolean',
    'board/id': 'number',
    'board/name': 'string',
    category: 'string',
    '_info/lastUpdated': 'datetime',
  },
  priorities: {
    id: 'number',
    name: 'string',
    color: 'string',
    sortOrder: 'number',
    defaultFlag: 'boolean',
    level: 'string',
    '_info/lastUpdated': 'datetime',
  },
  companies: {
    id: 'number',
    identifier: 'string',
    name: 'string',
    deletedFlag: 'boolean',
    'status/name': 'string',
    '_info/lastUpdated': 'datetime',
  },
  contacts: {
    id: 'number',
    firstName: 'string',
    lastName: 'string',
    'company/id': 'number',
    'company/identifier': 'string',
    '_info/lastUpdated': 'datetime',
  },
  teams: {
    id: 'number',
    name: 'string',
    boardId: 'number',
    defaultFlag: 'boolean',
    'teamLeader/id': 'number',
    'teamLeader/identifier': 'string',
  },
  userDefinedFields: {
    id: 'number',
    caption: 'string',
    screenId: 'string',
    fieldTypeIdentifier: 'string',
    entryTypeIdentifier: 'string',
  },
  members: { id: 'number', identifier: 'string', firstName: 'string', lastName: 'string', inactiveFlag: 'boolean' },
  notes: {
    id: 'number',
    ticketId: 'number',
    text: 'string',
    detailDescriptionFlag: 'boolean',
    internalAnalysisFlag: 'boolean',
    resolutionFlag: 'boolean',
    createdBy: 'string',
    dateCreated: 'datetime',
    'member/id': 'number',
    'member/identifier': 'string',
    internalFlag: 'boolean',
    externalFlag: 'boolean',
    '_info/lastUpdated': 'datetime',
  },
  callbacks: {
    id: 'number',
    description: 'string',
    url: 'string',
    objectId: 'number',
    type: 'string',
    level: 'string',
    memberId: 'number',
    inactiveFlag: 'boolean',
    isSelfSuppressedFlag: 'boolean',
    '_info/lastUpdated': 'datetime',
  },
} as const;

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const lookups = Object.fromEntries(Object.entries(RENDERED_FIELDS).map(([k, v]) => [k, renderedLookup(v)])) as Record<
    keyof typeof RENDERED_FIELDS,
    FieldLookup<Record<string, unknown>>
  >;
  const tLookup = ticketLookup(ctx.store);
  const { store, renderer } = ctx;
  const asRendered = <T>(
    items: Iterable<T>,
    render: (item: T) => Record<string, unknown>,
  ): Array<Record<string, unknown> & { id: number }> =>
    [...items].map((item) => render(item) as Record<string, unknown> & { id: number });
  const identity = (x: Record<string, unknown>): Record<string, unknown> => x;

  app.setNotFoundHandler((_request, reply) => {
    const err = endpointMissing();
    void reply.code(err.status).send(err.body);
  });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof CwHttpError) return reply.code(error.status).send(error.body);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({
        code: 'InvalidObject',
        message: error instanceof Error ? error.message : 'The request is invalid.',
        errors: null,
      });
    }
    return reply.code(500).send({ code: 'UnexpectedError', message: 'An unexpected error occurred.', errors: null });
  });

  // Codebase discovery (unauthenticated), as /login/companyinfo answers it.
  app.get('/login/companyinfo/:company', async (request: Req) => {
    if (request.params.company?.toLowerCase() !== ctx.company.toLowerCase())
      throw new CwHttpError(404, { code: 'NotFound', message: `Company ${request.params.company ?? ''} not found` });
    return {
      CompanyName: ctx.company,
      Codebase: ctx.codebase,
      VersionCode: `v${CURRENT_API_VERSION}`,
      VersionNumber: `v${CURRENT_API_VERSION}.100000`,
      CompanyID: ctx.company,
      IsCloud: false,
      SiteUrl: new URL(ctx.origin()).host,
      AllowAccessToWebCalendar: false,
    };
  });

  // The signing key a callback's Metadata.key_url points at (unauthenticated).
  app.get(
    '/:codebase/system/callbackkey/index.rails',
    async (
      request: FastifyRequest<{ Params: { codebase: string }; Querystring: { companyName?: string; id?: string } }>,
    ) => {
      if (!CODEBASE.test(request.params.codebase)) throw endpointMissing();
      // Served on the key host only, as cloud serves keys from the UI host, not the API host.
      if (ctx.keyOrigin() !== ctx.origin() && request.socket.localAddress !== new URL(ctx.keyOrigin()).hostname)
        throw endpointMissing();
      if (request.query.id !== ctx.keyId || request.query.companyName?.toLowerCase() !== ctx.company.toLowerCase())
        throw new CwHttpError(404, { code: 'NotFound', message: 'Signing key not found' });
      return { signing_key: ctx.signingKey() };
    },
  );

  void app.register(
    async (api) => {
      api.addHook('onRequest', async (request: FastifyRequest<{ Params: { codebase?: string } }>) => {
        if (!CODEBASE.test(request.params.codebase ?? '')) throw endpointMissing();
      });

      api.get('/system/info', async () => ({
        version: `v${CURRENT_API_VERSION}.100000`,
        isCloud: false,
        serverTimeZone: 'Eastern Standard Time',
        licenseBits: [],
        cloudRegion: 'NA',
      }));

      // Tickets
      api.get('/service/tickets', async (request: Req, reply) =>
        sendList(ctx, request, reply, store.tickets.values(), tLookup, (t) => renderer.ticket(t)),
      );
      api.get('/service/tickets/count', async (request: Req) => sendCount(request, store.tickets.values(), tLookup));
      api.post('/service/tickets', async (request: Req, reply) => {
        const created = ctx.tickets.create(request.body, actorOf(ctx, request));
        return reply.code(201).send(renderer.ticket(created));
      });
      api.get('/service/tickets/:id', async (request: Req) =>
        project(renderer.ticket(ctx.tickets.get(intId(request.params.id))), request.query.fields),
      );
      api.put('/service/tickets/:id', async (request: Req) =>
        renderer.ticket(ctx.tickets.replace(intId(request.params.id), request.body, actorOf(ctx, request))),
      );
      api.patch('/service/tickets/:id', async (request: Req) =>
        renderer.ticket(ctx.tickets.patch(intId(request.params.id), request.body, actorOf(ctx, request))),
      );
      api.delete('/service/tickets/:id', async (request: Req, reply) => {
        ctx.tickets.delete(intId(request.params.id), actorOf(ctx, request));
        return reply.code(204).send();
      });

      // Ticket notes
      const notesOf = (request: Req): Array<Record<string, unknown> & { id: number }> =>
        asRendered(ctx.tickets.listNotes(intId(request.params.parentId, 'parentId')), (n) => renderer.note(n));
      api.get('/service/tickets/:parentId/notes', async (request: Req, reply) =>
        sendList(ctx, request, reply, notesOf(request), lookups.notes, identity),
      );
      api.get('/service/tickets/:parentId/notes/count', async (request: Req) =>
        sendCount(request, notesOf(request), lookups.notes),
      );
      api.post('/service/tickets/:parentId/notes', async (request: Req, reply) => {
        const note = ctx.tickets.createNote(
          intId(request.params.parentId, 'parentId'),
          request.body,
          actorOf(ctx, request),
        );
        return reply.code(201).send(renderer.note(note));
      });
      api.get('/service/tickets/:parentId/notes/:id', async (request: Req) =>
        project(
          renderer.note(ctx.tickets.getNote(intId(request.params.parentId, 'parentId'), intId(request.params.id))),
          request.query.fields,
        ),
      );
      api.put('/service/tickets/:parentId/notes/:id', async (request: Req) =>
        renderer.note(
          ctx.tickets.replaceNote(
            intId(request.params.parentId, 'parentId'),
            intId(request.params.id),
            request.body,
            actorOf(ctx, request),
          ),
        ),
      );
      api.patch('/service/tickets/:parentId/notes/:id', async (request: Req) =>
        renderer.note(
          ctx.tickets.patchNote(
            intId(request.params.parentId, 'parentId'),
            intId(request.params.id),
            request.body,
            actorOf(ctx, request),
          ),
        ),
      );
      api.delete('/service/tickets/:parentId/notes/:id', async (request: Req, reply) => {
        ctx.tickets.deleteNote(
          intId(request.params.parentId, 'parentId'),
          intId(request.params.id),
          actorOf(ctx, request),
        );
        return reply.code(204).send();
      });

      // Boards and their statuses, types, subtypes, items
      const boards = (): Array<Record<string, unknown> & { id: number }> =>
        asRendered(store.boards.values(), (b) => renderer.board(b));
      const boardOf = (request: Req): number => {
        const id = intId(request.params.parentId ?? request.params.id);
        if (!store.boards.has(id)) throw new CwHttpError(404, { code: 'NotFound', message: `Board ${id} not found` });
        return id;
      };
      api.get('/service/boards', async (request: Req, reply) =>
        sendList(ctx, request, reply, boards(), lookups.boards, identity),
      );
      api.get('/service/boards/count', async (request: Req) => sendCount(request, boards(), lookups.boards));
      api.get('/service/boards/:id', async (request: Req) =>
        project(renderer.board(store.boards.get(boardOf(request))!), request.query.fields),
      );
      const statusesOf = (request: Req): Array<Record<string, unknown> & { id: number }> =>
        asRendered(store.statusesOf(boardOf(request)), (s) => renderer.status(s));
      api.get('/service/boards/:parentId/statuses', async (request: Req, reply) =>
        sendList(ctx, request, reply, statusesOf(request), lookups.statuses, identity),
      );
      api.get('/service/boards/:parentId/statuses/count', async (request: Req) =>
        sendCount(request, statusesOf(request), lookups.statuses),
      );
      api.get('/service/boards/:parentId/statuses/:id', async (request: Req) => {
        const boardId = boardOf(request);
        const status = store.statuses.get(intId(request.params.id));
        if (!status || status.boardId !== boardId)
          throw new CwHttpError(404, { code: 'NotFound', message: `BoardStatus ${request.params.id} not found` });
        return project(renderer.status(status), request.query.fields);
      });
      for (const kind of ['types', 'subtypes', 'items'] as const) {
        const map = kind === 'types' ? store.types : kind === 'subtypes' ? store.subTypes : store.items;
        const childrenOf = (request: Req): Array<Record<string, unknown> & { id: number }> => {
          const boardId = boardOf(request);
          return asRendered(
            [...map.values()].filter((c) => c.boardId === boardId),
            (c) => renderer.child(kind, c),
          );
        };
        api.get(`/service/boards/:parentId/${kind}`, async (request: Req, reply) =>
          sendList(ctx, request, reply, childrenOf(request), lookups.children, identity),
        );
        api.get(`/service/boards/:parentId/${kind}/:id`, async (request: Req) => {
          const boardId = boardOf(request);
          const child = map.get(intId(request.params.id));
          if (!child || child.boardId !== boardId)
            throw new CwHttpError(404, {
              code: 'NotFound',
              message: `Board ${kind.replace(/s$/, '')} ${request.params.id} not found`,
            });
          return project(renderer.child(kind, child), request.query.fields);
        });
      }

      // A board's teams (spec: GET /service/boards/{parentId}/teams and /{id}, BoardTeam).
      const teamsOf = (request: Req): Array<Record<string, unknown> & { id: number }> => {
        const boardId = boardOf(request);
        return asRendered(
          [...store.teams.values()].filter((t) => t.boardId === boardId),
          (t) => renderer.team(t),
        );
      };
      api.get('/service/boards/:parentId/teams', async (request: Req, reply) =>
        sendList(ctx, request, reply, teamsOf(request), lookups.teams, identity),
      );
      api.get('/service/boards/:parentId/teams/:id', async (request: Req) => {
        const boardId = boardOf(request);
        const team = store.teams.get(intId(request.params.id));
        if (!team || team.boardId !== boardId)
          throw new CwHttpError(404, { code: 'NotFound', message: `BoardTeam ${request.params.id} not found` });
        return project(renderer.team(team), request.query.fields);
      });

      // Priorities, companies, contacts, members
      const simple = <T>(
        path: string,
        entity: string,
        map: Map<number, T>,
        render: (item: T) => Record<string, unknown>,
        lookup: FieldLookup<Record<string, unknown>>,
        withCount: boolean,
      ): void => {
        const all = (): Array<Record<string, unknown> & { id: number }> => asRendered(map.values(), render);
        api.get(path, async (request: Req, reply) => sendList(ctx, request, reply, all(), lookup, identity));
        if (withCount) api.get(`${path}/count`, async (request: Req) => sendCount(request, all(), lookup));
        api.get(`${path}/:id`, async (request: Req) => {
          const item = map.get(intId(request.params.id));
          if (item === undefined)
            throw new CwHttpError(404, { code: 'NotFound', message: `${entity} ${request.params.id} not found` });
          return project(render(item), request.query.fields);
        });
      };
      simple(
        '/service/priorities',
        'Priority',
        store.priorities,
        (p) => renderer.priority(p),
        lookups.priorities,
        true,
      );
      simple('/company/companies', 'Company', store.companies, (c) => renderer.company(c), lookups.companies, true);
      simple('/company/contacts', 'Contact', store.contacts, (c) => renderer.contact(c), lookups.contacts, true);
      simple('/system/members', 'Member', store.members, (m) => renderer.member(m), lookups.members, true);
      // User-defined fields: not in the vendored spec; the path and shape are an assumption (store.ts).
      simple(
        '/system/userDefinedFields',
        'UserDefinedField',
        store.userDefinedFields,
        (u) => renderer.userDefinedField(u),
        lookups.userDefinedFields,
        true,
      );

      registerDocumentRoutes(api, ctx.documents, ctx.files);

      // Callbacks
      const callbacks = (): Array<Record<string, unknown> & { id: number }> =>
        asRendered(store.callbacks.values(), (c) => renderer.callback(c));
      api.get('/system/callbacks', async (request: Req, reply) =>
        sendList(ctx, request, reply, callbacks(), lookups.callbacks, identity),
      );
      api.get('/system/callbacks/count', async (request: Req) => sendCount(request, callbacks(), lookups.callbacks));
      api.post('/system/callbacks', async (request: Req, reply) =>
        reply.code(201).send(renderer.callback(ctx.callbacks.create(request.body, actorOf(ctx, request)))),
      );
      api.get('/system/callbacks/:id', async (request: Req) =>
        project(renderer.callback(ctx.callbacks.get(intId(request.params.id))), request.query.fields),
      );
      api.put('/system/callbacks/:id', async (request: Req) =>
        renderer.callback(ctx.callbacks.replace(intId(request.params.id), request.body, actorOf(ctx, request))),
      );
      api.patch('/system/callbacks/:id', async (request: Req) =>
        renderer.callback(ctx.callbacks.patch(intId(request.params.id), request.body, actorOf(ctx, request))),
      );
      api.delete('/system/callbacks/:id', async (request: Req, reply) => {
        ctx.callbacks.delete(intId(request.params.id));
        return reply.code(204).send();
      });
    },
    { prefix: '/:codebase/apis/3.0' },
  );
}
