// The ConnectWise Manage (PSA) connector: service tickets on the scope's boards, their notes, and
// callbacks. Reference fields are read and written by name (status per board, priority, type,
// owner identifier, company identifier); the description is the ticket's initial description note.
import type { Readable } from 'node:stream';
import { defineConnector, type ConnectorContext } from '../../core/connector.js';
import { contentTypeFor } from '../../core/files.js';
import { NotFoundError, PayloadError, RemoteValidationError } from '../../core/errors.js';
import { formatMirroredComment, parseFileName, tagFileName } from '../../core/marker.js';
import { normaliseText } from '../../core/text.js';
import { cutText, type TextCut } from '../../core/text-cut.js';
import type {
  Attachment,
  CatalogCustomField,
  CatalogGroup,
  NewAttachment,
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
  TicketContext,
  WebhookHint,
  WebhookRequest,
} from '../../core/types.js';
import { CwClient, MAX_PAGE_SIZE, type CwSystemConfig } from './client.js';
import {
  CLEARED_DESCRIPTION,
  conditionDate,
  EMPTY_DESCRIPTION,
  isInitialDescription,
  readMemo,
  type CwMemo,
  conditionString,
  isParsedTicket,
  nameValue,
  noteFlags,
  parseTicket,
  SUMMARY_MAX,
  toComment,
  toTicket,
} from './convert.js';
import type { CwBoard, CwBoardChild, CwBoardStatus, CwDocument, CwNote, CwPriority, CwTicket } from './schema.js';
import {
  createCallbackVerifier,
  defaultTrustedKeyHosts,
  fetchSigningKey,
  parseCallback,
  type CallbackVerifier,
} from './webhook.js';

type PatchOp = { op: 'replace' | 'add' | 'remove'; path: string; value?: JsonValue };
type ChildKind = 'types' | 'subtypes' | 'items';

const LEVELS = ['Low', 'Medium', 'High'];
/** Tickets whose description note this connector remembers between a read and the comments of a pass. */
const DESCRIPTION_NOTES_KEPT = 10_000;
/** How long board setup (statuses, types, priorities) is cached before it is read again. */
const SETUP_TTL_MS = 5 * 60_000;
/**
 * How long the notes listed to find a ticket's description may answer the list of that version's
 * comments that follows the read (a new link's first pass right after its create); later, they
 * are listed again whatever the version says.
 */
export const READ_NOTES_MS = 10_000;

/** Largest document the connector uploads (assumed: ConnectWise documents no limit; see readme). */
export const CW_MAX_FILE_BYTES = 100 * 1024 * 1024;

export const connectwiseFacts: ConnectorFacts = {
  kind: 'connectwise',
  label: 'ConnectWise Manage',
  pageSize: MAX_PAGE_SIZE,
  // A listed ticket is assembled like a read one: its description note (cached) and its memo.
  listingCopyComplete: true,
  // A note's callback reports the ticket with its lastUpdated (readme: callbacks).
  commentEchoVersioned: true,
  rateLimit: {
    requestsPerMinute: 1000,
    headers: ['Retry-After'],
    note: 'Dynamic, capacity-based throttling; integrations above ~1,000 requests/min are likely throttled with 429 + Retry-After.',
  },
  capabilities: {
    changePolling: {
      supported: true,
      note: 'conditions lastUpdated >= [since] with the scope boards; forward-only paging by id.',
    },
    webhooks: {
      supported: true,
      note: 'Callbacks via /system/callbacks (type ticket, level board per scope board or owner); signed with x-content-signature, key fetched from trusted hosts only.',
    },
    webhookRegistration: {
      supported: true,
      note: 'ticketbridge webhooks register creates one callback per scope board (POST /system/callbacks).',
    },
    deletions: {
      supported: false,
      note: 'Deleted tickets are gone (404); a deletion is noticed when the linked ticket is read, not listed.',
    },
    internalComments: {
      supported: true,
      note: 'Internal Analysis notes are internal; Discussion and Resolution notes are public.',
    },
    markerSearch: {
      supported: true,
      note: 'New tickets carry the marker in externalXRef, found with conditions=externalXRef = "<marker>".',
    },
    fieldHistory: {
      supported: false,
      note: 'No per-field history in the API (only free-text audit lines): conflict: newest compares ticket times.',
    },
    textLimits: {
      supported: true,
      note: `summary holds ${SUMMARY_MAX} characters; ConnectWise keeps the first ${SUMMARY_MAX}. The description is the initial Discussion note.`,
    },
    attachments: {
      supported: true,
      note: 'Documents on the ticket (/system/documents, recordType Ticket): privateFlag keeps one out of the Customer Portal (internal); documents ride on no note.',
    },
  },
  attachments: {
    maxFileBytes: CW_MAX_FILE_BYTES,
    note: 'ConnectWise documents no upload limit (fileuploadsettings are per instance); 100 MiB assumed, see readme.',
  },
};

/**
 * A ticket with what this connector adds for the link: the text cut to fit on the write that
 * returned it (`Ticket.cuts`) and which note is the description (`Ticket.memo`).
 */
export type CutTicket = Ticket & { cuts?: TextCut[]; memo?: JsonValue };

function withCuts(ticket: Ticket, cuts: Array<TextCut | null>): CutTicket {
  const made = cuts.filter((c): c is TextCut => c !== null);
  return made.length > 0 ? { ...ticket, cuts: made } : ticket;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

/** A ticket's description note as last read or written, and the `lastUpdated` it holds at. */
interface Description {
  lastUpdated: string;
  note: CwNote | null;
  /**
   * Set when `lastUpdated` is not a read's but that of the daemon's own write since (a PATCH that
   * left the description, a note it added): when the cache was first carried so.
   */
  carriedAtMs?: number;
}

/**
 * How long a description carried across the daemon's own writes is trusted. A person's edit of
 * the description note between a pass's read and its write is shown by no answer of the write;
 * after this the next read (a poll, the reconcile) fetches the note once and sees it.
 */
export const CARRIED_DESCRIPTION_MS = 5 * 60_000;

/** Whether the cached description holds at the ticket's `lastUpdated` (ISO times, compared as instants). */
function heldAt(cached: Description, lastUpdated: string, nowMs: number): boolean {
  const at = Date.parse(lastUpdated);
  if (Number.isNaN(at) || Date.parse(cached.lastUpdated) !== at) return false;
  return cached.carriedAtMs === undefined || nowMs - cached.carriedAtMs <= CARRIED_DESCRIPTION_MS;
}

export class ConnectwiseConnector implements Connector {
  readonly kind = 'connectwise' as const;
  readonly facts = connectwiseFacts;
  private readonly client: CwClient;
  private readonly verifier: CallbackVerifier;
  private readonly cache = new Map<string, Cached<unknown>>();
  /** Which note is each ticket's description, as last seen (ticket id → note id, null: none). */
  private readonly descriptionNotes = new Map<string, number | null>();
  /**
   * Each ticket's description as last read or written, at the ticket's `lastUpdated`: a note
   * added or edited moves `lastUpdated` (readme: assumption, checked by `ticketbridge doctor`), so
   * while it has not moved the note is not read again (no N+1 note read per listed ticket).
   */
  private readonly descriptions = new Map<string, Description>();
  /**
   * The notes listed to find a ticket's description (its first read), at the `lastUpdated` of the
   * read they followed: the one list of that version's comments after that read is answered from
   * them (notesOfRead).
   */
  private readonly readNotes = new Map<string, { atMs: number; lastUpdated: string; notes: CwNote[] }>();

  constructor(private readonly ctx: ConnectorContext<CwSystemConfig>) {
    this.client = new CwClient(ctx);
    const base = new URL(ctx.system.baseUrl);
    this.verifier = createCallbackVerifier({
      trustedHosts: ctx.system.webhook?.trustedKeyHosts ?? defaultTrustedKeyHosts(ctx.system.baseUrl),
      allowHttp: base.protocol === 'http:',
      company: ctx.system.credentials.company,
      fetchKey: (url) => fetchSigningKey(url, ctx.system.timeoutMs ?? 5000),
      now: () => ctx.clock.now(),
    });
  }

  // --- setup lookups (cached) ----------------------------------------------------------------

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key) as Cached<T> | undefined;
    if (hit && this.ctx.clock.now() - hit.at < SETUP_TTL_MS) return hit.value;
    const value = load();
    this.cache.set(key, { at: this.ctx.clock.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private boards(): Promise<CwBoard[]> {
    return this.cached('boards', () => this.client.boards());
  }

  private statuses(boardId: number): Promise<CwBoardStatus[]> {
    return this.cached(`statuses:${boardId}`, () => this.client.boardStatuses(boardId));
  }

  private children(boardId: number, kind: ChildKind): Promise<CwBoardChild[]> {
    return this.cached(`${kind}:${boardId}`, () => this.client.boardChildren(boardId, kind));
  }

  private priorities(): Promise<CwPriority[]> {
    return this.cached('priorities', () => this.client.priorities());
  }

  private async boardByName(name: string): Promise<CwBoard> {
    const board = (await this.boards()).find((b) => b.name.toLowerCase() === name.toLowerCase());
    if (!board)
      throw new RemoteValidationError(`ConnectWise has no board named ${JSON.stringify(name)}`, {
        system: this.ctx.systemName,
        field: 'board',
      });
    return board;
  }

  private async statusOn(boardId: number, boardName: string, name: string): Promise<CwBoardStatus> {
    const statuses = await this.statuses(boardId);
    const status = statuses.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!status) {
      throw new RemoteValidationError(
        `ConnectWise board ${JSON.stringify(boardName)} has no status ${JSON.stringify(name)} (statuses: ${statuses.map((s) => s.name).join(', ')})`,
        { system: this.ctx.systemName, field: 'status' },
      );
    }
    return status;
  }

  private async childOn(
    boardId: number,
    boardName: string,
    kind: ChildKind,
    field: string,
    name: string,
  ): Promise<CwBoardChild> {
    const list = await this.children(boardId, kind);
    const found = list.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!found)
      throw new RemoteValidationError(
        `ConnectWise board ${JSON.stringify(boardName)} has no ${field} ${JSON.stringify(name)}`,
        { system: this.ctx.systemName, field },
      );
    return found;
  }

  private async priorityByName(name: string): Promise<CwPriority> {
    const list = await this.priorities();
    const found = list.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (!found)
      throw new RemoteValidationError(`ConnectWise has no priority ${JSON.stringify(name)}`, {
        system: this.ctx.systemName,
        field: 'priority',
      });
    return found;
  }

  // --- tickets --------------------------------------------------------------------------------

  private boardInScope(name: string): boolean {
    const boards = this.ctx.scope.boards;
    return boards === undefined || boards.some((b) => b.toLowerCase() === name.toLowerCase());
  }

  private pageUrl(id: number, codebase: string): string {
    const company = encodeURIComponent(this.ctx.system.credentials.company);
    return `${this.client.origin}/${codebase}services/system_io/Service/fv_sr100_request.rails?service_recid=${id}&companyName=${company}`;
  }

  /** Remembers which note is a ticket's description (bounded; the link's memo is the durable copy). */
  private rememberDescriptionNote(ticketId: string | number, noteId: number | null): void {
    const key = String(ticketId);
    this.descriptionNotes.delete(key);
    this.descriptionNotes.set(key, noteId);
    if (this.descriptionNotes.size > DESCRIPTION_NOTES_KEPT)
      this.descriptionNotes.delete(this.descriptionNotes.keys().next().value!);
  }

  /** The description note id the link's memo, or else this connector, knows (undefined: not known). */
  private knownDescriptionNote(ticketId: string, memo: CwMemo | undefined): number | null | undefined {
    return memo !== undefined ? memo.descriptionNoteId : this.descriptionNotes.get(ticketId);
  }

  /**
   * The ticket's description note: the one the memo names, else the ticket's initial description
   * (never a mirrored comment or a later note), or null when it has none.
   */
  private async descriptionNote(t: CwTicket, memo: CwMemo | undefined): Promise<CwNote | null> {
    const id = String(t.id);
    const known = this.knownDescriptionNote(id, memo);
    if (known === null) {
      this.rememberDescriptionNote(id, null);
      return null;
    }
    const cached = this.descriptions.get(id);
    const now = this.ctx.clock.now();
    if (cached && heldAt(cached, t._info.lastUpdated, now) && (known === undefined || cached.note?.id === known))
      return cached.note;
    // The note the memo names is found in the ticket's notes, listed (one request, as one note by id
    // would be): the pass that read this version lists its comments next, from that list.
    const note =
      known === undefined
        ? await this.initialDescriptionNote(t)
        : (await this.notesForRead(t)).find((n) => n.id === known);
    this.rememberDescriptionNote(id, note?.id ?? null);
    this.rememberDescription(t, note ?? null);
    return note ?? null;
  }

  /**
   * The ticket's initial description, found in its notes. They are listed whole (one request up
   * to 1,000 notes, as `listComments` lists them) rather than searched for the first Discussion
   * note: the list read right after the ticket is that version's comments too, and the pass that
   * read the ticket lists them next (a new link's first pass copies them) without a second request.
   */
  private async initialDescriptionNote(t: CwTicket): Promise<CwNote | undefined> {
    const notes = await this.notesForRead(t);
    const first = notes.find((n) => n.detailDescriptionFlag === true);
    return first && isInitialDescription(first, t) ? first : undefined;
  }

  /**
   * Lists the ticket's notes for the read of its version `t`, and holds them so that the one list
   * of that version's comments after the read is answered from them (notesOfRead).
   */
  private async notesForRead(t: CwTicket): Promise<CwNote[]> {
    const id = String(t.id);
    const notes = await this.client.notes(id);
    const now = this.ctx.clock.now();
    // Kept in the order read, so the stale ones are the first.
    for (const [key, held] of this.readNotes) {
      if (now - held.atMs <= READ_NOTES_MS) break;
      this.readNotes.delete(key);
    }
    this.readNotes.delete(id);
    this.readNotes.set(id, { atMs: now, lastUpdated: t._info.lastUpdated, notes });
    if (this.readNotes.size > DESCRIPTION_NOTES_KEPT) this.readNotes.delete(this.readNotes.keys().next().value!);
    return notes;
  }

  /**
   * The notes the latest read of the ticket listed for its description, for the list of the
   * comments of the version it read (`version`), once: when no other read of the ticket, and no
   * note of the daemon, came in between, and within READ_NOTES_MS; otherwise undefined. Only
   * once and only from the latest read, because `lastUpdated` counts whole seconds: a note made in
   * the second of the version leaves it unmoved, and the pass its callback brings must see it
   * (it reads the ticket again, which drops the held notes, and lists them).
   */
  private notesOfRead(id: string, version: string | undefined): CwNote[] | undefined {
    const held = this.readNotes.get(id);
    if (!held || version === undefined) return undefined;
    this.readNotes.delete(id);
    const at = Date.parse(version);
    const fresh = this.ctx.clock.now() - held.atMs <= READ_NOTES_MS;
    return fresh && !Number.isNaN(at) && Date.parse(held.lastUpdated) === at ? held.notes : undefined;
  }

  /**
   * Keeps a ticket's description at a `lastUpdated` (bounded, oldest dropped first): the ticket's
   * as read, or one the daemon's own write produced (`carried` from the cache the pass read).
   */
  private rememberDescription(
    t: { id: number | string; _info: { lastUpdated: string } },
    note: CwNote | null,
    carried?: Description,
  ): void {
    const key = String(t.id);
    const lastUpdated = t._info.lastUpdated;
    const carriedAtMs = carried ? (carried.carriedAtMs ?? this.ctx.clock.now()) : undefined;
    this.descriptions.delete(key);
    this.descriptions.set(key, { lastUpdated, note, ...(carriedAtMs === undefined ? {} : { carriedAtMs }) });
    if (this.descriptions.size > DESCRIPTION_NOTES_KEPT)
      this.descriptions.delete(this.descriptions.keys().next().value!);
  }

  /**
   * The description as cached at the version the pass read (`expected`), when the cache holds
   * that very note: the daemon's own write that follows (a PATCH that leaves the description, a
   * note it adds) moves `lastUpdated` without touching the note, so the cache carries to the
   * version the write produced and the next read does not fetch the note again. The residual
   * window (readme): a person editing the description note between the pass's read and the
   * write, which no answer of the write shows.
   */
  private cachedAtRead(id: string, expected: Ticket | undefined, noteId: number | null): Description | undefined {
    const cached = this.descriptions.get(id);
    if (!cached || !expected || (cached.note?.id ?? null) !== noteId) return undefined;
    return heldAt(cached, expected.version, this.ctx.clock.now()) ? cached : undefined;
  }

  /**
   * Builds the Ticket with its description and memo; `knownInScope` skips the scope query, and a
   * `known` description (just written, or unchanged since the pass read it) skips reading the note.
   */
  private async assemble(
    t: CwTicket,
    knownInScope: boolean,
    memo?: CwMemo,
    known?: { text: string | null | undefined; noteId: number | null; written?: boolean },
  ): Promise<CutTicket> {
    // Notes an earlier read listed are older than this read: only this read's may answer a list.
    this.readNotes.delete(String(t.id));
    let description = known;
    if (description) {
      this.rememberDescriptionNote(t.id, description.noteId);
      // Only a note just written is known at the new lastUpdated; one the pass read before the
      // PATCH may have been edited since, so the next read looks at it again.
      const { noteId, text } = description;
      if (description.written) this.rememberDescription(t, noteId === null ? null : { id: noteId, text: text ?? null });
    } else {
      const note = await this.descriptionNote(t, memo);
      description = { text: note?.text, noteId: note?.id ?? null };
    }
    let inScope = knownInScope || this.boardInScope(t.board.name);
    if (!knownInScope && inScope && this.ctx.scope.query) {
      // The extra conditions can only be evaluated by ConnectWise itself.
      const response = await this.client.request<{ count?: number }>({
        method: 'GET',
        url: '/service/tickets/count',
        params: { conditions: `id = ${t.id} and (${this.ctx.scope.query})` },
      });
      inScope = (response.data.count ?? 0) > 0;
    }
    const codebase = await this.client.resolveCodebase();
    return {
      ...toTicket(t, {
        description: description.text,
        inScope: () => inScope,
        url: (id) => this.pageUrl(id, codebase),
      }),
      memo: { descriptionNoteId: description.noteId } satisfies CwMemo,
    };
  }

  private parsed(raw: unknown): CwTicket {
    const result = parseTicket(raw);
    if (isParsedTicket(result)) return result;
    // Unreadable, not refused: the same error a listing of it gives (payload_invalid).
    throw new PayloadError(`ConnectWise ticket ${result.id} is malformed: ${result.invalid}`, {
      system: this.ctx.systemName,
    });
  }

  private scopeConditions(): string[] {
    const parts: string[] = [];
    const boards = this.ctx.scope.boards;
    if (boards && boards.length > 0) parts.push(`board/name in (${boards.map(conditionString).join(', ')})`);
    if (this.ctx.scope.query) parts.push(`(${this.ctx.scope.query})`);
    return parts;
  }

  async *listChanged(options: ListChangedOptions): AsyncIterable<Ticket | InvalidTicket> {
    const parts = [
      ...(options.since ? [`lastUpdated >= ${conditionDate(options.since)}`] : []),
      ...this.scopeConditions(),
    ];
    const params: Record<string, string | number> = { pageSize: MAX_PAGE_SIZE };
    if (parts.length > 0) params.conditions = parts.join(' and ');
    const seen = new Set<string>();
    for await (const page of this.client.paginate('/service/tickets', params, { forwardOnly: true })) {
      for (const raw of page) {
        options.signal?.throwIfAborted();
        const parsed = parseTicket(raw);
        if (!isParsedTicket(parsed)) {
          yield parsed;
          continue;
        }
        const key = `${parsed.id}@${parsed._info.lastUpdated}`;
        if (seen.has(key)) continue;
        seen.add(key);
        yield await this.assemble(parsed, true).catch(async (err: unknown) => {
          // Deleted between the listing and the note read: report it gone, never fail the listing.
          if (!(err instanceof NotFoundError)) throw err;
          const codebase = await this.client.resolveCodebase();
          return {
            ...toTicket(parsed, {
              description: undefined,
              inScope: () => true,
              url: (id) => this.pageUrl(id, codebase),
            }),
            deleted: true,
          };
        });
      }
    }
  }

  /** `context.memo` names the description note the link knows (it saves a search for it). */
  async getTicket(id: string, context?: { memo?: JsonValue }): Promise<Ticket> {
    if (!/^\d+$/.test(id))
      throw new NotFoundError(`ConnectWise ticket ids are numbers, got ${JSON.stringify(id)}`, {
        system: this.ctx.systemName,
      });
    return this.assemble(this.parsed(await this.client.getTicket(id)), false, readMemo(context?.memo));
  }

  /** ConnectWise shows tickets as `#1234`; the number is the id. Anything else is no ConnectWise ticket. */
  async resolveTicketRef(reference: string): Promise<string | null> {
    const m = /^#?(\d+)$/.exec(reference.trim());
    return m ? m[1]! : null;
  }

  async findByMarker(marker: string): Promise<Ticket | null> {
    const response = await this.client.request<unknown[]>({
      method: 'GET',
      url: '/service/tickets',
      params: { conditions: `externalXRef = ${conditionString(marker)}`, orderBy: 'id asc', pageSize: 1 },
    });
    const first = Array.isArray(response.data) ? response.data[0] : undefined;
    return first === undefined ? null : this.assemble(this.parsed(first), false);
  }

  async createTicket(fields: FieldValues, marker: string): Promise<Ticket> {
    const boardName =
      fields.board !== undefined ? nameValue('board', fields.board, false)! : this.ctx.scope.boards?.[0];
    if (boardName === undefined)
      throw new RemoteValidationError('ConnectWise needs a board for a new ticket: map `board` or set scope.boards', {
        system: this.ctx.systemName,
        field: 'board',
      });
    const companyIdentifier =
      fields.company !== undefined && fields.company !== null
        ? nameValue('company', fields.company, false)!
        : this.ctx.system.options?.companyIdentifier;
    if (companyIdentifier === undefined) {
      throw new RemoteValidationError(
        'ConnectWise needs a company for a new ticket: map `company` or set options.companyIdentifier',
        { system: this.ctx.systemName, field: 'company' },
      );
    }
    if (typeof fields.summary !== 'string' || fields.summary.trim() === '') {
      throw new RemoteValidationError('ConnectWise needs a summary for a new ticket', {
        system: this.ctx.systemName,
        field: 'summary',
      });
    }
    const board = await this.boardByName(boardName);
    const summary = cutText('summary', fields.summary, SUMMARY_MAX);
    const body: Record<string, unknown> = {
      summary: summary.text,
      recordType: 'ServiceTicket',
      board: { id: board.id },
      company: { identifier: companyIdentifier },
      externalXRef: marker,
      processNotifications: false,
    };
    // Every twin gets its description note at creation, a placeholder when there is no text, so
    // that no later note (a mirrored comment is a Discussion note too) is ever taken for it.
    const description = typeof fields.description === 'string' ? fields.description : '';
    body.initialDescription = normaliseText(description) === '' ? EMPTY_DESCRIPTION : description;
    for (const op of await this.referenceOps(fields, board, [
      'summary',
      'description',
      'board',
      'company',
      'externalXRef',
    ])) {
      if (op.op !== 'remove') body[op.path] = op.value;
    }
    const created = this.parsed(await this.client.createTicket(body));
    return withCuts(await this.assemble(created, false), [summary.cut]);
  }

  /** The marker goes where a create puts it: `externalXRef`, written with one JSON-Patch. */
  async stampMarker(id: string, marker: string): Promise<Ticket> {
    const held = this.parsed(
      await this.client.patchTicket(id, [
        { op: 'replace', path: 'externalXRef', value: marker },
        // Stamping a marker must not e-mail the customer or the technicians.
        { op: 'replace', path: 'processNotifications', value: false },
      ]),
    );
    return this.assemble(held, false);
  }

  /**
   * JSON-Patch ops for the reference and scalar fields in `changes` (skipping `skip`); text cut
   * to ConnectWise's limits is recorded in `cuts`.
   */
  private async referenceOps(
    changes: FieldValues,
    board: CwBoard,
    skip: string[],
    cuts: TextCut[] = [],
  ): Promise<PatchOp[]> {
    const ops: PatchOp[] = [];
    for (const [field, value] of Object.entries(changes)) {
      if (skip.includes(field)) continue;
      switch (field) {
        case 'summary': {
          const summary = cutText('summary', nameValue('summary', value, false)!, SUMMARY_MAX);
          if (summary.cut) cuts.push(summary.cut);
          ops.push({ op: 'replace', path: 'summary', value: summary.text });
          break;
        }
        case 'status':
          ops.push({
            op: 'replace',
            path: 'status',
            value: { id: (await this.statusOn(board.id, board.name, nameValue('status', value, false)!)).id },
          });
          break;
        case 'priority':
          ops.push({
            op: 'replace',
            path: 'priority',
            value: { id: (await this.priorityByName(nameValue('priority', value, false)!)).id },
          });
          break;
        case 'type':
        case 'subType':
        case 'item': {
          const name = nameValue(field, value, true);
          const kind: ChildKind = field === 'type' ? 'types' : field === 'subType' ? 'subtypes' : 'items';
          ops.push(
            name === null
              ? { op: 'remove', path: field }
              : {
                  op: 'replace',
                  path: field,
                  value: { id: (await this.childOn(board.id, board.name, kind, field, name)).id },
                },
          );
          break;
        }
        case 'owner': {
          const identifier = nameValue('owner', value, true);
          ops.push(
            identifier === null
              ? { op: 'remove', path: 'owner' }
              : { op: 'replace', path: 'owner', value: { identifier } },
          );
          break;
        }
        case 'company':
          ops.push({ op: 'replace', path: 'company', value: { identifier: nameValue('company', value, false)! } });
          break;
        case 'contact': {
          const name = nameValue('contact', value, true);
          ops.push(
            name === null ? { op: 'remove', path: 'contact' } : { op: 'replace', path: 'contact', value: { name } },
          );
          break;
        }
        case 'severity':
        case 'impact':
          if (typeof value !== 'string' || !LEVELS.includes(value)) {
            throw new RemoteValidationError(
              `ConnectWise ${field} must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(value)}`,
              { system: this.ctx.systemName, field },
            );
          }
          ops.push({ op: 'replace', path: field, value });
          break;
        case 'budgetHours':
          if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
            throw new RemoteValidationError(
              `ConnectWise budgetHours must be a number or null, got ${JSON.stringify(value)}`,
              { system: this.ctx.systemName, field },
            );
          }
          ops.push(value === null ? { op: 'remove', path: field } : { op: 'replace', path: field, value });
          break;
        case 'externalXRef':
          ops.push(
            value === null || value === ''
              ? { op: 'remove', path: field }
              : { op: 'replace', path: field, value: nameValue(field, value, false)! },
          );
          break;
        default:
          throw new RemoteValidationError(
            `ConnectWise field ${JSON.stringify(field)} is not writable by ticketbridge`,
            { system: this.ctx.systemName, field },
          );
      }
    }
    return ops;
  }

  /**
   * Writes `changes` with one JSON-Patch (and, for the description, one note write). `expected` is
   * the ticket as the pass just read it: its board, status and memo stand in for a second read.
   * The ticket returned is the PATCH's answer, else one read.
   */
  async updateTicket(id: string, changes: FieldValues, options?: { expected?: Ticket }): Promise<Ticket> {
    const expected = options?.expected;
    const memo = readMemo((expected as CutTicket | undefined)?.memo);
    let read: CwTicket | undefined;
    const currentOf = async (): Promise<CwTicket> => (read ??= this.parsed(await this.client.getTicket(id)));
    const boardName =
      typeof expected?.fields.board === 'string' ? expected.fields.board : (await currentOf()).board.name;
    const statusName =
      typeof expected?.fields.status === 'string' ? expected.fields.status : (await currentOf()).status.name;
    let board: CwBoard =
      (await this.boards()).find((b) => b.name.toLowerCase() === boardName.toLowerCase()) ??
      (read ? { id: read.board.id, name: read.board.name } : await this.boardByName(boardName));
    const ops: PatchOp[] = [];
    if (changes.board !== undefined) {
      const target = await this.boardByName(nameValue('board', changes.board, false)!);
      if (target.id !== board.id) {
        ops.push({ op: 'replace', path: 'board', value: { id: target.id } });
        // A ticket on a new board needs one of that board's statuses: keep the name, else the default.
        if (changes.status === undefined) {
          const statuses = await this.statuses(target.id);
          const keep =
            statuses.find((s) => s.name.toLowerCase() === statusName.toLowerCase()) ??
            statuses.find((s) => s.defaultFlag) ??
            statuses[0];
          if (keep) ops.push({ op: 'replace', path: 'status', value: { id: keep.id } });
        }
        board = target;
      }
    }
    const cuts: TextCut[] = [];
    ops.push(...(await this.referenceOps(changes, board, ['board', 'description'], cuts)));
    // The description note first: editing a note moves the ticket's lastUpdated, which the PATCH
    // answer below then carries.
    let known: { text: string | null | undefined; noteId: number | null; written?: boolean } | undefined;
    if (changes.description !== undefined) {
      const remembered = this.knownDescriptionNote(id, memo);
      const noteId =
        remembered !== undefined
          ? remembered
          : ((await this.descriptionNote(await currentOf(), undefined))?.id ?? null);
      const wanted = typeof changes.description === 'string' ? changes.description : '';
      const unchanged = expected !== undefined && normaliseText(wanted) === expected.fields.description;
      if (!unchanged) {
        const written = await this.writeDescription(id, changes.description, noteId);
        known = { text: written?.text, noteId: written?.id ?? null, written: true };
      }
    }
    // Not written: the description is what the pass read moments ago (when it knows the note).
    const noteId = this.knownDescriptionNote(id, memo);
    if (known === undefined && expected !== undefined && noteId !== undefined)
      known = {
        text: typeof expected.fields.description === 'string' ? expected.fields.description : '',
        noteId,
      };
    let held: CwTicket;
    if (ops.length > 0) {
      // The description the pass read, when the PATCH leaves it: carried to the answer's lastUpdated.
      const carried = known?.written || noteId === undefined ? undefined : this.cachedAtRead(id, expected, noteId);
      // Mirrored writes must not e-mail the customer or the technicians.
      ops.push({ op: 'replace', path: 'processNotifications', value: false });
      held = this.parsed(await this.client.patchTicket(id, ops));
      if (carried) this.rememberDescription(held, carried.note, carried);
    } else if (read && changes.description === undefined) held = read;
    else held = this.parsed(await this.client.getTicket(id));
    return withCuts(await this.assemble(held, expected?.inScope ?? false, memo, known), cuts);
  }

  /**
   * ConnectWise's description is a note (`initialDescription` is write-once and never returned):
   * a description change edits the ticket's description note, or adds one when it has none.
   * Returns the description note as it now is (null: none, the text being empty).
   */
  private async writeDescription(id: string, value: JsonValue, noteId: number | null): Promise<CwNote | null> {
    if (value !== null && typeof value !== 'string') {
      throw new RemoteValidationError(`ConnectWise description must be text, got ${JSON.stringify(value)}`, {
        system: this.ctx.systemName,
        field: 'description',
      });
    }
    const text = value ?? '';
    this.readNotes.delete(id);
    if (noteId !== null) {
      const edited = await this.client
        .patchNote(id, noteId, [
          { op: 'replace', path: 'text', value: normaliseText(text) === '' ? CLEARED_DESCRIPTION : text },
          { op: 'replace', path: 'processNotifications', value: false },
        ])
        .catch((err: unknown) => {
          // Deleted by a person since: the description gets a new note below.
          if (err instanceof NotFoundError) return undefined;
          throw err;
        });
      if (edited) return edited;
    }
    if (normaliseText(text) === '') return null;
    return this.client.addNote(id, { text, ...noteFlags('public'), processNotifications: false });
  }

  async closeTicket(id: string): Promise<Ticket> {
    const current = this.parsed(await this.client.getTicket(id));
    const statuses = await this.statuses(current.board.id);
    const closed =
      statuses.find((s) => s.closedStatus === true && s.inactive !== true) ??
      statuses.find((s) => s.closedStatus === true);
    if (!closed)
      throw new RemoteValidationError(`ConnectWise board ${JSON.stringify(current.board.name)} has no closed status`, {
        system: this.ctx.systemName,
        field: 'status',
      });
    if (current.status.id !== closed.id) {
      await this.client.patchTicket(id, [
        { op: 'replace', path: 'status', value: { id: closed.id } },
        { op: 'replace', path: 'processNotifications', value: false },
      ]);
    }
    return this.getTicket(id);
  }

  // --- notes ------------------------------------------------------------------------------------

  /**
   * Every note but the description note. Which one that is comes from the link's memo, else from
   * the last read of the ticket, else it is the ticket's initial description (read for its time);
   * a mirrored comment is never taken for it, though it is a Discussion note too.
   */
  async listComments(id: string, context?: TicketContext): Promise<Comment[]> {
    // The notes the read of this version listed for its description, else a list now.
    const notes = this.notesOfRead(id, context?.version) ?? (await this.client.notes(id));
    let descriptionId = this.knownDescriptionNote(id, readMemo(context?.memo));
    if (descriptionId === undefined) {
      const first = notes.find((n) => n.detailDescriptionFlag === true);
      const ticket = first ? this.parsed(await this.client.getTicket(id)) : undefined;
      descriptionId = first && ticket && isInitialDescription(first, ticket) ? first.id : null;
      this.rememberDescriptionNote(id, descriptionId);
    }
    return notes.filter((n: CwNote) => n.id !== descriptionId).map(toComment);
  }

  // --- documents --------------------------------------------------------------------------------

  async listAttachments(id: string): Promise<Attachment[]> {
    const documents = await this.client.documents(id);
    // Links and URLs are not files: nothing to download.
    return documents.filter((d) => !d.linkFlag && !d.urlFlag).map(toAttachment);
  }

  async downloadAttachment(_ticketId: string, attachment: Attachment): Promise<Readable> {
    return this.client.download(attachment.id);
  }

  async uploadAttachment(ticketId: string, file: NewAttachment): Promise<Attachment> {
    const fileName = tagFileName(file.name, file.marker);
    const document = await this.client.uploadDocument(
      ticketId,
      {
        fileName,
        title: file.name.slice(0, 100),
        sizeBytes: file.sizeBytes,
        contentType: file.contentType,
        privateFlag: file.visibility === 'internal',
      },
      file.content,
    );
    return { ...toAttachment(document), contentType: file.contentType };
  }

  /**
   * Adds the note. A note moves its ticket's `lastUpdated` to the note's own time (readme): the
   * description cached at the version the pass read then holds at that time too, so the pass's
   * read after its copies (its echo check) does not fetch the description note again.
   */
  async addComment(id: string, comment: NewComment): Promise<Comment> {
    // A note written in the second the list was read would hide behind an unmoved `lastUpdated`.
    this.readNotes.delete(id);
    const note = await this.client.addNote(id, {
      text: formatMirroredComment(comment),
      ...noteFlags(comment.visibility),
      processNotifications: false,
    });
    const stamped = note._info?.lastUpdated;
    const lastUpdated = typeof stamped === 'string' ? stamped : note.dateCreated;
    const cached = this.descriptions.get(id);
    if (cached && lastUpdated && heldAt(cached, cached.lastUpdated, this.ctx.clock.now()))
      this.rememberDescription({ id, _info: { lastUpdated } }, cached.note, cached);
    return toComment(note);
  }

  // --- callbacks ----------------------------------------------------------------------------------

  verifyWebhook(request: WebhookRequest): Promise<boolean> {
    return this.verifier.verify(request);
  }

  parseWebhook(request: WebhookRequest): WebhookHint {
    return parseCallback(request);
  }

  /** ConnectWise appends the record id to the callback URL, so it ends in `recordId=`. */
  private callbackUrl(targetUrl: string): string {
    return `${targetUrl}${targetUrl.includes('?') ? '&' : '?'}recordId=`;
  }

  /** One callback per scope board (level board), or one for all tickets (level owner). */
  private async wantedCallbacks(): Promise<Array<{ level: 'board' | 'owner'; objectId: number; label: string }>> {
    const boards = this.ctx.scope.boards;
    if (!boards || boards.length === 0) return [{ level: 'owner', objectId: 1, label: 'all boards' }];
    const out: Array<{ level: 'board'; objectId: number; label: string }> = [];
    for (const name of boards) {
      const board = await this.boardByName(name);
      out.push({ level: 'board', objectId: board.id, label: board.name });
    }
    return out;
  }

  async registerWebhook(targetUrl: string): Promise<string> {
    const url = this.callbackUrl(targetUrl);
    const existing = (await this.client.callbacks()).filter((c) => c.url === url && c.type.toLowerCase() === 'ticket');
    const descriptions: string[] = [];
    for (const want of await this.wantedCallbacks()) {
      const found = existing.find(
        (c) => c.level.toLowerCase() === want.level && (want.level === 'owner' || c.objectId === want.objectId),
      );
      if (found) {
        descriptions.push(`#${found.id} (${want.label}, already registered)`);
        continue;
      }
      const created = await this.client.createCallback({
        url,
        objectId: want.objectId,
        type: 'ticket',
        level: want.level,
        description: `ticketbridge ${this.ctx.connection}/${this.ctx.side}`.slice(0, 100),
        payloadVersion: '3.0.0',
        inactiveFlag: false,
        isSelfSuppressedFlag: false,
      });
      descriptions.push(`#${created.id} (${want.label})`);
    }
    return `ConnectWise ticket callbacks ${descriptions.join(', ')} -> ${url}`;
  }

  async unregisterWebhook(targetUrl: string): Promise<void> {
    const urls = new Set([targetUrl, this.callbackUrl(targetUrl)]);
    for (const entry of await this.client.callbacks()) {
      if (urls.has(entry.url)) await this.client.deleteCallback(entry.id);
    }
  }

  // --- catalog ------------------------------------------------------------------------------------

  /** The service ticket's page, on the codebase the API already resolved once (the URL read tickets carry). */
  async ticketUrl(id: string): Promise<string | null> {
    return /^\d+$/.test(id) ? this.pageUrl(Number(id), await this.client.resolveCodebase()) : null;
  }

  async describe(): Promise<FieldCatalog> {
    const allBoards = await this.boards();
    const boards = this.ctx.scope.boards
      ? allBoards.filter((b) => this.boardInScope(b.name))
      : allBoards.filter((b) => b.inactiveFlag !== true);
    const byBoard = async (
      load: (board: CwBoard) => Promise<Array<{ name: string }>>,
    ): Promise<Record<string, JsonValue[]>> => {
      const out: Record<string, JsonValue[]> = {};
      for (const board of boards) out[board.name] = (await load(board)).map((x) => x.name);
      return out;
    };
    const priorities = await this.priorities();
    const enumByBoard = async (name: string, kind: ChildKind | 'statuses', note: string): Promise<FieldInfo> => ({
      name,
      type: 'enum',
      writable: true,
      allowedValuesByScope: await byBoard((b) =>
        kind === 'statuses' ? this.statuses(b.id) : this.children(b.id, kind),
      ),
      note,
    });
    const fields: FieldInfo[] = [
      {
        name: 'summary',
        type: 'string',
        writable: true,
        note: `At most ${SUMMARY_MAX} characters; ConnectWise keeps the first ${SUMMARY_MAX}.`,
      },
      {
        name: 'description',
        type: 'text',
        writable: true,
        note: 'The initial description note (first Discussion note), plain text.',
      },
      await enumByBoard('status', 'statuses', "Status names per board; closing uses the board's closed status."),
      { name: 'priority', type: 'enum', writable: true, allowedValues: priorities.map((p) => p.name) },
      {
        name: 'board',
        type: 'enum',
        writable: true,
        allowedValues: boards.map((b) => b.name),
        note: 'Moving boards keeps the status name when the new board has it.',
      },
      await enumByBoard('type', 'types', 'Type names per board.'),
      await enumByBoard('subType', 'subtypes', 'Subtype names per board.'),
      await enumByBoard('item', 'items', 'Item names per board.'),
      { name: 'owner', type: 'reference', writable: true, note: 'Member identifier.' },
      { name: 'company', type: 'reference', writable: true, note: 'Company identifier.' },
      { name: 'contact', type: 'reference', writable: true, note: "Contact name (of the ticket's company)." },
      { name: 'severity', type: 'enum', writable: true, allowedValues: LEVELS },
      { name: 'impact', type: 'enum', writable: true, allowedValues: LEVELS },
      { name: 'budgetHours', type: 'number', writable: true },
      {
        name: 'externalXRef',
        type: 'string',
        writable: false,
        note: 'Holds the ticketbridge marker on tickets the daemon created.',
      },
    ];
    const agents = (await this.client.members()).map((m) => ({
      id: m.identifier,
      name: [m.firstName, m.lastName].filter(Boolean).join(' ') || m.identifier,
    }));
    // A board's groups of technicians are its teams; ids are unique per board only, so the board goes with them.
    const groups: CatalogGroup[] = [];
    for (const board of boards)
      for (const team of await this.client.boardTeams(board.id))
        groups.push({ id: String(team.id), name: team.name, scope: board.name });
    const customFields: CatalogCustomField[] = (await this.client.userDefinedFields()).map((u) => {
      const values = (u.options ?? []).filter((o) => o.inactiveFlag !== true).map((o) => o.optionValue ?? '');
      return {
        id: String(u.id),
        name: u.caption,
        type: [u.entryTypeIdentifier, u.fieldTypeIdentifier].filter(Boolean).join(' ') || 'unknown',
        ...(values.length > 0 ? { values } : {}),
        ...(u.screenId ? { scope: u.screenId } : {}),
      };
    });
    return { fields, agents, groups, customFields };
  }

  async ping(): Promise<void> {
    await this.client.systemInfo();
  }
}

export const connectwiseConnector = defineConnector({
  kind: 'connectwise',
  label: 'ConnectWise Manage',
  create: (ctx) => new ConnectwiseConnector(ctx),
  defaultRateLimit: { requestsPerMinute: 600, concurrency: 4 },
});

/** A document as an attachment: internal unless it is shown in the Customer Portal (harsher reading). */
function toAttachment(d: CwDocument): Attachment {
  const parsed = parseFileName(d.fileName ?? d.title ?? `document-${d.id}`);
  return {
    id: String(d.id),
    name: parsed.name,
    sizeBytes: d.size ?? 0,
    contentType: contentTypeFor(parsed.name),
    visibility: d.publicFlag === true ? 'public' : 'internal',
    commentId: null,
    ...(d.createdOnDate ? { createdAt: d.createdOnDate } : {}),
    marker: parsed.marker,
  };
}
