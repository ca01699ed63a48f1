// Workflow Automator web requests: the shared-secret header check and the ticket id forms.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SyncError, type WebhookError } from '../../core/errors.js';
import {
  AUTOMATOR_BODY,
  parseAutomatorWebhook,
  ticketIdFrom,
  verifyAutomatorRequest,
  verifySharedSecret,
} from './webhook.js';

const request = (headers: Record<string, string | string[] | undefined>, body: unknown = { ticket_id: '12' }) => ({
  headers,
  rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

describe('verifyAutomatorRequest', () => {
  it('says why it refuses: no secret configured, no header, or a wrong secret', () => {
    const reason = (fn: () => boolean): string => {
      try {
        return fn() ? 'ok' : 'bad_signature';
      } catch (err) {
        return (err as WebhookError).reason ?? 'none';
      }
    };
    expect(reason(() => verifyAutomatorRequest(request({ 'x-ticketbridge-secret': 's' }), undefined))).toBe(
      'not_configured',
    );
    expect(reason(() => verifyAutomatorRequest(request({}), 's3cret'))).toBe('no_signature');
    expect(reason(() => verifyAutomatorRequest(request({ 'x-ticketbridge-secret': 'x' }), 's3cret'))).toBe(
      'bad_signature',
    );
    expect(reason(() => verifyAutomatorRequest(request({ 'x-ticketbridge-secret': 's3cret' }), 's3cret'))).toBe('ok');
  });
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
    ['9223372036854775807', '9223372036854775807'],
    [Number.MAX_SAFE_INTEGER, String(Number.MAX_SAFE_INTEGER)],
  ])('keeps every digit of a large id %j (ticket ids are int64)', (value, id) => {
    expect(ticketIdFrom(value)).toBe(id);
  });

  it.each([
    ['a 23-digit id', '99999999999999999999999'],
    ['one past int64', '9223372036854775808'],
    ['zero', '0'],
    ['a JSON number past 2^53 (its digits are already lost)', 2 ** 53 + 2],
    ['a JSON number that became 1e+23', 1e23],
  ])('refuses %s instead of rounding it', (_what, value) => {
    expect(ticketIdFrom(value)).toBeUndefined();
  });

  it('names the id it refuses: a 23-digit ticket_id never becomes 1e+23', () => {
    expect(() => parseAutomatorWebhook(request({}, { ticket_id: '99999999999999999999999' }))).toThrow(
      'Freshservice webhook ticket_id "99999999999999999999999" is not a Freshservice ticket id (a whole number from 1 to 9223372036854775807)',
    );
  });

  it.each([
    ['an ISO time', '2024-03-05T10:00:07Z', '2024-03-05T10:00:07Z'],
    ['an unrendered placeholder', '{{ticket.updated_at}}', undefined],
    ['text that is not a time', 'yesterday', undefined],
  ])('reads updated_at as the version the delivery reports: %s', (_what, value, version) => {
    expect(parseAutomatorWebhook(request({}, { ticket_id: '7', updated_at: value })).version).toBe(version);
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

describe('the readme automator body', () => {
  it('is the body the demo and the parser use, and carries the per-event updated_at', () => {
    const readme = readFileSync(new URL('./readme.md', import.meta.url), 'utf8');
    const block = /## Webhooks[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(JSON.parse(block ?? 'null')).toEqual(AUTOMATOR_BODY);
    expect(Object.values(AUTOMATOR_BODY)).toContain('{{ticket.updated_at}}');
  });
});
