// ConnectWise callback verification: the cheap checks that come before any parse or fetch, the
// documented key-URL shape on a trusted host, a credential-less key fetch with positive and
// negative caches and a rate limit, and the cloud default of trusting the UI host.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebhookError } from '../../core/errors.js';
import type { WebhookRequest } from '../../core/types.js';
import { testContext } from '../../../test/helpers/context.js';
import { nock, useHttpMock } from '../../../test/helpers/http-mock.js';
import { connectwiseConnector } from './index.js';
import { demoSystem } from './test-fixtures.js';
import {
  callbackSignature,
  defaultTrustedKeyHosts,
  findKeyUrl,
  parseCallback,
  trustedKeyHostWarnings,
} from './webhook.js';

const ORIGIN = 'https://cw.example.com';
const KEY_PATH = '/v4_6_release/system/callbackkey/index.rails';
const KEY_ID = '89966c04-9889-46ad-8d5e-421103aca922';
const OTHER_ID = '0f3c2d8e-1111-4a2b-9c3d-5e6f7a8b9c0d';

function keyUrl(origin = ORIGIN, id = KEY_ID, company = 'demo', path = KEY_PATH): string {
  return `${origin}${path}?companyName=${company}&id=${id}`;
}

function callback(url: string | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    MessageId: 'm1',
    Action: 'updated',
    Type: 'ticket',
    ID: 42,
    Entity: JSON.stringify({ id: 42 }),
    ...(url === undefined ? {} : { Metadata: { key_url: url } }),
    ...extra,
  });
}

function signed(key: string, raw: string): WebhookRequest {
  return { headers: { 'x-content-signature': callbackSignature(key, Buffer.from(raw)) }, rawBody: Buffer.from(raw) };
}

function connector(
  options: { baseUrl?: string; trustedKeyHosts?: string[]; now?: () => number } = {},
): ReturnType<typeof connectwiseConnector.create> {
  const system = demoSystem(options.baseUrl ?? ORIGIN, { codebase: 'v4_6_release/', companyIdentifier: 'Contoso' });
  if (options.trustedKeyHosts) system.webhook = { trustedKeyHosts: options.trustedKeyHosts };
  return connectwiseConnector.create(
    testContext(system, {
      scope: { boards: ['Co-Managed FS'] },
      ...(options.now ? { clock: { now: options.now } } : {}),
    }),
  );
}

/** `ok`, `bad_signature` (refused as not matching) or the reason a WebhookError gives. */
async function outcome(c: ReturnType<typeof connector>, request: WebhookRequest): Promise<string> {
  try {
    return (await c.verifyWebhook(request)) ? 'ok' : 'bad_signature';
  } catch (err) {
    if (err instanceof WebhookError) return err.reason ?? 'webhook_invalid';
    throw err;
  }
}

describe('ConnectWise callback verification', () => {
  useHttpMock();
  afterEach(() => vi.restoreAllMocks());

  it('fetches the signing key without API credentials and caches it', async () => {
    nock(ORIGIN, { badheaders: ['authorization', 'clientid'] })
      .get(KEY_PATH)
      .query({ companyName: 'demo', id: KEY_ID })
      .once()
      .reply(200, { signing_key: 'sekret' });
    const c = connector();
    const body = callback(keyUrl());
    expect(await outcome(c, signed('sekret', body))).toBe('ok');
    expect(await outcome(c, signed('sekret', body))).toBe('ok');
    expect(await outcome(c, { ...signed('sekret', body), rawBody: Buffer.from(`${body} `) })).toBe('bad_signature');
  });

  it('refuses a callback without x-content-signature, saying so', async () => {
    expect(await outcome(connector(), { headers: {}, rawBody: Buffer.from(callback(keyUrl())) })).toBe('no_signature');
  });

  it('refuses a signature that is not a base64 SHA-256 MAC without parsing the body', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const request = { headers: { 'x-content-signature': 'forged' }, rawBody: Buffer.from(callback(keyUrl())) };
    expect(await outcome(connector(), request)).toBe('bad_signature');
    expect(parse).not.toHaveBeenCalled();
  });

  it.each([
    ['an API path on the trusted host', keyUrl(ORIGIN, KEY_ID, 'demo', '/v4_6_release/apis/3.0/service/tickets')],
    ['a query that is not companyName and id', `${keyUrl()}&conditions=id>0`],
    ['a key id that is not a GUID', keyUrl(ORIGIN, '../../apis/3.0/service/tickets')],
    ['another company', keyUrl(ORIGIN, KEY_ID, 'someone-else')],
    ['an untrusted host', keyUrl('https://evil.example.net')],
    ['credentials in the URL', keyUrl('https://user:pw@cw.example.com')],
    ['plain HTTP when the base URL is HTTPS', keyUrl('http://cw.example.com')],
    ['a port the base URL does not use', keyUrl('https://cw.example.com:8443')],
  ])('refuses a key URL with %s without fetching it', async (_what, url) => {
    expect(await outcome(connector(), signed('attacker', callback(url)))).toBe('untrusted_key_url');
  });

  it('refuses a callback without a key URL', async () => {
    expect(await outcome(connector(), signed('attacker', callback(undefined)))).toBe('untrusted_key_url');
  });

  it('remembers a key URL that could not be fetched: the next callback naming it costs no request', async () => {
    nock(ORIGIN).get(KEY_PATH).query(true).once().reply(404, { code: 'NotFound', message: 'Signing key not found' });
    const c = connector();
    const body = callback(keyUrl());
    expect(await outcome(c, signed('attacker', body))).toBe('key_unavailable');
    expect(await outcome(c, signed('attacker', body))).toBe('key_unavailable');
  });

  it('shares one fetch among concurrent callbacks naming the same key URL', async () => {
    nock(ORIGIN).get(KEY_PATH).query(true).once().delay(20).reply(200, { signing_key: 'sekret' });
    const c = connector();
    const body = callback(keyUrl());
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(c, signed('sekret', body))));
    expect(new Set(results)).toEqual(new Set(['ok']));
  });

  it('never fetches a known key URL again because a signature did not match, even minutes later', async () => {
    let nowMs = 1_000_000;
    nock(ORIGIN).get(KEY_PATH).query(true).once().reply(200, { signing_key: 'sekret' });
    const c = connector({ now: () => nowMs });
    const body = callback(keyUrl());
    expect(await outcome(c, signed('sekret', body))).toBe('ok');
    for (let i = 0; i < 5; i++) {
      nowMs += 61_000;
      expect(await outcome(c, signed('forged', body))).toBe('bad_signature');
    }
  });

  it('while a key is known, unknown key ids are fetched at most once per rotation interval', async () => {
    let nowMs = 1_000_000;
    nock(ORIGIN)
      .get(KEY_PATH)
      .query({ companyName: 'demo', id: KEY_ID })
      .once()
      .reply(200, { signing_key: 'sekret' })
      .get(KEY_PATH)
      .query({ companyName: 'demo', id: OTHER_ID })
      .once()
      .reply(200, { signing_key: 'rotated' });
    const c = connector({ now: () => nowMs });
    expect(await outcome(c, signed('sekret', callback(keyUrl())))).toBe('ok');
    // Forged callbacks with made-up key ids, right after the genuine one: no fetch at all.
    for (let i = 0; i < 50; i++) {
      const id = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      expect(await outcome(c, signed('attacker', callback(keyUrl(ORIGIN, id))))).toBe('key_fetch_limited');
    }
    // A real rotation is picked up once the interval has passed.
    nowMs += 10 * 60_000 + 1;
    expect(await outcome(c, signed('rotated', callback(keyUrl(ORIGIN, OTHER_ID))))).toBe('ok');
  });

  it('with no key known yet, a burst of unknown key ids costs at most three fetches a minute', async () => {
    let nowMs = 1_000_000;
    const scope = nock(ORIGIN).get(KEY_PATH).query(true).times(3).reply(404, { code: 'NotFound' });
    const c = connector({ now: () => nowMs });
    const results: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      results.push(await outcome(c, signed('attacker', callback(keyUrl(ORIGIN, id)))));
    }
    expect(results.filter((r) => r === 'key_unavailable')).toHaveLength(3);
    expect(results.filter((r) => r === 'key_fetch_limited')).toHaveLength(97);
    expect(scope.isDone()).toBe(true);
    nowMs += 60_000;
    nock(ORIGIN).get(KEY_PATH).query(true).once().reply(404, { code: 'NotFound' });
    expect(await outcome(c, signed('attacker', callback(keyUrl(ORIGIN, OTHER_ID))))).toBe('key_unavailable');
  });

  it('does not follow a redirect from the key URL', async () => {
    nock(ORIGIN).get(KEY_PATH).query(true).once().reply(302, '', { location: 'https://evil.example.net/key' });
    expect(await outcome(connector(), signed('attacker', callback(keyUrl())))).toBe('key_unavailable');
  });

  it('trusts only the configured key hosts when webhook.trustedKeyHosts is set', async () => {
    const ui = 'https://na.myconnectwise.net';
    nock(ui).get(KEY_PATH).query(true).once().reply(200, { signing_key: 'k2' });
    const c = connector({ trustedKeyHosts: ['*.myconnectwise.net'] });
    expect(await outcome(c, signed('k2', callback(keyUrl(ui))))).toBe('ok');
    expect(await outcome(c, signed('other', callback(keyUrl())))).toBe('untrusted_key_url');
  });

  it('trusts the UI host of a cloud API host by default (api-na -> na.myconnectwise.net)', async () => {
    const ui = 'https://na.myconnectwise.net';
    nock(ui)
      .get('/v2025_1//system/callbackkey/index.rails')
      .query({ companyName: 'demo', id: KEY_ID })
      .reply(200, { signing_key: 'cloud' });
    const c = connector({ baseUrl: 'https://api-na.myconnectwise.net' });
    const body = callback(keyUrl(ui, KEY_ID, 'demo', '/v2025_1//system/callbackkey/index.rails'));
    expect(await outcome(c, signed('cloud', body))).toBe('ok');
  });
});

describe('defaultTrustedKeyHosts', () => {
  it.each([
    ['https://api-na.myconnectwise.net', ['api-na.myconnectwise.net:443', 'na.myconnectwise.net:443']],
    ['https://api-eu.myconnectwise.net/', ['api-eu.myconnectwise.net:443', 'eu.myconnectwise.net:443']],
    [
      'https://api-staging.connectwisedev.com',
      ['api-staging.connectwisedev.com:443', 'staging.connectwisedev.com:443'],
    ],
    ['https://cw.msp.example:8443', ['cw.msp.example:8443']],
    ['http://127.0.0.1:9102', ['127.0.0.1:9102']],
  ])('%s -> %j', (base, hosts) => {
    expect(defaultTrustedKeyHosts(base)).toEqual(hosts);
  });
});

describe('trustedKeyHostWarnings', () => {
  it.each([
    ['https://api-na.myconnectwise.net', undefined, 0],
    ['https://api-na.myconnectwise.net', ['na.myconnectwise.net'], 0],
    ['https://api-na.myconnectwise.net', ['*.myconnectwise.net'], 0],
    ['https://api-na.myconnectwise.net', ['na.myconnectwise.net:443'], 0],
    ['https://api-na.myconnectwise.net', ['api-na.myconnectwise.net'], 1],
    ['https://api-na.myconnectwise.net', ['na.myconnectwise.net:8443'], 1],
    ['https://cw.msp.example', ['cw.msp.example'], 0],
    ['https://cw.msp.example', ['https://cw.msp.example/'], 1],
  ])('%s trusting %j: %i warning(s)', (base, trusted, count) => {
    expect(trustedKeyHostWarnings(base, trusted)).toHaveLength(count);
  });
});

describe('findKeyUrl', () => {
  it('finds Metadata.key_url at the top level only, in linear time, whatever the nesting', () => {
    const url = keyUrl();
    expect(findKeyUrl(Buffer.from(callback(url)))).toBe(url);
    expect(findKeyUrl(Buffer.from(JSON.stringify({ Metadata: { key_url: 'a\\"b\u00e9' } })))).toBe('a\\"b\u00e9');
    // A key_url inside Entity (a string) or inside another object is not the delivery's.
    expect(findKeyUrl(Buffer.from(JSON.stringify({ Entity: JSON.stringify({ Metadata: { key_url: url } }) })))).toBe(
      undefined,
    );
    expect(findKeyUrl(Buffer.from(JSON.stringify({ Other: { Metadata: { key_url: url } } })))).toBe(undefined);
    const deep = `{"Entity":${'['.repeat(200_000)}${']'.repeat(200_000)},"Metadata":{"key_url":"${url}"}}`;
    expect(findKeyUrl(Buffer.from(deep))).toBe(url);
    expect(findKeyUrl(Buffer.from('{"Metadata": {"key_url": 12}}'))).toBe(undefined);
    expect(findKeyUrl(Buffer.from('not json'))).toBe(undefined);
    expect(findKeyUrl(Buffer.from('{"Metadata":{"key_url":"a"},"Metadata":{"key_url":"b"}}'))).toBe(undefined);
  });
});

describe('parseCallback ids', () => {
  it.each([
    ['a 23-digit ID', { ID: '99999999999999999999999' }],
    ['an ID beyond 32 bits', { ID: 2 ** 31 }],
    ['a negative ID', { ID: -4 }],
    ['an Entity id that is a float', { Entity: JSON.stringify({ id: 1.5 }) }],
  ])('refuses %s as not a ConnectWise ticket id', (_what, fields) => {
    const raw = JSON.stringify({ Type: 'ticket', ...fields });
    expect(() => parseCallback({ headers: {}, rawBody: Buffer.from(raw) })).toThrow(/not a ConnectWise ticket id/);
  });
});

describe('parseCallback version', () => {
  it("reports the Entity's _info.lastUpdated as the ticket's version, written as the connector writes it", () => {
    const entity = JSON.stringify({ id: 7, _info: { lastUpdated: '2026-11-30T08:00:01Z' } });
    const raw = JSON.stringify({ Type: 'ticket', ID: 7, Entity: entity, MessageId: 'm1' });
    expect(parseCallback({ headers: {}, rawBody: Buffer.from(raw) })).toEqual({
      ticketIds: ['7'],
      deliveryId: 'm1',
      version: '2026-11-30T08:00:01.000Z',
    });
  });

  it('reports no version when the Entity carries none or is not JSON', () => {
    for (const Entity of [JSON.stringify({ id: 7 }), '{not json', null]) {
      const raw = JSON.stringify({ Type: 'ticket', ID: 7, Entity });
      expect(parseCallback({ headers: {}, rawBody: Buffer.from(raw) })).toEqual({ ticketIds: ['7'] });
    }
  });
});
