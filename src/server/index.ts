// The daemon's HTTP surface on fastify: health and readiness, status, ledger, conflict inbox,
// errors, Prometheus metrics, the webhook receiver, the dashboard and /openapi.json. The lead's
// daemon composes it: createServer({ engine, ledger, server, logger, version, startedAtMs, metrics }).
import { isIP } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import type { Engine } from '../core/engine.js';
import { CatalogCache } from '../core/catalogs.js';
import { ConfigError } from '../core/errors.js';
import type { Ledger } from '../core/ledger/types.js';
import type { Logger } from '../core/types.js';
import { apiRoutes, documentOtherRoutes } from './api.js';
import { installAuth, sameSecret, type TokenEntry } from './auth.js';
import { installScope, scopedEngine, scopedLedger, setPrincipal } from './scope.js';
import { SessionStore } from './sessions.js';
import { dashboardRoutes } from './dashboard.js';
import { reportRoutes } from './reports.js';
import type { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { addRoute, HttpError, type RouteDoc } from './route.js';
import { WebhookStats } from './webhook-stats.js';
import { cachedSystemChecks } from './views.js';
import { webhookRoutes } from './webhooks.js';

export { createMetrics, type Metrics, type WebhookResult } from './metrics.js';

export interface ServerDeps {
  engine: Engine;
  ledger: Ledger;
  server: {
    host: string;
    port: number;
    token?: string | undefined;
    tokens?: readonly TokenEntry[] | undefined;
    metricsToken?: string | undefined;
    /** GET /metrics also on a listener of its own, on `host` (nothing else is served there). */
    metricsPort?: number | undefined;
    publicUrl?: string | undefined;
  };
  /** The daemon's pino logger; fastify logs requests through it. Undefined: silent. */
  logger: PinoLogger | undefined;
  version: string;
  startedAtMs: number;
  metrics: Metrics;
  /**
   * Poll interval of connections that do not set their own; lag is judged against it.
   * @default 30000
   */
  pollIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface Server {
  app: FastifyInstance;
  /** Every route registered (by any module), for checks such as "a viewer can POST nothing". */
  routes: Array<{ method: string; url: string }>;
  /** Starts listening (and the metrics listener, when configured); resolves with the URL (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  /** Base URL of the metrics listener once listening; null when server.metricsPort is not set. */
  metricsUrl(): string | null;
  /** Stops accepting requests and closes connections. Idempotent. */
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost: the only addresses allowed without a token. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

const silent: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

export function createServer(deps: ServerDeps): Server {
  const token = deps.server.token === '' ? undefined : deps.server.token;
  // server.token is an admin token named "admin"; server.tokens adds named ones with roles.
  const tokens: TokenEntry[] = [
    ...(token === undefined ? [] : [{ name: 'admin', token, role: 'admin' as const }]),
    ...(deps.server.tokens ?? []),
  ];
  if (tokens.length === 0 && !isLoopback(deps.server.host)) {
    throw new ConfigError([
      `server.host: "${deps.server.host}" is not a loopback address, so server.token is required (the status API, dashboard and actions would be open to the network)`,
    ]);
  }
  if (deps.server.metricsPort !== undefined && deps.server.metricsPort === deps.server.port && deps.server.port !== 0)
    throw new ConfigError([
      `server.metricsPort: ${deps.server.metricsPort} is server.port too; the metrics listener needs a port of its own`,
    ]);
  const now = deps.now ?? Date.now;
  const logger: Logger = deps.logger ? (deps.logger as unknown as Logger).child({ component: 'server' }) : silent;

  const httpLogger: FastifyBaseLogger | undefined = deps.logger?.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    ...(httpLogger ? { loggerInstance: httpLogger } : { logger: false }),
    // Probes hit /healthz every few seconds; requests are logged at debug level below instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Dashboard forms and /login post form data; everything else is JSON.
    bodyLimit: 1024 * 1024,
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: 'payload_too_large', message: err.message });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send({ error: 'unsupported_media_type', message: err.message });
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'invalid_request', message: err.message });
    }
    logger.error({ method: request.method, url: request.url.split('?')[0], err: err.message }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; the daemon log has the details' });
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.debug(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  installScope(app);
  installAuth(app, {
    tokens,
    metricsToken: deps.server.metricsToken,
    publicUrl: deps.server.publicUrl,
    secureCookie: deps.server.publicUrl?.startsWith('https:') ?? false,
    sessions: new SessionStore(now),
    onPrincipal: setPrincipal,
  });

  deps.metrics.attach({ status: () => deps.engine.status(), counts: () => deps.ledger.counts() });
  const webhookStats = new WebhookStats(now);
  // Every route reads through these: a token limited to some connections sees only those.
  const views = {
    engine: scopedEngine(deps.engine, deps.ledger),
    ledger: scopedLedger(deps.ledger),
    version: deps.version,
    startedAtMs: deps.startedAtMs,
    pollIntervalMs: deps.pollIntervalMs ?? 30_000,
    now,
    webhookStats,
    systemChecks: cachedSystemChecks({ engine: deps.engine, now }),
  };
  const docs: RouteDoc[] = [];

  apiRoutes(app, docs, { ...views, logger });
  const sendMetrics = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  };
  app.get('/metrics', sendMetrics);
  const metricsApp =
    deps.server.metricsPort === undefined ? null : metricsListener(deps.server.metricsToken, sendMetrics);
  let metricsUrl: string | null = null;
  webhookRoutes(app, { engine: deps.engine, metrics: deps.metrics, stats: webhookStats, ledger: deps.ledger, logger });
  // One catalogue per system for the daemon's life: values shown by name, never a call per page view.
  const catalogs = new CatalogCache(deps.engine.connections, { now, logger });
  dashboardRoutes(app, { ...views, signedIn: tokens.length > 0, logger, catalogs });
  reportRoutes(app, views);
  documentOtherRoutes(docs);

  let openapi: Record<string, unknown> | null = null;
  addRoute(
    app,
    docs,
    {
      method: 'GET',
      url: '/openapi.json',
      tag: 'status',
      summary: "This document: OpenAPI 3 built from the routes' zod schemas.",
      auth: true,
      response: z.record(z.string(), z.unknown()),
      handler: async () =>
        (openapi ??= buildOpenApi(docs, {
          version: deps.version,
          ...(deps.server.publicUrl ? { publicUrl: deps.server.publicUrl } : {}),
        })),
    },
    logger,
  );

  let closing: Promise<void> | null = null;
  return {
    app,
    routes,
    async listen() {
      const address = await app.listen({ host: deps.server.host, port: deps.server.port });
      logger.info({ address, auth: tokens.length > 0 }, 'server listening');
      if (metricsApp) {
        metricsUrl = await metricsApp.listen({ host: deps.server.host, port: deps.server.metricsPort ?? 0 });
        logger.info({ address: metricsUrl, auth: deps.server.metricsToken !== undefined }, 'metrics listening');
      }
      return address;
    },
    metricsUrl: () => metricsUrl,
    close() {
      closing ??= Promise.all([app.close(), metricsApp?.close()]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * The scrape listener (server.metricsPort): GET /metrics and nothing else, open as Prometheus
 * exporters usually are, or behind server.metricsToken when one is configured.
 */
function metricsListener(
  metricsToken: string | undefined,
  send: (request: unknown, reply: FastifyReply) => Promise<FastifyReply>,
): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const given = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : null;
    if (metricsToken !== undefined && (given === null || !sameSecret(given, metricsToken)))
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="ticketbridge-metrics"')
        .send({ error: 'unauthorized', message: 'this listener needs server.metricsToken as a bearer token' });
    return send(request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `only GET /metrics is served here, not ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
  return app;
}
