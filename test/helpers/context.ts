// Builds a ConnectorContext for tests: a fresh system queue, a silent logger, the real clock.
import type { ConnectorContext } from '../../src/core/connector.js';
import { SystemQueue } from '../../src/core/queue.js';
import { systemClock, type Clock, type Logger, type Side } from '../../src/core/types.js';
import type { ScopeConfig, SystemConfig } from '../../src/mapping/schema.js';

export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function testContext<S extends SystemConfig>(
  system: S,
  options: {
    scope?: ScopeConfig;
    connection?: string;
    side?: Side;
    systemName?: string;
    clock?: Clock;
    queue?: SystemQueue;
  } = {},
): ConnectorContext<S> {
  const systemName = options.systemName ?? system.kind;
  return {
    systemName,
    system,
    connection: options.connection ?? 'test',
    side: options.side ?? 'a',
    scope: options.scope ?? {},
    queue: options.queue ?? new SystemQueue({ system: systemName, concurrency: 8 }),
    logger: silentLogger,
    clock: options.clock ?? systemClock,
  };
}
