// A ledger written by an earlier release opens with the current code: pending migrations run
// once, and every link, baseline and event already synced is still there.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from './index.js';
import { sqliteMigrations } from './migrations.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A ledger file as the release with only the first `upTo` migrations left it, with one synced link. */
async function olderLedger(upTo: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-upgrade-'));
  dirs.push(dir);
  const path = join(dir, 'ledger.sqlite');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const m of sqliteMigrations.filter((m) => m.version <= upTo)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      '2026-01-01T00:00:00.000Z',
    );
  }
  db.prepare(
    "INSERT INTO links (connection, a_id, b_id, state, a_version, b_version, created_at, updated_at) VALUES ('jsm-cw', '10034', '77', 'active', 'v1', 'v2', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
  ).run();
  db.close();
  return path;
}

describe('opening a ledger from an earlier release', () => {
  it.each([1, 2, 3])('applies the migrations after %i and keeps the links already synced', async (upTo) => {
    const path = await olderLedger(upTo);
    const ledger = new SqliteLedger({ path });
    try {
      const [link] = (await ledger.listLinks({})).items;
      expect(link).toMatchObject({
        connection: 'jsm-cw',
        aId: '10034',
        bId: '77',
        aVersion: 'v1',
        bVersion: 'v2',
        aKey: null,
        bKey: null,
        aMemo: null,
        bMemo: null,
      });
      await ledger.commit({ connection: 'jsm-cw', linkId: link!.id, keys: { a: 'IT-12' } });
      expect(await ledger.getLink(link!.id)).toMatchObject({ aKey: 'IT-12', aVersion: 'v1' });
    } finally {
      await ledger.close();
    }
    const db = new Database(path, { readonly: true });
    const versions = (
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>
    ).map((r) => r.version);
    db.close();
    expect(versions).toEqual(sqliteMigrations.map((m) => m.version));
  });

  it('copies an older ledger into memory for a reader, migrating the copy and leaving the file as it was', async () => {
    const path = await olderLedger(2);
    const before = await readFile(path);
    const copy = SqliteLedger.copyOf(path)!;
    try {
      expect((await copy.listLinks({})).items[0]).toMatchObject({ aId: '10034', aKey: null, aMemo: null });
      await copy.commit({ connection: 'jsm-cw', linkId: (await copy.listLinks({})).items[0]!.id, keys: { a: 'IT-9' } });
    } finally {
      await copy.close();
    }
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await readdir(dirname(path))).toEqual(['ledger.sqlite']);
    expect(SqliteLedger.copyOf(join(dirname(path), 'nothing.sqlite'))).toBeNull();
  });
});
