// ConnectWise callbacks: verifying `x-content-signature` with the signing key from the payload's
// `Metadata.key_url` (fetched only from trusted hosts, cached per URL), and reading the ticket id.
// Signature = base64(HMAC-SHA256(key = SHA256(signing_key), raw body)) (research note §8.3).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PayloadError } from '../../core/errors.js';
import type { WebhookHint, WebhookRequest } from '../../core/types.js';
import { CwCallbackPayload } from './schema.js';

export function callbackSignature(signingKey: string, rawBody: Buffer): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

function header(request: WebhookRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function parsePayload(rawBody: Buffer): CwCallbackPayload | undefined {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = CwCallbackPayload.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Whether `url` may serve signing keys: its host (or `host:port`) is on the allow-list, where an
 * entry `*.example.com` allows subdomains. HTTPS is required unless the configured base URL is
 * itself plain HTTP (an on-premise or simulated server on a private network).
 */
export function isTrustedKeyUrl(url: string, trustedHosts: string[], allowHttp: boolean): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && !(allowHttp && parsed.protocol === 'http:')) return false;
  if (parsed.username || parsed.password) return false;
  const host = parsed.host.toLowerCase();
  const hostname = parsed.hostname.toLowerCase();
  return trustedHosts.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith('*.')) return hostname.endsWith(e.slice(1));
    return e === host || e === hostname;
  });
}

export interface CallbackVerifier {
  verify(request: WebhookRequest): Promise<boolean>;
}

/** A cached key is fetched again on a mismatch (rotation) at most this often per URL. */
const KEY_REFRESH_MS = 60_000;

export function createCallbackVerifier(options: {
  trustedHosts: string[];
  allowHttp: boolean;
  fetchKey: (url: string) => Promise<string>;
  now?: () => number;
}): CallbackVerifier {
  const now = options.now ?? Date.now;
  const keys = new Map<string, { at: number; key: Promise<string> }>();
  const keyFor = (url: string, fresh: boolean): Promise<string> => {
    const hit = keys.get(url);
    if (hit && !fresh) return hit.key;
    const key = options.fetchKey(url);
    keys.set(url, { at: now(), key });
    key.catch(() => keys.delete(url));
    return key;
  };
  const matches = (signature: string, key: string, rawBody: Buffer): boolean => {
    const expected = Buffer.from(callbackSignature(key, rawBody));
    const given = Buffer.from(signature.trim());
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  return {
    async verify(request) {
      const signature = header(request, 'x-content-signature');
      if (!signature) return false;
      const payload = parsePayload(request.rawBody);
      const keyUrl = payload?.Metadata?.key_url;
      if (!keyUrl || !isTrustedKeyUrl(keyUrl, options.trustedHosts, options.allowHttp)) return false;
      const cachedAt = keys.get(keyUrl)?.at;
      try {
        if (matches(signature, await keyFor(keyUrl, false), request.rawBody)) return true;
        // The key may have been rotated since it was cached; a forged body must not make us
        // fetch on every request, so this happens at most once a minute per URL.
        if (cachedAt === undefined || now() - cachedAt < KEY_REFRESH_MS) return false;
        return matches(signature, await keyFor(keyUrl, true), request.rawBody);
      } catch {
        return false;
      }
    },
  };
}

/** The ticket ids a callback names; throws PayloadError naming what is wrong. */
export function parseCallback(request: WebhookRequest): WebhookHint {
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new PayloadError('ConnectWise callback body is not JSON');
  }
  const parsed = CwCallbackPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PayloadError(
      `ConnectWise callback ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'is invalid'}`,
    );
  }
  const payload = parsed.data;
  const hint = (ids: string[]): WebhookHint =>
    payload.MessageId ? { ticketIds: ids, deliveryId: payload.MessageId } : { ticketIds: ids };
  if (payload.Type !== undefined && payload.Type.toLowerCase() !== 'ticket') return hint([]);
  if (payload.ID !== undefined) return hint([String(payload.ID)]);
  let entity: unknown = payload.Entity;
  if (typeof entity === 'string') {
    try {
      entity = JSON.parse(entity);
    } catch {
      throw new PayloadError('ConnectWise callback Entity: not a JSON string');
    }
  }
  const id = (entity as { id?: unknown } | null | undefined)?.id;
  if (typeof id === 'number' && Number.isInteger(id)) return hint([String(id)]);
  throw new PayloadError('ConnectWise callback ID: missing (and Entity has no id)');
}
