// `ticketbridge ledger check --config F [--ledger L]`: verifies a ledger before an upgrade or after a
// restore, changing nothing. Exit codes: 0 intact (at this build's migration level, or behind it:
// `run` migrates forward on start), 1 damaged (integrity check failed), 2 no ledger there,
// 3 newer than this build (written by a newer ticketbridge).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkPostgresLedger, checkSqliteLedger, type LedgerCheck } from '../../core/ledger/check.js';
import { describeTarget } from '../../core/ledger/postgres/connection.js';
import { loadConfig } from '../../mapping/loader.js';
import { CliExit } from '../exit.js';

const EXIT: Record<LedgerCheck['status'], number> = { ok: 0, behind: 0, damaged: 1, missing: 2, ahead: 3 };

export function registerLedgerCheck(ledger: Command): void {
  ledger
    .command('check')
    .description(
      'verify a ledger without changing it: integrity (SQLite) and migration level; exit 0 intact, 1 damaged, 2 missing, 3 newer than this build',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger file (overrides the config), e.g. a backup to restore')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; ledger?: string; json?: boolean }) => {
      const { config } = loadConfig(opts.config);
      const checked =
        opts.ledger !== undefined || config.ledger.driver === 'sqlite'
          ? checkSqliteLedger(resolve(opts.ledger ?? (config.ledger.driver === 'sqlite' ? config.ledger.path : '')))
          : await checkPostgresLedger(config.ledger.url, config.ledger.schema, describeTarget(config.ledger.url).label);
      const line = `${checked.ledger}: ${checked.message}`;
      if (opts.json) process.stdout.write(`${JSON.stringify(checked, null, 2)}\n`);
      else if (EXIT[checked.status] === 0) process.stdout.write(`${line}\n`);
      if (EXIT[checked.status] !== 0) throw new CliExit(opts.json ? '' : line, EXIT[checked.status]);
    });
}
