// `ticketbridge ledger export`: a period's events, oldest first, as CSV or JSON, from a real SQLite ledger.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { NewEvent } from '../../src/core/ledger/types.js';
import { captureCli } from '../helpers/cli.js';

const CONFIG = resolve(import.meta.dirname, '../../config/demo.yaml');
const cli = captureCli();
let file: string;

const event = (at: string, over: Partial<NewEvent> = {}): NewEvent => ({
  at,
  connection: 'fs-cw',
  linkId: null,
  side: 'b',
  field: 'priority',
  kind: 'field_mirrored',
  oldValue: 'Priority 3 - Medium',
  newValue: 'Priority 2 - High',
  reason: 'Freshservice changed priority, "quoted", and a comma',
  data: { latencyMs: 2100 },
  ...over,
});

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'tb-export-')), 'ledger.sqlite');
  const ledger = new SqliteLedger({ path: file });
  await ledger.appendEvents([
    event('2026-10-31T23:59:59.000Z', { reason: 'october' }),
    event('2026-11-01T00:00:00.000Z'),
    event('2026-11-30T23:00:00.000Z', { connection: 'jsm-cw', kind: 'field_reverted', data: null }),
    event('2026-12-01T00:00:00.000Z', { reason: 'december' }),
  ]);
  await ledger.close();
});

describe('ticketbridge ledger export', () => {
  it('writes the period as CSV with a header, values as JSON, oldest first', async () => {
    const code = await cli.run(
      'ledger',
      'export',
      '--config',
      CONFIG,
      '--ledger',
      file,
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--format',
      'csv',
    );
    expect(cli.err).toBe('');
    expect(code).toBe(0);
    const rows = parse<Record<string, string>>(cli.out, { columns: true });
    expect(rows.map((r) => [r.at, r.connection, r.kind])).toEqual([
      ['2026-11-01T00:00:00.000Z', 'fs-cw', 'field_mirrored'],
      ['2026-11-30T23:00:00.000Z', 'jsm-cw', 'field_reverted'],
    ]);
    expect(rows[0]).toMatchObject({
      side: 'b',
      field: 'priority',
      old_value: '"Priority 3 - Medium"',
      new_value: '"Priority 2 - High"',
      reason: 'Freshservice changed priority, "quoted", and a comma',
      data: '{"latencyMs":2100}',
    });
    expect(rows[1]!.data).toBe('');
  });

  it('writes JSON a script can parse, limited to the connections asked for', async () => {
    const code = await cli.run(
      'ledger',
      'export',
      '--config',
      CONFIG,
      '--ledger',
      file,
      '--from',
      '2026-11-01',
      '--to',
      '2026-12-01T00:00:01Z',
      '--format',
      'json',
      '--connection',
      'fs-cw',
    );
    expect(code).toBe(0);
    const events = JSON.parse(cli.out) as Array<{ at: string; connection: string; data: unknown }>;
    expect(events.map((e) => [e.at, e.connection])).toEqual([
      ['2026-11-01T00:00:00.000Z', 'fs-cw'],
      ['2026-12-01T00:00:00.000Z', 'fs-cw'],
    ]);
    expect(events[0]!.data).toEqual({ latencyMs: 2100 });
  });

  it('writes an empty JSON array for a quiet period, and to a file with --output', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tb-export-out-')), 'events.json');
    expect(
      await cli.run(
        'ledger',
        'export',
        '--config',
        CONFIG,
        '--ledger',
        file,
        '--from',
        '2025-01-01',
        '--to',
        '2025-01-31',
        '--format',
        'json',
        '--output',
        out,
      ),
    ).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([]);
    expect(cli.err).toBe(`0 events written to ${out}\n`);
  });

  it.each([
    [
      ['--from', 'last-month', '--to', '2026-11-30'],
      'error: --from: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "last-month"\n',
    ],
    [
      ['--from', '2026-11-30', '--to', '2026-11-01'],
      'error: --to: 2026-11-01 is not after --from 2026-11-30; the period would be empty\n',
    ],
    [
      ['--from', '2026-11-01', '--to', '2026-11-30', '--connection', 'nope'],
      `error: --connection: no connection "nope" in ${CONFIG}\n`,
    ],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    expect(await cli.run('ledger', 'export', '--config', CONFIG, '--ledger', file, ...args)).toBe(2);
    expect(cli.err).toBe(message);
  });
});
