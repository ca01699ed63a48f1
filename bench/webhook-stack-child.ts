// The simulators and the daemon (config/demo.yaml on free ports, webhooks wired) in their own
// process for the webhook benchmark, so the load generator does not share their CPU. After one
// genuine ConnectWise callback (the daemon then holds the signing key, as in production) it
// sends what the generator needs over IPC and answers `requests` with ConnectWise's request count.
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { startDaemon } from '../src/daemon.js';
import { wireWebhooks } from '../src/demo.js';
import { loadConfig } from '../src/mapping/loader.js';
import type { OutboundWebhook } from '../src/simulators/common/server.js';
import { startSimulators } from '../src/simulators/start.js';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => ok(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const { config } = loadConfig(resolve(import.meta.dirname, '../config/demo.yaml'), { env: {} });
for (const system of Object.values(config.systems)) {
  const url = new URL(system.baseUrl);
  url.port = String(await freePort());
  system.baseUrl = url.origin;
  system.rateLimit = { requestsPerMinute: 1_000_000, concurrency: 8 };
}
config.server.port = 0;
config.polling.intervalMs = 3_600_000;
config.reconcile.enabled = false;
const simulators = await startSimulators(config);
const daemon = await startDaemon(config, { ledgerPath: ':memory:', logLevel: 'silent' });
await wireWebhooks(config, daemon);
await daemon.engine.onIdle();

const cw = simulators.find((s) => s.system.kind === 'connectwise')!;
const system = config.systems.connectwise;
if (system?.kind !== 'connectwise') throw new Error('config/demo.yaml has no connectwise system');
const captured: OutboundWebhook[] = [];
const send = cw.handle.sim.webhooks.send.bind(cw.handle.sim.webhooks);
cw.handle.sim.webhooks.send = (hook) => {
  captured.push(hook);
  send(hook);
};

// One technician edit in ConnectWise: a genuine, signed callback.
const api = `${system.baseUrl}/v4_6_release/apis/3.0`;
const headers = {
  Authorization: `Basic ${Buffer.from(`${system.credentials.company}+${system.credentials.publicKey}:${system.credentials.privateKey}`).toString('base64')}`,
  clientId: system.credentials.clientId,
  'content-type': 'application/json',
};
const created = (await (
  await fetch(`${api}/service/tickets`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      summary: 'Bench: genuine',
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
    }),
  })
).json()) as { id: number };
await fetch(`${api}/service/tickets/${created.id}`, {
  method: 'PATCH',
  headers,
  body: JSON.stringify([{ op: 'replace', path: 'summary', value: 'Bench: genuine, edited' }]),
});
for (let i = 0; i < 3; i++) {
  await cw.handle.sim.webhooks.flush();
  await daemon.engine.onIdle();
}
const genuine = captured.at(-1);
if (!genuine) throw new Error('the simulator delivered no callback');

const requests = (): number => [...cw.handle.sim.counts.values()].reduce((sum, n) => sum + n, 0);
process.on('message', (message: string) => {
  if (message === 'requests') process.send?.({ requests: requests() });
  if (message === 'stop')
    void (async () => {
      await daemon.stop();
      for (const s of simulators) await s.handle.stop();
      process.exit(0);
    })();
});
process.send?.({ daemonUrl: daemon.url, genuine });
