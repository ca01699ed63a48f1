// Jira admin webhooks: why a delivery is refused, and issue ids checked as Jira's id type.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookError } from '../../core/errors.js';
import { parseJiraWebhook, verifyJiraDelivery } from './webhook.js';

const body = (issue: unknown): Buffer =>
  Buffer.from(JSON.stringify({ webhookEvent: 'jira:issue_updated', issue, user: { accountId: 'someone' } }));
const sign = (secret: string, raw: Buffer): string =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

function reason(fn: () => boolean): string {
  try {
    return fn() ? 'ok' : 'bad_signature';
  } catch (err) {
    return (err as WebhookError).reason ?? 'none';
  }
}

describe('verifyJiraDelivery', () => {
  const raw = body({ id: '10001' });
  it.each([
    ['no secret configured', { 'x-hub-signature': sign('s', raw) }, undefined, 'not_configured'],
    ['no X-Hub-Signature (Jira ignoring the registration secret)', {}, 's3cret', 'no_signature'],
    ['a wrong secret', { 'x-hub-signature': sign('other', raw) }, 's3cret', 'bad_signature'],
    ['the right secret', { 'x-hub-signature': sign('s3cret', raw) }, 's3cret', 'ok'],
  ])('with %s: %s', (_what, headers, secret, expected) => {
    expect(reason(() => verifyJiraDelivery({ headers, rawBody: raw }, secret))).toBe(expected);
  });
});

describe('parseJiraWebhook issue ids', () => {
  it.each([
    ['a numeric string', '10001', '10001'],
    ['a number', 10001, '10001'],
  ])('reads %s', (_what, id, expected) => {
    expect(parseJiraWebhook({ headers: {}, rawBody: body({ id }) }, undefined, 'Jira').ticketIds).toEqual([expected]);
  });

  it.each([
    ['a 23-digit id', '99999999999999999999999'],
    ['a number past 2^53', 2 ** 53 + 2],
    ['text', 'IT-12'],
    ['zero', '0'],
  ])('refuses %s as not a Jira issue id', (_what, id) => {
    expect(() => parseJiraWebhook({ headers: {}, rawBody: body({ id }) }, undefined, 'Jira')).toThrow(
      /is not a Jira issue id/,
    );
  });
});

describe('parseJiraWebhook version', () => {
  it("reports the issue's fields.updated as its version, to the millisecond", () => {
    const raw = body({ id: '10001', fields: { updated: '2026-11-30T08:00:01.234+0000' } });
    expect(parseJiraWebhook({ headers: {}, rawBody: raw }, undefined, 'Jira')).toEqual({
      ticketIds: ['10001'],
      version: '2026-11-30T08:00:01.234Z',
    });
  });

  it('reports no version when the issue carries no updated time', () => {
    expect(parseJiraWebhook({ headers: {}, rawBody: body({ id: '10001' }) }, undefined, 'Jira')).toEqual({
      ticketIds: ['10001'],
    });
  });
});
