// Shared by the Jira simulator's tests: start it on loopback with the demo credentials and call
// it like a client would (Basic auth, JSON), plus a tiny receiver for outbound webhooks.
import http from 'node:http';
import type { Clock } from '../../core/types.js';
import type { SimulatorHandle } from '../types.js';
import { jsmSimulator } from './index.js';

export const DEMO_SYSTEM = {
  kind: 'jsm' as const,
  baseUrl: 'http://127.0.0.1:9103',
  credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
};

export interface Called {
  status: number;
  headers: Headers;
  body: unknown;
}

export async function startDemoJira(options: { clock?: Clock } = {}): Promise<
  SimulatorHandle & {
    call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Called>;
  }
> {
  const handle = await jsmSimulator.start({ system: DEMO_SYSTEM, ...(options.clock ? { clock: options.clock } : {}) });
  const auth = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Called> => {
    const init: RequestInit = {
      method,
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(handle.url + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // Non-JSON bodies stay text.
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return Object.assign(handle, { call });
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
}

export async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/hooks/jira`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const adf = (text: string): Record<string, unknown> => ({
  version: 1,
  type: 'doc',
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

const DEMO_AUTH = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;

/**
 * A person attaches a file in Jira's issue view: the file goes onto the issue, then (unless
 * `comment` is null) a comment shows it through a media node, internal or public. Returns the
 * attachment id.
 */
export async function attachAsPerson(
  baseUrl: string,
  issueId: string,
  file: { name: string; bytes: Buffer; contentType?: string },
  comment: { text: string; internal: boolean } | null,
  auth: string = DEMO_AUTH,
): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([file.bytes], { type: file.contentType ?? 'application/octet-stream' }), file.name);
  const res = await fetch(`${baseUrl}/rest/api/3/issue/${issueId}/attachments`, {
    method: 'POST',
    headers: { authorization: auth, 'x-atlassian-token': 'no-check', 'x-sim-actor': '5b10ac8d82e05b22cc7d4ef5' },
    body: form,
  });
  if (res.status !== 200) throw new Error(`Jira attachment upload answered ${res.status}: ${await res.text()}`);
  const [attached] = (await res.json()) as Array<{ id: string }>;
  if (comment === null) return attached!.id;
  const content = await fetch(`${baseUrl}/rest/api/3/attachment/content/${attached!.id}`, {
    headers: { authorization: auth },
    redirect: 'manual',
  });
  const mediaId = /\/file\/([^/]+)\/binary/.exec(content.headers.get('location') ?? '')?.[1];
  if (!mediaId) throw new Error(`Jira gave no media link for attachment ${attached!.id}`);
  const posted = await fetch(`${baseUrl}/rest/api/3/issue/${issueId}/comment`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json', 'x-sim-actor': '5b10ac8d82e05b22cc7d4ef5' },
    body: JSON.stringify({
      body: {
        version: 1,
        type: 'doc',
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: comment.text }] },
          { type: 'mediaSingle', content: [{ type: 'media', attrs: { id: mediaId, type: 'file', collection: '' } }] },
        ],
      },
      properties: [{ key: 'sd.public.comment', value: { internal: comment.internal } }],
    }),
  });
  if (posted.status !== 201) throw new Error(`Jira comment answered ${posted.status}: ${await posted.text()}`);
  return attached!.id;
}
