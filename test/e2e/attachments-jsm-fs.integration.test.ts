// Files end to end on the simulators, Jira ⇄ Freshservice, through the daemon: identical bytes
// (sha256) both ways; with aToB: all a file on an internal Jira comment arrives on a private
// Freshservice note (never more visible); with bToA: public a private note's file stays; no echo;
// a file over the configured limit in either direction becomes an event and a note naming it.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/mapping/loader.js';
import type { Config } from '../../src/mapping/schema.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';
import { eventKinds, jiraCommentView, sha, untagged, vendorFiles } from './attachment-vendors.js';

let stack: ReliabilityStack;
let files: ReturnType<typeof vendorFiles>;

beforeAll(async () => {
  const env = new Proxy({}, { get: () => 'unused' }) as NodeJS.ProcessEnv;
  const example = loadConfig(resolve(import.meta.dirname, '../../config/examples/jsm-freshservice.yaml'), { env });
  stack = await startReliabilityStack({
    mutate: (config: Config) => {
      config.connections = { 'jsm-fs': example.config.connections['jsm-fs']! };
      config.connections['jsm-fs']!.attachments = { aToB: 'all', bToA: 'public', deny: [], maxBytes: 200_000 };
    },
  });
  files = vendorFiles(stack);
}, 120_000);
afterAll(async () => stack?.stop());

describe('attachments Jira ⇄ Freshservice', () => {
  it('copies files both ways with identical bytes, keeps internal ones internal, never echoes, and announces files over the limit', async () => {
    const jiraId = await stack.jira.create({ summary: 'Laptop will not boot', description: 'Photos attached' });
    await stack.sync();
    const link = await stack.link('jsm-fs', 'a', jiraId);
    expect(link).not.toBeNull();
    const fsId = link!.bId;

    // Jira → Freshservice (aToB: all): a public comment's file on a public note, an internal
    // comment's file on a private note, both byte for byte; one over maxBytes announced.
    const report = randomBytes(120_000);
    const psk = Buffer.from('psk=secret');
    await files.jiraAttach(jiraId, 'report.pdf', report, { text: 'diagnostics', internal: false });
    await files.jiraAttach(jiraId, 'psk.txt', psk, { text: 'current key', internal: true });
    await files.jiraAttach(jiraId, 'disk.img', randomBytes(210_000), { text: 'disk image', internal: false });
    await stack.sync();
    const conversations = await files.fsConversations(fsId);
    const carrying = (name: string) =>
      conversations.filter((c) => c.attachments.some((a) => untagged(a.name) === name));
    expect(carrying('report.pdf').map((c) => c.private)).toEqual([false]);
    expect(carrying('psk.txt').map((c) => c.private)).toEqual([true]);
    expect(sha(await files.fsDownload(carrying('report.pdf')[0]!.attachments[0]!))).toBe(sha(report));
    expect(sha(await files.fsDownload(carrying('psk.txt')[0]!.attachments[0]!))).toBe(sha(psk));
    const fsNotes = conversations.filter((c) => c.body_text.includes('"disk.img"'));
    expect(fsNotes).toHaveLength(1);
    expect(fsNotes[0]!.body_text).toMatch(/was not copied here: .* over attachments\.maxBytes/);

    // Freshservice → Jira (bToA: public): a public note's file arrives on a public Jira comment,
    // same bytes; a private note's file stays; one over maxBytes is announced.
    const screenshot = randomBytes(60_000);
    await files.fsNoteWithFile(fsId, 'screenshot.png', screenshot, false);
    await files.fsNoteWithFile(fsId, 'secret.txt', Buffer.from('admin password'), true);
    await files.fsNoteWithFile(fsId, 'memory.dmp', randomBytes(250_000), false);
    await stack.sync();
    const jiraFiles = await files.jiraFiles(jiraId);
    const copy = jiraFiles.find((f) => untagged(f.filename) === 'screenshot.png');
    expect(copy).toBeDefined();
    expect(jiraFiles.some((f) => untagged(f.filename) === 'secret.txt')).toBe(false);
    const download = await files.jiraDownload(copy!.id);
    expect(sha(download.bytes)).toBe(sha(screenshot));
    const comments = (await files.jiraComments(jiraId)).map((c) => ({ ...jiraCommentView(c), jsdPublic: c.jsdPublic }));
    expect(comments.filter((c) => c.mediaIds.includes(download.mediaId)).map((c) => c.jsdPublic)).toEqual([true]);
    // (The note the file rode on crosses as a comment of its own; the notice is a separate one.)
    const jiraNotes = comments.filter((c) => c.text.includes('"memory.dmp"'));
    expect(jiraNotes).toHaveLength(1);
    expect(jiraNotes[0]!.text).toMatch(/was not copied here: .* over attachments\.maxBytes/);

    // No echo: more rounds change nothing on either side.
    const conversationCount = (await files.fsConversations(fsId)).length;
    await stack.api(`/links/${link!.id}/resync`, { method: 'POST' });
    await stack.sync();
    expect((await files.jiraFiles(jiraId)).map((f) => untagged(f.filename)).sort()).toEqual([
      'disk.img',
      'psk.txt',
      'report.pdf',
      'screenshot.png',
    ]);
    expect(await files.jiraComments(jiraId)).toHaveLength(comments.length);
    const after = await files.fsConversations(fsId);
    expect(after.flatMap((c) => c.attachments.map((a) => untagged(a.name))).sort()).toEqual([
      'memory.dmp',
      'psk.txt',
      'report.pdf',
      'screenshot.png',
      'secret.txt',
    ]);
    expect(after).toHaveLength(conversationCount);
    const kinds = await eventKinds(stack, link!.id);
    expect(kinds.filter((k) => k === 'attachment_copied')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'attachment_refused')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'attachment_skipped')).toHaveLength(1);
  });
});
