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

describe('parseJiraWebhook: what moved', () => {
  const issue = { id: '10001', fields: { updated: '2026-11-30T08:00:01.234+0000' } };
  const changelog = { id: '5', items: [{ field: 'priority', fieldId: 'priority', from: '3', to: '2' }] };
  const comment = { id: '77', author: { accountId: 'someone' } };
  const user = { accountId: 'someone' };
  const parse = (payload: Record<string, unknown>) =>
    parseJiraWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ user, ...payload })) }, 'daemon', 'Jira');

  it.each([
    [
      'a field edit (jira:issue_updated, issue_updated, a changelog, no comment)',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue, changelog },
      'fields',
    ],
    [
      'a transition (issue_generic with a status changelog)',
      {
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_generic',
        issue,
        changelog: { id: '6', items: [{ field: 'status', fieldId: 'status', from: '1', to: '3' }] },
      },
      'fields',
    ],
    [
      'an edit of a field no connection maps (still fields only)',
      {
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_updated',
        issue,
        changelog: { id: '7', items: [{ field: 'labels', fieldId: 'labels', from: '', to: 'x' }] },
      },
      'fields',
    ],
    ['comment_created', { webhookEvent: 'comment_created', issue: { id: '10001' }, comment }, 'comments'],
    ['comment_updated', { webhookEvent: 'comment_updated', issue: { id: '10001' }, comment }, 'comments'],
    ['comment_deleted', { webhookEvent: 'comment_deleted', issue: { id: '10001' }, comment }, 'comments'],
    [
      'the jira:issue_updated a comment raises (issue_commented, with the comment)',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_commented', issue, comment },
      'comments',
    ],
    [
      'issue_commented without the comment object',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_commented', issue },
      'comments',
    ],
    [
      'issue_comment_deleted with a changelog',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_comment_deleted', issue, changelog },
      'comments',
    ],
    [
      'a transition made with a comment (changelog and comment)',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_generic', issue, changelog, comment },
      'comments',
    ],
  ])('%s: %s', (_what, payload, moved) => {
    expect(parse(payload).moved).toBe(moved);
  });

  it.each([
    ['an issue created', { webhookEvent: 'jira:issue_created', issue_event_type_name: 'issue_created', issue }],
    [
      'an update without a changelog',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue },
    ],
    [
      'an update with an empty changelog',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue, changelog: { items: [] } },
    ],
    ['an update without an event type name', { webhookEvent: 'jira:issue_updated', issue, changelog }],
    [
      'a changelog item on the comment field',
      {
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_updated',
        issue,
        changelog: { id: '8', items: [{ field: 'Comment', from: null, to: '77' }] },
      },
    ],
  ])('%s: anything may have moved', (_what, payload) => {
    const hint = parse(payload);
    expect(hint.ticketIds).toEqual(['10001']);
    expect(hint).not.toHaveProperty('moved');
  });

  it("says nothing moved on the daemon's own field edit (no pass at all)", () => {
    const own = { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue, changelog };
    expect(
      parseJiraWebhook(
        { headers: {}, rawBody: Buffer.from(JSON.stringify({ ...own, user: { accountId: 'daemon' } })) },
        'daemon',
        'Jira',
      ),
    ).toEqual({ ticketIds: [] });
  });
});

describe('parseJiraWebhook: the comment a delivery announces', () => {
  const issue = { id: '10001', fields: { updated: '2026-11-30T08:00:01.234+0000' } };
  const comment = { id: '77', author: { accountId: 'someone' } };
  const user = { accountId: 'someone' };
  const parse = (payload: Record<string, unknown>) =>
    parseJiraWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ user, ...payload })) }, 'daemon', 'Jira');

  it.each([
    ['comment_created', { webhookEvent: 'comment_created', issue, comment }, '77'],
    [
      'the issue_commented update a new comment raises',
      { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_commented', issue, comment },
      '77',
    ],
    [
      'a transition made with a comment (fields moved too)',
      {
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_commented',
        issue,
        comment,
        changelog: { id: '6', items: [{ field: 'status', fieldId: 'status', from: '1', to: '3' }] },
      },
      undefined,
    ],
    ['an edited comment (comment_updated)', { webhookEvent: 'comment_updated', issue, comment }, undefined],
    ['a field edit', { webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue }, undefined],
  ])('%s', (_what, payload, commentId) => {
    expect(parse(payload).commentId).toBe(commentId);
  });
});
