// The vendor routes of the simulated Freshservice API v2: tickets (list with its filters and the
// 30-day default window, filter query, view, create, partial update, soft delete, restore),
// conversations (list, note, reply, edit, delete), ticket form fields, groups, agents, requesters.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_AGENT_ID } from './fixtures.js';
import {
  evaluateQuery,
  parseFilterQuery,
  QueryError,
  validateQuery,
  type FieldKind,
  type QueryNode,
} from './filter-query.js';
import {
  renderAgent,
  renderConversation,
  renderFormFields,
  renderGroup,
  renderRequester,
  renderTicket,
} from './render.js';
import type { FsAttachments } from './attachments.js';
import type { FreshserviceStore, TicketRec } from './store.js';
import { parseInputDate, ValidationFailure, type FieldError } from './validate.js';

type Query = Record<string, string | undefined>;

const THIRTY_DAYS_MS = 30 * 86_400_000;
/**
 * What a view has and the reference's create 201 and update examples do not
 * (FsBehaviour.createAnswerComplete, updateAnswerComplete).
 */
const ANSWER_GAPS = ['urgency', 'impact', 'deleted'];
/**
 * The includes the reference documents (D§view-list-of-tickets, D§view-a-ticket; research note
 * §4.1-4.2). `tags` is not one of them, so it is refused like any other unknown include.
 */
export const LIST_INCLUDES = new Set([
  'stats',
  'requester',
  'requested_for',
  'onboarding_context',
  'offboarding_context',
]);
export const VIEW_INCLUDES = new Set([
  ...LIST_INCLUDES,
  'conversations',
  'problem',
  'assets',
  'changes',
  'related_tickets',
]);
const LIST_FILTERS = new Set(['new_and_my_open', 'watching', 'spam', 'deleted', 'all_tickets']);
const FILTER_PAGE_CAP = 40;
const QUERY_MAX_CHARS = 512;

export function validationFailed(reply: FastifyReply, errors: FieldError[]): FastifyReply {
  return reply.code(400).send({ description: 'Validation failed', errors });
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ code: 'access_denied', message: 'The requested resource does not exist' });
}

/** Parses `include=a,b`; an unknown value is a 400 like any other invalid parameter. */
export function parseInclude(raw: string | undefined, allowed: Set<string>): Set<string> | FieldError {
  const set = new Set<string>();
  if (raw === undefined || raw === '') return set;
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!allowed.has(part))
      return {
        field: 'include',
        message: `It should be one of these values: '${[...allowed].join(',')}'`,
        code: 'invalid_value',
      };
    set.add(part);
  }
  return set;
}

function intParam(raw: string | undefined, name: string, fallback: number, max?: number): number | FieldError {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    return { field: name, message: 'It should be a/an Positive Integer', code: 'datatype_mismatch' };
  if (max !== undefined && n > max)
    return { field: name, message: `Value must be less than or equal to ${max}`, code: 'invalid_value' };
  return n;
}

function isError(x: unknown): x is FieldError {
  return typeof x === 'object' && x !== null && 'code' in x && 'field' in x;
}

function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? '127.0.0.1'}`;
}

/** `Link: <…page=N+1>; rel="next"`, only when another page exists. */
function setNextLink(request: FastifyRequest, reply: FastifyReply, page: number): void {
  const url = new URL(request.url, baseUrlOf(request));
  url.searchParams.set('page', String(page + 1));
  void reply.header('Link', `<${url.toString()}>; rel="next"`);
}

function workspaceMatcher(store: FreshserviceStore, raw: string | undefined): ((t: TicketRec) => boolean) | FieldError {
  if (raw === undefined || raw === '') {
    const primary = store.primaryWorkspaceId;
    return (t) => t.workspaceId === primary;
  }
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 0)
    return { field: 'workspace_id', message: 'It should be a/an Positive Integer', code: 'datatype_mismatch' };
  if (id === 0) return () => true;
  return (t) => t.workspaceId === id;
}

/** The routes that take multipart `attachments[]` (D§attachments). */
const MULTIPART_ROUTES = new Set([
  'POST /api/v2/tickets',
  'PUT /api/v2/tickets/:id',
  'POST /api/v2/tickets/:id/notes',
  'POST /api/v2/tickets/:id/reply',
]);

export function registerRoutes(app: FastifyInstance, store: FreshserviceStore, files: FsAttachments): void {
  app.addHook('preHandler', async (request, reply) => {
    if (!String(request.headers['content-type'] ?? '').startsWith('multipart/form-data')) return;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    if (!MULTIPART_ROUTES.has(route))
      return reply
        .code(415)
        .send({ code: 'invalid_content_type', message: 'Content-Type multipart/form-data is not supported here' });
    const id = Number((request.params as { id?: string }).id);
    const t = Number.isInteger(id) ? store.get(id) : undefined;
    const answered = await files.parse(request, reply, t?.id ?? null);
    if (answered) return answered;
    reply.raw.once('finish', () => {
      // Files of a refused request are not kept.
      if (reply.statusCode >= 400) files.discard(request);
    });
    return undefined;
  });
  files.registerCdn(app);

  const ticketOr404 = (id: string, reply: FastifyReply): TicketRec | undefined => {
    const n = Number(id);
    const t = Number.isInteger(n) ? store.get(n) : undefined;
    if (!t) void notFound(reply);
    return t;
  };

  const bodyOf = (request: FastifyRequest): Record<string, unknown> | FieldError => {
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
      return { field: '', message: 'Request body has invalid json format', code: 'invalid_json' };
    return body as Record<string, unknown>;
  };

  app.get('/api/v2/tickets', async (request, reply) => {
    const q = request.query as Query;
    const perPage = intParam(q.per_page, 'per_page', 30, 100);
    const page = intParam(q.page, 'page', 1);
    const include = parseInclude(q.include, LIST_INCLUDES);
    const inWorkspace = workspaceMatcher(store, q.workspace_id);
    for (const x of [perPage, page, include, inWorkspace]) if (isError(x)) return validationFailed(reply, [x]);
    const filter = q.filter ?? '';
    if (filter !== '' && !LIST_FILTERS.has(filter))
      return validationFailed(reply, [
        {
          field: 'filter',
          message: `It should be one of these values: '${[...LIST_FILTERS].join(',')}'`,
          code: 'invalid_value',
        },
      ]);
    // `filter` and `updated_since` are documented separately, never together: the simulator refuses
    // the combination (assumption, harsher reading) so nothing relies on how it would behave.
    if (filter !== '' && q.updated_since !== undefined)
      return validationFailed(reply, [
        {
          field: 'filter',
          message: 'filter cannot be combined with updated_since',
          code: 'incompatible_field',
        },
      ]);
    const order = q.order_type ?? 'desc';
    if (order !== 'asc' && order !== 'desc')
      return validationFailed(reply, [
        { field: 'order_type', message: "It should be one of these values: 'asc,desc'", code: 'invalid_value' },
      ]);
    let since: number | undefined;
    if (q.updated_since !== undefined) {
      since = parseInputDate(q.updated_since);
      if (since === undefined)
        return validationFailed(reply, [
          { field: 'updated_since', message: "It should be in the 'valid date time' format", code: 'invalid_value' },
        ]);
    }
    let requesterId: number | undefined;
    if (q.email !== undefined) requesterId = store.requesterByEmail.get(q.email.toLowerCase()) ?? -1;
    if (q.requester_id !== undefined) requesterId = Number(q.requester_id);
    if (q.type !== undefined && q.type !== 'Incident' && q.type !== 'Service Request')
      return validationFailed(reply, [
        {
          field: 'type',
          message: "It should be one of these values: 'Incident,Service Request'",
          code: 'invalid_value',
        },
      ]);
    const windowStart = store.now() - THIRTY_DAYS_MS;
    const pp = perPage as number;
    const pg = page as number;
    const inWs = inWorkspace as (t: TicketRec) => boolean;
    const match = (t: TicketRec): boolean => {
      if (filter === 'deleted') {
        if (!t.deleted) return false;
      } else if (filter === 'spam') {
        if (!t.spam || t.deleted) return false;
      } else if (t.deleted || t.spam) return false;
      if (filter === 'watching') return false;
      if (
        filter === 'new_and_my_open' &&
        !(t.status === 2 && (t.responderId === null || t.responderId === API_AGENT_ID))
      )
        return false;
      if (since !== undefined ? t.updatedAt < since : t.createdAt < windowStart) return false;
      if (!inWs(t)) return false;
      if (requesterId !== undefined && t.requesterId !== requesterId) return false;
      if (q.type !== undefined && t.type !== q.type) return false;
      return true;
    };
    // Walk in id (= creation) order and stop one past the page: cheap even with 100,000 tickets.
    const skip = (pg - 1) * pp;
    const out: TicketRec[] = [];
    let seen = 0;
    const tickets = store.tickets;
    const visit = (t: TicketRec | undefined): boolean => {
      if (!t || !match(t)) return true;
      seen++;
      if (seen <= skip) return true;
      out.push(t);
      return out.length <= pp;
    };
    if (order === 'asc') {
      for (let i = 1; i < tickets.length; i++) if (!visit(tickets[i])) break;
    } else {
      for (let i = tickets.length - 1; i >= 1; i--) if (!visit(tickets[i])) break;
    }
    if (out.length > pp) {
      out.length = pp;
      setNextLink(request, reply, pg);
    }
    const inc = include as Set<string>;
    return { tickets: out.map((t) => renderTicket(store, t, 'list', inc)) };
  });

  app.get('/api/v2/tickets/filter', async (request, reply) => {
    const q = request.query as Query;
    const raw = q.query;
    const fail = (message: string): FastifyReply =>
      validationFailed(reply, [{ field: 'query', message, code: 'invalid_value' }]);
    if (raw === undefined)
      return validationFailed(reply, [{ field: 'query', message: 'It should be a/an String', code: 'missing_field' }]);
    if (raw.length > QUERY_MAX_CHARS) return fail(`It should not be longer than ${QUERY_MAX_CHARS} characters`);
    if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"'))
      return fail('The query should be enclosed in double quotes');
    const page = intParam(q.page, 'page', 1, FILTER_PAGE_CAP);
    const perPage = intParam(q.per_page, 'per_page', 30, 100);
    const inWorkspace = workspaceMatcher(store, q.workspace_id);
    for (const x of [page, perPage, inWorkspace]) if (isError(x)) return validationFailed(reply, [x]);
    const kindOf = (field: string): FieldKind | undefined => filterFieldKind(store, field);
    let node: QueryNode;
    try {
      node = parseFilterQuery(raw.slice(1, -1));
      validateQuery(node, kindOf);
    } catch (err) {
      if (err instanceof QueryError) return fail(err.message);
      throw err;
    }
    const inWs = inWorkspace as (t: TicketRec) => boolean;
    const matches: TicketRec[] = [];
    for (let i = store.tickets.length - 1; i >= 1; i--) {
      const t = store.tickets[i];
      if (!t || t.deleted || t.spam || !inWs(t)) continue;
      if (evaluateQuery(node, filterTarget(store, t), kindOf)) matches.push(t);
    }
    const pp = perPage as number;
    const start = ((page as number) - 1) * pp;
    return {
      tickets: matches.slice(start, start + pp).map((t) => renderTicket(store, t, 'list')),
      total: matches.length,
    };
  });

  app.get('/api/v2/tickets/:id', async (request, reply) => {
    const include = parseInclude((request.query as Query).include, VIEW_INCLUDES);
    if (isError(include)) return validationFailed(reply, [include]);
    const t = ticketOr404((request.params as { id: string }).id, reply);
    if (!t) return reply;
    return { ticket: { ...renderTicket(store, t, 'view', include), attachments: files.ofTicket(t.id) } };
  });

  app.post('/api/v2/tickets', async (request, reply) => {
    const body = bodyOf(request);
    if (isError(body)) return validationFailed(reply, [body]);
    try {
      const t = store.createTicket(body);
      files.attachToTicket(t.id, files.uploadOf(request));
      void reply.header('Location', `${baseUrlOf(request)}/api/v2/tickets/${t.id}`);
      const answer: Record<string, unknown> = { ...renderTicket(store, t, 'write'), attachments: files.ofTicket(t.id) };
      if (!store.behaviour.createAnswerComplete) for (const key of ANSWER_GAPS) delete answer[key];
      return reply.code(201).send({ ticket: answer });
    } catch (err) {
      if (err instanceof ValidationFailure) return validationFailed(reply, err.errors);
      throw err;
    }
  });

  app.put('/api/v2/tickets/:id', async (request, reply) => {
    const body = bodyOf(request);
    if (isError(body)) return validationFailed(reply, [body]);
    const t = ticketOr404((request.params as { id: string }).id, reply);
    if (!t) return reply;
    try {
      store.updateTicket(t, body);
      files.attachToTicket(t.id, files.uploadOf(request));
      const answer: Record<string, unknown> = { ...renderTicket(store, t, 'write'), attachments: files.ofTicket(t.id) };
      if (!store.behaviour.updateAnswerComplete) for (const key of ANSWER_GAPS) delete answer[key];
      return { ticket: answer };
    } catch (err) {
      if (err instanceof ValidationFailure) return validationFailed(reply, err.errors);
      throw err;
    }
  });

  app.delete('/api/v2/tickets/:id', async (request, reply) => {
    const t = ticketOr404((request.params as { id: string }).id, reply);
    if (!t) return reply;
    store.deleteTicket(t);
    return reply.code(204).send();
  });

  app.put('/api/v2/tickets/:id/restore', async (request, reply) => {
    const t = ticketOr404((request.params as { id: string }).id, reply);
    if (!t) return reply;
    store.restoreTicket(t);
    return reply.code(204).send();
  });

  for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v2/tickets',
      handler: async (_request, reply) =>
        reply
          .code(405)
          .header('Allow', 'GET, POST')
          .send({ code: 'method_not_allowed', message: 'GET, POST methods are allowed' }),
    });
  }

  app.get('/api/v2/tickets/:id/conversations', async (request, reply) => {
    const q = request.query as Query;
    const page = intParam(q.page, 'page', 1);
    const perPage = intParam(q.per_page, 'per_page', 30, 100);
    for (const x of [page, perPage]) if (isError(x)) return validationFailed(reply, [x]);
    const t = ticketOr404((request.params as { id: string }).id, reply);
    if (!t) return reply;
    const all = store.conversations.get(t.id) ?? [];
    const pp = perPage as number;
    const start = ((page as number) - 1) * pp;
    if (all.length > start + pp) setNextLink(request, reply, page as number);
    return {
      conversations: all
        .slice(start, start + pp)
        .map((c) => ({ ...renderConversation(c, 'list'), attachments: files.ofConversation(c.id) })),
    };
  });

  const NOTE_ATTRIBUTES = new Set(['body', 'private', 'incoming', 'notify_emails', 'user_id']);
  const REPLY_ATTRIBUTES = new Set(['body', 'from_email', 'user_id', 'cc_emails', 'bcc_emails']);
  const conversationBody = (body: Record<string, unknown>, allowed: Set<string>): FieldError[] => {
    const errors: FieldError[] = [];
    for (const key of Object.keys(body))
      if (!allowed.has(key))
        errors.push({ field: key, message: 'Unexpected/invalid field in request', code: 'invalid_field' });
    if (typeof body.body !== 'string' || body.body.trim() === '')
      errors.push({ field: 'body', message: 'It should be a/an String', code: 'missing_field' });
    for (const key of ['private', 'incoming'])
      if (body[key] !== undefined && typeof body[key] !== 'boolean')
        errors.push({ field: key, message: 'It should be a/an Boolean', code: 'datatype_mismatch' });
    return errors;
  };

  for (const kind of ['note', 'reply'] as const) {
    app.post(`/api/v2/tickets/:id/${kind === 'note' ? 'notes' : 'reply'}`, async (request, reply) => {
      const body = bodyOf(request);
      if (isError(body)) return validationFailed(reply, [body]);
      const errors = conversationBody(body, kind === 'note' ? NOTE_ATTRIBUTES : REPLY_ATTRIBUTES);
      if (errors.length > 0) return validationFailed(reply, errors);
      const t = ticketOr404((request.params as { id: string }).id, reply);
      if (!t) return reply;
      const c = store.addConversation(t, kind, body);
      files.attachToConversation(c.id, t.id, files.uploadOf(request));
      return reply
        .code(201)
        .send({ conversation: { ...renderConversation(c, kind), attachments: files.ofConversation(c.id) } });
    });
  }

  app.put('/api/v2/conversations/:id', async (request, reply) => {
    const body = bodyOf(request);
    if (isError(body)) return validationFailed(reply, [body]);
    const c = store.conversationById.get(Number((request.params as { id: string }).id));
    if (!c) return notFound(reply);
    if (c.source !== 2)
      return reply.code(405).send({ code: 'method_not_allowed', message: 'Only notes can be edited' });
    const errors = conversationBody(body, new Set(['body']));
    if (errors.length > 0) return validationFailed(reply, errors);
    store.editConversation(c, body.body as string);
    return { conversation: renderConversation(c, 'edit') };
  });

  app.delete('/api/v2/conversations/:id', async (request, reply) => {
    const c = store.conversationById.get(Number((request.params as { id: string }).id));
    if (!c) return notFound(reply);
    store.deleteConversation(c);
    return reply.code(204).send();
  });

  app.get('/api/v2/ticket_form_fields', async () => ({ ticket_fields: renderFormFields(store) }));

  const paged = <T>(request: FastifyRequest, reply: FastifyReply, items: T[]): T[] | FastifyReply => {
    const q = request.query as Query;
    const page = intParam(q.page, 'page', 1);
    const perPage = intParam(q.per_page, 'per_page', 30, 100);
    for (const x of [page, perPage]) if (isError(x)) return validationFailed(reply, [x]);
    const pp = perPage as number;
    const start = ((page as number) - 1) * pp;
    if (items.length > start + pp) setNextLink(request, reply, page as number);
    return items.slice(start, start + pp);
  };

  for (const path of ['/api/v2/groups', '/api/v2/agent_groups']) {
    app.get(path, async (request, reply) => {
      const page = paged(request, reply, store.account.groups);
      return Array.isArray(page) ? { groups: page.map(renderGroup) } : page;
    });
    app.get(`${path}/:id`, async (request, reply) => {
      const g = store.group(Number((request.params as { id: string }).id));
      return g ? { group: renderGroup(g) } : notFound(reply);
    });
  }

  app.get('/api/v2/agents', async (request, reply) => {
    const page = paged(request, reply, store.account.agents);
    return Array.isArray(page) ? { agents: page.map(renderAgent) } : page;
  });
  app.get('/api/v2/agents/:id', async (request, reply) => {
    const a = store.account.agents.find((x) => x.id === Number((request.params as { id: string }).id));
    return a ? { agent: renderAgent(a) } : notFound(reply);
  });

  app.get('/api/v2/requesters', async (request, reply) => {
    const email = (request.query as Query).email?.toLowerCase();
    const all = [...store.requesters.values()].filter(
      (r) => email === undefined || r.primary_email.toLowerCase() === email,
    );
    const page = paged(request, reply, all);
    return Array.isArray(page) ? { requesters: page.map(renderRequester) } : page;
  });
  app.get('/api/v2/requesters/:id', async (request, reply) => {
    const r = store.requesters.get(Number((request.params as { id: string }).id));
    return r ? { requester: renderRequester(r) } : notFound(reply);
  });
}

const FILTER_FIELDS: Record<string, FieldKind> = {
  workspace_id: 'number',
  requester_id: 'number',
  email: 'string',
  agent_id: 'number',
  group_id: 'number',
  priority: 'number',
  status: 'number',
  impact: 'number',
  urgency: 'number',
  tag: 'tag',
  due_by: 'date',
  fr_due_by: 'date',
  created_at: 'date',
  updated_at: 'date',
};

/** Standard fields plus custom fields of type number, checkbox, dropdown and date (not text). */
export function filterFieldKind(store: FreshserviceStore, field: string): FieldKind | undefined {
  const standard = FILTER_FIELDS[field];
  if (standard) return standard;
  const custom = store.account.customFields.find((f) => f.name === field);
  switch (custom?.field_type) {
    case 'custom_number':
      return 'number';
    case 'custom_checkbox':
      return 'boolean';
    case 'custom_dropdown':
      return 'string';
    case 'custom_date':
      return 'date';
    default:
      return undefined;
  }
}

function filterTarget(
  store: FreshserviceStore,
  t: TicketRec,
): { get(field: string): number | string | boolean | null | string[] } {
  return {
    get(field) {
      switch (field) {
        case 'workspace_id':
          return t.workspaceId;
        case 'requester_id':
          return t.requesterId;
        case 'email':
          return store.requesters.get(t.requesterId)?.primary_email ?? null;
        case 'agent_id':
          return t.responderId;
        case 'group_id':
          return t.groupId;
        case 'priority':
          return t.priority;
        case 'status':
          return t.status;
        case 'impact':
          return t.impact;
        case 'urgency':
          return t.urgency;
        case 'tag':
          return t.tags;
        case 'due_by':
          return new Date(t.dueBy).toISOString();
        case 'fr_due_by':
          return new Date(t.frDueBy).toISOString();
        case 'created_at':
          return new Date(t.createdAt).toISOString();
        case 'updated_at':
          return new Date(t.updatedAt).toISOString();
        default: {
          const v = t.custom?.[field];
          if (v === undefined) return null;
          return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
        }
      }
    },
  };
}
