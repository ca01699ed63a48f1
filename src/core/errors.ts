// One error family with stable snake_case codes. Everything the daemon throws on purpose is a
// SyncError; the code is what /status, the ledger's error list and metrics group by.

export type ErrorCode =
  | 'rate_limited'
  | 'auth_failed'
  | 'not_found'
  | 'remote_validation'
  | 'remote_unavailable'
  | 'network'
  | 'timeout'
  | 'config_invalid'
  | 'conflict_unresolvable'
  | 'webhook_invalid'
  | 'payload_invalid'
  | 'transition_missing'
  | 'lease_busy'
  | 'internal';

export class SyncError extends Error {
  readonly code: ErrorCode;
  /** Which system the error came from, when it came from one. */
  readonly system: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; system?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.system = options?.system;
  }
}

export class RateLimitedError extends SyncError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown; system?: string }) {
    super('rate_limited', message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export class AuthError extends SyncError {
  constructor(message: string, options?: { cause?: unknown; system?: string }) {
    super('auth_failed', message, options);
  }
}

export class NotFoundError extends SyncError {
  constructor(message: string, options?: { cause?: unknown; system?: string }) {
    super('not_found', message, options);
  }
}

/** The remote system rejected our request as invalid (400/422): permanent, never retried. */
export class RemoteValidationError extends SyncError {
  /** The native field the system named, when it named one. */
  readonly field: string | undefined;
  constructor(message: string, options?: { cause?: unknown; system?: string; field?: string }) {
    super('remote_validation', message, options);
    this.field = options?.field;
  }
}

/** 5xx, connection resets and timeouts: transient. */
export class RemoteUnavailableError extends SyncError {
  readonly status: number | undefined;
  constructor(
    code: 'remote_unavailable' | 'network' | 'timeout',
    message: string,
    options?: { cause?: unknown; system?: string; status?: number },
  ) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/** Another daemon instance holds the lease on this link or ticket right now: try again later. */
export class LeaseBusyError extends SyncError {
  constructor(message: string) {
    super('lease_busy', message);
  }
}

/** A remote payload did not have the shape we need; names the field. */
export class PayloadError extends SyncError {
  constructor(message: string, options?: { cause?: unknown; system?: string }) {
    super('payload_invalid', message, options);
  }
}

export class ConfigError extends SyncError {
  /** Every problem found, each already formatted as `file:line:col message`. */
  readonly problems: string[];
  constructor(problems: string[], options?: { cause?: unknown }) {
    super(
      'config_invalid',
      problems.length === 1 ? problems[0]! : `${problems.length} problems:\n${problems.join('\n')}`,
      options,
    );
    this.problems = problems;
  }
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
  if (err instanceof RemoteUnavailableError || err instanceof LeaseBusyError) return { retry: true, reason: err.code };
  if (err instanceof SyncError) return { retry: false, reason: err.code };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { retry: true, reason: 'network' };
  return { retry: false, reason: 'internal' };
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

/** Waits for `p` at most `ms`; a slower answer fails as a `timeout` RemoteUnavailableError. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RemoteUnavailableError('timeout', `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
