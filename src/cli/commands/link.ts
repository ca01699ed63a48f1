// `ticketbridge link`: pair tickets both teams already hold instead of creating twins.
//   link --config F [--ledger L] [--connection C] [--dry-run] <a-ref> <b-ref>   one pair; prints the link id
//   link --config F [--ledger L] --from pairs.csv [--dry-run]                   a pairs file (a,b or connection,a,b)
//   link --config F [--ledger L] [--connection C] --discover [--accept]         candidates by each connection's match: rule
// A pairs file is idempotent and resumable: rows already linked are counted, not linked again.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { describeError, LinkRefusedError, NotFoundError } from '../../core/errors.js';
import type { Engine, PairRequest, PairResult } from '../../core/engine.js';
import { TicketRefError } from '../../core/ticket-ref.js';
import type { Side } from '../../core/types.js';
import { CliExit } from '../exit.js';
import { UsageError, withParts } from '../parts.js';
import { progressReporter } from '../progress.js';

interface LinkOpts {
  config: string;
  ledger?: string;
  connection?: string;
  from?: string;
  dryRun?: boolean;
  discover?: boolean;
  accept?: boolean;
}

/** One row of a pairs file, with the line it came from. */
export interface PairRow extends PairRequest {
  line: number;
}

export type RowOutcome = 'linked' | 'already linked' | 'not found' | 'refused' | 'failed' | 'previewed';

/** Reads a pairs file: a header row naming `a,b` or `connection,a,b`, then one pair per row. */
export function readPairs(path: string, text: string): PairRow[] {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: true, info: true, bom: true, trim: true, skip_empty_lines: true });
  } catch (err) {
    throw new UsageError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  const allowed = ['connection', 'a', 'b'];
  const unknown = header.filter((c) => !allowed.includes(c));
  if (records.length > 0 && (unknown.length > 0 || !header.includes('a') || !header.includes('b')))
    throw new UsageError(
      `${path}: the header row must name the columns a,b or connection,a,b (found ${header.join(',') || 'nothing'})`,
    );
  return records.map(({ record, info }) => ({
    line: info.lines,
    a: record.a ?? '',
    b: record.b ?? '',
    ...(record.connection ? { connection: record.connection } : {}),
  }));
}

/** What happened to one pair, as a word for the summary and a line for people. */
export async function linkOne(
  engine: Engine,
  request: PairRequest,
  dryRun: boolean,
): Promise<{ outcome: RowOutcome; text: string; result?: PairResult }> {
  try {
    const result = await engine.link(request, { dryRun, by: 'ticketbridge link' });
    const pair = `${result.connection} ${result.ids.a} ⇄ ${result.ids.b}`;
    if (result.status === 'preview') return { outcome: 'previewed', text: `${pair}: ${previewText(result)}`, result };
    const outcome = result.status === 'linked' ? 'linked' : 'already linked';
    return { outcome, text: `${outcome} ${pair}: link ${result.link!.id}`, result };
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'not found', text: err.message };
    if (err instanceof LinkRefusedError || err instanceof TicketRefError)
      return { outcome: 'refused', text: err.message };
    return { outcome: 'failed', text: describeError(err) };
  }
}

function previewText(result: PairResult): string {
  const writes = result.writes ?? { a: [], b: [] };
  const lines = (['a', 'b'] as Side[]).flatMap((side) =>
    writes[side].map(
      (w) =>
        `  ${side} ${result.ids[side]}: ${w.native} = ${JSON.stringify(w.value)} (${w.field} from ${w.from}: ${w.why})`,
    ),
  );
  if (lines.length === 0)
    return 'nothing would be linked (dry run); its first pass would write nothing: both sides agree';
  return `nothing would be linked (dry run); its first pass would write:\n${lines.join('\n')}`;
}

async function linkFile(engine: Engine, opts: LinkOpts & { from: string }): Promise<void> {
  let text: string;
  try {
    text = readFileSync(opts.from, 'utf8');
  } catch (err) {
    throw new UsageError(`--from ${opts.from}: ${err instanceof Error ? err.message : String(err)}`);
  }
  await linkRows(engine, readPairs(opts.from, text), opts, opts.from);
}

/** Links every row with a progress bar (or a line per row), then prints the summary; exit 1 unless all linked. */
async function linkRows(engine: Engine, rows: PairRow[], opts: LinkOpts, label: string): Promise<void> {
  const counts: Record<RowOutcome, number> = {
    linked: 0,
    'already linked': 0,
    'not found': 0,
    refused: 0,
    failed: 0,
    previewed: 0,
  };
  // A bar on a terminal, plain lines otherwise (stderr); rows not linked are listed on stdout.
  const progress = progressReporter(`${label}: linking`);
  const problems: string[] = [];
  for (const [index, row] of rows.entries()) {
    const connection = row.connection ?? opts.connection;
    const request = { a: row.a, b: row.b, ...(connection ? { connection } : {}) };
    const { outcome, text: said } = await linkOne(engine, request, opts.dryRun === true);
    counts[outcome]++;
    if (outcome !== 'linked' && outcome !== 'already linked') problems.push(`line ${row.line}: ${said}`);
    progress.update(index + 1, rows.length);
  }
  progress.stop();
  for (const line of problems) process.stdout.write(`${line}\n`);
  const summary = [
    `linked ${counts.linked}`,
    `already linked ${counts['already linked']}`,
    `not found ${counts['not found']}`,
    `refused ${counts.refused}`,
    ...(counts.failed > 0 ? [`failed ${counts.failed}`] : []),
    ...(opts.dryRun ? [`previewed ${counts.previewed} (dry run: nothing linked)`] : []),
  ];
  process.stdout.write(`${label}: ${rows.length} rows: ${summary.join(', ')}\n`);
  const done = counts.linked + counts['already linked'] + counts.previewed;
  if (done !== rows.length) throw new CliExit('', 1);
}

/** Lists the candidate pairs of the `match:` rules with their evidence; `--accept` links the unambiguous ones. */
async function discover(engine: Engine, opts: LinkOpts): Promise<void> {
  const candidates = await engine.discover(opts.connection);
  for (const c of candidates)
    process.stdout.write(
      `${c.connection} ${c.ids.a} ⇄ ${c.ids.b}: ${c.evidence}${c.ambiguous ? ' (ambiguous: another candidate shares a ticket; not accepted)' : ''}\n`,
    );
  const ambiguous = candidates.filter((c) => c.ambiguous).length;
  const rules = [...engine.connections.values()].filter((rt) => rt.config.match !== undefined).length;
  process.stdout.write(
    `${candidates.length} candidate pair${candidates.length === 1 ? '' : 's'}${ambiguous > 0 ? ` (${ambiguous} ambiguous)` : ''}${rules === 0 ? ': no connection has a match: rule' : ''}\n`,
  );
  if (!opts.accept) return;
  const rows = candidates
    .filter((c) => !c.ambiguous)
    .map((c, i) => ({ line: i + 1, connection: c.connection, a: c.ids.a, b: c.ids.b }));
  await linkRows(engine, rows, opts, 'accepted');
}

async function linkSingle(engine: Engine, opts: LinkOpts, aRef: string, bRef: string): Promise<void> {
  const request = { a: aRef, b: bRef, ...(opts.connection ? { connection: opts.connection } : {}) };
  const { outcome, text, result } = await linkOne(engine, request, opts.dryRun === true);
  if (outcome === 'linked') {
    process.stdout.write(`${result!.link!.id}\n`);
    process.stderr.write(`${text}\n`);
    return;
  }
  if (outcome === 'previewed') {
    process.stdout.write(`${text}\n`);
    return;
  }
  if (outcome === 'already linked')
    throw new CliExit(`error: already linked: ${text.replace(/^already linked /, '')}`, 1);
  throw new CliExit(`error: ${outcome}: ${text}`, 1);
}

export function registerLink(program: Command): void {
  program
    .command('link [a-ref] [b-ref]')
    .description(
      'pair two tickets both teams already hold (refs as typed: 123, IT-12, system:ref), or every pair of a file; stamps markers on both and prints the link id',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--ledger <path>', 'SQLite ledger path (overrides the config; created when missing)')
    .option('--connection <name>', 'the connection of the pair (needed when the references fit several)')
    .option('--from <file>', 'a CSV file of pairs: a header row a,b or connection,a,b, then one pair per row')
    .option('--dry-run', "link nothing; print what each link's first pass would write")
    .option('--discover', "list candidate pairs by each connection's match: rule, with their evidence")
    .option('--accept', 'with --discover: link the candidates (ambiguous ones are listed, never linked)')
    .action(async (aRef: string | undefined, bRef: string | undefined, opts: LinkOpts) => {
      const refs = aRef !== undefined || bRef !== undefined;
      if ([refs, opts.from !== undefined, opts.discover === true].filter(Boolean).length > 1)
        throw new UsageError('give one of: two ticket references, --from <file>, --discover');
      if (opts.accept && !opts.discover) throw new UsageError('--accept goes with --discover');
      if (opts.from === undefined && !opts.discover && (aRef === undefined || bRef === undefined))
        throw new UsageError('give two ticket references (a-side first), or --from <file>, or --discover');
      const use = opts.dryRun || (opts.discover && !opts.accept) ? 'read-only' : 'create';
      await withParts({ ...opts, use }, async ({ engine }) => {
        if (opts.connection !== undefined && !engine.connections.has(opts.connection))
          throw new UsageError(`--connection: no connection "${opts.connection}" in ${opts.config}`);
        if (opts.discover) await discover(engine, opts);
        else if (opts.from !== undefined) await linkFile(engine, { ...opts, from: opts.from });
        else await linkSingle(engine, opts, aRef!, bRef!);
      });
    });
}
