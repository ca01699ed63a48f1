// Markers: the correlation values stamped on everything the daemon creates remotely, so a crash
// between a remote create and the ledger commit can be recovered by looking the marker up.
// Comments carry theirs in a short footer line that every connector writes and strips the same way.
// Copied files carry a short tag of theirs in the file name.
import { createHash } from 'node:crypto';

/** Markers are `tb:` plus letters, digits, `:`, `_` and `-`; safe in labels, tags and text. */
export const MARKER_PATTERN = /tb:[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)*/;

export function ticketMarker(connection: string, intentId: string): string {
  return `tb:${connection}:${intentId}`;
}

/**
 * The markers stamped on two tickets a person paired (`ticketbridge link`): each names the ticket
 * on the other side, as a twin's marker names its source (`tb:<connection>:a<id>`), so a marker
 * lookup or a ledger rebuild finds the pair from either side, and neither ticket is ever taken for
 * a source that needs a twin.
 */
export function pairMarkers(connection: string, ids: { a: string; b: string }): { a: string; b: string } {
  const safe = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '-');
  return { a: ticketMarker(connection, `b${safe(ids.b)}`), b: ticketMarker(connection, `a${safe(ids.a)}`) };
}

export function commentMarker(connection: string, linkId: string, sourceSide: string, sourceCommentId: string): string {
  const safe = sourceCommentId.replace(/[^A-Za-z0-9_-]/g, '-');
  return `tb:${connection}:${linkId}:${sourceSide}${safe}`;
}

/**
 * Whether a comment marker names this source comment under any link of the connection: a copy
 * made under a link the ledger has lost (comment ids are unique in their system, so the source
 * side and id identify the comment whatever link id the marker carries).
 */
export function namesSourceComment(
  marker: string | null | undefined,
  connection: string,
  sourceSide: string,
  sourceCommentId: string,
): boolean {
  if (!marker?.startsWith(`tb:${connection}:`)) return false;
  const safe = sourceCommentId.replace(/[^A-Za-z0-9_-]/g, '-');
  const parts = marker.slice(`tb:${connection}:`.length).split(':');
  return parts.length === 2 && parts[1] === `${sourceSide}${safe}`;
}

const FOOTER = /\n*\u2014 ticketbridge \[(tb:[A-Za-z0-9:_-]+)\]\s*$/;

/** The text a mirrored comment is written with: attribution, body, marker footer. */
export function formatMirroredComment(comment: {
  body: string;
  author?: string;
  origin?: string;
  marker: string;
}): string {
  const who = [comment.author, comment.origin ? `(${comment.origin})` : undefined].filter(Boolean).join(' ');
  const head = who ? `${who} wrote:\n` : '';
  return `${head}${comment.body}\n\n\u2014 ticketbridge [${comment.marker}]`;
}

/** Splits a comment's plain text into its body and the marker footer, if it has one. */
export function parseMirroredComment(text: string): { body: string; marker: string | null } {
  const match = FOOTER.exec(text);
  if (!match) return { body: text, marker: null };
  return { body: text.slice(0, match.index), marker: match[1] ?? null };
}

/**
 * The marker of a file copied from `sourceSide`'s attachment to the other side of a link. It names
 * the connection and the source file only (attachment ids are unique in their system, as comment
 * ids are), so a copy is recognised from what both systems hold even when the ledger that knew the
 * link is lost and the pair is linked again under a new link id.
 */
export function attachmentMarker(connection: string, sourceSide: string, sourceAttachmentId: string): string {
  const safe = sourceAttachmentId.replace(/[^A-Za-z0-9_-]/g, '-');
  return `tb:${connection}:file:${sourceSide}:${safe}`;
}

/** The marker earlier versions gave a copied file: it also named the link the copy was made under. */
export function legacyAttachmentMarker(
  connection: string,
  linkId: string,
  sourceSide: string,
  sourceAttachmentId: string,
): string {
  const safe = sourceAttachmentId.replace(/[^A-Za-z0-9_-]/g, '-');
  return `tb:${connection}:${linkId}:file:${sourceSide}${safe}`;
}

/**
 * The link ids that markers of this connection's copied comments and file notes name (`tb:<c>:<link>:…`):
 * the links a pair was synced under before, which an older copied file's tag may stand for.
 */
export function linkIdsNamed(markers: readonly (string | null | undefined)[], connection: string): string[] {
  const ids = new Set<string>();
  for (const marker of markers) {
    if (!marker?.startsWith(`tb:${connection}:`)) continue;
    const parts = marker.slice(`tb:${connection}:`.length).split(':');
    if (parts.length >= 2 && parts[0] !== 'file') ids.add(parts[0]!);
  }
  return [...ids];
}

/**
 * The short tag a copied file carries in its name: `tb-` and 12 hex digits of the marker's
 * SHA-256. File names must stay short and portable (no `:`), so the tag stands for the marker.
 */
export function fileTag(marker: string): string {
  return `tb-${createHash('sha256').update(marker).digest('hex').slice(0, 12)}`;
}

const TAGGED_NAME = /^(.*) \[(tb-[0-9a-f]{12})\](\.[A-Za-z0-9_-]{1,16})?$/;

/** `report.pdf` + marker → `report [tb-3f9a2c81d0e4].pdf`: the name the copy is uploaded with. */
export function tagFileName(name: string, marker: string): string {
  const dot = name.lastIndexOf('.');
  const hasExt = dot > 0 && /^\.[A-Za-z0-9_-]{1,16}$/.test(name.slice(dot));
  const base = hasExt ? name.slice(0, dot) : name;
  const ext = hasExt ? name.slice(dot) : '';
  return `${base} [${fileTag(marker)}]${ext}`;
}

/** Splits a file name into the name without its tag and the tag (the file marker), if any. */
export function parseFileName(name: string): { name: string; marker: string | null } {
  const match = TAGGED_NAME.exec(name);
  if (!match) return { name, marker: null };
  return { name: `${match[1] ?? ''}${match[3] ?? ''}`, marker: match[2] ?? null };
}
