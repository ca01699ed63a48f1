// Ledger faults are loud (issue 20 item 3): a damaged or read-only SQLite file is refused at start
// with one message naming the file and the cause; a second daemon on the same file refuses to
// start while the CLI's read verbs keep working beside the first; a full disk at run time makes
// /readyz unready with the cause, is logged at error level with a count, and clears once the
// ledger takes writes again. Real SQLite files, real processes where the OS lock matters.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { DEMO_CONFIG, demoConfigOnFreePorts } from '../helpers/demo-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = mkdtempSync(join(tmpdir(), 'tb-ledger-faults-'));
chmodSync(DIR, 0o777);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** A ledger file with enough rows to span many pages. */
async function filledLedger(name: string): Promise<string> {
  const path = join(DIR, name);
  const ledger = new SqliteLedger({ path });
  for (let i = 0; i < 300; i++)
    await ledger.recordError({
      connection: 'fs-cw',
      linkId: null,
      side: 'a',
      ticketId: String(i),
      code: 'remote_validation',
      message: `row ${i} `.repeat(40),
      retryable: false,
    });
  await ledger.close();
  return path;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ticketbridge <args>` as its own process (as uid 65534 when the test runs as root, so file modes bind). */
function cli(args: string[]): Promise<Ran> {
  return new Promise((ok) => {
    const asRoot = process.getuid?.() === 0;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, HOME: DIR, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

describe('a ledger that cannot be used is refused at start, naming the file and the cause', () => {
  it('refuses a SQLite file whose pages were overwritten (PRAGMA quick_check)', async () => {
    const path = await filledLedger('damaged.sqlite');
    const fd = openSync(path, 'r+');
    const pageSize = 4096;
    const pages = Math.floor(statSync(path).size / pageSize);
    expect(pages).toBeGreaterThan(10);
    for (let page = 2; page < pages; page += 2)
      writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, page * pageSize);
    closeSync(fd);

    const config = await demoConfigOnFreePorts();
    await expect(startDaemon(config, { ledgerPath: path, logLevel: 'silent' })).rejects.toThrow(
      new RegExp(
        `cannot open the SQLite ledger ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*(damaged|not a SQLite)`,
      ),
    );
  });

  it('refuses a read-only ledger file with one line naming it and saying read-only', async () => {
    const path = await filledLedger('read-only.sqlite');
    chmodSync(path, 0o444);
    const ran = await cli(['run', '--config', DEMO_CONFIG, '--ledger', path]);
    expect(ran.code).toBe(1);
    const lines = ran.stderr.trim().split('\n');
    expect(lines, ran.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`cannot open the SQLite ledger ${path}`);
    expect(lines[0]).toContain('read-only');
  }, 60_000);
});

describe('one daemon per SQLite ledger', () => {
  let daemon: DaemonHandle | null = null;
  afterAll(async () => daemon?.stop());

  it('a second daemon on the same file refuses to start with one line, while ledger reads keep working', async () => {
    const path = await filledLedger('shared.sqlite');
    chmodSync(path, 0o666);
    daemon = await startDaemon(await demoConfigOnFreePorts(), { ledgerPath: path, logLevel: 'silent' });
    chmodSync(`${path}.lock`, 0o666);
    for (const suffix of ['-wal', '-shm']) chmodSync(`${path}${suffix}`, 0o666);

    const second = await cli(['run', '--config', DEMO_CONFIG, '--ledger', path]);
    expect(second.code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines, second.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`the SQLite ledger ${path} is in use by another ticketbridge daemon`);
    expect(lines[0]).toContain('PostgreSQL');

    const reader = await cli(['errors', 'list', '--config', DEMO_CONFIG, '--ledger', path]);
    expect(reader.stderr).toBe('');
    expect(reader.code).toBe(0);
    expect(reader.stdout).toContain('remote_validation');

    // The first daemon is undisturbed.
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 90_000);
});

describe('a full disk at run time', () => {
  it('makes /readyz unready with the cause, logs at error with a count, and clears once writes succeed', async () => {
    const path = join(DIR, 'full.sqlite');
    const lines: Array<{ level: number; msg: string; failures?: number; cause?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as (typeof lines)[0]);
        done();
      },
    });
    const daemon = await startDaemon(await demoConfigOnFreePorts(), {
      ledgerPath: path,
      logger: pino({ level: 'info' }, sink),
    });
    try {
      // SQLite answers a file that may not grow exactly as it answers a full disk: SQLITE_FULL.
      const db = (daemon.ledger as unknown as { db: Database.Database }).db;
      const pages = Number(db.pragma('page_count', { simple: true }));
      db.pragma(`max_page_count = ${pages}`);
      const write = (i: number) =>
        daemon.ledger.recordError({
          connection: 'fs-cw',
          linkId: null,
          side: 'a',
          ticketId: String(i),
          code: 'remote_validation',
          message: 'x'.repeat(5000),
          retryable: false,
        });
      const failures: unknown[] = [];
      for (let i = 0; i < 12; i++) await write(i).catch((err: unknown) => failures.push(err));
      expect(failures.length).toBeGreaterThanOrEqual(10);

      const res = await fetch(`${daemon.url}/readyz?verbose`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Array<{ name: string; code: string | null; reason: string }> };
      expect(body.checks.find((c) => c.name === 'ledger')).toMatchObject({ code: 'ledger_failed' });

      const loud = lines.filter((l) => l.msg === 'ledger failing: passes cannot be recorded');
      expect(loud.map((l) => [l.level, l.failures, l.cause])).toEqual([
        [50, 1, 'the disk is full'],
        [50, 10, 'the disk is full'],
      ]);

      db.pragma('max_page_count = 1073741823');
      await write(99);
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});
