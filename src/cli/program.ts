// The ticketbridge command line: run the daemon, validate and plan a config, start the
// simulators or the demo, and inspect or act on the ledger. Errors for users are one clear line.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, describeError, ERROR_CODES, SyncError } from '../core/errors.js';
import type { FieldCatalog, Side } from '../core/types.js';
import type { TicketCandidate } from '../core/ledger/types.js';
import { resolveTicketRef, TicketRefError } from '../core/ticket-ref.js';
import { preflight, startDaemon, VERSION, type DaemonParts } from '../daemon.js';
import { checkMappedValues } from '../mapping/validate.js';
import type { LogLevel } from '../core/logger.js';
import { runDemo } from '../demo.js';
import { startSimulators } from '../simulators/start.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDescribe } from './commands/describe.js';
import { registerFunctions } from './commands/functions.js';
import { registerLedgerCheck } from './commands/ledger-check.js';
import { registerLedgerExport } from './commands/ledger-export.js';
import { registerLedgerRebuild } from './commands/ledger-rebuild.js';
import { registerReport } from './commands/report.js';
import { registerDrift } from './commands/drift.js';
import { registerLinkActions } from './commands/link-actions.js';
import { registerLink } from './commands/link.js';
import { CliExit } from './exit.js';
import { readConfig, UsageError, withParts } from './parts.js';
import { formatTable } from './format.js';
import { slaClocks, slaClockWords } from '../core/sla.js';
import { progressReporter } from './progress.js';
import { firstSyncPrinter } from './commands/run-progress.js';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function configOption(): Option {
  return new Option('-c, --config <file>', 'path to the YAML configuration').makeOptionMandatory();
}

function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LOG_LEVELS);
}

/** A ticket search reference (`123`, `IT-12`, `cw:123`) as ledger candidates; warns on stderr when a system could not be asked. */
async function ticketCandidates(parts: DaemonParts, text: string): Promise<TicketCandidate[]> {
  try {
    const search = await resolveTicketRef(text, parts.engine.connections);
    for (const system of search.unresolved)
      process.stderr.write(
        `warning: ${system} could not be asked what ${search.reference.ref} stands for; searched there only as an id and among the keys the ledger holds\n`,
      );
    return search.candidates;
  } catch (err) {
    if (err instanceof TicketRefError) throw new UsageError(err.message);
    throw err;
  }
}

function print(value: unknown, json: boolean, table?: () => string): void {
  process.stdout.write(json || !table ? `${JSON.stringify(value, null, 2)}\n` : `${table()}\n`);
}

function parseSide(value: string): Side {
  if (value !== 'a' && value !== 'b') throw new UsageError(`--take must be "a" or "b", got "${value}"`);
  return value;
}

/** Runs until SIGTERM/SIGINT: the first drains and stops, a second forces exit. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`${signal} again: exiting now\n`);
        process.exit(1);
      }
      process.stderr.write(`${signal}: draining and stopping (send again to force)\n`);
      void stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export function buildCli(): Command {
  const program = new Command('ticketbridge')
    .description('Mirror tickets both ways between ConnectWise Manage, Jira Service Management and Freshservice.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str.trim().split('\n')[0] + '\n') });

  program
    .command('run')
    .description('run the daemon: poll, take webhooks, serve the status endpoint and dashboard')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path (overrides the config)')
    .option(
      '--allow-empty-ledger',
      'start on a ledger with no link of a connection even though its systems hold its markers (each twin is then linked by marker as the first sync finds it); without it the daemon refuses and names `ledger rebuild`',
    )
    .addOption(logLevelOption())
    .action(async (opts: { config: string; ledger?: string; logLevel?: LogLevel; allowEmptyLedger?: boolean }) => {
      const config = await readConfig(opts.config);
      const daemon = await startDaemon(config, {
        ...(opts.ledger ? { ledgerPath: opts.ledger } : {}),
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
        ...(opts.allowEmptyLedger ? { allowEmptyLedger: true } : {}),
        firstSyncProgress: firstSyncPrinter(),
      });
      await untilSignal(() => daemon.stop());
    });

  program
    .command('validate')
    .description('check a config file; exit 0 when valid, 2 when not')
    .addOption(configOption())
    .option('--remote', 'also ask each system for its fields and values and check every mapped value')
    .action(async (opts: { config: string; remote?: boolean }) => {
      const config = await readConfig(opts.config);
      // Everything `run` would refuse at start, without touching the ledger or any system.
      const checked = await preflight(config).catch((err: unknown) => {
        if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => `${opts.config}: ${p}`));
        throw err;
      });
      for (const w of checked.warnings) process.stderr.write(`warning: ${opts.config}: ${w}\n`);
      if (opts.remote) {
        await withParts({ config: opts.config, use: 'none' }, async (parts) => {
          const catalogs = new Map<string, FieldCatalog>();
          const systems = new Set(Object.values(config.connections).flatMap((c) => [c.a.system, c.b.system]));
          const bar = progressReporter('validate --remote');
          for (const [name, pair] of parts.connectors) {
            const connection = config.connections[name]!;
            for (const side of ['a', 'b'] as const) {
              const system = connection[side].system;
              if (catalogs.has(system)) continue;
              bar.update(catalogs.size, systems.size, `asking ${system} for its fields and values`);
              catalogs.set(system, await pair[side].describe());
            }
          }
          bar.update(catalogs.size, systems.size, 'checking mapped values');
          bar.stop();
          const problems = checkMappedValues(config, catalogs);
          if (problems.length > 0) throw new ConfigError(problems);
        });
      }
      const connections = Object.keys(config.connections).length;
      process.stdout.write(
        `${opts.config}: valid (${Object.keys(config.systems).length} systems, ${connections} connection${connections === 1 ? '' : 's'})\n`,
      );
    });

  program
    .command('plan')
    .description('dry run: list what would be created or changed on each side; writes nothing anywhere')
    .addOption(configOption())
    .option('--ledger <file>', "SQLite ledger file (instead of the config's)")
    .option('--connection <name>', 'only this connection')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; ledger?: string; connection?: string; json?: boolean }) => {
      await withParts({ ...opts, use: 'read-only' }, async (parts) => {
        if (parts.ledgerMissing) {
          process.stderr.write(
            'no links yet: the ledger does not exist, so every ticket in scope would be created (nothing was created)\n',
          );
        }
        const bar = progressReporter('plan', { quiet: opts.json === true });
        let listed = 0;
        const planned = await parts.engine.plan(opts.connection, (connection) =>
          bar.update(++listed, null, `listing ${connection}`),
        );
        bar.stop(opts.json ? undefined : `plan: read ${listed.toLocaleString('en-US')} tickets`);
        print(planned, opts.json ?? false, () =>
          planned.length === 0
            ? 'Nothing to do: both sides agree.'
            : formatTable(
                ['connection', 'side', 'action', 'ticket', 'fields'],
                planned.map((p) => [p.connection, p.side, p.action, p.ticketId, JSON.stringify(p.fields)]),
              ),
        );
      });
    });

  program
    .command('simulate')
    .description('start a simulator for every system in the config whose baseUrl is on 127.0.0.1')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      const config = await readConfig(opts.config);
      const sims = await startSimulators(config);
      for (const s of sims) process.stdout.write(`${s.name} (${s.handle.kind}) simulator on ${s.handle.url}\n`);
      await untilSignal(async () => {
        for (const s of sims) await s.handle.stop();
      });
    });

  program
    .command('demo')
    .description('the simulators and the daemon in one process, from config/demo.yaml, with a short tour')
    .option('-c, --config <file>', 'demo configuration', 'config/demo.yaml')
    .option(
      '--ledger <path>',
      "SQLite ledger path (default: the config's ledger.path; a previous demo's is moved aside)",
    )
    .addOption(logLevelOption())
    .option('--no-seed', 'do not seed example tickets')
    .action(async (opts: { config: string; ledger?: string; logLevel?: LogLevel; seed: boolean }) => {
      const demo = await runDemo({
        configPath: opts.config,
        seed: opts.seed,
        ...(opts.ledger ? { ledgerPath: opts.ledger } : {}),
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      });
      await untilSignal(() => demo.stop());
    });

  registerDescribe(program);
  registerFunctions(program);

  const ledger = program.command('ledger').description('inspect the sync ledger');
  registerLedgerCheck(ledger);
  registerLedgerRebuild(ledger, withParts, (message) => new UsageError(message));
  registerLedgerExport(ledger, withParts, (message) => new UsageError(message));
  registerReport(program, withParts, (message) => new UsageError(message));
  registerDrift(program, withParts, (message) => new UsageError(message));
  ledger
    .command('links')
    .description('list links')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .option('--connection <name>')
    .option('--ticket <ref>', 'a ticket on either side: 123, IT-12, or system:ref (cw:123, jira:IT-12) for one system')
    .addOption(new Option('--state <state>').choices(['active', 'unlinked', 'flagged', 'closed', 'archived']))
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        config: string;
        ledger?: string;
        connection?: string;
        ticket?: string;
        state?: 'active';
        limit: string;
        json?: boolean;
      }) => {
        await withParts(opts, async (parts) => {
          const l = parts.ledger;
          const page = await l.listLinks({
            ...(opts.connection ? { connection: opts.connection } : {}),
            ...(opts.ticket ? { tickets: await ticketCandidates(parts, opts.ticket) } : {}),
            ...(opts.state ? { state: opts.state } : {}),
            limit: Number(opts.limit),
          });
          print(
            page,
            opts.json ?? false,
            () =>
              `${formatTable(
                ['link', 'connection', 'a', 'b', 'state', 'updated'],
                page.items.map((k) => [
                  k.id,
                  k.connection,
                  ticketName(k.aId, k.aKey),
                  ticketName(k.bId, k.bKey),
                  k.state,
                  k.updatedAt,
                ]),
              )}\n${page.items.length} of ${page.total}`,
          );
        });
      },
    );
  ledger
    .command('show <id>')
    .description('one link: both tickets, baselines and its full event history')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .action(async (id: string, opts: { config: string; ledger?: string }) => {
      await withParts(opts, async ({ ledger: l }) => {
        const snap = await l.snapshot(id);
        if (!snap) throw new UsageError(`no link ${id}`);
        const events = await l.listEvents({ linkId: id, limit: 1000 });
        print({ ...snap, events: events.items }, true);
      });
    });
  ledger
    .command('events')
    .description('recent events, newest first')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .option('--connection <name>')
    .option('--link <id>')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        config: string;
        ledger?: string;
        connection?: string;
        link?: string;
        limit: string;
        json?: boolean;
      }) => {
        await withParts(opts, async ({ ledger: l }) => {
          const page = await l.listEvents({
            ...(opts.connection ? { connection: opts.connection } : {}),
            ...(opts.link ? { linkId: opts.link } : {}),
            limit: Number(opts.limit),
          });
          print(page, opts.json ?? false, () =>
            formatTable(
              ['at', 'link', 'kind', 'field', 'reason'],
              page.items.map((e) => [e.at, e.linkId ?? '', e.kind, e.field ?? '', e.reason]),
            ),
          );
        });
      },
    );

  program
    .command('audit <ticket>')
    .description(
      'the full history of the links holding this ticket: 123, IT-12, or system:ref (cw:123, jira:IT-12) for one system',
    )
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .action(async (ticket: string, opts: { config: string; ledger?: string }) => {
      await withParts(opts, async (parts) => {
        const l = parts.ledger;
        const links = await l.listLinks({ tickets: await ticketCandidates(parts, ticket) });
        if (links.total === 0) throw new UsageError(`no link holds ticket ${ticket}`);
        for (const link of links.items) {
          const events = await l.listEvents({ linkId: link.id, limit: 1000 });
          process.stdout.write(
            `link ${link.id} (${link.connection}): a ${ticketName(link.aId, link.aKey)} <-> b ${ticketName(link.bId, link.bKey)}, ${link.state}\n`,
          );
          for (const e of [...events.items].reverse())
            process.stdout.write(`  ${e.at}  ${e.kind.padEnd(18)} ${e.reason}\n`);
          const clocks = slaClocks(events.items);
          if (clocks.length > 0) process.stdout.write('  SLA clocks:\n');
          for (const c of clocks) process.stdout.write(`    ${slaClockWords(c)}\n`);
        }
      });
    });

  const conflicts = program.command('conflicts').description('the conflict inbox');
  conflicts
    .command('list')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .option('--all', 'include resolved conflicts')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; ledger?: string; all?: boolean; json?: boolean }) => {
      await withParts(opts, async ({ ledger: l }) => {
        const list = await l.listConflicts(opts.all ? {} : { state: 'open' });
        print(list, opts.json ?? false, () =>
          list.length === 0
            ? 'No open conflicts.'
            : formatTable(
                ['conflict', 'link', 'field', 'a', 'b', 'state'],
                list.map((c) => [c.id, c.linkId, c.field, JSON.stringify(c.aValue), JSON.stringify(c.bValue), c.state]),
              ),
        );
      });
    });
  conflicts
    .command('resolve <id>')
    .description("resolve a conflict by taking one side's value; writes it to the other side")
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .requiredOption('--take <side>', 'a or b')
    .action(async (id: string, opts: { config: string; ledger?: string; take: string }) => {
      const take = parseSide(opts.take);
      await withParts(opts, async ({ engine }) => {
        const c = await engine.resolveConflict(id, take);
        process.stdout.write(`conflict ${c.id} on ${c.field}: ${c.resolution ?? c.state}\n`);
      });
    });

  const errors = program.command('errors').description('sync errors waiting for attention');
  errors
    .command('list')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; ledger?: string; json?: boolean }) => {
      await withParts(opts, async ({ ledger: l }) => {
        const list = await l.listErrors({ state: 'open' });
        print(list, opts.json ?? false, () =>
          list.length === 0
            ? 'No open errors.'
            : formatTable(
                ['error', 'connection', 'link', 'code', 'message'],
                list.map((e) => [
                  e.id,
                  e.connection,
                  e.linkId ?? `${e.side ?? ''}:${e.ticketId ?? ''}`,
                  e.code,
                  e.message,
                ]),
              ),
        );
      });
    });
  errors
    .command('retry [id]')
    .description('retry the pass behind one error, or every open error with --all (of one code with --code)')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .option('--all', 'retry every open error of the running connections')
    .option('--code <code>', `with --all, only errors of this code (${ERROR_CODES.join(', ')})`)
    .action(async (id: string | undefined, opts: { config: string; ledger?: string; all?: boolean; code?: string }) => {
      if ((id === undefined) === (opts.all !== true)) throw new UsageError('give an error id or --all, not both');
      if (opts.code !== undefined && !opts.all) throw new UsageError('--code goes with --all');
      if (opts.code !== undefined && !(ERROR_CODES as readonly string[]).includes(opts.code))
        throw new UsageError(`--code: no error code "${opts.code}" (codes: ${ERROR_CODES.join(', ')})`);
      await withParts(opts, async ({ engine }) => {
        if (id !== undefined) {
          const e = await engine.retryError(id);
          process.stdout.write(`error ${e.id}: ${e.state}\n`);
          return;
        }
        const after = await engine.retryErrors(opts.code);
        for (const e of after) process.stdout.write(`error ${e.id}: ${e.state}\n`);
        const open = after.filter((e) => e.state === 'open').length;
        process.stdout.write(`retried ${after.length} errors: ${after.length - open} resolved, ${open} still open\n`);
        // Exit 1 while any stays open (main's return value is the exit code).
        if (open > 0) throw new CliExit('', 1);
      });
    });

  program
    .command('resync <link>')
    .description('force a full pass of one link, comments included')
    .addOption(configOption())
    .option('--ledger <path>', 'SQLite ledger path')
    .action(async (link: string, opts: { config: string; ledger?: string }) => {
      await withParts(opts, async ({ engine }) => {
        const outcome = await engine.resync(link);
        process.stdout.write(`link ${link}: ${outcome}\n`);
      });
    });

  const webhooks = program
    .command('webhooks')
    .description("register the daemon's webhook receiver where the system allows it");
  for (const verb of ['register', 'unregister'] as const) {
    webhooks
      .command(verb)
      .addOption(configOption())
      .requiredOption('--connection <name>')
      .addOption(new Option('--side <side>').choices(['a', 'b']).makeOptionMandatory())
      .option('--url <base>', 'public base URL of this daemon (default: server.publicUrl)')
      .action(async (opts: { config: string; connection: string; side: Side; url?: string }) => {
        await withParts({ ...opts, use: 'none' }, async ({ connectors, config }) => {
          const pair = connectors.get(opts.connection);
          if (!pair) throw new UsageError(`no connection named "${opts.connection}"`);
          const base = opts.url ?? config.server.publicUrl;
          if (!base) throw new UsageError('--url is required when server.publicUrl is not set');
          const target = `${base.replace(/\/$/, '')}/webhooks/${opts.connection}/${opts.side}`;
          const connector = pair[opts.side];
          const fn =
            verb === 'register'
              ? connector.registerWebhook?.bind(connector)
              : connector.unregisterWebhook?.bind(connector);
          if (!fn) throw new UsageError(`${connector.facts.label} webhooks are set up in its admin UI; see its readme`);
          const result = await fn(target);
          process.stdout.write(`${verb}ed ${target}${typeof result === 'string' ? ` (${result})` : ''}\n`);
        });
      });
  }

  registerDoctor(program);
  registerLink(program);
  registerLinkActions(program);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.problems.join('\n')}\n`);
      return 2;
    }
    if (err instanceof CliExit) {
      if (err.message !== '') process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommanderError) {
      // Help and --version exit 0; a usage mistake (already printed by commander) exits 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`error: ${err instanceof SyncError ? describeError(err) : describeError(err)}\n`);
    return 1;
  }
}

/** A ticket as people know it: its key with the id beside it (`IT-12 (10034)`), or just the id. */
function ticketName(id: string, key: string | null): string {
  return key && key !== id ? `${key} (${id})` : id;
}
