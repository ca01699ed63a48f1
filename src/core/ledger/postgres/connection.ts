// Connection-level failures of the PostgreSQL ledger, turned into SyncErrors that name the host
// and database but never the connection URL (it may carry a password).
import { AuthError, ConfigError, NetworkError, SyncError } from '../../errors.js';

/** Where the ledger lives, credential-free: `host:port/database`. */
export interface LedgerTarget {
  label: string;
  /** The URL's password, kept only to scrub it from driver messages. */
  secret: string | null;
}

export function describeTarget(url: string): LedgerTarget {
  try {
    // A Unix-socket URL (`postgres://user@/db?host=/run/postgresql`) has an empty host, which URL
    // cannot parse; pg reads the socket directory from the `host` parameter, and so does the label.
    const u = new URL(url.replace(/@\//, '@localhost/'));
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    const host = u.searchParams.get('host') ?? u.hostname;
    return {
      label: `${host || 'localhost'}:${u.searchParams.get('port') ?? (u.port || '5432')}/${database}`,
      secret: u.password ? decodeURIComponent(u.password) : null,
    };
  } catch {
    // Not a URL (e.g. a keyword/value string): say nothing about it rather than leak it.
    return { label: 'the configured PostgreSQL database', secret: null };
  }
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  // A Unix-socket URL whose socket file is missing: no server there.
  'ENOENT',
]);

/** True for errors about reaching or logging in to the server, not about a statement. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || /^(08|28|3D|57P)/.test(code))) return true;
  return (
    err instanceof Error &&
    /connection terminated|timeout exceeded when trying to connect|connection timeout/i.test(err.message)
  );
}

function scrub(message: string, target: LedgerTarget): string {
  return target.secret ? message.split(target.secret).join('***') : message;
}

/** Wraps a connection-level error; statement errors pass through unchanged. */
export function wrapConnectionError(err: unknown, target: LedgerTarget): unknown {
  if (err instanceof SyncError || !isConnectionError(err)) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const detail = scrub(raw, target);
  const code = (err as { code?: unknown }).code;
  const message = `PostgreSQL ledger at ${target.label}: ${detail}`;
  // A driver message that echoed the password is not kept as the cause either.
  const options = detail === raw ? { cause: err, system: 'ledger' } : { system: 'ledger' };
  if (typeof code === 'string' && code.startsWith('28')) return new AuthError(message, options);
  if (code === '3D000' || code === '3F000') return new ConfigError(message, options);
  return new NetworkError(message, options);
}
