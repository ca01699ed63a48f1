// The Freshservice connector: one side of a connection against Freshservice API v2. Changes come
// from `updated_since` polls; a trashed, spam or purged ticket is noticed when it is read. Text
// crosses as normalised plain text, markers live in a tag (and optionally a custom field),
// comments are notes, and every call is paid for from the account's per-minute credits.
import type { Readable } from 'node:stream';
import { defineConnector, type ConnectorContext } from '../../core/connector.js';
import { ConfigError, NotFoundError, PayloadError, RemoteValidationError } from '../../core/errors.js';
import { contentTypeFor } from '../../core/files.js';
import { formatMirroredComment, parseFileName, parseMirroredComment, tagFileName } from '../../core/marker.js';
import { cutText, type TextCut } from '../../core/text-cut.js';
import type {
  Attachment,
  NewAttachment,
  Visibility,
  Comment,
  Connector,
  ConnectorFacts,
  FieldCatalog,
  FieldInfo,
  FieldValues,
  InvalidTicket,
  JsonValue,
  ListChangedOptions,
  NewComment,
  Ticket,
  WebhookHint,
  WebhookRequest,
} from '../../core/types.js';
import type { FreshserviceSystem } from '../../mapping/schema.js';
import { ConversationBudget, FreshserviceClient } from './client.js';
import {
  exposedCustomName,
  htmlToText,
  inScope,
  isoSeconds,
  markerToTag,
  parseScopeQuery,
  ticketFields,
  ticketMarker,
  writeBody,
  isMarkerTag,
  MAX_WRITTEN_HTML_CHARS,
  readCut,
  textToHtml,
  type ResolvedScope,
} from './convert.js';
import { FsTicket, type FsAttachment, type FsConversation, type FsFormField, type FsChoiceTree } from './schema.js';
import { DEFAULT_SECRET_HEADER, parseAutomatorWebhook, ticketIdFrom, verifyAutomatorRequest } from './webhook.js';
import type { z } from 'zod';

type FsSystem = z.infer<typeof FreshserviceSystem>;

const PAGE_SIZE = 100;
/**
 * The one include the connector asks for (documented for the list and the view; the requester's
 * e-mail is a mapped field). Tags are part of the ticket object itself, not an include.
 */
const INCLUDE = 'requester';
/**
 * Fields a create or an update may set that the reference's `POST /api/v2/tickets` 201 and
 * `PUT /api/v2/tickets/{id}` 200 examples do not show (unlike its view example).
 */
const ANSWER_GAPS = ['urgency', 'impact'] as const;
const CLOSED_STATUS = 5;
/** How long a user's name is remembered for comment attribution. */
const AUTHOR_TTL_MS = 60 * 60_000;

/** A ticket with the text cut to fit (on the write that returned it, or on this read): `Ticket.cuts`. */
/** Attachments of one ticket may total 40 MB (D§attachments; older docs and the SDK spec: 15 MB). */
const FS_MAX_TICKET_BYTES = 40 * 1024 * 1024;

export type CutTicket = Ticket & { cuts?: TextCut[] };

export const freshserviceDefaultRateLimit = { requestsPerMinute: 200, concurrency: 4 };

export class FreshserviceConnector implements Connector {
  readonly kind = 'freshservice' as const;
  readonly facts: ConnectorFacts;
  private readonly client: FreshserviceClient;
  private readonly options: NonNullable<FsSystem['options']>;
  private readonly budget: ConversationBudget;
  private readonly emails = new Map<number, string | null>();
  /** Comment authors by user id, for an hour (people are renamed rarely; a lookup costs a credit). */
  private readonly authors = new Map<number, { name: Promise<string | null>; at: number }>();
  private formFieldsCache: Promise<FsFormField[]> | undefined;
  private scopeCache: Promise<ResolvedScope> | undefined;

  constructor(private readonly ctx: ConnectorContext<FsSystem>) {
    this.options = ctx.system.options ?? {};
    this.client = new FreshserviceClient({
      system: ctx.systemName,
      baseUrl: ctx.system.baseUrl,
      apiKey: ctx.system.credentials.apiKey,
      queue: ctx.queue,
      logger: ctx.logger,
      timeoutMs: ctx.system.timeoutMs,
      rateWindowMs: this.options.rateWindowMs,
    });
    this.budget = new ConversationBudget(this.options.conversationBudgetPerMinute, () => ctx.clock.now());
    const perMinute = ctx.system.rateLimit?.requestsPerMinute ?? freshserviceDefaultRateLimit.requestsPerMinute;
    this.facts = {
      kind: 'freshservice',
      label: 'Freshservice',
      pageSize: PAGE_SIZE,
      // The Workflow Automator's request for a note carries the ticket's updated_at (readme: webhooks).
      commentEchoVersioned: true,
      rateLimit: {
        requestsPerMinute: perMinute,
        headers: ['X-Ratelimit-Total', 'X-Ratelimit-Remaining', 'X-Ratelimit-Used-CurrentRequest', 'Retry-After'],
        note: 'Per-minute credits per account, shared by every key and installed app: each call is queued at what it costs (a listing with include=requester 3, a view 2) against the system budget of rateLimit.requestsPerMinute, settled with X-Ratelimit-Used-CurrentRequest and held to X-Ratelimit-Remaining; what is left is spread evenly to the window restart (seen as Remaining jumping back up) instead of spent and waited out; Retry-After on 429 is waited out (bounded by rateLimit.maxWaitSeconds).',
      },
      capabilities: {
        changePolling: {
          supported: true,
          note: 'GET /tickets?updated_since with order_type=asc and Link paging; deduplicated by id and updated_at (there is no order_by).',
        },
        deletions: {
          supported: false,
          note: 'A trashed or spam ticket reads back with deleted/spam (a purged one answers 404): a deletion is noticed when the linked ticket is read on a pass or at reconcile, not listed.',
        },
        webhooks: {
          supported: true,
          note: 'Workflow Automator web requests with a shared-secret header; Freshservice does not sign bodies, so the secret authenticates the sender but cannot detect a modified body.',
        },
        webhookRegistration: {
          supported: false,
          note: 'Freshservice has no API to create automator rules; an admin pastes the template from readme.md.',
        },
        internalComments: {
          supported: true,
          note: 'Comments are written as notes (private for internal, public otherwise); replies, which e-mail the requester, are never sent.',
        },
        markerSearch: {
          supported: true,
          note: this.options.markerField
            ? `Marker kept in custom field ${this.options.markerField} and as a tb-… tag (found through the filter API by tag).`
            : 'Marker kept as a tb-… tag, found through the filter API by tag.',
        },
        fieldHistory: {
          supported: false,
          note: 'No per-field history in the API (only activity texts): conflict: newest compares ticket times.',
        },
        textLimits: {
          supported: true,
          note: 'Subject cut to 255 characters (no documented limit; assumed); description and notes cut so their HTML stays within the 1,000,000 characters a read converts; a longer description on read is cut there. Every cut is reported.',
        },
        attachments: {
          supported: true,
          note: 'Files on the ticket (public) and on conversations (a private note keeps them internal); copies are uploaded as a note with attachments[] and downloaded from the pre-signed attachment_url.',
        },
      },
      attachments: {
        maxFileBytes: FS_MAX_TICKET_BYTES,
        maxTicketBytes: FS_MAX_TICKET_BYTES,
        note: 'Attachments of a ticket may total 40 MB (D§attachments; older docs and the SDK spec say 15 MB).',
      },
    };
  }

  // ---------------------------------------------------------------- helpers

  private formFields(): Promise<FsFormField[]> {
    this.formFieldsCache ??= this.client.formFields(this.options.workspaceId).catch((err: unknown) => {
      this.formFieldsCache = undefined;
      throw err;
    });
    return this.formFieldsCache;
  }

  private async knownCustomNames(): Promise<Set<string>> {
    return new Set(
      (await this.formFields())
        .filter((f) => f.default_field === false || f.field_type.startsWith('custom_'))
        .map((f) => f.name),
    );
  }

  private resolveScope(): Promise<ResolvedScope> {
    this.scopeCache ??= this.buildScope().catch((err: unknown) => {
      this.scopeCache = undefined;
      throw err;
    });
    return this.scopeCache;
  }

  private async buildScope(): Promise<ResolvedScope> {
    const scope = this.ctx.scope;
    let groupIds: Set<number> | null = null;
    if (scope.groups && scope.groups.length > 0) {
      const names = scope.groups.filter((g): g is string => typeof g === 'string' && !/^\d+$/.test(g));
      const groups = names.length > 0 ? await this.client.groups() : [];
      groupIds = new Set();
      const problems: string[] = [];
      for (const g of scope.groups) {
        if (typeof g === 'number' || /^\d+$/.test(g)) groupIds.add(Number(g));
        else {
          const found = groups.find((x) => x.name.toLowerCase() === g.toLowerCase());
          if (found) groupIds.add(found.id);
          else
            problems.push(
              `connections.${this.ctx.connection}.${this.ctx.side}.scope.groups: Freshservice ${this.ctx.systemName} has no group named "${g}" (known: ${groups.map((x) => x.name).join(', ')})`,
            );
        }
      }
      if (problems.length > 0) throw new ConfigError(problems);
    }
    let query = null;
    if (scope.query) {
      try {
        query = parseScopeQuery(scope.query);
      } catch (err) {
        throw new ConfigError([
          `connections.${this.ctx.connection}.${this.ctx.side}.scope.query: ${(err as Error).message}`,
        ]);
      }
    }
    return {
      groupIds,
      categories: scope.categories && scope.categories.length > 0 ? new Set(scope.categories) : null,
      tags: scope.tags && scope.tags.length > 0 ? new Set(scope.tags.map((t) => t.toLowerCase())) : null,
      query,
    };
  }

  private rememberRequester(raw: FsTicket): void {
    if (raw.requester && typeof raw.requester.id === 'number' && raw.requester.email !== undefined)
      this.emails.set(raw.requester.id, raw.requester.email);
  }

  /** Fills in the requester e-mail a write response does not carry (cached per requester). */
  private async ensureRequesterEmail(raw: FsTicket): Promise<void> {
    this.rememberRequester(raw);
    const id = raw.requester_id;
    if (typeof id !== 'number' || raw.requester?.email !== undefined || this.emails.has(id)) return;
    this.emails.set(id, await this.client.userEmail(id));
  }

  /** `cuts`: text cut to fit on the write that returned `raw`; a read cut of the description is added. */
  private toTicket(raw: FsTicket, scope: ResolvedScope, cuts: TextCut[] = []): CutTicket {
    this.rememberRequester(raw);
    const read = readCut('description', raw.description ?? raw.description_text);
    const allCuts = read ? [...cuts, read] : cuts;
    const deleted = raw.deleted === true || raw.spam === true;
    const base = this.ctx.system.baseUrl.replace(/\/+$/, '');
    return {
      id: String(raw.id),
      version: isoSeconds(raw.updated_at),
      fields: ticketFields(raw, { markerField: this.options.markerField, requesterEmail: (id) => this.emails.get(id) }),
      key: `#${raw.type === 'Service Request' ? 'SR' : 'INC'}-${raw.id}`,
      url: `${base}/a/tickets/${raw.id}`,
      marker: ticketMarker(raw, this.options.markerField),
      inScope:
        !deleted &&
        inScope(raw, scope) &&
        (this.options.workspaceId === undefined || raw.workspace_id === this.options.workspaceId),
      ...(deleted ? { deleted: true } : {}),
      // Statuses 4 Resolved and 5 Closed (API v2 ticket properties); custom statuses count as open.
      closed: raw.status === 4 || raw.status === 5,
      ...(typeof raw.created_at === 'string' && !Number.isNaN(Date.parse(raw.created_at))
        ? { createdAt: isoSeconds(raw.created_at) }
        : {}),
      ...(allCuts.length > 0 ? { cuts: allCuts } : {}),
    };
  }

  private parseTicket(raw: unknown): { ticket: FsTicket } | { invalid: InvalidTicket } {
    const parsed = FsTicket.safeParse(raw);
    if (parsed.success) return { ticket: parsed.data };
    const issue = parsed.error.issues[0];
    const id = (raw as { id?: unknown } | null)?.id;
    return {
      invalid: {
        id: typeof id === 'number' || typeof id === 'string' ? String(id) : '?',
        invalid: issue ? `${issue.path.join('.') || 'ticket'}: ${issue.message}` : 'ticket: invalid',
      },
    };
  }

  private strictTicket(raw: unknown): FsTicket {
    const t = this.parseTicket(raw);
    if ('invalid' in t)
      throw new PayloadError(
        `${this.ctx.systemName} returned an unreadable ticket ${t.invalid.id}: ${t.invalid.invalid}`,
        { system: this.ctx.systemName },
      );
    return t.ticket;
  }

  private workspaceParam(): Record<string, number> {
    return this.options.workspaceId === undefined ? {} : { workspace_id: this.options.workspaceId };
  }

  // ---------------------------------------------------------------- tickets

  async *listChanged(options: ListChangedOptions): AsyncIterable<Ticket | InvalidTicket> {
    const scope = await this.resolveScope();
    // Always send updated_since: without it Freshservice returns only tickets created in the last 30 days.
    const since = options.since ? isoSeconds(options.since) : '1970-01-01T00:00:00Z';
    const seen = new Set<string>();
    const params = {
      updated_since: since,
      per_page: PAGE_SIZE,
      order_type: 'asc',
      include: INCLUDE,
      ...this.workspaceParam(),
    };
    for await (const page of this.client.listTicketPages(params)) {
      if (options.signal?.aborted) return;
      for (const raw of page) {
        const parsed = this.parseTicket(raw);
        if ('invalid' in parsed) {
          yield parsed.invalid;
          continue;
        }
        const t = parsed.ticket;
        const key = `${t.id}@${t.updated_at}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const ticket = this.toTicket(t, scope);
        if (ticket.inScope) yield ticket;
      }
    }
  }

  async getTicket(id: string): Promise<Ticket> {
    const scope = await this.resolveScope();
    return this.toTicket(this.strictTicket(await this.client.getTicket(id, INCLUDE)), scope);
  }

  async createTicket(fields: FieldValues, marker: string): Promise<Ticket> {
    const scope = await this.resolveScope();
    const known = await this.knownCustomNames();
    const { email, requester_id: requesterId, tags, ...rest } = fields;
    const cuts: TextCut[] = [];
    const body = writeBody(rest, known, [], cuts);
    if (typeof requesterId === 'number') body.requester_id = requesterId;
    else if (typeof email === 'string' && email !== '') body.email = email;
    else if (this.options.defaultRequesterEmail) body.email = this.options.defaultRequesterEmail;
    else {
      throw new RemoteValidationError(
        `${this.ctx.systemName}: a new Freshservice ticket needs a requester; map the 'email' field or set options.defaultRequesterEmail`,
        { system: this.ctx.systemName, field: 'email' },
      );
    }
    const userTags = Array.isArray(tags)
      ? tags.filter((t): t is string => typeof t === 'string' && !isMarkerTag(t))
      : [];
    body.tags = [...userTags, markerToTag(marker)];
    if (this.options.markerField)
      body.custom_fields = { ...(body.custom_fields ?? {}), [this.options.markerField]: marker };
    body.status ??= 2;
    body.priority ??= 1;
    body.description ??= '<div></div>';
    if (this.options.workspaceId !== undefined) body.workspace_id = this.options.workspaceId;
    const created = this.strictTicket(await this.client.createTicket(body));
    // The 201 stands for the new ticket, except for a field the create set that the answer does
    // not carry: the reference's 201 example (unlike its GET) has no urgency or impact (readme).
    // Then one read, whose requester include also spares the requester look-up.
    if (ANSWER_GAPS.some((field) => body[field] !== undefined && created[field] === undefined)) {
      const read = this.strictTicket(await this.client.getTicket(String(created.id), INCLUDE));
      await this.ensureRequesterEmail(read);
      return this.toTicket(read, scope, cuts);
    }
    await this.ensureRequesterEmail(created);
    return this.toTicket(created, scope, cuts);
  }

  /**
   * A partial PUT of `changes`; the PUT answers the ticket as Freshservice now holds it. `expected`
   * (the ticket as the pass just read it) supplies the marker tag to keep, instead of a read.
   */
  async updateTicket(id: string, changes: FieldValues, options?: { expected?: Ticket }): Promise<Ticket> {
    const scope = await this.resolveScope();
    const keys = Object.keys(changes);
    if (keys.length === 0) return options?.expected ?? this.getTicket(id);
    const known = keys.some((k) => k.startsWith('cf_')) ? await this.knownCustomNames() : new Set<string>();
    // PUT replaces the whole tag list, so the marker tag is carried over only when tags change.
    let keepTags: string[] = [];
    if ('tags' in changes) {
      const marker = options?.expected?.marker;
      if (marker !== undefined) keepTags = marker === null ? [] : [markerToTag(marker)];
      else {
        const current = this.strictTicket(await this.client.getTicket(id, ''));
        keepTags = (current.tags ?? []).filter(isMarkerTag);
      }
    }
    const cuts: TextCut[] = [];
    const body = writeBody(changes, known, keepTags, cuts);
    const updated = this.strictTicket(await this.client.updateTicket(id, body));
    // The PUT's answer stands for the ticket, but the reference's example of it has no urgency or
    // impact (readme): one the PUT wrote and the answer leaves out is read once; one it did not
    // write is as the pass read it (a partial PUT leaves it).
    const gaps = ANSWER_GAPS.filter((field) => updated[field] === undefined);
    if (gaps.some((field) => body[field] !== undefined)) {
      const read = this.strictTicket(await this.client.getTicket(id, INCLUDE));
      await this.ensureRequesterEmail(read);
      return this.toTicket(read, scope, cuts);
    }
    await this.ensureRequesterEmail(updated);
    const ticket = this.toTicket(updated, scope, cuts);
    const expected = options?.expected;
    if (expected)
      for (const field of gaps) if (field in expected.fields) ticket.fields[field] = expected.fields[field]!;
    return ticket;
  }

  /**
   * The marker goes where a create puts it: a tb-… tag beside the ticket's own tags (a PUT replaces
   * the whole list, so the current tags are read first) and the marker custom field when configured.
   */
  async stampMarker(id: string, marker: string): Promise<Ticket> {
    const scope = await this.resolveScope();
    const current = this.strictTicket(await this.client.getTicket(id, ''));
    const body: Record<string, unknown> = {
      tags: [...(current.tags ?? []).filter((t) => !isMarkerTag(t)), markerToTag(marker)],
    };
    if (this.options.markerField) body.custom_fields = { [this.options.markerField]: marker };
    const updated = this.strictTicket(await this.client.updateTicket(id, body));
    await this.ensureRequesterEmail(updated);
    return this.toTicket(updated, scope);
  }

  async closeTicket(id: string): Promise<Ticket> {
    return this.updateTicket(id, { status: CLOSED_STATUS });
  }

  /**
   * People know tickets as `INC-12` or `SR-12` (Freshservice prints them with a `#`, the form its
   * automator renders for {{ticket.id}}) or by the number; the number is the id. Read without a
   * call: a number that is no ticket simply matches no link. Other keys (Jira's `IT-12`) are no
   * Freshservice ticket.
   */
  async resolveTicketRef(reference: string): Promise<string | null> {
    const m = /^#?(?:(?:INC|SR)-)?(\d+)$/i.exec(reference.trim());
    return m ? (ticketIdFrom(m[1]) ?? null) : null;
  }

  async findByMarker(marker: string, hint?: { createdAfter?: Date }): Promise<Ticket | null> {
    const scope = await this.resolveScope();
    const tag = markerToTag(marker);
    if (hint?.createdAfter) {
      // The filter endpoint is search-indexed and trails writes by minutes; the plain listing is
      // not, and a ticket created after the intent was recorded was updated after it too.
      const params = {
        updated_since: isoSeconds(hint.createdAfter),
        per_page: PAGE_SIZE,
        order_type: 'asc',
        include: INCLUDE,
        ...this.workspaceParam(),
      };
      for await (const page of this.client.listTicketPages(params)) {
        for (const raw of page) {
          const parsed = this.parseTicket(raw);
          if ('invalid' in parsed) continue;
          const t = parsed.ticket;
          if (ticketMarker(t, this.options.markerField) === marker || (t.tags ?? []).includes(tag))
            return this.toTicket(t, scope);
        }
      }
      return null;
    }
    const { tickets } = await this.client.filterTickets(`tag:'${tag}'`, 1, this.options.workspaceId);
    for (const raw of tickets) {
      const parsed = this.parseTicket(raw);
      if ('invalid' in parsed) continue;
      const t = parsed.ticket;
      // Filter results carry no tags; read the candidate to confirm the marker exactly.
      const full = this.strictTicket(await this.client.getTicket(String(t.id), INCLUDE));
      if (ticketMarker(full, this.options.markerField) === marker || (full.tags ?? []).includes(tag))
        return this.toTicket(full, scope);
    }
    return null;
  }

  // ---------------------------------------------------------------- comments

  /** The author's name (agents and requesters, cached); the bare id when Freshservice knows no such person. */
  private async authorOf(userId: number | null | undefined): Promise<string | undefined> {
    if (userId === null || userId === undefined) return undefined;
    const now = this.ctx.clock.now();
    let hit = this.authors.get(userId);
    if (!hit || now - hit.at >= AUTHOR_TTL_MS) {
      hit = { name: this.client.userName(userId), at: now };
      this.authors.set(userId, hit);
      // A failed lookup is tried again next time instead of being remembered.
      hit.name.catch(() => this.authors.delete(userId));
    }
    return (await hit.name) ?? String(userId);
  }

  /** `named: false` skips the author lookup (a note the daemon just wrote is its own). */
  private async toComment(c: FsConversation, named = true): Promise<Comment> {
    const { body, marker } = parseMirroredComment(htmlToText(c.body ?? c.body_text ?? ''));
    const author = named ? await this.authorOf(c.user_id) : undefined;
    return {
      id: String(c.id),
      body: body.trimEnd(),
      visibility: c.private === true ? 'internal' : 'public',
      ...(author === undefined ? {} : { author }),
      createdAt: isoSeconds(c.created_at),
      marker,
    };
  }

  // ---------------------------------------------------------------- attachments

  /** Files on the ticket (public, as the requester sees them) and on each conversation (its visibility). */
  async listAttachments(id: string): Promise<Attachment[]> {
    const ticket = this.strictTicket(await this.client.getTicket(id, ''));
    const conversations = await this.client.listConversations(id, () => this.budget.take());
    return [
      ...(ticket.attachments ?? []).map((a) => toAttachment(a, null, 'public')),
      ...conversations.flatMap((c) =>
        (c.attachments ?? []).map((a) => toAttachment(a, String(c.id), c.private === true ? 'internal' : 'public')),
      ),
    ];
  }

  /**
   * Streams a file from a freshly listed `attachment_url`: the URLs are pre-signed and expire, so
   * the one seen when listing may be stale; they never leave the connector (no logs, no ledger).
   */
  async downloadAttachment(ticketId: string, attachment: Attachment): Promise<Readable> {
    const holders =
      attachment.commentId === null
        ? [this.strictTicket(await this.client.getTicket(ticketId, ''))]
        : (await this.client.listConversations(ticketId, () => this.budget.take())).filter(
            (c) => String(c.id) === attachment.commentId,
          );
    const found = holders.flatMap((h) => h.attachments ?? []).find((a) => String(a.id) === attachment.id);
    if (!found)
      throw new NotFoundError(`${this.ctx.systemName}: attachment ${attachment.id} on ticket ${ticketId} is gone`);
    return this.client.download(found.attachment_url);
  }

  /** Uploads a file as a note (private when internal) whose text names it and carries the marker. */
  async uploadAttachment(ticketId: string, file: NewAttachment): Promise<Attachment> {
    const note = await this.client.addNoteWithFile(
      ticketId,
      {
        body: textToHtml(formatMirroredComment({ body: file.note, marker: file.marker })),
        private: file.visibility === 'internal',
      },
      { fileName: tagFileName(file.name, file.marker), contentType: file.contentType, sizeBytes: file.sizeBytes },
      file.content,
    );
    const [uploaded] = note.attachments ?? [];
    if (!uploaded)
      throw new PayloadError(`${this.ctx.systemName} answered a note without the uploaded file`, {
        system: this.ctx.systemName,
      });
    return toAttachment(uploaded, String(note.id), file.visibility);
  }

  async listComments(id: string): Promise<Comment[]> {
    const conversations = await this.client.listConversations(id, () => this.budget.take());
    const out: Comment[] = [];
    for (const c of conversations) out.push(await this.toComment(c));
    return out;
  }

  async addComment(id: string, comment: NewComment): Promise<Comment> {
    // Cut the body (never the attribution or the marker footer) so the note reads back whole.
    const fitted = cutText(
      'comment',
      comment.body,
      MAX_WRITTEN_HTML_CHARS,
      (body) => textToHtml(formatMirroredComment({ ...comment, body })).length,
    );
    if (fitted.cut)
      this.ctx.logger.warn({ system: this.ctx.systemName, ticketId: id, cut: fitted.cut }, 'comment cut to fit');
    const html = textToHtml(formatMirroredComment({ ...comment, body: fitted.text }));
    const created = await this.client.addNote(id, { body: html, private: comment.visibility === 'internal' });
    const written: Comment & { cuts?: TextCut[] } = await this.toComment(created, false);
    if (fitted.cut) written.cuts = [fitted.cut];
    return written;
  }

  // ---------------------------------------------------------------- webhooks

  verifyWebhook(request: WebhookRequest): boolean {
    return verifyAutomatorRequest(
      request,
      this.ctx.system.webhook?.secret,
      this.ctx.system.webhook?.header ?? DEFAULT_SECRET_HEADER,
    );
  }

  parseWebhook(request: WebhookRequest): WebhookHint {
    return parseAutomatorWebhook(request);
  }

  // ---------------------------------------------------------------- catalog

  /** The agent portal's page of the ticket (the same URL read tickets carry). */
  async ticketUrl(id: string): Promise<string | null> {
    return `${this.ctx.system.baseUrl.replace(/\/+$/, '')}/a/tickets/${encodeURIComponent(id)}`;
  }

  async describe(): Promise<FieldCatalog> {
    const [formFields, groups] = await Promise.all([this.formFields(), this.client.groups()]);
    const byName = new Map(formFields.map((f) => [f.name, f]));
    const choiceIds = (name: string): JsonValue[] => (byName.get(name)?.choices ?? []).map((c) => c.id ?? c.value);
    const labels = (name: string): string =>
      (byName.get(name)?.choices ?? []).map((c) => `${c.id} ${c.value}`).join(', ');
    // Statuses, priorities, urgencies, impacts and agents are stored as ids; people know their names.
    const valueLabels = (name: string): Record<string, string> =>
      Object.fromEntries((byName.get(name)?.choices ?? []).map((c) => [String(c.id ?? c.value), c.value]));
    const coded = (name: string) => ({ allowedValues: choiceIds(name), valueLabels: valueLabels(name) });
    const categories = byName.get('category')?.choices ?? [];
    const subByCategory: Record<string, JsonValue[]> = {};
    for (const c of categories) subByCategory[c.value] = (c.nested_options ?? []).map((s: FsChoiceTree) => s.value);
    const fields: FieldInfo[] = [
      { name: 'subject', type: 'string', writable: true },
      { name: 'description', type: 'text', writable: true, note: 'HTML in Freshservice; plain text here.' },
      { name: 'status', type: 'enum', writable: true, ...coded('status'), note: labels('status') },
      { name: 'priority', type: 'enum', writable: true, ...coded('priority'), note: labels('priority') },
      { name: 'urgency', type: 'enum', writable: true, ...coded('urgency'), note: labels('urgency') },
      { name: 'impact', type: 'enum', writable: true, ...coded('impact'), note: labels('impact') },
      {
        name: 'group_id',
        type: 'reference',
        writable: true,
        allowedValues: groups.map((g) => g.id),
        valueLabels: Object.fromEntries(groups.map((g) => [String(g.id), g.name])),
        note: groups.map((g) => `${g.id} ${g.name}`).join(', '),
      },
      { name: 'category', type: 'enum', writable: true, allowedValues: categories.map((c) => c.value) },
      {
        name: 'sub_category',
        type: 'enum',
        writable: true,
        allowedValuesByScope: subByCategory,
        note: 'Allowed values depend on the category.',
      },
      {
        name: 'tags',
        type: 'array',
        writable: true,
        note: 'Replaced as a whole on update; the tb-… marker tag is kept and hidden.',
      },
      { name: 'requester_id', type: 'reference', writable: true },
      {
        name: 'email',
        type: 'string',
        writable: true,
        note: 'Requester e-mail; an unknown address creates a requester.',
      },
      { name: 'responder_id', type: 'reference', writable: true, ...coded('agent') },
      {
        name: 'type',
        type: 'enum',
        writable: false,
        allowedValues: ['Incident', 'Service Request'],
        note: 'The API creates incidents only.',
      },
      { name: 'due_by', type: 'date', writable: true },
    ];
    for (const f of formFields) {
      if (f.default_field !== false && !f.field_type.startsWith('custom_')) continue;
      if (f.name === this.options.markerField) continue;
      const type: FieldInfo['type'] =
        f.field_type === 'custom_number'
          ? 'number'
          : f.field_type === 'custom_checkbox'
            ? 'boolean'
            : f.field_type === 'custom_date'
              ? 'date'
              : f.field_type === 'custom_dropdown'
                ? 'enum'
                : f.field_type === 'custom_paragraph'
                  ? 'text'
                  : 'string';
      fields.push({
        name: exposedCustomName(f.name),
        type,
        writable: true,
        ...(type === 'enum' ? { allowedValues: (f.choices ?? []).map((c) => c.value) } : {}),
        note: f.label ?? f.name,
      });
    }
    const agents = (await this.client.agents()).map((a) => ({
      id: String(a.id),
      name: [a.first_name, a.last_name].filter(Boolean).join(' ') || String(a.id),
      ...(a.email ? { email: a.email } : {}),
    }));
    return { fields, agents, groups: groups.map((g) => ({ id: String(g.id), name: g.name })) };
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }
}

export const freshserviceConnector = defineConnector({
  kind: 'freshservice',
  label: 'Freshservice',
  create: (ctx) => new FreshserviceConnector(ctx),
  defaultRateLimit: freshserviceDefaultRateLimit,
});

function toAttachment(a: FsAttachment, commentId: string | null, visibility: Visibility): Attachment {
  const parsed = parseFileName(a.name);
  return {
    id: String(a.id),
    name: parsed.name,
    sizeBytes: a.size,
    contentType: a.content_type ?? contentTypeFor(parsed.name),
    visibility,
    commentId,
    ...(a.created_at ? { createdAt: isoSeconds(a.created_at) } : {}),
    marker: parsed.marker,
  };
}
