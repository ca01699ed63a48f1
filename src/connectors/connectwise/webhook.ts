// ConnectWise callbacks: verifying `x-content-signature` with the signing key behind the payload's
// `Metadata.key_url`, and reading the ticket id. Signature = base64(HMAC-SHA256(key =
// SHA256(signing_key), raw body)) (research note §8.3). Every forged delivery must be cheap: the
// checks run from cheapest to dearest (header shape, known keys, a linear scan for the key URL,
// the URL's documented shape and host) and a key is fetched, without API credentials, only for a
// well-formed URL on a trusted host that no cache answers, within a small rate limit.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import axios from 'axios';
import { PayloadError, WebhookError } from '../../core/errors.js';
import type { WebhookHint, WebhookRequest } from '../../core/types.js';
import { CwCallbackPayload, CwSigningKey } from './schema.js';

export function callbackSignature(signingKey: string, rawBody: Buffer): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

/** Why a callback was refused before its signature could be compared (the receiver counts these). */
export type CallbackRejection = 'no_signature' | 'untrusted_key_url' | 'key_unavailable' | 'key_fetch_limited';

function reject(reason: CallbackRejection, message: string): WebhookError {
  return new WebhookError(message, { reason });
}

function header(request: WebhookRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** A base64 HMAC-SHA256 is 32 bytes: 43 characters and one `=`. */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{43}=$/;

// ------------------------------------------------------------------------------ key URL scan

/**
 * `Metadata.key_url` of a callback body, found by one linear pass over the top-level object
 * without building it (nested values are skipped by counting brackets outside strings), so a
 * deeply nested or huge forged body costs no more than reading it once. Undefined when the body
 * is not a JSON object, the key is missing, not a string, or given twice.
 */
export function findKeyUrl(raw: Buffer): string | undefined {
  const text = raw.toString('utf8');
  let i = 0;
  const ws = (): void => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  /** Reads a JSON string starting at the quote; returns its decoded value, or undefined. */
  const readString = (): string | undefined => {
    if (text[i] !== '"') return undefined;
    const start = i;
    i++;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '\\') i += 2;
      else if (ch === '"') {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          return undefined;
        }
      } else i++;
    }
    return undefined;
  };
  /** Skips one JSON value of any depth; false when the text ends first. */
  const skipValue = (): boolean => {
    ws();
    if (text[i] === '"') return readString() !== undefined;
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 34 /* " */) {
          // Skip the string without decoding it.
          for (i++; i < text.length; i++) {
            const s = text.charCodeAt(i);
            if (s === 92 /* \ */) i++;
            else if (s === 34) break;
          }
          if (i >= text.length) return false;
        } else if (c === 123 || c === 91 /* { [ */) depth++;
        else if (c === 125 || c === 93 /* } ] */) {
          depth--;
          if (depth === 0) {
            i++;
            return true;
          }
        }
      }
      return false;
    }
    const start = i;
    while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
    return i > start;
  };
  /** Walks an object's members, calling `onMember` at each value; false on malformed input. */
  const members = (onMember: (key: string) => boolean): boolean => {
    ws();
    if (text[i] !== '{') return false;
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return true;
    }
    for (;;) {
      ws();
      const key = readString();
      if (key === undefined) return false;
      ws();
      if (text[i] !== ':') return false;
      i++;
      ws();
      if (!onMember(key)) return false;
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return true;
      }
      return false;
    }
  };

  let found: string | undefined;
  let seen = 0;
  const ok = members((key) => {
    if (key !== 'Metadata' || text[i] !== '{') return skipValue();
    return members((inner) => {
      if (inner !== 'key_url') return skipValue();
      seen++;
      const value = text[i] === '"' ? readString() : undefined;
      if (value === undefined) return skipValue();
      found = value;
      return true;
    });
  });
  return ok && seen === 1 ? found : undefined;
}

// ------------------------------------------------------------------------------ trusted hosts

/**
 * The hosts trusted to serve signing keys when `webhook.trustedKeyHosts` is not set: the API
 * host, and for a cloud API host (`api-na.myconnectwise.net`) its UI host
 * (`na.myconnectwise.net`), because cloud callbacks carry `key_url` on the UI host (research §1,
 * §8.2: `FromUrl` and `key_url` name `sandbox-na.myconnectwise.net`, the API lives on `api-…`).
 */
export function defaultTrustedKeyHosts(baseUrl: string): string[] {
  const url = new URL(baseUrl);
  // With the port spelled out, so the defaults trust the API's port only.
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hosts = [`${url.hostname.toLowerCase()}:${port}`];
  const ui = /^api-(.+)$/i.exec(url.hostname)?.[1];
  if (ui !== undefined) hosts.push(`${ui.toLowerCase()}:${port}`);
  return hosts;
}

/** `name`, `name:port` or `*.domain`: what a `webhook.trustedKeyHosts` entry may be. */
const HOST_ENTRY = /^(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?$/i;

/**
 * Why configured `webhook.trustedKeyHosts` would refuse callbacks (for `validate`): an entry that
 * is no host name, or a cloud API host (`api-na.myconnectwise.net`) whose UI host, where cloud
 * callbacks carry `key_url`, is not trusted. Nothing when the defaults apply.
 */
export function trustedKeyHostWarnings(baseUrl: string, trusted: readonly string[] | undefined): string[] {
  if (trusted === undefined) return [];
  const list = JSON.stringify(trusted);
  const out: string[] = [];
  for (const entry of trusted)
    if (!HOST_ENTRY.test(entry.trim()))
      out.push(`${JSON.stringify(entry)} is not a host name (name, name:port or *.domain), so it trusts no key_url`);
  const api = new URL(baseUrl);
  const ui = /^api-(.+)$/i.exec(api.hostname)?.[1]?.toLowerCase();
  if (ui !== undefined) {
    const keyUrl = new URL(`${api.protocol}//${ui}${api.port ? `:${api.port}` : ''}/`);
    if (!trusted.some((entry) => hostAllowed(keyUrl, entry)))
      out.push(
        `cloud callbacks carry key_url on ${ui}, which ${list} does not trust, so every callback would be refused (401); add ${JSON.stringify(ui)} or leave trustedKeyHosts out to trust it by default`,
      );
  }
  return out;
}

/**
 * Whether a URL's host is allowed by `entry`: `name` (any port), `name:port`, or `*.domain` (any
 * subdomain, any port).
 */
function hostAllowed(url: URL, entry: string): boolean {
  const e = entry.trim().toLowerCase();
  const hostname = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (e.startsWith('*.')) return hostname.endsWith(e.slice(1)) && hostname.length > e.length - 1;
  const colon = e.lastIndexOf(':');
  if (colon > 0 && !e.endsWith(']')) return e.slice(0, colon) === hostname && e.slice(colon + 1) === port;
  return e === hostname;
}

/** `/v4_6_release/` or `/v2025_1//` (cloud doubles the slash), then `system/callbackkey/index.rails`. */
const KEY_PATH = /^\/(?:v(?:4_6_release|\d{4}_\d+)\/+)?system\/callbackkey\/index\.rails$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a key URL against the documented callback-key shape
 * (`https://<host>/<codebase>/system/callbackkey/index.rails?companyName=<company>&id=<GUID>`,
 * research §8.2) on a trusted host; returns why not, or null when it may be fetched.
 */
export function keyUrlProblem(
  keyUrl: string,
  options: { trustedHosts: string[]; allowHttp: boolean; company: string },
): string | null {
  let url: URL;
  try {
    url = new URL(keyUrl);
  } catch {
    return 'the signing key URL is not a URL';
  }
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:'))
    return `the signing key URL uses ${url.protocol.replace(':', '')}, not https`;
  if (url.username || url.password) return 'the signing key URL carries credentials';
  if (!options.trustedHosts.some((entry) => hostAllowed(url, entry)))
    return `the signing key URL's host ${url.host} is not in webhook.trustedKeyHosts (${options.trustedHosts.join(', ')})`;
  if (!KEY_PATH.test(url.pathname) || url.hash !== '')
    return `the signing key URL's path ${url.pathname} is not ConnectWise's callback-key endpoint`;
  const names = [...url.searchParams.keys()];
  const company = url.searchParams.get('companyName');
  const id = url.searchParams.get('id');
  if (names.length !== 2 || company === null || id === null)
    return 'the signing key URL must carry exactly companyName and id';
  if (company.toLowerCase() !== options.company.toLowerCase())
    return `the signing key URL names company ${JSON.stringify(company)}, not ${JSON.stringify(options.company)}`;
  if (!GUID.test(id)) return 'the signing key URL id is not a key id (a GUID)';
  return null;
}

// ------------------------------------------------------------------------------ key fetch

/** Signing-key responses are one short JSON object; anything bigger is not one. */
const KEY_RESPONSE_MAX_BYTES = 16 * 1024;

/**
 * GETs a signing key from a vetted key URL with no API credentials (the endpoint is public and
 * the key URL came from an unauthenticated request), no redirects and a short timeout.
 */
export async function fetchSigningKey(keyUrl: string, timeoutMs = 5000): Promise<string> {
  const response = await axios.get<unknown>(keyUrl, {
    timeout: timeoutMs,
    maxRedirects: 0,
    maxContentLength: KEY_RESPONSE_MAX_BYTES,
    responseType: 'json',
    headers: { Accept: 'application/json' },
    validateStatus: (status) => status === 200,
  });
  const parsed = CwSigningKey.safeParse(response.data);
  if (!parsed.success) throw new PayloadError('the signing key response has no signing_key');
  return parsed.data.signing_key;
}

// ------------------------------------------------------------------------------ the verifier

export interface CallbackVerifierOptions {
  trustedHosts: string[];
  /** Plain HTTP key URLs are allowed only when the configured base URL is itself HTTP. */
  allowHttp: boolean;
  /** The ConnectWise company id the key URL must name (`credentials.company`). */
  company: string;
  fetchKey: (url: string) => Promise<string>;
  now?: () => number;
  /**
   * How long a fetched key is used before it is fetched again.
   * @default 3600000 (an hour)
   */
  keyTtlMs?: number;
  /**
   * How long a key URL that could not be fetched is refused without asking again.
   * @default 600000 (ten minutes)
   */
  failureTtlMs?: number;
  /**
   * While a key is known, a key URL with another key id is fetched at most this often
   * (ConnectWise rotating its key is rare; forged ids are not).
   * @default 600000 (ten minutes)
   */
  rotationIntervalMs?: number;
  /**
   * While no key is known, unknown key URLs are fetched at most this many times a minute.
   * @default 3
   */
  coldFetchesPerMinute?: number;
}

export interface CallbackVerifier {
  /** True: signed by a trusted key. False: the signature does not match. Throws WebhookError otherwise. */
  verify(request: WebhookRequest): Promise<boolean>;
}

export function createCallbackVerifier(options: CallbackVerifierOptions): CallbackVerifier {
  const now = options.now ?? Date.now;
  const keyTtlMs = options.keyTtlMs ?? 3_600_000;
  const failureTtlMs = options.failureTtlMs ?? 600_000;
  const rotationIntervalMs = options.rotationIntervalMs ?? 600_000;
  const coldPerMinute = options.coldFetchesPerMinute ?? 3;

  const keys = new Map<string, { key: string; expires: number }>();
  const failures = new Map<string, number>();
  const inFlight = new Map<string, Promise<string>>();
  /** Times of fetches of URLs no cache answered, for the rate limit. */
  const fetchTimes: number[] = [];

  const matches = (signature: string, key: string, rawBody: Buffer): boolean =>
    timingSafeEqual(Buffer.from(callbackSignature(key, rawBody)), Buffer.from(signature));

  const liveKeys = (t: number): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    for (const [url, entry] of keys) {
      if (entry.expires > t) out.push([url, entry.key]);
      else keys.delete(url);
    }
    return out;
  };

  /** Whether one more fetch of an uncached URL is allowed now (and records it when so). */
  const mayFetch = (t: number, keyKnown: boolean): boolean => {
    while (fetchTimes.length > 0 && t - fetchTimes[0]! >= Math.max(60_000, rotationIntervalMs)) fetchTimes.shift();
    const allowed = keyKnown
      ? fetchTimes.every((at) => t - at >= rotationIntervalMs)
      : fetchTimes.filter((at) => t - at < 60_000).length < coldPerMinute;
    if (allowed) fetchTimes.push(t);
    return allowed;
  };

  const load = (url: string): Promise<string> => {
    let pending = inFlight.get(url);
    if (!pending) {
      pending = options.fetchKey(url).then(
        (key) => {
          keys.set(url, { key, expires: now() + keyTtlMs });
          failures.delete(url);
          return key;
        },
        (err: unknown) => {
          failures.set(url, now() + failureTtlMs);
          throw err;
        },
      );
      const settled = pending.finally(() => inFlight.delete(url));
      settled.catch(() => undefined);
      inFlight.set(url, pending);
    }
    return pending;
  };

  return {
    async verify(request) {
      const signature = header(request, 'x-content-signature')?.trim();
      if (!signature) throw reject('no_signature', 'the callback has no x-content-signature header');
      if (!SIGNATURE_SHAPE.test(signature)) return false;
      const t = now();
      const known = liveKeys(t);
      // A callback signed by a key already fetched needs nothing else.
      if (known.some(([, key]) => matches(signature, key, request.rawBody))) return true;

      const keyUrl = findKeyUrl(request.rawBody);
      if (keyUrl === undefined) throw reject('untrusted_key_url', 'the callback has no Metadata.key_url');
      const problem = keyUrlProblem(keyUrl, options);
      if (problem !== null) throw reject('untrusted_key_url', problem);
      // A known URL whose key did not match above: the signature is wrong (the id names the key).
      if (known.some(([url]) => url === keyUrl)) return false;
      const failedUntil = failures.get(keyUrl);
      if (failedUntil !== undefined && failedUntil > t)
        throw reject('key_unavailable', 'the signing key URL could not be fetched recently');
      if (!inFlight.has(keyUrl) && !mayFetch(t, known.length > 0))
        throw reject('key_fetch_limited', 'too many unknown signing key URLs; not fetched');
      let key: string;
      try {
        key = await load(keyUrl);
      } catch {
        throw reject('key_unavailable', 'the signing key URL could not be fetched');
      }
      return matches(signature, key, request.rawBody);
    },
  };
}

// ------------------------------------------------------------------------------ the hint

/** ConnectWise record ids are int32 (`Ticket.id`, format int32, in the vendor spec). */
const CW_ID_MAX = 2_147_483_647;

function ticketId(value: unknown, where: string): string {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > CW_ID_MAX)
    throw new PayloadError(
      `ConnectWise callback ${where}: ${JSON.stringify(value)} is not a ConnectWise ticket id (a whole number from 1 to ${CW_ID_MAX})`,
    );
  return String(n);
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
  const version = entityVersion(payload.Entity);
  const hint = (ids: string[]): WebhookHint => ({
    ticketIds: ids,
    ...(payload.MessageId ? { deliveryId: payload.MessageId } : {}),
    ...(version === undefined || ids.length === 0 ? {} : { version }),
  });
  if (payload.Type !== undefined && payload.Type.toLowerCase() !== 'ticket') return hint([]);
  if (payload.ID !== undefined) return hint([ticketId(payload.ID, 'ID')]);
  let entity: unknown = payload.Entity;
  if (typeof entity === 'string') {
    try {
      entity = JSON.parse(entity);
    } catch {
      throw new PayloadError('ConnectWise callback Entity: not a JSON string');
    }
  }
  const id = (entity as { id?: unknown } | null | undefined)?.id;
  if (id !== undefined) return hint([ticketId(id, 'Entity.id')]);
  throw new PayloadError('ConnectWise callback ID: missing (and Entity has no id)');
}

/**
 * The ticket's `_info.lastUpdated` from the callback's `Entity` (the ticket as the callback
 * reports it, a JSON string in ConnectWise's callback body), as the connector's version is
 * written; undefined when the body carries none.
 */
function entityVersion(entity: unknown): string | undefined {
  let value = entity;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const stamp = (value as { _info?: { lastUpdated?: unknown } } | null | undefined)?._info?.lastUpdated;
  const ms = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
