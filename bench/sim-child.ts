// A simulator in its own process for the simulator benchmark, so the load generator does not
// share its CPU. Prints its URL, then answers `memory` requests over IPC.
import { simulators } from '../src/simulators/registry.js';
import type { SystemConfig } from '../src/mapping/schema.js';

const kind = process.argv[2] as SystemConfig['kind'];
const systems: Record<SystemConfig['kind'], SystemConfig> = {
  freshservice: {
    kind: 'freshservice',
    baseUrl: 'http://127.0.0.1:1',
    credentials: { apiKey: 'bench' },
    rateLimit: { requestsPerMinute: 100_000_000 },
  },
  connectwise: {
    kind: 'connectwise',
    baseUrl: 'http://127.0.0.1:1',
    credentials: { company: 'bench', publicKey: 'pub', privateKey: 'priv', clientId: 'client' },
    options: { codebase: 'v4_6_release/' },
  },
  jsm: { kind: 'jsm', baseUrl: 'http://127.0.0.1:1', credentials: { email: 'bench@example.com', apiToken: 'token' } },
};
const handle = await simulators.get(kind)!.start({ system: systems[kind], port: 0 });
process.on('message', (message: string) => {
  if (message === 'memory') {
    globalThis.gc?.();
    process.send?.({ heapMb: process.memoryUsage().heapUsed / 1e6, rssMb: process.memoryUsage().rss / 1e6 });
  }
});
process.send?.({ url: handle.url });
