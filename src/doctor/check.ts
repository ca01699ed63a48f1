// What `ticketbridge doctor` checks and how a result reads: one line per check, pass, fail (with
// what to change) or skip (with why), so a run against a vendor sandbox reads like a checklist.
import type { ConnectorContext } from '../core/connector.js';
import { SystemQueue } from '../core/queue.js';
import { systemClock, type Logger } from '../core/types.js';
import type { Config, ScopeConfig, SystemConfig } from '../mapping/schema.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** The system's name in the config. */
  system: string;
  /** A stable short name, e.g. `note-moves-lastUpdated`. */
  check: string;
  status: CheckStatus;
  /** What was seen. */
  detail: string;
  /** For a failure: what to change (config, vendor setting, or what ticketbridge then cannot do). */
  fix?: string;
}

export interface DoctorOptions {
  /** Create (and at the end delete) one probe ticket per system for the checks that need a write. */
  write: boolean;
  /** Where the Jira webhook check listens. @default 127.0.0.1:0 */
  listenHost?: string;
  listenPort?: number;
  /** Public URL that reaches the listener (a real Jira cannot call 127.0.0.1). */
  webhookUrl?: string;
  /** How long a check waits for a webhook to arrive. @default 10000 */
  webhookWaitMs?: number;
  logger: Logger;
}

/** One system under test: its config and the scopes the connections give it. */
export interface SystemUnderTest {
  name: string;
  system: SystemConfig;
  scopes: Array<{ connection: string; scope: ScopeConfig }>;
}

export function systemsUnderTest(config: Config, only?: string): SystemUnderTest[] {
  return Object.entries(config.systems)
    .filter(([name]) => only === undefined || name === only)
    .map(([name, system]) => ({
      name,
      system,
      scopes: Object.entries(config.connections).flatMap(([connection, c]) =>
        (['a', 'b'] as const)
          .filter((side) => c[side].system === name)
          .map((side) => ({ connection, scope: c[side].scope })),
      ),
    }));
}

/** A connector context for the doctor's own calls (its own queue, never the daemon's). */
export function doctorContext<S extends SystemConfig>(
  sut: { name: string; system: S },
  logger: Logger,
): ConnectorContext<S> & { queue: SystemQueue } {
  return {
    systemName: sut.name,
    system: sut.system,
    connection: 'doctor',
    side: 'a',
    scope: {},
    queue: new SystemQueue({ system: sut.name, concurrency: 2 }),
    logger,
    clock: systemClock,
  };
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** `PASS  freshservice/includes: …` or `FAIL  …: … → change: …`. */
export function formatResult(r: CheckResult): string {
  const fix = r.status === 'fail' && r.fix ? ` -> change: ${r.fix}` : '';
  return `${LABEL[r.status]}  ${r.system}/${r.check}: ${r.detail}${fix}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Second-precision vendor timestamps move only once the next second has begun. */
export const NEXT_SECOND_MS = 1_100;
