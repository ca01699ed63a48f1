// What every simulator module exposes, so `ticketbridge simulate` and the tests can start any
// of them the same way.
import type { SystemConfig } from '../mapping/schema.js';
import type { Clock, SystemKind } from '../core/types.js';
import type { SimulatorApp } from './common/server.js';

export interface SimulatorStartOptions<S extends SystemConfig = SystemConfig> {
  /** The system as configured; the simulator accepts exactly its credentials. */
  system: S;
  host?: string;
  /** 0 picks a free port (tests); the demo passes the port from the system's baseUrl. */
  port?: number;
  /** Seed for all simulated randomness. @default 1 */
  seed?: number;
  /**
   * ConnectWise: the loopback address the callback signing key is served from, on the API's
   * port, as ConnectWise cloud serves keys from its UI host rather than the API host.
   * @default 127.0.0.2
   */
  keyHost?: string;
  /**
   * The simulated system's time (timestamps, search index lag, rate-limit windows, Retry-After).
   * Tests pass a clock they advance, so they never sleep for the vendor's time to pass.
   * @default the system clock
   */
  clock?: Clock;
  /** ConnectWise: the board names the config's connections scope to, created beside the demo's. */
  boards?: string[];
  /**
   * Largest file an upload may carry, in bytes (the vendor's limit, or an admin's lower setting).
   * @default the vendor's documented (or assumed) limit
   */
  maxFileBytes?: number;
}

export interface SimulatorHandle {
  kind: SystemKind;
  /** Base URL the simulator listens on, e.g. http://127.0.0.1:9101 */
  url: string;
  sim: SimulatorApp;
  /** ConnectWise: the origin callbacks' `key_url` points at (another host than `url`). */
  keyOrigin?: string;
  stop(): Promise<void>;
}

export interface SimulatorModule<K extends SystemConfig['kind'] = SystemConfig['kind']> {
  kind: K;
  start(options: SimulatorStartOptions<Extract<SystemConfig, { kind: K }>>): Promise<SimulatorHandle>;
}
