// What `ledger export` and `report` share: --from/--to read as a period, and --connection names
// checked against the configuration, each refusal one usage line.
import { parsePeriod, PeriodError, type Period } from '../../core/period.js';
import type { DaemonParts } from '../../daemon.js';

/** The period --from and --to name; a value that is neither a day nor an instant is a usage error. */
export function periodOption(from: string, to: string, usage: (message: string) => Error): Period {
  try {
    return parsePeriod(from, to, { from: '--from', to: '--to' });
  } catch (err) {
    if (err instanceof PeriodError) throw usage(err.message);
    throw err;
  }
}

/** Refuses a --connection the configuration does not hold. */
export function checkConnections(
  parts: DaemonParts,
  names: readonly string[] | undefined,
  config: string,
  usage: (message: string) => Error,
): void {
  for (const name of names ?? [])
    if (!parts.engine.connections.has(name)) throw usage(`--connection: no connection "${name}" in ${config}`);
}
