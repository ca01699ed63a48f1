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
