// PostgreSQL for ledger tests: the test database URL, a random schema per ledger, and a loud
// failure (never a skip) when the server cannot be reached.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { PostgresLedger, type PostgresLedgerOptions } from '../../src/core/ledger/postgres/index.js';

/** Chosen once per run by test/setup/postgres.ts: TEST_DATABASE_URL, a local server, or an embedded one. */
export const TEST_DATABASE_URL = inject('testDatabaseUrl');

const UNREACHABLE =
  'PostgreSQL is required for the PostgreSQL ledger tests and is not reachable at the test database URL ' +
  '(TEST_DATABASE_URL when set). Fix or unset TEST_DATABASE_URL; unset, the tests use a server on ' +
  '127.0.0.1:5432 or start their own (TB_TEST_PG=embedded forces that).';

let reachable: Promise<void> | null = null;

/**
 * Fails with an actionable message when the test database is down. Ledger factories call it, so
 * every PostgreSQL test fails (never skips) without a database; the probe runs once per file.
 */
export function assertDatabaseReachable(): Promise<void> {
  reachable ??= probe();
  return reachable;
}

async function probe(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`${UNREACHABLE}\nCause: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function randomSchema(prefix = 'tb_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A migrated ledger in a fresh schema; `dispose` closes it and drops the schema. */
export async function openTestLedger(
  options: Partial<PostgresLedgerOptions> = {},
): Promise<{ ledger: PostgresLedger; schema: string; dispose: () => Promise<void> }> {
  await assertDatabaseReachable();
  const schema = options.schema ?? randomSchema();
  const ledger = await PostgresLedger.open({ url: TEST_DATABASE_URL, poolSize: 4, ...options, schema });
  return {
    ledger,
    schema,
    dispose: async () => {
      await ledger.close();
      await dropSchema(schema);
    },
  };
}
