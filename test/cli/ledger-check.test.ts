// `ticketbridge ledger check`: a ledger's integrity and migration level, read-only, with the exit
// codes the upgrade and restore runbook relies on (0 intact, 1 damaged, 2 missing, 3 newer).
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { sqliteMigrations } from '../../src/core/ledger/sqlite/migrations.js';
import { captureCli } from '../helpers/cli.js';

const cli = captureCli();
const CONFIG = resolve(import.meta.dirname, '../../config/demo.yaml');
const LATEST = Math.max(...sqliteMigrations.map((m) => m.version));

/** A ledger with some links, checkpointed into one file (as a backup copy would be). */
async function ledgerFile(links = 5): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-ledger-check-')), 'ledger.sqlite');
  const ledger = new SqliteLedger({ path });
  for (let i = 0; i < links; i++)
    await ledger.commit({
      connection: 'fs-cw',
      newLink: { aId: `a${i}`, bId: `b${i}` },
      events: [
        {
          connection: 'fs-cw',
          linkId: null,
          side: 'a',
          field: null,
          kind: 'link_created',
          oldValue: null,
          newValue: null,
          reason: `ticket a${i} linked; ${'padding '.repeat(40)}`,
        },
      ],
    });
  await ledger.close();
  const db = new Database(path);
  db.pragma('journal_mode = DELETE');
  db.close();
  return path;
}

const check = (path: string): Promise<number> => cli.run('ledger', 'check', '--config', CONFIG, '--ledger', path);

describe('ticketbridge ledger check', () => {
  it('exits 0 for an intact ledger at this build’s migration level, and changes nothing', async () => {
    const path = await ledgerFile();
    const before = readFileSync(path);
    expect(await check(path)).toBe(0);
    expect(cli.out).toBe(`${path}: intact, at migration ${LATEST}, as this build expects\n`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('exits 0 and names the migrations run will apply for a ledger from an older build', async () => {
    const path = await ledgerFile();
    const db = new Database(path);
    db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(LATEST);
    db.close();
    expect(await check(path)).toBe(0);
    expect(cli.out).toBe(
      `${path}: intact, at migration ${LATEST - 1}; this build applies ${LATEST} when \`run\` starts (back it up first)\n`,
    );
  });

  it('exits 3 for a ledger written by a newer build', async () => {
    const path = await ledgerFile();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')").run();
    db.close();
    expect(await check(path)).toBe(3);
    expect(cli.err).toContain(`${path}: at migration 999, newer than this build (${LATEST})`);
  });

  it('exits 1 when the integrity check finds damage', async () => {
    const path = await ledgerFile(400);
    const bytes = readFileSync(path);
    const page = 4096;
    expect(statSync(path).size).toBeGreaterThan(page * 8);
    // Scribble over the b-tree pages after the schema page (keeping SQLite's header intact).
    bytes.fill(0x55, page * 2, bytes.length - page);
    writeFileSync(path, bytes);
    expect(await check(path)).toBe(1);
    expect(cli.err).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: integrity check failed: `));
  });

  it('exits 2 for a missing file or one that is not a ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-ledger-check-'));
    expect(await check(join(dir, 'nope.sqlite'))).toBe(2);
    expect(cli.err).toBe(`${join(dir, 'nope.sqlite')}: no such file\n`);
    cli.err = '';
    writeFileSync(join(dir, 'notes.txt'), 'not a database at all, just some text that is long enough '.repeat(20));
    expect(await check(join(dir, 'notes.txt'))).toBe(2);
    expect(cli.err).toMatch(/notes\.txt: not a SQLite database: /);
  });

  it('prints the whole result as JSON', async () => {
    const path = await ledgerFile();
    expect(await cli.run('ledger', 'check', '--config', CONFIG, '--ledger', path, '--json')).toBe(0);
    expect(JSON.parse(cli.out)).toEqual({
      status: 'ok',
      ledger: path,
      applied: sqliteMigrations.map((m) => m.version),
      latest: LATEST,
      integrity: ['ok'],
      message: `intact, at migration ${LATEST}, as this build expects`,
    });
  });
});
