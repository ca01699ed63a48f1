// The simulated Jira site's state: issues, comments, properties, changelog, workflow moves and
// the search index with its configurable lag. Routes translate HTTP to these calls; every
// mutation moves `updated`, writes a changelog entry and reports an event for webhooks.
import type { AdfNode } from './adf.js';
import { JiraBehaviour } from './behaviour.js';
import { scalar } from './scalar.js';
import {
  FIELDS,
  IT_PROJECT,
  ISSUE_TYPES,
  OTHER_USERS,
  PRIORITIES,
  REQUEST_TYPE_FIELD,
  RESOLUTIONS,
  STATUSES,
  integrationUser,
  type FieldDef,
  type ProjectDef,
  type RequestTypeDef,
  type StatusDef,
  type TransitionDef,
  type UserDef,
} from './fixtures.js';

export interface IssueRecord {
  id: number;
  key: string;
  projectId: string;
  issueTypeId: string;
  statusId: string;
  priorityId: string | null;
  resolutionId: string | null;
  summary: string;
  description: AdfNode | null;
  labels: string[];
  assignee: string | null;
  reporter: string | null;
  creator: string;
  requestTypeId: string | null;
  /** Custom field values by id (`customfield_10020`), stored in Jira's JSON shape. */
  custom: Record<string, unknown>;
  created: number;
  updated: number;
  resolutiondate: number | null;
  statusChanged: number;
}

export interface CommentRecord {
  id: number;
  issueId: number;
  author: string;
  body: AdfNode;
  created: number;
  updated: number;
  jsdPublic: boolean;
  visibility?: { type: string; value: string; identifier?: string };
  properties: Map<string, unknown>;
}

export interface ChangeItem {
  field: string;
  fieldId: string;
  fieldtype: 'jira' | 'custom';
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface ChangelogRecord {
  id: number;
  author: string;
  created: number;
  items: ChangeItem[];
  historyMetadata?: Record<string, unknown>;
}

export type StoreEvent =
  | { kind: 'issue_created'; issue: IssueRecord; actor: string }
  | { kind: 'issue_updated'; issue: IssueRecord; actor: string; changelog: ChangelogRecord }
  | { kind: 'comment_created'; issue: IssueRecord; actor: string; comment: CommentRecord };

interface PendingIndex {
  id: number;
  visibleAt: number;
  state: IssueRecord;
}

export class JiraStore {
  readonly users = new Map<string, UserDef>();
  readonly projects = new Map<string, ProjectDef>();
  readonly statuses = new Map<string, StatusDef>(STATUSES.map((s) => [s.id, s]));
  readonly fields = new Map<string, FieldDef>(FIELDS.map((f) => [f.id, f]));
  readonly issues = new Map<number, IssueRecord>();
  private readonly keys = new Map<string, number>();
  readonly comments = new Map<number, CommentRecord[]>();
  readonly properties = new Map<number, Map<string, unknown>>();
  readonly changelogs = new Map<number, ChangelogRecord[]>();
  private readonly projectCounters = new Map<string, number>();
  private nextIssueId = 10001;
  private nextCommentId = 10100;
  private nextChangelogId = 20000;
  /** Index entries that differ from the live issue: null = not searchable yet. */
  private readonly indexed = new Map<number, IssueRecord | null>();
  private pending: PendingIndex[] = [];
  private readonly pendingPerIssue = new Map<number, number>();
  indexLagMs = 0;
  /** The switches for undocumented behaviour (`/__sim/behaviour`). */
  behaviour: JiraBehaviour = JiraBehaviour.parse({});
  /** Called when an issue is deleted for good (its files go with it). */
  onDelete: (issueId: number) => void = () => undefined;
  /** Bumped on every mutation; search caches key on it. */
  version = 0;
  readonly self: UserDef;

  constructor(
    email: string,
    readonly now: () => number,
    private readonly emit: (event: StoreEvent) => void,
  ) {
    this.self = integrationUser(email);
    this.reset();
  }

  reset(): void {
    this.users.clear();
    for (const u of [this.self, ...OTHER_USERS]) this.users.set(u.accountId, u);
    this.projects.clear();
    this.addProject(structuredClone(IT_PROJECT));
    this.issues.clear();
    this.keys.clear();
    this.comments.clear();
    this.properties.clear();
    this.changelogs.clear();
    this.projectCounters.clear();
    this.indexed.clear();
    this.pending = [];
    this.pendingPerIssue.clear();
    this.indexLagMs = 0;
    this.nextIssueId = 10001;
    this.nextCommentId = 10100;
    this.nextChangelogId = 20000;
    this.version++;
  }

  addProject(project: ProjectDef): void {
    this.projects.set(project.id, project);
  }

  project(idOrKey: string): ProjectDef | undefined {
    const direct = this.projects.get(idOrKey);
    if (direct) return direct;
    const upper = idOrKey.toUpperCase();
    for (const p of this.projects.values())
      if (p.key === upper || p.name.toLowerCase() === idOrKey.toLowerCase()) return p;
    return undefined;
  }

  serviceDesk(id: string): ProjectDef | undefined {
    for (const p of this.projects.values())
      if (p.serviceDesk && (p.serviceDesk.id === id || p.id === id || p.key === id.toUpperCase())) return p;
    return undefined;
  }

  requestType(id: string): { project: ProjectDef; requestType: RequestTypeDef } | undefined {
    for (const project of this.projects.values()) {
      const rt = project.serviceDesk?.requestTypes.find((r) => r.id === id);
      if (rt) return { project, requestType: rt };
    }
    return undefined;
  }

  statusByName(name: string): StatusDef | undefined {
    const lower = name.toLowerCase();
    for (const s of this.statuses.values()) if (s.name.toLowerCase() === lower || s.id === name) return s;
    return undefined;
  }

  /** Looks an issue up by numeric id or key (keys case-insensitively, like Jira). */
  issue(idOrKey: string): IssueRecord | undefined {
    if (/^\d+$/.test(idOrKey)) return this.issues.get(Number(idOrKey));
    const id = this.keys.get(idOrKey.toUpperCase());
    return id === undefined ? undefined : this.issues.get(id);
  }

  projectOf(issue: IssueRecord): ProjectDef {
    return this.projects.get(issue.projectId)!;
  }

  /** Transitions offered from the issue's current status. */
  transitionsFor(issue: IssueRecord): TransitionDef[] {
    const wf = this.projectOf(issue).workflow;
    return wf.transitions.filter(
      (t) =>
        (t.from.length === 0 || t.from.includes(issue.statusId)) && !(t.from.length === 0 && t.to === issue.statusId),
    );
  }

  createIssue(
    input: Omit<IssueRecord, 'id' | 'key' | 'created' | 'updated' | 'statusChanged' | 'resolutiondate'> & {
      created?: number;
      updated?: number;
    },
    actor: string,
    options: { silent?: boolean; properties?: [string, unknown][] } = {},
  ): IssueRecord {
    const project = this.projects.get(input.projectId)!;
    const n = (this.projectCounters.get(project.id) ?? 0) + 1;
    this.projectCounters.set(project.id, n);
    const now = this.now();
    const { created, updated, ...rest } = input;
    const issue: IssueRecord = {
      ...rest,
      id: this.nextIssueId++,
      key: `${project.key}-${n}`,
      created: created ?? now,
      updated: updated ?? created ?? now,
      statusChanged: created ?? now,
      resolutiondate: null,
    };
    this.issues.set(issue.id, issue);
    this.keys.set(issue.key, issue.id);
    for (const [k, v] of options.properties ?? []) this.setProperty(issue, k, v);
    this.reindex(issue, null);
    if (!options.silent) this.emit({ kind: 'issue_created', issue, actor });
    return issue;
  }

  /** Applies a field change set; records changelog, bumps `updated`, reindexes, emits. */
  applyChanges(
    issue: IssueRecord,
    mutate: (draft: IssueRecord) => void,
    actor: string,
    historyMetadata?: Record<string, unknown>,
  ): ChangelogRecord | null {
    const before = structuredClone(issue);
    mutate(issue);
    const items = diffItems(before, issue, this);
    if (items.length === 0) return null;
    issue.updated = Math.max(this.now(), before.updated);
    const entry: ChangelogRecord = { id: this.nextChangelogId++, author: actor, created: issue.updated, items };
    if (historyMetadata) entry.historyMetadata = historyMetadata;
    const list = this.changelogs.get(issue.id) ?? [];
    list.push(entry);
    this.changelogs.set(issue.id, list);
    this.reindex(issue, before);
    this.emit({ kind: 'issue_updated', issue, actor, changelog: entry });
    return entry;
  }

  addComment(
    issue: IssueRecord,
    input: {
      body: AdfNode;
      author: string;
      jsdPublic: boolean;
      visibility?: CommentRecord['visibility'];
      properties?: [string, unknown][];
      created?: number;
    },
    options: { silent?: boolean } = {},
  ): CommentRecord {
    const now = input.created ?? this.now();
    const comment: CommentRecord = {
      id: this.nextCommentId++,
      issueId: issue.id,
      author: input.author,
      body: input.body,
      created: now,
      updated: now,
      jsdPublic: input.jsdPublic,
      properties: new Map(input.properties ?? []),
    };
    if (input.visibility) comment.visibility = input.visibility;
    const list = this.comments.get(issue.id) ?? [];
    list.push(comment);
    this.comments.set(issue.id, list);
    const before = structuredClone(issue);
    // A comment moves the issue's `updated` (and so its place in a JQL `updated` search).
    if (this.behaviour.commentMovesUpdated) issue.updated = Math.max(now, issue.updated);
    this.reindex(issue, before);
    if (!options.silent) this.emit({ kind: 'comment_created', issue, actor: input.author, comment });
    return comment;
  }

  /**
   * A file added to or removed from the issue: Jira writes an `Attachment` changelog item and the
   * issue's `updated` moves (so a JQL `updated` poll sees it), and `issue_updated` fires.
   */
  noteAttachment(
    issue: IssueRecord,
    change: { id: number; filename: string; removed?: boolean },
    actor: string,
  ): ChangelogRecord {
    const before = structuredClone(issue);
    issue.updated = Math.max(this.now(), issue.updated);
    const id = String(change.id);
    const item: ChangeItem = change.removed
      ? {
          field: 'Attachment',
          fieldId: 'attachment',
          fieldtype: 'jira',
          from: id,
          fromString: change.filename,
          to: null,
          toString: null,
        }
      : {
          field: 'Attachment',
          fieldId: 'attachment',
          fieldtype: 'jira',
          from: null,
          fromString: null,
          to: id,
          toString: change.filename,
        };
    const entry: ChangelogRecord = { id: this.nextChangelogId++, author: actor, created: issue.updated, items: [item] };
    const list = this.changelogs.get(issue.id) ?? [];
    list.push(entry);
    this.changelogs.set(issue.id, list);
    this.reindex(issue, before);
    this.emit({ kind: 'issue_updated', issue, actor, changelog: entry });
    return entry;
  }

  setProperty(issue: IssueRecord, key: string, value: unknown): boolean {
    let props = this.properties.get(issue.id);
    if (!props) {
      props = new Map();
      this.properties.set(issue.id, props);
    }
    const existed = props.has(key);
    props.set(key, value);
    this.version++;
    return existed;
  }

  /** Deletes an issue for good (its comments, properties and history go with it). */
  deleteIssue(issue: IssueRecord): void {
    this.issues.delete(issue.id);
    this.keys.delete(issue.key);
    this.comments.delete(issue.id);
    this.properties.delete(issue.id);
    this.changelogs.delete(issue.id);
    this.indexed.delete(issue.id);
    this.pendingPerIssue.delete(issue.id);
    this.pending = this.pending.filter((p) => p.id !== issue.id);
    this.onDelete(issue.id);
    this.version++;
  }

  // ---- search index ---------------------------------------------------------------------------

  private reindex(issue: IssueRecord, before: IssueRecord | null): void {
    this.version++;
    if (this.indexLagMs <= 0) {
      // Catching up: anything still pending for this issue is superseded by the live state.
      if (this.indexed.has(issue.id) && !this.pendingPerIssue.get(issue.id)) this.indexed.delete(issue.id);
      return;
    }
    if (!this.indexed.has(issue.id)) this.indexed.set(issue.id, before);
    this.pending.push({ id: issue.id, visibleAt: this.now() + this.indexLagMs, state: structuredClone(issue) });
    this.pendingPerIssue.set(issue.id, (this.pendingPerIssue.get(issue.id) ?? 0) + 1);
  }

  /** Moves index entries whose lag has passed into the searchable state. */
  private drainIndex(): void {
    if (this.pending.length === 0) return;
    const now = this.now();
    const keep: PendingIndex[] = [];
    for (const entry of this.pending) {
      if (entry.visibleAt > now) {
        keep.push(entry);
        continue;
      }
      const left = (this.pendingPerIssue.get(entry.id) ?? 1) - 1;
      if (left <= 0) {
        this.pendingPerIssue.delete(entry.id);
        this.indexed.delete(entry.id);
      } else {
        this.pendingPerIssue.set(entry.id, left);
        this.indexed.set(entry.id, entry.state);
      }
    }
    if (keep.length !== this.pending.length) this.version++;
    this.pending = keep;
  }

  /** The issues as the search index sees them; `reconcile` ids are read live (read-after-write). */
  searchable(reconcile: Set<number>): IssueRecord[] {
    this.drainIndex();
    const out: IssueRecord[] = [];
    for (const issue of this.issues.values()) {
      if (reconcile.has(issue.id) || !this.indexed.has(issue.id)) {
        out.push(issue);
        continue;
      }
      const stale = this.indexed.get(issue.id);
      if (stale) out.push(stale);
    }
    return out;
  }

  setIndexLag(ms: number): void {
    this.indexLagMs = Math.max(0, ms);
    if (this.indexLagMs === 0) {
      this.pending = [];
      this.pendingPerIssue.clear();
      this.indexed.clear();
      this.version++;
    }
  }
}

function userName(store: JiraStore, id: string | null): string | null {
  return id === null ? null : (store.users.get(id)?.displayName ?? id);
}

function diffItems(a: IssueRecord, b: IssueRecord, store: JiraStore): ChangeItem[] {
  const items: ChangeItem[] = [];
  const push = (
    field: string,
    fieldId: string,
    from: string | null,
    fromString: string | null,
    to: string | null,
    toString: string | null,
    custom = false,
  ): void => {
    items.push({ field, fieldId, fieldtype: custom ? 'custom' : 'jira', from, fromString, to, toString });
  };
  if (a.summary !== b.summary) push('summary', 'summary', null, a.summary, null, b.summary);
  if (JSON.stringify(a.description) !== JSON.stringify(b.description))
    push('description', 'description', null, a.description ? 'ADF' : null, null, b.description ? 'ADF' : null);
  if (a.statusId !== b.statusId)
    push(
      'status',
      'status',
      a.statusId,
      store.statuses.get(a.statusId)?.name ?? null,
      b.statusId,
      store.statuses.get(b.statusId)?.name ?? null,
    );
  if (a.priorityId !== b.priorityId) {
    const name = (id: string | null): string | null => PRIORITIES.find((p) => p.id === id)?.name ?? null;
    push('priority', 'priority', a.priorityId, name(a.priorityId), b.priorityId, name(b.priorityId));
  }
  if (a.resolutionId !== b.resolutionId) {
    const name = (id: string | null): string | null => RESOLUTIONS.find((r) => r.id === id)?.name ?? null;
    push('resolution', 'resolution', a.resolutionId, name(a.resolutionId), b.resolutionId, name(b.resolutionId));
  }
  if (a.issueTypeId !== b.issueTypeId) {
    const name = (id: string): string | null => ISSUE_TYPES.find((t) => t.id === id)?.name ?? null;
    push('issuetype', 'issuetype', a.issueTypeId, name(a.issueTypeId), b.issueTypeId, name(b.issueTypeId));
  }
  if (a.labels.join(' ') !== b.labels.join(' '))
    push('labels', 'labels', null, a.labels.join(' '), null, b.labels.join(' '));
  if (a.assignee !== b.assignee)
    push('assignee', 'assignee', a.assignee, userName(store, a.assignee), b.assignee, userName(store, b.assignee));
  if (a.reporter !== b.reporter)
    push('reporter', 'reporter', a.reporter, userName(store, a.reporter), b.reporter, userName(store, b.reporter));
  if (a.requestTypeId !== b.requestTypeId)
    push('Request Type', REQUEST_TYPE_FIELD, a.requestTypeId, null, b.requestTypeId, null, true);
  const customIds = new Set([...Object.keys(a.custom), ...Object.keys(b.custom)]);
  for (const id of customIds) {
    const from = a.custom[id] ?? null;
    const to = b.custom[id] ?? null;
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    const text = (v: unknown): string | null =>
      v === null ? null : scalar(typeof v === 'object' ? ((v as { value?: unknown }).value ?? v) : v);
    push(store.fields.get(id)?.name ?? id, id, null, text(from), null, text(to), true);
  }
  return items;
}
