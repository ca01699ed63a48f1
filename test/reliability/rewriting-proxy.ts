// A loopback HTTP proxy between the daemon and one simulator that can rewrite the JSON the vendor
// API answers: the only way to hand the connectors payloads the simulators themselves would never
// produce (missing, extra and wrong-typed fields, garbage dates, ADF nobody wrote, vanished ids).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  url: string;
}

export interface ProxyRule {
  /** Answers instead of the simulator (e.g. a 404 for a vanished ticket). */
  respond?(request: ProxiedRequest): { status: number; body: unknown; headers?: Record<string, string> } | undefined;
  /** Rewrites a JSON response body; may be async (e.g. to delete the ticket after listing it). */
  rewrite?(body: unknown, request: ProxiedRequest): unknown;
  /** Sees every request once it is answered (counting proxies for the benchmarks). */
  observe?(request: ProxiedRequest, status: number, startedAtMs: number): void;
}

const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'host',
]);

export interface RewritingProxy {
  url: string;
  /** Adds a rule; returns a function that removes it. */
  add(rule: ProxyRule): () => void;
  clear(): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startRewritingProxy(target: string): Promise<RewritingProxy> {
  const rules = new Set<ProxyRule>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const startedAtMs = Date.now();
    const url = request.url ?? '/';
    const info: ProxiedRequest = { method: request.method ?? 'GET', path: url.split('?')[0] ?? url, url };
    for (const rule of rules) {
      const answer = rule.respond?.(info);
      if (answer) {
        const text = JSON.stringify(answer.body);
        response.writeHead(answer.status, {
          ...answer.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        response.end(text);
        return;
      }
    }
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_HEADERS.has(key)) continue;
      headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const upstream = await fetch(`${target}${url}`, {
      method: info.method,
      headers,
      // A redirect (Jira's attachment content → media store) reaches the client as it was sent.
      redirect: 'manual',
      ...(body.length > 0 && info.method !== 'GET' && info.method !== 'HEAD' ? { body } : {}),
    });
    let payload = Buffer.from(await upstream.arrayBuffer());
    const type = upstream.headers.get('content-type') ?? '';
    if (/json/.test(type) && payload.length > 0 && [...rules].some((r) => r.rewrite !== undefined)) {
      let json: unknown = JSON.parse(payload.toString('utf8'));
      for (const rule of rules) if (rule.rewrite) json = await rule.rewrite(json, info);
      payload = Buffer.from(JSON.stringify(json));
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (!HOP_HEADERS.has(key)) out[key] = value;
    });
    out['content-length'] = String(payload.length);
    response.writeHead(upstream.status, out);
    response.end(payload);
    for (const rule of rules) rule.observe?.(info, upstream.status, startedAtMs);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `proxy: ${err instanceof Error ? err.message : String(err)}` }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    add(rule) {
      rules.add(rule);
      return () => rules.delete(rule);
    },
    clear: () => rules.clear(),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Calls `fn` on every object in `json` that satisfies `is` (tickets in lists and envelopes alike). */
export function visit(
  json: unknown,
  is: (node: Record<string, unknown>) => boolean,
  fn: (node: Record<string, unknown>) => void,
): void {
  if (Array.isArray(json)) {
    for (const item of json) visit(item, is, fn);
    return;
  }
  if (json === null || typeof json !== 'object') return;
  const node = json as Record<string, unknown>;
  if (is(node)) fn(node);
  for (const value of Object.values(node)) visit(value, is, fn);
}
