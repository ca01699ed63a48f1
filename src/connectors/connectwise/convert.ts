// ConnectWise payloads <-> ticketbridge values: tickets to `Ticket` (native field names, names not
// ids), notes to `Comment` (visibility from the three category flags), the `conditions` literals
// and the plain-text normalisation every text field goes through.
import { RemoteValidationError } from '../../core/errors.js';
import { MARKER_PATTERN, parseMirroredComment } from '../../core/marker.js';
import { normaliseText } from '../../core/text.js';
import type { Comment, FieldValues, InvalidTicket, Ticket, Visibility } from '../../core/types.js';
import { type CwNote, CwTicket } from './schema.js';

/** The native fields a ConnectWise ticket exposes, in ConnectWise's own names. */
export const TICKET_FIELDS = [
  'summary',
  'description',
  'status',
  'priority',
  'board',
  'type',
  'subType',
  'item',
  'owner',
  'company',
  'contact',
  'severity',
  'impact',
  'budgetHours',
  'externalXRef',
] as const;

/** ConnectWise's `summary` holds 100 characters. */
export const SUMMARY_MAX = 100;

/**
 * ConnectWise cannot hold an empty note, and deleting the description note would make the next
 * Discussion note (a comment) read as the description. A cleared description is this text,
 * which reads back as empty.
 */
export const CLEARED_DESCRIPTION = '(No description: it was cleared in the linked ticket. ticketbridge)';

/**
 * The description note of a twin created from a ticket without a description: ConnectWise keeps no
 * empty note, and the twin needs its description note from the start (so no later note is ever
 * taken for it). Reads back as empty.
 */
export const EMPTY_DESCRIPTION = '(No description in the linked ticket. ticketbridge)';

/** The description a description note holds: its text, or empty for the two placeholder notes. */
export function descriptionText(text: string | null | undefined): string {
  const normal = normaliseText(text);
  return normal === CLEARED_DESCRIPTION || normal === EMPTY_DESCRIPTION ? '' : normal;
}

/** How far a ticket's initial description note may be from the ticket's creation (same request). */
export const INITIAL_NOTE_WINDOW_MS = 5_000;

/**
 * Whether a note is the ticket's initial description: a Discussion note ConnectWise made from
 * `initialDescription` when the ticket was created. A mirrored comment (it carries a marker footer)
 * or a note added later never is, though it has the same Discussion flag.
 */
export function isInitialDescription(note: CwNote, ticket: CwTicket): boolean {
  if (note.detailDescriptionFlag !== true) return false;
  if (parseMirroredComment(normaliseText(note.text)).marker !== null) return false;
  const dateEntered = ticket._info.dateEntered;
  const entered = typeof dateEntered === 'string' ? Date.parse(dateEntered) : Number.NaN;
  const created = Date.parse(note.dateCreated ?? '');
  if (Number.isNaN(entered) || Number.isNaN(created)) return true;
  return Math.abs(created - entered) <= INITIAL_NOTE_WINDOW_MS;
}

/**
 * What the link keeps for a ConnectWise ticket (`Ticket.memo`): the id of the note that is its
 * description, or null when it has none. Anything else is no memo.
 */
export interface CwMemo {
  descriptionNoteId: number | null;
}

export function readMemo(memo: unknown): CwMemo | undefined {
  if (typeof memo !== 'object' || memo === null || !('descriptionNoteId' in memo)) return undefined;
  const id = memo.descriptionNoteId;
  return id === null || (typeof id === 'number' && Number.isInteger(id)) ? { descriptionNoteId: id } : undefined;
}

/** A string literal for `conditions`, quoted with whichever quote it does not contain. */
export function conditionString(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  // ConnectWise documents no escape for quotes inside a literal (research note §12).
  throw new RemoteValidationError(
    `ConnectWise conditions cannot express a value containing both quote characters: ${value}`,
  );
}

/** A datetime literal for `conditions`: `[2024-01-01T00:00:00Z]`, second precision. */
export function conditionDate(date: Date): string {
  return `[${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')}]`;
}

function markerOf(externalXRef: string | null | undefined): string | null {
  if (!externalXRef) return null;
  const match = MARKER_PATTERN.exec(externalXRef);
  return match && match[0] === externalXRef.trim() ? match[0] : null;
}

export interface TicketContext {
  /** The description note's text, when the ticket has one. */
  description: string | null | undefined;
  inScope: (ticket: CwTicket) => boolean;
  /** UI link for the dashboard. */
  url: (id: number) => string;
}

/** Parses one raw ticket; a malformed one becomes `{id, invalid: '<field>: <problem>'}`. */
export function parseTicket(raw: unknown): CwTicket | InvalidTicket {
  const result = CwTicket.safeParse(raw);
  if (result.success) return result.data;
  const rawId = (raw as { id?: unknown } | null)?.id;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'ticket';
  return {
    id: typeof rawId === 'number' || typeof rawId === 'string' ? String(rawId) : 'unknown',
    invalid: `${field}: ${issue?.message ?? 'invalid'}`,
  };
}

function createdOf(t: CwTicket): { createdAt?: string } {
  const entered = (t._info as Record<string, unknown>).dateEntered;
  const ms = typeof entered === 'string' ? Date.parse(entered) : Number.NaN;
  return Number.isNaN(ms) ? {} : { createdAt: new Date(ms).toISOString() };
}

export function toTicket(t: CwTicket, context: TicketContext): Ticket {
  const fields: FieldValues = {
    summary: t.summary,
    description: descriptionText(context.description),
    status: t.status.name,
    priority: t.priority?.name ?? null,
    board: t.board.name,
    type: t.type?.name ?? null,
    subType: t.subType?.name ?? null,
    item: t.item?.name ?? null,
    owner: t.owner?.identifier ?? null,
    company: t.company.identifier,
    contact: t.contact?.name ?? null,
    severity: t.severity ?? null,
    impact: t.impact ?? null,
    budgetHours: t.budgetHours ?? null,
    externalXRef: t.externalXRef ?? null,
  };
  return {
    id: String(t.id),
    version: new Date(Date.parse(t._info.lastUpdated)).toISOString(),
    fields,
    url: context.url(t.id),
    marker: markerOf(t.externalXRef),
    inScope: context.inScope(t),
    // closedFlag follows the status's closedStatus; _info.dateEntered is the creation time (spec: Ticket).
    closed: t.closedFlag === true,
    ...createdOf(t),
  };
}

/** Discussion and Resolution notes are customer-visible; Internal Analysis alone is internal. */
export function noteVisibility(note: CwNote): Visibility {
  if (note.detailDescriptionFlag === true || note.resolutionFlag === true) return 'public';
  return note.internalAnalysisFlag === true ? 'internal' : 'public';
}

export function toComment(note: CwNote): Comment {
  const { body, marker } = parseMirroredComment(normaliseText(note.text));
  const author = note.member?.name ?? note.contact?.name ?? note.createdBy ?? undefined;
  const created = note.dateCreated ? Date.parse(note.dateCreated) : Number.NaN;
  return {
    id: String(note.id),
    body,
    visibility: noteVisibility(note),
    ...(author ? { author } : {}),
    createdAt: new Date(Number.isNaN(created) ? 0 : created).toISOString(),
    marker,
  };
}

/** The flags a note is written with: internal notes only as Internal Analysis, public as Discussion. */
export function noteFlags(visibility: Visibility): {
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
} {
  return visibility === 'internal'
    ? { detailDescriptionFlag: false, internalAnalysisFlag: true, resolutionFlag: false }
    : { detailDescriptionFlag: true, internalAnalysisFlag: false, resolutionFlag: false };
}

/** A value written to a name-valued field must be a non-empty string (or null to clear, where allowed). */
export function nameValue(field: string, value: unknown, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new RemoteValidationError(
    `ConnectWise ${field} must be ${nullable ? 'a name or null' : 'a name'}, got ${JSON.stringify(value)}`,
    { field },
  );
}

export function isParsedTicket(value: CwTicket | InvalidTicket): value is CwTicket {
  return (value as InvalidTicket).invalid === undefined;
}
