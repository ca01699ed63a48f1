// The Jira connector's files against the simulator: where a file is shown decides how visible it
// is, the site's upload limit becomes the declared limit, and Jira's 413 is a refusal that names
// the file.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteValidationError } from '../../core/errors.js';
import type { Connector } from '../../core/types.js';
import { jsmSimulator } from '../../simulators/jsm/index.js';
import { attachAsPerson } from '../../simulators/jsm/test-helpers.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { testContext } from '../../../test/helpers/context.js';
import { jsmConnector } from './index.js';

const AUTH = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
const system = (baseUrl: string) => ({
  kind: 'jsm' as const,
  baseUrl,
  credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
});
let sim: SimulatorHandle;
let connector: Connector;

async function settings(body: { uploadLimit: number }): Promise<void> {
  await fetch(`${sim.url}/__sim/attachment-settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function newIssue(): Promise<string> {
  return (await connector.createTicket({ summary: 'Files', description: 'x', priority: 'Medium' }, 'tb:files:1')).id;
}

beforeAll(async () => {
  sim = await jsmSimulator.start({ system: system('http://127.0.0.1:9103'), port: 0 });
  connector = jsmConnector.create(testContext(system(sim.url), { scope: { project: 'IT' }, systemName: 'jira' }));
});
afterAll(async () => sim.stop());

describe('Jira connector attachments', () => {
  it('reads a file on no comment as internal, in the description as public, on a comment as the comment', async () => {
    const id = await newIssue();
    const loose = await attachAsPerson(sim.url, id, { name: 'loose.txt', bytes: Buffer.from('a') }, null);
    const shown = await attachAsPerson(sim.url, id, { name: 'shown.txt', bytes: Buffer.from('b') }, null);
    const onNote = await attachAsPerson(
      sim.url,
      id,
      { name: 'note.txt', bytes: Buffer.from('c') },
      { text: 'see file', internal: true },
    );
    const location = (
      await fetch(`${sim.url}/rest/api/3/attachment/content/${shown}`, {
        headers: { authorization: AUTH },
        redirect: 'manual',
      })
    ).headers.get('location')!;
    const mediaId = /\/file\/([^/]+)\/binary/.exec(location)![1]!;
    const put = await fetch(`${sim.url}/rest/api/3/issue/${id}`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({
        fields: {
          description: {
            version: 1,
            type: 'doc',
            content: [{ type: 'mediaSingle', content: [{ type: 'media', attrs: { id: mediaId, type: 'file' } }] }],
          },
        },
      }),
    });
    expect(put.status).toBe(204);
    const comments = await connector.listComments(id);
    const listed = await connector.listAttachments!(id);
    expect(listed.map((a) => [a.id, a.visibility, a.commentId])).toEqual([
      [loose, 'internal', null],
      [shown, 'public', null],
      [onNote, 'internal', comments[0]!.id],
    ]);
  });

  it('reads files JSM put on a request with a comment (servicedeskapi) as visible as that comment', async () => {
    const id = await newIssue();
    const viaServiceDesk = async (name: string, isPublic: boolean): Promise<void> => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from(name)], { type: 'text/plain' }), name);
      const held = await fetch(`${sim.url}/rest/servicedeskapi/servicedesk/1/attachTemporaryFile`, {
        method: 'POST',
        headers: { authorization: AUTH, 'x-atlassian-token': 'no-check' },
        body: form,
      });
      expect(held.status).toBe(201);
      const { temporaryAttachments } = (await held.json()) as {
        temporaryAttachments: Array<{ temporaryAttachmentId: string }>;
      };
      const res = await fetch(`${sim.url}/rest/servicedeskapi/request/${id}/attachment`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({
          temporaryAttachmentIds: temporaryAttachments.map((t) => t.temporaryAttachmentId),
          public: isPublic,
          additionalComment: { body: `about ${name}` },
        }),
      });
      expect(res.status).toBe(201);
    };
    await viaServiceDesk('portal.png', true);
    await viaServiceDesk('agents-only.txt', false);
    const comments = await connector.listComments(id);
    const listed = await connector.listAttachments!(id);
    expect(listed.map((a) => [a.name, a.visibility, a.commentId])).toEqual([
      ['portal.png', 'public', comments[0]!.id],
      ['agents-only.txt', 'internal', comments[1]!.id],
    ]);
    expect(comments.map((c) => c.visibility)).toEqual(['public', 'internal']);
  });

  it('keeps a file whose comment Jira refused as an internal file on no comment, never as a refused file', async () => {
    const id = await newIssue();
    const faults = (plan: unknown): Promise<Response> =>
      fetch(`${sim.url}/__sim/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(plan),
      });
    await faults({ errorRates: { '400': 1 }, pathFilter: '/comment' });
    try {
      const uploaded = await connector.uploadAttachment!(id, {
        name: 'capture.pcap',
        sizeBytes: 3,
        contentType: 'application/octet-stream',
        content: Readable.from([Buffer.from('abc')]),
        visibility: 'public',
        marker: 'tb:files:1:file:b7',
        note: 'File from ConnectWise: capture.pcap',
      });
      expect(uploaded).toMatchObject({ name: 'capture.pcap', visibility: 'internal', commentId: null });
    } finally {
      await faults({});
    }
    const listed = await connector.listAttachments!(id);
    expect(listed.map((a) => [a.name, a.visibility, a.marker !== null])).toEqual([['capture.pcap', 'internal', true]]);
  });

  it("declares the site's upload limit and turns Jira's 413 into a refusal naming the file", async () => {
    const id = await newIssue();
    await settings({ uploadLimit: 5_000 });
    // A connector starting now reads the site's setting (it re-reads it every 10 minutes).
    const connector = jsmConnector.create(
      testContext(system(sim.url), { scope: { project: 'IT' }, systemName: 'jira' }),
    );
    try {
      await connector.listAttachments!(id);
      expect(connector.facts.attachments?.maxFileBytes).toBe(5_000);
      const bytes = Buffer.alloc(6_000, 1);
      const upload = connector.uploadAttachment!(id, {
        name: 'dump.bin',
        sizeBytes: bytes.length,
        contentType: 'application/octet-stream',
        content: Readable.from([bytes]),
        visibility: 'public',
        marker: 'tb:files:1:file:b1',
        note: 'File from ConnectWise: dump.bin',
      });
      await expect(upload).rejects.toBeInstanceOf(RemoteValidationError);
      await expect(upload).rejects.toThrow(/413.*dump \[tb-[0-9a-f]{12}\]\.bin/);
      expect(await connector.listAttachments!(id)).toEqual([]);
    } finally {
      await settings({ uploadLimit: 2 * 1024 * 1024 * 1024 });
    }
  });
});
