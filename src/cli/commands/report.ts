// `ticketbridge report --config F [--ledger L] --from YYYY-MM-DD --to YYYY-MM-DD --format md|html|csv|json`:
// the KPI report of a period from the ledger, for the monthly meeting (md, html), a spreadsheet
// (csv) or a script (json: `{ from, to, connections: [...] }`, stable).
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { type Period } from '../../core/period.js';
import { reportPage } from '../../core/report/html.js';
import { buildReport, type Report, type ReportConnection } from '../../core/report/kpi.js';
import { renderCsv, renderMarkdown } from '../../core/report/render.js';
import type { DaemonParts } from '../../daemon.js';
import { checkConnections, periodOption } from './period-options.js';

type WithParts = <T>(opts: { config: string; ledger?: string }, fn: (parts: DaemonParts) => Promise<T>) => Promise<T>;
export type ReportFormat = 'md' | 'html' | 'csv' | 'json';

/** The connections a report covers, with their systems' labels, optionally only some. */
export function reportConnections(parts: DaemonParts, only?: readonly string[]): ReportConnection[] {
  return [...parts.engine.connections.values()]
    .filter((rt) => !only || only.includes(rt.name))
    .map((rt) => ({ name: rt.name, systems: { a: rt.sides.a.label, b: rt.sides.b.label } }));
}

export function renderReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return renderCsv(report);
  if (format === 'html') return reportPage(report);
  return renderMarkdown(report);
}

/** The report's from/to as the user gave them when they are days, else as instants. */
export function namedPeriod(period: Period, from: string, to: string): { from: string; to: string } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  return { from: day.test(from) ? from : period.from, to: day.test(to) ? to : period.to };
}

export function registerReport(program: Command, withParts: WithParts, usage: (message: string) => Error): void {
  program
    .command('report')
    .description('the KPI report of a period from the ledger: summary, change against the previous period, detail')
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)')
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD, UTC)')
    .requiredOption('--to <day>', 'last day, included (YYYY-MM-DD, UTC)')
    .addOption(
      new Option('--format <format>', 'md, html, csv or json').choices(['md', 'html', 'csv', 'json']).default('md'),
    )
    .option('--connection <name...>', 'only these connections')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(
      async (opts: {
        config: string;
        ledger?: string;
        from: string;
        to: string;
        format: ReportFormat;
        connection?: string[];
        output?: string;
      }) => {
        const period = periodOption(opts.from, opts.to, usage);
        await withParts(opts, async (parts) => {
          checkConnections(parts, opts.connection, opts.config, usage);
          const report = await buildReport(parts.ledger, reportConnections(parts, opts.connection), period);
          const text = renderReport({ ...report, ...namedPeriod(period, opts.from, opts.to) }, opts.format);
          if (opts.output) writeFileSync(opts.output, text);
          else process.stdout.write(text);
        });
      },
    );
}
