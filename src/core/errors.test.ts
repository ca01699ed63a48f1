import { describe, expect, it } from 'vitest';
import {
  AuthError,
  coerceError,
  ConflictUnresolvableError,
  ConnectionPausedError,
  ERROR_CODES,
  LinkRefusedError,
  InternalError,
  LedgerError,
  type SyncError,
  WebhookError,
  classify,
  ConfigError,
  LeaseBusyError,
  NetworkError,
  NotFoundError,
  PayloadError,
  RateLimitedError,
  RemoteUnavailableError,
  RemoteValidationError,
  TimeoutError,
  TransitionMissingError,
} from './errors.js';

const networkError = (code: string): Error => Object.assign(new Error(`socket ${code}`), { code });

describe('classify', () => {
  it.each([
    [
      '429 with Retry-After',
      new RateLimitedError('slow down', 1500),
      { retry: true, reason: 'rate_limited', waitMs: 1500 },
    ],
    ['5xx', new RemoteUnavailableError('503'), { retry: true, reason: 'remote_unavailable' }],
    ['timeout', new TimeoutError('timed out'), { retry: true, reason: 'timeout' }],
    ['connection reset (wrapped)', new NetworkError('reset'), { retry: true, reason: 'network' }],
    ['another instance holds the lease', new LeaseBusyError('busy'), { retry: true, reason: 'lease_busy' }],
    ['raw ECONNRESET', networkError('ECONNRESET'), { retry: true, reason: 'network' }],
    ['raw ETIMEDOUT', networkError('ETIMEDOUT'), { retry: true, reason: 'network' }],
    ['raw ECONNREFUSED', networkError('ECONNREFUSED'), { retry: true, reason: 'network' }],
    [
      '400/422 validation',
      new RemoteValidationError('bad field', { field: 'status' }),
      { retry: false, reason: 'remote_validation' },
    ],
    ['401/403', new AuthError('revoked'), { retry: false, reason: 'auth_failed' }],
    ['404', new NotFoundError('gone'), { retry: false, reason: 'not_found' }],
    ['malformed payload', new PayloadError('status: expected a number'), { retry: false, reason: 'payload_invalid' }],
    ['bad config', new ConfigError(['f.yaml:1:1 nope']), { retry: false, reason: 'config_invalid' }],
    ['missing transition', new TransitionMissingError('no path'), { retry: false, reason: 'transition_missing' }],
    ['a programming error', new TypeError('x is undefined'), { retry: false, reason: 'internal' }],
    ['a thrown string', 'boom', { retry: false, reason: 'internal' }],
  ])('%s', (_name, err, expected) => {
    expect(classify(err)).toEqual(expected);
  });
});

describe('the error family', () => {
  const oneOfEach: SyncError[] = [
    new RateLimitedError('slow down', 1),
    new AuthError('no'),
    new NotFoundError('gone'),
    new RemoteValidationError('bad'),
    new RemoteUnavailableError('503'),
    new NetworkError('reset'),
    new TimeoutError('slow'),
    new ConfigError('f.yaml:1:1 nope'),
    new ConflictUnresolvableError('done already'),
    new WebhookError('not JSON'),
    new PayloadError('no id'),
    new TransitionMissingError('no path'),
    new LeaseBusyError('busy'),
    new LedgerError('disk full'),
    new ConnectionPausedError('paused'),
    new LinkRefusedError('already linked'),
    new InternalError('bug'),
  ];

  it('has exactly one class per code, named after it', () => {
    const codes = oneOfEach.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(codes)).toEqual(new Set(ERROR_CODES));
    for (const err of oneOfEach) expect(err.name).toBe(err.constructor.name);
  });

  it('turns any thrown value into an Error that keeps it as its cause', () => {
    const original = new TypeError('x is undefined');
    expect(coerceError(original)).toBe(original);
    const fromString = coerceError('boom');
    expect(fromString).toBeInstanceOf(InternalError);
    expect(fromString.message).toBe('non-error thrown: boom');
    expect(fromString.cause).toBe('boom');
    const thing = { status: 500 };
    expect(coerceError(thing).message).toBe('non-error thrown: {"status":500}');
    expect(coerceError(thing).cause).toBe(thing);
    expect(coerceError(undefined).message).toBe('non-error thrown: undefined');
  });
});
