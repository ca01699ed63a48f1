// A flood of forged ConnectWise callbacks against the running daemon: 2,000 deliveries of eight
// kinds an attacker can send (no signature, junk signatures, a genuine body with a forged
// signature, key URLs on other hosts, on API paths, with made-up key ids, megabyte-deep bodies,
// tampered genuine bodies). Every one is refused and none costs a request to ConnectWise: no key
// fetch, no API call. How fast the daemon stays meanwhile is `npm run bench:webhooks`'s job.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutboundWebhook } from '../../src/simulators/common/server.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';

let stack: ReliabilityStack;
const captured: OutboundWebhook[] = [];

beforeAll(async () => {
  stack = await startReliabilityStack({ webhooks: true });
  const dispatcher = stack.simulators.find((s) => s.system.kind === 'connectwise')!.handle.sim.webhooks;
  const send = dispatcher.send.bind(dispatcher);
  dispatcher.send = (hook) => {
    captured.push(hook);
    send(hook);
  };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function cwRequests(): number {
  const sim = stack.simulators.find((s) => s.system.kind === 'connectwise')!.handle.sim;
  return [...sim.counts.values()].reduce((sum, n) => sum + n, 0);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const s of stack.simulators) await s.handle.sim.webhooks.flush();
    await stack.daemon.engine.onIdle();
  }
}

/** A syntactically valid signature (base64 of 32 bytes) that no key produced. */
const junkSignature = (): string => randomBytes(32).toString('base64');

it('refuses 2,000 forged ConnectWise callbacks without a single request to ConnectWise', async () => {
  // One genuine callback first, so the daemon holds the current signing key as it would in production.
  const id = await stack.cw.create({ summary: 'Flood: the genuine one', board: 'Co-Managed FS' });
  await stack.sync(1);
  await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: 'Flood: the genuine one, edited' }]);
  await settle();
  expect((await stack.twin('fs-cw', 'b', id)).fields.subject).toBe('Flood: the genuine one, edited');
  const genuine = captured.at(-1)!;
  const payload = JSON.parse(genuine.body) as { Metadata: { key_url: string } };
  const keyUrl = new URL(payload.Metadata.key_url);
  const withKeyUrl = (url: string): string =>
    JSON.stringify({ ...JSON.parse(genuine.body), Metadata: { key_url: url } });
  const otherId = (): string => {
    const u = new URL(keyUrl);
    u.searchParams.set('id', randomUUID());
    return u.toString();
  };
  const apiPath = new URL(keyUrl);
  apiPath.pathname = '/v4_6_release/apis/3.0/service/tickets';
  apiPath.search = '?conditions=id>0';
  // 900 KB of nesting: the parse that used to cost a third of a second of CPU per delivery.
  const deep = `{"Entity":${'['.repeat(450_000)}${']'.repeat(450_000)}}`;

  const kinds: Array<{ name: string; reason: string; make: () => { body: string; signature?: string } }> = [
    { name: 'no signature', reason: 'no signature', make: () => ({ body: genuine.body }) },
    { name: 'not a MAC', reason: 'bad signature', make: () => ({ body: genuine.body, signature: 'forged' }) },
    {
      name: 'genuine body, junk MAC',
      reason: 'bad signature',
      make: () => ({ body: genuine.body, signature: junkSignature() }),
    },
    {
      name: 'key URL on another host',
      reason: 'signing key URL not trusted',
      make: () => ({
        body: withKeyUrl(`https://evil.example.net${keyUrl.pathname}${keyUrl.search}`),
        signature: junkSignature(),
      }),
    },
    {
      name: 'key URL on an API path of the trusted host',
      reason: 'signing key URL not trusted',
      make: () => ({ body: withKeyUrl(apiPath.toString()), signature: junkSignature() }),
    },
    {
      name: 'key URL with a made-up key id',
      reason: 'too many unknown signing keys',
      make: () => ({ body: withKeyUrl(otherId()), signature: junkSignature() }),
    },
    {
      name: 'a megabyte-deep body',
      reason: 'signing key URL not trusted',
      make: () => ({ body: deep, signature: junkSignature() }),
    },
    {
      name: 'genuine body changed after signing',
      reason: 'bad signature',
      make: () => ({
        body: genuine.body.replace(/"ID":\s*(\d+)/, '"ID":1$1'),
        signature: genuine.headers['x-content-signature']!,
      }),
    },
  ];

  const before = cwRequests();
  const statuses = new Map<string, number>();
  const messages = new Map<string, Set<string>>();
  const jobs = Array.from({ length: 2000 }, (_, i) => kinds[i % kinds.length]!);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < jobs.length) {
        const kind = jobs[next++]!;
        const { body, signature } = kind.make();
        const res = await fetch(`${stack.daemon.url}/webhooks/fs-cw/b`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(signature ? { 'x-content-signature': signature } : {}) },
          body,
        });
        statuses.set(`${kind.name} ${res.status}`, (statuses.get(`${kind.name} ${res.status}`) ?? 0) + 1);
        const message = ((await res.json()) as { message: string }).message;
        if (!messages.has(kind.name)) messages.set(kind.name, new Set());
        messages.get(kind.name)!.add(message);
      }
    }),
  );
  await settle();

  expect(cwRequests() - before, 'requests the forged callbacks caused at ConnectWise').toBe(0);
  expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(kinds.map((k) => [`${k.name} 401`, 250])));
  for (const k of kinds) expect([...messages.get(k.name)!]).toEqual([`webhook refused: ${k.reason}`]);

  // Refusals are visible per reason, and a genuine callback still gets through afterwards.
  const status = (await (await stack.api('/status')).json()) as {
    connections: Array<{
      name: string;
      sides: { b: { webhooks: { rejected: Array<{ reason: string; lastHour: number }> } } };
    }>;
  };
  const rejected = status.connections.find((c) => c.name === 'fs-cw')!.sides.b.webhooks.rejected;
  expect(rejected.reduce((sum, r) => sum + r.lastHour, 0)).toBe(2000);
  await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: 'Flood: still mirrored after the flood' }]);
  await settle();
  expect((await stack.twin('fs-cw', 'b', id)).fields.subject).toBe('Flood: still mirrored after the flood');
}, 240_000);
