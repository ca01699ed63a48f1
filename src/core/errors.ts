// One error family with stable snake_case codes. Everything the daemon throws on purpose is a
// SyncError; the code is what /status, the ledger's error list and metrics group by.

export const ERROR_CODES = [
  'rate_limited',
  'auth_failed',
  'not_found',
  'remote_validation',
  'remote_unavailable',
  'network',
  'timeout',
  'config_invalid',
  'conflict_unresolvable',
  'webhook_invalid',
  'payload_invalid',
  'transition_missing',
  'lease_busy',
  'ledger_failed',
  'connection_paused',
  'link_refused',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface ErrorOptions {
  cause?: unknown;
  /** Which system the error came from, when it came from one. */
  system?: string;
}

/**
 * The base of every error the daemon throws on purpose. Abstract: each code has exactly one
 * class below, so `instanceof` and `code` always agree.
 */
export abstract class SyncError extends Error {
  abstract readonly code: ErrorCode;
  /** Which system the error came from, when it came from one. */
  readonly system: string | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.system = options?.system;
  }
}

export class RateLimitedError extends SyncError {
  readonly code = 'rate_limited';
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export class AuthError extends SyncError {
  readonly code = 'auth_failed';
}

export class NotFoundError extends SyncError {
  readonly code = 'not_found';
}

/** The remote system rejected our request as invalid (400/422): permanent, never retried. */
export class RemoteValidationError extends SyncError {
  readonly code = 'remote_validation';
  /** The native field the system named, when it named one. */
  readonly field: string | undefined;
  constructor(message: string, options?: ErrorOptions & { field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/** A transient remote failure: retried with backoff. */
export abstract class TransientError extends SyncError {
  /** The HTTP status, when there was a response. */
  readonly status: number | undefined;
  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** 5xx, or a system saying it cannot answer now. */
export class RemoteUnavailableError extends TransientError {
  readonly code = 'remote_unavailable';
}

/** Connection refused or reset, DNS failure: the system could not be reached. */
export class NetworkError extends TransientError {
  readonly code = 'network';
}

/** No answer in time. */
export class TimeoutError extends TransientError {
  readonly code = 'timeout';
}

/** Another daemon instance holds the lease on this link or ticket right now: try again later. */
export class LeaseBusyError extends SyncError {
  readonly code = 'lease_busy';
}

/** A remote payload did not have the shape we need; names the field. */
export class PayloadError extends SyncError {
  readonly code = 'payload_invalid';
}

/** An inbound webhook could not be read (not JSON, no ticket id). */
export class WebhookError extends SyncError {
  readonly code = 'webhook_invalid';
  /** Why a delivery was refused, in snake_case (e.g. `no_signature`), for the receiver's counts. */
  readonly reason: string | undefined;
  constructor(message: string, options?: ErrorOptions & { reason?: string }) {
    super(message, options);
    this.reason = options?.reason;
  }
}

/** A workflow offers no transition path to the wanted status. */
export class TransitionMissingError extends SyncError {
  readonly code = 'transition_missing';
}

/** A conflict that cannot be resolved as asked (already resolved, unknown side). */
export class ConflictUnresolvableError extends SyncError {
  readonly code = 'conflict_unresolvable';
}

/** An action on a connection that is paused (`enabled: false`, or `ticketbridge pause`). */
export class ConnectionPausedError extends SyncError {
  readonly code = 'connection_paused';
}

/** A link action or a pairing the ledger's state does not allow (a ticket already linked elsewhere, a closed link). */
export class LinkRefusedError extends SyncError {
  readonly code = 'link_refused';
}

/** Something the daemon did not expect: a bug or an unclassified failure, with its cause. */
/** The ledger cannot be opened, read or written: damaged, read-only, a full disk, or held by another daemon. */
export class LedgerError extends SyncError {
  readonly code = 'ledger_failed';
}

export class InternalError extends SyncError {
  readonly code = 'internal';
}

export class ConfigError extends SyncError {
  readonly code = 'config_invalid';
  /** Every problem found, each already formatted as `file:line:col message`. */
  readonly problems: string[];
  constructor(problems: string[] | string, options?: ErrorOptions) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? list[0]! : `${list.length} problems:\n${list.join('\n')}`, options);
    this.problems = list;
  }
}

/** Any thrown value as an Error: errors pass through, anything else becomes an InternalError with it as its cause. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  const text =
    typeof value === 'string'
      ? value
      : (() => {
          try {
            return JSON.stringify(value) ?? String(value);
          } catch {
            return String(value);
          }
        })();
  return new InternalError(`non-error thrown: ${text}`, { cause: value });
}

export interface RetryDecision {
  retry: boolean;
  reason: string;
  /** How long to wait before the next attempt, when the remote said so. */
  waitMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Decides whether an error is worth another attempt. Pure; table-tested. */
export function classify(err: unknown): RetryDecision {
  if (err instanceof RateLimitedError) return { retry: true, reason: 'rate_limited', waitMs: err.retryAfterMs };
  if (err instanceof TransientError || err instanceof LeaseBusyError) return { retry: true, reason: err.code };
  if (err instanceof SyncError) return { retry: false, reason: err.code };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { retry: true, reason: 'network' };
  return { retry: false, reason: 'internal' };
}

const SUBJECT = Symbol('ticketbridge.subject');

/** Which side's ticket an error came from, where a pass over a link knows it. */
export interface ErrorSubject {
  side: 'a' | 'b';
  ticketId: string;
}

/** Marks `err` as coming from one side's ticket (kept on the first mark); returns it. */
export function tagSubject(err: unknown, side: 'a' | 'b', ticketId: string): unknown {
  if (typeof err === 'object' && err !== null && !Object.hasOwn(err, SUBJECT))
    Object.defineProperty(err, SUBJECT, { value: { side, ticketId }, enumerable: false });
  return err;
}

export function subjectOf(err: unknown): ErrorSubject | undefined {
  return typeof err === 'object' && err !== null ? (err as { [SUBJECT]?: ErrorSubject })[SUBJECT] : undefined;
}

/** A one-line, credential-free description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof SyncError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorCode(err: unknown): ErrorCode {
  if (err instanceof SyncError) return err.code;
  const decision = classify(err);
  return decision.retry ? 'network' : 'internal';
}

/** Waits for `p` at most `ms`; a slower answer fails as a TimeoutError. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
