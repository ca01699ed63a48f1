// The shared ledger for several daemon instances: PostgreSQL through a pg Pool, in its own schema.
// Every pass commits in one transaction; leases in `claims` keep each link with one instance.
//
// Per-pass exclusivity: the engine wraps every pass in claim(key) ... release(key). claim() is one
// atomic INSERT ... ON CONFLICT DO UPDATE ... WHERE the current lease expired or is the caller's,
// so of two instances racing for `link:42` exactly one gets the row back (the other's conflicting
// update is filtered by the WHERE and returns nothing) and skips the pass. Leases use the
// database's clock, so instances on hosts with skewed clocks still agree on expiry; an instance
// that dies holding a lease blocks the key only until expires_at. claimLinks() hands out batches
// of active links for a multi-instance reconcile with FOR UPDATE SKIP LOCKED and writes the same
// `link:<id>` claims, so a link leased by a batch is also refused to another instance's claim().
import pg from 'pg';
import type { PoolClient } from 'pg';
import { ConfigError, describeError, LedgerError, NotFoundError } from '../../errors.js';
import type { Clock, Logger, Side } from '../../types.js';
import { systemClock } from '../../types.js';
import type {
  Conflict,
  ConnectionPause,
  FirstSync,
  Cursor,
  ErrorRecord,
  EventFilter,
  Intent,
  IntentKind,
  NewIntent,
  Ledger,
  LedgerCounts,
  Link,
  LinkFilter,
  LinkSnapshot,
  LinkState,
  NewError,
  NewEvent,
  Page,
  PassCommit,
  SyncEvent,
} from '../types.js';
import { describeTarget, wrapConnectionError, type LedgerTarget } from './connection.js';
import { postgresMigrations } from './migrations.js';
import { resolvedEvent, SYNCED_AGAIN } from '../error-resolution.js';

/** Every table the ledger reads; each must answer at start. */
const LEDGER_TABLES = [
  'links',
  'baselines',
  'comment_map',
  'intents',
  'events',
  'cursors',
  'conflicts',
  'errors',
  'claims',
];
import { isId, str, toConflict, toError, toEvent, toIntent, toLink, toSnapshot, type Row } from './rows.js';
import { toFirstSync } from '../rows.js';

export interface PostgresLedgerOptions {
  /** postgres://user:password@host:5432/db — never logged nor put in error messages. */
  url: string;
  /** Schema holding the ledger's tables; created by migrate(). @default "ticketbridge" */
  schema?: string;
  /** Default lease for claimLinks(), and what the daemon should pass to the engine. @default 30000 */
  leaseMs?: number;
  /** Stamps rows (created_at, event times). Leases use the database clock instead. @default systemClock */
  clock?: Clock;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Receives idle-connection errors the pool reports outside any query. */
  logger?: Logger;
  /** Every transaction read-only (use `openReadOnly`). */
  readOnly?: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** First key of the migration advisory lock ("tb" in ASCII); the second is the schema's hash. */
const MIGRATION_LOCK = 0x7462;

/** JSON text for a jsonb parameter, or SQL NULL for a JSON null (as SQLite stores it). */
const jsonOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export class PostgresLedger implements Ledger {
  readonly driver = 'postgres' as const;
  readonly schema: string;
  readonly leaseMs: number;
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly target: LedgerTarget;
  /** Quoted schema name, safe to splice into SQL (validated against SCHEMA_NAME). */
  private readonly s: string;
  private closed = false;

  constructor(options: PostgresLedgerOptions) {
    const schema = options.schema ?? 'ticketbridge';
    if (!SCHEMA_NAME.test(schema)) {
      throw new ConfigError(
        `ledger.schema must match ${String(SCHEMA_NAME)} (lower-case letters, digits, _); got ${JSON.stringify(schema)}`,
      );
    }
    const leaseMs = options.leaseMs ?? 30_000;
    if (!Number.isInteger(leaseMs) || leaseMs <= 0)
      throw new ConfigError(`ledger.leaseMs must be a positive integer; got ${String(leaseMs)}`);
    const poolSize = options.poolSize ?? 10;
    if (!Number.isInteger(poolSize) || poolSize < 1)
      throw new ConfigError(`ledger poolSize must be a positive integer; got ${String(poolSize)}`);
    this.schema = schema;
    this.s = `"${schema}"`;
    this.leaseMs = leaseMs;
    this.clock = options.clock ?? systemClock;
    this.target = describeTarget(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      application_name: 'ticketbridge',
      // Every transaction of a reader's pool is read-only: PostgreSQL itself refuses a write.
      ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // Without a listener an idle client's error (server restart) would crash the process.
    const logger = options.logger;
    this.pool.on('error', (err) =>
      logger?.warn(
        { ledger: this.target.label, err: String(wrapConnectionError(err, this.target)) },
        'ledger connection lost',
      ),
    );
  }

  /**
   * The ledger for readers that must write nothing (the dry run): every transaction read-only, no
   * migration. Null when the schema does not exist yet; an error naming the upgrade when its
   * migrations are behind this build.
   */
  static async openReadOnly(options: PostgresLedgerOptions): Promise<PostgresLedger | null> {
    const ledger = new PostgresLedger({ ...options, readOnly: true });
    try {
      const exists = await ledger.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [ledger.schema]);
      if (exists.length === 0) {
        await ledger.close();
        return null;
      }
      const rows = await ledger.query(`SELECT max(version) AS v FROM ${ledger.s}.schema_migrations`);
      const at = Number(rows[0]?.v ?? 0);
      const needed = Math.max(...postgresMigrations.map((m) => m.version));
      if (at < needed) {
        throw new ConfigError(
          `the PostgreSQL ledger ${ledger.target.label} is at migration ${at} and this build reads migration ${needed}: start the daemon once to upgrade it`,
        );
      }
    } catch (err) {
      await ledger.close();
      throw err;
    }
    return ledger;
  }

  /** Connects, migrates and returns a ready ledger; closes the pool if either step fails. */
  static async open(options: PostgresLedgerOptions): Promise<PostgresLedger> {
    const ledger = new PostgresLedger(options);
    try {
      await ledger.migrate();
      await ledger.verify();
    } catch (err) {
      await ledger.close();
      throw err;
    }
    return ledger;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async query(sql: string, params: unknown[] = [], client?: PoolClient): Promise<Row[]> {
    try {
      return (await (client ?? this.pool).query(sql, params)).rows as Row[];
    } catch (err) {
      throw wrapConnectionError(err, this.target);
    }
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw wrapConnectionError(err, this.target);
    }
  }

  /** Runs `fn` in one transaction on one pooled connection; rolls back on any throw. */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken = false;
    try {
      await this.query('BEGIN', [], client);
      const result = await fn(client);
      await this.query('COMMIT', [], client);
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone; drop it from the pool instead of reusing it
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    const s = this.s;
    await this.transaction(async (c) => {
      // Two instances starting together: the second waits here, then finds nothing left to do.
      await this.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, this.schema], c);
      const exists = await this.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema], c);
      if (exists.length === 0) await this.query(`CREATE SCHEMA ${s}`, [], c);
      await this.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
        [],
        c,
      );
      const applied = new Set(
        (await this.query(`SELECT version FROM ${s}.schema_migrations`, [], c)).map((r) => Number(r.version)),
      );
      for (const m of postgresMigrations) {
        if (applied.has(m.version)) continue;
        await this.query(m.sql.replaceAll('{schema}', s), [], c);
        await this.query(
          `INSERT INTO ${s}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
          [m.version, m.name, this.nowIso()],
          c,
        );
      }
    });
  }

  /**
   * The start-up check PostgreSQL needs in place of SQLite's quick_check (the server keeps its own
   * pages intact): the migration level is one this build knows, and every table answers a read.
   */
  async verify(): Promise<void> {
    const [row] = await this.query(`SELECT max(version) AS v FROM ${this.s}.schema_migrations`);
    const at = Number(row?.v ?? 0);
    const latest = Math.max(...postgresMigrations.map((m) => m.version));
    if (at > latest)
      throw new LedgerError(
        `the PostgreSQL ledger ${this.target.label} schema ${this.schema} is at migration ${at}, newer than this build (${latest}): it was written by a newer ticketbridge; run that version or restore the backup taken before upgrading`,
      );
    for (const table of LEDGER_TABLES) {
      try {
        await this.query(`SELECT 1 FROM ${this.s}.${table} LIMIT 1`);
      } catch (err) {
        throw new LedgerError(
          `the PostgreSQL ledger ${this.target.label} schema ${this.schema}: table ${table} cannot be read (${describeError(err)})`,
          { cause: err },
        );
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** A real read: the migration level and the newest link. */
  async ping(): Promise<void> {
    await this.query(`SELECT max(version) FROM ${this.s}.schema_migrations`);
    await this.query(`SELECT id, state FROM ${this.s}.links ORDER BY id DESC LIMIT 1`);
  }

  async getLink(id: string): Promise<Link | null> {
    if (!isId(id)) return null;
    const [r] = await this.query(`SELECT * FROM ${this.s}.links WHERE id = $1`, [id]);
    return r ? toLink(r) : null;
  }

  async findLink(connection: string, side: Side, ticketId: string): Promise<Link | null> {
    const column = side === 'a' ? 'a_id' : 'b_id';
    const [r] = await this.query(`SELECT * FROM ${this.s}.links WHERE connection = $1 AND ${column} = $2`, [
      connection,
      ticketId,
    ]);
    return r ? toLink(r) : null;
  }

  async snapshot(linkId: string): Promise<LinkSnapshot | null> {
    if (!isId(linkId)) return null;
    const s = this.s;
    // One statement, so link, baselines and comments come from one consistent view.
    const [r] = await this.query(
      `SELECT l.*,
         COALESCE((SELECT jsonb_object_agg(b.field, jsonb_build_object('a', b.a_value, 'b', b.b_value)) FROM ${s}.baselines b WHERE b.link_id = l.id), '{}'::jsonb) AS baselines,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('side', c.side, 'commentId', c.comment_id, 'role', c.role, 'twinId', c.twin_id, 'visibility', c.visibility) ORDER BY c.side, c.comment_id)
                   FROM ${s}.comment_map c WHERE c.link_id = l.id), '[]'::jsonb) AS comments,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('side', f.side, 'attachmentId', f.attachment_id, 'role', f.role, 'twinId', f.twin_id, 'visibility', f.visibility) ORDER BY f.side, f.attachment_id)
                   FROM ${s}.attachment_map f WHERE f.link_id = l.id), '[]'::jsonb) AS attachments
       FROM ${s}.links l WHERE l.id = $1`,
      [linkId],
    );
    return r ? toSnapshot(r) : null;
  }

  async listLinks(filter: LinkFilter): Promise<Page<Link>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      args.push(value);
      where.push(sql.replaceAll('?', `$${args.length}`));
    };
    if (filter.connection) add('connection = ?', filter.connection);
    if (filter.state) add('state = ?', filter.state);
    if (filter.ticketId) add('(a_id = ? OR b_id = ?)', filter.ticketId);
    if (filter.tickets) {
      const param = (value: unknown): string => `$${args.push(value)}`;
      const any = filter.tickets.map((t) => {
        const parts: string[] = [];
        if (t.connection !== undefined) parts.push(`connection = ${param(t.connection)}`);
        const value = param(t.key !== undefined ? t.key : t.ticketId);
        const [a, b] =
          t.key !== undefined
            ? [`UPPER(a_key) = UPPER(${value})`, `UPPER(b_key) = UPPER(${value})`]
            : [`a_id = ${value}`, `b_id = ${value}`];
        parts.push(t.side === 'a' ? a : t.side === 'b' ? b : `(${a} OR ${b})`);
        return `(${parts.join(' AND ')})`;
      });
      where.push(any.length > 0 ? `(${any.join(' OR ')})` : 'FALSE');
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(filter.limit ?? 50, 500);
    const offset = filter.offset ?? 0;
    const [count] = await this.query(`SELECT COUNT(*) AS n FROM ${this.s}.links ${clause}`, args);
    const rows = await this.query(
      `SELECT * FROM ${this.s}.links ${clause} ORDER BY id DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, limit, offset],
    );
    return { items: rows.map(toLink), total: Number(count?.n ?? 0), offset, limit };
  }

  async linkIds(connection: string, state: LinkState, afterId: string | null, limit: number): Promise<string[]> {
    const after = afterId !== null && isId(afterId) ? afterId : '0';
    const rows = await this.query(
      `SELECT id FROM ${this.s}.links WHERE connection = $1 AND state = $2 AND id > $3 ORDER BY id LIMIT $4`,
      [connection, state, after, limit],
    );
    return rows.map((r) => str(r.id));
  }

  async pendingIntentsForLink(linkId: string): Promise<Intent[]> {
    if (!isId(linkId)) return [];
    const rows = await this.query(
      `SELECT * FROM ${this.s}.intents WHERE link_id = $1 AND state = 'pending' ORDER BY id`,
      [linkId],
    );
    return rows.map(toIntent);
  }

  async addIntent(intent: NewIntent): Promise<Intent | null> {
    const linkId = intent.linkId !== null && isId(intent.linkId) ? intent.linkId : null;
    const [r] = await this.query(
      `INSERT INTO ${this.s}.intents (connection, kind, target_side, source_id, link_id, marker, payload, state, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT DO NOTHING RETURNING *`,
      [
        intent.connection,
        intent.kind,
        intent.targetSide,
        intent.sourceId,
        linkId,
        intent.marker,
        intent.payload === undefined ? null : JSON.stringify(intent.payload),
        this.nowIso(),
      ],
    );
    return r ? toIntent(r) : null;
  }

  async findIntent(connection: string, kind: IntentKind, targetSide: Side, sourceId: string): Promise<Intent | null> {
    const [r] = await this.query(
      `SELECT * FROM ${this.s}.intents WHERE connection = $1 AND kind = $2 AND target_side = $3 AND source_id = $4 AND state = 'pending'`,
      [connection, kind, targetSide, sourceId],
    );
    return r ? toIntent(r) : null;
  }

  async pendingIntents(connection?: string): Promise<Intent[]> {
    const rows = connection
      ? await this.query(`SELECT * FROM ${this.s}.intents WHERE state = 'pending' AND connection = $1 ORDER BY id`, [
          connection,
        ])
      : await this.query(`SELECT * FROM ${this.s}.intents WHERE state = 'pending' ORDER BY id`);
    return rows.map(toIntent);
  }

  async dropIntent(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.query(`DELETE FROM ${this.s}.intents WHERE id = $1 AND state = 'pending'`, [id]);
  }

  async commit(pass: PassCommit): Promise<string | null> {
    // Serialise the caller's values before the transaction opens: a value JSON cannot hold
    // fails the commit here, with nothing written.
    const baselines = Object.entries(pass.baselines ?? {}).map(
      ([field, b]) => [field, JSON.stringify(b.a), JSON.stringify(b.b)] as const,
    );
    const conflicts = (pass.openConflicts ?? []).map(
      (c) => [c.field, JSON.stringify(c.aValue), JSON.stringify(c.bValue), JSON.stringify(c.baseline)] as const,
    );
    const events = (pass.events ?? []).map((e) => ({
      e,
      oldValue: jsonOrNull(e.oldValue),
      newValue: jsonOrNull(e.newValue),
    }));
    const s = this.s;
    return this.transaction(async (c) => {
      const now = this.nowIso();
      let linkId = pass.linkId ?? null;
      if (pass.newLink) {
        const [r] = await this.query(
          `INSERT INTO ${s}.links (connection, a_id, b_id, state, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $4) RETURNING id`,
          [pass.connection, pass.newLink.aId, pass.newLink.bId, now],
          c,
        );
        linkId = str(r!.id);
      }
      if (linkId !== null && !isId(linkId)) throw new NotFoundError(`no link ${linkId}`);
      if (linkId !== null) await this.commitLinkParts(c, pass, linkId, now, baselines, conflicts);
      for (const close of pass.closeConflicts ?? []) {
        if (!isId(close.id)) continue;
        await this.query(
          `UPDATE ${s}.conflicts SET state = 'resolved', resolved_at = $1, resolution = $2 WHERE id = $3 AND state = 'open'`,
          [now, close.resolution, close.id],
          c,
        );
      }
      const done = (pass.intentsDone ?? []).filter(isId);
      if (done.length > 0)
        await this.query(`UPDATE ${s}.intents SET state = 'done' WHERE id = ANY($1::bigint[])`, [done], c);
      if (events.length > 0) await this.insertEvents(c, events, linkId, now);
      await this.resolveErrors(c, pass, linkId, now);
      return linkId;
    });
  }

  /** The link row's own columns a commit changes: state and note, versions, keys, memos. */
  private async commitLinkRow(c: PoolClient, pass: PassCommit, linkId: string, now: string): Promise<void> {
    const s = this.s;
    const a = pass.versions?.a;
    const b = pass.versions?.b;
    if (pass.linkState || a !== undefined || b !== undefined) {
      await this.query(
        `UPDATE ${s}.links SET
           state = CASE WHEN $2 THEN $3 ELSE state END,
           note = CASE WHEN $2 THEN $4 ELSE note END,
           a_version = CASE WHEN $5 THEN $6 ELSE a_version END,
           b_version = CASE WHEN $7 THEN $8 ELSE b_version END,
           updated_at = $9
         WHERE id = $1`,
        [
          linkId,
          pass.linkState !== undefined,
          pass.linkState?.state ?? null,
          pass.linkState?.note ?? null,
          a !== undefined,
          a ?? null,
          b !== undefined,
          b ?? null,
          now,
        ],
        c,
      );
    }
    if (pass.closedSince !== undefined)
      await this.query(`UPDATE ${s}.links SET closed_since = $2 WHERE id = $1`, [linkId, pass.closedSince], c);
    if (pass.keys?.a !== undefined || pass.keys?.b !== undefined) {
      await this.query(
        `UPDATE ${s}.links SET a_key = COALESCE($2, a_key), b_key = COALESCE($3, b_key) WHERE id = $1`,
        [linkId, pass.keys.a ?? null, pass.keys.b ?? null],
        c,
      );
    }
    const memos = pass.memos;
    if (memos?.a !== undefined || memos?.b !== undefined) {
      await this.query(
        `UPDATE ${s}.links SET a_memo = CASE WHEN $2 THEN $3::jsonb ELSE a_memo END, b_memo = CASE WHEN $4 THEN $5::jsonb ELSE b_memo END WHERE id = $1`,
        [
          linkId,
          memos.a !== undefined,
          JSON.stringify(memos.a ?? null),
          memos.b !== undefined,
          JSON.stringify(memos.b ?? null),
        ],
        c,
      );
    }
  }

  /** The link's own rows of a commit: state, versions, keys, baselines, comment map, conflicts. */
  private async commitLinkParts(
    c: PoolClient,
    pass: PassCommit,
    linkId: string,
    now: string,
    baselines: ReadonlyArray<readonly [string, string, string]>,
    conflicts: ReadonlyArray<readonly [string, string, string, string]>,
  ): Promise<void> {
    const s = this.s;
    await this.commitLinkRow(c, pass, linkId, now);
    if (baselines.length > 0) {
      await this.query(
        `INSERT INTO ${s}.baselines (link_id, field, a_value, b_value, updated_at)
         SELECT $1, t.field, t.a_value, t.b_value, $5 FROM unnest($2::text[], $3::jsonb[], $4::jsonb[]) AS t(field, a_value, b_value)
         ON CONFLICT (link_id, field) DO UPDATE SET a_value = EXCLUDED.a_value, b_value = EXCLUDED.b_value, updated_at = EXCLUDED.updated_at`,
        [linkId, baselines.map((x) => x[0]), baselines.map((x) => x[1]), baselines.map((x) => x[2]), now],
        c,
      );
    }
    // One row per (side, comment), the last entry winning: a single upsert statement may not
    // touch the same row twice.
    const comments = [...new Map((pass.comments ?? []).map((x) => [`${x.side}:${x.commentId}`, x])).values()];
    if (comments.length > 0) {
      await this.query(
        `INSERT INTO ${s}.comment_map (link_id, side, comment_id, role, twin_id, visibility)
         SELECT $1, t.side, t.comment_id, t.role, t.twin_id, t.visibility FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(side, comment_id, role, twin_id, visibility)
         ON CONFLICT (link_id, side, comment_id) DO UPDATE SET role = EXCLUDED.role, twin_id = EXCLUDED.twin_id`,
        [
          linkId,
          comments.map((x) => x.side),
          comments.map((x) => x.commentId),
          comments.map((x) => x.role),
          comments.map((x) => x.twinId),
          comments.map((x) => x.visibility),
        ],
        c,
      );
    }
    const files = [...new Map((pass.attachments ?? []).map((x) => [`${x.side}:${x.attachmentId}`, x])).values()];
    if (files.length > 0) {
      await this.query(
        `INSERT INTO ${s}.attachment_map (link_id, side, attachment_id, role, twin_id, visibility)
         SELECT $1, t.side, t.attachment_id, t.role, t.twin_id, t.visibility FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(side, attachment_id, role, twin_id, visibility)
         ON CONFLICT (link_id, side, attachment_id) DO UPDATE SET role = EXCLUDED.role, twin_id = EXCLUDED.twin_id`,
        [
          linkId,
          files.map((x) => x.side),
          files.map((x) => x.attachmentId),
          files.map((x) => x.role),
          files.map((x) => x.twinId),
          files.map((x) => x.visibility),
        ],
        c,
      );
    }
    for (const [field, aValue, bValue, baseline] of conflicts) {
      // Re-opening a conflict that is still open only refreshes the two values.
      await this.query(
        `INSERT INTO ${s}.conflicts (connection, link_id, field, a_value, b_value, baseline, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)
         ON CONFLICT (link_id, field) WHERE state = 'open' DO UPDATE SET a_value = EXCLUDED.a_value, b_value = EXCLUDED.b_value`,
        [pass.connection, linkId, field, aValue, bValue, baseline, now],
        c,
      );
    }
  }

  /** Resolves the open errors a commit settles, each with its `error_resolved` event. */
  private async resolveErrors(c: PoolClient, pass: PassCommit, commitLink: string | null, now: string): Promise<void> {
    const r = pass.resolveErrorsFor;
    if (!r) return;
    const s = this.s;
    const link = r.linkId ?? commitLink;
    const rows: Row[] = [];
    if (link !== null && isId(link)) {
      // The link's open errors: recorded on it, or recorded without a link for either of its tickets.
      rows.push(
        ...(await this.query(
          `SELECT e.* FROM ${s}.errors e JOIN ${s}.links l ON l.id = $1
           WHERE e.state = 'open' AND (e.link_id = l.id OR (e.link_id IS NULL AND e.connection = l.connection
             AND ((e.side = 'a' AND e.ticket_id = l.a_id) OR (e.side = 'b' AND e.ticket_id = l.b_id))))
           ORDER BY e.id FOR UPDATE OF e`,
          [link],
          c,
        )),
      );
    }
    if (r.side && r.ticketId) {
      rows.push(
        ...(await this.query(
          `SELECT * FROM ${s}.errors WHERE connection = $1 AND side = $2 AND ticket_id = $3 AND link_id IS NULL AND state = 'open' ORDER BY id FOR UPDATE`,
          [pass.connection, r.side, r.ticketId],
          c,
        )),
      );
    }
    const keep = new Set(r.keep ?? []);
    const resolved = new Map(rows.map(toError).map((e) => [e.id, e]));
    for (const id of keep) resolved.delete(id);
    if (resolved.size === 0) return;
    await this.query(
      `UPDATE ${s}.errors SET state = 'resolved', updated_at = $1 WHERE id = ANY($2::bigint[]) AND state = 'open'`,
      [now, [...resolved.keys()]],
      c,
    );
    const events = [...resolved.values()].map((error) => {
      const e = resolvedEvent(error, link, r.reason ?? SYNCED_AGAIN);
      return { e, oldValue: jsonOrNull(e.oldValue), newValue: jsonOrNull(e.newValue) };
    });
    await this.insertEvents(c, events, link, now);
  }

  /** Inserts events in order with one statement; an event without a link gets `linkId`. */
  private async insertEvents(
    client: PoolClient,
    events: Array<{ e: NewEvent; oldValue: string | null; newValue: string | null }>,
    linkId: string | null,
    now: string,
  ): Promise<void> {
    const link = (e: NewEvent): string | null => {
      const id = e.linkId ?? linkId;
      return id !== null && isId(id) ? id : null;
    };
    await this.query(
      `INSERT INTO ${this.s}.events (at, connection, link_id, side, field, kind, old_value, new_value, reason, data)
       SELECT t.at, t.connection, t.link_id, t.side, t.field, t.kind, t.old_value, t.new_value, t.reason, t.data
       FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[], $9::text[], $10::jsonb[])
         WITH ORDINALITY AS t(at, connection, link_id, side, field, kind, old_value, new_value, reason, data, n)
       ORDER BY t.n`,
      [
        events.map(({ e }) => e.at ?? now),
        events.map(({ e }) => e.connection),
        events.map(({ e }) => link(e)),
        events.map(({ e }) => e.side),
        events.map(({ e }) => e.field),
        events.map(({ e }) => e.kind),
        events.map((x) => x.oldValue),
        events.map((x) => x.newValue),
        events.map(({ e }) => e.reason),
        events.map(({ e }) => jsonOrNull(e.data)),
      ],
      client,
    );
  }

  async appendEvents(events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({ e, oldValue: jsonOrNull(e.oldValue), newValue: jsonOrNull(e.newValue) }));
    const client = await this.connect();
    try {
      await this.insertEvents(client, rows, null, this.nowIso());
    } finally {
      client.release();
    }
  }

  async listEvents(filter: EventFilter): Promise<Page<SyncEvent>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      args.push(value);
      where.push(`${sql} $${args.length}`);
    };
    if (filter.connection) add('connection =', filter.connection);
    if (filter.linkId) {
      if (!isId(filter.linkId))
        return { items: [], total: 0, offset: filter.offset ?? 0, limit: Math.min(filter.limit ?? 50, 1000) };
      add('link_id =', filter.linkId);
    }
    if (filter.kind) add('kind =', filter.kind);
    if (filter.connections) {
      args.push([...filter.connections]);
      where.push(`connection = ANY($${args.length}::text[])`);
    }
    if (filter.from) add('at >=', new Date(filter.from).toISOString());
    if (filter.to) add('at <', new Date(filter.to).toISOString());
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(filter.limit ?? 50, 1000);
    const offset = filter.offset ?? 0;
    const [count] = await this.query(`SELECT COUNT(*) AS n FROM ${this.s}.events ${clause}`, args);
    const order = filter.order === 'asc' ? 'ASC' : 'DESC';
    const keyset = filter.afterId !== undefined && isId(filter.afterId) ? [filter.afterId] : [];
    const after = keyset.length
      ? `${clause ? 'AND' : 'WHERE'} id ${order === 'ASC' ? '>' : '<'} $${args.length + 1}`
      : '';
    const n = args.length + keyset.length;
    const rows = await this.query(
      `SELECT * FROM ${this.s}.events ${clause} ${after} ORDER BY id ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...args, ...keyset, limit, offset],
    );
    return { items: rows.map(toEvent), total: Number(count?.n ?? 0), offset, limit };
  }

  async getCursor(connection: string, side: Side): Promise<Cursor> {
    const [r] = await this.query(`SELECT * FROM ${this.s}.cursors WHERE connection = $1 AND side = $2`, [
      connection,
      side,
    ]);
    if (!r)
      return { connection, side, since: null, seenIds: [], lastPollAt: null, lastSuccessAt: null, lastError: null };
    return {
      connection,
      side,
      since: (r.since as string | null) ?? null,
      seenIds: (r.seen_ids as string[] | null) ?? [],
      lastPollAt: (r.last_poll_at as string | null) ?? null,
      lastSuccessAt: (r.last_success_at as string | null) ?? null,
      lastError: (r.last_error as string | null) ?? null,
    };
  }

  async saveCursor(c: Cursor): Promise<void> {
    await this.query(
      `INSERT INTO ${this.s}.cursors (connection, side, since, seen_ids, last_poll_at, last_success_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (connection, side) DO UPDATE SET since = EXCLUDED.since, seen_ids = EXCLUDED.seen_ids, last_poll_at = EXCLUDED.last_poll_at,
         last_success_at = EXCLUDED.last_success_at, last_error = EXCLUDED.last_error`,
      [c.connection, c.side, c.since, JSON.stringify(c.seenIds), c.lastPollAt, c.lastSuccessAt, c.lastError],
    );
  }

  /** WHERE clause for the conflict and error lists (same filter shape). */
  private stateFilter(filter: {
    connection?: string;
    state?: 'open' | 'resolved';
    linkId?: string;
  }): { clause: string; args: unknown[] } | null {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.connection) where.push(`connection = $${args.push(filter.connection)}`);
    if (filter.state) where.push(`state = $${args.push(filter.state)}`);
    if (filter.linkId) {
      if (!isId(filter.linkId)) return null;
      where.push(`link_id = $${args.push(filter.linkId)}`);
    }
    return { clause: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
  }

  async listConflicts(filter: {
    connection?: string;
    state?: 'open' | 'resolved';
    linkId?: string;
  }): Promise<Conflict[]> {
    const f = this.stateFilter(filter);
    if (!f) return [];
    return (await this.query(`SELECT * FROM ${this.s}.conflicts ${f.clause} ORDER BY id DESC LIMIT 1000`, f.args)).map(
      toConflict,
    );
  }

  async getConflict(id: string): Promise<Conflict | null> {
    if (!isId(id)) return null;
    const [r] = await this.query(`SELECT * FROM ${this.s}.conflicts WHERE id = $1`, [id]);
    return r ? toConflict(r) : null;
  }

  async recordError(e: NewError): Promise<ErrorRecord> {
    const now = this.nowIso();
    const linkId = e.linkId !== null && isId(e.linkId) ? e.linkId : null;
    // The partial unique index makes "same open error again" an atomic attempts + 1.
    const [r] = await this.query(
      `INSERT INTO ${this.s}.errors (connection, link_id, side, ticket_id, code, message, retryable, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (connection, COALESCE(link_id, 0), COALESCE(side, ''), COALESCE(ticket_id, ''), code) WHERE state = 'open'
       DO UPDATE SET attempts = errors.attempts + 1, message = EXCLUDED.message, retryable = EXCLUDED.retryable, updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [e.connection, linkId, e.side, e.ticketId, e.code, e.message, e.retryable, now],
    );
    return toError(r!);
  }

  async listErrors(filter: {
    connection?: string;
    state?: 'open' | 'resolved';
    linkId?: string;
  }): Promise<ErrorRecord[]> {
    const f = this.stateFilter(filter);
    if (!f) return [];
    return (await this.query(`SELECT * FROM ${this.s}.errors ${f.clause} ORDER BY id DESC LIMIT 1000`, f.args)).map(
      toError,
    );
  }

  async getError(id: string): Promise<ErrorRecord | null> {
    if (!isId(id)) return null;
    const [r] = await this.query(`SELECT * FROM ${this.s}.errors WHERE id = $1`, [id]);
    return r ? toError(r) : null;
  }

  async firstSync(connection: string): Promise<FirstSync | null> {
    const [r] = await this.query(`SELECT * FROM ${this.s}.first_syncs WHERE connection = $1`, [connection]);
    return r ? toFirstSync(r) : null;
  }

  async startFirstSync(connection: string): Promise<FirstSync> {
    await this.query(
      `INSERT INTO ${this.s}.first_syncs (connection, started_at) VALUES ($1, $2) ON CONFLICT (connection) DO NOTHING`,
      [connection, this.nowIso()],
    );
    return (await this.firstSync(connection))!;
  }

  async finishFirstSync(connection: string): Promise<void> {
    await this.query(
      `UPDATE ${this.s}.first_syncs SET finished_at = $2 WHERE connection = $1 AND finished_at IS NULL`,
      [connection, this.nowIso()],
    );
  }

  async pauses(): Promise<ConnectionPause[]> {
    const rows = await this.query(`SELECT * FROM ${this.s}.pauses ORDER BY connection`, []);
    return rows.map((r) => ({
      connection: str(r.connection),
      pausedAt: str(r.paused_at),
      note: (r.note as string | null) ?? null,
    }));
  }

  async setPause(connection: string, pause: { note: string | null } | null): Promise<void> {
    if (pause === null) await this.query(`DELETE FROM ${this.s}.pauses WHERE connection = $1`, [connection]);
    else
      await this.query(
        `INSERT INTO ${this.s}.pauses (connection, paused_at, note) VALUES ($1, $2, $3) ON CONFLICT (connection) DO NOTHING`,
        [connection, this.nowIso(), pause.note],
      );
  }

  async resolveError(id: string): Promise<void> {
    if (!isId(id)) return;
    await this.query(`UPDATE ${this.s}.errors SET state = 'resolved', updated_at = $1 WHERE id = $2`, [
      this.nowIso(),
      id,
    ]);
  }

  async counts(connection?: string): Promise<LedgerCounts> {
    const s = this.s;
    const and = connection === undefined ? '' : 'AND connection = $1';
    const [r] = await this.query(
      `SELECT
         (SELECT COUNT(*) FROM ${s}.links WHERE TRUE ${and}) AS links,
         (SELECT COUNT(*) FROM ${s}.links WHERE state = 'active' ${and}) AS active_links,
         (SELECT COUNT(*) FROM ${s}.events WHERE TRUE ${and}) AS events,
         (SELECT COUNT(*) FROM ${s}.conflicts WHERE state = 'open' ${and}) AS open_conflicts,
         (SELECT COUNT(*) FROM ${s}.errors WHERE state = 'open' ${and}) AS open_errors,
         (SELECT COUNT(*) FROM ${s}.intents WHERE state = 'pending' ${and}) AS pending_intents`,
      connection === undefined ? [] : [connection],
    );
    return {
      links: Number(r!.links),
      activeLinks: Number(r!.active_links),
      events: Number(r!.events),
      openConflicts: Number(r!.open_conflicts),
      openErrors: Number(r!.open_errors),
      pendingIntents: Number(r!.pending_intents),
    };
  }

  /** Grants `key` to `owner` when unclaimed, expired or already the owner's (the lease is extended). */
  async claim(key: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.query(
      `INSERT INTO ${this.s}.claims (key, owner, expires_at) VALUES ($1, $2, clock_timestamp() + $3::double precision * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE claims.expires_at <= clock_timestamp() OR claims.owner = EXCLUDED.owner
       RETURNING key`,
      [key, owner, leaseMs],
    );
    return rows.length === 1;
  }

  /** Gives `key` up, only if `owner` still holds it (a lease taken over after expiry stays). */
  async release(key: string, owner: string): Promise<void> {
    await this.query(`DELETE FROM ${this.s}.claims WHERE key = $1 AND owner = $2`, [key, owner]);
  }

  /**
   * Leases up to `limit` active links of a connection that no other instance holds, oldest id
   * first after `afterId`, and returns their ids. Concurrent callers lock candidate rows with
   * FOR UPDATE SKIP LOCKED, so they walk past each other's picks instead of waiting; the
   * claims upsert re-checks each lease, so a link is never handed to two live owners.
   */
  async claimLinks(
    connection: string,
    owner: string,
    leaseMs: number = this.leaseMs,
    limit = 100,
    afterId: string | null = null,
  ): Promise<string[]> {
    const s = this.s;
    const after = afterId !== null && isId(afterId) ? afterId : '0';
    const rows = await this.query(
      `WITH picked AS (
         SELECT l.id FROM ${s}.links l
         WHERE l.connection = $1 AND l.state = 'active' AND l.id > $5
           AND NOT EXISTS (SELECT 1 FROM ${s}.claims c WHERE c.key = 'link:' || l.id AND c.owner <> $2 AND c.expires_at > clock_timestamp())
         ORDER BY l.id
         LIMIT $4
         FOR UPDATE OF l SKIP LOCKED
       )
       INSERT INTO ${s}.claims (key, owner, expires_at)
       SELECT 'link:' || picked.id, $2, clock_timestamp() + $3::double precision * interval '1 millisecond' FROM picked
       ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE claims.expires_at <= clock_timestamp() OR claims.owner = EXCLUDED.owner
       RETURNING key`,
      [connection, owner, leaseMs, limit, after],
    );
    return rows.map((r) => str(r.key).slice('link:'.length)).sort((x, y) => Number(x) - Number(y));
  }
}
