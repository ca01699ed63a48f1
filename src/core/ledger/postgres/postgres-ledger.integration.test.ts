// What only the PostgreSQL ledger does: its own schema, migrations racing between instances,
// batch leases with SKIP LOCKED, and connection errors that never reveal the URL's password.
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError, NetworkError, SyncError } from '../../errors.js';
import type { Logger } from '../../types.js';
import { dropSchema, openTestLedger, randomSchema, TEST_DATABASE_URL } from '../../../../test/ledger/pg-test-db.js';
import { PostgresLedger } from './index.js';
import { postgresMigrations } from './migrations.js';

const disposers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

async function fresh(options: Parameters<typeof openTestLedger>[0] = {}): Promise<PostgresLedger> {
  const { ledger, dispose } = await openTestLedger(options);
  disposers.push(dispose);
  return ledger;
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The test URL with other parts replaced. A password is added only when the URL has none (a
 * server with trust auth ignores it); a server that checks passwords keeps its own.
 */
function urlWith(parts: { password?: string; port?: string; database?: string; username?: string }): string {
  const u = parsedTestUrl();
  if (parts.password && !u.password) u.password = parts.password;
  if (parts.port) u.port = parts.port;
  if (parts.database) u.pathname = `/${parts.database}`;
  if (parts.username) u.username = parts.username;
  return u.toString();
}

/**
 * The test URL as a URL object. A Unix-socket URL (`postgres://user@/db?host=/run/postgresql`)
 * has no host for URL to parse; a placeholder host is harmless, as the `host` parameter wins.
 */
function parsedTestUrl(): URL {
  return new URL(TEST_DATABASE_URL.replace('@/', '@localhost/'));
}

/** Where the test server is, as the ledger names it: host (or socket directory) and database. */
const TEST_HOST = parsedTestUrl().searchParams.get('host') ?? parsedTestUrl().hostname;
const TEST_DATABASE = parsedTestUrl().pathname.slice(1);

describe('PostgresLedger schema and migrations', () => {
  it('creates its tables in the configured schema with JSONB values and BIGINT ids', async () => {
    const ledger = await fresh();
    const tables = await sql<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [ledger.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'attachment_map',
      'baselines',
      'claims',
      'comment_map',
      'conflicts',
      'cursors',
      'errors',
      'events',
      'first_syncs',
      'intents',
      'links',
      'pauses',
      'schema_migrations',
    ]);
    const columns = await sql<{ table_name: string; column_name: string; data_type: string }>(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND (data_type = 'jsonb' OR (table_name = 'links' AND column_name = 'id'))",
      [ledger.schema],
    );
    expect(columns.find((c) => c.table_name === 'links' && c.column_name === 'id')?.data_type).toBe('bigint');
    expect(
      columns
        .filter((c) => c.data_type === 'jsonb')
        .map((c) => `${c.table_name}.${c.column_name}`)
        .sort(),
    ).toEqual(
      [
        'baselines.a_value',
        'baselines.b_value',
        'conflicts.a_value',
        'conflicts.b_value',
        'conflicts.baseline',
        'cursors.seen_ids',
        'events.data',
        'events.new_value',
        'events.old_value',
        'intents.payload',
        'links.a_memo',
        'links.b_memo',
      ].sort(),
    );
  });

  it('keeps two schemas on one database apart', async () => {
    const one = await fresh();
    const two = await fresh();
    await one.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    expect((await one.counts()).links).toBe(1);
    expect((await two.counts()).links).toBe(0);
  });

  it('applies each migration once when several instances start on a new schema together', async () => {
    const schema = randomSchema();
    disposers.push(() => dropSchema(schema));
    const ledgers = await Promise.all(
      Array.from({ length: 4 }, () => PostgresLedger.open({ url: TEST_DATABASE_URL, schema, poolSize: 2 })),
    );
    disposers.push(async () => {
      for (const l of ledgers) await l.close();
    });
    const applied = await sql<{ version: number }>(
      `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(applied.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
    expect(applied.length).toBeGreaterThanOrEqual(3);
    const id = await ledgers[0]!.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    expect((await ledgers[3]!.getLink(id!))?.aId).toBe('1');
  });

  it('rejects a schema name that is not a plain lower-case identifier', () => {
    expect(() => new PostgresLedger({ url: TEST_DATABASE_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(
      /ledger\.schema must match/,
    );
    expect(() => new PostgresLedger({ url: TEST_DATABASE_URL, schema: 'Upper' })).toThrow(SyncError);
  });

  it('closes idempotently', async () => {
    const ledger = new PostgresLedger({ url: TEST_DATABASE_URL, schema: randomSchema() });
    await ledger.close();
    await ledger.close();
  });
});

describe('PostgresLedger connection errors', () => {
  // The password that must never be printed: the test URL's own, or one added to it.
  const password = decodeURIComponent(parsedTestUrl().password) || 'hunter2-do-not-print';

  it('reports an unreachable server with host, port and database but not the password', async () => {
    const err: unknown = await PostgresLedger.open({
      url: urlWith({ password, port: '1' }),
      schema: randomSchema(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    const e = err as NetworkError;
    expect(e.code).toBe('network');
    expect(e.message).toContain(`PostgreSQL ledger at ${TEST_HOST}:1/${TEST_DATABASE}`);
    expect(e.message).not.toContain(password);
    expect(e.message).not.toContain('postgres://');
    expect(JSON.stringify({ message: e.message, cause: String(e.cause) })).not.toContain(password);
  });

  it('reports a missing database as a configuration error without the password', async () => {
    const err: unknown = await PostgresLedger.open({
      url: urlWith({ password, database: 'tb_no_such_database' }),
      schema: randomSchema(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe('config_invalid');
    expect((err as SyncError).message).toContain('/tb_no_such_database');
    expect((err as SyncError).message).not.toContain(password);
  });

  it('reports a refused login as an authentication error without the password', async () => {
    const err: unknown = await PostgresLedger.open({
      url: urlWith({ password, username: 'tb_no_such_role' }),
      schema: randomSchema(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).not.toContain(password);
  });

  it('logs an idle connection failure instead of crashing, without the password', async () => {
    const warn = vi.fn();
    const logger: Logger = { trace: vi.fn(), debug: vi.fn(), info: vi.fn(), warn, error: vi.fn(), child: () => logger };
    const ledger = await fresh({ url: urlWith({ password }), logger });
    const pool = (ledger as unknown as { pool: EventEmitter }).pool;
    pool.emit('error', Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' }));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(password);
    expect(JSON.stringify(warn.mock.calls)).toContain(
      `${TEST_HOST}:${parsedTestUrl().port || '5432'}/${TEST_DATABASE}`,
    );
    await ledger.ping();
  });

  it('passes statement errors through unchanged', async () => {
    const ledger = await fresh();
    await ledger.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    const err: unknown = await ledger
      .commit({ connection: 'c', newLink: { aId: '1', bId: '3' } })
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(SyncError);
    expect((err as { code?: string }).code).toBe('23505');
  });
});

describe('PostgresLedger.claimLinks', () => {
  let schemaLedgers: PostgresLedger[] = [];
  let linkIds: string[] = [];

  beforeAll(async () => {
    const { ledger: first } = await openTestLedger();
    const second = await PostgresLedger.open({ url: TEST_DATABASE_URL, schema: first.schema, poolSize: 4 });
    schemaLedgers = [first, second];
    for (let i = 1; i <= 40; i++)
      linkIds.push((await first.commit({ connection: 'c', newLink: { aId: `a${i}`, bId: `b${i}` } }))!);
    const closed = linkIds[4]!;
    await first.commit({ connection: 'c', linkId: closed, linkState: { state: 'closed', note: 'deleted on a' } });
    linkIds = linkIds.filter((id) => id !== closed);
    await first.commit({ connection: 'other', newLink: { aId: 'a1', bId: 'b1' } });
  });
  afterEach(async () => {
    await sql(`DELETE FROM "${schemaLedgers[0]!.schema}".claims`);
  });
  afterAll(async () => {
    for (const l of schemaLedgers) await l.close();
    if (schemaLedgers[0]) await dropSchema(schemaLedgers[0].schema);
  });

  it('leases active links of the connection in id order, up to the limit', async () => {
    const [one] = schemaLedgers;
    const got = await one!.claimLinks('c', 'one', 60_000, 10);
    expect(got).toEqual(linkIds.slice(0, 10));
    expect(await one!.claimLinks('c', 'one', 60_000, 100)).toEqual(linkIds);
  });

  it('pages after a given link id', async () => {
    const [one] = schemaLedgers;
    expect(await one!.claimLinks('c', 'one', 60_000, 5, linkIds[9])).toEqual(linkIds.slice(10, 15));
  });

  it('never hands a link leased by one instance to another while the lease is live', async () => {
    const [one, two] = schemaLedgers;
    const first = await one!.claimLinks('c', 'one', 60_000, 15);
    const second = await two!.claimLinks('c', 'two', 60_000, 100);
    expect(second).toEqual(linkIds.slice(15));
    expect(await two!.claim(`link:${first[0]!}`, 'two', 60_000)).toBe(false);
    expect(await one!.claim(`link:${first[0]!}`, 'one', 60_000)).toBe(true);
  });

  it('skips links another instance holds through claim()', async () => {
    const [one, two] = schemaLedgers;
    expect(await one!.claim(`link:${linkIds[0]!}`, 'one', 60_000)).toBe(true);
    expect(await two!.claimLinks('c', 'two', 60_000, 3)).toEqual(linkIds.slice(1, 4));
  });

  it('splits the links between instances claiming at the same time, each link to exactly one', async () => {
    const [one, two] = schemaLedgers;
    const batches = async (ledger: PostgresLedger, owner: string): Promise<string[]> => {
      const first = await ledger.claimLinks('c', owner, 60_000, 12);
      return [...first, ...(await ledger.claimLinks('c', owner, 60_000, 12, first.at(-1) ?? null))];
    };
    const [byOne, byTwo] = await Promise.all([batches(one!, 'one'), batches(two!, 'two')]);
    expect(byOne.filter((id) => byTwo.includes(id))).toEqual([]);
    const leases = await sql<{ key: string; owner: string }>(`SELECT key, owner FROM "${one!.schema}".claims`);
    expect(leases).toHaveLength(byOne.length + byTwo.length);
    for (const { key, owner } of leases) expect(owner === 'one' ? byOne : byTwo).toContain(key.slice('link:'.length));
    // Whatever neither took is still there for a third instance: nothing lost, nothing twice.
    const rest = await one!.claimLinks('c', 'three', 60_000, 100);
    expect([...byOne, ...byTwo, ...rest].sort((x, y) => Number(x) - Number(y))).toEqual(linkIds);
  });

  it('hands a dead instance’s links to another after the lease expires', async () => {
    const [one, two] = schemaLedgers;
    expect(await one!.claimLinks('c', 'dead', 50, 3)).toEqual(linkIds.slice(0, 3));
    await vi.waitFor(async () => expect(await two!.claimLinks('c', 'alive', 60_000, 3)).toEqual(linkIds.slice(0, 3)), {
      timeout: 5_000,
      interval: 25,
    });
  });
});

describe('PostgresLedger for readers (the dry run)', () => {
  it('finds no ledger where the schema does not exist, and creates none', async () => {
    const schema = randomSchema();
    expect(await PostgresLedger.openReadOnly({ url: TEST_DATABASE_URL, schema })).toBeNull();
    expect(await sql('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('reads an existing ledger and cannot write to it', async () => {
    const { ledger, schema, dispose } = await openTestLedger();
    disposers.push(dispose);
    const id = await ledger.commit({ connection: 'c', newLink: { aId: '1', bId: '2' } });
    const reader = (await PostgresLedger.openReadOnly({ url: TEST_DATABASE_URL, schema }))!;
    try {
      expect((await reader.getLink(id!))?.aId).toBe('1');
      await expect(reader.commit({ connection: 'c', newLink: { aId: '3', bId: '4' } })).rejects.toThrow(/read-only/);
    } finally {
      await reader.close();
    }
    expect((await ledger.listLinks({})).total).toBe(1);
  });
});
