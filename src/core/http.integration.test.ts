// The HTTP client against a real loopback server: a 429 pauses the whole system's queue for its
// Retry-After, transient failures are retried, validation failures are not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../test/helpers/context.js';
import { RemoteValidationError } from './errors.js';
import { createHttpClient, parseRetryAfter } from './http.js';
import { SystemQueue } from './queue.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(
  handler: (path: string, n: number) => { status: number; headers?: Record<string, string>; body?: unknown },
): Promise<{ url: string; log: Array<{ path: string; at: number }> }> {
  const log: Array<{ path: string; at: number }> = [];
  server = createServer((req, res) => {
    log.push({ path: req.url ?? '', at: Date.now() });
    const out = handler(req.url ?? '', log.length);
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
    res.end(JSON.stringify(out.body ?? {}));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

describe('HTTP client', () => {
  it('pauses every request to the system for the Retry-After of a 429, then retries', async () => {
    const { url, log } = await serve((path, n) =>
      n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200, body: { path } },
    );
    const queue = new SystemQueue({ system: 'sys', concurrency: 4 });
    const client = createHttpClient({
      system: 'sys',
      baseURL: url,
      queue,
      logger: silentLogger,
      headers: {},
      minBackoffMs: 1,
      maxBackoffMs: 5,
    });
    const first = client.request({ method: 'GET', url: '/first' });
    await new Promise((r) => setTimeout(r, 50)); // the 429 has paused the queue
    const second = client.request({ method: 'GET', url: '/second' });
    await Promise.all([first, second]);
    const [limited, ...rest] = log;
    expect(limited?.path).toBe('/first');
    // Nothing reached the system until the Retry-After had passed, the other request included.
    for (const r of rest) expect(r.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(queue.stats().rateLimitedLastMinute).toBe(1);
    queue.stop();
  });

  it('retries a 503 and gives up at once on a 400, carrying the remote message', async () => {
    const { url, log } = await serve((path, n) =>
      path === '/flaky' && n === 1
        ? { status: 503 }
        : path === '/bad'
          ? { status: 400, body: { message: 'status is not valid' } }
          : { status: 200 },
    );
    const queue = new SystemQueue({ system: 'sys' });
    const client = createHttpClient({
      system: 'sys',
      baseURL: url,
      queue,
      logger: silentLogger,
      headers: {},
      minBackoffMs: 1,
      maxBackoffMs: 5,
      describeError: (_s, d) => ({ message: (d as { message?: string }).message ?? '' }),
    });
    await expect(client.request({ method: 'GET', url: '/flaky' })).resolves.toMatchObject({ status: 200 });
    const err = await client.request({ method: 'POST', url: '/bad', data: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteValidationError);
    expect((err as Error).message).toBe('sys rejected POST /bad (400): status is not valid');
    expect(log.filter((l) => l.path === '/bad')).toHaveLength(1);
    queue.stop();
  });

  it.each([
    ['7', 7000],
    ['0', 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 10_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads Retry-After %s as %s ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(expected);
  });
});
