// Makes ledger faults loud. A damaged file, a full disk or a read-only ledger fails every pass;
// without this the failures were logged at debug level while /readyz said ready. Every ledger
// call goes through a watch: a storage fault is logged at error level with a running count (at
// the 1st, 10th, 100th… failure, so a failing loop does not flood the log), marks the ledger
// faulty (ping() then fails, so /readyz and /status say not ready with the cause), and a write
// of a kind that failed succeeding again clears it.
import { describeError, LedgerError } from '../errors.js';
import type { Logger } from '../types.js';
import type { Ledger } from './types.js';

/** What a storage failure means, from SQLite's and PostgreSQL's error codes; null for other errors. */
export function storageFault(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL' || code === '53100') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY') || code === '25006') return 'the ledger is read-only';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002')
    return 'the ledger is damaged';
  if (code.startsWith('SQLITE_IOERR') || code === '58030') return 'a disk I/O error';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'the ledger file cannot be opened';
  return null;
}

export interface LedgerFault {
  cause: string;
  /** Failed ledger calls since the fault began. */
  count: number;
  sinceMs: number;
  last: string;
  /** The ledger calls that failed: one of them succeeding again clears the fault. */
  methods: Set<string>;
}

const READS = /^(get|list|find|count|snapshot|ping|close|search|describe|stats|export)/;

export interface WatchedLedger extends Ledger {
  /** The storage fault currently open, or null. */
  fault(): LedgerFault | null;
}

/** Wraps a ledger so storage faults are logged with counts, fail ping(), and clear on the next good write. */
export function watchLedger(ledger: Ledger, logger: Logger, now: () => number = Date.now): WatchedLedger {
  let fault: LedgerFault | null = null;
  const failed = (method: string, err: unknown): void => {
    const cause = storageFault(err);
    if (cause === null) return;
    if (fault === null || fault.cause !== cause)
      fault = { cause, count: 0, sinceMs: now(), last: '', methods: new Set() };
    fault.count++;
    fault.methods.add(method);
    fault.last = describeError(err);
    if (/^(1|10+)$/.test(String(fault.count)))
      logger.error(
        { ledger: ledger.driver, cause, failures: fault.count, method, err: fault.last },
        'ledger failing: passes cannot be recorded',
      );
  };
  const succeeded = (method: string): void => {
    // A small write can land in free pages of a full disk: only a call that failed proves recovery.
    if (fault === null || READS.test(method) || !fault.methods.has(method)) return;
    logger.warn({ ledger: ledger.driver, failures: fault.count, cause: fault.cause }, 'ledger writable again');
    fault = null;
  };
  const ping = async (): Promise<void> => {
    try {
      await ledger.ping();
    } catch (err) {
      failed('ping', err);
      throw err instanceof LedgerError ? err : new LedgerError(`ledger read failed: ${describeError(err)}`);
    }
    const open: LedgerFault | null = fault;
    if (open !== null)
      throw new LedgerError(
        `${open.cause}: ${open.count} ledger operation${open.count === 1 ? '' : 's'} failed since ${new Date(open.sinceMs).toISOString()} (last: ${open.last})`,
      );
  };
  return new Proxy(ledger as WatchedLedger, {
    get(target, prop, receiver) {
      if (prop === 'fault') return () => fault;
      if (prop === 'ping') return ping;
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (ok: unknown) => {
            succeeded(prop);
            return ok;
          },
          (err: unknown) => {
            failed(prop, err);
            throw err;
          },
        );
      };
    },
  });
}
