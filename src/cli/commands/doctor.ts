// `ticketbridge doctor --config F [--write]`: checks, against the real systems (a vendor sandbox)
// or the simulators, each vendor behaviour the connectors rely on but the docs leave open, and
// prints one line per check: PASS, FAIL with what to change, or SKIP with why. Exits 1 when a
// check failed, 2 on a usage mistake.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { loadConfig } from '../../mapping/loader.js';
import { formatResult, runDoctor } from '../../doctor/index.js';

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`expected [host:]port, got "${value}"`);
  return { host: match[1] ?? '127.0.0.1', port };
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the vendor behaviour ticketbridge relies on against each system: one line per check (read-only unless --write)',
    )
    .addOption(new Option('-c, --config <file>', 'path to the YAML configuration').makeOptionMandatory())
    .option('--write', 'create one probe ticket per system for the checks that need a write, and delete it at the end')
    .option('--system <name>', 'check only this system (its name under systems:)')
    .option(
      '--listen <[host:]port>',
      'where the Jira webhook check listens (default 127.0.0.1, any free port)',
      parseListen,
    )
    .option(
      '--webhook-url <url>',
      'public URL Jira can reach that forwards to --listen (a real Jira cannot call 127.0.0.1)',
    )
    .action(
      async (
        opts: {
          config: string;
          write?: boolean;
          system?: string;
          listen?: { host: string; port: number };
          webhookUrl?: string;
        },
        command: Command,
      ) => {
        const { config } = loadConfig(opts.config);
        if (opts.system !== undefined && !(opts.system in config.systems))
          command.error(
            `error: --system: no system named "${opts.system}" (systems: ${Object.keys(config.systems).join(', ')})`,
            { exitCode: 2 },
          );
        const listen = opts.listen;
        const results = await runDoctor(
          config,
          {
            write: opts.write === true,
            logger: createLogger({ level: 'silent' }),
            ...(listen ? { listenHost: listen.host, listenPort: listen.port } : {}),
            ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}),
          },
          opts.system,
        );
        for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
        const count = (status: string): number => results.filter((r) => r.status === status).length;
        process.stdout.write(
          `${results.length} checks: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped\n`,
        );
        // The CLI's error path prints this one line and exits 1.
        if (count('fail') > 0) throw new Error(`${count('fail')} of ${results.length} checks failed`);
      },
    );
}
