// Verifies a ledger without changing it, for upgrades and restores: the SQLite file's integrity
// (PRAGMA integrity_check, read-only) and, for both drivers, which numbered migrations it has
// against the ones this build knows. Migrations only go forward: a ledger ahead of this build
// was written by a newer one.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresMigrations } from './postgres/migrations.js';
import { sqliteMigrations } from './sqlite/migrations.js';

export type LedgerCheckStatus =
  /** Intact and at this build's migration level. */
  | 'ok'
  /** Intact, at an older level: `run` applies the missing migrations on start. */
  | 'behind'
  /** Has migrations this build does not know: written by a newer ticketbridge. */
  | 'ahead'
  /** The integrity check found damage. */
  | 'damaged'
  /** Nothing there, or not a ticketbridge ledger. */
  | 'missing';

export interface LedgerCheck {
  status: LedgerCheckStatus;
  /** Where: the file path, or host:port/database schema. */
  ledger: string;
  /** Migration versions the ledger has applied. */
  applied: number[];
  /** The newest migration this build knows. */
  latest: number;
  /** PRAGMA integrity_check lines (SQLite; ["ok"] when intact), or null (PostgreSQL). */
  integrity: string[] | null;
  message: string;
}

function judge(
  ledger: string,
  applied: number[],
  known: number[],
  integrity: string[] | null,
): Omit<LedgerCheck, 'message'> & { message: string } {
  const latest = Math.max(...known);
  const level = applied.length === 0 ? 0 : Math.max(...applied);
  const base = { ledger, applied, latest, integrity };
  if (integrity && !(integrity.length === 1 && integrity[0] === 'ok'))
    return { ...base, status: 'damaged', message: `integrity check failed: ${integrity.slice(0, 5).join('; ')}` };
  const unknown = applied.filter((v) => !known.includes(v));
  if (unknown.length > 0)
    return {
      ...base,
      status: 'ahead',
      message: `at migration ${level}, newer than this build (${latest}): it was written by a newer ticketbridge; run that version or restore the backup taken before upgrading`,
    };
  const missing = known.filter((v) => !applied.includes(v));
  if (missing.length > 0)
    return {
      ...base,
      status: 'behind',
      message: `intact, at migration ${level}; this build applies ${missing.join(', ')} when \`run\` starts (back it up first)`,
    };
  return { ...base, status: 'ok', message: `intact, at migration ${level}, as this build expects` };
}

function isSqliteFile(path: string): boolean {
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.toString('latin1') === 'SQLite format 3\0';
}

/** Checks a SQLite ledger file, opened read-only. */
export function checkSqliteLedger(path: string): LedgerCheck {
  const missing = (message: string): LedgerCheck => ({
    status: 'missing',
    ledger: path,
    applied: [],
    latest: Math.max(...sqliteMigrations.map((m) => m.version)),
    integrity: null,
    message,
  });
  if (!existsSync(path)) return missing('no such file');
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    return missing(`cannot open it as SQLite: ${(err as Error).message}`);
  }
  try {
    let integrity: string[];
    try {
      integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    } catch (err) {
      // A file that is not SQLite at all fails here ("file is not a database"); one with SQLite's
      // header whose pages are unreadable is a damaged ledger.
      if (!isSqliteFile(path)) return missing(`not a SQLite database: ${(err as Error).message}`);
      integrity = [(err as Error).message];
    }
    const known = sqliteMigrations.map((m) => m.version);
    if (!(integrity.length === 1 && integrity[0] === 'ok')) return judge(path, [], known, integrity);
    const hasTable = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (!hasTable) return missing('a SQLite file, but not a ticketbridge ledger (no schema_migrations table)');
    const applied = (
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>
    ).map((r) => Number(r.version));
    return judge(path, applied, known, integrity);
  } finally {
    db.close();
  }
}

/** Checks a PostgreSQL ledger schema: present, and its migration level (PostgreSQL keeps its own integrity). */
export async function checkPostgresLedger(url: string, schema: string, label: string): Promise<LedgerCheck> {
  const where = `${label} schema ${schema}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const table = await client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'",
      [schema],
    );
    if (table.rowCount === 0)
      return {
        status: 'missing',
        ledger: where,
        applied: [],
        latest: Math.max(...postgresMigrations.map((m) => m.version)),
        integrity: null,
        message: 'no ticketbridge ledger in that schema',
      };
    const rows = await client.query<{ version: number }>(
      `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
    );
    return judge(
      where,
      rows.rows.map((r) => Number(r.version)),
      postgresMigrations.map((m) => m.version),
      null,
    );
  } finally {
    await client.end();
  }
}
