// The sync ledger: every link, baseline, comment mapping, intent, event, cursor, conflict and
// error. The engine writes everything a pass learned in one `commit()` (one transaction), so the
// ledger never holds half a pass. SQLite and PostgreSQL implement this interface and run the
// same contract suite.
import type { JsonValue, Side, Visibility } from '../types.js';

/**
 * `archived`: both tickets stayed closed for `lifecycle.stopAfterClosedDays`; the reconcile no
 * longer reads the link, and a change to either ticket makes it active again.
 */
export type LinkState = 'active' | 'unlinked' | 'flagged' | 'closed' | 'archived';
export const LINK_STATES: readonly LinkState[] = ['active', 'unlinked', 'flagged', 'closed', 'archived'];

export interface Link {
  id: string;
  connection: string;
  aId: string;
  bId: string;
  state: LinkState;
  /** Last version of each side's ticket the ledger has seen and agreed with. */
  aVersion: string | null;
  bVersion: string | null;
  /** Human-facing key of each side's ticket (Jira's `IT-12`) where its system has one; kept current by every pass. */
  aKey: string | null;
  bKey: string | null;
  /** What each side's connector asked the link to keep for it (`Ticket.memo`), handed back on reads and writes. */
  aMemo: JsonValue | null;
  bMemo: JsonValue | null;
  createdAt: string;
  updatedAt: string;
  /** Why the link left `active` (e.g. "deleted on b"), when it did. */
  note: string | null;
  /** Since when a pass has seen both tickets closed (ISO); null while either is open. */
  closedSince: string | null;
}

export interface Baseline {
  a: JsonValue;
  b: JsonValue;
}

export interface CommentMapEntry {
  side: Side;
  commentId: string;
  /** copied: mirrored to the other side as `twinId`; mirror: written by the daemon;
   * skipped: not mirrored by the visibility rules. */
  role: 'copied' | 'mirror' | 'skipped';
  twinId: string | null;
  visibility: Visibility;
}

/** What the link knows of one file on one side (the attachment map, like the comment map). */
export interface AttachmentMapEntry {
  side: Side;
  attachmentId: string;
  /** copied: copied to the other side as `twinId`; mirror: a copy the daemon uploaded;
   * skipped: kept on its side by the rules (internal under `public`); refused: over a limit, a
   * type filter, or refused by the target (a note on the other side names it). */
  role: 'copied' | 'mirror' | 'skipped' | 'refused';
  twinId: string | null;
  visibility: Visibility;
}

export interface LinkSnapshot {
  link: Link;
  baselines: Record<string, Baseline>;
  comments: CommentMapEntry[];
  /** The link's attachment map (absent where a ledger or test double keeps none). */
  attachments?: AttachmentMapEntry[];
}

/**
 * create: a ticket about to be created on the other side; comment: a comment about to be copied;
 * attachment: a file about to be uploaded to the other side;
 * update: field values about to be written to a linked ticket (so a crash between the write
 * and the commit cannot leave a stale baseline behind).
 */
export type IntentKind = 'create' | 'comment' | 'update' | 'attachment';

export interface Intent {
  id: string;
  connection: string;
  kind: IntentKind;
  /** Side the remote write goes to. */
  targetSide: Side;
  /** Native id of the source ticket (create) or source comment (comment). */
  sourceId: string;
  linkId: string | null;
  marker: string;
  /** What the intent is about to write, for recovery (update: field, sides, values; create: fields). */
  payload: JsonValue | null;
  createdAt: string;
}

export type NewIntent = Omit<Intent, 'id' | 'createdAt' | 'payload'> & { payload?: JsonValue };

export const EVENT_KINDS = [
  'link_created',
  'field_mirrored',
  'field_reverted',
  'field_ignored',
  'converged',
  'conflict_opened',
  'conflict_resolved',
  'comment_copied',
  'comment_skipped',
  'attachment_copied',
  'attachment_skipped',
  'attachment_refused',
  'link_unlinked',
  'link_flagged',
  'link_closed',
  'ticket_closed',
  'text_cut',
  'error',
  // An open error resolved by itself: a later pass of its link (or the create of its ticket) completed cleanly.
  'error_resolved',
  'resync',
  // The co-managed playbook: a ticket's function (and so its field owners) changed; an escalation
  // policy triggered; an SLA clock met or breached; a notification could not be delivered.
  'function_changed',
  'escalation',
  'sla_met',
  'sla_breached',
  'notification_failed',
  'drift_found',
  'drift_repaired',
  // One per connection and audit, with its figures (pairs, unexplained, pending, unreadable, repaired).
  'drift_audited',
  // A pair closed on both sides was opened again on one (the ticket was reopened).
  'ticket_reopened',
  // A pair was seen closed on both sides for the first time (the report counts it as closed).
  'pair_closed',
  // A person's actions that change no ticket: they say who (data.by) like every action event.
  'error_retried',
  'connection_paused',
  'connection_resumed',
  // A twin found by its marker was linked instead of creating another (a lost or restored
  // ledger, `ledger rebuild`); a link closed on both sides long enough was archived, or woke up.
  'link_adopted',
  'link_archived',
  'link_unarchived',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

export interface SyncEvent {
  id: string;
  at: string;
  connection: string;
  linkId: string | null;
  /** The side the event happened on (the side written, or the side whose edit was seen). */
  side: Side | null;
  field: string | null;
  kind: EventKind;
  oldValue: JsonValue | null;
  newValue: JsonValue | null;
  /** Why: a short sentence for the dashboard ("a changed priority; a owns it"). */
  reason: string;
  /**
   * Facts the KPI report counts, by kind: `latencyMs` (source change to mirrored) on
   * `field_mirrored` and `link_created`, `source` (side the ticket was created on) on `link_created`;
   * other kinds (escalations, SLA clocks) carry their own object.
   */
  data: JsonValue | null;
}

export type NewEvent = Omit<SyncEvent, 'id' | 'at' | 'data'> & { at?: string; data?: JsonValue | null };

export interface Cursor {
  connection: string;
  side: Side;
  /** Poll watermark: the newest version seen (ISO). */
  since: string | null;
  /** Ids seen exactly at `since`, for dedupe across overlapping polls. */
  seenIds: string[];
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
}

export interface Conflict {
  id: string;
  connection: string;
  linkId: string;
  field: string;
  aValue: JsonValue;
  bValue: JsonValue;
  baseline: Baseline;
  state: 'open' | 'resolved';
  createdAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

export interface ErrorRecord {
  id: string;
  connection: string;
  linkId: string | null;
  side: Side | null;
  ticketId: string | null;
  code: string;
  message: string;
  /** Whether the engine retries it by itself (transient) or waits for a person. */
  retryable: boolean;
  attempts: number;
  state: 'open' | 'resolved';
  createdAt: string;
  updatedAt: string;
}

export interface NewError {
  connection: string;
  linkId: string | null;
  side: Side | null;
  ticketId: string | null;
  code: string;
  message: string;
  retryable: boolean;
}

/** Everything one pass learned, written in one transaction. */
export interface PassCommit {
  connection: string;
  /** A new link (create pass); its id is returned by commit(). */
  newLink?: { aId: string; bId: string };
  linkId?: string;
  linkState?: { state: LinkState; note: string | null };
  /** Since when both tickets are closed (null: either is open); left out: unchanged. */
  closedSince?: string | null;
  versions?: { a?: string; b?: string };
  /** Human-facing keys as last read (a side without one is left as it is). */
  keys?: { a?: string; b?: string };
  /** Connector memos that changed (a side left out keeps its memo). */
  memos?: { a?: JsonValue; b?: JsonValue };
  baselines?: Record<string, Baseline>;
  comments?: CommentMapEntry[];
  attachments?: AttachmentMapEntry[];
  events?: NewEvent[];
  openConflicts?: Array<{ field: string; aValue: JsonValue; bValue: JsonValue; baseline: Baseline }>;
  /** Conflicts closed by this pass (converged or resolved), with the resolution text. */
  closeConflicts?: Array<{ id: string; resolution: string }>;
  intentsDone?: string[];
  /**
   * Resolves open errors: those of the link (`linkId`, else the commit's link) and those recorded
   * without a link for either of its tickets; with `side` and `ticketId`, those recorded without a
   * link for that ticket. Each resolved error becomes an `error_resolved` event on the link.
   */
  resolveErrorsFor?: ResolveErrors;
}

export interface ResolveErrors {
  linkId?: string;
  side?: Side;
  ticketId?: string;
  /** Ids of errors left open: their cause is still true (the pass recorded them itself). */
  keep?: readonly string[];
  /** Why they are resolved, for the events. @default 'the ticket synced cleanly again' */
  reason?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/**
 * Where a searched ticket may sit: a native id, or a key the link holds (any case), on one side of
 * one connection. Leaving out the connection or the side matches any.
 */
export type TicketCandidate = { connection?: string; side?: Side } & (
  { ticketId: string; key?: never } | { key: string; ticketId?: never }
);

export interface LinkFilter {
  connection?: string;
  state?: LinkState;
  /** Matches either side's native ticket id. */
  ticketId?: string;
  /**
   * Matches links holding any of these tickets (OR); an empty list matches nothing. Combines
   * with the other filters (AND). Built by ticket search from a reference such as `jira:IT-12`.
   */
  tickets?: readonly TicketCandidate[];
  offset?: number;
  limit?: number;
}

export interface EventFilter {
  connection?: string;
  /** Only these connections (a token limited to some connections); an empty list matches nothing. */
  connections?: readonly string[];
  linkId?: string;
  kind?: EventKind;
  /** Events at or after this instant (ISO 8601). */
  from?: string;
  /** Events before this instant (ISO 8601), exclusive. */
  to?: string;
  /** Events after this id (keyset paging for exports, with `order: 'asc'`). */
  afterId?: string;
  /** @default 'desc' (newest first) */
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

/** A connection paused at run time (`ticketbridge pause`), kept in the ledger so a restart keeps it paused. */
export interface ConnectionPause {
  connection: string;
  pausedAt: string;
  /** Who or why, as given when pausing. */
  note: string | null;
}

/** When a connection's first sync started and, once every ticket it listed had its pass, ended. */
export interface FirstSync {
  connection: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface LedgerCounts {
  links: number;
  activeLinks: number;
  events: number;
  openConflicts: number;
  openErrors: number;
  pendingIntents: number;
}

export interface Ledger {
  readonly driver: 'sqlite' | 'postgres';
  /** Applies numbered migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  ping(): Promise<void>;

  getLink(id: string): Promise<Link | null>;
  findLink(connection: string, side: Side, ticketId: string): Promise<Link | null>;
  snapshot(linkId: string): Promise<LinkSnapshot | null>;
  listLinks(filter: LinkFilter): Promise<Page<Link>>;
  /** Ids of links in a state, for reconcile (streamed in pages by the caller). */
  linkIds(connection: string, state: LinkState, afterId: string | null, limit: number): Promise<string[]>;

  /**
   * Records an intent before a remote create/comment. Returns null when an intent for the same
   * (connection, kind, targetSide, sourceId) already exists (another worker or instance owns it).
   */
  addIntent(intent: NewIntent): Promise<Intent | null>;
  /** Pending intents of one link (update intents left by a pass that did not commit). */
  pendingIntentsForLink(linkId: string): Promise<Intent[]>;
  findIntent(connection: string, kind: IntentKind, targetSide: Side, sourceId: string): Promise<Intent | null>;
  pendingIntents(connection?: string): Promise<Intent[]>;
  /** Drops an intent whose remote write is known not to have happened. */
  dropIntent(id: string): Promise<void>;

  /** Writes a pass's results atomically; returns the link id (new or given). */
  commit(pass: PassCommit): Promise<string | null>;

  appendEvents(events: NewEvent[]): Promise<void>;
  listEvents(filter: EventFilter): Promise<Page<SyncEvent>>;

  getCursor(connection: string, side: Side): Promise<Cursor>;
  saveCursor(cursor: Cursor): Promise<void>;

  listConflicts(filter: { connection?: string; state?: 'open' | 'resolved'; linkId?: string }): Promise<Conflict[]>;
  getConflict(id: string): Promise<Conflict | null>;

  recordError(error: NewError): Promise<ErrorRecord>;
  listErrors(filter: { connection?: string; state?: 'open' | 'resolved'; linkId?: string }): Promise<ErrorRecord[]>;
  getError(id: string): Promise<ErrorRecord | null>;
  resolveError(id: string): Promise<void>;

  counts(connection?: string): Promise<LedgerCounts>;

  /** The connection's first sync, or null before it started. */
  firstSync(connection: string): Promise<FirstSync | null>;
  /** Records the first sync's start (now) unless one is recorded; returns the record. */
  startFirstSync(connection: string): Promise<FirstSync>;
  /** Records the first sync's end (now) unless recorded. */
  finishFirstSync(connection: string): Promise<void>;

  /** Connections paused at run time. */
  pauses(): Promise<ConnectionPause[]>;
  /** Pauses a connection (with a note) or, with null, resumes it. Idempotent. */
  setPause(connection: string, pause: { note: string | null } | null): Promise<void>;

  /**
   * Claims a link (or a source ticket key) for this instance for `leaseMs`. SQLite (one
   * instance) always grants; PostgreSQL grants when unclaimed or the lease expired.
   */
  claim(key: string, owner: string, leaseMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
}
