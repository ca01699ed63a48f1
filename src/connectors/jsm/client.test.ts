// The pure readings of Jira's rate-limit headers (research note jira.md §3).
import { describe, expect, it } from 'vitest';
import { jiraNearLimitPauseMs, jiraRateLimitScope, jiraResetWaitMs, NEAR_LIMIT_MAX_PAUSE_MS } from './client.js';

const NOW = Date.parse('2026-03-05T10:15:30Z');

describe('Jira rate-limit headers', () => {
  it.each([
    ['2026-03-05T10:16Z', 30_000],
    ['2026-03-05T10:15:30.500Z', 500],
    ['2026-03-05T10:14Z', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads X-RateLimit-Reset %s as a wait of %s ms', (reset, expected) => {
    expect(jiraResetWaitMs(reset === undefined ? {} : { 'x-ratelimit-reset': reset }, NOW)).toBe(expected);
  });

  it.each([
    [{}, 0],
    [{ 'x-ratelimit-nearlimit': 'false', 'x-ratelimit-remaining': '1' }, 0],
    [
      { 'x-ratelimit-nearlimit': 'true', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '2026-03-05T10:15:32Z' },
      500,
    ],
    [
      { 'x-ratelimit-nearlimit': 'true', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2026-03-05T10:16Z' },
      NEAR_LIMIT_MAX_PAUSE_MS,
    ],
    [{ 'x-ratelimit-nearlimit': 'true' }, NEAR_LIMIT_MAX_PAUSE_MS],
  ])('pauses %j for %s ms', (headers, expected) => {
    expect(jiraNearLimitPauseMs(headers as Record<string, string>, NOW)).toBe(expected);
  });

  it.each([
    ['jira-per-issue-on-write', 'request'],
    ['jira-burst-based', 'system'],
    ['jira-quota-tenant-based', 'system'],
    [undefined, 'system'],
  ])('waits out a 429 for %s at %s scope', (reason, scope) => {
    expect(jiraRateLimitScope(reason === undefined ? {} : { 'ratelimit-reason': reason })).toBe(scope);
  });
});
