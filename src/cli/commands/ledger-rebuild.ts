// `ticketbridge ledger rebuild --config F [--ledger L] [--connection C]`: re-creates the links
// (and the baselines both sides agree on) of a lost or restored ledger by scanning both sides for
// the markers every twin carries, with progress. Pairs the ledger holds already are left as they are.
import type { Command } from 'commander';
import { rebuildConnection, type RebuildSummary } from '../../core/rebuild.js';
import type { DaemonParts } from '../../daemon.js';
import { progressReporter } from '../progress.js';

type WithParts = <T>(
  opts: { config: string; ledger?: string; use?: 'create' },
  fn: (parts: DaemonParts) => Promise<T>,
) => Promise<T>;

const count = (n: number): string => n.toLocaleString('en-US');

function summaryLine(s: RebuildSummary): string {
  const missing = s.sourceMissing > 0 ? `, ${count(s.sourceMissing)} twins whose source is gone left unlinked` : '';
  return `${s.connection}: ${count(s.linked)} links rebuilt from markers, ${count(s.alreadyLinked)} already linked${missing} (listed ${count(s.listed.a)} + ${count(s.listed.b)} tickets)`;
}

export function registerLedgerRebuild(ledger: Command, withParts: WithParts, usage: (message: string) => Error): void {
  ledger
    .command('rebuild')
    .description(
      'after a lost or restored ledger: re-create links and baselines by scanning both sides for the markers of each connection (creates the ledger if missing)',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)')
    .option('--connection <name>', 'only this connection')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; ledger?: string; connection?: string; json?: boolean }) => {
      const summaries = await withParts({ ...opts, use: 'create' }, async ({ engine, ledger: l }) => {
        if (opts.connection !== undefined && !engine.connections.has(opts.connection))
          throw usage(`--connection: no connection "${opts.connection}" in ${opts.config}`);
        const out: RebuildSummary[] = [];
        for (const rt of engine.connections.values()) {
          if (opts.connection !== undefined && rt.name !== opts.connection) continue;
          const bar = progressReporter(`${rt.name} rebuild`, { quiet: opts.json === true });
          const summary = await rebuildConnection(l, rt, (p) =>
            p.phase === 'listing'
              ? bar.update(p.listed, null, `listing ${rt.sides[p.side].label}`)
              : bar.update(p.done, p.total, 'linking twins'),
          );
          bar.stop();
          out.push(summary);
          if (!opts.json) process.stdout.write(`${summaryLine(summary)}\n`);
        }
        return out;
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    });
}
