// `ticketbridge pause|resume <connection>` (kept in the ledger; a running daemon sees it at its next
// poll and, on resume, catches up from its cursors) and the actions on a link a person decides:
// `unlink <link>`, `close-twin <link>` and `dismiss <link>` for a flagged link.
import type { Command } from 'commander';
import type { Link } from '../../core/ledger/types.js';
import { withParts } from '../parts.js';

interface Opts {
  config: string;
  ledger?: string;
}

function withLedgerOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)');
}

const describeLink = (l: Link): string => `link ${l.id} (${l.connection}): ${l.state}${l.note ? ` (${l.note})` : ''}`;

export function registerLinkActions(program: Command): void {
  withLedgerOptions(
    program
      .command('pause <connection>')
      .description(
        'pause a connection without a restart: nothing of it is written (webhooks are acknowledged and counted) until resumed',
      )
      .option('--note <text>', 'why, shown on the dashboard and /status'),
  ).action(async (connection: string, opts: Opts & { note?: string }) => {
    await withParts(opts, async ({ engine }) => {
      const state = await engine.pause(connection, opts.note ?? null);
      process.stdout.write(`${connection}: paused${state.since ? ` since ${state.since}` : ''}\n`);
    });
  });
  withLedgerOptions(
    program
      .command('resume <connection>')
      .description('resume a paused connection; the daemon catches up from where it stopped at its next poll'),
  ).action(async (connection: string, opts: Opts) => {
    await withParts(opts, async ({ engine }) => {
      await engine.resume(connection);
      process.stdout.write(`${connection}: resumed\n`);
    });
  });

  const actions = [
    { verb: 'unlink', text: 'end a link: neither ticket syncs any more and neither gets a new twin' },
    { verb: 'close-twin', text: 'flagged link: close the ticket still there and the link' },
    { verb: 'dismiss', text: 'flagged link (out of scope): dismiss the flag and keep syncing' },
  ] as const;
  for (const { verb, text } of actions) {
    withLedgerOptions(program.command(`${verb} <link>`).description(text)).action(async (id: string, opts: Opts) => {
      await withParts(opts, async ({ engine }) => {
        const link =
          verb === 'unlink'
            ? await engine.unlink(id)
            : verb === 'close-twin'
              ? await engine.closeTwin(id)
              : await engine.dismissFlag(id);
        process.stdout.write(`${describeLink(link)}\n`);
      });
    });
  }
}
