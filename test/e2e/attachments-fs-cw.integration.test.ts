// Files end to end on the simulators, Freshservice ⇄ ConnectWise, through the daemon: identical
// bytes (sha256) both ways, an internal file kept internal-only, no echo, and a file over the
// configured limit turned into an event and a note on the other side naming it.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../../src/core/http.js';
import type { Config } from '../../src/mapping/schema.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let stack: ReliabilityStack;
let fsAuth: string;
let cwAuth: Record<string, string>;

interface CwDoc {
  id: number;
  fileName: string;
  publicFlag: boolean;
  size: number;
}
interface FsFile {
  name: string;
  size: number;
  attachment_url: string;
}

function cwRoot(): string {
  return `${stack.simUrl('connectwise')}/v4_6_release/apis/3.0`;
}

async function cwDocs(ticketId: string): Promise<CwDoc[]> {
  const res = await fetch(`${cwRoot()}/system/documents?recordType=Ticket&recordId=${ticketId}`, { headers: cwAuth });
  return (await res.json()) as CwDoc[];
}

async function cwUpload(ticketId: string, name: string, bytes: Buffer, privateFlag: boolean): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ recordType: 'Ticket', recordId: ticketId, title: name })) form.append(k, v);
  form.append('privateFlag', String(privateFlag));
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${cwRoot()}/system/documents`, { method: 'POST', headers: cwAuth, body: form });
  expect(res.status).toBe(201);
}

async function fsNoteWithFile(ticketId: string, name: string, bytes: Buffer, isPrivate: boolean): Promise<void> {
  const form = new FormData();
  form.append('body', `<div>see ${name}</div>`);
  form.append('private', String(isPrivate));
  form.append('attachments[]', new Blob([bytes], { type: 'application/octet-stream' }), name);
  const res = await fetch(`${stack.simUrl('freshservice')}/api/v2/tickets/${ticketId}/notes`, {
    method: 'POST',
    headers: { Authorization: fsAuth },
    body: form,
  });
  expect(res.status).toBe(201);
}

async function fsConversations(
  ticketId: string,
): Promise<Array<{ body_text: string; private: boolean; attachments: FsFile[] }>> {
  const res = await fetch(`${stack.simUrl('freshservice')}/api/v2/tickets/${ticketId}/conversations`, {
    headers: { Authorization: fsAuth },
  });
  return (
    (await res.json()) as { conversations: Array<{ body_text: string; private: boolean; attachments: FsFile[] }> }
  ).conversations;
}

beforeAll(async () => {
  stack = await startReliabilityStack({
    mutate: (config: Config) => {
      config.connections['fs-cw']!.attachments = { aToB: 'public', bToA: 'all', deny: [], maxBytes: 200_000 };
    },
  });
  const fs = Object.values(stack.simConfig.systems).find((s) => s.kind === 'freshservice')!;
  const cw = Object.values(stack.simConfig.systems).find((s) => s.kind === 'connectwise')!;
  if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('demo systems missing');
  fsAuth = basicAuth(fs.credentials.apiKey, 'X');
  cwAuth = {
    Authorization: basicAuth(`${cw.credentials.company}+${cw.credentials.publicKey}`, cw.credentials.privateKey),
    clientId: cw.credentials.clientId,
  };
}, 120_000);
afterAll(async () => stack?.stop());

describe('attachments Freshservice ⇄ ConnectWise', () => {
  it('copies files both ways with identical bytes, keeps internal ones internal, never echoes, and announces an over-limit file', async () => {
    const fsId = await stack.fs.create({ subject: 'VPN drops every hour', description: 'Logs attached' });
    await stack.sync();
    const link = await stack.link('fs-cw', 'a', fsId);
    expect(link).not.toBeNull();
    const cwId = link!.bId;

    // Freshservice → ConnectWise: a public note's file crosses; a private note's file stays (aToB: public).
    const log = randomBytes(150_000);
    await fsNoteWithFile(fsId, 'vpn.log', log, false);
    await fsNoteWithFile(fsId, 'internal-config.txt', Buffer.from('psk=secret'), true);
    await stack.sync();
    const docs = await cwDocs(cwId);
    expect(docs.map((d) => [d.fileName.replace(/ \[tb-\w+\]/, ''), d.publicFlag])).toEqual([['vpn.log', true]]);
    const download = await fetch(`${cwRoot()}/system/documents/${docs[0]!.id}/download`, { headers: cwAuth });
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(log));

    // ConnectWise → Freshservice (bToA: all): a private document arrives on a private note, same bytes;
    // a document over maxBytes is announced by a note naming it. A document does not move the
    // ticket's lastUpdated, so a resync (as the scheduled reconcile would) picks them up.
    const capture = randomBytes(90_000);
    await cwUpload(cwId, 'capture.pcap', capture, true);
    await cwUpload(cwId, 'memory.dmp', randomBytes(250_000), false);
    const resync = await stack.api(`/links/${link!.id}/resync`, { method: 'POST' });
    expect(resync.status).toBe(200);
    await stack.sync();

    const conversations = await fsConversations(fsId);
    const withCapture = conversations.filter((c) => c.attachments.some((a) => a.name.startsWith('capture')));
    expect(withCapture).toHaveLength(1);
    expect(withCapture[0]!.private).toBe(true);
    const copied = await fetch(withCapture[0]!.attachments[0]!.attachment_url);
    expect(sha(Buffer.from(await copied.arrayBuffer()))).toBe(sha(capture));
    const notes = conversations.filter((c) => c.body_text.includes('memory.dmp'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body_text).toMatch(/was not copied here: .* over attachments\.maxBytes/);

    // No echo: more rounds change nothing on either side.
    await stack.api(`/links/${link!.id}/resync`, { method: 'POST' });
    await stack.sync();
    expect(await cwDocs(cwId)).toHaveLength(3);
    const after = await fsConversations(fsId);
    expect(after.flatMap((c) => c.attachments)).toHaveLength(3);
    const events = (await (await stack.api(`/events?link=${link!.id}&limit=200`)).json()) as {
      items: Array<{ kind: string }>;
    };
    const kinds = events.items.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'attachment_copied')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'attachment_refused')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'attachment_skipped')).toHaveLength(1);
  });
});
