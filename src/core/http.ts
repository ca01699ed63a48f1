// The HTTP client every connector uses: axios through the system's queue, retries with jittered
// backoff for transient failures only, a 429 pausing the whole system for its Retry-After, and
// remote failures mapped onto the SyncError family without ever carrying credentials.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import pRetry from 'p-retry';
import {
  AuthError,
  classify,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RemoteUnavailableError,
  RemoteValidationError,
  type SyncError,
  TimeoutError,
} from './errors.js';
import type { SystemQueue } from './queue.js';
import type { Logger } from './types.js';

export interface HttpRequest {
  method: Method;
  /** Path relative to the client's base URL, or an absolute URL (e.g. a `Link` header). */
  url: string;
  params?: Record<string, string | number | boolean | undefined>;
  data?: unknown;
  headers?: Record<string, string>;
  /** Treat these statuses as normal responses instead of errors (e.g. 404 for a lookup). */
  acceptStatus?: number[];
  /**
   * `stream`: the body arrives as a Readable and is never buffered (file downloads). An error
   * answer's body is still read (small) so the system's message is kept.
   */
  responseType?: 'stream';
  /**
   * A request whose body is a stream can be sent only once: no retry (the caller's intent makes
   * the next pass look before trying again). @default true
   */
  retry?: boolean;
  /** What the call costs from the system's budget (Freshservice include credits). @default 1 */
  cost?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

export interface RemoteErrorDetails {
  message: string;
  field?: string;
}

export interface HttpClientOptions {
  /** System name from the config, used in error messages. */
  system: string;
  baseURL: string;
  queue: SystemQueue;
  logger: Logger;
  /** Static headers (auth, clientId, Accept). Never logged. */
  headers: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
  /** @default 5 */
  retries?: number;
  /** @default 250 */
  minBackoffMs?: number;
  /** @default 15000 */
  maxBackoffMs?: number;
  /** Pulls the system's own error message (and field, if named) out of an error body. */
  describeError?: (status: number, data: unknown) => RemoteErrorDetails | undefined;
  /** Called with every response, for rate-budget headers. */
  onResponse?: (response: HttpResponse) => void;
  /** Upper bound on time spent retrying one request, 429 waits included. @default 600000 */
  maxRetryTimeMs?: number;
  /** Retry-After when a 429 carries none. @default 1000 */
  defaultRetryAfterMs?: number;
  /** How the system's 429s are waited out, when its headers say more than Retry-After. */
  rateLimited?: RateLimitHandling;
}

/** A system's own reading of a 429: how long to wait, and whether the whole system must wait. */
export interface RateLimitHandling {
  /** The wait when Retry-After is missing (e.g. from a reset-time header); undefined falls back to the default. */
  waitMs?: (response: HttpResponse, nowMs: number) => number | undefined;
  /**
   * `system` pauses every request to the system for the wait (the default); `request` retries only
   * this request after it, for limits on one resource (e.g. writes to one Jira issue).
   */
  scope?: (response: HttpResponse) => 'system' | 'request';
}

export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
}

const keepAliveHttp = new http.Agent({ keepAlive: true, maxSockets: 16 });
const keepAliveHttps = new https.Agent({ keepAlive: true, maxSockets: 16 });

/** Parses Retry-After (delta seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function flatHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The error a failed response stands for, in the system's own words where its body has them. */
function remoteError(options: HttpClientOptions, request: HttpRequest, response: HttpResponse): SyncError {
  const system = options.system;
  const where = `${request.method.toUpperCase()} ${pathOnly(request.url)}`;
  const details = options.describeError?.(response.status, response.data);
  const remote = details?.message ? `: ${details.message}` : '';
  const status = response.status;
  if (status === 429) {
    const now = Date.now();
    const waitMs =
      parseRetryAfter(response.headers['retry-after'], now) ??
      options.rateLimited?.waitMs?.(response, now) ??
      options.defaultRetryAfterMs ??
      1000;
    return new RateLimitedError(`${system} rate limit hit on ${where}; retry after ${waitMs} ms`, waitMs, { system });
  }
  if (status === 401 || status === 403)
    return new AuthError(`${system} refused the credentials (${status}) on ${where}${remote}`, { system });
  if (status === 404) return new NotFoundError(`${system} has no ${where} (404)${remote}`, { system });
  if (status >= 500)
    return new RemoteUnavailableError(`${system} failed with ${status} on ${where}${remote}`, {
      system,
      status,
    });
  const field = details?.field;
  return new RemoteValidationError(
    `${system} rejected ${where} (${status})${remote}`,
    field === undefined ? { system } : { system, field },
  );
}

function isStream(value: unknown): value is Readable {
  return typeof (value as Readable | null)?.pipe === 'function';
}

/** An error answer's body when it came as a stream: read (at most 64 KiB) and parsed if JSON. */
async function readErrorBody(stream: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.from(chunk as Uint8Array);
    if (size < 65_536) chunks.push(buffer);
    size += buffer.length;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One request on the wire; a transport failure becomes a TimeoutError or NetworkError. */
async function send(instance: AxiosInstance, system: string, request: HttpRequest): Promise<AxiosResponse> {
  try {
    return await instance.request({
      method: request.method,
      url: request.url,
      ...(request.params === undefined ? {} : { params: request.params }),
      ...(request.data === undefined ? {} : { data: request.data }),
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      // Files are streamed both ways; only buffered bodies are capped.
      ...(request.responseType === 'stream' ? { responseType: 'stream', maxContentLength: Infinity } : {}),
      ...(isStream(request.data) ? { maxBodyLength: Infinity } : {}),
    });
  } catch (err) {
    // Never wrap the axios error itself: its config carries the Authorization header.
    const code = (err as { code?: string }).code ?? 'network';
    const where = `${request.method.toUpperCase()} ${pathOnly(request.url)}`;
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED')
      throw new TimeoutError(`${system} timed out on ${where}`, { system });
    throw new NetworkError(`${system} unreachable on ${where} (${code})`, { system });
  }
}

/**
 * The vendor's own budget signals on any response: what is left (Freshservice
 * `X-Ratelimit-Remaining`, Jira `X-RateLimit-Remaining`; the account is shared with other apps)
 * and what this call was charged (Freshservice `X-Ratelimit-Used-CurrentRequest`).
 */
function observeBudget(queue: SystemQueue, response: HttpResponse, cost: number): void {
  const remaining = Number(response.headers['x-ratelimit-remaining'] ?? Number.NaN);
  if (Number.isFinite(remaining)) queue.observeRemaining(remaining);
  const charged = Number(response.headers['x-ratelimit-used-currentrequest'] ?? Number.NaN);
  if (Number.isFinite(charged)) queue.settle(cost, charged);
}

/** The axios instance a client sends through: every status answered (the client judges it), no redirects. */
function axiosFor(options: HttpClientOptions): AxiosInstance {
  return axios.create({
    baseURL: options.baseURL,
    timeout: options.timeoutMs ?? 30_000,
    headers: options.headers,
    httpAgent: keepAliveHttp,
    httpsAgent: keepAliveHttps,
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: 50 * 1024 * 1024,
    transitional: { clarifyTimeoutError: true },
  });
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const instance = axiosFor(options);
  const system = options.system;
  /** 429s limited to one resource: only their own request waits, outside the queue. */
  const waitsAlone = new WeakSet<Error>();

  async function attempt<T>(request: HttpRequest): Promise<HttpResponse<T>> {
    const cost = request.cost ?? 1;
    return options.queue.add(
      async () => {
        const startedMs = Date.now();
        const raw = await send(instance, system, request);
        const response: HttpResponse<T> = {
          status: raw.status,
          data: raw.data as T,
          headers: flatHeaders(raw.headers),
        };
        options.logger.debug(
          {
            system,
            method: request.method.toUpperCase(),
            path: pathOnly(request.url),
            status: raw.status,
            ms: Date.now() - startedMs,
          },
          'request',
        );
        observeBudget(options.queue, response, cost);
        options.onResponse?.(response);
        if (response.status < 400 || request.acceptStatus?.includes(response.status)) return response;
        if (isStream(response.data)) response.data = (await readErrorBody(response.data)) as T;
        const error = remoteError(options, request, response);
        if (error instanceof RateLimitedError) {
          if ((options.rateLimited?.scope?.(response) ?? 'system') === 'request') waitsAlone.add(error);
          else options.queue.pauseFor(error.retryAfterMs);
        }
        throw error;
      },
      { cost },
    );
  }

  return {
    async request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
      return pRetry(() => attempt<T>(request), {
        retries: request.retry === false ? 0 : (options.retries ?? 5),
        minTimeout: options.minBackoffMs ?? 250,
        maxTimeout: options.maxBackoffMs ?? 15_000,
        factor: 2,
        randomize: true,
        // The queue is already paused for the Retry-After (or this request waited it out alone in
        // onFailedAttempt); the backoff only adds a little jitter.
        // A stopping daemon abandons its queued calls; retrying them would only delay the exit.
        shouldRetry: ({ error }) => request.retry !== false && !options.queue.isStopped && classify(error).retry,
        shouldConsumeRetry: ({ error }) => !(error instanceof RateLimitedError),
        maxRetryTime: options.maxRetryTimeMs ?? 600_000,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          // A limit on one resource: this request waits (holding no queue slot); the rest flow on.
          if (error instanceof RateLimitedError && waitsAlone.has(error))
            await new Promise((resolve) => setTimeout(resolve, Math.min(error.retryAfterMs, options.queue.maxWaitMs)));
          const decision = classify(error);
          if (decision.retry) {
            options.logger.debug(
              { system, attempt: attemptNumber, reason: decision.reason, path: pathOnly(request.url) },
              'request retried',
            );
          }
        },
      });
    },
  };
}

/** `Authorization: Basic …` for a user and password. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
