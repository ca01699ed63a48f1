// Starts a simulator for every system in a config whose baseUrl points at this machine
// (127.0.0.1 or localhost), on that port, accepting exactly that system's credentials.
import type { Clock } from '../core/types.js';
import type { Config, SystemConfig } from '../mapping/schema.js';
import { simulators } from './registry.js';
import type { SimulatorHandle } from './types.js';

export interface StartedSimulator {
  name: string;
  system: SystemConfig;
  handle: SimulatorHandle;
}

export function isLocal(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export async function startSimulators(
  config: Config,
  options: { seed?: number; clock?: Clock } = {},
): Promise<StartedSimulator[]> {
  const started: StartedSimulator[] = [];
  try {
    for (const [name, system] of Object.entries(config.systems)) {
      if (!isLocal(system.baseUrl)) continue;
      const module = simulators.get(system.kind);
      if (!module) continue;
      const url = new URL(system.baseUrl);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      // The boards the config's connections name on this system exist in its simulator.
      const boards = Object.values(config.connections).flatMap((c) =>
        (['a', 'b'] as const).flatMap((side) => (c[side].system === name ? (c[side].scope.boards ?? []) : [])),
      );
      const handle = await module.start({
        system,
        host: '127.0.0.1',
        port,
        seed: options.seed ?? 1,
        boards,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      started.push({ name, system, handle });
    }
  } catch (err) {
    for (const s of started) await s.handle.stop().catch(() => undefined);
    throw err;
  }
  return started;
}
