// The demo configuration on free loopback ports, so several tests can run the whole product
// (three simulators + the daemon) at once without colliding on the demo's fixed ports.
import { resolve } from 'node:path';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { wireWebhooks } from '../../src/demo.js';
import { loadConfig } from '../../src/mapping/loader.js';
import type { Config } from '../../src/mapping/schema.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import type { Logger } from '../../src/core/types.js';
import type pino from 'pino';
import { freePort } from './free-port.js';

export { freePort };

export const DEMO_CONFIG = resolve(import.meta.dirname, '../../config/demo.yaml');

/** config/demo.yaml with every simulator moved to a free port and the server on port 0. */
export async function demoConfigOnFreePorts(mutate?: (config: Config) => void): Promise<Config> {
  const { config } = loadConfig(DEMO_CONFIG, { env: {} });
  for (const system of Object.values(config.systems)) {
    const url = new URL(system.baseUrl);
    url.port = String(await freePort());
    system.baseUrl = url.origin;
  }
  config.server.port = 0;
  mutate?.(config);
  return config;
}

export interface DemoStack {
  config: Config;
  simulators: StartedSimulator[];
  daemon: DaemonHandle;
  sim(kind: 'freshservice' | 'connectwise' | 'jsm'): StartedSimulator;
  stop(): Promise<void>;
}

/** Starts the simulators and the daemon (on a temporary SQLite ledger unless the config says otherwise). */
export async function startDemoStack(
  options: { config?: Config; ledgerPath?: string; logger?: pino.Logger | Logger; webhooks?: boolean } = {},
): Promise<DemoStack> {
  const config = options.config ?? (await demoConfigOnFreePorts());
  const simulators = await startSimulators(config);
  const daemon = await startDaemon(config, {
    ledgerPath: options.ledgerPath ?? ':memory:',
    ...(options.logger ? { logger: options.logger as pino.Logger } : { logLevel: 'silent' as const }),
  });
  if (options.webhooks ?? true) await wireWebhooks(config, daemon);
  return {
    config,
    simulators,
    daemon,
    sim(kind) {
      const found = simulators.find((s) => s.system.kind === kind);
      if (!found) throw new Error(`no ${kind} simulator`);
      return found;
    },
    async stop() {
      await daemon.stop();
      for (const s of simulators) await s.handle.stop().catch(() => undefined);
    },
  };
}
