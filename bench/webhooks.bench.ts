// Forged ConnectWise callbacks against a running daemon: while a flood of forgeries (eight kinds,
// as in test/e2e/webhook-flood.integration.test.ts, including 900 KB-deep bodies) is refused,
// a probe GETs /healthz back to back and records each answer's latency. Reports /healthz p50,
// p99 and max during the flood and without it, forgeries refused per second, and the requests
// the flood caused at ConnectWise. The daemon and simulators run in a child process; figures
// are medians of several runs.
//
//   npm run bench:webhooks                       (defaults: 3 runs of 2,000 forgeries, 16 connections)
//   npm run bench:webhooks -- --runs 5 --forgeries 5000 --connections 32
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { resolve } from 'node:path';
import type { OutboundWebhook } from '../src/simulators/common/server.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const RUNS = arg('runs', 3);
const FORGERIES = arg('forgeries', 2000);
const CONNECTIONS = arg('connections', 16);

const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
const percentile = (v: number[], p: number): number => {
  const sorted = [...v].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

interface Ready {
  daemonUrl: string;
  genuine: OutboundWebhook;
}

function startChild(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(resolve(import.meta.dirname, 'webhook-stack-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((ok, fail) => {
    child.once('message', (ready: Ready) => ok({ child, ready }));
    child.once('exit', (code) => fail(new Error(`the stack exited with ${code}`)));
  });
}

function vendorRequests(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    child.once('message', (m: { requests: number }) => ok(m.requests));
    child.send('requests');
  });
}

/** The forgeries, cycling through eight kinds an attacker can send. */
function forgeries(genuine: OutboundWebhook): Array<() => { body: string; headers: Record<string, string> }> {
  const payload = JSON.parse(genuine.body) as { Metadata: { key_url: string } };
  const keyUrl = new URL(payload.Metadata.key_url);
  const withKeyUrl = (url: string): string =>
    JSON.stringify({ ...JSON.parse(genuine.body), Metadata: { key_url: url } });
  const junk = (): string => randomBytes(32).toString('base64');
  const signed = (body: string, signature?: string) => ({
    body,
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-content-signature': signature } : {}) },
  });
  const deep = `{"Entity":${'['.repeat(450_000)}${']'.repeat(450_000)}}`;
  return [
    () => signed(genuine.body),
    () => signed(genuine.body, 'forged'),
    () => signed(genuine.body, junk()),
    () => signed(withKeyUrl(`https://evil.example.net${keyUrl.pathname}${keyUrl.search}`), junk()),
    () => signed(withKeyUrl(`${keyUrl.origin}/v4_6_release/apis/3.0/service/tickets?conditions=id>0`), junk()),
    () => {
      const u = new URL(keyUrl);
      u.searchParams.set('id', randomUUID());
      return signed(withKeyUrl(u.toString()), junk());
    },
    () => signed(deep, junk()),
    () => signed(genuine.body.replace(/"ID":\s*(\d+)/, '"ID":1$1'), genuine.headers['x-content-signature']),
  ];
}

function request(
  agent: http.Agent,
  url: URL,
  method: 'GET' | 'POST',
  body?: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((ok, fail) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method, headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** GETs /healthz back to back until `until` resolves; returns each latency in ms. */
async function probe(daemonUrl: string, until: Promise<unknown>): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/healthz', daemonUrl);
  const latencies: number[] = [];
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    const started = process.hrtime.bigint();
    const status = await request(agent, url, 'GET');
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (status !== 200) throw new Error(`/healthz answered ${status}`);
  }
  agent.destroy();
  return latencies;
}

async function flood(ready: Ready): Promise<{ seconds: number; refused: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = new URL('/webhooks/fs-cw/b', ready.daemonUrl);
  const kinds = forgeries(ready.genuine);
  let next = 0;
  let refused = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < FORGERIES) {
        const make = kinds[next++ % kinds.length]!;
        const { body, headers } = make();
        const status = await request(agent, url, 'POST', body, headers);
        if (status !== 401) throw new Error(`a forged callback was answered ${status}`);
        refused++;
      }
    }),
  );
  agent.destroy();
  return { seconds: (Date.now() - started) / 1000, refused };
}

const { child, ready } = await startChild();
const runs: Array<Record<string, number>> = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const idle = await probe(ready.daemonUrl, new Promise((r) => setTimeout(r, 2000)));
    const before = await vendorRequests(child);
    const flooding = flood(ready);
    const during = await probe(ready.daemonUrl, flooding);
    const { seconds, refused } = await flooding;
    const vendor = (await vendorRequests(child)) - before;
    const result = {
      healthzIdleP99Ms: round(percentile(idle, 99)),
      healthzP50Ms: round(percentile(during, 50)),
      healthzP99Ms: round(percentile(during, 99)),
      healthzMaxMs: round(Math.max(...during)),
      healthzSamples: during.length,
      forgeriesPerSecond: Math.round(refused / seconds),
      vendorRequests: vendor,
    };
    runs.push(result);
    process.stdout.write(`run ${run + 1}: ${JSON.stringify(result)}\n`);
  }
} finally {
  child.send('stop');
}
const summary = Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, median(runs.map((r) => r[k]!))]));
process.stdout.write(
  `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, forgeries: FORGERIES, connections: CONNECTIONS, runs: RUNS, medians: summary }, null, 2)}\n`,
);
