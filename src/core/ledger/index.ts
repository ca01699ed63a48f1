// Opens the ledger the config names: the embedded SQLite file, or the shared PostgreSQL schema
// several daemon instances use together. Both come back migrated and ready.
import type { LedgerConfig } from '../../mapping/schema.js';
import type { Clock, Logger } from '../types.js';
import { PostgresLedger } from './postgres/index.js';
import { SqliteLedger } from './sqlite/index.js';
import type { Ledger } from './types.js';

export async function openLedger(
  config: LedgerConfig,
  clock?: Clock,
  logger?: Logger,
  /** The daemon's own ledger: a SQLite file is held exclusively (one daemon per file). */
  exclusive = false,
): Promise<SqliteLedger | PostgresLedger> {
  const common = { ...(clock ? { clock } : {}) };
  if (config.driver === 'sqlite') return new SqliteLedger({ path: config.path, exclusive, ...common });
  return PostgresLedger.open({
    url: config.url,
    schema: config.schema,
    leaseMs: config.leaseMs,
    ...common,
    ...(logger ? { logger } : {}),
  });
}

/**
 * The ledger for a reader that must write nothing anywhere (the dry run): a SQLite file is
 * copied into memory, PostgreSQL is opened read-only. `empty` when no ledger exists yet there,
 * in which case an in-memory empty one stands in and no file or schema is created.
 */
export async function openLedgerReadOnly(
  config: LedgerConfig,
  clock?: Clock,
): Promise<{ ledger: SqliteLedger | PostgresLedger; empty: boolean }> {
  const common = { ...(clock ? { clock } : {}) };
  const existing =
    config.driver === 'sqlite'
      ? SqliteLedger.copyOf(config.path, clock)
      : await PostgresLedger.openReadOnly({
          url: config.url,
          schema: config.schema,
          leaseMs: config.leaseMs,
          ...common,
        });
  if (existing) return { ledger: existing, empty: false };
  return { ledger: new SqliteLedger({ path: ':memory:', ...common }), empty: true };
}

export type { Ledger };
export { PostgresLedger, SqliteLedger };
