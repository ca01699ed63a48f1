// Files end to end on the simulators, Jira ⇄ ConnectWise, through the daemon: identical bytes
// (sha256) both ways, a file on an internal Jira comment kept on Jira, a ConnectWise private
// document arriving on an internal Jira comment, no echo, and files over the configured limit or
// refused by Jira (413 over its upload limit) each turned into an event and a note on the other
// side naming them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/mapping/schema.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';
import { eventKinds, jiraCommentView, sha, untagged, vendorFiles } from './attachment-vendors.js';

let stack: ReliabilityStack;
let files: ReturnType<typeof vendorFiles>;

beforeAll(async () => {
  stack = await startReliabilityStack({
    mutate: (config: Config) => {
      config.connections = { 'jsm-cw': config.connections['jsm-cw']! };
      config.connections['jsm-cw']!.attachments = { aToB: 'public', bToA: 'all', deny: [], maxBytes: 200_000 };
    },
  });
  files = vendorFiles(stack);
}, 120_000);
afterAll(async () => stack?.stop());

describe('attachments Jira ⇄ ConnectWise', () => {
  it('copies files both ways with identical bytes, keeps internal ones internal, never echoes, and announces files over a limit', async () => {
    const jiraId = await stack.jira.create({ summary: 'VPN drops every hour', description: 'Logs attached' });
    await stack.sync();
    const link = await stack.link('jsm-cw', 'a', jiraId);
    expect(link).not.toBeNull();
    const cwId = link!.bId;

    // Jira → ConnectWise (aToB: public): the file on a public comment crosses as a public
    // document; the file on an internal comment stays on Jira; one over maxBytes is announced.
    const log = randomBytes(150_000);
    await files.jiraAttach(jiraId, 'vpn.log', log, { text: 'log from the laptop', internal: false });
    await files.jiraAttach(jiraId, 'internal-config.txt', Buffer.from('psk=secret'), {
      text: 'current config',
      internal: true,
    });
    await files.jiraAttach(jiraId, 'disk.img', randomBytes(210_000), { text: 'disk image', internal: false });
    await stack.sync();
    const docs = await files.cwDocs(cwId);
    expect(docs.map((d) => [untagged(d.fileName), d.publicFlag])).toEqual([['vpn.log', true]]);
    expect(sha(await files.cwDownload(docs[0]!.id))).toBe(sha(log));
    const cwNotes = (await files.cwNotes(cwId)).filter((n) => n.text.includes('disk.img'));
    expect(cwNotes).toHaveLength(1);
    expect(cwNotes[0]!.text).toMatch(/was not copied here: .* over attachments\.maxBytes/);

    // The Jira admin lowers the attachment size limit to 120 kB.
    await files.jiraUploadLimit(120_000);

    // ConnectWise → Jira (bToA: all): a private document arrives on an internal comment, same
    // bytes; one over attachments.maxBytes and one Jira refuses (413) are announced by notes.
    const capture = randomBytes(90_000);
    await files.cwUpload(cwId, 'capture.pcap', capture, true);
    await files.cwUpload(cwId, 'memory.dmp', randomBytes(250_000), false);
    await files.cwUpload(cwId, 'screen-recording.mp4', randomBytes(130_000), false);
    // A document does not move ConnectWise's lastUpdated: a resync stands in for the reconcile.
    expect((await stack.api(`/links/${link!.id}/resync`, { method: 'POST' })).status).toBe(200);
    await stack.sync();

    const jiraFiles = await files.jiraFiles(jiraId);
    const copy = jiraFiles.find((f) => untagged(f.filename) === 'capture.pcap');
    expect(copy).toBeDefined();
    const download = await files.jiraDownload(copy!.id);
    expect(sha(download.bytes)).toBe(sha(capture));
    const comments = (await files.jiraComments(jiraId)).map((c) => ({ ...jiraCommentView(c), jsdPublic: c.jsdPublic }));
    const carrying = comments.filter((c) => c.mediaIds.includes(download.mediaId));
    expect(carrying).toHaveLength(1);
    expect(carrying[0]!.jsdPublic).toBe(false);
    const overConfigured = comments.filter((c) => c.text.includes('memory.dmp'));
    expect(overConfigured).toHaveLength(1);
    expect(overConfigured[0]!.text).toMatch(/was not copied here: .* over attachments\.maxBytes/);
    const overJira = comments.filter((c) => c.text.includes('screen-recording.mp4'));
    expect(overJira).toHaveLength(1);
    expect(overJira[0]!.text).toMatch(/was not copied here: Jira Service Management refused it \(.*\(413\)/);

    // No echo: more rounds change nothing on either side.
    await stack.api(`/links/${link!.id}/resync`, { method: 'POST' });
    await stack.sync();
    expect(await files.cwDocs(cwId)).toHaveLength(4);
    expect((await files.jiraFiles(jiraId)).map((f) => untagged(f.filename)).sort()).toEqual([
      'capture.pcap',
      'disk.img',
      'internal-config.txt',
      'vpn.log',
    ]);
    expect(await files.jiraComments(jiraId)).toHaveLength(comments.length);
    const kinds = await eventKinds(stack, link!.id);
    expect(kinds.filter((k) => k === 'attachment_copied')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'attachment_refused')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'attachment_skipped')).toHaveLength(1);
  });
});
