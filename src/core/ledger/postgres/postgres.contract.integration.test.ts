// The ledger contract suite against PostgreSQL. One random schema per run (dropped afterwards);
// every test opens its own ledger (pool) on it and starts from emptied tables.
import pg from 'pg';
import { afterAll } from 'vitest';
import { describeLedgerContract } from '../../../../test/contract/ledger-contract.js';
import {
  assertDatabaseReachable,
  dropSchema,
  randomSchema,
  TEST_DATABASE_URL,
} from '../../../../test/ledger/pg-test-db.js';
import { PostgresLedger } from './index.js';

const schema = randomSchema();

afterAll(async () => {
  await dropSchema(schema).catch(() => undefined); // nothing to drop when the database is down
});

async function emptyTables(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    // DELETE, not TRUNCATE: on tables this small it is far cheaper, and ids need not restart.
    const tables = [
      'baselines',
      'comment_map',
      'attachment_map',
      'conflicts',
      'intents',
      'events',
      'cursors',
      'errors',
      'claims',
      'pauses',
      'first_syncs',
      'links',
    ];
    await client.query(tables.map((t) => `DELETE FROM "${schema}".${t};`).join(' '));
  } finally {
    await client.end();
  }
}

describeLedgerContract(
  'postgres',
  async () => {
    await assertDatabaseReachable();
    const ledger = await PostgresLedger.open({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
    await emptyTables();
    return ledger;
  },
  (ledger) => ledger.close(),
  { claims: 'leases' },
);
