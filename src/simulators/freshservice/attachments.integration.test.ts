// The Freshservice simulator's attachments over loopback HTTP: multipart attachments[] on notes
// and ticket updates, pre-signed download URLs (no API key, expiring, refusing a second auth
// mechanism) and the per-ticket total.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import type { SimulatorHandle } from '../types.js';
import { FS_URL_TTL_MS } from './attachments.js';
import { freshserviceSimulator } from './index.js';

let sim: SimulatorHandle;
const clock = new ManualClock();
const auth = { authorization: `Basic ${Buffer.from('att-key:X').toString('base64')}` };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface FsFile {
  id: number;
  name: string;
  size: number;
  content_type: string;
  attachment_url: string;
}

async function newTicket(): Promise<number> {
  const res = await fetch(`${sim.url}/api/v2/tickets`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'Printer', description: 'x', email: 'rita@demo.example', status: 2, priority: 2 }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { ticket: { id: number } }).ticket.id;
}

function form(
  parts: Record<string, string>,
  files: Array<{ name: string; bytes: Buffer }>,
  field = 'attachments[]',
): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) f.append(k, v);
  for (const file of files) f.append(field, new Blob([file.bytes], { type: 'text/plain' }), file.name);
  return f;
}

beforeAll(async () => {
  sim = await freshserviceSimulator.start({
    system: { kind: 'freshservice', baseUrl: 'http://127.0.0.1:9101', credentials: { apiKey: 'att-key' } },
    port: 0,
    clock,
    maxFileBytes: 100_000,
  });
});
afterAll(async () => sim.stop());

describe('Freshservice simulator attachments', () => {
  it('keeps a file on a private note and serves the same bytes from its pre-signed URL without the API key', async () => {
    const id = await newTicket();
    const bytes = randomBytes(30_000);
    const res = await fetch(`${sim.url}/api/v2/tickets/${id}/notes`, {
      method: 'POST',
      headers: auth,
      body: form({ body: '<div>log</div>', private: 'true' }, [{ name: 'app.log', bytes }]),
    });
    expect(res.status).toBe(201);
    const note = ((await res.json()) as { conversation: { private: boolean; attachments: FsFile[] } }).conversation;
    expect(note.private).toBe(true);
    expect(note.attachments).toMatchObject([{ name: 'app.log', size: 30_000, content_type: 'text/plain' }]);

    const list = await fetch(`${sim.url}/api/v2/tickets/${id}/conversations`, { headers: auth });
    const [listed] = ((await list.json()) as { conversations: Array<{ attachments: FsFile[] }> }).conversations;
    const url = listed!.attachments[0]!.attachment_url;
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(bytes));
    // Like S3, a pre-signed URL refuses a second auth mechanism.
    expect((await fetch(url, { headers: auth })).status).toBe(400);
  });

  it('lets a pre-signed URL expire', async () => {
    const id = await newTicket();
    await fetch(`${sim.url}/api/v2/tickets/${id}`, {
      method: 'PUT',
      headers: auth,
      body: form({ priority: '3' }, [{ name: 'a.txt', bytes: Buffer.from('hello') }]),
    });
    const view = await fetch(`${sim.url}/api/v2/tickets/${id}`, { headers: auth });
    const ticket = ((await view.json()) as { ticket: { priority: number; attachments: FsFile[] } }).ticket;
    expect(ticket.priority).toBe(3);
    expect(ticket.attachments.map((a) => a.name)).toEqual(['a.txt']);
    clock.advance(FS_URL_TTL_MS + 1000);
    expect((await fetch(ticket.attachments[0]!.attachment_url)).status).toBe(403);
  });

  it('refuses files beyond the ticket total with the validation error and keeps none', async () => {
    const id = await newTicket();
    const ok = await fetch(`${sim.url}/api/v2/tickets/${id}/notes`, {
      method: 'POST',
      headers: auth,
      body: form({ body: 'first' }, [{ name: 'one.bin', bytes: randomBytes(60_000) }]),
    });
    expect(ok.status).toBe(201);
    const over = await fetch(`${sim.url}/api/v2/tickets/${id}/notes`, {
      method: 'POST',
      headers: auth,
      body: form({ body: 'second' }, [{ name: 'two.bin', bytes: randomBytes(60_000) }]),
    });
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ description: 'Validation failed', errors: [{ field: 'attachments' }] });
    const list = await fetch(`${sim.url}/api/v2/tickets/${id}/conversations`, { headers: auth });
    expect(((await list.json()) as { conversations: unknown[] }).conversations).toHaveLength(1);
  });

  it('refuses a file part under another name than attachments[]', async () => {
    const id = await newTicket();
    const res = await fetch(`${sim.url}/api/v2/tickets/${id}/notes`, {
      method: 'POST',
      headers: auth,
      body: form({ body: 'x' }, [{ name: 'a.txt', bytes: Buffer.from('a') }], 'file'),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ field: 'file', code: 'invalid_field' }] });
  });
});
