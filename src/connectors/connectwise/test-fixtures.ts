// Shared test values and helpers: the demo ConnectWise system (issue 8's demo credentials) at a
// given URL, raw API access to a simulator, and a loopback receiver that captures callbacks.
import { createServer, type Server } from 'node:http';
import type { WebhookRequest } from '../../core/types.js';
import type { CwSystemConfig } from './client.js';

export const DEMO_CLIENT_ID = '11111111-2222-3333-4444-555555555555';

export function demoSystem(
  baseUrl: string,
  options: CwSystemConfig['options'] = { codebase: 'v4_6_release/', companyIdentifier: 'Contoso' },
): CwSystemConfig {
  return {
    kind: 'connectwise',
    baseUrl,
    credentials: { company: 'demo', publicKey: 'demo-public', privateKey: 'demo-private', clientId: DEMO_CLIENT_ID },
    ...(options === undefined ? {} : { options }),
  };
}

export function demoHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from('demo+demo-public:demo-private').toString('base64')}`,
    clientId: DEMO_CLIENT_ID,
    'content-type': 'application/json',
    ...extra,
  };
}

/** A raw call to the simulator's REST API (`path` below `/v4_6_release/apis/3.0`). */
export async function cwApi(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const response = await fetch(`${base}/v4_6_release/apis/3.0${path}`, {
    method,
    headers: demoHeaders(extraHeaders),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

export interface ReceivedCallback extends WebhookRequest {
  url: string;
}

/** A loopback HTTP server that records every callback delivered to it. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  private waiters: Array<{ match: (r: ReceivedCallback) => boolean; resolve: (r: ReceivedCallback) => void }> = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.statusCode = 204;
        res.end();
        const item: ReceivedCallback = { url: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks) };
        this.received.push(item);
        this.waiters = this.waiters.filter((w) => {
          if (!w.match(item)) return true;
          w.resolve(item);
          return false;
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  /** Resolves with the first delivery (past or future) that matches. */
  waitFor(match: (r: ReceivedCallback) => boolean, timeoutMs = 5000): Promise<ReceivedCallback> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching callback arrived')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function payloadOf(r: WebhookRequest): Record<string, unknown> {
  return JSON.parse(r.rawBody.toString('utf8')) as Record<string, unknown>;
}

/** A technician uploads a document onto a ticket through the simulator's REST API (multipart). */
export async function cwUploadDocument(
  base: string,
  ticketId: string,
  file: { name: string; bytes: Buffer; contentType: string; privateFlag: boolean },
): Promise<Response> {
  const form = new FormData();
  form.append('recordType', 'Ticket');
  form.append('recordId', ticketId);
  form.append('title', file.name);
  form.append('privateFlag', String(file.privateFlag));
  form.append('file', new Blob([file.bytes], { type: file.contentType }), file.name);
  const { 'content-type': _json, ...headers } = demoHeaders({ 'x-sim-member': 'jdoe' });
  const res = await fetch(`${base}/v4_6_release/apis/3.0/system/documents`, { method: 'POST', headers, body: form });
  if (res.status !== 201) throw new Error(`document upload answered ${res.status}: ${await res.text()}`);
  return res;
}
