// `/rest/api/3/search/jql` semantics over the store: JQL fields bound to issue records, the
// bounded-query rule, opaque page tokens, `reconcileIssues` and the lagging index.
import { createHash } from 'node:crypto';
import { ISSUE_TYPES, PRIORITIES, REQUEST_TYPE_FIELD, RESOLUTIONS, STATUS_CATEGORIES } from './fixtures.js';
import { JqlError, compileJql, type JqlEnvironment, type JqlField } from './jql.js';
import { adfToText } from './adf.js';
import { scalar } from './fields.js';
import type { IssueRecord, JiraStore } from './store.js';

export class SearchError extends Error {}

function enumResolver(field: string, entries: { id: string; name: string }[]): (literal: string) => string {
  return (literal) => {
    const lower = literal.toLowerCase();
    const hit = entries.find((e) => e.id === literal || e.name.toLowerCase() === lower);
    if (!hit) throw new JqlError(`The value '${literal}' does not exist for the field '${field}'.`);
    return hit.id;
  };
}

/** Binds JQL field names (case-insensitive, with Jira's aliases) to issue records. */
export function jqlEnvironment(store: JiraStore, timeZone: string): JqlEnvironment<IssueRecord> {
  const projects = (): { id: string; name: string }[] =>
    [...store.projects.values()].flatMap((p) => [
      { id: p.id, name: p.key },
      { id: p.id, name: p.name },
    ]);
  // By name, or (with the `requestTypeJqlNames` switch off) only as "name (project)" or by id.
  const requestTypes = (): { id: string; name: string }[] =>
    [...store.projects.values()].flatMap(
      (p) =>
        p.serviceDesk?.requestTypes.map((r) => ({
          id: r.id,
          name: store.behaviour.requestTypeJqlNames ? r.name : `${r.name} (${p.name})`,
        })) ?? [],
    );
  const statusEntries = (): { id: string; name: string }[] => [...store.statuses.values()];
  const requestType: JqlField<IssueRecord> = {
    name: 'Request Type',
    kind: 'enum',
    get: (i) => i.requestTypeId,
    resolve: (l) => enumResolver('Request Type', requestTypes())(l),
  };
  const users =
    (field: string) =>
    (literal: string): string => {
      for (const u of store.users.values())
        if (u.accountId === literal || u.emailAddress.toLowerCase() === literal.toLowerCase()) return u.accountId;
      throw new JqlError(`The value '${literal}' does not exist for the field '${field}'.`);
    };
  const table: Record<string, JqlField<IssueRecord>> = {
    project: {
      name: 'project',
      kind: 'enum',
      get: (i) => i.projectId,
      resolve: (l) => enumResolver('project', projects())(l),
    },
    key: {
      name: 'key',
      kind: 'key',
      get: (i) => i.key,
      sortValue: (i) => i.id,
      resolve: (l) => (/^\d+$/.test(l) ? (store.issue(l)?.key ?? l) : l.toUpperCase()),
    },
    id: { name: 'id', kind: 'number', get: (i) => i.id },
    status: {
      name: 'status',
      kind: 'enum',
      get: (i) => i.statusId,
      resolve: (l) => enumResolver('status', statusEntries())(l),
    },
    statuscategory: {
      name: 'statusCategory',
      kind: 'enum',
      get: (i) => String(STATUS_CATEGORIES[store.statuses.get(i.statusId)!.category].id),
      resolve: (l) =>
        enumResolver(
          'statusCategory',
          Object.values(STATUS_CATEGORIES).flatMap((c) => [
            { id: String(c.id), name: c.name },
            { id: String(c.id), name: c.key },
          ]),
        )(l),
    },
    labels: { name: 'labels', kind: 'labels', get: (i) => i.labels },
    issuetype: {
      name: 'issuetype',
      kind: 'enum',
      get: (i) => i.issueTypeId,
      resolve: (l) => enumResolver('issuetype', ISSUE_TYPES)(l),
    },
    priority: {
      name: 'priority',
      kind: 'enum',
      get: (i) => i.priorityId,
      sortValue: (i) => (i.priorityId === null ? null : Number(i.priorityId)),
      resolve: (l) => enumResolver('priority', PRIORITIES)(l),
    },
    resolution: {
      name: 'resolution',
      kind: 'enum',
      get: (i) => i.resolutionId ?? '',
      resolve: (l) => (l.toLowerCase() === 'unresolved' ? '' : enumResolver('resolution', RESOLUTIONS)(l)),
    },
    assignee: { name: 'assignee', kind: 'user', get: (i) => i.assignee, resolve: users('assignee') },
    reporter: { name: 'reporter', kind: 'user', get: (i) => i.reporter, resolve: users('reporter') },
    summary: { name: 'summary', kind: 'text', get: (i) => i.summary },
    description: { name: 'description', kind: 'text', get: (i) => adfToText(i.description) },
    text: { name: 'text', kind: 'text', get: (i) => `${i.summary}\n${adfToText(i.description)}` },
    updated: { name: 'updated', kind: 'date', get: (i) => i.updated },
    created: { name: 'created', kind: 'date', get: (i) => i.created },
    resolved: { name: 'resolved', kind: 'date', get: (i) => i.resolutiondate },
    'request type': requestType,
    'customer request type': requestType,
  };
  const aliases: Record<string, string> = {
    issuekey: 'key',
    type: 'issuetype',
    updateddate: 'updated',
    createddate: 'created',
    resolutiondate: 'resolved',
    'cf[10010]': 'request type',
  };
  return {
    field(name) {
      const lower = name.toLowerCase();
      const direct = table[aliases[lower] ?? lower];
      if (direct) return direct;
      const cf = /^cf\[(\d+)\]$/.exec(lower);
      const byName = [...store.fields.values()].find(
        (f) => f.custom && (f.name.toLowerCase() === lower || (cf && f.id === `customfield_${cf[1]}`)),
      );
      if (!byName || byName.id === REQUEST_TYPE_FIELD) return undefined;
      return {
        name: byName.name,
        kind: byName.options ? 'enum' : 'text',
        get: (i) => {
          const v = i.custom[byName.id];
          if (v === undefined || v === null) return null;
          return typeof v === 'object' ? scalar((v as { id?: unknown }).id) : scalar(v);
        },
        ...(byName.options
          ? {
              resolve: enumResolver(
                byName.name,
                byName.options.map((o) => ({ id: o.id, name: o.value })),
              ),
            }
          : {}),
      };
    },
    now: store.now(),
    timeZone,
    currentUser: store.self.accountId,
  };
}

export interface SearchRequest {
  jql: string;
  nextPageToken?: string | undefined;
  maxResults?: number | undefined;
  reconcileIssues?: number[] | undefined;
  /** True when more than ids are requested: pages are then capped lower, like Jira. */
  heavy: boolean;
}

export interface SearchPage {
  issues: IssueRecord[];
  nextPageToken?: string;
  isLast: boolean;
}

const TOKEN_TTL_MS = 7 * 24 * 3600 * 1000;

export function runSearch(store: JiraStore, request: SearchRequest, timeZone: string): SearchPage {
  const maxResults = request.maxResults ?? 50;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 5000)
    throw new SearchError('maxResults: must be between 1 and 5000');
  const hash = createHash('sha1')
    .update(request.jql)
    .update(JSON.stringify(request.reconcileIssues ?? []))
    .digest('base64url')
    .slice(0, 12);
  let offset = 0;
  if (request.nextPageToken) {
    const parsed = decodeToken(request.nextPageToken);
    if (!parsed || parsed.h !== hash || parsed.e < store.now())
      throw new SearchError('The provided next page token is invalid or expired.');
    offset = parsed.o;
  }
  const compiled = compileJql(request.jql, jqlEnvironment(store, timeZone));
  if (!compiled.where)
    throw new SearchError('Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  const where = compiled.where;
  const reconcile = new Set(request.reconcileIssues ?? []);
  const matches = store.searchable(reconcile).filter(where);
  // Default order is by key (newest first), the navigator's default; explicit ORDER BY wins.
  matches.sort((a, b) => compiled.compare(a, b) || b.id - a.id);
  const pageSize = request.heavy ? Math.min(maxResults, 100) : maxResults;
  const issues = matches.slice(offset, offset + pageSize);
  const nextOffset = offset + issues.length;
  if (nextOffset >= matches.length) return { issues, isLast: true };
  return {
    issues,
    isLast: false,
    nextPageToken: encodeToken({ o: nextOffset, h: hash, e: store.now() + TOKEN_TTL_MS }),
  };
}

interface TokenBody {
  o: number;
  h: string;
  e: number;
}

function encodeToken(body: TokenBody): string {
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeToken(token: string): TokenBody | null {
  try {
    const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
    if (typeof body.o !== 'number' || typeof body.h !== 'string' || typeof body.e !== 'number') return null;
    return body as TokenBody;
  } catch {
    return null;
  }
}
