import { describe, expect, it } from 'vitest';
import type { Engine } from '../core/engine.js';
import { AuthError, NetworkError } from '../core/errors.js';
import type { Ledger } from '../core/ledger/types.js';
import type { ConnectionRuntime } from '../core/runtime.js';
import type { ConnectionStatus } from './schemas.js';
import { checkReady, judgeHealth } from './views.js';

type Side = ConnectionStatus['sides']['a'];
const side = (over: Partial<Side> = {}): Side => ({
  system: 's',
  label: 'Freshservice',
  lastPollAt: null,
  lastSuccessfulPollAt: null,
  lastPollError: null,
  cursor: null,
  lagMs: 10_000,
  queue: null,
  capabilities: {},
  openErrors: 0,
  webhooks: { acceptedLastHour: 0, lastAcceptedAt: null, rejected: [] },
  ...over,
});
const conn = (over: Partial<Omit<ConnectionStatus, 'health'>> = {}, a: Partial<Side> = {}, b: Partial<Side> = {}) => ({
  name: 'c',
  enabled: true,
  paused: null,
  links: 1,
  activeLinks: 1,
  openErrors: 0,
  openConflicts: 0,
  pendingIntents: 0,
  reconcile: { calls: { a: 1, b: 1 }, estimatedSeconds: 1 },
  sides: { a: side(a), b: side({ label: 'ConnectWise', ...b }) },
  ...over,
});

describe('judgeHealth', () => {
  const interval = 30_000;
  it.each([
    [
      'green when polled on time with nothing open',
      conn(),
      'green',
      'In sync: both sides are checked on time and nothing needs attention.',
    ],
    ['off when disabled', conn({ enabled: false }), 'off', 'Paused in the configuration; nothing is synced.'],
    [
      'off when paused by an operator, with the webhooks held',
      conn({
        paused: { by: 'operator', since: '2026-11-30T05:00:00.000Z', note: 'go-live', webhooksHeld: 3 },
        openErrors: 2,
      }),
      'off',
      'Paused by an operator since 2026-11-30T05:00:00.000Z (go-live); nothing is synced; 3 webhooks held. Resuming catches up from where it stopped.',
    ],
    ['amber with an open conflict', conn({ openConflicts: 1 }), 'amber', '1 conflict waits for a decision.'],
    ['amber with errors', conn({ openErrors: 3 }), 'amber', '3 errors need attention.'],
    ['amber when a side is behind', conn({}, { lagMs: 5 * 60_000 }), 'amber', 'Freshservice is 5 minutes behind.'],
    ['amber before the first poll', conn({}, {}, { lagMs: null }), 'amber', 'ConnectWise has not been checked yet.'],
    [
      'red when a side is far behind',
      conn({}, { lagMs: 20 * 60_000 }),
      'red',
      'Freshservice has not been checked for 20 minutes.',
    ],
    [
      'red when the last poll failed',
      conn({ openConflicts: 1 }, {}, { lastPollError: 'auth_failed: 401 from ConnectWise' }),
      'red',
      'The last check of ConnectWise failed (auth_failed); 1 conflict waits for a decision.',
    ],
  ])('is %s', (_name, c, level, summary) => {
    expect(judgeHealth(c, interval)).toEqual({ level, summary });
  });

  it('is amber when a system rate limits us', () => {
    const q = {
      depth: 0,
      waiting: 0,
      inFlight: 0,
      callsLastMinute: 90,
      rateLimitedLastMinute: 2,
      rateLimitWaitMs: 0,
      pausedUntil: null,
      pause: null,
      maxWaitSeconds: 300,
      budget: null,
      ratePerMinute: 90,
      queued: { change: 0, discovery: 0, background: 0 },
      drainSeconds: 0,
    };
    expect(judgeHealth(conn({}, { queue: q }), 30_000)).toEqual({
      level: 'amber',
      summary: 'Freshservice is rate limiting us.',
    });
  });
});

it('judgeHealth is amber while webhooks to a side are refused, saying why and that polling continues', () => {
  const webhooks = {
    acceptedLastHour: 0,
    lastAcceptedAt: null,
    rejected: [
      {
        reason: 'bad_signature',
        label: 'bad signature',
        lastHour: 14,
        total: 20,
        lastAt: '2024-01-01T00:00:00.000Z',
      },
    ],
  };
  expect(judgeHealth(conn({}, { label: 'Jira', webhooks }), 30_000)).toEqual({
    level: 'amber',
    summary: 'Jira webhooks rejected: bad signature, 14 in the last hour (changes still arrive by polling).',
  });
});

describe('checkReady', () => {
  function runtime(
    name: string,
    a: [string, () => Promise<void>],
    b: [string, () => Promise<void>],
  ): ConnectionRuntime {
    const s = ([system, ping]: [string, () => Promise<void>]) => ({ system, label: system, connector: { ping } });
    return { name, sides: { a: s(a), b: s(b) } } as unknown as ConnectionRuntime;
  }

  it('checks each system once however many connections share it, and names what is not ready', async () => {
    let cwPings = 0;
    const cw = async () => {
      cwPings++;
      throw new AuthError('401 from https://api.example/ with key secret-key');
    };
    const engine = {
      connections: new Map([
        ['fs-cw', runtime('fs-cw', ['fs', async () => undefined], ['cw', cw])],
        ['jsm-cw', runtime('jsm-cw', ['jsm', () => Promise.reject(new NetworkError('ECONNREFUSED'))], ['cw', cw])],
      ]),
    } as unknown as Engine;
    const ledger = { ping: async () => undefined } as unknown as Ledger;
    const ready = await checkReady({ engine, ledger });
    expect(cwPings).toBe(1);
    // The ledger answers, so the daemon is ready; the two failing systems are degraded.
    expect(ready).toEqual({
      ready: true,
      degraded: ['cw', 'jsm'],
      checks: [
        { name: 'ledger', kind: 'ledger', ready: true, code: null, reason: null },
        { name: 'fs', kind: 'system', ready: true, code: null, reason: null },
        {
          name: 'cw',
          kind: 'system',
          ready: false,
          code: 'auth_failed',
          reason: 'the system rejected the credentials (expired or revoked?)',
        },
        { name: 'jsm', kind: 'system', ready: false, code: 'network', reason: 'the system could not be reached' },
      ],
    });
    expect(JSON.stringify(ready)).not.toContain('secret-key');
  });

  it('reports a system that does not answer in time as a timeout', async () => {
    const engine = {
      connections: new Map([
        ['c', runtime('c', ['slow', () => new Promise<void>(() => undefined)], ['ok', async () => undefined])],
      ]),
    } as unknown as Engine;
    const ledger = { ping: () => Promise.reject(new Error('database is locked')) } as unknown as Ledger;
    const ready = await checkReady({ engine, ledger }, 20);
    expect(ready.checks.map((c) => [c.name, c.code])).toEqual([
      ['ledger', 'internal'],
      ['slow', 'timeout'],
      ['ok', null],
    ]);
  });
});
