// What a connector factory receives. One connector instance serves one side of one connection;
// instances for the same system share its request queue.
import type { ScopeConfig, SystemConfig } from '../mapping/schema.js';
import type { SystemQueue } from './queue.js';
import type { Clock, Connector, Logger, Side } from './types.js';

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

export type ConnectorFactory<S extends SystemConfig = SystemConfig> = (context: ConnectorContext<S>) => Connector;

export interface ConnectorModule<K extends SystemConfig['kind'] = SystemConfig['kind']> {
  kind: K;
  label: string;
  create: ConnectorFactory<Extract<SystemConfig, { kind: K }>>;
  /** Default client-side limits when the config sets none. */
  defaultRateLimit: { requestsPerMinute: number; concurrency: number };
}
