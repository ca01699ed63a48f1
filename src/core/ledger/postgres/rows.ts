// Row mapping for the PostgreSQL ledger: pg returns BIGINT/COUNT as strings, TIMESTAMPTZ as
// Date and JSONB already parsed. The shared mappers live in ../rows.ts.
import type { JsonValue, Side } from '../../types.js';
import { rowMappers, str, strOrNull, type Row } from '../rows.js';
import type { Baseline, AttachmentMapEntry, CommentMapEntry, LinkSnapshot } from '../types.js';

export { str, strOrNull, type Row };

export const { toLink, toIntent, toEvent, toConflict, toError } = rowMappers({
  json: (v) => (v === undefined ? null : (v as JsonValue)),
  bool: (v) => v === true,
});

/** A BIGSERIAL id as the ledger hands it out; anything else can never match a row. */
export const isId = (id: string): boolean => /^[0-9]{1,18}$/.test(id);

/** A link row carrying `baselines` (jsonb object) and `comments` (jsonb array) aggregates. */
export function toSnapshot(r: Row): LinkSnapshot {
  const baselines = (r.baselines ?? {}) as Record<string, Baseline>;
  const comments = ((r.comments ?? []) as Array<Record<string, unknown>>).map((c): CommentMapEntry => ({
    side: str(c.side) as Side,
    commentId: str(c.commentId),
    role: str(c.role) as CommentMapEntry['role'],
    twinId: strOrNull(c.twinId),
    visibility: str(c.visibility) as CommentMapEntry['visibility'],
  }));
  const attachments = ((r.attachments ?? []) as Array<Record<string, unknown>>).map((f): AttachmentMapEntry => ({
    side: str(f.side) as Side,
    attachmentId: str(f.attachmentId),
    role: str(f.role) as AttachmentMapEntry['role'],
    twinId: strOrNull(f.twinId),
    visibility: str(f.visibility) as AttachmentMapEntry['visibility'],
  }));
  return { link: toLink(r), baselines, comments, attachments };
}
