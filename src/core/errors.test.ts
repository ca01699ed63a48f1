import { describe, expect, it } from 'vitest';
import {
  AuthError,
  classify,
  ConfigError,
  LeaseBusyError,
  NotFoundError,
  PayloadError,
  RateLimitedError,
  RemoteUnavailableError,
  RemoteValidationError,
  SyncError,
} from './errors.js';

const networkError = (code: string): Error => Object.assign(new Error(`socket ${code}`), { code });

describe('classify', () => {
  it.each([
    [
      '429 with Retry-After',
      new RateLimitedError('slow down', 1500),
      { retry: true, reason: 'rate_limited', waitMs: 1500 },
    ],
    ['5xx', new RemoteUnavailableError('remote_unavailable', '503'), { retry: true, reason: 'remote_unavailable' }],
    ['timeout', new RemoteUnavailableError('timeout', 'timed out'), { retry: true, reason: 'timeout' }],
    ['connection reset (wrapped)', new RemoteUnavailableError('network', 'reset'), { retry: true, reason: 'network' }],
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
    [
      'missing transition',
      new SyncError('transition_missing', 'no path'),
      { retry: false, reason: 'transition_missing' },
    ],
    ['a programming error', new TypeError('x is undefined'), { retry: false, reason: 'internal' }],
    ['a thrown string', 'boom', { retry: false, reason: 'internal' }],
  ])('%s', (_name, err, expected) => {
    expect(classify(err)).toEqual(expected);
  });
});
