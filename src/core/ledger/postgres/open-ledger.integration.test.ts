// openLedger picks the driver the config names and hands back a migrated, working ledger.
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerConfig } from '../../../mapping/schema.js';
import {
  assertDatabaseReachable,
  dropSchema,
  randomSchema,
  TEST_DATABASE_URL,
} from '../../../../test/ledger/pg-test-db.js';
import { openLedger } from '../index.js';
import { SqliteLedger } from '../sqlite/index.js';
import type { Ledger } from '../types.js';
import { PostgresLedger } from './index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function opened(config: unknown, clock = { now: () => Date.parse('2024-06-01T12:00:00.000Z') }): Promise<Ledger> {
  const ledger = await openLedger(LedgerConfig.parse(config), clock);
  cleanups.push(() => ledger.close());
  return ledger;
}

describe('openLedger', () => {
  it('opens the SQLite ledger for the sqlite driver', async () => {
    const ledger = await opened({ driver: 'sqlite', path: ':memory:' });
    expect(ledger).toBeInstanceOf(SqliteLedger);
    expect(ledger.driver).toBe('sqlite');
    const id = await ledger.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    expect((await ledger.getLink(id!))?.createdAt).toBe('2024-06-01T12:00:00.000Z');
  });

  it('opens and migrates the PostgreSQL ledger in the configured schema with its lease', async () => {
    await assertDatabaseReachable();
    const schema = randomSchema();
    cleanups.push(() => dropSchema(schema));
    const ledger = await opened({ driver: 'postgres', url: TEST_DATABASE_URL, schema, leaseMs: 12_000 });
    expect(ledger).toBeInstanceOf(PostgresLedger);
    expect(ledger).toMatchObject({ driver: 'postgres', schema, leaseMs: 12_000 });
    const id = await ledger.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    expect((await ledger.getLink(id!))?.createdAt).toBe('2024-06-01T12:00:00.000Z');
  });
});
