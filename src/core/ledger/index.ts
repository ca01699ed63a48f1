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
): Promise<SqliteLedger | PostgresLedger> {
  const common = { ...(clock ? { clock } : {}) };
  if (config.driver === 'sqlite') return new SqliteLedger({ path: config.path, ...common });
  return PostgresLedger.open({
    url: config.url,
    schema: config.schema,
    leaseMs: config.leaseMs,
    ...common,
    ...(logger ? { logger } : {}),
  });
}

export type { Ledger };
export { PostgresLedger, SqliteLedger };
