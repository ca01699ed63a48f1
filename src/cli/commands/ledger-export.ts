// `ticketbridge ledger export --config F [--ledger L] --from D --to D --format csv|json`: every
// ledger event of a period, oldest first, on stdout (or --output), for a spreadsheet or a script.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { eventsIn } from '../../core/ledger/events-in.js';
import type { Ledger, SyncEvent } from '../../core/ledger/types.js';
import { type Period } from '../../core/period.js';
import type { DaemonParts } from '../../daemon.js';
import { checkConnections, periodOption } from './period-options.js';

type WithParts = <T>(opts: { config: string; ledger?: string }, fn: (parts: DaemonParts) => Promise<T>) => Promise<T>;

export const EXPORT_COLUMNS = [
  'id',
  'at',
  'connection',
  'link',
  'side',
  'field',
  'kind',
  'old_value',
  'new_value',
  'reason',
  'data',
] as const;

const cell = (v: unknown): string => (v === null || v === undefined ? '' : JSON.stringify(v));

function csvRow(e: SyncEvent): string[] {
  return [
    e.id,
    e.at,
    e.connection,
    e.linkId ?? '',
    e.side ?? '',
    e.field ?? '',
    e.kind,
    cell(e.oldValue),
    cell(e.newValue),
    e.reason,
    cell(e.data),
  ];
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Writes the period's events to `out`; returns how many. */
export async function exportEvents(
  ledger: Ledger,
  filter: Period & { connections?: readonly string[] },
  format: 'csv' | 'json',
  out: Writable,
): Promise<number> {
  let n = 0;
  if (format === 'csv') await write(out, stringify([[...EXPORT_COLUMNS]]));
  else await write(out, '[');
  for await (const e of eventsIn(ledger, filter)) {
    if (format === 'csv') await write(out, stringify([csvRow(e)]));
    else await write(out, `${n === 0 ? '\n' : ',\n'}${JSON.stringify(e)}`);
    n++;
  }
  if (format === 'json') await write(out, n === 0 ? ']\n' : '\n]\n');
  return n;
}

export function registerLedgerExport(ledger: Command, withParts: WithParts, usage: (message: string) => Error): void {
  ledger
    .command('export')
    .description(
      'every ledger event of a period, oldest first, as CSV or JSON; a day --to includes that whole day (UTC)',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)')
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD, UTC) or an ISO 8601 instant')
    .requiredOption('--to <day>', 'last day, included (YYYY-MM-DD), or an ISO 8601 instant, excluded')
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .option('--connection <name...>', 'only these connections')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(
      async (opts: {
        config: string;
        ledger?: string;
        from: string;
        to: string;
        format: 'csv' | 'json';
        connection?: string[];
        output?: string;
      }) => {
        const period = periodOption(opts.from, opts.to, usage);
        await withParts(opts, async (parts) => {
          checkConnections(parts, opts.connection, opts.config, usage);
          const out = opts.output ? createWriteStream(opts.output) : process.stdout;
          const n = await exportEvents(
            parts.ledger,
            { ...period, ...(opts.connection ? { connections: opts.connection } : {}) },
            opts.format,
            out,
          );
          if (opts.output) {
            out.end();
            await once(out, 'finish');
            process.stderr.write(`${n} events written to ${opts.output}\n`);
          }
        });
      },
    );
}
