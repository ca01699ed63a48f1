import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerFixture, TOKEN, type ServerFixture } from '../../test/helpers/server-fixture.js';
import { DeliveryCache, WEBHOOK_BODY_LIMIT } from './webhooks.js';

describe('POST /webhooks/:connection/:side', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    f = await createServerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const deliver = (body: string, headers: Record<string, string>, url = '/webhooks/test/a') =>
    f.server.app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  const metric = async (result: string): Promise<number> => {
    const text = await f.metrics.registry.metrics();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('ticketbridge_webhook_deliveries_total{') && l.includes(`result="${result}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('accepts a genuine delivery with 202 and runs the pass for its ticket', async () => {
    const id = f.harness.a.userCreate({ subject: 'New laptop for Dana', priority: 'Medium', status: 'New' });
    const body = JSON.stringify({ ticketId: id, deliveryId: 'd-1' });
    const res = await deliver(body, { 'x-memory-signature': f.sign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted', ticketIds: [id] });
    await f.harness.engine.onIdle();
    const links = await f.harness.ledger.listLinks({ ticketId: id, connection: 'test' });
    const link = links.items.find((l) => l.aId === id);
    expect(link).toBeDefined();
    expect(f.harness.b.mustGet(link!.bId).fields.summary).toBe('New laptop for Dana');
    expect(await metric('accepted')).toBe(1);
  });

  it('acknowledges and counts a delivery to a paused connection, runs no pass, and catches it up on resume', async () => {
    await f.harness.engine.pause('test', 'go-live');
    const id = f.harness.a.userCreate({ subject: 'Arrived while paused', priority: 'Low', status: 'New' });
    const body = JSON.stringify({ ticketId: id, deliveryId: 'd-paused' });
    const res = await deliver(body, { 'x-memory-signature': f.sign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'paused', ticketIds: [] });
    await f.harness.engine.onIdle();
    expect((await f.harness.ledger.listLinks({ ticketId: id })).items.some((l) => l.aId === id)).toBe(false);
    expect(await metric('paused')).toBe(1);
    const status = await f.server.app.inject({
      method: 'GET',
      url: '/status',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const answer: { connections: Array<{ name: string; paused: unknown }> } = status.json();
    const connection = answer.connections[0];
    expect(connection?.paused).toMatchObject({ by: 'operator', note: 'go-live', webhooksHeld: 1 });

    const resumed = await f.server.app.inject({
      method: 'POST',
      url: '/connections/test/resume',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(resumed.statusCode).toBe(200);
    await f.harness.pollBoth();
    expect((await f.harness.ledger.listLinks({ ticketId: id })).items.some((l) => l.aId === id)).toBe(true);
  });

  it('refuses a forged signature with 401 and enqueues nothing', async () => {
    const id = f.harness.a.userCreate({ subject: 'Forged', priority: 'Low', status: 'New' });
    const body = JSON.stringify({ ticketId: id });
    const res = await deliver(body, { 'x-memory-signature': f.sign(`${body} `) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'unauthorized', message: 'webhook refused: bad signature' });
    await f.harness.engine.onIdle();
    expect((await f.harness.ledger.listLinks({ ticketId: id })).items.some((l) => l.aId === id)).toBe(false);
    expect(await metric('forged')).toBe(1);
  });

  it('refuses a delivery without a signature with 401', async () => {
    const res = await deliver(JSON.stringify({ ticketId: '1' }), {});
    expect(res.statusCode).toBe(401);
  });

  it('verifies before parsing: a forged malformed body is 401, not 400', async () => {
    const res = await deliver('{not json', { 'x-memory-signature': 'f'.repeat(64) });
    expect(res.statusCode).toBe(401);
  });

  it('ignores a replayed delivery (same delivery id) and does not run the pass again', async () => {
    const body = JSON.stringify({ ticketId: f.aId, deliveryId: 'd-7' });
    const first = await deliver(body, { 'x-memory-signature': f.sign(body) });
    expect(first.statusCode).toBe(202);
    await f.harness.engine.onIdle();
    const reads = f.harness.a.counters.reads + f.harness.b.counters.reads;
    const replay = await deliver(body, { 'x-memory-signature': f.sign(body) });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ status: 'duplicate', ticketIds: [] });
    await f.harness.engine.onIdle();
    expect(f.harness.a.counters.reads + f.harness.b.counters.reads).toBe(reads);
    expect(await metric('duplicate')).toBe(1);
  });

  it('never drops a delivery without a delivery id: identical bodies are hints that coalesce', async () => {
    // Freshservice's automator body is the same for every update of a ticket; each is a new edit.
    const body = JSON.stringify({ ticketId: f.aId });
    await f.harness.engine.onIdle();
    const reads = f.harness.a.counters.reads;
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => deliver(body, { 'x-memory-signature': f.sign(body) })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array.from({ length: 30 }, () => 202));
    expect(answers.map((a) => a.json())).toEqual(
      Array.from({ length: 30 }, () => ({ status: 'accepted', ticketIds: [f.aId] })),
    );
    await f.harness.engine.onIdle();
    // Each hint ran a pass or was folded into one in flight (hint-coalescer.test.ts bounds that).
    expect(f.harness.a.counters.reads - reads).toBeGreaterThanOrEqual(1);
    expect(f.harness.a.counters.reads - reads).toBeLessThanOrEqual(30);
    expect(await metric('duplicate')).toBe(0);
  });

  it('an edit made after the pass read the ticket is mirrored by the hint that reports it', async () => {
    const body = JSON.stringify({ ticketId: f.aId });
    expect((await deliver(body, { 'x-memory-signature': f.sign(body) })).statusCode).toBe(202);
    await f.harness.engine.onIdle();
    f.harness.a.userEdit(f.aId, { subject: 'Printer on floor 3 jams again' });
    expect((await deliver(body, { 'x-memory-signature': f.sign(body) })).statusCode).toBe(202);
    await f.harness.engine.onIdle();
    expect(f.harness.b.mustGet(f.bId).fields.summary).toBe('Printer on floor 3 jams again');
  });

  it('answers a delivery reporting a version older than the one synced as stale, without a pass', async () => {
    await f.harness.engine.onIdle();
    const link = (await f.harness.ledger.getLink(f.linkId))!;
    const version = link.aVersion!.split('#')[0]!;
    const synced = Date.parse(version);
    const reads = f.harness.a.counters.reads;
    const old = JSON.stringify({ ticketId: f.aId, version: new Date(synced - 1000).toISOString() });
    const res = await deliver(old, { 'x-memory-signature': f.sign(old) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'stale', ticketIds: [] });
    await f.harness.engine.onIdle();
    expect(f.harness.a.counters.reads).toBe(reads);
    // The same version (two edits can share a second) and newer ones are read.
    for (const reported of [version, new Date(synced + 1000).toISOString()]) {
      const body = JSON.stringify({ ticketId: f.aId, version: reported });
      expect((await deliver(body, { 'x-memory-signature': f.sign(body) })).statusCode).toBe(202);
    }
  });

  it('counts refused deliveries per connection, side and reason, on /status and /metrics', async () => {
    const body = JSON.stringify({ ticketId: f.aId });
    for (let i = 0; i < 3; i++) await deliver(body, { 'x-memory-signature': f.sign(`${body} `) });
    await deliver(body, {});
    await deliver('{', { 'x-memory-signature': f.sign('{') }, '/webhooks/test/b');
    const status = await f.server.app.inject({
      method: 'GET',
      url: '/status',
      headers: { authorization: `Bearer ${f.token}` },
    });
    type Sides = Record<'a' | 'b', { webhooks: { rejected: unknown[]; acceptedLastHour: number } }>;
    const sides = status.json<{ connections: Array<{ name: string; sides: Sides }> }>().connections[0]!.sides;
    expect(sides.a.webhooks.rejected).toEqual([
      expect.objectContaining({ reason: 'bad_signature', label: 'bad signature', lastHour: 3, total: 3 }),
      expect.objectContaining({ reason: 'no_signature', label: 'no signature', lastHour: 1, total: 1 }),
    ]);
    expect(sides.b.webhooks.rejected).toEqual([
      expect.objectContaining({ reason: 'invalid_body', lastHour: 1, total: 1 }),
    ]);
    const text = await f.metrics.registry.metrics();
    expect(text).toContain('ticketbridge_webhooks_rejected_total{connection="test",side="a",reason="bad_signature"} 3');
    expect(text).toContain('ticketbridge_webhooks_rejected_total{connection="test",side="a",reason="no_signature"} 1');
    expect(text).toContain('ticketbridge_webhooks_rejected_total{connection="test",side="b",reason="invalid_body"} 1');
  });

  it('refuses a body over 1 MB with 413', async () => {
    const body = JSON.stringify({ ticketId: '1', padding: 'x'.repeat(WEBHOOK_BODY_LIMIT) });
    const res = await deliver(body, { 'x-memory-signature': f.sign(body) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
    expect(await metric('too_large')).toBe(1);
  });

  it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])(
    'refuses content type %s with 415',
    async (type) => {
      const body = JSON.stringify({ ticketId: '1' });
      const res = await deliver(body, { 'content-type': type, 'x-memory-signature': f.sign(body) });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({
        error: 'unsupported_media_type',
        message: 'content-type must be application/json or application/x-www-form-urlencoded',
      });
    },
  );

  it('refuses a body without a content type with 415', async () => {
    const res = await f.server.app.inject({
      method: 'POST',
      url: '/webhooks/test/a',
      payload: Buffer.from('{"ticketId":"1"}'),
    });
    expect(res.statusCode).toBe(415);
  });

  it('accepts a form-encoded body and hands the raw bytes to the connector', async () => {
    // The memory connector parses JSON only, so a verified form body is a 400 from parseWebhook.
    const body = 'ticketId=1';
    const res = await deliver(body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-memory-signature': f.sign(body),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^webhook body: /);
  });

  it('answers 400 naming the problem for a verified but malformed body', async () => {
    const broken = '{"ticketId": ';
    const res = await deliver(broken, { 'x-memory-signature': f.sign(broken) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^webhook body: .*JSON/);
    const missing = JSON.stringify({ nothing: true });
    const res2 = await deliver(missing, { 'x-memory-signature': f.sign(missing) });
    expect(res2.statusCode).toBe(400);
    expect(res2.json().message).toBe('webhook body: ticketId: missing');
    expect(await metric('invalid')).toBe(2);
  });

  it.each(['/webhooks/nope/a', '/webhooks/test/c'])('answers 404 for an unknown target %s', async (url) => {
    const body = JSON.stringify({ ticketId: '1' });
    const res = await deliver(body, { 'x-memory-signature': f.sign(body) }, url);
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it('verifies with the side named in the URL', async () => {
    // Both memory systems share the secret here, so a b delivery for a's ticket id hints side b.
    const body = JSON.stringify({ ticketId: f.bId, deliveryId: 'b-1' });
    const res = await deliver(body, { 'x-memory-signature': f.sign(body) }, '/webhooks/test/b');
    expect(res.statusCode).toBe(202);
    await f.harness.engine.onIdle();
    expect(await metric('accepted')).toBe(1);
  });
});

describe('DeliveryCache', () => {
  it('remembers a key until its time to live passes', () => {
    let now = 0;
    const cache = new DeliveryCache(1000, 10, () => now);
    expect(cache.seen('k')).toBe(false);
    expect(cache.seen('k')).toBe(true);
    now = 999;
    expect(cache.seen('k')).toBe(true);
    now = 1000;
    expect(cache.seen('k')).toBe(false);
  });

  it('holds at most its bound, dropping the oldest first', () => {
    const cache = new DeliveryCache(60_000, 3, () => 0);
    for (const k of ['a', 'b', 'c', 'd']) cache.seen(k);
    expect(cache.size).toBe(3);
    expect(cache.seen('a')).toBe(false);
    expect(cache.seen('d')).toBe(true);
  });
});
