// The webhook receiver: POST /webhooks/:connection/:side. The raw body is kept as a Buffer and
// verified by that side's connector before anything is parsed or enqueued; a verified delivery
// is answered 202 at once and its ticket ids are hinted to the engine without waiting. Duplicate
// deliveries (same delivery id, or same body) within ten minutes are acknowledged and ignored.
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import { describeError } from '../core/errors.js';
import type { Engine } from '../core/engine.js';
import type { Logger, Side, WebhookRequest } from '../core/types.js';
import type { Metrics } from './metrics.js';
import { HttpError, notFound, parseInput } from './route.js';
import { WebhookParams } from './schemas.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const WEBHOOK_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** Remembers keys for `ttlMs`, holding at most `max` (oldest evicted first). */
export class DeliveryCache {
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` was seen within the TTL; otherwise records it and returns false. */
  seen(key: string): boolean {
    const t = this.now();
    const expires = this.entries.get(key);
    if (expires !== undefined && expires > t) return true;
    this.entries.delete(key);
    this.entries.set(key, t + this.ttlMs);
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [k, exp] of this.entries) {
      if (this.entries.size <= this.max && exp > t) break;
      this.entries.delete(k);
    }
    return false;
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface WebhookDeps {
  engine: Engine;
  metrics: Metrics;
  logger: Logger;
  cache?: DeliveryCache;
}

/** Registers the receiver in its own encapsulated scope, with buffer-keeping body parsers. */
export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  const cache = deps.cache ?? new DeliveryCache(10 * 60_000, 10_000);

  // fastify loads the plugin when the app becomes ready (listen or inject).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      WEBHOOK_TYPES,
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );

    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const target = request.params as { connection?: string; side?: string };
      const known = typeof target.connection === 'string' && deps.engine.connections.has(target.connection);
      const count = (result: 'too_large' | 'unsupported_type'): void =>
        known ? deps.metrics.webhook(result, target.connection, target.side) : deps.metrics.webhook(result);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        count('too_large');
        return reply
          .code(413)
          .send({ error: 'payload_too_large', message: `webhook bodies are limited to ${WEBHOOK_BODY_LIMIT} bytes` });
      }
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        count('unsupported_type');
        return reply
          .code(415)
          .send({ error: 'unsupported_media_type', message: `content-type must be ${WEBHOOK_TYPES.join(' or ')}` });
      }
      if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
      deps.logger.error({ err: describeError(err) }, 'webhook handling failed');
      return reply
        .code(500)
        .send({ error: 'internal', message: 'the webhook could not be handled; see the daemon log' });
    });

    scope.post('/webhooks/:connection/:side', {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      // Unknown targets are refused before the body is read.
      onRequest: async (request) => {
        const { connection, side } = parseInput(WebhookParams, request.params, 'params');
        if (!deps.engine.connections.has(connection) || (side !== 'a' && side !== 'b')) {
          deps.metrics.webhook('unknown_target');
          throw notFound(`no connection "${connection}" with side "${side}"`);
        }
      },
      handler: async (request, reply) => {
        const { connection, side: rawSide } = parseInput(WebhookParams, request.params, 'params');
        const side = rawSide as Side;
        const connector = deps.engine.connections.get(connection)!.sides[side].connector;
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const webhook: WebhookRequest = {
          headers: request.headers,
          rawBody,
          query: request.query as Record<string, string>,
        };

        let verified = false;
        try {
          verified = await connector.verifyWebhook(webhook);
        } catch (err) {
          deps.logger.warn({ connection, side, err: describeError(err) }, 'webhook verification threw');
        }
        if (!verified) {
          deps.metrics.webhook('forged', connection, side);
          deps.logger.warn({ connection, side }, 'webhook refused: signature missing or wrong');
          return reply
            .code(401)
            .send({ error: 'unauthorized', message: 'webhook signature is missing or does not match' });
        }

        let hint;
        try {
          hint = connector.parseWebhook(webhook);
        } catch (err) {
          deps.metrics.webhook('invalid', connection, side);
          return reply.code(400).send({
            error: 'invalid_request',
            message: `webhook body: ${err instanceof Error ? err.message : String(err)}`,
          });
        }

        const key =
          hint.deliveryId !== undefined
            ? `${connection}:${side}:id:${hint.deliveryId}`
            : `${connection}:${side}:sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
        if (cache.seen(key)) {
          deps.metrics.webhook('duplicate', connection, side);
          return reply.code(200).send({ status: 'duplicate', ticketIds: [] });
        }

        for (const id of hint.ticketIds) {
          // Answer now; the pass runs in the background and records its own errors.
          void Promise.resolve()
            .then(() => deps.engine.hint(connection, side, id))
            .catch((err: unknown) =>
              deps.logger.warn({ connection, side, ticketId: id, err: describeError(err) }, 'webhook hint failed'),
            );
        }
        deps.metrics.webhook('accepted', connection, side);
        return reply.code(202).send({ status: 'accepted', ticketIds: hint.ticketIds });
      },
    });
  });
}
