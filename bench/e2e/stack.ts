// One connector pair of the product for the end-to-end benchmark: the simulators, each behind a
// counting proxy (test/reliability/rewriting-proxy.ts), and the daemon over loopback. Every
// request the daemon sends is logged with its system, route, status and times, so a scenario can
// count the calls a change cost and see when the daemon wrote to the target.
import { resolve } from 'node:path';
import { loadConfig } from '../../src/mapping/loader.js';
import type { Config } from '../../src/mapping/schema.js';
import { startReliabilityStack, type Kind, type ReliabilityStack } from '../../test/reliability/stack.js';

export type Pair = 'fs-cw' | 'jsm-cw' | 'jsm-fs';
export const PAIRS: Pair[] = ['fs-cw', 'jsm-cw', 'jsm-fs'];

export interface Call {
  kind: Kind;
  method: string;
  path: string;
  status: number;
  startedAtMs: number;
  endedAtMs: number;
}

export interface BenchStack extends ReliabilityStack {
  pair: Pair;
  /** Every request the daemon sent, in the order answered. */
  calls: Call[];
  /** Waiters for the next daemon request that matches. */
  nextCall(match: (call: Call) => boolean): Promise<Call>;
  /** Delivers pending webhooks and waits for the engine until nothing moves for two rounds. */
  settle(): Promise<void>;
}

export interface BenchStackOptions {
  webhooks: boolean;
  /** Background poll interval; the stack's default (an hour) leaves every poll to the script. */
  pollIntervalMs?: number;
  overlapMs?: number;
  /** Freshservice requests per minute, for the simulator and the daemon alike. */
  freshservicePerMinute?: number;
  ledgerPath?: string;
}

const ROOT = resolve(import.meta.dirname, '../..');

function selectPair(config: Config, pair: Pair): void {
  if (pair === 'jsm-fs') {
    const env = new Proxy({}, { get: () => 'unused' }) as NodeJS.ProcessEnv;
    const example = loadConfig(resolve(ROOT, 'config/examples/jsm-freshservice.yaml'), { env }).config;
    config.connections = { 'jsm-fs': example.connections['jsm-fs']! };
  } else {
    config.connections = { [pair]: config.connections[pair]! };
  }
}

export async function startBenchStack(pair: Pair, options: BenchStackOptions): Promise<BenchStack> {
  const stack = await startReliabilityStack({
    webhooks: options.webhooks,
    ...(options.ledgerPath ? { ledgerPath: options.ledgerPath } : {}),
    mutate(config) {
      selectPair(config, pair);
      config.log.level = 'silent';
      if (options.pollIntervalMs !== undefined) config.polling.intervalMs = options.pollIntervalMs;
      if (options.overlapMs !== undefined) config.polling.overlapMs = options.overlapMs;
      for (const system of Object.values(config.systems)) {
        if (system.kind === 'freshservice' && options.freshservicePerMinute !== undefined)
          system.rateLimit = { requestsPerMinute: options.freshservicePerMinute, concurrency: 8 };
      }
    },
  });
  const calls: Call[] = [];
  const waiters = new Set<{ match: (call: Call) => boolean; resolve: (call: Call) => void }>();
  for (const [kind, proxy] of Object.entries(stack.proxies) as Array<[Kind, (typeof stack.proxies)[Kind]]>) {
    proxy.add({
      observe(request, status, startedAtMs) {
        const call: Call = {
          kind,
          method: request.method,
          path: request.path,
          status,
          startedAtMs,
          endedAtMs: Date.now(),
        };
        calls.push(call);
        for (const waiter of waiters) {
          if (!waiter.match(call)) continue;
          waiters.delete(waiter);
          waiter.resolve(call);
        }
      },
    });
  }
  const bench = stack as BenchStack;
  bench.pair = pair;
  bench.calls = calls;
  bench.nextCall = (match) => new Promise((ok) => waiters.add({ match, resolve: ok }));
  bench.settle = async () => {
    let last = -1;
    for (let quiet = 0; quiet < 2;) {
      for (const s of stack.simulators) await s.handle.sim.webhooks.flush();
      await stack.daemon.engine.onIdle();
      await new Promise((r) => setTimeout(r, 30));
      quiet = calls.length === last ? quiet + 1 : 0;
      last = calls.length;
    }
  };
  return bench;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
};
