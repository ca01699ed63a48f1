// JSON views of the store in Jira's wire shapes: IssueBean (with field selection, names,
// renderedFields, changelog, properties), comments, users, statuses and the JSM DTOs.
import { adfToHtml, adfToText } from './adf.js';
import {
  ISSUE_TYPES,
  PRIORITIES,
  REQUEST_TYPE_FIELD,
  RESOLUTIONS,
  STATUS_CATEGORIES,
  type ProjectDef,
  type StatusDef,
  type TransitionDef,
  type UserDef,
} from './fixtures.js';
import type { ChangelogRecord, CommentRecord, IssueRecord, JiraStore } from './store.js';

/** Jira's timestamp format: millis and an offset without a colon. */
export function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function dateDto(ms: number): { iso8601: string; jira: string; friendly: string; epochMillis: number } {
  const iso = jiraTime(ms);
  return { iso8601: iso, jira: iso, friendly: new Date(ms).toUTCString().slice(5, 22), epochMillis: ms };
}

export class Renderer {
  /** `fields.attachment`: the issue's files (set by the simulator once its attachments exist). */
  attachmentsOf: (issueId: number) => unknown[] = () => [];

  constructor(
    private readonly store: JiraStore,
    private readonly base: () => string,
  ) {}

  issueSelf(id: number): string {
    return `${this.base()}/rest/api/3/issue/${id}`;
  }

  avatars(id: string): Record<string, string> {
    const u = `${this.base()}/secure/useravatar?ownerId=${encodeURIComponent(id)}`;
    return { '48x48': u, '24x24': `${u}&size=small`, '16x16': `${u}&size=xsmall`, '32x32': `${u}&size=medium` };
  }

  user(id: string | null): Record<string, unknown> | null {
    if (id === null) return null;
    const u: UserDef = this.store.users.get(id) ?? {
      accountId: id,
      accountType: 'atlassian',
      displayName: 'Former user',
      emailAddress: '',
      timeZone: 'UTC',
      active: false,
    };
    return {
      self: `${this.base()}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
      accountId: u.accountId,
      emailAddress: u.emailAddress,
      avatarUrls: this.avatars(u.accountId),
      displayName: u.displayName,
      active: u.active,
      timeZone: u.timeZone,
      accountType: u.accountType,
    };
  }

  userDto(id: string): Record<string, unknown> {
    const u = this.store.users.get(id);
    return {
      accountId: id,
      displayName: u?.displayName ?? 'Former user',
      emailAddress: u?.emailAddress ?? '',
      active: u?.active ?? false,
      timeZone: u?.timeZone ?? 'UTC',
      _links: { self: `${this.base()}/rest/api/3/user?accountId=${encodeURIComponent(id)}` },
    };
  }

  status(s: StatusDef): Record<string, unknown> {
    const c = STATUS_CATEGORIES[s.category];
    return {
      self: `${this.base()}/rest/api/3/status/${s.id}`,
      description: '',
      iconUrl: `${this.base()}/images/icons/statuses/generic.png`,
      name: s.name,
      id: s.id,
      statusCategory: {
        self: `${this.base()}/rest/api/3/statuscategory/${c.id}`,
        id: c.id,
        key: c.key,
        colorName: c.colorName,
        name: c.name,
      },
    };
  }

  priority(p: (typeof PRIORITIES)[number]): Record<string, unknown> {
    return {
      self: `${this.base()}/rest/api/3/priority/${p.id}`,
      iconUrl: `${this.base()}/images/icons/priorities/${p.name.toLowerCase()}.svg`,
      name: p.name,
      id: p.id,
    };
  }

  issueType(id: string): Record<string, unknown> {
    const t = ISSUE_TYPES.find((x) => x.id === id)!;
    return {
      self: `${this.base()}/rest/api/3/issuetype/${t.id}`,
      id: t.id,
      description: t.description,
      iconUrl: `${this.base()}/images/icons/issuetypes/${t.id}.svg`,
      name: t.name,
      subtask: false,
      hierarchyLevel: 0,
    };
  }

  project(p: ProjectDef): Record<string, unknown> {
    return {
      self: `${this.base()}/rest/api/3/project/${p.id}`,
      id: p.id,
      key: p.key,
      name: p.name,
      projectTypeKey: p.projectTypeKey,
      simplified: false,
      avatarUrls: this.avatars(`project-${p.id}`),
    };
  }

  requestTypeValue(issue: IssueRecord): Record<string, unknown> | null {
    if (issue.requestTypeId === null) return null;
    const found = this.store.requestType(issue.requestTypeId);
    if (!found) return null;
    const status = this.store.statuses.get(issue.statusId)!;
    return {
      _links: {
        jiraRest: `${this.base()}/rest/api/2/issue/${issue.id}`,
        web: `${this.base()}/servicedesk/customer/portal/${found.project.serviceDesk!.id}/${issue.key}`,
        self: `${this.base()}/rest/servicedeskapi/request/${issue.id}`,
      },
      requestType: {
        id: found.requestType.id,
        name: found.requestType.name,
        description: found.requestType.description,
        issueTypeId: found.requestType.issueTypeId,
        serviceDeskId: found.project.serviceDesk!.id,
        groupIds: [],
      },
      currentStatus: {
        status: status.name,
        statusCategory: status.category.toUpperCase(),
        statusDate: dateDto(issue.statusChanged),
      },
    };
  }

  /** One field's value in Jira's JSON shape (`undefined` for an unknown field id). */
  fieldValue(issue: IssueRecord, id: string): unknown {
    switch (id) {
      case 'summary':
        return issue.summary;
      case 'description':
        return issue.description;
      case 'status':
        return this.status(this.store.statuses.get(issue.statusId)!);
      case 'priority': {
        const priority = PRIORITIES.find((p) => p.id === issue.priorityId);
        return priority ? this.priority(priority) : null;
      }
      case 'issuetype':
        return this.issueType(issue.issueTypeId);
      case 'project':
        return this.project(this.store.projectOf(issue));
      case 'labels':
        return [...issue.labels];
      case 'assignee':
        return this.user(issue.assignee);
      case 'reporter':
        return this.user(issue.reporter);
      case 'creator':
        return this.user(issue.creator);
      case 'resolution': {
        const resolution = RESOLUTIONS.find((r) => r.id === issue.resolutionId);
        return resolution
          ? {
              self: `${this.base()}/rest/api/3/resolution/${resolution.id}`,
              id: resolution.id,
              description: resolution.description,
              name: resolution.name,
            }
          : null;
      }
      case 'resolutiondate':
        return issue.resolutiondate === null ? null : jiraTime(issue.resolutiondate);
      case 'created':
        return jiraTime(issue.created);
      case 'updated':
        return jiraTime(issue.updated);
      case 'statuscategorychangedate':
        return jiraTime(issue.statusChanged);
      case REQUEST_TYPE_FIELD:
        return this.requestTypeValue(issue);
      case 'attachment':
        return this.attachmentsOf(issue.id);
      case 'comment': {
        const comments = this.store.comments.get(issue.id) ?? [];
        return {
          comments: comments.map((c) => this.comment(c, false)),
          self: `${this.base()}/rest/api/3/issue/${issue.id}/comment`,
          maxResults: comments.length,
          total: comments.length,
          startAt: 0,
        };
      }
      default: {
        const f = this.store.fields.get(id);
        return f?.custom ? (issue.custom[id] ?? null) : undefined;
      }
    }
  }

  /** All field values of an issue, by field id. */
  fieldValues(issue: IssueRecord, commentsInline: boolean): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const id of this.store.fields.keys()) {
      if (id === 'comment' && !commentsInline) continue;
      values[id] = this.fieldValue(issue, id);
    }
    return values;
  }

  /**
   * An IssueBean. `fields` follows Jira's selection rules: `*all`, `*navigable`, names, `-name`
   * exclusions; `['id']` (the search default) returns the id and nothing else.
   */
  issue(
    issue: IssueRecord,
    options: { fields: string[]; expand: Set<string>; properties: string[] },
  ): Record<string, unknown> {
    const selected = selectFields(options.fields, [...this.store.fields.keys()]);
    const idOnly = selected.size === 0 && options.expand.size === 0 && options.properties.length === 0;
    if (idOnly) return { id: String(issue.id) };
    const out: Record<string, unknown> = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: String(issue.id),
      self: this.issueSelf(issue.id),
      key: issue.key,
    };
    if (selected.size > 0) {
      const fields: Record<string, unknown> = {};
      for (const id of selected) {
        const value = this.fieldValue(issue, id);
        if (value !== undefined) fields[id] = value;
      }
      out.fields = fields;
      if (options.expand.has('renderedFields')) {
        const rendered: Record<string, unknown> = {};
        for (const id of selected)
          rendered[id] =
            id === 'description' ? adfToHtml(issue.description) : typeof fields[id] === 'string' ? fields[id] : null;
        out.renderedFields = rendered;
      }
      if (options.expand.has('names')) {
        const names: Record<string, string> = {};
        for (const id of selected) names[id] = this.store.fields.get(id)?.name ?? id;
        out.names = names;
      }
    }
    if (options.expand.has('changelog')) {
      const histories = (this.store.changelogs.get(issue.id) ?? []).map((c) => this.changelog(c)).reverse();
      out.changelog = { startAt: 0, maxResults: histories.length, total: histories.length, histories };
    }
    if (options.expand.has('transitions'))
      out.transitions = this.store.transitionsFor(issue).map((t) => this.transition(t, false));
    if (options.properties.length > 0) {
      const props = this.store.properties.get(issue.id);
      const want = options.properties.includes('*all') ? [...(props?.keys() ?? [])] : options.properties;
      const values: Record<string, unknown> = {};
      for (const k of want) if (props?.has(k)) values[k] = props.get(k);
      out.properties = values;
    }
    return out;
  }

  changelog(c: ChangelogRecord): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: String(c.id),
      author: this.user(c.author),
      created: jiraTime(c.created),
      // The spec types from/to as strings; absent rather than null keeps responses valid.
      items: c.items.map((i) => Object.fromEntries(Object.entries(i).filter(([, v]) => v !== null))),
    };
    if (c.historyMetadata) out.historyMetadata = c.historyMetadata;
    return out;
  }

  comment(c: CommentRecord, renderedBody: boolean, withProperties = false): Record<string, unknown> {
    const out: Record<string, unknown> = {
      self: `${this.base()}/rest/api/3/issue/${c.issueId}/comment/${c.id}`,
      id: String(c.id),
      author: this.user(c.author),
      body: c.body,
      updateAuthor: this.user(c.author),
      created: jiraTime(c.created),
      updated: jiraTime(c.updated),
      jsdPublic: c.jsdPublic,
    };
    if (c.visibility) out.visibility = c.visibility;
    if (renderedBody) out.renderedBody = adfToHtml(c.body);
    if (withProperties) out.properties = [...c.properties].map(([key, value]) => ({ key, value }));
    return out;
  }

  commentDto(c: CommentRecord): Record<string, unknown> {
    return {
      id: String(c.id),
      body: adfToText(c.body),
      public: c.jsdPublic,
      author: this.userDto(c.author),
      created: dateDto(c.created),
      _links: { self: `${this.base()}/rest/servicedeskapi/request/${c.issueId}/comment/${c.id}` },
    };
  }

  transition(t: TransitionDef, withFields: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: t.id,
      name: t.name,
      to: this.status(this.store.statuses.get(t.to)!),
      hasScreen: (t.screen?.length ?? 0) > 0,
      isGlobal: t.from.length === 0,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    };
    if (withFields) {
      const fields: Record<string, unknown> = {};
      for (const f of t.screen ?? []) {
        if (f.fieldId === 'resolution') {
          fields.resolution = {
            required: f.required,
            schema: { type: 'resolution', system: 'resolution' },
            name: 'Resolution',
            key: 'resolution',
            operations: ['set'],
            allowedValues: RESOLUTIONS.map((r) => ({
              self: `${this.base()}/rest/api/3/resolution/${r.id}`,
              name: r.name,
              id: r.id,
            })),
          };
        }
      }
      out.fields = fields;
    }
    return out;
  }

  customerRequest(issue: IssueRecord): Record<string, unknown> {
    const found = issue.requestTypeId === null ? undefined : this.store.requestType(issue.requestTypeId);
    const status = this.store.statuses.get(issue.statusId)!;
    const values: Record<string, unknown>[] = [
      { fieldId: 'summary', label: 'Summary', value: issue.summary },
      {
        fieldId: 'description',
        label: 'Description',
        value: adfToText(issue.description),
        renderedValue: { html: adfToHtml(issue.description) },
      },
    ];
    return {
      _expands: ['participant', 'status', 'sla', 'requestType', 'serviceDesk', 'attachment', 'action', 'comment'],
      issueId: String(issue.id),
      issueKey: issue.key,
      summary: issue.summary,
      requestTypeId: found?.requestType.id ?? '',
      serviceDeskId: found?.project.serviceDesk?.id ?? '',
      createdDate: dateDto(issue.created),
      reporter: this.userDto(issue.reporter ?? issue.creator),
      requestFieldValues: values,
      currentStatus: {
        status: status.name,
        statusCategory: status.category.toUpperCase(),
        statusDate: dateDto(issue.statusChanged),
      },
      _links: {
        jiraRest: `${this.base()}/rest/api/2/issue/${issue.id}`,
        web: `${this.base()}/servicedesk/customer/portal/${found?.project.serviceDesk?.id ?? ''}/${issue.key}`,
        agent: `${this.base()}/browse/${issue.key}`,
        self: `${this.base()}/rest/servicedeskapi/request/${issue.id}`,
      },
    };
  }
}

/** Jira's `fields` parameter: comma lists, `*all`, `*navigable`, `-exclusions`. */
export function selectFields(requested: string[], known: string[]): Set<string> {
  const parts = requested
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  const out = new Set<string>();
  for (const p of parts) {
    if (p === '*all' || p === '*navigable') for (const k of known) out.add(k);
    else if (!p.startsWith('-') && p !== 'id' && p !== 'key') out.add(p);
  }
  for (const p of parts) if (p.startsWith('-')) out.delete(p.slice(1));
  // `*navigable` leaves out the comment list, like Jira's navigator.
  if (parts.includes('*navigable') && !parts.includes('*all') && !parts.includes('comment')) out.delete('comment');
  return out;
}
