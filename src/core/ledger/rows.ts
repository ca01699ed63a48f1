// Row -> ledger type mapping shared by the SQLite and PostgreSQL ledgers. The drivers differ
// only in how JSON and booleans come back (TEXT and 0/1 in SQLite, JSONB and booleans in pg).
import type { JsonValue, Side } from '../types.js';
import type {
  Baseline,
  Conflict,
  ErrorRecord,
  FirstSync,
  Intent,
  IntentKind,
  Link,
  LinkState,
  SyncEvent,
} from './types.js';

export type Row = Record<string, unknown>;

export const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : v instanceof Date
      ? v.toISOString()
      : typeof v === 'number' || typeof v === 'bigint'
        ? v.toString()
        : JSON.stringify(v);
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));

export interface RowDecoders {
  /** A JSON column as the driver returns it. */
  json: (value: unknown) => JsonValue;
  /** A boolean column as the driver returns it. */
  bool: (value: unknown) => boolean;
}

export interface RowMappers {
  toLink: (r: Row) => Link;
  toIntent: (r: Row) => Intent;
  toEvent: (r: Row) => SyncEvent;
  toConflict: (r: Row) => Conflict;
  toError: (r: Row) => ErrorRecord;
}

export function rowMappers({ json, bool }: RowDecoders): RowMappers {
  return {
    toLink: (r) => ({
      id: str(r.id),
      connection: str(r.connection),
      aId: str(r.a_id),
      bId: str(r.b_id),
      state: str(r.state) as LinkState,
      aVersion: strOrNull(r.a_version),
      bVersion: strOrNull(r.b_version),
      aKey: strOrNull(r.a_key),
      bKey: strOrNull(r.b_key),
      aMemo: r.a_memo === null || r.a_memo === undefined ? null : json(r.a_memo),
      bMemo: r.b_memo === null || r.b_memo === undefined ? null : json(r.b_memo),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
      note: strOrNull(r.note),
      closedSince: strOrNull(r.closed_since),
    }),
    toIntent: (r) => ({
      id: str(r.id),
      connection: str(r.connection),
      kind: str(r.kind) as IntentKind,
      targetSide: str(r.target_side) as Side,
      sourceId: str(r.source_id),
      linkId: strOrNull(r.link_id),
      marker: str(r.marker),
      payload: json(r.payload),
      createdAt: str(r.created_at),
    }),
    toEvent: (r) => ({
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
      data: r.data === null || r.data === undefined ? null : json(r.data),
    }),
    toConflict: (r) => ({
      id: str(r.id),
      connection: str(r.connection),
      linkId: str(r.link_id),
      field: str(r.field),
      aValue: json(r.a_value),
      bValue: json(r.b_value),
      baseline: json(r.baseline) as unknown as Baseline,
      state: str(r.state) as Conflict['state'],
      createdAt: str(r.created_at),
      resolvedAt: strOrNull(r.resolved_at),
      resolution: strOrNull(r.resolution),
    }),
    toError: (r) => ({
      id: str(r.id),
      connection: str(r.connection),
      linkId: strOrNull(r.link_id),
      side: strOrNull(r.side) as Side | null,
      ticketId: strOrNull(r.ticket_id),
      code: str(r.code),
      message: str(r.message),
      retryable: bool(r.retryable),
      attempts: Number(r.attempts),
      state: str(r.state) as ErrorRecord['state'],
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
    }),
  };
}

/** A first_syncs row. */
export function toFirstSync(r: Row): FirstSync {
  return { connection: str(r.connection), startedAt: str(r.started_at), finishedAt: strOrNull(r.finished_at) };
}
