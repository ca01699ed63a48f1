// Workflow Automator web requests: the shared-secret header check and the ticket id forms.
import { describe, expect, it } from 'vitest';
import { SyncError } from '../../core/errors.js';
import { parseAutomatorWebhook, ticketIdFrom, verifySharedSecret } from './webhook.js';

const request = (headers: Record<string, string | string[] | undefined>, body: unknown = { ticket_id: '12' }) => ({
  headers,
  rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

describe('verifySharedSecret', () => {
  it.each([
    ['the right secret in the default header', { 'x-ticketbridge-secret': 's3cret' }, 's3cret', undefined, true],
    ['the header name in any case', { 'X-TICKETBRIDGE-SECRET': 's3cret' }, 's3cret', undefined, true],
    ['a configured header', { 'x-webhook-secret': 's3cret' }, 's3cret', 'X-Webhook-Secret', true],
    ['the first of repeated headers', { 'x-ticketbridge-secret': ['s3cret', 'other'] }, 's3cret', undefined, true],
    ['a wrong secret', { 'x-ticketbridge-secret': 's3creT' }, 's3cret', undefined, false],
    ['a longer secret', { 'x-ticketbridge-secret': 's3cret-and-more' }, 's3cret', undefined, false],
    ['an empty header', { 'x-ticketbridge-secret': '' }, 's3cret', undefined, false],
    ['no header', {}, 's3cret', undefined, false],
    ['the secret in another header', { 'x-other': 's3cret' }, 's3cret', undefined, false],
    ['no configured secret', { 'x-ticketbridge-secret': 's3cret' }, undefined, undefined, false],
  ])('with %s answers %s', (_name, headers, secret, header, expected) => {
    expect(verifySharedSecret(request(headers), secret, header)).toBe(expected);
  });
});

describe('ticket ids in the template', () => {
  it.each([
    [12, '12'],
    ['12', '12'],
    [' 12 ', '12'],
    ['#INC-12', '12'],
    ['#SR-12', '12'],
    ['INC-0012', '12'],
    ['#12', '12'],
  ])('reads %j as ticket %s', (value, id) => {
    expect(ticketIdFrom(value)).toBe(id);
  });

  it.each([[''], ['{{ticket.id_numeric}}'], ['12a'], [-3], [1.5], [null], [['12']]])('refuses %j', (value) => {
    expect(ticketIdFrom(value)).toBeUndefined();
  });

  it.each([
    [{ ticket_id: '#SR-7', event: 'ticket_updated' }, ['7']],
    [{ ticket_id: 7 }, ['7']],
    [{ ticket: { id_numeric: '8' } }, ['8']],
    [{ id: '#INC-9' }, ['9']],
  ])('parses %j', (body, ids) => {
    expect(parseAutomatorWebhook(request({}, body)).ticketIds).toEqual(ids);
  });

  it.each([
    ['not JSON', 'ticket_id=12'],
    ['no id', { event: 'x' }],
    ['an unrendered placeholder', { ticket_id: '{{ticket.id}}' }],
    ['an array body', [1]],
  ])('throws webhook_invalid for %s', (_name, body) => {
    expect(() => parseAutomatorWebhook(request({}, body))).toThrow(SyncError);
    try {
      parseAutomatorWebhook(request({}, body));
    } catch (err) {
      expect((err as SyncError).code).toBe('webhook_invalid');
    }
  });
});
