// The Jira Cloud / Jira Service Management simulator: platform REST v3, servicedeskapi and admin
// webhooks on one fastify app, with Basic email:token auth, `X-AAccountId`, Jira-style 429
// headers and control routes for search index lag, credentials and the user's time zone.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { systemClock } from '../../core/types.js';
import { createSimulatorApp, listen } from '../common/server.js';
import type { SimulatorHandle, SimulatorModule, SimulatorStartOptions } from '../types.js';
import { Renderer } from './render.js';
import { JiraAttachments, registerAttachmentRoutes } from './attachments.js';
import { registerServiceDeskAttachmentRoutes } from './attachments-servicedesk.js';
import { acceptMultipart } from '../common/files.js';
import { registerPlatformRoutes } from './routes-platform.js';
import { registerServiceDeskRoutes } from './routes-servicedesk.js';
import { Behaviour } from '../common/behaviour.js';
import { JiraBehaviour } from './behaviour.js';
import { issueWriteOf, JiraRateLimits, RateLimitSettings, resetHeader } from './rate-limit.js';
import { applySeed } from './seed.js';
import { JiraStore, type StoreEvent } from './store.js';
import { AdminWebhooks } from './webhooks.js';

/** Header a test may send to act as another known user (e.g. a human agent editing). */
export const ACTOR_HEADER = 'x-sim-actor';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startJsmSimulator(
  options: SimulatorStartOptions<Extract<SimulatorStartOptions['system'], { kind: 'jsm' }>>,
): Promise<SimulatorHandle> {
  const credentials = {
    email: options.system.credentials.email,
    apiToken: options.system.credentials.apiToken,
    revoked: false,
  };
  let baseUrl = '';
  const base = (): string => baseUrl;
  const hooks: { current?: AdminWebhooks } = {};
  const authed = new WeakSet<FastifyRequest>();

  // The store needs the faults' clock; the app needs the store: wire through late-bound closures.
  let now: () => number = () => (options.clock ?? systemClock).now();
  const store = new JiraStore(
    credentials.email,
    () => now(),
    (event: StoreEvent) => hooks.current?.onEvent(event),
  );
  const render = new Renderer(store, base);
  const files = new JiraAttachments(store, render, base);
  render.attachmentsOf = (issueId) => files.onIssue(issueId).map((f) => files.renderAttachment(f));
  store.onDelete = (issueId) => files.dropIssue(issueId);

  const sim = createSimulatorApp({
    name: 'jsm',
    ...(options.clock ? { clock: options.clock } : {}),
    authenticate: (request) => {
      // The media store takes its own short-lived token, never the site's credentials.
      if (request.url.startsWith('/media/')) return { ok: true };
      const header = request.headers.authorization ?? '';
      const fail = {
        ok: false,
        status: 401,
        body: {
          errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
          errors: {},
        },
        headers: { 'www-authenticate': 'Basic realm="protected-by-atlassian"' },
      };
      if (!header.startsWith('Basic ')) return fail;
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return fail;
      const email = decoded.slice(0, colon);
      const token = decoded.slice(colon + 1);
      if (
        credentials.revoked ||
        email.toLowerCase() !== credentials.email.toLowerCase() ||
        !sameSecret(token, credentials.apiToken)
      )
        return fail;
      authed.add(request);
      return { ok: true };
    },
    errorBody: (status) => ({
      errorMessages: [status === 429 ? 'Rate limit exceeded.' : `The server answered ${status}.`],
      errors: {},
    }),
    onReset: () => {
      store.reset();
      files.reset();
      rates.reset();
      behaviour.reset();
      hooks.current?.reset();
      credentials.revoked = false;
      credentials.apiToken = options.system.credentials.apiToken;
    },
    onSeed: (body) => applySeed(store, body),
  });
  now = () => sim.faults.now();
  const rates = new JiraRateLimits(() => now());
  const behaviour = new Behaviour(JiraBehaviour, (value) => {
    store.behaviour = value;
    store.version++; // compiled JQL and search caches depend on the switches
  });
  behaviour.register(sim.app);
  const webhooks = new AdminWebhooks(store, render, sim.webhooks, base);
  hooks.current = webhooks;
  const { app } = sim;

  const actor = (request: FastifyRequest): string => {
    const requested = request.headers[ACTOR_HEADER];
    return typeof requested === 'string' && store.users.has(requested) ? requested : store.self.accountId;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    if (authed.has(request)) {
      void reply.header('X-AAccountId', actor(request));
      void reply.header('X-ARequestId', `${now().toString(16)}-${Math.floor(Math.random() * 1e9).toString(16)}`);
    }
    if (reply.statusCode === 429 && reply.getHeader('RateLimit-Reason') === undefined) {
      // An injected 429 (fault plan) looks like the endpoint's burst limiter firing.
      void reply.header('RateLimit-Reason', 'jira-burst-based');
      void reply.header('X-RateLimit-Limit', '100');
      void reply.header('X-RateLimit-Remaining', '0');
      void reply.header('X-RateLimit-Reset', resetHeader(now() + 60_000));
    }
    return payload;
  });

  // Jira's limiters, once the route is known (burst per endpoint, writes per issue).
  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/__sim/') || path.startsWith('/media/')) return undefined;
    const route = request.routeOptions.url ?? path;
    const issue = issueWriteOf(
      request.method,
      route,
      request.params as Record<string, string>,
      (ref) => store.issue(ref)?.id,
    );
    const verdict = rates.check(`${request.method} ${route}`, issue);
    for (const [k, v] of Object.entries(verdict.headers)) void reply.header(k, v);
    if (!verdict.ok) return reply.code(429).send({ errorMessages: ['Rate limit exceeded.'], errors: {} });
    return undefined;
  });

  acceptMultipart(app);
  registerPlatformRoutes(app, { store, render, actor });
  registerAttachmentRoutes(app, { store, files, actor });
  registerServiceDeskAttachmentRoutes(app, { store, render, files, actor, base });
  registerServiceDeskRoutes(app, { store, render, actor, base });
  webhooks.register(app, actor);

  app.get('/__sim/rate-limit', async () => ({ ...rates.settings, limited: rates.limited }));
  app.put('/__sim/rate-limit', async (request, reply) => {
    const parsed = RateLimitSettings.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return rates.configure(parsed.data);
  });
  app.get('/__sim/index-lag', async () => ({ ms: store.indexLagMs }));
  app.put('/__sim/index-lag', async (request, reply) => {
    const parsed = z.strictObject({ ms: z.number().int().min(0) }).safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'body must be {"ms": <non-negative integer>}' });
    store.setIndexLag(parsed.data.ms);
    return { ms: store.indexLagMs };
  });
  app.put('/__sim/credentials', async (request, reply) => {
    const parsed = z
      .strictObject({ apiToken: z.string().min(1).optional(), revoked: z.boolean().optional() })
      .safeParse(request.body);
    if (!parsed.success)
      return reply.code(400).send({ error: 'body must be {"apiToken"?: string, "revoked"?: boolean}' });
    if (parsed.data.apiToken !== undefined) credentials.apiToken = parsed.data.apiToken;
    if (parsed.data.revoked !== undefined) credentials.revoked = parsed.data.revoked;
    return { revoked: credentials.revoked };
  });
  app.put('/__sim/timezone', async (request, reply) => {
    const parsed = z.strictObject({ timeZone: z.string().min(1) }).safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'body must be {"timeZone": "<IANA zone>"}' });
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: parsed.data.timeZone });
    } catch {
      return reply.code(400).send({ error: `unknown time zone ${parsed.data.timeZone}` });
    }
    store.self.timeZone = parsed.data.timeZone;
    return { timeZone: store.self.timeZone };
  });
  app.setErrorHandler((err, _request, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    // Seed errors (zod or fixture lookups) are the caller's fault.
    const isSeed = err instanceof z.ZodError || (err instanceof Error && err.message.startsWith('seed:'));
    void reply
      .code(isSeed ? 400 : status)
      .send({ errorMessages: [err instanceof Error ? err.message : String(err)], errors: {} });
  });

  baseUrl = await listen(app, options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    kind: 'jsm',
    url: baseUrl,
    sim,
    stop: async () => {
      await app.close();
      files.files.clear();
    },
  };
}

export const jsmSimulator: SimulatorModule<'jsm'> = {
  kind: 'jsm',
  start: startJsmSimulator,
};
