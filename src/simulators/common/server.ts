// The plumbing every simulator shares: a fastify app with the `/__sim/` control API (reset,
// seed, faults, request log, per-route call counts, webhook flush), fault injection before the
// vendor routes, and an outbound webhook dispatcher that can drop, duplicate, delay and reorder.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../../core/types.js';
import { FaultInjector, FaultPlan } from './faults.js';

export interface RequestLogEntry {
  at: string;
  method: string;
  /** Matched route pattern, e.g. `GET /api/v2/tickets/:id`. */
  route: string;
  url: string;
  status: number;
  body?: unknown;
}

export interface AuthResult {
  ok: boolean;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface SimulatorAppOptions {
  /** Simulator name for logs, e.g. `freshservice`. */
  name: string;
  /** Checks credentials on every vendor route (never on `/__sim/`). */
  authenticate: (request: FastifyRequest) => AuthResult;
  /** The vendor's error body for an injected status. */
  errorBody: (status: number) => unknown;
  /** Clears all state back to the initial fixtures. */
  onReset: () => void;
  /** Adds records from a JSON body; returns what was created. */
  onSeed: (body: unknown) => unknown;
  /** Keep request bodies in the request log (tests of exact shapes). @default true */
  logBodies?: boolean;
  /** Most entries kept in the request log. @default 5000 */
  logLimit?: number;
  /** The simulated system's time source. @default the system clock */
  clock?: Clock;
}

export interface SimulatorApp {
  app: FastifyInstance;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
  requests: RequestLogEntry[];
  counts: Map<string, number>;
}

export function createSimulatorApp(options: SimulatorAppOptions): SimulatorApp {
  const app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024, forceCloseConnections: true });
  const faults = new FaultInjector(options.clock);
  const webhooks = new WebhookDispatcher(faults);
  const requests: RequestLogEntry[] = [];
  const counts = new Map<string, number>();
  const logLimit = options.logLimit ?? 5000;
  const logBodies = options.logBodies ?? true;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url;
    if (path.startsWith('/__sim/')) return;
    const fault = faults.forRequest(path);
    if (fault.kind === 'hang') {
      // Never answer; the socket is closed after a while so nothing leaks.
      setTimeout(() => request.raw.socket.destroy(), 120_000).unref();
      return reply.hijack();
    }
    if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.kind === 'reset') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.kind === 'status') {
      if (fault.retryAfterSec !== undefined) void reply.header('Retry-After', String(fault.retryAfterSec));
      return reply.code(fault.status).send(options.errorBody(fault.status));
    }
    const auth = options.authenticate(request);
    if (!auth.ok) {
      for (const [k, v] of Object.entries(auth.headers ?? {})) void reply.header(k, v);
      return reply.code(auth.status ?? 401).send(auth.body ?? options.errorBody(auth.status ?? 401));
    }
    return undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    if (path.startsWith('/__sim/')) return;
    const route = `${request.method} ${request.routeOptions.url ?? path}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
    const entry: RequestLogEntry = {
      at: new Date().toISOString(),
      method: request.method,
      route,
      url: request.url,
      status: reply.statusCode,
    };
    if (logBodies && request.body !== undefined) entry.body = request.body;
    requests.push(entry);
    if (requests.length > logLimit) requests.splice(0, requests.length - logLimit);
  });

  app.post('/__sim/reset', async () => {
    options.onReset();
    faults.reset();
    webhooks.reset();
    requests.length = 0;
    counts.clear();
    return { ok: true };
  });
  app.post('/__sim/seed', async (request) => options.onSeed(request.body));
  app.get('/__sim/faults', async () => ({ plan: faults.current, counts: faults.counts }));
  app.put('/__sim/faults', async (request, reply) => {
    const parsed = FaultPlan.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return { plan: faults.set(request.body as object) };
  });
  app.get('/__sim/requests', async (request) => {
    const limit = Number((request.query as Record<string, string>).limit ?? 200);
    return requests.slice(-limit);
  });
  app.get('/__sim/counts', async () => Object.fromEntries(counts));
  app.get('/__sim/webhooks', async () => webhooks.stats());
  app.post('/__sim/webhooks/flush', async () => {
    await webhooks.flush();
    return webhooks.stats();
  });

  return { app, faults, webhooks, requests, counts };
}

/** Listens on host:port (port 0 picks a free one) and returns the base URL. */
export async function listen(app: FastifyInstance, host = '127.0.0.1', port = 0): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator did not bind a TCP port');
  return `http://${host}:${address.port}`;
}

export interface OutboundWebhook {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface WebhookStats {
  queued: number;
  sent: number;
  failed: number;
  held: number;
}

/** Sends webhooks like the vendor would, through the configured webhook faults. */
export class WebhookDispatcher {
  private held: OutboundWebhook[] = [];
  private inFlight = new Set<Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private sent = 0;
  private failed = 0;
  private queued = 0;

  constructor(private readonly faults: FaultInjector) {}

  send(hook: OutboundWebhook): void {
    this.queued++;
    const window = this.faults.reorderWindow;
    if (window > 1) {
      this.held.push(hook);
      if (this.held.length >= window) this.release();
      else {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.release();
        }, 250);
        timer.unref();
        this.timers.add(timer);
      }
      return;
    }
    this.schedule(hook);
  }

  /** Sends everything held and waits for all deliveries in flight. */
  async flush(): Promise<void> {
    this.release();
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      if (this.inFlight.size === 0 && this.timers.size > 0) await new Promise((r) => setTimeout(r, 20));
    }
  }

  stats(): WebhookStats {
    return { queued: this.queued, sent: this.sent, failed: this.failed, held: this.held.length };
  }

  reset(): void {
    this.held = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sent = 0;
    this.failed = 0;
    this.queued = 0;
  }

  private release(): void {
    if (this.held.length === 0) return;
    const batch = this.faults.shuffle(this.held);
    this.held = [];
    for (const hook of batch) this.schedule(hook);
  }

  private schedule(hook: OutboundWebhook): void {
    for (const delayMs of this.faults.forWebhook()) {
      if (delayMs <= 0) {
        this.deliver(hook);
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(hook);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private deliver(hook: OutboundWebhook): void {
    const p = fetch(hook.url, {
      method: 'POST',
      body: hook.body,
      headers: hook.headers,
      signal: AbortSignal.timeout(10_000),
    })
      .then((res) => {
        if (res.ok) this.sent++;
        else this.failed++;
        return res.arrayBuffer();
      })
      .then(
        () => undefined,
        () => {
          this.failed++;
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
