// Shared by the CLI verbs: reading the config, opening the ledger and connectors for one command,
// and the one-line usage error (exit 2).
import { userInfo } from 'node:os';
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { withActor } from '../core/actor.js';
import { buildDaemon, type DaemonParts } from '../daemon.js';
import { loadConfig } from '../mapping/loader.js';
import type { Config } from '../mapping/schema.js';

/** Thrown for a user mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export async function readConfig(path: string, quiet = false): Promise<Config> {
  const { config, warnings } = loadConfig(path);
  if (!quiet) for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  return config;
}

/**
 * Opens the ledger and connectors (no polling, no server), runs `fn`, closes everything. The
 * ledger must exist (only `run` creates one): a mistyped path is an error naming it, never a new
 * empty ledger. `use: 'none'` gives verbs that do not read it an empty in-memory one;
 * `'read-only'` (the dry run) reads a copy and writes nothing, and a missing ledger reads as empty;
 * `'create'` (pairing tickets before the first `run`, `ledger rebuild`) creates the ledger when there is none.
 */
export async function withParts<T>(
  opts: { config: string; ledger?: string; use?: 'existing' | 'none' | 'read-only' | 'create' },
  fn: (parts: DaemonParts) => Promise<T>,
): Promise<T> {
  const config = await readConfig(opts.config, true);
  const use = opts.use ?? 'existing';
  const path = use === 'none' ? ':memory:' : opts.ledger;
  if (use === 'existing') {
    const file = opts.ledger ?? (config.ledger.driver === 'sqlite' ? config.ledger.path : null);
    if (file !== null && !existsSync(file))
      throw new UsageError(
        `no ledger at ${resolvePath(file)} (${opts.ledger ? '--ledger' : `ledger.path in ${opts.config}`}): \`ticketbridge run\` creates it; this command only reads one`,
      );
  }
  const parts = await buildDaemon(config, {
    logLevel: 'silent',
    ...(path ? { ledgerPath: path } : {}),
    ...(use === 'read-only' ? { readOnlyLedger: true } : {}),
  });
  try {
    // The events of a person's actions at the command line say who: cli:<login name>.
    return await withActor(cliActor(), () => fn(parts));
  } finally {
    await parts.close();
  }
}

/** `cli:<login name>`, or `cli` where the system names no user. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
