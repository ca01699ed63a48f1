// The webhook receiver: POST /webhooks/:connection/:side. The raw body is kept as a Buffer and
// verified by that side's connector before anything is parsed or enqueued; a verified delivery
// is answered 202 at once and its ticket ids are hinted to the engine without waiting. Hints
// coalesce (see hint-coalescer.ts); a delivery is dropped only as a true replay (a delivery id
// the vendor issued, seen within ten minutes) or when it reports a ticket version older than one
// the ledger has already synced. Every refusal is counted per connection, side and reason.
import type { FastifyError, FastifyInstance } from 'fastify';
import { describeError, WebhookError } from '../core/errors.js';
import type { Engine } from '../core/engine.js';
import type { Ledger } from '../core/ledger/types.js';
import { stampOf } from '../core/sync/versions.js';
import { deliveredOf, type Logger, type Side, type WebhookHint, type WebhookRequest } from '../core/types.js';
import { HintCoalescer } from './hint-coalescer.js';
import type { Metrics } from './metrics.js';
import { HttpError, notFound, parseInput } from './route.js';
import { WebhookParams } from './schemas.js';
import { isRejectionReason, REJECTION_LABELS, type RejectionReason, type WebhookStats } from './webhook-stats.js';

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
  stats: WebhookStats;
  logger: Logger;
  /** Read for stale deliveries (a hint reporting a version the ledger has already passed). */
  ledger?: Pick<Ledger, 'findLink'>;
  cache?: DeliveryCache;
}

/** The refusal a verifier's verdict or exception stands for. */
function verdictReason(verdict: unknown): RejectionReason | null {
  if (verdict === true) return null;
  if (verdict === false) return 'bad_signature';
  if (verdict instanceof WebhookError && isRejectionReason(verdict.reason)) return verdict.reason;
  return 'bad_signature';
}

/** Whether the ledger already synced a version of this ticket newer than the one the delivery reports. */
async function isStale(
  deps: WebhookDeps,
  connection: string,
  side: Side,
  ticketId: string,
  version: string | undefined,
): Promise<boolean> {
  if (version === undefined || !deps.ledger) return false;
  const reported = Date.parse(version);
  if (Number.isNaN(reported)) return false;
  const link = await deps.ledger.findLink(connection, side, ticketId);
  // The ledger keeps `<version>#<hash of the mapped fields>`; the version is the ticket's update time.
  const stored = (side === 'a' ? link?.aVersion : link?.bVersion) ?? '';
  const synced = Date.parse(stampOf(stored));
  return !Number.isNaN(synced) && synced > reported;
}

/** Registers the receiver in its own encapsulated scope, with buffer-keeping body parsers. */
export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  const cache = deps.cache ?? new DeliveryCache(10 * 60_000, 10_000);
  const coalescer = new HintCoalescer();

  const refuse = (connection: string, side: Side, reason: RejectionReason): void => {
    deps.stats.reject(connection, side, reason);
    deps.metrics.webhookRejected(connection, side, reason);
  };

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
      const known =
        typeof target.connection === 'string' &&
        deps.engine.connections.has(target.connection) &&
        (target.side === 'a' || target.side === 'b');
      const count = (result: 'too_large' | 'unsupported_type'): void => {
        if (!known) return deps.metrics.webhook(result);
        deps.metrics.webhook(result, target.connection, target.side);
        refuse(target.connection!, target.side as Side, result);
      };
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

        let verdict: unknown;
        try {
          verdict = await connector.verifyWebhook(webhook);
        } catch (err) {
          verdict = err;
          if (!(err instanceof WebhookError))
            deps.logger.warn({ connection, side, err: describeError(err) }, 'webhook verification threw');
        }
        const reason = verdictReason(verdict);
        if (reason !== null) {
          deps.metrics.webhook('forged', connection, side);
          refuse(connection, side, reason);
          deps.logger.warn(
            { connection, side, reason, ...(verdict instanceof WebhookError ? { detail: verdict.message } : {}) },
            'webhook refused',
          );
          return reply
            .code(401)
            .send({ error: 'unauthorized', message: `webhook refused: ${REJECTION_LABELS[reason]}` });
        }

        let hint: WebhookHint;
        try {
          hint = connector.parseWebhook(webhook);
        } catch (err) {
          deps.metrics.webhook('invalid', connection, side);
          refuse(connection, side, 'invalid_body');
          return reply.code(400).send({
            error: 'invalid_request',
            message: `webhook body: ${err instanceof Error ? err.message : String(err)}`,
          });
        }

        // Only an id the vendor issued identifies a delivery: bodies repeat for different edits.
        if (hint.deliveryId !== undefined && cache.seen(`${connection}:${side}:id:${hint.deliveryId}`)) {
          deps.metrics.webhook('duplicate', connection, side);
          return reply.code(200).send({ status: 'duplicate', ticketIds: [] });
        }

        // A delivery that says comments moved is never stale: the comment may hide behind a newer
        // version a field edit's pass recorded without listing comments (pass.ts commentSides).
        const fresh: string[] = [];
        for (const id of hint.ticketIds) {
          if (hint.moved === 'comments' || !(await isStale(deps, connection, side, id, hint.version))) fresh.push(id);
        }
        deps.stats.accept(connection, side);
        if (deps.engine.pauseState(connection) !== null) {
          // Acknowledged so the vendor does not retry or disable the webhook; resuming polls from the cursor.
          deps.stats.hold(connection);
          deps.metrics.webhook('paused', connection, side);
          return reply.code(202).send({ status: 'paused', ticketIds: [] });
        }
        if (fresh.length === 0 && hint.ticketIds.length > 0) {
          deps.metrics.webhook('duplicate', connection, side);
          return reply.code(200).send({ status: 'stale', ticketIds: [] });
        }
        for (const id of fresh) {
          // Answer now; the pass runs in the background and records its own errors.
          coalescer.hint(
            `${connection}\u0000${side}\u0000${id}`,
            // The reported version lets the echo of the daemon's own write end here, with no call;
            // what the delivery says moved spares the pass listing what did not (pass.ts commentSides).
            (folded, moved, delivered) =>
              deps.engine.hint(connection, side, id, undefined, folded ? undefined : hint.version, moved, delivered),
            (err) =>
              deps.logger.warn({ connection, side, ticketId: id, err: describeError(err) }, 'webhook hint failed'),
            hint.moved,
            deliveredOf(hint),
          );
        }
        deps.metrics.webhook('accepted', connection, side);
        return reply.code(202).send({ status: 'accepted', ticketIds: fresh });
      },
    });
  });
}
