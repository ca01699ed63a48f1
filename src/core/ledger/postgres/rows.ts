// Row -> ledger type mapping for the PostgreSQL ledger. pg returns BIGINT/COUNT as strings,
// TIMESTAMPTZ as Date and JSONB already parsed; these turn rows into the Ledger's plain shapes.
import type { JsonValue, Side } from '../../types.js';
import type { Baseline, CommentMapEntry, Conflict, ErrorRecord, Intent, IntentKind, Link, LinkSnapshot, LinkState, SyncEvent } from '../types.js';

export type Row = Record<string, unknown>;

export const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : JSON.stringify(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));
const json = (v: unknown): JsonValue => (v === undefined ? null : (v as JsonValue));

/** A BIGSERIAL id as the ledger hands it out; anything else can never match a row. */
export const isId = (id: string): boolean => /^[0-9]{1,18}$/.test(id);

export function toLink(r: Row): Link {
  return {
    id: str(r.id),
    connection: str(r.connection),
    aId: str(r.a_id),
    bId: str(r.b_id),
    state: str(r.state) as LinkState,
    aVersion: strOrNull(r.a_version),
    bVersion: strOrNull(r.b_version),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
    note: strOrNull(r.note),
  };
}

/** A link row carrying `baselines` (jsonb object) and `comments` (jsonb array) aggregates. */
export function toSnapshot(r: Row): LinkSnapshot {
  const baselines = (r.baselines ?? {}) as Record<string, Baseline>;
  const comments = ((r.comments ?? []) as Array<Record<string, unknown>>).map(
    (c): CommentMapEntry => ({
      side: str(c.side) as Side,
      commentId: str(c.commentId),
      role: str(c.role) as CommentMapEntry['role'],
      twinId: strOrNull(c.twinId),
      visibility: str(c.visibility) as CommentMapEntry['visibility'],
    }),
  );
  return { link: toLink(r), baselines, comments };
}

export function toIntent(r: Row): Intent {
  return {
    id: str(r.id),
    connection: str(r.connection),
    kind: str(r.kind) as IntentKind,
    targetSide: str(r.target_side) as Side,
    sourceId: str(r.source_id),
    linkId: strOrNull(r.link_id),
    marker: str(r.marker),
    createdAt: str(r.created_at),
  };
}

export function toEvent(r: Row): SyncEvent {
  return {
    id: str(r.id),
    at: str(r.at),
    connection: str(r.connection),
    linkId: strOrNull(r.link_id),
    side: strOrNull(r.side) as Side | null,
    field: strOrNull(r.field),
    kind: str(r.kind) as SyncEvent['kind'],
    oldValue: json(r.old_value),
    newValue: json(r.new_value),
    reason: str(r.reason),
  };
}

export function toConflict(r: Row): Conflict {
  return {
    id: str(r.id),
    connection: str(r.connection),
    linkId: str(r.link_id),
    field: str(r.field),
    aValue: json(r.a_value),
    bValue: json(r.b_value),
    baseline: r.baseline as Baseline,
    state: str(r.state) as Conflict['state'],
    createdAt: str(r.created_at),
    resolvedAt: strOrNull(r.resolved_at),
    resolution: strOrNull(r.resolution),
  };
}

export function toError(r: Row): ErrorRecord {
  return {
    id: str(r.id),
    connection: str(r.connection),
    linkId: strOrNull(r.link_id),
    side: strOrNull(r.side) as Side | null,
    ticketId: strOrNull(r.ticket_id),
    code: str(r.code),
    message: str(r.message),
    retryable: r.retryable === true,
    attempts: Number(r.attempts),
    state: str(r.state) as ErrorRecord['state'],
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
  };
}
