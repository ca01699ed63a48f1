// The Freshservice connector against the simulator over loopback: a burst of 500 changes listed
// and read completely within the per-minute limit, and the slowdown / 429 path under a low limit.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
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

  it('paces to the account window instead of pausing, and waits out 429s under a low limit, losing nothing', async () => {
    const handle = await startSim(20);
    await control(handle, 'PUT', '/__sim/ratelimit', { perMinute: 20, windowMs: 1000 });
    await control(handle, 'POST', '/__sim/seed', { generate: { count: 30 } });
    // Two injected 429s on top of the real bucket, so the Retry-After path runs for certain.
    await control(handle, 'PUT', '/__sim/faults', { burst429: { count: 2, retryAfterSec: 1 } });
    const queue = new SystemQueue({ system: 'freshservice', concurrency: 4, intervalCap: 20, intervalMs: 1000 });
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
    // What the window has left slows the flow down; nothing stops it but a 429.
    expect(pause.mock.calls.some(([, reason]) => reason === 'budget')).toBe(false);
    // The core HTTP client pauses with the default reason ('rate_limited') on every 429.
    expect(pause.mock.calls.filter(([, reason]) => reason !== 'budget').length).toBeGreaterThanOrEqual(2);
    queue.stop();
  });
});

describe('Freshservice vendor traps (issue 13)', () => {
  const system = (url: string, perMinute = 6000) => ({
    kind: 'freshservice' as const,
    baseUrl: url,
    credentials: { apiKey: KEY },
    rateLimit: { requestsPerMinute: perMinute },
    options: { defaultRequesterEmail: 'desk@acme.example' },
  });
  const api = async (handle: SimulatorHandle, method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${handle.url}${path}`, {
      method,
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  async function listAll(connector: ReturnType<typeof freshserviceConnector.create>, since: Date): Promise<Ticket[]> {
    const out: Ticket[] = [];
    for await (const item of connector.listChanged({ since })) if (!isInvalidTicket(item)) out.push(item);
    return out;
  }

  it('polls and reads with only the documented include (requester), seeing tags on the ticket itself', async () => {
    const handle = await startSim(6000);
    const since = new Date(Date.now() - 1000);
    const created = (await (
      await api(handle, 'POST', '/api/v2/tickets', {
        email: 'rita@demo.example',
        subject: 'Tagged',
        description: 'x',
        status: 2,
        priority: 2,
        tags: ['vpn', 'tb-fs-cw.7'],
      })
    ).json()) as { ticket: { id: number } };
    const connector = freshserviceConnector.create(testContext(system(handle.url)));
    const listed = await listAll(connector, since);
    expect(listed.map((t) => [t.id, t.fields.tags, t.fields.email, t.marker])).toEqual([
      [String(created.ticket.id), ['vpn'], 'rita@demo.example', 'tb:fs-cw:7'],
    ]);
    const read = await connector.getTicket(String(created.ticket.id));
    expect(read.fields.tags).toEqual(['vpn']);
    const log = (await control(handle, 'GET', '/__sim/requests')) as Array<{ route: string; url: string }>;
    const includes = log
      .filter((r) => r.route.startsWith('GET /api/v2/tickets'))
      .map((r) => new URL(r.url, handle.url).searchParams.get('include'));
    expect(new Set(includes)).toEqual(new Set(['requester']));
  });

  it('charges each call to the system budget at what it costs (a view with an include costs 2, a listing 3)', async () => {
    const handle = await startSim(6000);
    await control(handle, 'POST', '/__sim/seed', { generate: { count: 1 } });
    // The budget is the system's queue (shared by every connection on the account).
    const queue = new SystemQueue({ system: 'freshservice', concurrency: 4, intervalCap: 600 });
    try {
      const connector = freshserviceConnector.create(testContext(system(handle.url, 600), { queue }));
      for (let i = 0; i < 4; i++) await connector.getTicket('1');
      expect(queue.stats().budget).toMatchObject({ perMinute: 600, usedLastMinute: 8, leftThisMinute: 592 });
      await listAll(connector, new Date(Date.now() - 60_000));
      expect(queue.stats().budget?.usedLastMinute).toBe(11);
    } finally {
      queue.stop();
    }
  });

  it('sees a trashed, spam or purged ticket when it reads it, while polls never ask for filter=deleted or spam', async () => {
    const handle = await startSim(6000);
    await control(handle, 'POST', '/__sim/seed', { generate: { count: 3 } });
    const connector = freshserviceConnector.create(testContext(system(handle.url)));
    await api(handle, 'DELETE', '/api/v2/tickets/1');
    await control(handle, 'PUT', '/__sim/tickets/2', { spam: true });
    await fetch(`${handle.url}/__sim/tickets/3`, { method: 'DELETE' });
    // The poll lists live tickets only (none left here) and does not fail on the filters.
    expect(await listAll(connector, new Date(Date.now() - 60_000))).toEqual([]);
    expect(await connector.getTicket('1')).toMatchObject({ deleted: true, inScope: false });
    expect(await connector.getTicket('2')).toMatchObject({ deleted: true, inScope: false });
    await expect(connector.getTicket('3')).rejects.toBeInstanceOf(NotFoundError);
    const log = (await control(handle, 'GET', '/__sim/requests')) as Array<{ url: string }>;
    expect(log.some((r) => r.url.includes('filter='))).toBe(false);
  });
});

describe('Freshservice comment authors (issue 13, item 9)', () => {
  it('names the author of each note, agent or requester, reading each person once', async () => {
    const handle = await startSim(6000);
    const seeded = await control(handle, 'POST', '/__sim/seed', {
      tickets: [
        {
          subject: 'Authors',
          description: 'x',
          status: 2,
          priority: 2,
          conversations: [
            { body: 'Checked the VPN logs.', private: true, user_id: 21000418002 },
            { body: 'Still broken for me.', incoming: true, private: false, user_id: 21000500001 },
            { body: 'Trying again.', private: false, user_id: 21000418002 },
            { body: 'From someone long gone.', private: false, user_id: 21000999999 },
          ],
        },
      ],
    });
    const id = String((seeded as { tickets: number[] }).tickets[0]);
    const connector = freshserviceConnector.create(
      testContext({ kind: 'freshservice', baseUrl: handle.url, credentials: { apiKey: KEY } }),
    );
    const authors = (await connector.listComments(id)).map((c) => c.author);
    expect(authors).toEqual(['Alex Agent', 'Rita Requester', 'Alex Agent', '21000999999']);
    await connector.listComments(id);
    const people = ((await control(handle, 'GET', '/__sim/requests')) as Array<{ route: string }>).filter(
      (r) => r.route.startsWith('GET /api/v2/agents/') || r.route.startsWith('GET /api/v2/requesters/'),
    );
    // Alex (agent), Rita (not an agent, then a requester), the unknown id (neither): 5 reads, once.
    expect(people).toHaveLength(5);
  });
});

describe('Freshservice length limits (issue 13, item 6)', () => {
  const system = (url: string) => ({
    kind: 'freshservice' as const,
    baseUrl: url,
    credentials: { apiKey: KEY },
    options: { defaultRequesterEmail: 'desk@acme.example' },
  });
  type Cuts = { cuts?: Array<{ field: string; fromChars: number; toChars: number }> };

  it('cuts a long subject on create and update, and reports each cut', async () => {
    const handle = await startSim(6000);
    const c = freshserviceConnector.create(testContext(system(handle.url)));
    const subject = `VPN ${'v'.repeat(296)}`; // 300 characters
    const created = (await c.createTicket({ subject, description: 'x' }, 'tb:fs-cw:len')) as Ticket & Cuts;
    expect(created.fields.subject).toBe(subject.slice(0, 255));
    expect(created.cuts).toEqual([{ field: 'subject', fromChars: 300, toChars: 255 }]);
    const updated = (await c.updateTicket(created.id, { subject: `${subject}!` })) as Ticket & Cuts;
    expect(updated.cuts).toEqual([{ field: 'subject', fromChars: 301, toChars: 255 }]);
    const res = await fetch(`${handle.url}/api/v2/tickets/${created.id}`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 's'.repeat(256) }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      description: 'Validation failed',
      errors: [{ field: 'subject', message: 'It should not be longer than 255 characters', code: 'invalid_value' }],
    });
  });

  it('cuts a description written so that it reads back whole, with the wrapper Freshservice adds', async () => {
    const handle = await startSim(6000);
    const c = freshserviceConnector.create(testContext(system(handle.url)));
    const text = 'word '.repeat(400_000).trim(); // 1,999,999 characters
    const created = (await c.createTicket({ subject: 'Long', description: text }, 'tb:fs-cw:wrap')) as Ticket & Cuts;
    const kept = created.fields.description as string;
    expect(created.cuts).toEqual([{ field: 'description', fromChars: text.length, toChars: kept.length }]);
    expect(text.startsWith(kept)).toBe(true);
    const read = (await c.getTicket(created.id)) as Ticket & Cuts;
    expect(read.cuts).toBeUndefined();
    expect(read.fields.description).toBe(kept);
  }, 60_000);

  it('reports the cut when it reads a description longer than it converts (10 MB to 1,000,000 characters)', async () => {
    const handle = await startSim(6000);
    const html = `<div>${'word '.repeat(2_000_000)}</div>`; // 10,000,011 characters
    const seeded = (await control(handle, 'POST', '/__sim/seed', {
      tickets: [{ subject: 'Huge', description: html, status: 2, priority: 1 }],
    })) as { tickets: number[] };
    const c = freshserviceConnector.create(testContext(system(handle.url)));
    const read = (await c.getTicket(String(seeded.tickets[0]))) as Ticket & Cuts;
    expect(read.cuts).toEqual([{ field: 'description', fromChars: html.length, toChars: 1_000_000 }]);
    expect((read.fields.description as string).length).toBeLessThan(1_000_000);
  }, 60_000);
});
