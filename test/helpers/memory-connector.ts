// An in-memory ticket system and its connector. It honours the full connector contract (ids,
// versions, scope, markers, comments with visibility, deletion, webhooks) so the engine can be
// tested and benchmarked without HTTP. It is a real implementation, not a mock of the engine.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFoundError, PayloadError, RemoteValidationError, WebhookError } from '../../src/core/errors.js';
import { formatMirroredComment, parseFileName, parseMirroredComment, tagFileName } from '../../src/core/marker.js';
import type {
  Attachment,
  AttachmentLimits,
  Clock,
  Comment,
  Connector,
  ConnectorFacts,
  FieldCatalog,
  FieldValues,
  InvalidTicket,
  JsonValue,
  ListChangedOptions,
  NewAttachment,
  NewComment,
  TextCut,
  Ticket,
  TicketContext,
  WebhookHint,
  WebhookRequest,
} from '../../src/core/types.js';
import { systemClock } from '../../src/core/types.js';

interface StoredTicket {
  id: string;
  createdMs: number;
  updatedMs: number;
  fields: FieldValues;
  marker: string | null;
  deleted: boolean;
  comments: Comment[];
  /** When each field last changed value (ms), for systems with a per-field history. */
  changedMs: Record<string, number>;
  /** Fields a person changed (in the UI) since the ticket was created. */
  changedByPeople: Set<string>;
  files: StoredFile[];
}

/** A file on a memory ticket: the name as stored (with a copy's tag), its bytes, where it rides. */
interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  bytes: Buffer;
  visibility: 'public' | 'internal';
  commentId: string | null;
  createdAt: string;
}

export interface MemorySystemOptions {
  /** Field name -> allowed values; writes outside these are rejected like a remote 400. */
  allowedValues?: Record<string, JsonValue[]>;
  /** The value `closeTicket` sets on `status`. @default "Closed" */
  closedStatus?: JsonValue;
  /** Truncate these text fields to this many characters on write (like ConnectWise summary). */
  maxLength?: Record<string, number>;
  clock?: Clock;
  webhookSecret?: string;
  /** Keep a per-field change history and offer it through `fieldChangeTimes` (like Jira's changelog). */
  fieldHistory?: boolean;
  /** Gives every ticket a human-facing key `<prefix>-<id>` (like Jira's) and offers `resolveTicketRef` for it. */
  keyPrefix?: string;
  /** Versions in whole seconds, like Freshservice's and ConnectWise's timestamps. @default 1 (ms) */
  versionPrecisionMs?: number;
  /** The step the connector declares for its versions (`ConnectorFacts.versionStepMs`). @default undeclared (whole seconds) */
  versionStepMs?: number;
  /** Largest file an upload may carry; bigger ones are refused like a vendor's 413. @default 10 MiB */
  maxFileBytes?: number;
  /** Field name -> stored value -> the name people see, offered by `describe` (like Freshservice's status ids). */
  valueLabels?: Record<string, Record<string, string>>;
}

/** The write counts a test can assert on. */
export interface MemoryCounters {
  creates: number;
  updates: number;
  comments: number;
  uploads: number;
  reads: number;
  lists: number;
  /** Comment listings (`listComments`). */
  commentLists: number;
}

function stamp(fields: FieldValues, at: number): Record<string, number> {
  return Object.fromEntries(Object.keys(fields).map((name) => [name, at]));
}

/** One simulated ticketing system: state shared by every connector pointed at it. */
export class MemorySystem {
  readonly tickets = new Map<string, StoredTicket>();
  readonly counters: MemoryCounters = {
    creates: 0,
    updates: 0,
    comments: 0,
    uploads: 0,
    reads: 0,
    lists: 0,
    commentLists: 0,
  };
  private nextId = 1;
  private nextCommentId = 1;
  private lastMs = 0;
  readonly clock: Clock;
  /** When set, every call throws this (fault injection for engine tests). */
  failWith: Error | null = null;
  /**
   * Tickets whose payload the connector cannot read, with the reason: listed as InvalidTicket and
   * refused by getTicket with a PayloadError, as a real connector's schema would.
   */
  readonly malformed = new Map<string, string>();

  constructor(readonly options: MemorySystemOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** Strictly increasing timestamps, so versions always move on a change. */
  tick(): number {
    const now = Math.max(this.clock.now(), this.lastMs + 1);
    this.lastMs = now;
    return now;
  }

  /** The system's present: the clock, or the newest timestamp handed out if a burst of changes ran ahead of it. */
  now(): number {
    return Math.max(this.clock.now(), this.lastMs);
  }

  /** A change made by a person in the system's UI (not through the connector). */
  userCreate(fields: FieldValues): string {
    const id = String(this.nextId++);
    const at = this.tick();
    this.tickets.set(id, {
      id,
      createdMs: at,
      updatedMs: at,
      fields: { ...fields },
      marker: null,
      deleted: false,
      comments: [],
      changedMs: stamp(fields, at),
      changedByPeople: new Set(),
      files: [],
    });
    return id;
  }

  userEdit(id: string, changes: FieldValues): void {
    const t = this.mustGet(id);
    for (const name of Object.keys(changes)) t.changedByPeople.add(name);
    this.apply(t, changes);
  }

  /** Writes field values, moving the ticket's version and each changed field's history time. */
  apply(t: StoredTicket, changes: FieldValues): void {
    const at = this.tick();
    for (const [name, value] of Object.entries(changes)) {
      if (JSON.stringify(t.fields[name] ?? null) !== JSON.stringify(value)) t.changedMs[name] = at;
    }
    Object.assign(t.fields, changes);
    t.updatedMs = at;
  }

  userComment(id: string, body: string, visibility: 'public' | 'internal', author = 'Someone'): string {
    const t = this.mustGet(id);
    const comment: Comment = {
      id: `c${this.nextCommentId++}`,
      body,
      visibility,
      author,
      createdAt: new Date(this.tick()).toISOString(),
    };
    t.comments.push(comment);
    t.updatedMs = this.lastMs;
    return comment.id;
  }

  /** A file a person attached in the UI: on the ticket, or on a comment with that comment's visibility. */
  userAttach(
    id: string,
    file: { name: string; bytes: Buffer; contentType?: string; visibility?: 'public' | 'internal'; commentId?: string },
  ): string {
    const t = this.mustGet(id);
    const comment = file.commentId === undefined ? undefined : t.comments.find((c) => c.id === file.commentId);
    const stored = this.storeFile(t, {
      name: file.name,
      contentType: file.contentType ?? 'application/octet-stream',
      bytes: file.bytes,
      visibility: comment?.visibility ?? file.visibility ?? 'public',
      commentId: comment?.id ?? null,
    });
    return stored.id;
  }

  storeFile(t: StoredTicket, file: Omit<StoredFile, 'id' | 'createdAt'>): StoredFile {
    const stored: StoredFile = { ...file, id: `f${this.nextFileId++}`, createdAt: new Date(this.tick()).toISOString() };
    t.files.push(stored);
    t.updatedMs = this.lastMs;
    return stored;
  }

  private nextFileId = 1;

  userDelete(id: string): void {
    const t = this.mustGet(id);
    t.deleted = true;
    t.updatedMs = this.tick();
  }

  mustGet(id: string): StoredTicket {
    const t = this.tickets.get(id);
    if (!t) throw new NotFoundError(`memory ticket ${id} does not exist`);
    return t;
  }

  createRaw(fields: FieldValues, marker: string | null): StoredTicket {
    const id = String(this.nextId++);
    const at = this.tick();
    const accepted = this.accept(fields);
    const stored: StoredTicket = {
      id,
      createdMs: at,
      updatedMs: at,
      fields: accepted,
      marker,
      deleted: false,
      comments: [],
      changedMs: stamp(accepted, at),
      changedByPeople: new Set(),
      files: [],
    };
    this.tickets.set(id, stored);
    return stored;
  }

  /** Text the last accept() cut to fit maxLength (like ConnectWise's 100-character summary). */
  lastCuts: TextCut[] = [];

  accept(changes: FieldValues): FieldValues {
    const out: FieldValues = {};
    this.lastCuts = [];
    for (const [name, value] of Object.entries(changes)) {
      const allowed = this.options.allowedValues?.[name];
      if (allowed && !allowed.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
        throw new RemoteValidationError(`memory rejected ${name}: ${JSON.stringify(value)} is not an allowed value`, {
          field: name,
        });
      }
      const max = this.options.maxLength?.[name];
      const cut = typeof value === 'string' && max !== undefined && value.length > max;
      if (cut) this.lastCuts.push({ field: name, fromChars: value.length, toChars: max });
      out[name] = cut ? value.slice(0, max) : value;
    }
    return out;
  }

  addComment(id: string, body: string, visibility: 'public' | 'internal', marker: string | null): Comment {
    const t = this.mustGet(id);
    const comment: Comment = {
      id: `c${this.nextCommentId++}`,
      body,
      visibility,
      createdAt: new Date(this.tick()).toISOString(),
      marker,
    };
    t.comments.push(comment);
    t.updatedMs = this.lastMs;
    return comment;
  }
}

export interface MemoryConnectorOptions {
  /** In-scope predicate over native fields. @default everything in scope */
  scope?: (fields: FieldValues) => boolean;
  label?: string;
  /** Like a search index: findByMarker does not see tickets younger than this. @default 0 */
  markerSearchLagMs?: number;
  /** Fields this system's create sets in later calls (like Jira's status transitions). */
  createSteps?: readonly string[];
  /** Fields one update writes in several calls (like Jira's status through a transition path). */
  updateSteps?: readonly string[];
  /** A memo the connector sets on every ticket it returns (like ConnectWise's description note id). */
  memo?: (fields: FieldValues) => JsonValue;
}

export const memoryFacts: ConnectorFacts = {
  kind: 'memory',
  label: 'Memory',
  pageSize: 100,
  rateLimit: { requestsPerMinute: 0, headers: [], note: 'in-process, unlimited' },
  capabilities: {
    changePolling: { supported: true, note: 'every ticket updated since the cursor' },
    webhooks: { supported: true, note: 'HMAC-SHA256 of the raw body in x-memory-signature' },
    webhookRegistration: { supported: false, note: 'nothing to register' },
    deletions: { supported: true, note: 'deleted tickets are listed with deleted: true' },
    internalComments: { supported: true, note: 'comments keep their visibility' },
    markerSearch: { supported: true, note: 'exact marker lookup, after markerSearchLagMs' },
    fieldHistory: { supported: false, note: 'offered when the system keeps one (fieldHistory option)' },
    textLimits: { supported: false, note: 'maxLength truncates like ConnectWise' },
    attachments: { supported: true, note: 'files on tickets and comments, held in memory; maxFileBytes refuses' },
  },
};

function memoryLimits(system: MemorySystem): AttachmentLimits {
  return { maxFileBytes: system.options.maxFileBytes ?? 10 * 1024 * 1024, note: 'MemorySystemOptions.maxFileBytes' };
}

async function drain(content: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export class MemoryConnector implements Connector {
  readonly kind = 'memory' as const;
  readonly facts: ConnectorFacts;
  private readonly inScope: (fields: FieldValues) => boolean;
  private readonly searchLagMs: number;
  private readonly memoOf: ((fields: FieldValues) => JsonValue) | undefined;

  constructor(
    readonly system: MemorySystem,
    options: MemoryConnectorOptions = {},
  ) {
    this.inScope = options.scope ?? (() => true);
    this.memoOf = options.memo;
    this.searchLagMs = options.markerSearchLagMs ?? 0;
    if (system.options.fieldHistory) {
      this.fieldChangeTimes = async (id, natives) => {
        this.guard();
        this.system.counters.reads++;
        const t = this.system.mustGet(id);
        return Object.fromEntries(
          natives.flatMap((n) => (t.changedMs[n] === undefined ? [] : [[n, new Date(t.changedMs[n]).toISOString()]])),
        );
      };
    }
    const prefix = system.options.keyPrefix;
    if (prefix !== undefined) {
      this.resolveTicketRef = async (reference) => {
        this.guard();
        const match = /^(.+)-(\d+)$/.exec(reference.trim());
        if (!match || match[1]!.toUpperCase() !== prefix.toUpperCase()) return null;
        const t = this.system.tickets.get(match[2]!);
        return t && !t.deleted ? t.id : null;
      };
    }
    this.facts = {
      ...memoryFacts,
      label: options.label ?? 'Memory',
      listingCopyComplete: true,
      commentEchoVersioned: true,
      ...(this.searchLagMs > 0 ? { markerSearchLagMs: this.searchLagMs } : {}),
      ...(options.createSteps ? { createSteps: options.createSteps } : {}),
      ...(options.updateSteps ? { updateSteps: options.updateSteps } : {}),
      ...(system.options.versionStepMs === undefined ? {} : { versionStepMs: system.options.versionStepMs }),
      attachments: memoryLimits(system),
    };
    if (options.createSteps) {
      this.changedByOthers = async (id, natives) => {
        this.guard();
        const t = this.system.mustGet(id);
        return natives.filter((n) => t.changedByPeople.has(n));
      };
    }
  }

  private guard(): void {
    if (this.system.failWith) throw this.system.failWith;
  }

  private toTicket(t: StoredTicket): Ticket {
    const memo = this.memoOf?.(t.fields);
    return {
      ...(memo === undefined ? {} : { memo }),
      id: t.id,
      ...(this.system.options.keyPrefix === undefined ? {} : { key: `${this.system.options.keyPrefix}-${t.id}` }),
      version: new Date(t.updatedMs - (t.updatedMs % (this.system.options.versionPrecisionMs ?? 1))).toISOString(),
      fields: structuredClone(t.fields),
      marker: t.marker,
      inScope: !t.deleted && this.inScope(t.fields),
      deleted: t.deleted,
      closed: t.fields.status === (this.system.options.closedStatus ?? 'Closed'),
      createdAt: new Date(t.createdMs).toISOString(),
    };
  }

  async *listChanged(options: ListChangedOptions): AsyncIterable<Ticket | InvalidTicket> {
    this.guard();
    this.system.counters.lists++;
    const sinceMs = options.since?.getTime() ?? 0;
    const matches = [...this.system.tickets.values()]
      .filter((t) => t.updatedMs >= sinceMs)
      .sort((x, y) => x.updatedMs - y.updatedMs);
    for (const t of matches) {
      const invalid = this.system.malformed.get(t.id);
      if (invalid !== undefined) yield { id: t.id, invalid } satisfies InvalidTicket;
      else if (t.deleted || this.inScope(t.fields)) yield this.toTicket(t);
    }
  }

  /** The context of the last read and the ticket the last write was given as expected, for tests. */
  lastContext: TicketContext | undefined;
  lastExpected: Ticket | undefined;

  async getTicket(id: string, context?: TicketContext): Promise<Ticket> {
    this.guard();
    this.system.counters.reads++;
    this.lastContext = context;
    const invalid = this.system.malformed.get(id);
    if (invalid !== undefined) throw new PayloadError(`${this.facts.label} ticket ${id}: ${invalid}`);
    return this.toTicket(this.system.mustGet(id));
  }

  async createTicket(fields: FieldValues, marker: string): Promise<Ticket> {
    this.guard();
    this.system.counters.creates++;
    const created = this.toTicket(this.system.createRaw(fields, marker));
    return this.system.lastCuts.length > 0 ? { ...created, cuts: this.system.lastCuts } : created;
  }

  async updateTicket(id: string, changes: FieldValues, options?: { expected?: Ticket }): Promise<Ticket> {
    this.guard();
    this.lastExpected = options?.expected;
    const t = this.system.mustGet(id);
    const accepted = this.system.accept(changes);
    this.system.counters.updates++;
    this.system.apply(t, accepted);
    const held = this.toTicket(t);
    return this.system.lastCuts.length > 0 ? { ...held, cuts: this.system.lastCuts } : held;
  }

  async stampMarker(id: string, marker: string): Promise<Ticket> {
    this.guard();
    const t = this.system.mustGet(id);
    this.system.counters.updates++;
    t.marker = marker;
    t.updatedMs = this.system.tick();
    return this.toTicket(t);
  }

  async closeTicket(id: string): Promise<Ticket> {
    return this.updateTicket(id, { status: this.system.options.closedStatus ?? 'Closed' });
  }

  /** Present only when the system keeps a per-field history (`fieldHistory`). */
  readonly fieldChangeTimes?: (id: string, natives: readonly string[]) => Promise<Record<string, string>>;

  /** Present only with `createSteps`: which fields a person changed since the ticket was created. */
  readonly changedByOthers?: (id: string, natives: readonly string[]) => Promise<string[]>;

  /** Present only when tickets have keys (`keyPrefix`): a key in any case → the ticket's id, else null. */
  readonly resolveTicketRef?: (reference: string) => Promise<string | null>;

  async findByMarker(marker: string): Promise<Ticket | null> {
    this.guard();
    const visibleBefore = this.system.now() - this.searchLagMs;
    for (const t of this.system.tickets.values())
      if (t.marker === marker && t.createdMs <= visibleBefore) return this.toTicket(t);
    return null;
  }

  async listComments(id: string): Promise<Comment[]> {
    this.guard();
    this.system.counters.commentLists++;
    return this.system.mustGet(id).comments.map((c) => {
      const parsed = parseMirroredComment(c.body);
      return { ...c, body: parsed.body, marker: c.marker ?? parsed.marker };
    });
  }

  async addComment(id: string, comment: NewComment): Promise<Comment> {
    this.guard();
    this.system.counters.comments++;
    const stored = this.system.addComment(id, formatMirroredComment(comment), comment.visibility, null);
    const parsed = parseMirroredComment(stored.body);
    // The answer's time at the version's precision, like Freshservice's and ConnectWise's.
    const ms = Date.parse(stored.createdAt);
    const createdAt = new Date(ms - (ms % (this.system.options.versionPrecisionMs ?? 1))).toISOString();
    return { ...stored, createdAt, body: parsed.body, marker: parsed.marker };
  }

  async listAttachments(id: string): Promise<Attachment[]> {
    this.guard();
    return this.system.mustGet(id).files.map((f) => {
      const parsed = parseFileName(f.name);
      return {
        id: f.id,
        name: parsed.name,
        sizeBytes: f.bytes.length,
        contentType: f.contentType,
        visibility: f.visibility,
        commentId: f.commentId,
        createdAt: f.createdAt,
        marker: parsed.marker,
      };
    });
  }

  async downloadAttachment(ticketId: string, attachment: Attachment): Promise<Readable> {
    this.guard();
    const file = this.system.mustGet(ticketId).files.find((f) => f.id === attachment.id);
    if (!file) throw new NotFoundError(`memory file ${attachment.id} on ticket ${ticketId} does not exist`);
    return Readable.from([file.bytes]);
  }

  async uploadAttachment(ticketId: string, file: NewAttachment): Promise<Attachment> {
    this.guard();
    const t = this.system.mustGet(ticketId);
    const limit = memoryLimits(this.system).maxFileBytes;
    if (file.sizeBytes > limit) {
      file.content.destroy();
      throw new RemoteValidationError(`memory refused ${file.name}: ${file.sizeBytes} bytes is over ${limit}`);
    }
    const bytes = await drain(file.content);
    if (bytes.length !== file.sizeBytes) {
      throw new RemoteValidationError(
        `memory refused ${file.name}: ${bytes.length} bytes arrived, ${file.sizeBytes} said`,
      );
    }
    this.system.counters.uploads++;
    const note = this.system.addComment(
      ticketId,
      formatMirroredComment({ body: file.note, marker: file.marker }),
      file.visibility,
      null,
    );
    const stored = this.system.storeFile(t, {
      name: tagFileName(file.name, file.marker),
      contentType: file.contentType,
      bytes,
      visibility: file.visibility,
      commentId: note.id,
    });
    return (await this.listAttachments(ticketId)).find((a) => a.id === stored.id)!;
  }

  verifyWebhook(request: WebhookRequest): boolean {
    const secret = this.system.options.webhookSecret;
    if (secret === undefined) return false;
    const given = request.headers['x-memory-signature'];
    if (typeof given !== 'string') throw new WebhookError('no x-memory-signature header', { reason: 'no_signature' });
    const expected = createHmac('sha256', secret).update(request.rawBody).digest('hex');
    return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  }

  parseWebhook(request: WebhookRequest): WebhookHint {
    const body = JSON.parse(request.rawBody.toString('utf8')) as {
      ticketId?: unknown;
      deliveryId?: unknown;
      version?: unknown;
    };
    if (typeof body.ticketId !== 'string' && typeof body.ticketId !== 'number') throw new Error('ticketId: missing');
    const hint: WebhookHint = { ticketIds: [String(body.ticketId)] };
    if (typeof body.deliveryId === 'string') hint.deliveryId = body.deliveryId;
    if (typeof body.version === 'string') hint.version = body.version;
    return hint;
  }

  /** A page per ticket, as a real system's agent portal has. */
  async ticketUrl(id: string): Promise<string | null> {
    return `https://${this.facts.label.toLowerCase()}.example/tickets/${id}`;
  }

  async describe(): Promise<FieldCatalog> {
    const names = new Set<string>(['summary', 'description', 'status', 'priority']);
    for (const name of Object.keys(this.system.options.allowedValues ?? {})) names.add(name);
    for (const name of Object.keys(this.system.options.valueLabels ?? {})) names.add(name);
    this.guard();
    return {
      fields: [...names].map((name) => {
        const allowed = this.system.options.allowedValues?.[name];
        const labels = this.system.options.valueLabels?.[name];
        const field = allowed
          ? { name, type: 'enum' as const, writable: true, allowedValues: allowed }
          : { name, type: name === 'description' ? ('text' as const) : ('string' as const), writable: true };
        return labels ? { ...field, valueLabels: labels } : field;
      }),
    };
  }

  async ping(): Promise<void> {
    this.guard();
  }
}

/** Signs a webhook body the way MemoryConnector.verifyWebhook expects. */
export function signMemoryWebhook(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
