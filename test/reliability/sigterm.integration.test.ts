// SIGTERM mid-backlog, against the daemon as a real process: Freshservice answers a 429 asking for
// two minutes, ConnectWise tickets pile up as fs-cw creates waiting on it, and the daemon is told
// to stop. It exits at once (the queued calls are abandoned, never waited out), and after a
// restart every ticket of the backlog has exactly one twin: the abandoned creates resumed through
// their intents.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { DEMO_CONFIG, freePort } from '../helpers/demo-stack.js';
import { bundleCli, DaemonProcess } from './daemon-process.js';
import { vendors } from './vendors.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-sigterm-'));
const bundleDir = resolve(import.meta.dirname, '../../.tmp-sigterm-bundle');
let sims: StartedSimulator[] = [];
let daemon: DaemonProcess | null = null;

afterAll(async () => {
  await daemon?.kill();
  for (const s of sims) await s.handle.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

async function writeConfig(): Promise<{ path: string; daemonUrl: string; envNames: string[] }> {
  const text = readFileSync(DEMO_CONFIG, 'utf8');
  const raw = parse(text) as Record<string, Record<string, Record<string, unknown>>>;
  for (const system of Object.values(raw.systems!)) {
    const url = new URL(system.baseUrl as string);
    url.port = String(await freePort());
    system.baseUrl = url.origin;
  }
  const port = await freePort();
  (raw as Record<string, unknown>).server = { ...raw.server, port };
  (raw as Record<string, unknown>).polling = { intervalMs: 500, overlapMs: 10_000 };
  (raw as Record<string, unknown>).reconcile = { enabled: false, cron: '0 0 1 1 *' };
  const path = join(dir, 'sigterm.yaml');
  writeFileSync(path, stringify(raw));
  const envNames = [...text.matchAll(/\$\{env:([A-Z0-9_]+)/g)].map((m) => m[1]!);
  return { path, daemonUrl: `http://127.0.0.1:${port}`, envNames };
}

interface FsQueueView {
  pause: unknown;
  queued: { change: number };
}

async function fsQueue(url: string, token: string): Promise<FsQueueView | null> {
  const res = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return null;
  const status = (await res.json()) as { connections: Array<{ name: string; sides: { a: { queue: FsQueueView } } }> };
  return status.connections.find((c) => c.name === 'fs-cw')?.sides.a.queue ?? null;
}

async function until(what: string, ready: () => Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

it('exits within 10 s of SIGTERM mid-backlog, and the backlog mirrors exactly once after a restart', async () => {
  const [cli, setup] = await Promise.all([bundleCli(bundleDir), writeConfig()]);
  const { config } = loadConfig(setup.path, { env: {} });
  sims = await startSimulators(config, { seed: 7 });
  const v = vendors(config);
  const token = config.server.token ?? '';
  const env: Record<string, string> = {};
  for (const [k, value] of Object.entries(process.env))
    if (value !== undefined && !setup.envNames.includes(k)) env[k] = value;
  daemon = new DaemonProcess({
    cli,
    configPath: setup.path,
    ledgerPath: join(dir, 'ledger.sqlite'),
    url: setup.daemonUrl,
    env,
  });
  daemon.start();
  await daemon.waitHealthy();

  const fsSim = sims.find((s) => s.system.kind === 'freshservice')!.handle.sim;
  fsSim.faults.set({ burst429: { count: 1, retryAfterSec: 120 } });
  await until('Freshservice is paused by its 429', async () => (await fsQueue(setup.daemonUrl, token))?.pause != null);
  const summaries = Array.from({ length: 6 }, (_, i) => `SIGTERM backlog ${i} ${Date.now()}`);
  for (const summary of summaries)
    await v.cw.create({ summary, board: 'Co-Managed FS', priority: 'Priority 3 - Medium', description: summary });
  await until(
    'creates wait on Freshservice',
    async () => ((await fsQueue(setup.daemonUrl, token))?.queued.change ?? 0) > 0,
  );

  const askedAt = Date.now();
  const code = await daemon.stop();
  expect(code).toBe(0);
  expect(Date.now() - askedAt, 'SIGTERM completes within 10 s').toBeLessThan(10_000);

  fsSim.faults.reset();
  daemon.start();
  await daemon.waitHealthy();
  const twins = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const t of await v.fs.list())
      if (summaries.includes(t.summary)) counts.set(t.summary, (counts.get(t.summary) ?? 0) + 1);
    return counts;
  };
  await until('every backlog ticket has a Freshservice twin', async () => (await twins()).size === summaries.length);
  await daemon.stop();
  const counts = await twins();
  for (const summary of summaries) expect(counts.get(summary), summary).toBe(1);
}, 120_000);
