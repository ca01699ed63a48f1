// The ConnectWise simulator's documents over loopback HTTP: multipart upload onto a ticket, the
// DocumentInfo list by recordType/recordId, byte-exact download, the size limit and errors.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHeaders, demoSystem } from '../../connectors/connectwise/test-fixtures.js';
import type { SimulatorHandle } from '../types.js';
import { connectwiseSimulator } from './index.js';

let sim: SimulatorHandle;
const base = (): string => `${sim.url}/v4_6_release/apis/3.0`;
const auth = (): Record<string, string> => {
  const { 'content-type': _ignored, ...headers } = demoHeaders();
  return headers;
};

async function newTicket(): Promise<number> {
  const res = await fetch(`${base()}/service/tickets`, {
    method: 'POST',
    headers: demoHeaders(),
    body: JSON.stringify({ summary: 'Printer', board: { name: 'Co-Managed FS' }, company: { identifier: 'Contoso' } }),
  });
  return ((await res.json()) as { id: number }).id;
}

async function upload(fields: Record<string, string>, file?: { name: string; bytes: Buffer }): Promise<Response> {
  const form = new FormData();
  if (file) form.append('file', new Blob([file.bytes]), file.name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(`${base()}/system/documents`, { method: 'POST', headers: auth(), body: form });
}

beforeAll(async () => {
  sim = await connectwiseSimulator.start({
    system: demoSystem('http://127.0.0.1:9102'),
    port: 0,
    maxFileBytes: 64 * 1024,
  });
});
afterAll(async () => sim.stop());

describe('ConnectWise simulator documents', () => {
  it('takes a multipart upload onto a ticket, lists it by record and downloads the same bytes', async () => {
    const ticketId = await newTicket();
    const bytes = randomBytes(40_000);
    const res = await upload(
      { recordType: 'Ticket', recordId: String(ticketId), title: 'Event log', privateFlag: 'true' },
      { name: 'events.evtx', bytes },
    );
    expect(res.status).toBe(201);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ title: 'Event log', fileName: 'events.evtx', size: 40_000, publicFlag: false });

    const list = await fetch(`${base()}/system/documents?recordType=Ticket&recordId=${ticketId}`, { headers: auth() });
    expect(((await list.json()) as Array<{ id: number }>).map((d) => d.id)).toEqual([doc.id]);

    const download = await fetch(`${base()}/system/documents/${String(doc.id)}/download`, { headers: auth() });
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    const got = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a file over the size limit with an InvalidObject answer and keeps nothing', async () => {
    const ticketId = await newTicket();
    const res = await upload(
      { recordType: 'Ticket', recordId: String(ticketId) },
      { name: 'big.iso', bytes: randomBytes(64 * 1024 + 1) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'InvalidObject', errors: [{ field: 'file' }] });
    const list = await fetch(`${base()}/system/documents?recordType=Ticket&recordId=${ticketId}`, { headers: auth() });
    expect(await list.json()).toEqual([]);
  });

  it('answers 404 for a document on a ticket that does not exist and 400 without a recordType', async () => {
    const file = { name: 'a.txt', bytes: Buffer.from('x') };
    expect((await upload({ recordType: 'Ticket', recordId: '99999' }, file)).status).toBe(404);
    expect((await upload({ recordId: '1' }, file)).status).toBe(400);
  });

  it('refuses an upload without credentials', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('x')]), 'a.txt');
    const res = await fetch(`${base()}/system/documents`, { method: 'POST', body: form });
    expect(res.status).toBe(401);
  });
});
