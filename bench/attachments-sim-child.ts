// The ConnectWise and Freshservice simulators in their own process for the attachments benchmark,
// so the RSS measured in the parent is the daemon side's alone. Prints both URLs over IPC.
import type { SystemConfig } from '../src/mapping/schema.js';
import { connectwiseSimulator } from '../src/simulators/connectwise/index.js';
import { freshserviceSimulator } from '../src/simulators/freshservice/index.js';

const MAX_FILE_BYTES = 200 * 1024 * 1024;
const fs: Extract<SystemConfig, { kind: 'freshservice' }> = {
  kind: 'freshservice',
  baseUrl: 'http://127.0.0.1:1',
  credentials: { apiKey: 'bench' },
  rateLimit: { requestsPerMinute: 100_000 },
};
const cw: Extract<SystemConfig, { kind: 'connectwise' }> = {
  kind: 'connectwise',
  baseUrl: 'http://127.0.0.1:1',
  credentials: { company: 'bench', publicKey: 'pub', privateKey: 'priv', clientId: 'client' },
  options: { codebase: 'v4_6_release/' },
};
const cwSim = await connectwiseSimulator.start({
  system: cw,
  port: 0,
  boards: ['Bench'],
  maxFileBytes: MAX_FILE_BYTES,
});
const fsSim = await freshserviceSimulator.start({ system: fs, port: 0, maxFileBytes: MAX_FILE_BYTES });
process.on('message', (message: string) => {
  if (message === 'stop') void Promise.all([cwSim.stop(), fsSim.stop()]).then(() => process.exit(0));
});
process.send?.({ cw: cwSim.url, fs: fsSim.url });
