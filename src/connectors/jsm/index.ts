// The Jira Service Management (Cloud) connector: changes through /search/jql with an epoch-ms
// cursor, ADF text, status through workflow transitions, markers as an issue property plus a
// label, public/internal comments, and HMAC-signed admin webhooks.
import { defineConnector, type ConnectorContext } from '../../core/connector.js';
import {
  classify,
  ConfigError,
  describeError,
  NotFoundError,
  PayloadError,
  RemoteValidationError,
  TransitionMissingError,
} from '../../core/errors.js';
import { formatMirroredComment, parseMirroredComment } from '../../core/marker.js';
import { normaliseText } from '../../core/text.js';
import { cutText, type TextCut } from '../../core/text-cut.js';
import type { Readable } from 'node:stream';
import {
  isInvalidTicket,
  type Attachment,
  type NewAttachment,
  type Comment,
  type Connector,
  type ConnectorFacts,
  type FieldCatalog,
  type FieldInfo,
  type FieldValues,
  type InvalidTicket,
  type JsonValue,
  type ListChangedOptions,
  type NewComment,
  type Ticket,
  type TicketContext,
  type WebhookHint,
  type WebhookRequest,
} from '../../core/types.js';
import type { JsmSystem } from '../../mapping/schema.js';
import type { z } from 'zod';
import { JIRA_MAX_FILE_BYTES, JiraFiles } from './attachments.js';
import { JiraClient } from './client.js';
import {
  MARKER_PROPERTY,
  adfToText,
  isMarkerLabel,
  issueToTicket,
  markerToLabel,
  textToAdf,
  toJiraValue,
  cutForJira,
  JIRA_RICH_TEXT_MAX,
  adfLength,
  type ConvertContext,
} from './convert.js';
import { JiraCommentPage, type JiraComment, type JiraField, type JiraIssue, type JiraTransition } from './schema.js';
import { parseJiraWebhook, verifyJiraDelivery } from './webhook.js';

type JsmConfig = z.infer<typeof JsmSystem>;

const PAGE_SIZE = 100;
const COMMENT_PAGE = 100;
/** Changelog entries per page, and how many pages back `fieldChangeTimes` reads at most. */
const CHANGELOG_PAGE = 100;
const CHANGELOG_PAGES = 5;
const REQUEST_TYPE_SCHEMA = 'com.atlassian.servicedesk:vp-origin';
const WEBHOOK_EVENTS = ['jira:issue_created', 'jira:issue_updated', 'comment_created'];
/** Most transitions walked to reach one status (a workflow path longer than this is a config problem). */
const MAX_TRANSITION_STEPS = 8;
/**
 * How long the comments a read of the issue carried (`fields=*all` includes `comment`) are kept to
 * answer a list of that same version's comments: a pass lists a side's comments moments after
 * reading it, and the comments as of that read are the ones the version it records covers (a
 * comment made since moves `updated`, so the next pass lists it).
 */
const READ_COMMENTS_MS = 10_000;
/** How long a project's statuses (names and categories, for the transition search) are reused. */
const STATUSES_MS = 10 * 60_000;
/**
 * How long the transitions seen from a status are trusted to be offered again without asking
 * (a workflow edit shows within this time; a refused one is forgotten at once).
 */
const LEARNED_EDGES_MS = 10 * 60_000;
/** Ids written recently are passed as `reconcileIssues` so our own writes are searchable at once. */
const RECONCILE_WINDOW_MS = 10 * 60_000;

/** Writes Jira accepts in `fields` on edit; status/resolution move through transitions instead. */
const READ_ONLY = new Set(['project', 'requestType']);

/** A project key (a letter, then letters, digits or underscores), a dash and the issue number. */
const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]*-\d+$/;

function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A ticket with the text cut to fit Jira's limits on the write that returned it (`Ticket.cuts`). */
export type CutTicket = Ticket & { cuts?: TextCut[] };

function withCuts(ticket: Ticket, cuts: TextCut[]): CutTicket {
  return cuts.length > 0 ? { ...ticket, cuts } : ticket;
}

function equalValues(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Where an issue stands in its workflow: its status, project and issue type as read. */
interface WorkflowPlace {
  status: string;
  project: string | undefined;
  /** Unknown when the read did not carry it: then no learned transition is posted unasked. */
  issueType: string | undefined;
}

/** An issue's status name, project key and issue type as a read answered them. */
function statusOf(raw: unknown): WorkflowPlace {
  const fields = (
    raw as {
      fields?: { project?: { key?: string }; status?: { name?: string }; issuetype?: { name?: string } | null };
    } | null
  )?.fields;
  return { status: fields?.status?.name ?? '', project: fields?.project?.key, issueType: fields?.issuetype?.name };
}

/**
 * The workflow an issue follows: Jira assigns workflows per project and issue type (the project's
 * workflow scheme), so transitions learned on one pair say nothing about another.
 */
function workflowKey(project: string, issueType: string | undefined): string {
  return JSON.stringify([project, issueType ?? null]);
}

export class JsmConnector implements Connector {
  readonly kind = 'jsm' as const;
  readonly facts: ConnectorFacts;
  private readonly client: JiraClient;
  private readonly files: JiraFiles;
  private readonly system: JsmConfig;
  private readonly systemName: string;
  private fieldCache: Promise<Map<string, JiraField>> | undefined;
  private ownAccountId: string | undefined;
  private readonly recentWrites = new Map<number, number>();
  /**
   * Learned workflow edges per workflow (project + issue type, `workflowKey`): status name →
   * the transitions seen offered from it, and when.
   */
  private readonly learnedEdges = new Map<string, Map<string, { atMs: number; transitions: JiraTransition[] }>>();
  /** The complete comment list each recent read of an issue carried, by issue id. */
  private readonly readComments = new Map<string, { atMs: number; version: string; comments: JiraComment[] }>();
  /** Each project's status categories as last listed. */
  private readonly statusCache = new Map<string, { atMs: number; categories: Map<string, string> }>();

  constructor(private readonly ctx: ConnectorContext<JsmConfig>) {
    this.system = ctx.system;
    this.systemName = ctx.systemName;
    if (ctx.system.options?.deployment === 'datacenter') {
      throw new ConfigError([
        `systems.${ctx.systemName}.options.deployment: Jira Data Center is not supported (it needs a Bearer PAT, REST v2 and wiki markup); see src/connectors/jsm/readme.md`,
      ]);
    }
    this.client = new JiraClient({
      system: ctx.systemName,
      baseUrl: ctx.system.baseUrl,
      email: ctx.system.credentials.email,
      apiToken: ctx.system.credentials.apiToken,
      queue: ctx.queue,
      logger: ctx.logger,
      ...(ctx.system.timeoutMs === undefined ? {} : { timeoutMs: ctx.system.timeoutMs }),
    });
    this.files = new JiraFiles(
      this.client,
      ctx.systemName,
      {
        maxFileBytes: JIRA_MAX_FILE_BYTES,
        note: "One file may be as large as the site's attachment size setting (GET /rest/api/3/attachment/meta uploadLimit, read every 10 minutes; Jira Cloud allows at most 2 GB); over it Jira answers 413. See readme.",
      },
      () => ctx.clock.now(),
      ctx.logger,
    );
    this.facts = {
      kind: 'jsm',
      label: 'Jira Service Management',
      pageSize: PAGE_SIZE,
      // findByMarker searches by label, and Jira's search index trails writes.
      markerSearchLagMs: 60_000,
      // The status is reached through transitions after the create; with a request type, the
      // fields outside the request form follow as an edit.
      createSteps:
        ctx.scope.requestTypes && ctx.scope.requestTypes.length > 0
          ? ['status', 'resolution', 'priority', 'labels', 'assignee', 'components', 'duedate']
          : ['status', 'resolution'],
      // A status write walks a path of transitions, one call each (see moveTo below).
      updateSteps: ['status'],
      // `updated` counts milliseconds ("2021-01-17T12:34:00.000+0000", IssueBean in the platform
      // spec; a comment moves it too, which `doctor` checks), so a version the ledger holds is
      // trusted at once instead of after SETTLE_MS.
      versionStepMs: 1,
      // A copy's deliveries announce the comment (webhook.ts announcedComment): readme, webhooks.
      commentEchoVersioned: true,
      rateLimit: {
        requestsPerMinute: jsmConnector.defaultRateLimit.requestsPerMinute,
        headers: [
          'Retry-After',
          'RateLimit-Reason',
          'X-RateLimit-Limit',
          'X-RateLimit-Remaining',
          'X-RateLimit-Reset',
          'X-RateLimit-NearLimit',
        ],
        note: 'API-token traffic is exempt from the 2026 points quotas but not from per-endpoint burst and per-issue write limits; 429 carries Retry-After and RateLimit-Reason.',
      },
      capabilities: {
        webhooks: {
          supported: true,
          note: 'Admin webhooks signed with X-Hub-Signature (HMAC-SHA256); needs a webhook secret.',
        },
        webhookRegistration: {
          supported: true,
          note: 'POST /rest/webhooks/1.0/webhook; the integration user must be a Jira admin.',
        },
        internalComments: {
          supported: true,
          note: 'Internal notes via the sd.public.comment property; read back from jsdPublic.',
        },
        markerSearch: {
          supported: true,
          note: 'Marker in issue property ticketbridge.marker plus a tb-… label searched by JQL (search can lag seconds behind writes).',
        },
        deletions: {
          supported: false,
          note: 'Deleted issues answer 404; a deletion is noticed when the linked issue is read.',
        },
        changePolling: {
          supported: true,
          note: 'JQL updated >= (minute precision, search index lag) with the scope; overlap covers both; own writes passed as reconcileIssues.',
        },
        fieldHistory: {
          supported: true,
          note: 'Per-field change times from the issue changelog (newest page first), for conflict: newest.',
        },
        textLimits: {
          supported: false,
          note: 'Jira Cloud limits are not enforced before writing; a refused value shows as an error. Status moves through workflow transitions.',
        },
        attachments: {
          supported: true,
          note: 'Files on the issue (POST …/attachments with X-Atlassian-Token: no-check); a file is as visible as the comment whose media node shows it (jsdPublic), public in the description, internal on no comment. Copies ride on a comment of their visibility.',
        },
      },
      attachments: this.files.limits,
    };
  }

  // ---- reads -----------------------------------------------------------------------------------

  private async fieldsById(): Promise<Map<string, JiraField>> {
    this.fieldCache ??= this.client.fields().then(
      (list) => new Map(list.map((f) => [f.id, f])),
      (err: unknown) => {
        this.fieldCache = undefined;
        throw err;
      },
    );
    return this.fieldCache;
  }

  private async requestTypeFieldId(): Promise<string | undefined> {
    for (const f of (await this.fieldsById()).values()) if (f.schema?.custom === REQUEST_TYPE_SCHEMA) return f.id;
    return undefined;
  }

  private async convertContext(): Promise<ConvertContext> {
    const scope = this.ctx.scope;
    const rtField = await this.requestTypeFieldId();
    return {
      baseUrl: this.system.baseUrl,
      requestTypeFieldId: rtField,
      inScope: (issue: JiraIssue) => {
        if (scope.project !== undefined && issue.fields.project.key.toUpperCase() !== scope.project.toUpperCase())
          return false;
        if (scope.requestTypes && scope.requestTypes.length > 0) {
          const rt =
            rtField === undefined
              ? undefined
              : ((issue.fields as Record<string, unknown>)[rtField] as
                  { requestType?: { name?: string } } | null | undefined);
          if (!rt?.requestType?.name || !scope.requestTypes.includes(rt.requestType.name)) return false;
        }
        return true;
      },
    };
  }

  /** The scope as JQL clauses (project, request types, extra JQL). */
  private scopeClauses(): string[] {
    const scope = this.ctx.scope;
    const clauses: string[] = [];
    if (scope.project !== undefined) clauses.push(`project = ${jqlString(scope.project)}`);
    if (scope.requestTypes && scope.requestTypes.length > 0)
      clauses.push(`"Request Type" in (${scope.requestTypes.map(jqlString).join(', ')})`);
    if (scope.jql !== undefined) clauses.push(`(${scope.jql})`);
    return clauses;
  }

  /** The JQL of a change poll: scope AND an epoch-ms bound (never a zone-dependent literal). */
  changesJql(since: Date | null): string {
    const clauses = this.scopeClauses();
    clauses.push(`updated >= ${since === null ? 0 : since.getTime()}`);
    return `${clauses.join(' AND ')} ORDER BY updated ASC, key ASC`;
  }

  private reconcileIds(): number[] {
    const cutoff = this.ctx.clock.now() - RECONCILE_WINDOW_MS;
    for (const [id, at] of this.recentWrites) if (at < cutoff) this.recentWrites.delete(id);
    return [...this.recentWrites.keys()].slice(-50);
  }

  private noteWrite(id: string): void {
    this.readComments.delete(id);
    const n = Number(id);
    this.recentWrites.delete(n);
    this.recentWrites.set(n, this.ctx.clock.now());
    while (this.recentWrites.size > 50) this.recentWrites.delete(this.recentWrites.keys().next().value!);
  }

  /** Every issue a JQL matches, paging by nextPageToken defensively. */
  private async *searchAll(jql: string, signal?: AbortSignal): AsyncGenerator<unknown> {
    const seenTokens = new Set<string>();
    const reconcileIssues = this.reconcileIds();
    let token: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const page = await this.client.search({
        jql,
        maxResults: PAGE_SIZE,
        fields: ['*navigable'],
        properties: [MARKER_PROPERTY],
        ...(token === undefined ? {} : { nextPageToken: token }),
        reconcileIssues,
      });
      for (const issue of page.issues) yield issue;
      // Stop on the last page, a missing or repeated token, or an empty page: real clients looped forever on each.
      const next = page.nextPageToken ?? undefined;
      if (page.isLast === true || next === undefined || next === '' || page.issues.length === 0) return;
      if (seenTokens.has(next)) {
        this.ctx.logger.warn({ system: this.systemName, jql }, 'search repeated a page token; stopping');
        return;
      }
      seenTokens.add(next);
      token = next;
    }
  }

  async *listChanged(options: ListChangedOptions): AsyncIterable<Ticket | InvalidTicket> {
    const ctx = await this.convertContext();
    const seen = new Set<string>();
    for await (const raw of this.searchAll(this.changesJql(options.since), options.signal)) {
      const ticket = issueToTicket(raw, { ...ctx, inScope: () => true });
      const key = isInvalidTicket(ticket) ? `${ticket.id}@invalid` : `${ticket.id}@${ticket.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield ticket;
    }
  }

  private async read(id: string): Promise<Ticket> {
    return this.ticketOf(id, await this.client.getIssue(id, [MARKER_PROPERTY]));
  }

  /** The issue as read (`getIssue` with the marker property); remembers its complete comment list. */
  private async ticketOf(id: string, raw: unknown): Promise<Ticket> {
    const ctx = await this.convertContext();
    const ticket = issueToTicket(raw, ctx);
    this.rememberComments(id, raw, isInvalidTicket(ticket) ? undefined : ticket.version);
    if (isInvalidTicket(ticket))
      throw new PayloadError(`${this.systemName} issue ${id}: ${ticket.invalid}`, {
        system: this.systemName,
      });
    if (ticket.inScope && this.ctx.scope.jql !== undefined) {
      // Extra JQL cannot be evaluated locally: ask search, reconciled so a fresh write counts.
      const clauses = [`id = ${Number(id)}`, ...this.scopeClauses()];
      const page = await this.client.search({
        jql: clauses.join(' AND '),
        maxResults: 1,
        fields: ['id'],
        reconcileIssues: [Number(id)],
      });
      ticket.inScope = page.issues.length > 0;
    }
    return ticket;
  }

  async getTicket(id: string): Promise<Ticket> {
    if (!/^\d+$/.test(id))
      throw new NotFoundError(
        `${this.systemName} issue ids are numeric; got ${JSON.stringify(id)} (keys are not identities)`,
        { system: this.systemName },
      );
    return this.read(id);
  }

  /**
   * When each field last changed, from the issue's changelog, read newest page first and only as
   * far back as needed (at most CHANGELOG_PAGES pages). Fields never changed since creation are
   * left out, so the ticket's own times stand in for them.
   */
  async fieldChangeTimes(id: string, natives: readonly string[]): Promise<Record<string, string>> {
    const rtField = (await this.convertContext()).requestTypeFieldId;
    const wanted = new Map(natives.map((n) => [n === 'requestType' && rtField !== undefined ? rtField : n, n]));
    const out: Record<string, string> = {};
    let page = await this.client.changelog(id, 0, CHANGELOG_PAGE);
    let start = Math.max(0, page.total - CHANGELOG_PAGE);
    if (start > 0) page = await this.client.changelog(id, start, CHANGELOG_PAGE);
    for (let pages = 1; ; pages++) {
      for (const history of [...page.values].reverse()) {
        for (const item of history.items) {
          const native = wanted.get(item.fieldId ?? item.field);
          if (native !== undefined && out[native] === undefined) out[native] = new Date(history.created).toISOString();
        }
      }
      if (start === 0 || Object.keys(out).length === wanted.size || pages >= CHANGELOG_PAGES) return out;
      const next = Math.max(0, start - CHANGELOG_PAGE);
      page = await this.client.changelog(id, next, start - next);
      start = next;
    }
  }

  async changedByOthers(id: string, natives: readonly string[]): Promise<string[]> {
    if (this.ownAccountId === undefined) await this.ping();
    const wanted = new Set(natives);
    const changed = new Set<string>();
    for (let startAt = 0, pages = 0; pages < CHANGELOG_PAGES; pages++) {
      const page = await this.client.changelog(id, startAt, CHANGELOG_PAGE);
      for (const history of page.values) {
        if (history.author?.accountId === this.ownAccountId) continue;
        for (const item of history.items) {
          const native = item.fieldId ?? item.field;
          if (wanted.has(native)) changed.add(native);
        }
      }
      startAt += page.values.length;
      if (page.values.length === 0 || startAt >= page.total) break;
    }
    return [...changed];
  }

  async findByMarker(marker: string): Promise<Ticket | null> {
    const jql = `labels = ${jqlString(markerToLabel(marker))} ORDER BY created ASC`;
    for await (const raw of this.searchAll(jql)) {
      const id = (raw as { id?: unknown }).id;
      if (typeof id !== 'string' && typeof id !== 'number') continue;
      const ticket = await this.read(String(id));
      if (ticket.marker === marker) return ticket;
    }
    return null;
  }

  /**
   * People know issues by key (`IT-12`, any case); links hold the numeric id. A numeric id is
   * its own reference; anything that is neither an id nor a key is no issue.
   */
  async resolveTicketRef(reference: string): Promise<string | null> {
    const ref = reference.trim().replace(/^#/, '');
    if (/^\d+$/.test(ref)) return ref;
    if (!ISSUE_KEY.test(ref)) return null;
    try {
      return (await this.client.issueRef(ref.toUpperCase())).id;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  // ---- writes ----------------------------------------------------------------------------------

  /**
   * Native field values → the `fields` object of an edit/create (status/resolution excluded).
   * Text over Jira's limits is cut to fit, and each cut recorded in `cuts`.
   */
  private async jiraFields(
    values: FieldValues,
    keepLabels: string[],
    cuts: TextCut[] = [],
  ): Promise<Record<string, unknown>> {
    const catalog = await this.fieldsById();
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      if (name === 'status' || name === 'resolution' || READ_ONLY.has(name)) continue;
      if (name === 'labels') {
        const wanted = (Array.isArray(value) ? value : value === null ? [] : [value])
          .map(String)
          .filter((l) => !isMarkerLabel(l));
        out.labels = [...new Set([...wanted, ...keepLabels])];
        continue;
      }
      const fitted = cutForJira(name, value, catalog.get(name));
      if (fitted.cut) cuts.push(fitted.cut);
      out[name] = toJiraValue(name, fitted.value, catalog.get(name));
    }
    return out;
  }

  async createTicket(fields: FieldValues, marker: string): Promise<Ticket> {
    const scope = this.ctx.scope;
    const markerLabel = markerToLabel(marker);
    const labels = [...(Array.isArray(fields.labels) ? fields.labels.map(String) : []), markerLabel];
    const cuts: TextCut[] = [];
    let id: string;
    if (scope.requestTypes && scope.requestTypes.length > 0) {
      id = await this.createRequest(fields, scope.requestTypes[0]!, cuts);
      // servicedeskapi takes only the request form's fields, and reads text as wiki markup: the
      // rest (the description as ADF, labels with the marker, priority, custom fields) and the
      // marker property follow as a platform edit, so the text arrives exactly as written.
      const rest = await this.jiraFields(
        {
          ...Object.fromEntries(
            Object.entries(fields).filter(([k]) => k !== 'summary' && k !== 'reporter' && k !== 'issuetype'),
          ),
          labels,
        },
        [markerLabel],
        cuts,
      );
      await this.client.setProperty(id, MARKER_PROPERTY, { marker });
      await this.client.editIssue(id, rest);
    } else {
      if (scope.project === undefined)
        throw new ConfigError([
          `connection ${this.ctx.connection} side ${this.ctx.side}: scope.project is required to create Jira issues`,
        ]);
      const body = await this.jiraFields({ ...fields, labels }, [markerLabel], cuts);
      body.project = { key: scope.project };
      body.issuetype = {
        name: typeof fields.issuetype === 'string' ? fields.issuetype : (scope.issueType ?? 'Incident'),
      };
      const created = await this.client.createIssue(body, [{ key: MARKER_PROPERTY, value: { marker } }]);
      id = created.id;
    }
    this.noteWrite(id);
    // One read answers both what the create made (Jira's POST answers only the id) and where its
    // workflow started; a status it already has needs no transition and no second read.
    const raw = await this.client.getIssue(id, [MARKER_PROPERTY]);
    const start = statusOf(raw);
    if (typeof fields.status === 'string' && start.status.toLowerCase() !== fields.status.toLowerCase()) {
      try {
        await this.moveToStatus(id, fields.status, fields.resolution, start);
      } catch (err) {
        // The issue exists: a refused transition must not look like a create that never happened
        // (the intent would be dropped and the next attempt would make a second issue). The pass
        // sees the status was not reached and handles it as any refused write.
        if (classify(err).retry) throw err;
        this.ctx.logger.warn(
          { issueId: id, status: fields.status, err: describeError(err) },
          'created issue kept its first status',
        );
      }
      return withCuts(await this.read(id), cuts);
    }
    return withCuts(await this.ticketOf(id, raw), cuts);
  }

  private async createRequest(fields: FieldValues, requestTypeName: string, cuts: TextCut[]): Promise<string> {
    const project = this.ctx.scope.project;
    const desks = await this.client.serviceDesks();
    const desk =
      project === undefined ? desks[0] : desks.find((d) => d.projectKey.toUpperCase() === project.toUpperCase());
    if (!desk)
      throw new ConfigError([
        `connection ${this.ctx.connection} side ${this.ctx.side}: no service desk for project ${project ?? '(any)'} on ${this.systemName}`,
      ]);
    const types = await this.client.requestTypes(desk.id);
    const type = types.find((t) => t.name === requestTypeName);
    if (!type)
      throw new ConfigError([
        `connection ${this.ctx.connection} side ${this.ctx.side}: request type "${requestTypeName}" does not exist in service desk ${desk.projectKey} (known: ${types.map((t) => t.name).join(', ')})`,
      ]);
    const summary = cutForJira('summary', fields.summary ?? null, undefined);
    if (summary.cut) cuts.push(summary.cut);
    const requestFieldValues: Record<string, unknown> = { summary: summary.value };
    const body: {
      serviceDeskId: string;
      requestTypeId: string;
      requestFieldValues: Record<string, unknown>;
      raiseOnBehalfOf?: string;
    } = { serviceDeskId: desk.id, requestTypeId: type.id, requestFieldValues };
    if (typeof fields.reporter === 'string') body.raiseOnBehalfOf = fields.reporter;
    // The description is not sent here: JSM would read it as wiki markup (`*bold*`, `#` lists).
    // The edit after creation writes it as ADF. Only a request type that requires a description
    // gets one now, inside {noformat} so it is not interpreted, and the edit replaces it.
    const description =
      typeof fields.description === 'string'
        ? cutText(
            'description',
            normaliseText(fields.description),
            JIRA_RICH_TEXT_MAX - '{noformat}\n\n{noformat}'.length,
          ).text
        : '';
    let created: { issueId: string };
    try {
      created = await this.client.createRequest(body);
    } catch (err) {
      if (!(err instanceof RemoteValidationError) || !/description/i.test(err.message) || description === '') throw err;
      requestFieldValues.description = `{noformat}\n${description}\n{noformat}`;
      created = await this.client.createRequest(body);
    }
    return created.issueId;
  }

  /**
   * Edits fields (one PUT) and walks the status through transitions. `expected` is the issue as
   * the pass just read it: it stands in for the reads before the write (current status, the marker
   * label to keep), and a field-only edit takes the issue from the PUT's answer (`returnIssue`)
   * instead of reading it again.
   */
  async updateTicket(id: string, changes: FieldValues, options?: { expected?: Ticket }): Promise<Ticket> {
    const expected = options?.expected;
    const current = expected ?? (await this.read(id));
    const edit: FieldValues = {};
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'status' || name === 'resolution') continue;
      if (READ_ONLY.has(name)) {
        if (!equalValues(current.fields[name], value))
          throw new RemoteValidationError(`${this.systemName}: field ${name} cannot be changed by the connector`, {
            system: this.systemName,
            field: name,
          });
        continue;
      }
      edit[name] = value;
    }
    const statusChange = typeof changes.status === 'string' && changes.status !== current.fields.status;
    const cuts: TextCut[] = [];
    let returned: unknown;
    if (Object.keys(edit).length > 0) {
      // A label write replaces every label: the marker label is kept (named by the expected ticket, else read).
      const keep =
        'labels' in edit
          ? expected
            ? expected.marker
              ? [markerToLabel(expected.marker)]
              : []
            : ((await this.currentMarkerLabels(id)) ?? [])
          : [];
      const fields = await this.jiraFields(edit, keep, cuts);
      returned = await this.client.editIssue(id, fields, { returnIssue: expected !== undefined && !statusChange });
      this.noteWrite(id);
    }
    if (statusChange) {
      await this.moveToStatus(id, changes.status as string, changes.resolution, {
        status: typeof current.fields.status === 'string' ? current.fields.status : '',
        project: typeof current.fields.project === 'string' ? current.fields.project : undefined,
        // An edit that changes the issue type may change the workflow: nothing learned is trusted.
        issueType:
          typeof current.fields.issuetype === 'string' && !('issuetype' in edit) ? current.fields.issuetype : undefined,
      });
      this.noteWrite(id);
    } else if (
      changes.resolution !== undefined &&
      !equalValues(changes.resolution, current.fields.resolution) &&
      changes.status === undefined
    ) {
      throw new RemoteValidationError(
        `${this.systemName}: resolution changes only with a status transition (issue ${id})`,
        { system: this.systemName, field: 'resolution' },
      );
    }
    const held = returned === undefined ? undefined : await this.fromEditAnswer(returned, current);
    return withCuts(held ?? (await this.read(id)), cuts);
  }

  /**
   * The issue as the PUT's `returnIssue` answer gives it, or undefined when it cannot stand in for
   * a read: an answer without the full issue, or a scope whose extra JQL only Jira can evaluate.
   */
  private async fromEditAnswer(raw: unknown, before: Ticket): Promise<Ticket | undefined> {
    if (this.ctx.scope.jql !== undefined) return undefined;
    const ticket = issueToTicket(raw, await this.convertContext());
    if (isInvalidTicket(ticket)) return undefined;
    return { ...ticket, marker: ticket.marker ?? before.marker ?? null };
  }

  private async currentMarkerLabels(id: string): Promise<string[] | undefined> {
    const raw = (await this.client.getIssue(id, [])) as { fields?: { labels?: unknown } };
    const labels = raw.fields?.labels;
    return Array.isArray(labels)
      ? labels.filter((l): l is string => typeof l === 'string' && isMarkerLabel(l))
      : undefined;
  }

  /**
   * The marker goes where a create puts it: the issue property and a tb-… label beside the issue's
   * own labels (a label write replaces the list, so the current labels are read first).
   */
  async stampMarker(id: string, marker: string): Promise<Ticket> {
    const raw = (await this.client.getIssue(id, [])) as { fields?: { labels?: unknown } };
    const labels = Array.isArray(raw.fields?.labels)
      ? raw.fields.labels.filter((l): l is string => typeof l === 'string' && !isMarkerLabel(l))
      : [];
    await this.client.setProperty(id, MARKER_PROPERTY, { marker });
    await this.client.editIssue(id, { labels: [...labels, markerToLabel(marker)] });
    this.noteWrite(id);
    return this.read(id);
  }

  async closeTicket(id: string): Promise<Ticket> {
    const ticket = await this.read(id);
    const project = ticket.fields.project;
    const target = await this.closedStatusFor(typeof project === 'string' ? project : (this.ctx.scope.project ?? ''));
    if (ticket.fields.status !== target) {
      await this.moveToStatus(id, target, null);
      this.noteWrite(id);
    }
    return this.read(id);
  }

  private async closedStatusFor(projectKey: string): Promise<string> {
    const configured = this.system.options?.closedStatus;
    if (configured) return configured;
    const statuses = (await this.client.projectStatuses(projectKey)).flatMap((t) => t.statuses);
    const done = statuses.filter((s) => s.statusCategory?.key === 'done').map((s) => s.name);
    const pick =
      done.find((n) => n.toLowerCase() === 'closed') ?? done.find((n) => n.toLowerCase() === 'resolved') ?? done[0];
    if (!pick)
      throw new TransitionMissingError(
        `${this.systemName}: project ${projectKey} has no Done-category status to close issues in`,
        { system: this.systemName },
      );
    return pick;
  }

  /**
   * Walks the workflow to `target`: a breadth-first search over the transitions learned so far for
   * the issue's workflow; where the known graph has no path it explores, preferring statuses in
   * the target's category, and never through a done status unless the target is one. A step the
   * learned transitions of the current status already lead along is posted without listing the
   * issue's transitions first; if Jira refuses it, that status's transitions are forgotten and
   * listed, and the step is chosen again from what Jira offers.
   */
  private async moveToStatus(
    id: string,
    target: string,
    resolution: JsonValue | undefined,
    from?: WorkflowPlace,
  ): Promise<void> {
    const first = from?.project !== undefined ? from : statusOf(await this.client.getIssue(id, []));
    const stuck = await this.walkTo(id, target, resolution, first);
    if (stuck === undefined) return;
    // No path from where the walk believed the issue stood. The issue may have moved since the
    // read that said so (a person's transition, or the pass's read taken before it), and the
    // transitions listed were then learned under the wrong status: forget what was learned for
    // the workflow, read where the issue stands now, and walk once more from there.
    this.learnedEdges.delete(workflowKey(first.project ?? '?', first.issueType));
    const now = statusOf(await this.client.getIssue(id, []));
    this.learnedEdges.delete(workflowKey(now.project ?? '?', now.issueType));
    const still = await this.walkTo(id, target, resolution, now);
    if (still === undefined) return;
    throw new TransitionMissingError(
      `${this.systemName}: no workflow path from "${still}" to "${target}" for issue ${id} (project ${now.project ?? '?'})`,
      { system: this.systemName },
    );
  }

  /** One walk from `place` toward `target`: undefined when it got there, else the status it stopped in. */
  private async walkTo(
    id: string,
    target: string,
    resolution: JsonValue | undefined,
    place: WorkflowPlace,
  ): Promise<string | undefined> {
    const projectKey = place.project ?? '?';
    const workflow = workflowKey(projectKey, place.issueType);
    let current = place.status;
    // The project's status categories guide only a search for a path (no transition to the target
    // offered now, none learned): listed then, not for every move.
    let categories: Map<string, string> | undefined;
    const visited = new Set<string>();
    for (let step = 0; step < MAX_TRANSITION_STEPS; step++) {
      if (current.toLowerCase() === target.toLowerCase()) return undefined;
      visited.add(current.toLowerCase());
      const reached =
        place.issueType === undefined
          ? undefined
          : await this.tryLearnedStep(id, workflow, current, target, resolution);
      if (reached !== undefined) {
        current = reached;
        continue;
      }
      const available = await this.client.transitions(id);
      this.learn(workflow, current, available);
      let next = this.knownStep(workflow, current, target, available);
      if (!next) {
        categories ??= await this.statusCategories(projectKey);
        next = this.exploreStep(workflow, target, available, visited, categories);
      }
      if (!next) break;
      await this.client.transition(id, next.id, this.transitionFields(next, resolution));
      current = next.to.name;
    }
    return current.toLowerCase() === target.toLowerCase() ? undefined : current;
  }

  private async statusCategories(projectKey: string): Promise<Map<string, string>> {
    const held = this.statusCache.get(projectKey);
    if (held && this.ctx.clock.now() - held.atMs <= STATUSES_MS) return held.categories;
    try {
      const types = await this.client.projectStatuses(projectKey);
      const categories = new Map(
        types.flatMap((t) => t.statuses).map((s) => [s.name.toLowerCase(), s.statusCategory?.key ?? '']),
      );
      this.statusCache.set(projectKey, { atMs: this.ctx.clock.now(), categories });
      return categories;
    } catch (err) {
      if (err instanceof NotFoundError) return new Map();
      throw err;
    }
  }

  /**
   * One step posted from what was learned, without listing the issue's transitions: the status it
   * reached, or undefined when nothing learned leads toward `target` from `current` or Jira
   * refused the step (400: a transition not offered from the issue's status now, a condition or
   * validator, a screen field; the spec's POST …/transitions). A refused step is forgotten, so
   * the caller lists the transitions and the walk goes on as it would have: one call more at worst.
   */
  private async tryLearnedStep(
    id: string,
    workflow: string,
    current: string,
    target: string,
    resolution: JsonValue | undefined,
  ): Promise<string | undefined> {
    const known = this.learnedGraph(workflow).get(current.toLowerCase());
    if (!known) return undefined;
    const next = this.knownStep(workflow, current, target, known);
    if (!next) return undefined;
    try {
      await this.client.transition(id, next.id, this.transitionFields(next, resolution));
    } catch (err) {
      if (!(err instanceof RemoteValidationError)) throw err;
      this.learnedEdges.get(workflow)?.delete(current.toLowerCase());
      this.ctx.logger.debug(
        { system: this.systemName, issueId: id, transition: next.id, from: current, err: describeError(err) },
        'learned transition refused; listing transitions',
      );
      return undefined;
    }
    return next.to.name;
  }

  /** The transitions seen offered from each status of a workflow, within LEARNED_EDGES_MS. */
  private learnedGraph(workflow: string): Map<string, JiraTransition[]> {
    const graph = this.learnedEdges.get(workflow);
    const out = new Map<string, JiraTransition[]>();
    if (!graph) return out;
    const now = this.ctx.clock.now();
    for (const [from, held] of graph) {
      if (now - held.atMs > LEARNED_EDGES_MS) graph.delete(from);
      else out.set(from, held.transitions);
    }
    return out;
  }

  private learn(workflow: string, from: string, transitions: JiraTransition[]): void {
    let graph = this.learnedEdges.get(workflow);
    if (!graph) {
      graph = new Map();
      this.learnedEdges.set(workflow, graph);
    }
    graph.set(from.toLowerCase(), { atMs: this.ctx.clock.now(), transitions });
  }

  /**
   * The transition toward `target` that is known to lead there: one offered straight to it, else
   * the first edge of the shortest path over the learned graph (that edge must be offered now).
   */
  private knownStep(
    workflow: string,
    current: string,
    target: string,
    available: JiraTransition[],
  ): JiraTransition | undefined {
    const wanted = target.toLowerCase();
    const direct = available.find((t) => t.to.name.toLowerCase() === wanted);
    if (direct) return direct;
    // Shortest path over the learned graph; its first edge must be available now.
    const graph = this.learnedGraph(workflow);
    const start = current.toLowerCase();
    const firstStep = new Map<string, JiraTransition>();
    const queue: string[] = [];
    for (const t of available) {
      const to = t.to.name.toLowerCase();
      if (!firstStep.has(to)) {
        firstStep.set(to, t);
        queue.push(to);
      }
    }
    const seen = new Set([start, ...queue]);
    while (queue.length > 0) {
      const node = queue.shift()!;
      if (node === wanted) return firstStep.get(node);
      for (const t of graph.get(node) ?? []) {
        const to = t.to.name.toLowerCase();
        if (seen.has(to)) continue;
        seen.add(to);
        firstStep.set(to, firstStep.get(node)!);
        queue.push(to);
      }
    }
    return undefined;
  }

  /**
   * Where no known path leads: an offered transition to a status not visited or learned yet,
   * preferring the target's status category; done statuses only when the target is done (no dead
   * ends). `categories` are the project's statuses' categories (statusCategories).
   */
  private exploreStep(
    workflow: string,
    target: string,
    available: JiraTransition[],
    visited: Set<string>,
    categories: Map<string, string>,
  ): JiraTransition | undefined {
    const graph = this.learnedGraph(workflow);
    const targetCategory = categories.get(target.toLowerCase());
    const candidates = available.filter(
      (t) => !visited.has(t.to.name.toLowerCase()) && !graph.has(t.to.name.toLowerCase()),
    );
    const allowed = candidates.filter(
      (t) =>
        targetCategory === 'done' || (t.to.statusCategory?.key ?? categories.get(t.to.name.toLowerCase())) !== 'done',
    );
    const sameCategory = allowed.find(
      (t) => (t.to.statusCategory?.key ?? categories.get(t.to.name.toLowerCase())) === targetCategory,
    );
    return sameCategory ?? allowed[0];
  }

  /** Required transition-screen fields: resolution from the mapping or the configured default. */
  private transitionFields(transition: JiraTransition, resolution: JsonValue | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [fieldId, meta] of Object.entries(transition.fields ?? {})) {
      if (!meta.required || meta.hasDefaultValue === true) continue;
      if (fieldId === 'resolution') {
        const names = (meta.allowedValues ?? []).map((v) => v.name).filter((n): n is string => typeof n === 'string');
        const wanted = typeof resolution === 'string' ? resolution : (this.system.options?.defaultResolution ?? 'Done');
        const name =
          names.find((n) => n.toLowerCase() === wanted.toLowerCase()) ?? (names.length === 0 ? wanted : names[0]!);
        out.resolution = { name };
        continue;
      }
      throw new RemoteValidationError(
        `${this.systemName}: transition "${transition.name}" requires field ${fieldId}, which the connector cannot fill`,
        { system: this.systemName, field: fieldId },
      );
    }
    return out;
  }

  // ---- comments --------------------------------------------------------------------------------

  private toComment(c: JiraComment): Comment {
    const text = adfToText(c.body ?? null);
    const { body, marker } = parseMirroredComment(text);
    // Role/group-restricted comments are not for everyone either: treat them as internal.
    const internal = c.jsdPublic === false || c.visibility?.value !== undefined;
    const comment: Comment = {
      id: c.id,
      body: normaliseText(body),
      visibility: internal ? 'internal' : 'public',
      createdAt: new Date(c.created).toISOString(),
      marker,
    };
    const author = c.author?.displayName ?? c.author?.accountId;
    if (author !== undefined) comment.author = author;
    return comment;
  }

  /**
   * The issue's comments as its read carried them (`fields.comment`), when that list is complete:
   * Jira caps embedded lists (20 in search results, research notes §4), so a page whose `total`
   * exceeds what it holds is not kept and the comments are listed instead.
   */
  private rememberComments(id: string, raw: unknown, version: string | undefined): void {
    this.readComments.delete(id);
    if (version === undefined) return;
    const page = JiraCommentPage.safeParse((raw as { fields?: { comment?: unknown } } | null)?.fields?.comment);
    if (!page.success || page.data.startAt !== 0 || page.data.comments.length < page.data.total) return;
    const now = this.ctx.clock.now();
    for (const [key, held] of this.readComments) if (now - held.atMs > READ_COMMENTS_MS) this.readComments.delete(key);
    this.readComments.set(id, { atMs: now, version, comments: page.data.comments });
  }

  /** Every comment of the issue as Jira answers it (ADF bodies, jsdPublic), oldest first. */
  private async rawComments(id: string, version?: string): Promise<JiraComment[]> {
    const held = this.readComments.get(id);
    if (held && version !== undefined && held.version === version) return held.comments;
    const out: JiraComment[] = [];
    for (let startAt = 0; ;) {
      const page = await this.client.comments(id, startAt, COMMENT_PAGE);
      out.push(...page.comments);
      startAt += page.comments.length;
      if (page.comments.length === 0 || startAt >= page.total) return out;
    }
  }

  async listComments(id: string, context?: TicketContext): Promise<Comment[]> {
    return (await this.rawComments(id, context?.version)).map((c) => this.toComment(c));
  }

  // ---- attachments -----------------------------------------------------------------------------

  async listAttachments(id: string): Promise<Attachment[]> {
    return this.files.list(id, await this.rawComments(id));
  }

  async downloadAttachment(ticketId: string, attachment: Attachment): Promise<Readable> {
    return this.files.download(ticketId, attachment);
  }

  async uploadAttachment(ticketId: string, file: NewAttachment): Promise<Attachment> {
    const uploaded = await this.files.upload(ticketId, file, (body, internal) =>
      this.client.addComment(ticketId, body, internal),
    );
    this.noteWrite(ticketId);
    return uploaded;
  }

  async addComment(id: string, comment: NewComment): Promise<Comment> {
    // Platform API with the sd.public.comment property: ADF keeps the text exactly (the
    // servicedeskapi would read the body as wiki markup), and internal notes stay internal.
    // Cut the body (never the attribution or the marker footer) to fit Jira's rich-text limit.
    const fitted = cutText('comment', comment.body, JIRA_RICH_TEXT_MAX, (body) =>
      adfLength(formatMirroredComment({ ...comment, body })),
    );
    if (fitted.cut)
      this.ctx.logger.warn({ system: this.systemName, ticketId: id, cut: fitted.cut }, 'comment cut to fit Jira');
    const created = await this.client.addComment(
      id,
      textToAdf(formatMirroredComment({ ...comment, body: fitted.text })),
      comment.visibility === 'internal',
    );
    this.noteWrite(id);
    const written: Comment & { cuts?: TextCut[] } = this.toComment(created);
    if (fitted.cut) written.cuts = [fitted.cut];
    return written;
  }

  // ---- webhooks, metadata, health --------------------------------------------------------------

  verifyWebhook(request: WebhookRequest): boolean {
    return verifyJiraDelivery(request, this.system.webhook?.secret);
  }

  parseWebhook(request: WebhookRequest): WebhookHint {
    return parseJiraWebhook(request, this.ownAccountId, this.systemName);
  }

  async registerWebhook(targetUrl: string): Promise<string> {
    const existing = (await this.client.webhooks()).find((w) => w.url === targetUrl);
    if (existing) return `Jira admin webhook ${existing.self} already delivers to ${targetUrl}`;
    const jql = this.scopeClauses().join(' AND ');
    const secret = this.system.webhook?.secret;
    const created = await this.client.registerWebhook({
      name: `ticketbridge ${this.ctx.connection} (${this.ctx.side})`,
      url: targetUrl,
      events: WEBHOOK_EVENTS,
      jql,
      ...(secret === undefined ? {} : { secret }),
    });
    return `Jira admin webhook ${created.self} (${WEBHOOK_EVENTS.join(', ')}${jql ? `; filter ${jql}` : ''})${secret === undefined ? ' UNSIGNED: set webhook.secret' : ''}`;
  }

  async unregisterWebhook(targetUrl: string): Promise<void> {
    for (const hook of await this.client.webhooks())
      if (hook.url === targetUrl) await this.client.deleteWebhook(hook.self);
  }

  /** `/browse/<key>` (the URL read issues carry); Jira's browse page takes the key, not the numeric id. */
  async ticketUrl(_id: string, key: string | null): Promise<string | null> {
    return key ? `${this.system.baseUrl.replace(/\/$/, '')}/browse/${encodeURIComponent(key)}` : null;
  }

  async describe(): Promise<FieldCatalog> {
    const [catalog, priorities] = await Promise.all([this.fieldsById(), this.client.priorities()]);
    const projectKeys =
      this.ctx.scope.project !== undefined
        ? [this.ctx.scope.project]
        : (await this.client.serviceDesks()).map((d) => d.projectKey);
    const statusesByProject: Record<string, JsonValue[]> = {};
    const issueTypes = new Set<string>();
    for (const key of projectKeys) {
      const types = await this.client.projectStatuses(key);
      for (const t of types) issueTypes.add(t.name);
      statusesByProject[key] = [...new Set(types.flatMap((t) => t.statuses.map((s) => s.name)))];
    }
    const allStatuses = [...new Set(Object.values(statusesByProject).flat())];
    const requestTypes: string[] = [];
    for (const desk of await this.client.serviceDesks()) {
      if (
        this.ctx.scope.project !== undefined &&
        desk.projectKey.toUpperCase() !== this.ctx.scope.project.toUpperCase()
      )
        continue;
      requestTypes.push(...(await this.client.requestTypes(desk.id)).map((t) => t.name));
    }
    const fields: FieldInfo[] = [
      { name: 'summary', type: 'string', writable: true },
      {
        name: 'description',
        type: 'text',
        writable: true,
        note: 'ADF on the wire; compared as normalised plain text.',
      },
      {
        name: 'status',
        type: 'enum',
        writable: true,
        allowedValues: allStatuses,
        allowedValuesByScope: statusesByProject,
        note: 'Written through workflow transitions.',
      },
      { name: 'priority', type: 'enum', writable: true, allowedValues: priorities.map((p) => p.name) },
      { name: 'issuetype', type: 'enum', writable: true, allowedValues: [...issueTypes] },
      { name: 'labels', type: 'array', writable: true, note: 'The tb-… marker label is hidden and always kept.' },
      { name: 'assignee', type: 'reference', writable: true, note: 'accountId' },
      { name: 'reporter', type: 'reference', writable: true, note: 'accountId' },
      {
        name: 'resolution',
        type: 'enum',
        writable: true,
        note: `Set only on transitions that ask for it; default ${this.system.options?.defaultResolution ?? 'Done'}.`,
      },
      {
        name: 'requestType',
        type: 'enum',
        writable: false,
        allowedValues: requestTypes,
        note: 'Set at create from scope.requestTypes.',
      },
      { name: 'project', type: 'string', writable: false },
    ];
    for (const f of catalog.values()) {
      if (!f.custom || f.schema?.custom === REQUEST_TYPE_SCHEMA) continue;
      fields.push({
        name: f.id,
        type:
          f.schema?.type === 'number'
            ? 'number'
            : f.schema?.type === 'array'
              ? 'array'
              : f.schema?.type === 'option'
                ? 'enum'
                : 'string',
        writable: true,
        note: f.name,
      });
    }
    const agents = new Map<string, { id: string; name: string; email?: string }>();
    for (const key of projectKeys)
      for (const u of await this.client.assignableUsers(key))
        agents.set(u.accountId, {
          id: u.accountId,
          name: u.displayName ?? u.accountId,
          ...(u.emailAddress ? { email: u.emailAddress } : {}),
        });
    const groups = (await this.client.groups()).map((g) => ({ id: g.groupId ?? g.name, name: g.name }));
    return { fields, agents: [...agents.values()], groups };
  }

  async ping(): Promise<void> {
    const me = await this.client.myself();
    this.ownAccountId = me.accountId;
  }
}

export const jsmConnector = defineConnector({
  kind: 'jsm',
  label: 'Jira Service Management',
  create: (ctx) => new JsmConnector(ctx),
  // Jira Cloud publishes no fixed number for API-token burst limits; this stays well inside them.
  defaultRateLimit: { requestsPerMinute: 600, concurrency: 4 },
});
