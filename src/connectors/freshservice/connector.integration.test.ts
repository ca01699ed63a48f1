// The Freshservice connector against the simulator over loopback: a burst of 500 changes listed
// and read completely within the per-minute limit, and the slowdown / 429 path under a low limit.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemQueue } from '../../core/queue.js';
import { isInvalidTicket, type Ticket } from '../../core/types.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { freshserviceSimulator } from '../../simulators/freshservice/index.js';
import { testContext } from '../../../test/helpers/context.js';
import { freshserviceConnector } from './index.js';

const KEY = 'integration-key';
const AUTH = `Basic ${Buffer.from(`${KEY}:X`).toString('base64')}`;

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function startSim(perMinute: number): Promise<SimulatorHandle> {
  sim = await freshserviceSimulator.start({
    system: {
      kind: 'freshservice',
      baseUrl: 'http://127.0.0.1:9101',
      credentials: { apiKey: KEY },
      rateLimit: { requestsPerMinute: perMinute },
    },
    port: 0,
  });
  return sim;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- control-route JSON, asserted field by field
async function control(handle: SimulatorHandle, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${handle.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json();
}

describe('Freshservice connector against the simulator', () => {
  it('lists and reads a burst of 500 changed tickets completely, without a single 429', async () => {
    const handle = await startSim(6000);
    await control(handle, 'POST', '/__sim/seed', { generate: { count: 500 } });
    const start = new Date(Date.now() - 1000);
    // 500 changes made by people in Freshservice, all within the same minute.
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let id = lane + 1; id <= 500; id += 10) {
          const res = await fetch(`${handle.url}/api/v2/tickets/${id}`, {
            method: 'PUT',
            headers: { authorization: AUTH, 'content-type': 'application/json' },
            body: JSON.stringify({ priority: 4, subject: `Changed ${id}` }),
          });
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        }
      }),
    );
    const queue = new SystemQueue({ system: 'freshservice', concurrency: 4, intervalCap: 6000, intervalMs: 60_000 });
    const connector = freshserviceConnector.create(
      testContext(
        {
          kind: 'freshservice',
          baseUrl: handle.url,
          credentials: { apiKey: KEY },
          rateLimit: { requestsPerMinute: 6000 },
        },
        { queue },
      ),
    );

    const listed: Ticket[] = [];
    for await (const item of connector.listChanged({ since: start })) {
      expect(isInvalidTicket(item)).toBe(false);
      listed.push(item as Ticket);
    }
    expect(new Set(listed.map((t) => t.id)).size).toBe(500);
    const read = await Promise.all(
      listed.map(async (t) => ({
        ticket: await connector.getTicket(t.id),
        comments: await connector.listComments(t.id),
      })),
    );
    expect(
      read.every((r) => r.ticket.fields.priority === 4 && r.ticket.fields.subject === `Changed ${r.ticket.id}`),
    ).toBe(true);
    expect(queue.stats().rateLimitedLastMinute).toBe(0);
    expect((await control(handle, 'GET', '/__sim/ratelimit')).limited).toBe(0);
    queue.stop();
    // About 1,500 requests: generous for a shared, loaded CI machine.
  }, 120_000);

  it('slows down before the budget is spent and waits out 429s under a low limit, losing nothing', async () => {
    const handle = await startSim(20);
    await control(handle, 'PUT', '/__sim/ratelimit', { perMinute: 20, windowMs: 1000 });
    await control(handle, 'POST', '/__sim/seed', { generate: { count: 30 } });
    // Two injected 429s on top of the real bucket, so the Retry-After path runs for certain.
    await control(handle, 'PUT', '/__sim/faults', { burst429: { count: 2, retryAfterSec: 1 } });
    const queue = new SystemQueue({ system: 'freshservice', concurrency: 4 });
    const pause = vi.spyOn(queue, 'pauseFor');
    const connector = freshserviceConnector.create(
      testContext(
        {
          kind: 'freshservice',
          baseUrl: handle.url,
          credentials: { apiKey: KEY },
          rateLimit: { requestsPerMinute: 20 },
          options: { rateWindowMs: 1000 },
        },
        { queue },
      ),
    );

    const tickets = await Promise.all(Array.from({ length: 30 }, (_, i) => connector.getTicket(String(i + 1))));

    expect(tickets.map((t) => t.id)).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    expect(pause.mock.calls.some(([, reason]) => reason === 'budget')).toBe(true);
    // The core HTTP client pauses with the default reason ('rate_limited') on every 429.
    expect(pause.mock.calls.filter(([, reason]) => reason !== 'budget').length).toBeGreaterThanOrEqual(2);
    queue.stop();
  });
});
