// `ticketbridge drift --config F [--ledger L] [--connection C] [--repair]`: reads every active
// linked pair, compares every mapped field with the engine's own equivalence (and the public
// comments) and prints each difference with its explanation. Exit 0 when nothing is unexplained,
// 1 otherwise; --repair rewrites the drifted fields' baselines so a pass settles them by the
// field's rule, and runs it.
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { DriftFinding } from '../../core/drift.js';
import type { DaemonParts } from '../../daemon.js';
import { CliExit } from '../exit.js';

type WithParts = <T>(opts: { config: string; ledger?: string }, fn: (parts: DaemonParts) => Promise<T>) => Promise<T>;

const line = (f: DriftFinding): string =>
  `${f.connection} link ${f.linkId} (${f.tickets.a} ⇄ ${f.tickets.b}) ${f.field}: a ${JSON.stringify(f.a)}, b ${JSON.stringify(f.b)} — ${f.explanation}`;

export function registerDrift(program: Command, withParts: WithParts, usage: (message: string) => Error): void {
  program
    .command('drift')
    .description(
      'audit every active linked pair: each difference with its explanation (change pending, conflict parked, revert due, deleted on <system> by a person, unexplained); exit 0 when nothing is unexplained, 1 otherwise',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)')
    .option('--connection <name>', 'only this connection')
    .option('--repair', 'settle each unexplained difference by the field rule (the owner wins) with a pass')
    .option('--json', 'print JSON')
    .action(
      async (opts: { config: string; ledger?: string; connection?: string; repair?: boolean; json?: boolean }) => {
        const result = await withParts(opts, async ({ engine }) => {
          if (opts.connection !== undefined && !engine.connections.has(opts.connection))
            throw usage(`--connection: no connection "${opts.connection}" in ${opts.config}`);
          const bar =
            process.stderr.isTTY && !opts.json
              ? new SingleBar({ format: 'auditing {bar} {value}/{total} pairs' })
              : null;
          // The engine's audit: background priority, progress, a drift_audited event for /status.
          const audit = await engine.drift({
            ...(opts.connection !== undefined ? { connection: opts.connection } : {}),
            repair: opts.repair === true,
            progress: (done, total) => (done === 1 ? bar?.start(total, done) : bar?.update(done)),
          });
          bar?.stop();
          return audit;
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          for (const f of result.findings) process.stdout.write(`${line(f)}\n`);
          process.stdout.write(
            `audit: ${result.pairs.toLocaleString('en-US')} pairs, ${result.unexplained} unexplained, ${result.pending} pending${result.unreadable ? `, ${result.unreadable} unreadable` : ''}${opts.repair ? `, ${result.repaired.length} repaired` : ''}\n`,
          );
        }
        // Found is found: a repaired audit still exits 1, so a scheduled run tells someone.
        if (result.unexplained > 0) throw new CliExit('', 1);
      },
    );
}
