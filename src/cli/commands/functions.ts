// `ticketbridge functions --config F`: the RACI matrix the config defines — per connection, each
// function with its match, the responsible side and the owner of every mapped field.
import type { Command } from 'commander';
import { loadConfig } from '../../mapping/loader.js';
import { raciMatrix, sideWords, type RaciConnection } from '../../mapping/raci.js';
import { formatTable } from '../format.js';

export function formatRaci(matrix: readonly RaciConnection[]): string {
  return matrix
    .map((c) => {
      const side = (s: 'a' | 'b'): string =>
        `${s} = ${c.sides[s].system} (${c.sides[s].label}${c.sides[s].team ? `, ${c.sides[s].team}` : ''})`;
      const table = formatTable(
        ['function', 'match', 'responsible', ...c.fields],
        c.rows.map((r) => [
          r.label,
          r.match,
          sideWords(c.sides, r.responsible),
          ...c.fields.map((f) => sideWords(c.sides, r.owners[f] ?? null)),
        ]),
        100,
      );
      return `connection ${c.connection}: ${side('a')}, ${side('b')}\nowners per field:\n${table}`;
    })
    .join('\n\n');
}

export function registerFunctions(program: Command): void {
  program
    .command('functions')
    .description('print the RACI matrix the config defines: functions, their match, responsible side and field owners')
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--json', 'print JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const { config } = loadConfig(opts.config);
      const matrix = raciMatrix(config);
      process.stdout.write(opts.json ? `${JSON.stringify(matrix, null, 2)}\n` : `${formatRaci(matrix)}\n`);
    });
}
