// Jira Service Management routes (`/rest/servicedeskapi`): service desks, request types,
// customer requests and their comments (plain-text bodies, `public` required). Errors use the
// JSM body shape `{errorMessage, i18nErrorMessage}`, not the platform's ErrorCollection.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adfProblem, type AdfNode } from './adf.js';
import { RICH_TEXT_MAX, scalar, setField, SUMMARY_MAX, TOO_LONG, type FieldErrors } from './fields.js';
import type { ProjectDef } from './fixtures.js';
import type { Renderer } from './render.js';
import type { IssueRecord, JiraStore } from './store.js';
import { wikiToAdf } from './wiki.js';

type Query = Record<string, string | undefined>;

export function jsmError(reply: FastifyReply, status: number, message: string, key = 'sd.generic.error'): FastifyReply {
  return reply.code(status).send({ errorMessage: message, i18nErrorMessage: { i18nKey: key, parameters: [] } });
}

function paging(q: Query, defaultLimit: number): { start: number; limit: number } {
  const start = Math.max(0, Number(q.start ?? 0) || 0);
  const limit = Math.min(Math.max(1, Number(q.limit ?? defaultLimit) || defaultLimit), 100);
  return { start, limit };
}

export function paged<T>(base: string, items: T[], start: number, limit: number): Record<string, unknown> {
  const values = items.slice(start, start + limit);
  const isLastPage = start + values.length >= items.length;
  const links: Record<string, string> = { self: `${base}`, base, context: '' };
  if (!isLastPage) links.next = `${base}?start=${start + limit}&limit=${limit}`;
  if (start > 0) links.prev = `${base}?start=${Math.max(0, start - limit)}&limit=${limit}`;
  return { _expands: [], size: values.length, start, limit, isLastPage, values, _links: links };
}

export interface ServiceDeskDeps {
  store: JiraStore;
  render: Renderer;
  actor: (request: FastifyRequest) => string;
  base: () => string;
}

export function registerServiceDeskRoutes(app: FastifyInstance, deps: ServiceDeskDeps): void {
  const { store, render, actor, base } = deps;
  const desks = (): ProjectDef[] => [...store.projects.values()].filter((p) => p.serviceDesk);
  const deskDto = (p: ProjectDef): Record<string, unknown> => ({
    id: p.serviceDesk!.id,
    projectId: p.id,
    projectName: p.name,
    projectKey: p.key,
    projectTypeKey: 'service_desk',
    _links: { self: `${base()}/rest/servicedeskapi/servicedesk/${p.serviceDesk!.id}` },
  });

  const findRequest = (request: FastifyRequest, reply: FastifyReply): IssueRecord | undefined => {
    const { issueIdOrKey } = request.params as { issueIdOrKey: string };
    const issue = store.issue(issueIdOrKey);
    if (!issue || !store.projectOf(issue).serviceDesk) {
      void jsmError(
        reply,
        404,
        'Request does not exist or you do not have permission to see it.',
        'sd.request.error.not.found',
      );
      return undefined;
    }
    return issue;
  };

  app.get('/rest/servicedeskapi/servicedesk', async (request) => {
    const { start, limit } = paging(request.query as Query, 50);
    return paged(`${base()}/rest/servicedeskapi/servicedesk`, desks().map(deskDto), start, limit);
  });

  app.get('/rest/servicedeskapi/servicedesk/:serviceDeskId', async (request, reply) => {
    const desk = store.serviceDesk((request.params as { serviceDeskId: string }).serviceDeskId);
    if (!desk)
      return jsmError(
        reply,
        404,
        'The service desk does not exist or you do not have permission to see it.',
        'sd.servicedesk.error.not.found',
      );
    return deskDto(desk);
  });

  app.get('/rest/servicedeskapi/servicedesk/:serviceDeskId/requesttype', async (request, reply) => {
    const desk = store.serviceDesk((request.params as { serviceDeskId: string }).serviceDeskId);
    if (!desk)
      return jsmError(
        reply,
        404,
        'The service desk does not exist or you do not have permission to see it.',
        'sd.servicedesk.error.not.found',
      );
    const q = request.query as Query;
    const { start, limit } = paging(q, 50);
    const search = q.searchQuery?.toLowerCase();
    const types = desk
      .serviceDesk!.requestTypes.filter((rt) => !search || rt.name.toLowerCase().includes(search))
      .map((rt) => ({
        _links: { self: `${base()}/rest/servicedeskapi/servicedesk/${desk.serviceDesk!.id}/requesttype/${rt.id}` },
        id: rt.id,
        name: rt.name,
        description: rt.description,
        helpText: '',
        issueTypeId: rt.issueTypeId,
        serviceDeskId: desk.serviceDesk!.id,
        portalId: desk.serviceDesk!.id,
        groupIds: ['1'],
        icon: {
          id: '10500',
          _links: { iconUrls: { '48x48': `${base()}/secure/viewavatar?avatarId=10500&size=large` } },
        },
        restrictionStatus: 'OPEN',
        canCreateRequest: true,
      }));
    return paged(`${base()}/rest/servicedeskapi/servicedesk/${desk.serviceDesk!.id}/requesttype`, types, start, limit);
  });

  app.post('/rest/servicedeskapi/request', async (request, reply) => {
    const body = (request.body ?? {}) as {
      serviceDeskId?: unknown;
      requestTypeId?: unknown;
      requestFieldValues?: Record<string, unknown>;
      raiseOnBehalfOf?: unknown;
      isAdfRequest?: unknown;
    };
    const desk = body.serviceDeskId === undefined ? undefined : store.serviceDesk(scalar(body.serviceDeskId));
    if (!desk)
      return jsmError(
        reply,
        404,
        'The service desk does not exist or you do not have permission to see it.',
        'sd.servicedesk.error.not.found',
      );
    const rt = desk.serviceDesk!.requestTypes.find((r) => r.id === scalar(body.requestTypeId));
    if (!rt)
      return jsmError(
        reply,
        400,
        'The request type you specified does not exist or is not accessible.',
        'sd.request.create.error.requesttype.not.found',
      );
    const values = body.requestFieldValues ?? {};
    if (typeof values.summary !== 'string' || values.summary.trim() === '')
      return jsmError(reply, 400, 'Summary: You must specify a summary of the issue.', 'sd.request.create.error.field');
    if (values.summary.length > SUMMARY_MAX)
      return jsmError(
        reply,
        400,
        'Summary: Summary must be less than 255 characters.',
        'sd.request.create.error.field',
      );
    for (const fieldId of rt.requiredFields ?? []) {
      const v = values[fieldId];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === ''))
        return jsmError(
          reply,
          400,
          `${fieldId.charAt(0).toUpperCase()}${fieldId.slice(1)}: You must specify a value for this field.`,
          'sd.request.create.error.field',
        );
    }
    let reporter = actor(request);
    if (body.raiseOnBehalfOf !== undefined) {
      const who = [...store.users.values()].find(
        (u) => u.accountId === body.raiseOnBehalfOf || u.emailAddress === body.raiseOnBehalfOf,
      );
      if (!who)
        return jsmError(
          reply,
          400,
          `The user '${scalar(body.raiseOnBehalfOf)}' does not exist.`,
          'sd.request.create.error.raiseonbehalfof',
        );
      reporter = who.accountId;
    }
    const draft: IssueRecord = {
      id: 0,
      key: '',
      projectId: desk.id,
      issueTypeId: rt.issueTypeId,
      statusId: desk.workflow.initialStatus,
      priorityId: '3',
      resolutionId: null,
      summary: '',
      description: null,
      labels: [],
      assignee: null,
      reporter,
      creator: actor(request),
      requestTypeId: rt.id,
      custom: {},
      created: 0,
      updated: 0,
      resolutiondate: null,
      statusChanged: 0,
    };
    const errors: FieldErrors = {};
    for (const [fieldId, value] of Object.entries(values)) {
      if (fieldId === 'description') {
        // servicedeskapi takes a string JSM reads as wiki markup (`*bold*`, `#` lists, `{code}`),
        // unless the (experimental) ADF flag is set.
        if (body.isAdfRequest === true) {
          if (adfProblem(value)) errors.description = 'Description: invalid Atlassian Document';
          else draft.description = value as AdfNode;
        } else if (typeof value !== 'string') errors.description = 'Description: must be a string';
        else if (value.length > RICH_TEXT_MAX) errors.description = TOO_LONG;
        else draft.description = value.trim() === '' ? null : wikiToAdf(value);
        continue;
      }
      if (fieldId === 'status' || fieldId === 'resolution' || fieldId === 'issuetype' || fieldId === 'project') {
        errors[fieldId] = `The field '${fieldId}' is not valid for this request type.`;
        continue;
      }
      setField(store, draft, fieldId, value, errors);
    }
    const first = Object.entries(errors)[0];
    if (first) return jsmError(reply, 400, `${first[0]}: ${first[1]}`, 'sd.request.create.error.field');
    const { id: _id, key: _key, created: _c, updated: _u, statusChanged: _s, resolutiondate: _r, ...input } = draft;
    const issue = store.createIssue(input, actor(request));
    return reply.code(201).send(render.customerRequest(issue));
  });

  app.get('/rest/servicedeskapi/request/:issueIdOrKey', async (request, reply) => {
    const issue = findRequest(request, reply);
    if (!issue) return reply;
    return render.customerRequest(issue);
  });

  app.get('/rest/servicedeskapi/request/:issueIdOrKey/comment', async (request, reply) => {
    const issue = findRequest(request, reply);
    if (!issue) return reply;
    const q = request.query as Query;
    const { start, limit } = paging(q, 50);
    const wantPublic = q.public !== 'false';
    const wantInternal = q.internal !== 'false';
    const comments = (store.comments.get(issue.id) ?? [])
      .filter((c) => (c.jsdPublic ? wantPublic : wantInternal))
      .map((c) => render.commentDto(c));
    return paged(`${base()}/rest/servicedeskapi/request/${issue.id}/comment`, comments, start, limit);
  });

  app.post('/rest/servicedeskapi/request/:issueIdOrKey/comment', async (request, reply) => {
    const issue = findRequest(request, reply);
    if (!issue) return reply;
    const body = (request.body ?? {}) as { body?: unknown; public?: unknown };
    if (typeof body.public !== 'boolean')
      return jsmError(
        reply,
        400,
        "The 'public' field is required and must be true or false.",
        'sd.comment.error.public.required',
      );
    if (typeof body.body !== 'string' || body.body.trim() === '')
      return jsmError(reply, 400, 'The comment body must not be empty.', 'sd.comment.error.body.empty');
    if (body.body.length > RICH_TEXT_MAX) return jsmError(reply, 400, TOO_LONG, 'sd.comment.error.body.too.long');
    const comment = store.addComment(issue, {
      body: wikiToAdf(body.body),
      author: actor(request),
      jsdPublic: body.public,
      properties: [['sd.public.comment', { internal: !body.public }]],
    });
    return reply.code(201).send(render.commentDto(comment));
  });
}
