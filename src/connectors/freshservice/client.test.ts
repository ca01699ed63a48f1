// Pure pieces of the client: error bodies, Link headers, the budget slowdown, the conversation budget, credits.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationBudget, creditsFor, describeFreshserviceError, nextLink } from './client.js';

describe('describeFreshserviceError', () => {
  it.each([
    [
      {
        description: 'Validation failed',
        errors: [{ field: 'shoe_size', message: 'Unexpected/invalid field in request', code: 'invalid_field' }],
      },
      {
        message: 'Validation failed: shoe_size: Unexpected/invalid field in request (invalid_field)',
        field: 'shoe_size',
      },
    ],
    [
      { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' },
      { message: 'You have to be logged in to perform this action.' },
    ],
    ['<html>bad gateway</html>', undefined],
  ])('reads %j', (body, expected) => {
    expect(describeFreshserviceError(400, body)).toEqual(expected);
  });
});

describe('nextLink', () => {
  it.each([
    [
      '<https://x.freshservice.com/api/v2/tickets?page=2>; rel="next"',
      'https://x.freshservice.com/api/v2/tickets?page=2',
    ],
    [
      '<https://x.freshservice.com/api/v2/tickets?filter=all_tickets&page=2>;rel="next"',
      'https://x.freshservice.com/api/v2/tickets?filter=all_tickets&page=2',
    ],
    ['<https://a/p1>; rel="prev", <https://a/p3>; rel="next"', 'https://a/p3'],
    [undefined, undefined],
    ['<https://a/p1>; rel="prev"', undefined],
  ])('reads %j', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});

describe('ConversationBudget', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets the budget through at once and holds the next call until a minute has passed', async () => {
    vi.useFakeTimers();
    const budget = new ConversationBudget(2, () => Date.now());
    await budget.take();
    await budget.take();
    let third = false;
    const pending = budget.take().then(() => {
      third = true;
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(third).toBe(false);
    await vi.advanceTimersByTimeAsync(1_100);
    await pending;
    expect(third).toBe(true);
  });

  it('never waits without a budget', async () => {
    const budget = new ConversationBudget(undefined, () => Date.now());
    for (let i = 0; i < 1000; i++) await budget.take();
  });
});

describe('credits', () => {
  it.each([
    ['GET', '/api/v2/tickets', undefined, 1],
    ['GET', '/api/v2/tickets', 'requester', 3],
    ['GET', '/api/v2/tickets', 'requester,stats', 5],
    ['GET', '/api/v2/tickets/7', 'requester', 2],
    ['GET', '/api/v2/tickets/7', 'conversations', 3],
    ['PUT', '/api/v2/tickets/7', undefined, 1],
    ['GET', '/api/v2/tickets/7/conversations', undefined, 1],
    ['GET', '/api/v2/agents/21000418001', undefined, 1],
  ])('%s %s include=%s costs %s credits (D§rate-limit)', (method, path, include, cost) => {
    expect(creditsFor(method, path, include)).toBe(cost);
  });
});
