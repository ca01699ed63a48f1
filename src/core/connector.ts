// What a connector module is: its kind, label, default limits and a factory that builds one
// connector instance per connection side. Instances for the same system share its request queue.
import type { ScopeConfig, SystemConfig } from '../mapping/schema.js';
import { ConfigError } from './errors.js';
import type { SystemQueue } from './queue.js';
import type { Clock, Connector, Logger, Side, SystemKind } from './types.js';

export interface ConnectorContext<S extends SystemConfig = SystemConfig> {
  /** The system's name under `systems` in the config. */
  systemName: string;
  system: S;
  /** The connection and side this instance serves (for logs, markers, scope). */
  connection: string;
  side: Side;
  scope: ScopeConfig;
  queue: SystemQueue;
  logger: Logger;
  clock: Clock;
}

/** A connector module as the registry and the daemon use it: one shape for every kind. */
export interface ConnectorModule {
  kind: SystemKind;
  label: string;
  /** Builds the connector for one side; refuses a system of another kind. */
  create(context: ConnectorContext): Connector;
  /** Default client-side limits when the config sets none. */
  defaultRateLimit: { requestsPerMinute: number; concurrency: number };
}

type SystemOf<K extends SystemKind> = Extract<SystemConfig, { kind: K }>;

/**
 * Declares a connector module whose factory sees its own system's config type. The one narrowing
 * from the generic context happens here, after checking the kind at run time.
 */
export function defineConnector<K extends SystemKind>(module: {
  kind: K;
  label: string;
  create: (context: ConnectorContext<SystemOf<K>>) => Connector;
  defaultRateLimit: { requestsPerMinute: number; concurrency: number };
}): ConnectorModule {
  return {
    kind: module.kind,
    label: module.label,
    defaultRateLimit: module.defaultRateLimit,
    create(context) {
      if (context.system.kind !== module.kind) {
        throw new ConfigError(
          `systems.${context.systemName}: a ${context.system.kind} system cannot be served by the ${module.label} connector`,
        );
      }
      return module.create(context as ConnectorContext<SystemOf<K>>);
    },
  };
}
