// Jira platform REST v3 routes: issues (create, get, edit), search/jql, transitions, comments,
// issue properties, changelog and the reference data (myself, fields, priorities, statuses).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NOT_ADF_MESSAGE, adfProblem, type AdfNode } from './adf.js';
import { applyUpdateOps, notOnScreen, richTextTooLong, scalar, setField, type FieldErrors } from './fields.js';
import { GROUPS, ISSUE_TYPES, PRIORITIES, RESOLUTIONS } from './fixtures.js';
import { JqlError } from './jql.js';
import type { Renderer } from './render.js';
import { SearchError, runSearch } from './search.js';
import type { IssueRecord, JiraStore } from './store.js';

type Query = Record<string, string | string[] | undefined>;

export function jiraError(
  reply: FastifyReply,
  status: number,
  errorMessages: string[],
  errors: Record<string, string> = {},
): FastifyReply {
  return reply.code(status).send({ errorMessages, errors });
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function int(value: string | string[] | undefined, fallback: number): number {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isInteger(n) ? n : fallback;
}

const NO_ISSUE = 'Issue does not exist or you do not have permission to see it.';

export interface PlatformDeps {
  store: JiraStore;
  render: Renderer;
  actor: (request: FastifyRequest) => string;
}

export function registerPlatformRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const { store, render, actor } = deps;

  const findIssue = (request: FastifyRequest, reply: FastifyReply): IssueRecord | undefined => {
    const { issueIdOrKey } = request.params as { issueIdOrKey: string };
    const issue = store.issue(issueIdOrKey);
    if (!issue) void jiraError(reply, 404, [NO_ISSUE]);
    return issue;
  };

  // ---- identity and reference data ------------------------------------------------------------
  app.get('/rest/api/3/myself', async (request) => ({
    ...render.user(actor(request)),
    locale: 'en_US',
    groups: { size: 2, items: [] },
    applicationRoles: { size: 2, items: [] },
    expand: 'groups,applicationRoles',
  }));

  // Users who may be assigned issues in a project: the site's active Atlassian accounts (JSM
  // customers, accountType "customer", never qualify). One of project, issueKey or issueId is
  // required; `query` matches the start of a name or e-mail; startAt/maxResults page.
  app.get('/rest/api/3/user/assignable/search', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const projectKey =
      q.project ??
      ((q.issueKey ?? q.issueId) ? store.issue(q.issueKey ?? q.issueId ?? '')?.key.split('-')[0] : undefined);
    if (q.project === undefined && q.issueKey === undefined && q.issueId === undefined)
      return jiraError(reply, 400, [
        'One of the following query parameters must be provided: project, issueKey, issueId.',
      ]);
    if (projectKey === undefined || !store.project(projectKey))
      return jiraError(reply, 404, [`No project could be found with key '${q.project ?? q.issueKey ?? q.issueId}'.`]);
    const needle = (q.query ?? '').toLowerCase();
    const users = [...store.users.values()].filter(
      (u) =>
        u.active &&
        u.accountType === 'atlassian' &&
        (needle === '' ||
          u.displayName
            .toLowerCase()
            .split(' ')
            .some((w) => w.startsWith(needle)) ||
          u.emailAddress.toLowerCase().startsWith(needle)),
    );
    const startAt = Number(q.startAt ?? 0);
    const maxResults = Math.min(Number(q.maxResults ?? 50), 1000);
    return users.slice(startAt, startAt + maxResults).map((u) => render.user(u.accountId));
  });

  const priorityDto = (p: (typeof PRIORITIES)[number]): Record<string, unknown> => ({
    ...render.priority(p),
    description: p.description,
    statusColor: p.statusColor,
    isDefault: p.isDefault ?? false,
  });
  // `GET /priority` is deprecated in the platform spec; the simulator takes the harsher reading
  // that it is gone (as /search went), so nothing keeps relying on it.
  app.get('/rest/api/3/priority', async (_request, reply) =>
    jiraError(reply, 410, [
      'The requested API has been removed. Please use GET /rest/api/3/priority/search, which returns priorities page by page.',
    ]),
  );
  // Paginated (PageBeanPriority): startAt, maxResults (at most 50 here), total, isLast, values.
  app.get('/rest/api/3/priority/search', async (request) => {
    const q = request.query as Query;
    const startAt = Math.max(0, int(q.startAt, 0));
    const maxResults = Math.min(Math.max(1, int(q.maxResults, 50)), 50);
    const ids = list(q.id);
    const name = typeof q.priorityName === 'string' ? q.priorityName.toLowerCase() : '';
    const all = PRIORITIES.filter(
      (p) =>
        (ids.length === 0 || ids.includes(p.id)) &&
        (name === '' || p.name.toLowerCase().includes(name)) &&
        (q.onlyDefault !== 'true' || p.isDefault === true),
    );
    const values = all.slice(startAt, startAt + maxResults).map(priorityDto);
    const isLast = startAt + values.length >= all.length;
    const self = `${request.protocol}://${request.headers.host ?? ''}/rest/api/3/priority/search`;
    const out: Record<string, unknown> = { self, maxResults, startAt, total: all.length, isLast, values };
    if (!isLast) out.nextPage = `${self}?startAt=${startAt + values.length}&maxResults=${maxResults}`;
    return out;
  });
  // Groups, paginated (PageBeanGroupDetails, platform spec GET /rest/api/3/group/bulk): startAt,
  // maxResults (default 50; at most 50 here, the harsher reading of an unstated cap), total, isLast,
  // values [{name, groupId}]; groupId and groupName filter (repeatable).
  app.get('/rest/api/3/group/bulk', async (request) => {
    const q = request.query as Query;
    const startAt = Math.max(0, int(q.startAt, 0));
    const maxResults = Math.min(Math.max(1, int(q.maxResults, 50)), 50);
    const ids = list(q.groupId);
    const names = list(q.groupName).map((n) => n.toLowerCase());
    const all = GROUPS.filter(
      (g) =>
        (ids.length === 0 || ids.includes(g.groupId)) && (names.length === 0 || names.includes(g.name.toLowerCase())),
    );
    const values = all.slice(startAt, startAt + maxResults).map((g) => ({ name: g.name, groupId: g.groupId }));
    const isLast = startAt + values.length >= all.length;
    const self = `${request.protocol}://${request.headers.host ?? ''}/rest/api/3/group/bulk`;
    const out: Record<string, unknown> = { self, maxResults, startAt, total: all.length, isLast, values };
    if (!isLast) out.nextPage = `${self}?startAt=${startAt + values.length}&maxResults=${maxResults}`;
    return out;
  });
  app.get('/rest/api/3/resolution', async () =>
    RESOLUTIONS.map((r) => ({
      self: `/rest/api/3/resolution/${r.id}`,
      id: r.id,
      name: r.name,
      description: r.description,
    })),
  );
  app.get('/rest/api/3/status', async () => {
    const used = new Set(
      [...store.projects.values()].flatMap((p) => [
        p.workflow.initialStatus,
        ...p.workflow.transitions.map((t) => t.to),
      ]),
    );
    return [...store.statuses.values()].filter((s) => used.has(s.id)).map((s) => render.status(s));
  });
  app.get('/rest/api/3/issuetype', async () => ISSUE_TYPES.map((t) => render.issueType(t.id)));
  app.get('/rest/api/3/field', async () =>
    [...store.fields.values()].map((f) => ({
      id: f.id,
      key: f.id,
      name: f.name,
      custom: f.custom,
      orderable: f.id !== 'status',
      navigable: true,
      searchable: true,
      clauseNames: f.custom ? [`cf[${f.id.replace('customfield_', '')}]`, f.name] : [f.id],
      schema: f.schema,
    })),
  );
  app.get('/rest/api/3/project/:projectIdOrKey', async (request, reply) => {
    const project = store.project((request.params as { projectIdOrKey: string }).projectIdOrKey);
    if (!project)
      return jiraError(reply, 404, [
        "No project could be found with key '" + (request.params as { projectIdOrKey: string }).projectIdOrKey + "'.",
      ]);
    return { ...render.project(project), issueTypes: project.issueTypeIds.map((id) => render.issueType(id)) };
  });
  app.get('/rest/api/3/project/:projectIdOrKey/statuses', async (request, reply) => {
    const key = (request.params as { projectIdOrKey: string }).projectIdOrKey;
    const project = store.project(key);
    if (!project) return jiraError(reply, 404, [`No project could be found with key '${key}'.`]);
    const ids = [
      ...new Set([project.workflow.initialStatus, ...project.workflow.transitions.flatMap((t) => [...t.from, t.to])]),
    ];
    return project.issueTypeIds.map((id) => ({
      self: `${render.issueType(id).self as string}`,
      id,
      name: ISSUE_TYPES.find((t) => t.id === id)!.name,
      subtask: false,
      statuses: ids.map((s) => render.status(store.statuses.get(s)!)),
    }));
  });

  // ---- search ---------------------------------------------------------------------------------
  const removed = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    jiraError(reply, 410, [
      'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
    ]);
  for (const path of ['/rest/api/3/search', '/rest/api/2/search']) {
    app.get(path, removed);
    app.post(path, removed);
  }

  const search = (
    reply: FastifyReply,
    input: {
      jql: unknown;
      nextPageToken: unknown;
      maxResults: unknown;
      fields: string[];
      expand: string[];
      properties: string[];
      reconcileIssues: unknown;
    },
  ): unknown => {
    if (typeof input.jql !== 'string' || input.jql.trim() === '') {
      return jiraError(reply, 400, [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ]);
    }
    const fields = input.fields.length === 0 ? ['id'] : input.fields;
    const expand = new Set(input.expand);
    const heavy = fields.some((f) => f !== 'id') || expand.size > 0;
    const reconcile = Array.isArray(input.reconcileIssues)
      ? input.reconcileIssues.map(Number).filter(Number.isInteger)
      : [];
    if (reconcile.length > 50) return jiraError(reply, 400, ['reconcileIssues: size must be between 0 and 50']);
    try {
      const page = runSearch(
        store,
        {
          jql: input.jql,
          nextPageToken:
            typeof input.nextPageToken === 'string' && input.nextPageToken !== '' ? input.nextPageToken : undefined,
          maxResults: input.maxResults === undefined || input.maxResults === '' ? undefined : Number(input.maxResults),
          reconcileIssues: reconcile,
          heavy,
        },
        store.users.get(store.self.accountId)!.timeZone,
      );
      const out: Record<string, unknown> = {
        issues: page.issues.map((i) => render.issue(i, { fields, expand, properties: input.properties.slice(0, 5) })),
      };
      if (page.nextPageToken) out.nextPageToken = page.nextPageToken;
      out.isLast = page.isLast;
      return out;
    } catch (err) {
      if (err instanceof JqlError || err instanceof SearchError) return jiraError(reply, 400, [err.message]);
      throw err;
    }
  };

  app.get('/rest/api/3/search/jql', async (request, reply) => {
    const q = request.query as Query;
    return search(reply, {
      jql: Array.isArray(q.jql) ? q.jql[0] : q.jql,
      nextPageToken: Array.isArray(q.nextPageToken) ? q.nextPageToken[0] : q.nextPageToken,
      maxResults: Array.isArray(q.maxResults) ? q.maxResults[0] : q.maxResults,
      fields: list(q.fields),
      expand: list(q.expand),
      properties: list(q.properties),
      reconcileIssues: list(q.reconcileIssues),
    });
  });

  const SEARCH_KEYS = new Set([
    'jql',
    'nextPageToken',
    'maxResults',
    'fields',
    'expand',
    'properties',
    'fieldsByKeys',
    'failFast',
    'reconcileIssues',
  ]);
  app.post('/rest/api/3/search/jql', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).find((k) => !SEARCH_KEYS.has(k));
    if (unknown) return jiraError(reply, 400, [`Unrecognized field "${unknown}"`]);
    if (body.fields !== undefined && !Array.isArray(body.fields))
      return jiraError(reply, 400, ['fields: must be an array of strings']);
    if (body.expand !== undefined && typeof body.expand !== 'string')
      return jiraError(reply, 400, ['expand: must be a comma-separated string']);
    return search(reply, {
      jql: body.jql,
      nextPageToken: body.nextPageToken,
      maxResults: body.maxResults,
      fields: (body.fields as string[] | undefined) ?? [],
      expand: list(body.expand),
      properties: Array.isArray(body.properties) ? (body.properties as string[]) : [],
      reconcileIssues: body.reconcileIssues,
    });
  });

  // ---- issues ---------------------------------------------------------------------------------
  app.post('/rest/api/3/issue', async (request, reply) => {
    const body = (request.body ?? {}) as {
      fields?: Record<string, unknown>;
      update?: Record<string, unknown>;
      properties?: { key?: unknown; value?: unknown }[];
    };
    const fields = body.fields ?? {};
    const errors: FieldErrors = {};
    const projectRef = fields.project as { id?: unknown; key?: unknown } | undefined;
    const project = projectRef ? store.project(scalar(projectRef.id ?? projectRef.key ?? '')) : undefined;
    if (!project) errors.project = 'Specify a valid project ID or key';
    if (fields.issuetype === undefined) errors.issuetype = 'Specify an issue type';
    if (fields.summary === undefined) errors.summary = 'You must specify a summary of the issue.';
    if (!project) return jiraError(reply, 400, [], errors);
    const draft: IssueRecord = {
      id: 0,
      key: '',
      projectId: project.id,
      issueTypeId: project.issueTypeIds[0]!,
      statusId: project.workflow.initialStatus,
      priorityId: '3',
      resolutionId: null,
      summary: '',
      description: null,
      labels: [],
      assignee: null,
      reporter: actor(request),
      creator: actor(request),
      requestTypeId: null,
      custom: {},
      created: 0,
      updated: 0,
      resolutiondate: null,
      statusChanged: 0,
    };
    for (const [fieldId, value] of Object.entries(fields)) {
      if (fieldId === 'project') continue;
      if (fieldId === 'status' || fieldId === 'resolution') errors[fieldId] = notOnScreen(fieldId);
      else setField(store, draft, fieldId, value, errors);
    }
    if (body.update) {
      const both = Object.keys(body.update).find((k) => k in fields);
      if (both) errors[both] = `Field '${both}' cannot be set in both 'fields' and 'update'.`;
      else applyUpdateOps(store, draft, body.update, errors);
    }
    if (Object.keys(errors).length > 0) return jiraError(reply, 400, [], errors);
    const properties = (body.properties ?? [])
      .filter((p) => typeof p.key === 'string')
      .map((p) => [p.key as string, p.value] as [string, unknown]);
    const { id: _id, key: _key, created: _c, updated: _u, statusChanged: _s, resolutiondate: _r, ...input } = draft;
    const issue = store.createIssue(input, actor(request), { properties });
    return reply.code(201).send({ id: String(issue.id), key: issue.key, self: render.issueSelf(issue.id) });
  });

  app.get('/rest/api/3/issue/:issueIdOrKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const q = request.query as Query;
    const fields = list(q.fields);
    return render.issue(issue, {
      fields: fields.length === 0 ? ['*all'] : fields,
      expand: new Set(list(q.expand)),
      properties: list(q.properties),
    });
  });

  app.put('/rest/api/3/issue/:issueIdOrKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const body = (request.body ?? {}) as {
      fields?: Record<string, unknown>;
      update?: Record<string, unknown>;
      properties?: { key?: unknown; value?: unknown }[];
      historyMetadata?: Record<string, unknown>;
    };
    const errors: FieldErrors = {};
    const draft = structuredClone(issue);
    for (const [fieldId, value] of Object.entries(body.fields ?? {})) {
      // Status is read-only on edit: it moves only through transitions.
      if (fieldId === 'status' || fieldId === 'resolution' || fieldId === 'project' || fieldId === 'creator')
        errors[fieldId] = notOnScreen(fieldId);
      else setField(store, draft, fieldId, value, errors);
    }
    if (body.update) {
      const both = Object.keys(body.update).find((k) => k in (body.fields ?? {}));
      if (both) errors[both] = `Field '${both}' cannot be set in both 'fields' and 'update'.`;
      else applyUpdateOps(store, draft, body.update, errors);
    }
    if (Object.keys(errors).length > 0) return jiraError(reply, 400, [], errors);
    for (const p of body.properties ?? []) if (typeof p.key === 'string') store.setProperty(issue, p.key, p.value);
    store.applyChanges(issue, (live) => Object.assign(live, draft), actor(request), body.historyMetadata);
    const q = request.query as Query;
    if (q.returnIssue === 'true') return render.issue(issue, { fields: ['*all'], expand: new Set(), properties: [] });
    return reply.code(204).send();
  });

  // DELETE /issue/{id}: 204; an issue with subtasks needs deleteSubtasks=true (the simulator has none).
  app.delete('/rest/api/3/issue/:issueIdOrKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    store.deleteIssue(issue);
    return reply.code(204).send();
  });

  // ---- transitions ----------------------------------------------------------------------------
  app.get('/rest/api/3/issue/:issueIdOrKey/transitions', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const q = request.query as Query;
    const withFields = list(q.expand).includes('transitions.fields');
    const only = typeof q.transitionId === 'string' ? q.transitionId : undefined;
    return {
      expand: 'transitions',
      transitions: store
        .transitionsFor(issue)
        .filter((t) => only === undefined || t.id === only)
        .map((t) => render.transition(t, withFields)),
    };
  });

  app.post('/rest/api/3/issue/:issueIdOrKey/transitions', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const body = (request.body ?? {}) as {
      transition?: { id?: unknown };
      fields?: Record<string, unknown>;
      update?: Record<string, unknown>;
      historyMetadata?: Record<string, unknown>;
    };
    const id = body.transition?.id;
    if (id === undefined) return jiraError(reply, 400, ["Missing 'transition' identifier"]);
    const transition = store.transitionsFor(issue).find((t) => t.id === scalar(id));
    if (!transition) return jiraError(reply, 400, [`Transition id '${scalar(id)}' is not valid for this issue.`]);
    const errors: FieldErrors = {};
    const screen = new Map((transition.screen ?? []).map((f) => [f.fieldId, f]));
    const draft = structuredClone(issue);
    for (const [fieldId, value] of Object.entries(body.fields ?? {})) {
      if (!screen.has(fieldId)) {
        errors[fieldId] = notOnScreen(fieldId);
        continue;
      }
      if (fieldId === 'resolution') {
        const ref = value as { id?: unknown; name?: unknown } | null;
        const r =
          ref &&
          RESOLUTIONS.find(
            (x) =>
              x.id === scalar(ref.id) ||
              (typeof ref.name === 'string' && x.name.toLowerCase() === ref.name.toLowerCase()),
          );
        if (!r) errors.resolution = 'Could not find resolution by id or name.';
        else draft.resolutionId = r.id;
      } else setField(store, draft, fieldId, value, errors);
    }
    for (const [fieldId, def] of screen) {
      if (def.required && !(fieldId in (body.fields ?? {})) && !errors[fieldId])
        errors[fieldId] = `${fieldId === 'resolution' ? 'Resolution' : fieldId} is required.`;
    }
    // A comment inside a transition is dropped by Jira Cloud; only non-comment updates apply.
    const update = Object.fromEntries(Object.entries(body.update ?? {}).filter(([k]) => k !== 'comment'));
    applyUpdateOps(store, draft, update, errors);
    if (Object.keys(errors).length > 0) return jiraError(reply, 400, [], errors);
    const to = store.statuses.get(transition.to)!;
    store.applyChanges(
      issue,
      (live) => {
        Object.assign(live, draft);
        if (live.statusId !== transition.to) live.statusChanged = store.now();
        live.statusId = transition.to;
        if (transition.clearsResolution || to.category !== 'done') {
          live.resolutionId = null;
          live.resolutiondate = null;
        } else if (live.resolutiondate === null) live.resolutiondate = store.now();
      },
      actor(request),
      body.historyMetadata,
    );
    return reply.code(204).send();
  });

  // ---- comments -------------------------------------------------------------------------------
  app.get('/rest/api/3/issue/:issueIdOrKey/comment', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const q = request.query as Query;
    const startAt = Math.max(0, int(q.startAt, 0));
    const maxResults = Math.min(Math.max(1, int(q.maxResults, 100)), 5000);
    const all = [...(store.comments.get(issue.id) ?? [])];
    if (q.orderBy === '-created' || q.orderBy === '-updated') all.reverse();
    const expand = list(q.expand);
    return {
      startAt,
      maxResults,
      total: all.length,
      comments: all
        .slice(startAt, startAt + maxResults)
        .map((c) => render.comment(c, expand.includes('renderedBody'), expand.includes('properties'))),
    };
  });

  app.post('/rest/api/3/issue/:issueIdOrKey/comment', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const body = (request.body ?? {}) as {
      body?: unknown;
      visibility?: { type?: unknown; value?: unknown; identifier?: unknown };
      properties?: { key?: unknown; value?: unknown }[];
    };
    if (body.body === undefined || body.body === null)
      return jiraError(reply, 400, [], { comment: 'Comment body can not be empty!' });
    const problem = adfProblem(body.body) ?? richTextTooLong(body.body);
    if (problem) return jiraError(reply, 400, [], { comment: problem === NOT_ADF_MESSAGE ? NOT_ADF_MESSAGE : problem });
    const properties = (body.properties ?? [])
      .filter((p) => typeof p.key === 'string')
      .map((p) => [p.key as string, p.value] as [string, unknown]);
    const sd = properties.find(([k]) => k === 'sd.public.comment')?.[1] as { internal?: unknown } | undefined;
    const isServiceDesk = store.projectOf(issue).serviceDesk !== undefined;
    const input: Parameters<JiraStore['addComment']>[1] = {
      body: body.body as AdfNode,
      author: actor(request),
      jsdPublic: !(isServiceDesk && sd?.internal === true),
      properties,
    };
    if (body.visibility && typeof body.visibility.type === 'string' && typeof body.visibility.value === 'string') {
      input.visibility = { type: body.visibility.type, value: body.visibility.value };
    }
    const comment = store.addComment(issue, input);
    return reply.code(201).send(render.comment(comment, false));
  });

  // ---- properties -----------------------------------------------------------------------------
  app.get('/rest/api/3/issue/:issueIdOrKey/properties', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const keys = [...(store.properties.get(issue.id)?.keys() ?? [])];
    return {
      keys: keys.map((key) => ({ self: `/rest/api/3/issue/${issue.id}/properties/${encodeURIComponent(key)}`, key })),
    };
  });

  app.get('/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const { propertyKey } = request.params as { propertyKey: string };
    const props = store.properties.get(issue.id);
    if (!props?.has(propertyKey))
      return jiraError(reply, 404, [`The property with key '${propertyKey}' does not exist.`]);
    return { key: propertyKey, value: props.get(propertyKey) };
  });

  app.put('/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const { propertyKey } = request.params as { propertyKey: string };
    if (propertyKey.length > 255)
      return jiraError(reply, 400, ['The property key cannot be longer than 255 characters.']);
    const value = request.body;
    if (value === undefined || value === null || value === '')
      return jiraError(reply, 400, ['The property value must not be empty.']);
    if (Buffer.byteLength(JSON.stringify(value)) > 32_768)
      return jiraError(reply, 400, ['The property value exceeds the size limit of 32768 bytes.']);
    const existed = store.setProperty(issue, propertyKey, value);
    return reply.code(existed ? 200 : 201).send();
  });

  app.delete('/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const { propertyKey } = request.params as { propertyKey: string };
    const props = store.properties.get(issue.id);
    if (!props?.delete(propertyKey))
      return jiraError(reply, 404, [`The property with key '${propertyKey}' does not exist.`]);
    return reply.code(204).send();
  });

  // ---- changelog ------------------------------------------------------------------------------
  app.get('/rest/api/3/issue/:issueIdOrKey/changelog', async (request, reply) => {
    const issue = findIssue(request, reply);
    if (!issue) return reply;
    const q = request.query as Query;
    const startAt = Math.max(0, int(q.startAt, 0));
    const maxResults = Math.min(Math.max(1, int(q.maxResults, 100)), 100);
    const all = store.changelogs.get(issue.id) ?? [];
    const values = all.slice(startAt, startAt + maxResults).map((c) => render.changelog(c));
    const isLast = startAt + values.length >= all.length;
    const out: Record<string, unknown> = {
      self: `${request.protocol}://${request.headers.host ?? ''}${request.url}`,
      maxResults,
      startAt,
      total: all.length,
      isLast,
      values,
    };
    if (!isLast)
      out.nextPage = `${request.protocol}://${request.headers.host ?? ''}/rest/api/3/issue/${issue.id}/changelog?startAt=${startAt + values.length}&maxResults=${maxResults}`;
    return out;
  });
}
