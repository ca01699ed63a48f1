// The domain types every part of ticketbridge speaks. Core owns them; connectors, the ledger,
// the server and the CLI import them from here and never the other way round.
//
// Glossary (the same words as DESIGN.md):
//   system     one ticketing instance: a kind, a base URL, credentials
//   connection a configured pair of systems, side `a` and side `b`, with scope, fields and rules
//   side       `a` or `b` of a connection
//   ticket     a ticket as a connector reads it: native id, version, native field values, comments
//   link       the ledger record that says ticket X on side a and ticket Y on side b are one
//   baseline   per link and field, the last value each side had when both sides agreed
//   owner      the side that is the system of record for a field: `a`, `b` or `both`
//   conflict   both sides changed a `both`-owned field to different values since the baseline
//   intent     a ledger row written before a remote create/comment, so a crash never duplicates
//   marker     a correlation value stamped on everything the daemon creates, findable remotely
//   event      one append-only ledger entry: what changed, on which side, why, old/new values
//   cursor     per connection and side, the poll watermark (timestamp + ids seen at it)
//   echo       a change the daemon itself wrote, seen again when it polls; never mirrored back

import type { Readable } from 'node:stream';
import type { TextCut } from './text-cut.js';

export type { TextCut };

export type SystemKind = 'connectwise' | 'jsm' | 'freshservice';
export type Side = 'a' | 'b';
export type Owner = Side | 'both';
export type Visibility = 'public' | 'internal';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

/** Field values in a system's own vocabulary, keyed by that system's native field name. */
export type FieldValues = Record<string, JsonValue>;

export function otherSide(side: Side): Side {
  return side === 'a' ? 'b' : 'a';
}

/** A ticket as a connector reads it. Text fields are already normalised plain text. */
export interface Ticket {
  /** Native, immutable id as a string (Jira: the numeric id, never the key). */
  id: string;
  /** Version: the system's updated timestamp, ISO 8601 UTC. */
  version: string;
  /** Native field values in that system's vocabulary. */
  fields: FieldValues;
  /** Human-facing key when the system has one (Jira `IT-12`); display only. */
  key?: string;
  /** Link to the ticket in the system's UI, for the dashboard. */
  url?: string;
  /** The marker the daemon stamped on this ticket when it created it, if any. */
  marker?: string | null;
  /** Whether the ticket is inside the side's configured scope. */
  inScope: boolean;
  /** True when the system reports the ticket deleted (or spam/trashed). */
  deleted?: boolean;
  /**
   * Whether the system counts the ticket as closed (ConnectWise `closedFlag`, Freshservice status
   * Resolved or Closed, Jira status category Done). Unknown counts as open. Used by
   * `initialSync.openOnly` and `lifecycle.stopAfterClosedDays`.
   */
  closed?: boolean;
  /** When the ticket was created (ISO), where the system says; `initialSync.createdAfter` reads it. */
  createdAt?: string;
  /** Per-field change times where the system knows them (ISO); else `version` is used. */
  fieldChangedAt?: Record<string, string>;
  /**
   * Connector-owned state about this ticket that the link keeps and hands back on later reads
   * and writes (ConnectWise: which note is the description). Set it on the tickets returned;
   * the engine stores it when it changes.
   */
  memo?: JsonValue;
  /** Text the connector cut to fit the vendor's limit on this read or write; each becomes an event. */
  cuts?: TextCut[];
  /** Set by the engine on a copy a poll listed: when that poll started (its listing is no older). */
  listedAtMs?: number;
}

/** What the link remembers of a ticket for its connector. */
export interface TicketContext {
  /** The memo the connector last set on this ticket (`Ticket.memo`). */
  memo?: JsonValue;
  /**
   * The ticket's version as the caller holds it (`Ticket.version`), when it lists the comments of
   * that version: a connector whose read of that version carried the comments answers from it.
   */
  version?: string;
}

/** A change listing entry the connector could not parse; the engine parks it with the error. */
export interface InvalidTicket {
  id: string;
  invalid: string;
}

export interface Comment {
  id: string;
  /** Plain text (converted from HTML/ADF at the connector boundary), marker footer removed. */
  body: string;
  visibility: Visibility;
  author?: string;
  createdAt: string;
  /** The marker the daemon stamped on the comment when it wrote it, if any. */
  marker?: string | null;
  /** Text the connector cut to fit the vendor's limit on the write that returned it; each becomes an event. */
  cuts?: TextCut[];
}

export interface NewComment {
  body: string;
  visibility: Visibility;
  /** Display name of the original author on the other side, for attribution. */
  author?: string;
  /** The origin system's label (e.g. "ConnectWise"), for attribution. */
  origin?: string;
  marker: string;
}

export interface FieldInfo {
  name: string;
  type: 'string' | 'text' | 'number' | 'enum' | 'reference' | 'date' | 'array' | 'boolean';
  writable: boolean;
  /** Allowed values in the native vocabulary, where the system has a closed list. */
  allowedValues?: JsonValue[];
  /** Per-scope allowed values (e.g. ConnectWise statuses per board, Jira statuses per project). */
  allowedValuesByScope?: Record<string, JsonValue[]>;
  /**
   * The name people see for each value the system stores as a code, keyed by the value as text
   * (Freshservice status `"2"` → `"Open"`, group id → group name). Values that are their own
   * names (ConnectWise and Jira statuses) have none.
   */
  valueLabels?: Record<string, string>;
  note?: string;
}

/** Someone tickets can be assigned to: an agent, a member, an assignable user. */
export interface CatalogAgent {
  /** The id the system's assignee field takes (ConnectWise: the member identifier). */
  id: string;
  name: string;
  email?: string;
}

/** A group of agents: a Freshservice agent group, a ConnectWise board's team, a Jira group. */
export interface CatalogGroup {
  id: string;
  name: string;
  /** Where the group belongs, when not to the whole system (ConnectWise: the board). */
  scope?: string;
}

/**
 * A custom field the system defines that the connector lists but does not map (ConnectWise
 * user-defined fields); mapped custom fields are in `fields` under their native names.
 */
export interface CatalogCustomField {
  id: string;
  name: string;
  /** The system's own type name (ConnectWise: `Text`, `Number`, `Checkbox`, …). */
  type: string;
  /** The values a list field offers. */
  values?: JsonValue[];
  /** Where the field shows (ConnectWise: the screen, `ServiceTicket`). */
  scope?: string;
}

export interface FieldCatalog {
  fields: FieldInfo[];
  /** Who tickets can be assigned to, where the system lists them (`ticketbridge describe`). */
  agents?: CatalogAgent[];
  /** Groups of agents, where the system has them (`ticketbridge describe`). */
  groups?: CatalogGroup[];
  /** Custom fields listed for discovery only (not in `fields`, so a mapping cannot name them). */
  customFields?: CatalogCustomField[];
}

export interface Capability {
  supported: boolean;
  note: string;
}

/** What every connector states about its system, each with a note (`validate` and /status show them). */
export const CAPABILITY_KEYS = [
  /** Tickets changed since a time can be listed (the poll). */
  'changePolling',
  /** The system notifies the daemon of changes (webhooks, callbacks, automator web requests). */
  'webhooks',
  /** The daemon can register its webhook receiver through the API (`ticketbridge webhooks register`). */
  'webhookRegistration',
  /** Deleted tickets are listed by the poll; otherwise a deletion is noticed when the ticket is read. */
  'deletions',
  /** Comments can be internal (not shown to the requester). */
  'internalComments',
  /** A ticket the daemon created can be found again by its marker. */
  'markerSearch',
  /** When each field last changed is known (settles `conflict: newest` per field). */
  'fieldHistory',
  /** The vendor's length limits on text fields are enforced before writing. */
  'textLimits',
  /**
   * Files on tickets and comments can be listed, downloaded and uploaded as streams
   * (`listAttachments`, `downloadAttachment`, `uploadAttachment`, limits in `facts.attachments`).
   */
  'attachments',
] as const;

export type CapabilityKey = (typeof CAPABILITY_KEYS)[number];

/** Static facts about a connector, as data (shown by `validate` and on /status). */
export interface ConnectorFacts {
  /** The system kind (a `SystemKind` for the shipped connectors; test doubles name their own). */
  kind: string;
  label: string;
  pageSize: number;
  /**
   * How long a just-created ticket may stay unfindable by `findByMarker` (search index lag).
   * The engine waits this long before treating an unfound marker as "never created".
   */
  markerSearchLagMs?: number;
  /**
   * Native fields `createTicket` sets with calls made after the ticket exists (Jira: a status
   * reached through transitions). A create stopped between the calls leaves them unset, which a
   * recovered create must not take for a person's edit.
   */
  createSteps?: readonly string[];
  /**
   * Native fields one `updateTicket` writes in several calls (Jira: a status reached through a
   * path of workflow transitions). A write stopped between the calls leaves a middle value, which
   * a recovered update finishes instead of taking it for a person's edit. On every other field, a
   * value that is neither the one written nor the one before is a person's edit.
   */
  updateSteps?: readonly string[];
  /**
   * A ticket as `listChanged` yields it carries everything `getTicket` would (fields, scope,
   * memo), so a pass can take the listed copy instead of reading the ticket again.
   */
  listingCopyComplete?: boolean;
  /**
   * The step of the system's ticket versions in milliseconds: 1,000 (the default) where they count
   * whole seconds (Freshservice `updated_at`, ConnectWise `_info.lastUpdated`), so two changes in
   * one second share a version; 1 where they count milliseconds (Jira `updated`). A version is
   * trusted to mean "nothing new" once the ledger has held it for a few steps (sync/versions.ts).
   */
  versionStepMs?: number;
  /**
   * Every webhook delivery a comment raises can be told apart as the copy's echo: it reports the
   * ticket's version (Freshservice, ConnectWise) or the comment it announces (Jira), so the pass
   * that copies comments here reads the ticket once after them (pass.ts heldAfterCopies): the
   * ledger then holds the version the copies made, their deliveries cost no call, and neither does
   * the next poll's listing of the ticket.
   */
  commentEchoVersioned?: boolean;
  rateLimit: { requestsPerMinute: number; headers: string[]; note: string };
  capabilities: Record<CapabilityKey, Capability>;
  /** The vendor's limits on files, when the `attachments` capability is supported. */
  attachments?: AttachmentLimits;
}

/** A vendor's limits on files, each researched and cited in the connector's readme. */
export interface AttachmentLimits {
  /** Largest single file the vendor accepts, in bytes. */
  maxFileBytes: number;
  /** Largest total of files on one ticket, in bytes, where the vendor caps it. */
  maxTicketBytes?: number;
  /** Most files one ticket may carry, where the vendor caps it. */
  maxFilesPerTicket?: number;
  /** Where the figures come from (doc or spec) and what is assumed. */
  note: string;
}

/**
 * A file on a ticket as a connector lists it. Files ride either on the ticket itself or on one of
 * its comments (`commentId`); `visibility` is who can see the file in the vendor's UI/portal.
 */
export interface Attachment {
  /** Native attachment/document id, as a string. */
  id: string;
  /** File name as the system shows it, marker tag removed (see `marker`). */
  name: string;
  sizeBytes: number;
  contentType: string;
  visibility: Visibility;
  /** The comment the file rides on, or null when it is on the ticket itself. */
  commentId: string | null;
  createdAt?: string;
  /** The marker the daemon stamped on a file it copied, if any: such a file is never copied back. */
  marker: string | null;
}

/** A file to upload: its content arrives as a stream of exactly `sizeBytes` bytes. */
export interface NewAttachment {
  /** File name without the marker tag; the connector stamps the marker. */
  name: string;
  sizeBytes: number;
  contentType: string;
  content: Readable;
  /** Who may see it on the target; a connector never makes it more visible. */
  visibility: Visibility;
  marker: string;
  /** Short text for the note/comment the file rides on where the vendor needs one (attribution). */
  note: string;
}

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  query?: Record<string, string>;
}

export interface WebhookHint {
  /** Native ticket ids to re-read (a webhook is a hint; the truth is always re-read). */
  ticketIds: string[];
  /** A delivery identifier for duplicate suppression, when the system sends one. */
  deliveryId?: string;
  /**
   * The ticket's version (its updated time) as the delivery reports it, when the body carries one:
   * a delivery older than the version the ledger has already synced is stale and needs no pass.
   */
  version?: string;
  /**
   * What the delivery says moved, when the system says so (Jira: a changelog without a comment is
   * `fields`; a comment event is `comments`); absent: anything may have. A pass for a `fields`
   * delivery does not list the ticket's comments when the ticket is at the version the delivery
   * reported (pass.ts `commentSides`).
   */
  moved?: Moved;
  /**
   * The comment a comment event announces (Jira `comment_created`): a link whose comment map
   * already holds it has nothing new from this delivery (pass.ts `deliveriesHeld`).
   */
  commentId?: string;
}

/**
 * What one webhook delivery reported that the ledger can check without a call: the version it saw,
 * or the comment it announced. Deliveries folded into one pass keep each their own; a hint without
 * either (a poll, a delivery that says nothing checkable) makes the whole fold `undefined`.
 */
export interface Delivered {
  version?: string;
  commentId?: string;
}

/** What one delivery reported, or undefined when it reported nothing checkable. */
export function deliveredOf(hint: Pick<WebhookHint, 'version' | 'commentId'>): Delivered[] | undefined {
  if (hint.version === undefined && hint.commentId === undefined) return undefined;
  return [
    {
      ...(hint.version === undefined ? {} : { version: hint.version }),
      ...(hint.commentId === undefined ? {} : { commentId: hint.commentId }),
    },
  ];
}

/** Deliveries folded into one pass: all of them, or undefined when any reported nothing checkable. */
export function foldDelivered(a: Delivered[] | undefined, b: Delivered[] | undefined): Delivered[] | undefined {
  return a === undefined || b === undefined ? undefined : [...a, ...b];
}

/** What a webhook delivery says moved on its ticket. */
export type Moved = 'fields' | 'comments';

/** Hints folded into one pass: what they agree moved, or `undefined` (anything) when they differ. */
export function mergeMoved(a: Moved | undefined, b: Moved | undefined): Moved | undefined {
  return a === b ? a : undefined;
}

export interface ListChangedOptions {
  /** Return tickets updated at or after this instant (the engine already subtracted overlap). */
  since: Date | null;
  signal?: AbortSignal;
}

/**
 * A connector speaks one system's native API and exposes these semantic verbs. One instance
 * serves one side of one connection (it knows that side's scope); instances of the same system
 * share one request queue.
 */
export interface Connector {
  /** The system kind (a `SystemKind` for the shipped connectors; test doubles name their own). */
  readonly kind: string;
  readonly facts: ConnectorFacts;
  /** Tickets in scope changed since `since`; malformed entries come as InvalidTicket. */
  listChanged(options: ListChangedOptions): AsyncIterable<Ticket | InvalidTicket>;
  /** Throws NotFoundError when the ticket does not exist (or is deleted and unreadable). */
  getTicket(id: string, context?: TicketContext): Promise<Ticket>;
  /**
   * Creates a ticket stamped with `marker` and returns it as the system holds it. Throws only when
   * no ticket was created, or on a transient failure (the marker then finds what was created);
   * a later step refused for good (a transition) leaves the ticket as created and returns it.
   */
  createTicket(fields: FieldValues, marker: string): Promise<Ticket>;
  /**
   * Writes only the given fields; returns the ticket as the system holds it after the write (from
   * the write's response where the API returns the resource). `expected` is the ticket as the
   * pass read it moments ago, with its memo: use it instead of reading the ticket again.
   */
  updateTicket(id: string, changes: FieldValues, options?: { expected?: Ticket }): Promise<Ticket>;
  /**
   * Stamps `marker` on a ticket that already exists (a pair a person links), where `createTicket`
   * would have put it, keeping everything else; returns the ticket as the system then holds it.
   */
  stampMarker?(id: string, marker: string): Promise<Ticket>;
  /** Moves the ticket to its closed state (used by delete/unscope rules). */
  closeTicket(id: string): Promise<Ticket>;
  /**
   * The ticket carrying this marker, or null. `createdAfter` (when the daemon knows it) lets a
   * connector look in a consistent listing of recent tickets instead of a lagging search index.
   */
  findByMarker(marker: string, hint?: { createdAfter?: Date }): Promise<Ticket | null>;
  listComments(id: string, context?: TicketContext): Promise<Comment[]>;
  addComment(id: string, comment: NewComment): Promise<Comment>;
  /**
   * Files on the ticket and on each of its comments (capability `attachments`). Files the daemon
   * uploaded carry their `marker`.
   */
  listAttachments?(id: string, context?: TicketContext): Promise<Attachment[]>;
  /** The file's bytes as a stream, never buffered whole; throws NotFoundError when it is gone. */
  downloadAttachment?(ticketId: string, attachment: Attachment): Promise<Readable>;
  /**
   * Uploads a file streamed from `file.content` with its marker, riding on a comment/note of the
   * given visibility where the vendor ties visibility to one; returns the file as listed after.
   * Throws RemoteValidationError (code remote_validation) when the vendor refuses the file.
   */
  uploadAttachment?(ticketId: string, file: NewAttachment): Promise<Attachment>;
  verifyWebhook(request: WebhookRequest): boolean | Promise<boolean>;
  parseWebhook(request: WebhookRequest): WebhookHint;
  describe(): Promise<FieldCatalog>;
  /**
   * The ticket's page for people, built from what the daemon already knows (its id, the key the
   * ledger keeps) without reading the ticket; null when the system's URL needs more than that.
   */
  ticketUrl?(id: string, key: string | null): Promise<string | null>;
  /**
   * When each of these native fields last changed, where the system keeps a per-field history
   * (ISO times; fields it has no record of are left out). Asked only to settle `conflict: newest`,
   * so a ticket's unrelated later edits do not make its side look newer.
   */
  fieldChangeTimes?(id: string, natives: readonly string[]): Promise<Record<string, string>>;
  /**
   * Which of these native fields someone other than this integration changed since the ticket
   * was created, from the system's history. Asked only after a crash, for a twin whose create
   * sets fields in later calls (`facts.createSteps`): a value a person set is kept, one the
   * create left half-way is finished.
   */
  changedByOthers?(id: string, natives: readonly string[]): Promise<string[]>;
  /**
   * The native id behind a reference as people write it (a Jira key `IT-12`, Freshservice's
   * `INC-12`, ConnectWise's `#1234`; a leading `#` may be there or not), or null when it names no
   * ticket of this system. Used by ticket search and `ticketbridge link`.
   */
  resolveTicketRef?(reference: string): Promise<string | null>;
  /**
   * Registers the daemon's webhook receiver with the system where its API allows it
   * (ConnectWise callbacks, Jira admin webhooks); returns a description of what was registered.
   */
  registerWebhook?(targetUrl: string): Promise<string>;
  unregisterWebhook?(targetUrl: string): Promise<void>;
  /** Cheap authenticated call for /readyz; throws AuthError or a network error. */
  ping(): Promise<void>;
  /** Releases timers and sockets. */
  close?(): Promise<void>;
}

export function isInvalidTicket(item: Ticket | InvalidTicket): item is InvalidTicket {
  return (item as InvalidTicket).invalid !== undefined;
}

/** Time comes from a Clock so tests can control it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The subset of pino's logger the code relies on, so tests can pass any compatible logger. */
export interface Logger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
