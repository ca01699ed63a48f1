// The Jira simulator's attachments over loopback HTTP: the XSRF opt-out header, multipart `file`
// parts kept byte for byte, `fields.attachment` and the changelog, content answered by a 303 to a
// media store that takes no site credentials and whose links expire, the upload limit's 413, and
// media nodes in comments naming the file by its media id.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import { JIRA_MEDIA_TTL_MS, XSRF_FAILED } from './attachments.js';
import { adf, startDemoJira } from './test-helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const clock = new ManualClock();
const auth = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
let jira: Awaited<ReturnType<typeof startDemoJira>>;

interface JiraFile {
  id: string;
  filename: string;
  size: number;
  mimeType: string;
  content: string;
}

function form(files: Array<{ name: string; bytes: Buffer; field?: string }>): FormData {
  const f = new FormData();
  for (const file of files) f.append(file.field ?? 'file', new Blob([file.bytes], { type: 'text/plain' }), file.name);
  return f;
}

async function upload(issueId: string, body: FormData, xsrf = true): Promise<Response> {
  return fetch(`${jira.url}/rest/api/3/issue/${issueId}/attachments`, {
    method: 'POST',
    headers: { authorization: auth, ...(xsrf ? { 'x-atlassian-token': 'no-check' } : {}) },
    body,
  });
}

async function newIssue(): Promise<string> {
  const res = await jira.call('POST', '/rest/api/3/issue', {
    fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 'Printer', description: adf('x') },
  });
  return (res.body as { id: string }).id;
}

beforeAll(async () => {
  jira = await startDemoJira({ clock });
});
afterAll(async () => jira.stop());

describe('Jira simulator attachments', () => {
  it('refuses an upload without X-Atlassian-Token: no-check, as the XSRF filter does, and keeps nothing', async () => {
    const id = await newIssue();
    const res = await upload(id, form([{ name: 'a.txt', bytes: Buffer.from('hello') }]), false);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe(XSRF_FAILED);
    const issue = await jira.call('GET', `/rest/api/3/issue/${id}?fields=attachment`);
    expect((issue.body as { fields: { attachment: unknown[] } }).fields.attachment).toEqual([]);
  });

  it('keeps the file, lists it on the issue, moves updated and serves the same bytes only through the media store', async () => {
    const id = await newIssue();
    const before = (await jira.call('GET', `/rest/api/3/issue/${id}?fields=updated`)).body as {
      fields: { updated: string };
    };
    clock.advance(60_000);
    const bytes = randomBytes(40_000);
    const res = await upload(id, form([{ name: 'trace.log', bytes }]));
    expect(res.status).toBe(200);
    const [file] = (await res.json()) as JiraFile[];
    expect(file).toMatchObject({ filename: 'trace.log', size: 40_000, mimeType: 'text/plain' });

    const issue = (await jira.call('GET', `/rest/api/3/issue/${id}?fields=attachment,updated`)).body as {
      fields: { attachment: JiraFile[]; updated: string };
    };
    expect(issue.fields.attachment.map((a) => a.id)).toEqual([file!.id]);
    expect(Date.parse(issue.fields.updated)).toBeGreaterThan(Date.parse(before.fields.updated));
    const log = (await jira.call('GET', `/rest/api/3/issue/${id}/changelog`)).body as {
      values: Array<{ items: Array<{ field: string; to?: string; toString?: string }> }>;
    };
    expect(log.values.at(-1)!.items).toEqual([
      expect.objectContaining({ field: 'Attachment', to: file!.id, toString: 'trace.log' }),
    ]);

    const meta = await jira.call('GET', `/rest/api/3/attachment/${file!.id}`);
    expect(meta.body).toMatchObject({ id: Number(file!.id), filename: 'trace.log', size: 40_000 });

    const content = await fetch(`${jira.url}/rest/api/3/attachment/content/${file!.id}`, {
      headers: { authorization: auth },
      redirect: 'manual',
    });
    expect(content.status).toBe(303);
    const location = content.headers.get('location')!;
    expect(location).toMatch(/\/media\/file\/[0-9a-f-]{36}\/binary\?token=/);
    const media = await fetch(location);
    expect(media.status).toBe(200);
    expect(sha(Buffer.from(await media.arrayBuffer()))).toBe(sha(bytes));
    // The media store refuses the site's credentials alongside its own token.
    expect((await fetch(location, { headers: { authorization: auth } })).status).toBe(400);
    // Without a redirect, Jira answers the bytes itself.
    const direct = await fetch(`${jira.url}/rest/api/3/attachment/content/${file!.id}?redirect=false`, {
      headers: { authorization: auth },
    });
    expect(sha(Buffer.from(await direct.arrayBuffer()))).toBe(sha(bytes));
    // Media links expire.
    clock.advance(JIRA_MEDIA_TTL_MS + 1000);
    expect((await fetch(location)).status).toBe(401);
  });

  it('answers 413 for a file over the site upload limit and keeps none of the request', async () => {
    const id = await newIssue();
    await fetch(`${jira.url}/__sim/attachment-settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uploadLimit: 10_000 }),
    });
    try {
      const meta = await jira.call('GET', '/rest/api/3/attachment/meta');
      expect(meta.body).toEqual({ enabled: true, uploadLimit: 10_000 });
      const res = await upload(
        id,
        form([
          { name: 'small.txt', bytes: Buffer.from('ok') },
          { name: 'dump.bin', bytes: randomBytes(20_000) },
        ]),
      );
      expect(res.status).toBe(413);
      expect(((await res.json()) as { errorMessages: string[] }).errorMessages[0]).toContain('dump.bin');
      const issue = await jira.call('GET', `/rest/api/3/issue/${id}?fields=attachment`);
      expect((issue.body as { fields: { attachment: unknown[] } }).fields.attachment).toEqual([]);
    } finally {
      await fetch(`${jira.url}/__sim/attachment-settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uploadLimit: 2 * 1024 * 1024 * 1024 }),
      });
    }
  });

  it('keeps an internal comment whose media node names a file by its media id', async () => {
    const id = await newIssue();
    const [file] = (await (
      await upload(id, form([{ name: 'cfg.txt', bytes: Buffer.from('psk') }]))
    ).json()) as JiraFile[];
    const content = await fetch(`${jira.url}/rest/api/3/attachment/content/${file!.id}`, {
      headers: { authorization: auth },
      redirect: 'manual',
    });
    const mediaId = /\/file\/([^/]+)\/binary/.exec(content.headers.get('location')!)![1]!;
    const body = {
      version: 1,
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'config attached' }] },
        { type: 'mediaSingle', content: [{ type: 'media', attrs: { id: mediaId, type: 'file', collection: '' } }] },
      ],
    };
    const posted = await jira.call('POST', `/rest/api/3/issue/${id}/comment`, {
      body,
      properties: [{ key: 'sd.public.comment', value: { internal: true } }],
    });
    expect(posted.status).toBe(201);
    const page = (await jira.call('GET', `/rest/api/3/issue/${id}/comment`)).body as {
      comments: Array<{ jsdPublic: boolean; body: unknown }>;
    };
    expect(page.comments[0]!.jsdPublic).toBe(false);
    expect(page.comments[0]!.body).toEqual(body);
  });

  it('holds temporary files only with the XSRF opt-out, and refuses to attach them without a visibility', async () => {
    const id = await newIssue();
    const hold = (xsrf: boolean): Promise<Response> =>
      fetch(`${jira.url}/rest/servicedeskapi/servicedesk/1/attachTemporaryFile`, {
        method: 'POST',
        headers: { authorization: auth, ...(xsrf ? { 'x-atlassian-token': 'no-check' } : {}) },
        body: form([{ name: 'portal.txt', bytes: Buffer.from('p') }]),
      });
    expect((await hold(false)).status).toBe(403);
    const held = (await (await hold(true)).json()) as {
      temporaryAttachments: Array<{ temporaryAttachmentId: string }>;
    };
    const ids = held.temporaryAttachments.map((t) => t.temporaryAttachmentId);
    const noVisibility = await jira.call('POST', `/rest/servicedeskapi/request/${id}/attachment`, {
      temporaryAttachmentIds: ids,
    });
    expect(noVisibility.status).toBe(400);
    const attached = await jira.call('POST', `/rest/servicedeskapi/request/${id}/attachment`, {
      temporaryAttachmentIds: ids,
      public: false,
    });
    expect(attached.status).toBe(201);
    expect((attached.body as { comment: { public: boolean } }).comment.public).toBe(false);
    // A temporary file serves one request.
    const again = await jira.call('POST', `/rest/servicedeskapi/request/${id}/attachment`, {
      temporaryAttachmentIds: ids,
      public: true,
    });
    expect(again.status).toBe(400);
  });
});
