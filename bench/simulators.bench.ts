// Simulator capacity: simple authenticated GETs per second on loopback with no injected latency,
// and memory with 100,000 tickets, for each of the three simulators. Each simulator runs in its
// own process; the figures are medians of several runs.
//
//   npm run bench:simulators            (defaults: 3 runs of 5 s, 16 connections, 100,000 tickets)
//   npm run bench:simulators -- --runs 5 --seconds 10 --tickets 20000
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const RUNS = arg('runs', 3);
const SECONDS = arg('seconds', 5);
const CONNECTIONS = arg('connections', 16);
const TICKETS = arg('tickets', 100_000);

const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

interface Target {
  kind: 'freshservice' | 'connectwise' | 'jsm';
  /** A simple GET of one ticket, as the connectors issue it. */
  path: (id: number) => string;
  headers: Record<string, string>;
  seed: (count: number) => unknown;
}

const targets: Target[] = [
  {
    kind: 'freshservice',
    path: (id) => `/api/v2/tickets/${id}`,
    headers: { Authorization: basic('bench', 'X') },
    seed: (count) => ({ generate: { count } }),
  },
  {
    kind: 'connectwise',
    path: (id) => `/v4_6_release/apis/3.0/service/tickets/${id}`,
    headers: { Authorization: basic('bench+pub', 'priv'), clientId: 'client' },
    seed: (count) => ({ generate: { count } }),
  },
  {
    kind: 'jsm',
    path: (id) => `/rest/api/3/issue/${10000 + id}`,
    headers: { Authorization: basic('bench@example.com', 'token') },
    seed: (count) => ({ generate: { count } }),
  },
];

function startChild(kind: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(resolve(import.meta.dirname, 'sim-child.ts'), [kind], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((ok) => child.once('message', (m: { url: string }) => ok({ child, url: m.url })));
}

function memory(child: ChildProcess): Promise<{ heapMb: number; rssMb: number }> {
  return new Promise((ok) => {
    child.once('message', ok);
    child.send('memory');
  });
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

/** Closed-loop load: CONNECTIONS keep-alive clients each issuing GETs back to back. */
async function getsPerSecond(url: string, target: Target, ids: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  let failed = 0;
  const client = async (n: number): Promise<void> => {
    let i = n;
    while (Date.now() < deadline) {
      i = (i + CONNECTIONS) % ids;
      const status = await new Promise<number>((ok, fail) => {
        const req = http.get({ hostname, port, path: target.path(i + 1), headers: target.headers, agent }, (res) => {
          res.resume();
          res.on('end', () => ok(res.statusCode ?? 0));
        });
        req.on('error', fail);
      });
      if (status === 200) done++;
      else failed++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => client(n)));
  agent.destroy();
  if (failed > 0) throw new Error(`${target.kind}: ${failed} GETs did not answer 200`);
  return done / ((Date.now() - started) / 1000);
}

const results: Record<string, unknown> = {};
for (const target of targets) {
  const { child, url } = await startChild(target.kind);
  try {
    const before = await memory(child);
    await post(`${url}/__sim/seed`, target.seed(TICKETS));
    const after = await memory(child);
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) rates.push(await getsPerSecond(url, target, Math.min(TICKETS, 1000)));
    results[target.kind] = {
      getsPerSecondMedian: Math.round(median(rates)),
      getsPerSecondRuns: rates.map(Math.round),
      tickets: TICKETS,
      heapMbForTickets: Math.round(after.heapMb - before.heapMb),
      rssMb: Math.round(after.rssMb),
    };
    process.stdout.write(`${target.kind}: ${JSON.stringify(results[target.kind])}\n`);
  } finally {
    child.kill();
  }
}
process.stdout.write(
  `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, connections: CONNECTIONS, seconds: SECONDS, results }, null, 2)}\n`,
);
