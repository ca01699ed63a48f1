// Markers: the correlation values stamped on everything the daemon creates remotely, so a crash
// between a remote create and the ledger commit can be recovered by looking the marker up.
// Comments carry theirs in a short footer line that every connector writes and strips the same way.

/** Markers are `tb:` plus letters, digits, `:`, `_` and `-`; safe in labels, tags and text. */
export const MARKER_PATTERN = /tb:[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)*/;

export function ticketMarker(connection: string, intentId: string): string {
  return `tb:${connection}:${intentId}`;
}

export function commentMarker(connection: string, linkId: string, sourceSide: string, sourceCommentId: string): string {
  const safe = sourceCommentId.replace(/[^A-Za-z0-9_-]/g, '-');
  return `tb:${connection}:${linkId}:${sourceSide}${safe}`;
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
