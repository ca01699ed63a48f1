// The embedded ledger: SQLite through better-sqlite3 in WAL mode. One daemon instance owns the
// file; every pass commits in one transaction.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Clock, JsonValue, Side } from '../../types.js';
import { systemClock } from '../../types.js';
import { LedgerError } from '../../errors.js';
import type {
  Baseline,
  AttachmentMapEntry,
  CommentMapEntry,
  Conflict,
  ConnectionPause,
  FirstSync,
  Cursor,
  ErrorRecord,
  EventFilter,
  Intent,
  IntentKind,
  Ledger,
  LedgerCounts,
  Link,
  LinkFilter,
  LinkSnapshot,
  LinkState,
  NewError,
  NewEvent,
  NewIntent,
  Page,
  PassCommit,
  ResolveErrors,
  SyncEvent,
} from '../types.js';
import { resolvedEvent, SYNCED_AGAIN } from '../error-resolution.js';
import { sqliteMigrations } from './migrations.js';
import { rowMappers, str, strOrNull, toFirstSync, type Row } from '../rows.js';

const json = (value: JsonValue | null | undefined): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
const parse = (text: unknown): JsonValue =>
  text === null || text === undefined ? null : (JSON.parse(text as string) as JsonValue);

const isoInstant = (text: string): string => new Date(text).toISOString();

const { toLink, toIntent, toEvent, toConflict, toError } = rowMappers({ json: parse, bool: (v) => v === 1 });

/** Collects WHERE conditions and their arguments for the list queries. */
function conditions(): { where: string[]; args: unknown[]; add: (sql: string, ...values: unknown[]) => void } {
  const where: string[] = [];
  const args: unknown[] = [];
  return { where, args, add: (sql, ...values) => void (where.push(sql), args.push(...values)) };
}

export interface SqliteLedgerOptions {
  /** File path, or `:memory:` for tests. */
  path: string;
  clock?: Clock;
  /** With `:memory:`: start from this serialized database (see `SqliteLedger.copyOf`). */
  data?: Buffer;
  /**
   * Hold `<path>.lock` exclusively while open, so a second daemon on the same file refuses to
   * start; readers (the CLI's ledger, audit and report verbs) never take it and keep working.
   */
  exclusive?: boolean;
}

/** Why SQLite refused, in words, from its error code. */
function openCause(err: unknown): string {
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code.startsWith('SQLITE_CANTOPEN'))
    return 'cannot open the file (does its directory exist, and may this user write there?)';
  if (code.startsWith('SQLITE_READONLY'))
    return 'the file or its directory is read-only (the ledger must be writable: check its permissions and the mount)';
  if (code === 'SQLITE_NOTADB') return 'it is not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return 'the file is damaged';
  if (code === 'SQLITE_FULL') return 'the disk is full';
  if (code.startsWith('SQLITE_IOERR')) return 'a disk I/O error';
  if (code.startsWith('SQLITE_BUSY')) return 'another process holds it locked';
  if (code === 'EACCES' || code === 'SQLITE_PERM' || code.startsWith('SQLITE_AUTH')) return 'permission denied';
  return 'it could not be opened';
}

function openError(path: string, err: unknown): LedgerError {
  const detail = err instanceof Error ? err.message : String(err);
  return new LedgerError(`cannot open the SQLite ledger ${path}: ${openCause(err)} (${detail})`, { cause: err });
}

/** PRAGMA quick_check at start: a damaged file is refused, naming it, instead of failing every pass. */
function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const lines = rows.map((r) => r.quick_check);
  if (lines.length === 1 && lines[0] === 'ok') return;
  throw new LedgerError(
    `cannot open the SQLite ledger ${path}: the file is damaged (PRAGMA quick_check: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? `; … ${lines.length} problems` : ''}); restore it from a backup (see ticketbridge ledger check)`,
  );
}

/**
 * SQLite silently opens a file it may not write read-only; the daemon would then fail every pass.
 * A write that changes nothing, rolled back, makes it say so at start.
 */
function probeWrite(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  db.exec('BEGIN IMMEDIATE');
  try {
    db.prepare('DELETE FROM schema_migrations WHERE version < 0').run();
  } finally {
    db.exec('ROLLBACK');
  }
}

/** Takes `<path>.lock` (a tiny SQLite file held in exclusive locking mode; the OS frees it when the process dies). */
function takeLock(path: string): Database.Database {
  const lockPath = `${path}.lock`;
  let lock: Database.Database;
  try {
    lock = new Database(lockPath, { timeout: 0 });
  } catch (err) {
    throw openError(lockPath, err);
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock, and exclusive locking mode keeps it until close.
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at TEXT NOT NULL)');
    lock.exec('DELETE FROM holder');
    lock.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    return lock;
  } catch (err) {
    lock.close();
    if (String((err as { code?: string }).code).startsWith('SQLITE_BUSY'))
      throw new LedgerError(
        `the SQLite ledger ${path} is in use by another ticketbridge daemon (it holds ${lockPath}); only one daemon runs on a SQLite ledger — use PostgreSQL to run several`,
      );
    throw openError(lockPath, err);
  }
}

export class SqliteLedger implements Ledger {
  readonly driver = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly stmt: ReturnType<SqliteLedger['prepare']>;

  /**
   * An in-memory copy of the ledger file at `path` (its write-ahead log included), migrated in
   * memory: for readers that must write nothing to disk (the dry run). Null when there is no file.
   */
  static copyOf(path: string, clock?: Clock): SqliteLedger | null {
    if (!existsSync(path)) return null;
    let image: Buffer;
    if (existsSync(`${path}-wal`)) {
      // A running (or stopped) daemon's log holds recent commits: read through it, read-only.
      const source = new Database(path, { readonly: true, fileMustExist: true });
      try {
        image = source.serialize();
      } finally {
        source.close();
      }
    } else {
      image = readFileSync(path);
    }
    // A copy in memory keeps no write-ahead log: mark the image as a rollback-journal database.
    image = Buffer.from(image);
    if (image.length > 19) image[18] = image[19] = 1;
    return new SqliteLedger({ path: ':memory:', data: image, ...(clock ? { clock } : {}) });
  }

  private readonly lock: Database.Database | null;

  constructor(options: SqliteLedgerOptions) {
    const onDisk = !options.data && options.path !== ':memory:' && options.path !== '';
    this.lock = options.exclusive && onDisk ? takeLock(options.path) : null;
    this.clock = options.clock ?? systemClock;
    let db: Database.Database | null = null;
    try {
      db = options.data ? new Database(options.data) : new Database(options.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      if (onDisk) {
        checkIntegrity(db, options.path);
        probeWrite(db);
      }
      this.db = db;
      this.migrateSync();
      this.stmt = this.prepare();
    } catch (err) {
      if (db?.open) db.close();
      this.lock?.close();
      throw err instanceof LedgerError ? err : openError(options.path, err);
    }
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private migrateSync(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)),
    );
    for (const m of sqliteMigrations) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, this.nowIso());
      })();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getLink: db.prepare('SELECT * FROM links WHERE id = ?'),
      findLinkA: db.prepare('SELECT * FROM links WHERE connection = ? AND a_id = ?'),
      findLinkB: db.prepare('SELECT * FROM links WHERE connection = ? AND b_id = ?'),
      baselines: db.prepare('SELECT field, a_value, b_value FROM baselines WHERE link_id = ?'),
      comments: db.prepare('SELECT side, comment_id, role, twin_id, visibility FROM comment_map WHERE link_id = ?'),
      attachments: db.prepare(
        'SELECT side, attachment_id, role, twin_id, visibility FROM attachment_map WHERE link_id = ? ORDER BY side, attachment_id',
      ),
      upsertAttachment: db.prepare(
        'INSERT INTO attachment_map (link_id, side, attachment_id, role, twin_id, visibility) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(link_id, side, attachment_id) DO UPDATE SET role = excluded.role, twin_id = excluded.twin_id',
      ),
      insertLink: db.prepare(
        'INSERT INTO links (connection, a_id, b_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setLinkState: db.prepare('UPDATE links SET state = ?, note = ?, updated_at = ? WHERE id = ?'),
      setClosedSince: db.prepare('UPDATE links SET closed_since = ? WHERE id = ?'),
      setVersionA: db.prepare('UPDATE links SET a_version = ?, updated_at = ? WHERE id = ?'),
      setKeys: db.prepare('UPDATE links SET a_key = COALESCE(?, a_key), b_key = COALESCE(?, b_key) WHERE id = ?'),
      setMemoA: db.prepare('UPDATE links SET a_memo = ? WHERE id = ?'),
      setMemoB: db.prepare('UPDATE links SET b_memo = ? WHERE id = ?'),
      setVersionB: db.prepare('UPDATE links SET b_version = ?, updated_at = ? WHERE id = ?'),
      upsertBaseline: db.prepare(
        'INSERT INTO baselines (link_id, field, a_value, b_value, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(link_id, field) DO UPDATE SET a_value = excluded.a_value, b_value = excluded.b_value, updated_at = excluded.updated_at',
      ),
      upsertComment: db.prepare(
        'INSERT INTO comment_map (link_id, side, comment_id, role, twin_id, visibility) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(link_id, side, comment_id) DO UPDATE SET role = excluded.role, twin_id = excluded.twin_id',
      ),
      insertEvent: db.prepare(
        'INSERT INTO events (at, connection, link_id, side, field, kind, old_value, new_value, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertConflict: db.prepare(
        "INSERT INTO conflicts (connection, link_id, field, a_value, b_value, baseline, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
      ),
      openConflictFor: db.prepare("SELECT id FROM conflicts WHERE link_id = ? AND field = ? AND state = 'open'"),
      updateConflictValues: db.prepare('UPDATE conflicts SET a_value = ?, b_value = ? WHERE id = ?'),
      closeConflict: db.prepare(
        "UPDATE conflicts SET state = 'resolved', resolved_at = ?, resolution = ? WHERE id = ? AND state = 'open'",
      ),
      intentDone: db.prepare("UPDATE intents SET state = 'done' WHERE id = ?"),
      insertIntent: db.prepare(
        "INSERT INTO intents (connection, kind, target_side, source_id, link_id, marker, payload, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
      ),
      linkIntents: db.prepare("SELECT * FROM intents WHERE link_id = ? AND state = 'pending' ORDER BY id"),
      findIntent: db.prepare(
        'SELECT * FROM intents WHERE connection = ? AND kind = ? AND target_side = ? AND source_id = ?',
      ),
      // A link's open errors: recorded on it, or recorded without a link for either of its tickets.
      openErrorsOfLink: db.prepare(
        "SELECT e.* FROM errors e JOIN links l ON l.id = ? WHERE e.state = 'open' AND (e.link_id = l.id OR (e.link_id IS NULL AND e.connection = l.connection AND ((e.side = 'a' AND e.ticket_id = l.a_id) OR (e.side = 'b' AND e.ticket_id = l.b_id)))) ORDER BY e.id",
      ),
      openErrorsOfTicket: db.prepare(
        "SELECT * FROM errors WHERE connection = ? AND side = ? AND ticket_id = ? AND link_id IS NULL AND state = 'open' ORDER BY id",
      ),
      resolveError: db.prepare("UPDATE errors SET state = 'resolved', updated_at = ? WHERE id = ? AND state = 'open'"),
      getCursor: db.prepare('SELECT * FROM cursors WHERE connection = ? AND side = ?'),
      saveCursor: db.prepare(
        'INSERT INTO cursors (connection, side, since, seen_ids, last_poll_at, last_success_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(connection, side) DO UPDATE SET since = excluded.since, seen_ids = excluded.seen_ids, last_poll_at = excluded.last_poll_at, last_success_at = excluded.last_success_at, last_error = excluded.last_error',
      ),
      findOpenError: db.prepare(
        "SELECT * FROM errors WHERE connection = ? AND link_id IS ? AND side IS ? AND ticket_id IS ? AND code = ? AND state = 'open'",
      ),
      bumpError: db.prepare(
        'UPDATE errors SET attempts = attempts + 1, message = ?, retryable = ?, updated_at = ? WHERE id = ?',
      ),
      insertError: db.prepare(
        'INSERT INTO errors (connection, link_id, side, ticket_id, code, message, retryable, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getError: db.prepare('SELECT * FROM errors WHERE id = ?'),
    };
  }

  async migrate(): Promise<void> {
    this.migrateSync();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.lock?.open) this.lock.close();
  }

  /** A real read: the migration level and the newest link (pages a damaged file cannot serve). */
  async ping(): Promise<void> {
    this.db.prepare('SELECT max(version) FROM schema_migrations').get();
    this.db.prepare('SELECT id, state FROM links ORDER BY id DESC LIMIT 1').get();
  }

  async getLink(id: string): Promise<Link | null> {
    const r = this.stmt.getLink.get(id) as Row | undefined;
    return r ? toLink(r) : null;
  }

  async findLink(connection: string, side: Side, ticketId: string): Promise<Link | null> {
    const r = (side === 'a' ? this.stmt.findLinkA : this.stmt.findLinkB).get(connection, ticketId) as Row | undefined;
    return r ? toLink(r) : null;
  }

  async snapshot(linkId: string): Promise<LinkSnapshot | null> {
    const r = this.stmt.getLink.get(linkId) as Row | undefined;
    if (!r) return null;
    const baselines: Record<string, Baseline> = {};
    for (const b of this.stmt.baselines.all(linkId) as Row[])
      baselines[str(b.field)] = { a: parse(b.a_value), b: parse(b.b_value) };
    const comments: CommentMapEntry[] = (this.stmt.comments.all(linkId) as Row[]).map((c) => ({
      side: str(c.side) as Side,
      commentId: str(c.comment_id),
      role: str(c.role) as CommentMapEntry['role'],
      twinId: strOrNull(c.twin_id),
      visibility: str(c.visibility) as CommentMapEntry['visibility'],
    }));
    const attachments: AttachmentMapEntry[] = (this.stmt.attachments.all(linkId) as Row[]).map((c) => ({
      side: str(c.side) as Side,
      attachmentId: str(c.attachment_id),
      role: str(c.role) as AttachmentMapEntry['role'],
      twinId: strOrNull(c.twin_id),
      visibility: str(c.visibility) as AttachmentMapEntry['visibility'],
    }));
    return { link: toLink(r), baselines, comments, attachments };
  }

  async listLinks(filter: LinkFilter): Promise<Page<Link>> {
    const { where, args, add } = conditions();
    if (filter.connection) add('connection = ?', filter.connection);
    if (filter.state) add('state = ?', filter.state);
    if (filter.ticketId) add('(a_id = ? OR b_id = ?)', filter.ticketId, filter.ticketId);
    if (filter.tickets) {
      const any: string[] = [];
      for (const t of filter.tickets) {
        const parts: string[] = [];
        if (t.connection !== undefined) {
          parts.push('connection = ?');
          args.push(t.connection);
        }
        const [a, b, value] =
          t.key !== undefined
            ? ['UPPER(a_key) = UPPER(?)', 'UPPER(b_key) = UPPER(?)', t.key]
            : ['a_id = ?', 'b_id = ?', t.ticketId];
        parts.push(t.side === 'a' ? a : t.side === 'b' ? b : `(${a} OR ${b})`);
        args.push(...(t.side ? [value] : [value, value]));
        any.push(`(${parts.join(' AND ')})`);
      }
      where.push(any.length > 0 ? `(${any.join(' OR ')})` : '0 = 1');
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(filter.limit ?? 50, 500);
    const offset = filter.offset ?? 0;
    const total = Number((this.db.prepare(`SELECT COUNT(*) AS n FROM links ${clause}`).get(...args) as Row).n);
    const rows = this.db
      .prepare(`SELECT * FROM links ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, limit, offset) as Row[];
    return { items: rows.map(toLink), total, offset, limit };
  }

  async linkIds(connection: string, state: LinkState, afterId: string | null, limit: number): Promise<string[]> {
    const rows = this.db
      .prepare('SELECT id FROM links WHERE connection = ? AND state = ? AND id > ? ORDER BY id LIMIT ?')
      .all(connection, state, afterId === null ? 0 : Number(afterId), limit) as Row[];
    return rows.map((r) => str(r.id));
  }

  async pendingIntentsForLink(linkId: string): Promise<Intent[]> {
    return (this.stmt.linkIntents.all(linkId) as Row[]).map(toIntent);
  }

  async addIntent(intent: NewIntent): Promise<Intent | null> {
    const info = this.stmt.insertIntent.run(
      intent.connection,
      intent.kind,
      intent.targetSide,
      intent.sourceId,
      intent.linkId,
      intent.marker,
      json(intent.payload),
      this.nowIso(),
    );
    if (info.changes === 0) return null;
    return toIntent(this.db.prepare('SELECT * FROM intents WHERE id = ?').get(info.lastInsertRowid) as Row);
  }

  async findIntent(connection: string, kind: IntentKind, targetSide: Side, sourceId: string): Promise<Intent | null> {
    const r = this.stmt.findIntent.get(connection, kind, targetSide, sourceId) as Row | undefined;
    return r && r.state === 'pending' ? toIntent(r) : null;
  }

  async pendingIntents(connection?: string): Promise<Intent[]> {
    const rows = (
      connection
        ? this.db
            .prepare("SELECT * FROM intents WHERE state = 'pending' AND connection = ? ORDER BY id")
            .all(connection)
        : this.db.prepare("SELECT * FROM intents WHERE state = 'pending' ORDER BY id").all()
    ) as Row[];
    return rows.map(toIntent);
  }

  async dropIntent(id: string): Promise<void> {
    this.db.prepare("DELETE FROM intents WHERE id = ? AND state = 'pending'").run(id);
  }

  async commit(pass: PassCommit): Promise<string | null> {
    return this.db.transaction((): string | null => {
      const now = this.nowIso();
      let linkId = pass.linkId ?? null;
      if (pass.newLink) {
        const info = this.stmt.insertLink.run(pass.connection, pass.newLink.aId, pass.newLink.bId, 'active', now, now);
        linkId = String(info.lastInsertRowid);
      }
      if (linkId !== null) {
        if (pass.linkState) this.stmt.setLinkState.run(pass.linkState.state, pass.linkState.note, now, linkId);
        if (pass.closedSince !== undefined) this.stmt.setClosedSince.run(pass.closedSince, linkId);
        if (pass.versions?.a !== undefined) this.stmt.setVersionA.run(pass.versions.a, now, linkId);
        if (pass.versions?.b !== undefined) this.stmt.setVersionB.run(pass.versions.b, now, linkId);
        if (pass.keys?.a !== undefined || pass.keys?.b !== undefined)
          this.stmt.setKeys.run(pass.keys.a ?? null, pass.keys.b ?? null, linkId);
        if (pass.memos?.a !== undefined) this.stmt.setMemoA.run(JSON.stringify(pass.memos.a), linkId);
        if (pass.memos?.b !== undefined) this.stmt.setMemoB.run(JSON.stringify(pass.memos.b), linkId);
        for (const [field, b] of Object.entries(pass.baselines ?? {})) {
          this.stmt.upsertBaseline.run(linkId, field, JSON.stringify(b.a), JSON.stringify(b.b), now);
        }
        for (const c of pass.comments ?? [])
          this.stmt.upsertComment.run(linkId, c.side, c.commentId, c.role, c.twinId, c.visibility);
        for (const f of pass.attachments ?? [])
          this.stmt.upsertAttachment.run(linkId, f.side, f.attachmentId, f.role, f.twinId, f.visibility);
        for (const c of pass.openConflicts ?? []) {
          const open = this.stmt.openConflictFor.get(linkId, c.field) as Row | undefined;
          if (open) this.stmt.updateConflictValues.run(JSON.stringify(c.aValue), JSON.stringify(c.bValue), open.id);
          else
            this.stmt.insertConflict.run(
              pass.connection,
              linkId,
              c.field,
              JSON.stringify(c.aValue),
              JSON.stringify(c.bValue),
              JSON.stringify(c.baseline),
              now,
            );
        }
      }
      for (const c of pass.closeConflicts ?? []) this.stmt.closeConflict.run(now, c.resolution, c.id);
      for (const id of pass.intentsDone ?? []) this.stmt.intentDone.run(id);
      for (const e of pass.events ?? []) this.insertEvent(e, e.linkId ?? linkId, now);
      if (pass.resolveErrorsFor) this.resolveErrors(pass.connection, pass.resolveErrorsFor, linkId, now);
      return linkId;
    })();
  }

  /** Resolves the open errors a commit settles, each with its `error_resolved` event. */
  private resolveErrors(connection: string, r: ResolveErrors, commitLink: string | null, now: string): void {
    const link = r.linkId ?? commitLink;
    const rows = [
      ...(link === null ? [] : (this.stmt.openErrorsOfLink.all(link) as Row[])),
      ...(r.side && r.ticketId ? (this.stmt.openErrorsOfTicket.all(connection, r.side, r.ticketId) as Row[]) : []),
    ];
    const keep = new Set(r.keep ?? []);
    const done = new Set<string>();
    for (const error of rows.map(toError)) {
      if (keep.has(error.id) || done.has(error.id)) continue;
      done.add(error.id);
      this.stmt.resolveError.run(now, error.id);
      this.insertEvent(resolvedEvent(error, link, r.reason ?? SYNCED_AGAIN), link ?? error.linkId, now);
    }
  }

  private insertEvent(e: NewEvent, linkId: string | null, now: string): void {
    this.stmt.insertEvent.run(
      e.at ?? now,
      e.connection,
      linkId,
      e.side,
      e.field,
      e.kind,
      json(e.oldValue),
      json(e.newValue),
      e.reason,
      json(e.data),
    );
  }

  async appendEvents(events: NewEvent[]): Promise<void> {
    const now = this.nowIso();
    this.db.transaction(() => {
      for (const e of events) this.insertEvent(e, e.linkId, now);
    })();
  }

  async listEvents(filter: EventFilter): Promise<Page<SyncEvent>> {
    const { where, args, add } = conditions();
    if (filter.connection) add('connection = ?', filter.connection);
    if (filter.connections)
      add(`connection IN (${filter.connections.map(() => '?').join(', ') || 'NULL'})`, ...filter.connections);
    if (filter.linkId) add('link_id = ?', filter.linkId);
    if (filter.kind) add('kind = ?', filter.kind);
    // Instants are stored as ISO 8601 in UTC with milliseconds, so text order is time order.
    if (filter.from) add('at >= ?', isoInstant(filter.from));
    if (filter.to) add('at < ?', isoInstant(filter.to));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(filter.limit ?? 50, 1000);
    const offset = filter.offset ?? 0;
    const total = Number((this.db.prepare(`SELECT COUNT(*) AS n FROM events ${clause}`).get(...args) as Row).n);
    const order = filter.order === 'asc' ? 'ASC' : 'DESC';
    const after = filter.afterId === undefined ? '' : `${clause ? 'AND' : 'WHERE'} id ${order === 'ASC' ? '>' : '<'} ?`;
    const rows = this.db
      .prepare(`SELECT * FROM events ${clause} ${after} ORDER BY id ${order} LIMIT ? OFFSET ?`)
      .all(...args, ...(filter.afterId === undefined ? [] : [Number(filter.afterId)]), limit, offset) as Row[];
    return { items: rows.map(toEvent), total, offset, limit };
  }

  async getCursor(connection: string, side: Side): Promise<Cursor> {
    const r = this.stmt.getCursor.get(connection, side) as Row | undefined;
    if (!r)
      return { connection, side, since: null, seenIds: [], lastPollAt: null, lastSuccessAt: null, lastError: null };
    return {
      connection,
      side,
      since: strOrNull(r.since),
      seenIds: JSON.parse(str(r.seen_ids)) as string[],
      lastPollAt: strOrNull(r.last_poll_at),
      lastSuccessAt: strOrNull(r.last_success_at),
      lastError: strOrNull(r.last_error),
    };
  }

  async saveCursor(c: Cursor): Promise<void> {
    this.stmt.saveCursor.run(
      c.connection,
      c.side,
      c.since,
      JSON.stringify(c.seenIds),
      c.lastPollAt,
      c.lastSuccessAt,
      c.lastError,
    );
  }

  async listConflicts(filter: {
    connection?: string;
    state?: 'open' | 'resolved';
    linkId?: string;
  }): Promise<Conflict[]> {
    const { where, args, add } = conditions();
    if (filter.connection) add('connection = ?', filter.connection);
    if (filter.state) add('state = ?', filter.state);
    if (filter.linkId) add('link_id = ?', filter.linkId);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return (this.db.prepare(`SELECT * FROM conflicts ${clause} ORDER BY id DESC LIMIT 1000`).all(...args) as Row[]).map(
      toConflict,
    );
  }

  async getConflict(id: string): Promise<Conflict | null> {
    const r = this.db.prepare('SELECT * FROM conflicts WHERE id = ?').get(id) as Row | undefined;
    return r ? toConflict(r) : null;
  }

  async recordError(e: NewError): Promise<ErrorRecord> {
    const now = this.nowIso();
    return this.db.transaction((): ErrorRecord => {
      const open = this.stmt.findOpenError.get(e.connection, e.linkId, e.side, e.ticketId, e.code) as Row | undefined;
      if (open) {
        this.stmt.bumpError.run(e.message, e.retryable ? 1 : 0, now, open.id);
        return toError(this.stmt.getError.get(open.id) as Row);
      }
      const info = this.stmt.insertError.run(
        e.connection,
        e.linkId,
        e.side,
        e.ticketId,
        e.code,
        e.message,
        e.retryable ? 1 : 0,
        now,
        now,
      );
      return toError(this.stmt.getError.get(info.lastInsertRowid) as Row);
    })();
  }

  async listErrors(filter: {
    connection?: string;
    state?: 'open' | 'resolved';
    linkId?: string;
  }): Promise<ErrorRecord[]> {
    const { where, args, add } = conditions();
    if (filter.connection) add('connection = ?', filter.connection);
    if (filter.state) add('state = ?', filter.state);
    if (filter.linkId) add('link_id = ?', filter.linkId);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return (this.db.prepare(`SELECT * FROM errors ${clause} ORDER BY id DESC LIMIT 1000`).all(...args) as Row[]).map(
      toError,
    );
  }

  async getError(id: string): Promise<ErrorRecord | null> {
    const r = this.stmt.getError.get(id) as Row | undefined;
    return r ? toError(r) : null;
  }

  async resolveError(id: string): Promise<void> {
    this.db.prepare("UPDATE errors SET state = 'resolved', updated_at = ? WHERE id = ?").run(this.nowIso(), id);
  }

  async counts(connection?: string): Promise<LedgerCounts> {
    const where = connection ? 'WHERE connection = ?' : '';
    const and = connection ? 'AND connection = ?' : '';
    const args = connection ? [connection] : [];
    const n = (sql: string): number => Number((this.db.prepare(sql).get(...args) as Row).n);
    return {
      links: n(`SELECT COUNT(*) AS n FROM links ${where}`),
      activeLinks: n(`SELECT COUNT(*) AS n FROM links WHERE state = 'active' ${and}`),
      events: n(`SELECT COUNT(*) AS n FROM events ${where}`),
      openConflicts: n(`SELECT COUNT(*) AS n FROM conflicts WHERE state = 'open' ${and}`),
      openErrors: n(`SELECT COUNT(*) AS n FROM errors WHERE state = 'open' ${and}`),
      pendingIntents: n(`SELECT COUNT(*) AS n FROM intents WHERE state = 'pending' ${and}`),
    };
  }

  async firstSync(connection: string): Promise<FirstSync | null> {
    const r = this.db.prepare('SELECT * FROM first_syncs WHERE connection = ?').get(connection) as Row | undefined;
    return r ? toFirstSync(r) : null;
  }

  async startFirstSync(connection: string): Promise<FirstSync> {
    this.db
      .prepare('INSERT INTO first_syncs (connection, started_at) VALUES (?, ?) ON CONFLICT (connection) DO NOTHING')
      .run(connection, this.nowIso());
    return (await this.firstSync(connection))!;
  }

  async finishFirstSync(connection: string): Promise<void> {
    this.db
      .prepare('UPDATE first_syncs SET finished_at = ? WHERE connection = ? AND finished_at IS NULL')
      .run(this.nowIso(), connection);
  }

  async pauses(): Promise<ConnectionPause[]> {
    const rows = this.db.prepare('SELECT * FROM pauses ORDER BY connection').all() as Row[];
    return rows.map((r) => ({ connection: str(r.connection), pausedAt: str(r.paused_at), note: strOrNull(r.note) }));
  }

  async setPause(connection: string, pause: { note: string | null } | null): Promise<void> {
    if (pause === null) this.db.prepare('DELETE FROM pauses WHERE connection = ?').run(connection);
    else
      this.db
        .prepare(
          'INSERT INTO pauses (connection, paused_at, note) VALUES (?, ?, ?) ON CONFLICT (connection) DO NOTHING',
        )
        .run(connection, this.nowIso(), pause.note);
  }

  async claim(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {
    return undefined;
  }
}
