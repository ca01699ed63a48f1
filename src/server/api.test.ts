import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, NetworkError } from '../core/errors.js';
import { createServerFixture, TOKEN, type ServerFixture } from '../../test/helpers/server-fixture.js';
import { createMetrics, createServer } from './index.js';
import { pairMarkers } from '../core/marker.js';
import { CONNECTION } from '../../test/helpers/engine-harness.js';
import { PairAnswer } from './pair-route.js';
import {
  Conflict,
  ConflictsPage,
  ErrorRecord,
  ErrorsPage,
  EventsPage,
  Health,
  LinkDetail,
  LinksPage,
  Ready,
  ResyncResult,
  Status,
} from './schemas.js';

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('server routes', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    f = await createServerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const get = (url: string, headers: Record<string, string> = bearer) =>
    f.server.app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload?: object, headers: Record<string, string> = bearer) =>
    f.server.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

  describe('auth', () => {
    const protectedRoutes: Array<[string, string]> = [
      ['GET', '/status'],
      ['GET', '/ledger/links'],
      ['GET', '/ledger/links/1'],
      ['GET', '/events'],
      ['GET', '/conflicts'],
      ['POST', '/conflicts/1/resolve'],
      ['POST', '/links/1/resync'],
      ['GET', '/errors'],
      ['POST', '/errors/1/retry'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
      ['GET', '/'],
      ['GET', '/no-such-route'],
    ];

    it.each(protectedRoutes)('refuses %s %s without a token', async (method, url) => {
      const res = await f.server.app.inject({ method: method as 'GET' | 'POST', url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="ticketbridge"');
      expect(res.json()).toEqual({
        error: 'unauthorized',
        message: expect.stringContaining('bearer token is required'),
      });
    });

    it.each(protectedRoutes)('refuses %s %s with a wrong token', async (method, url) => {
      const res = await f.server.app.inject({
        method: method as 'GET' | 'POST',
        url,
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toBe('the bearer token is not valid');
    });

    it('does not open a protected route through a public prefix', async () => {
      expect((await get('/webhooks/../status', {})).statusCode).toBe(401);
      expect((await get('/healthz/../status', {})).statusCode).toBe(401);
    });

    it('refuses a token that differs only in length', async () => {
      const res = await get('/status', { authorization: `Bearer ${TOKEN}x` });
      expect(res.statusCode).toBe(401);
    });

    it('leaves health, readiness and webhooks open', async () => {
      expect((await get('/healthz', {})).statusCode).toBe(200);
      expect((await get('/readyz', {})).statusCode).toBe(200);
      // The webhook answers by signature (401 here), not with the bearer challenge.
      const hook = await f.server.app.inject({ method: 'POST', url: '/webhooks/test/a', payload: { ticketId: '1' } });
      expect(hook.statusCode).toBe(401);
      expect(hook.headers['www-authenticate']).toBeUndefined();
    });

    it('sends a browser without a session to the login form', async () => {
      const res = await get('/', { accept: 'text/html' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/login');
      const form = await get('/login', {});
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('name="token"');
    });

    it('sets an HttpOnly SameSite=Strict session cookie on a right token and accepts it afterwards', async () => {
      const res = await f.server.app.inject({
        method: 'POST',
        url: '/login',
        payload: `token=${TOKEN}&next=%2F%3Fticket%3D1`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/?ticket=1');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^tb_session=[\w-]{43}; Max-Age=43200; HttpOnly; SameSite=Strict; Path=\//);
      expect(cookie).not.toContain(TOKEN);
      const session = cookie.split(';')[0]!;
      expect((await get('/status', { cookie: session })).statusCode).toBe(200);
      expect((await get('/status', { cookie: 'tb_session=forged' })).statusCode).toBe(401);
    });

    it('answers a wrong token on the login form with the form again and no cookie', async () => {
      const res = await f.server.app.inject({
        method: 'POST',
        url: '/login',
        payload: 'token=wrong',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.body).toContain('That token is not right');
    });

    it('never redirects the login form off the site', async () => {
      const res = await f.server.app.inject({
        method: 'POST',
        url: '/login',
        payload: `token=${TOKEN}&next=//evil.example/`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      });
      expect(res.headers.location).toBe('/');
    });

    it('refuses a cookie-authenticated form post from another origin', async () => {
      const login = await f.server.app.inject({
        method: 'POST',
        url: '/login',
        payload: `token=${TOKEN}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      });
      const session = String(login.headers['set-cookie']).split(';')[0]!;
      const res = await f.server.app.inject({
        method: 'POST',
        url: `/conflicts/${f.conflictId}/resolve`,
        payload: 'take=a',
        headers: {
          cookie: session,
          origin: 'https://evil.example',
          host: 'localhost:80',
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      expect(res.statusCode).toBe(403);
      expect((await f.harness.ledger.getConflict(f.conflictId))!.state).toBe('open');
    });

    it('clears the session on sign-out', async () => {
      const res = await post('/logout', undefined, {});
      expect(res.statusCode).toBe(303);
      expect(String(res.headers['set-cookie'])).toContain('Max-Age=0');
    });
  });

  describe('health and readiness', () => {
    it('reports the process alive with version and uptime', async () => {
      const res = await get('/healthz', {});
      expect(res.statusCode).toBe(200);
      expect(Health.parse(res.json())).toEqual({
        status: 'ok',
        version: '0.1.0-test',
        uptimeSeconds: expect.any(Number),
      });
      expect(res.json().uptimeSeconds).toBeGreaterThanOrEqual(3600);
    });

    it('is ready when the ledger answers, and with ?verbose lists every system', async () => {
      const res = await get('/readyz', {});
      expect(res.statusCode).toBe(200);
      expect(Ready.parse(res.json())).toEqual({
        ready: true,
        checks: [{ name: 'ledger', kind: 'ledger', ready: true, code: null, reason: null }],
      });
      const verbose = Ready.parse((await get('/readyz?verbose', {})).json());
      expect(verbose.checks.map((c) => [c.name, c.ready])).toEqual([
        ['ledger', true],
        ['alpha', true],
        ['beta', true],
      ]);
      expect(verbose.degraded).toEqual([]);
    });

    it('stays ready while a system rejects its credentials, and names it as degraded without the remote message', async () => {
      f.harness.b.failWith = new AuthError('token abc123 expired for user secret@example.com');
      const res = await get('/readyz', {});
      expect(res.statusCode).toBe(200);
      expect(Ready.parse(res.json()).ready).toBe(true);

      const verbose = await get('/readyz?verbose=1', {});
      expect(verbose.statusCode).toBe(200);
      const body = Ready.parse(verbose.json());
      expect(body.degraded).toEqual(['beta']);
      expect(body.checks.find((c) => c.name === 'beta')).toEqual({
        name: 'beta',
        kind: 'system',
        ready: false,
        code: 'auth_failed',
        reason: 'the system rejected the credentials (expired or revoked?)',
      });
      expect(verbose.body).not.toContain('abc123');
      expect(verbose.body).not.toContain('secret@example.com');

      const status = Status.parse((await get('/status')).json());
      expect(status.degraded).toEqual(['beta']);
      expect(status.systems.find((c) => c.name === 'beta')?.code).toBe('auth_failed');
    });

    it('answers 503 when the ledger does not answer', async () => {
      const ping = f.harness.ledger.ping.bind(f.harness.ledger);
      f.harness.ledger.ping = () => Promise.reject(new Error('database is locked'));
      try {
        const res = await get('/readyz', {});
        expect(res.statusCode).toBe(503);
        expect(Ready.parse(res.json())).toEqual({
          ready: false,
          checks: [
            {
              name: 'ledger',
              kind: 'ledger',
              ready: false,
              code: 'internal',
              reason: 'an unexpected error; the daemon log has the details',
            },
          ],
        });
      } finally {
        f.harness.ledger.ping = ping;
      }
    });
  });

  describe('GET /status', () => {
    it('reports each side with its poll, cursor, lag and open errors, and the connection with its health', async () => {
      const res = await get('/status');
      expect(res.statusCode).toBe(200);
      const body = Status.parse(res.json());
      expect(body.version).toBe('0.1.0-test');
      expect(body.uptimeSeconds).toBeGreaterThanOrEqual(3600);
      const c = body.connections[0]!;
      expect(c).toMatchObject({
        name: 'test',
        enabled: true,
        links: 1,
        activeLinks: 1,
        openErrors: 1,
        openConflicts: 1,
      });
      expect(c.health.level).toBe('amber');
      expect(c.health.summary).toBe('1 error needs attention; 1 conflict waits for a decision.');
      expect(c.sides.a).toMatchObject({ system: 'alpha', label: 'Alpha', lastPollError: null, openErrors: 1 });
      expect(c.sides.b.openErrors).toBe(0);
      expect(c.sides.a.lastSuccessfulPollAt).not.toBeNull();
      expect(c.sides.a.cursor).not.toBeNull();
      expect(c.sides.a.lagMs).toBeGreaterThanOrEqual(0);
    });
  });

  describe('GET /ledger/links', () => {
    it('pages links newest first with the total', async () => {
      // Fix the error's cause so the second ticket links too: two links.
      f.harness.b.options.allowedValues!.status!.push('Escalated');
      await f.harness.engine.retryError(f.errorId);
      const first = LinksPage.parse((await get('/ledger/links?limit=1')).json());
      expect(first.total).toBe(2);
      expect(first.items).toHaveLength(1);
      const second = LinksPage.parse((await get('/ledger/links?limit=1&offset=1')).json());
      expect(second).toMatchObject({ total: 2, offset: 1, limit: 1 });
      expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    });

    it("filters by either side's ticket id, connection and state", async () => {
      const byA = LinksPage.parse((await get(`/ledger/links?ticket=${f.aId}`)).json());
      expect(byA.items.map((l) => l.id)).toEqual([f.linkId]);
      const byB = LinksPage.parse((await get(`/ledger/links?ticket=${f.bId}`)).json());
      expect(byB.items.map((l) => l.id)).toContain(f.linkId);
      expect(LinksPage.parse((await get('/ledger/links?connection=other')).json()).total).toBe(0);
      expect(LinksPage.parse((await get('/ledger/links?state=active')).json()).total).toBe(1);
      expect(LinksPage.parse((await get('/ledger/links?state=closed')).json()).total).toBe(0);
    });

    it.each([
      ['/ledger/links?limit=0', 'query parameter limit: Too small: expected number to be >=1'],
      ['/ledger/links?limit=501', 'query parameter limit: Too big: expected number to be <=500'],
      ['/ledger/links?offset=-1', 'query parameter offset: Too small: expected number to be >=0'],
      ['/ledger/links?limit=ten', 'query parameter limit: expected a whole number'],
      [
        '/ledger/links?state=gone',
        'query parameter state: Invalid option: expected one of "active"|"unlinked"|"flagged"|"closed"|"archived"',
      ],
      ['/ledger/links?tickets=1', 'unknown query parameter "tickets"'],
    ])('answers 400 naming the parameter for %s', async (url, message) => {
      const res = await get(url);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'invalid_request', message });
    });
  });

  describe('GET /ledger/links/:id', () => {
    it('shows both tickets, baselines, the conflict and the full history', async () => {
      const res = await get(`/ledger/links/${f.linkId}`);
      expect(res.statusCode).toBe(200);
      const body = LinkDetail.parse(res.json());
      expect(body.tickets.a).toMatchObject({ side: 'a', system: 'alpha', label: 'Alpha', id: f.aId, readError: null });
      expect(body.tickets.b).toMatchObject({ side: 'b', system: 'beta', id: f.bId });
      expect(body.baselines).toContainEqual({ field: 'priority', a: 'Medium', b: 'Medium' });
      expect(body.conflicts.map((c) => c.id)).toEqual([f.conflictId]);
      expect(body.events.map((e) => e.kind)).toEqual(['conflict_opened', 'link_created']);
    });

    it('answers 404 for an unknown link', async () => {
      const res = await get('/ledger/links/9999');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: 'no link 9999' });
    });
  });

  describe('GET /events', () => {
    it('pages events and filters them by connection, link and kind', async () => {
      const all = EventsPage.parse((await get('/events')).json());
      expect(all.total).toBe(2);
      const page = EventsPage.parse((await get('/events?limit=1&offset=1')).json());
      expect(page.items.map((e) => e.kind)).toEqual(['link_created']);
      const byKind = EventsPage.parse((await get('/events?kind=conflict_opened')).json());
      expect(byKind.items.map((e) => e.field)).toEqual(['priority']);
      expect(EventsPage.parse((await get(`/events?link=${f.linkId}`)).json()).total).toBe(2);
      expect(EventsPage.parse((await get('/events?connection=nope')).json()).total).toBe(0);
    });

    it('filters events by period: from a day or instant, to the end of a day or before an instant', async () => {
      const at = (iso: string) => ({
        at: iso,
        connection: 'main',
        linkId: null,
        side: null,
        field: null,
        kind: 'resync' as const,
        oldValue: null,
        newValue: null,
        reason: iso,
      });
      await f.harness.ledger.appendEvents([
        at('2026-10-31T23:59:59.999Z'),
        at('2026-11-01T00:00:00.000Z'),
        at('2026-11-30T23:59:59.000Z'),
        at('2026-12-01T00:00:00.000Z'),
      ]);
      const reasons = async (query: string) =>
        EventsPage.parse((await get(`/events?kind=resync&${query}`)).json()).items.map((e) => e.reason);
      expect(await reasons('from=2026-11-01&to=2026-11-30')).toEqual([
        '2026-11-30T23:59:59.000Z',
        '2026-11-01T00:00:00.000Z',
      ]);
      expect(await reasons('to=2026-11-01T00:00:00Z')).toEqual(['2026-10-31T23:59:59.999Z']);
      expect(await reasons('from=2026-12-01')).toEqual(['2026-12-01T00:00:00.000Z']);
    });

    it('answers 400 naming the parameter for a period it cannot read', async () => {
      const res = await get('/events?from=last-week');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'invalid_request',
        message: 'query parameter from: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "last-week"',
      });
    });

    it('answers 400 for an unknown kind', async () => {
      const res = await get('/events?kind=exploded');
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^query parameter kind: /);
    });
  });

  describe('conflicts', () => {
    it('lists open conflicts with both values, and none when filtered away', async () => {
      const open = ConflictsPage.parse((await get('/conflicts')).json());
      expect(open.items).toEqual([
        expect.objectContaining({ id: f.conflictId, field: 'priority', aValue: 'High', bValue: 'Low', state: 'open' }),
      ]);
      expect(ConflictsPage.parse((await get('/conflicts?state=resolved')).json()).total).toBe(0);
      expect(ConflictsPage.parse((await get('/conflicts?connection=nope')).json()).total).toBe(0);
      expect(ConflictsPage.parse((await get(`/conflicts?link=${f.linkId}&state=all`)).json()).total).toBe(1);
    });

    it('resolves a conflict by taking a side, writing that value to the other side', async () => {
      const res = await post(`/conflicts/${f.conflictId}/resolve`, { take: 'b' });
      expect(res.statusCode).toBe(200);
      expect(Conflict.parse(res.json())).toMatchObject({ id: f.conflictId, state: 'resolved' });
      expect(f.harness.a.mustGet(f.aId).fields.priority).toBe('Low');
      expect(ConflictsPage.parse((await get('/conflicts')).json()).total).toBe(0);
    });

    it('answers 409 for an already resolved conflict and 404 for an unknown one', async () => {
      await post(`/conflicts/${f.conflictId}/resolve`, { take: 'a' });
      const again = await post(`/conflicts/${f.conflictId}/resolve`, { take: 'a' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toBe('conflict_unresolvable');
      const missing = await post('/conflicts/9999/resolve', { take: 'a' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: 'not_found', message: 'no conflict 9999' });
    });

    it.each([
      [{ take: 'c' }, 'body field take: Invalid option: expected one of "a"|"b"'],
      [{}, 'body field take: Invalid option: expected one of "a"|"b"'],
      [{ take: 'a', extra: 1 }, 'unknown body field "extra"'],
    ])('answers 400 naming the body field for %j', async (payload, message) => {
      const res = await post(`/conflicts/${f.conflictId}/resolve`, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe(message);
    });

    it('answers 400 when the body is missing', async () => {
      const res = await post(`/conflicts/${f.conflictId}/resolve`);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^request body: /);
    });

    it('redirects a dashboard form back, the notice kept out of the URL', async () => {
      const res = await f.server.app.inject({
        method: 'POST',
        url: `/conflicts/${f.conflictId}/resolve`,
        payload: 'take=a&back=%2F%23conflicts',
        headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/#conflicts');
      expect(f.harness.b.mustGet(f.bId).fields.priority).toBe('High');
    });
  });

  describe('POST /links/:id/resync', () => {
    it('runs a forced pass and records a resync event', async () => {
      const res = await post(`/links/${f.linkId}/resync`);
      expect(res.statusCode).toBe(200);
      expect(ResyncResult.parse(res.json())).toEqual({ linkId: f.linkId, outcome: expect.any(String) });
      const events = EventsPage.parse((await get('/events?kind=resync')).json());
      expect(events.total).toBe(1);
    });

    it('answers 404 for an unknown link', async () => {
      const res = await post('/links/9999/resync');
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toBe('no link 9999');
    });

    it('answers 502 naming the code when a system fails during the pass', async () => {
      f.harness.a.failWith = new AuthError('expired');
      const res = await post(`/links/${f.linkId}/resync`);
      expect(res.statusCode).toBe(502);
      expect(res.json().error).toBe('auth_failed');
    });
  });

  describe('POST /links', () => {
    it('previews the first pass of a pair with dryRun and links nothing', async () => {
      const aId = f.harness.a.userCreate({ subject: 'Scanner offline', priority: 'High', status: 'New' });
      const bId = f.harness.b.userCreate({ summary: 'Scanner offline', priority: 'High', status: 'In Progress' });
      const res = await post('/links', { a: aId, b: bId, dryRun: true });
      expect(res.statusCode).toBe(200);
      const answer = PairAnswer.parse(res.json());
      expect(answer).toMatchObject({ status: 'preview', connection: CONNECTION, ids: { a: aId, b: bId }, link: null });
      // status is a's: its value is written on b; the rest already agrees.
      expect(answer.writes).toEqual({
        a: [],
        b: [
          {
            field: 'status',
            native: 'status',
            from: 'a',
            to: 'b',
            value: 'New',
            why: 'mirror',
          },
        ],
      });
      expect(await f.harness.ledger.findLink(CONNECTION, 'a', aId)).toBeNull();
      expect(f.harness.a.mustGet(aId).marker).toBeNull();
    });

    it('links a pair, stamps both markers, starts its first pass, and refuses the same tickets again', async () => {
      const aId = f.harness.a.userCreate({ subject: 'Scanner offline', priority: 'High', status: 'New' });
      const bId = f.harness.b.userCreate({ summary: 'Scanner offline', priority: 'High', status: 'In Progress' });
      const res = await post('/links', { a: aId, b: bId, connection: CONNECTION });
      expect(res.statusCode).toBe(200);
      const answer = PairAnswer.parse(res.json());
      expect(answer.link).toMatchObject({ aId, bId, state: 'active' });
      expect(f.harness.a.mustGet(aId).marker).toBe(pairMarkers(CONNECTION, { a: aId, b: bId }).a);
      expect(f.harness.b.mustGet(bId).marker).toBe(pairMarkers(CONNECTION, { a: aId, b: bId }).b);
      await f.harness.engine.onIdle();
      expect(f.harness.b.mustGet(bId).fields.status).toBe('New');

      const again = await post('/links', { a: aId, b: bId });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toEqual({
        error: 'link_refused',
        message: `${CONNECTION}: ${aId} and ${bId} are already linked (link ${answer.link!.id})`,
      });
    });

    it('answers 404 for a ticket not found, 409 for one linked elsewhere and 400 for an unknown system', async () => {
      const aId = f.harness.a.userCreate({ subject: 'Badge reader', priority: 'Low', status: 'New' });
      const missing = await post('/links', { a: aId, b: '9999' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().message).toBe(`${CONNECTION}: no ticket 9999 on b (Beta)`);
      const taken = await post('/links', { a: aId, b: f.bId });
      expect(taken.statusCode).toBe(409);
      expect(taken.json().message).toContain(`is already linked to ${f.aId} (link ${f.linkId}, active)`);
      const unknown = await post('/links', { a: `nosuch:${aId}`, b: f.bId });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().message).toContain('unknown system "nosuch"');
      expect(await f.harness.ledger.findLink(CONNECTION, 'a', aId)).toBeNull();
    });
  });

  describe('errors', () => {
    it('lists open errors, filtered and paged', async () => {
      const open = ErrorsPage.parse((await get('/errors')).json());
      expect(open.items).toEqual([
        expect.objectContaining({
          id: f.errorId,
          code: 'remote_validation',
          side: 'a',
          ticketId: f.erroredAId,
          retryable: false,
        }),
      ]);
      expect(ErrorsPage.parse((await get('/errors?state=resolved')).json()).total).toBe(0);
      expect(ErrorsPage.parse((await get('/errors?limit=1&offset=1')).json())).toMatchObject({ total: 1, items: [] });
    });

    it('retries an error: it stays open while the cause remains and resolves once fixed', async () => {
      const stillFailing = ErrorRecord.parse((await post(`/errors/${f.errorId}/retry`)).json());
      expect(stillFailing.state).toBe('open');
      f.harness.b.options.allowedValues!.status!.push('Escalated');
      const res = await post(`/errors/${f.errorId}/retry`);
      expect(res.statusCode).toBe(200);
      expect(ErrorRecord.parse(res.json()).state).toBe('resolved');
      expect((await f.harness.ledger.listLinks({ ticketId: f.erroredAId })).total).toBeGreaterThan(0);
    });

    it('retries every open error with POST /errors/retry, and refuses an unknown code naming it', async () => {
      const bad = await post('/errors/retry?code=nope');
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json())).toContain('code');
      f.harness.b.options.allowedValues!.status!.push('Escalated');
      const res = await post('/errors/retry?code=remote_validation');
      expect(res.statusCode).toBe(200);
      const body = res.json<{ items: Array<{ id: string; state: string }>; resolved: number; open: number }>();
      expect(body.items.map((e) => e.id)).toContain(f.errorId);
      expect(body.open).toBe(0);
      expect(body.resolved).toBe(body.items.length);
    });

    it('answers 404 for an unknown error', async () => {
      const res = await post('/errors/9999/retry');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: 'no error 9999' });
    });
  });

  describe('GET /metrics', () => {
    it('exposes engine counters and scrape-time ledger gauges in Prometheus text', async () => {
      const res = await get('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.body).toContain('ticketbridge_conflicts_total{connection="test",field="priority"} 1');
      expect(res.body).toContain('ticketbridge_errors_total{connection="test",code="remote_validation"} 1');
      expect(res.body).toContain('ticketbridge_open_conflicts{connection="test"} 1');
      expect(res.body).toContain('ticketbridge_ledger_links{connection="test",state="active"} 1');
      expect(res.body).toContain('ticketbridge_ledger_events 2');
      expect(res.body).toMatch(/ticketbridge_passes_total\{connection="test",outcome="created"\} 1/);
    });
  });

  describe('GET /openapi.json', () => {
    it('documents every route with its parameters, body and responses', async () => {
      const res = await get('/openapi.json');
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.0.3');
      const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) =>
        Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`),
      );
      expect(ops.sort()).toEqual(
        [
          'GET /',
          'GET /conflicts',
          'GET /errors',
          'GET /events',
          'GET /healthz',
          'GET /ledger/links',
          'GET /ledger/links/{id}',
          'GET /metrics',
          'GET /openapi.json',
          'GET /readyz',
          'GET /status',
          'POST /conflicts/{id}/resolve',
          'POST /connections/{name}/pause',
          'POST /connections/{name}/resume',
          'POST /errors/retry',
          'POST /errors/{id}/retry',
          'POST /links',
          'POST /links/{id}/close-twin',
          'POST /links/{id}/dismiss',
          'POST /links/{id}/resync',
          'POST /links/{id}/unlink',
          'POST /webhooks/{connection}/{side}',
        ].sort(),
      );
      const links = doc.paths['/ledger/links'].get;
      expect(links.parameters.map((p: { name: string }) => p.name)).toEqual([
        'connection',
        'ticket',
        'state',
        'offset',
        'limit',
      ]);
      expect(links.parameters.find((p: { name: string }) => p.name === 'state').schema.enum).toEqual([
        'active',
        'unlinked',
        'flagged',
        'closed',
        'archived',
      ]);
      expect(links.summary).toContain('`system:ref`');
      expect(links.description).toContain('`<system>:<ref>`');
      expect(links.parameters.find((p: { name: string }) => p.name === 'ticket').description).toContain('jira:IT-12');
      expect(Object.keys(links.responses)).toContain('400');
      const resolve = doc.paths['/conflicts/{id}/resolve'].post;
      expect(resolve.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
      expect(resolve.requestBody.content['application/json'].schema.properties.take.enum).toEqual(['a', 'b']);
      expect(Object.keys(resolve.responses).sort()).toEqual(['200', '303', '400', '401', '403', '404', '409', '502']);
      expect(doc.paths['/healthz'].get.security).toEqual([]);
      expect(doc.paths['/webhooks/{connection}/{side}'].post.responses['202']).toBeDefined();
    });
  });
});

describe('GET /ledger/links?ticket= (ticket search references)', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    // Side b's tickets have keys BETA-<n>, as Jira issues have keys beside their numeric ids.
    f = await createServerFixture({ keyPrefixB: 'BETA' });
  });
  afterEach(async () => {
    await f.close();
  });

  const search = async (ticket: string, extra = '') => {
    const res = await f.server.app.inject({
      method: 'GET',
      url: `/ledger/links?ticket=${encodeURIComponent(ticket)}${extra}`,
      headers: bearer,
    });
    expect(res.statusCode).toBe(200);
    return LinksPage.parse(res.json()).items.map((l) => l.id);
  };

  it('finds a link by the key people know, in any case and with or without its system', async () => {
    const key = `BETA-${f.bId}`;
    expect(await search(key)).toEqual([f.linkId]);
    expect(await search(key.toLowerCase())).toEqual([f.linkId]);
    expect(await search(`beta:${key}`)).toEqual([f.linkId]);
    expect(await search(`Beta:${key}`)).toEqual([f.linkId]);
  });

  it('finds nothing for a key on the wrong system or a key no ticket has', async () => {
    expect(await search(`alpha:BETA-${f.bId}`)).toEqual([]);
    expect(await search('BETA-999')).toEqual([]);
  });

  it('narrows a number both systems use to the one ticket its system names', async () => {
    // Alpha 7 and Beta 7 are different tickets in different links.
    const alphaSeven = await f.harness.ledger.commit({ connection: f.connection, newLink: { aId: '7', bId: '70' } });
    const betaSeven = await f.harness.ledger.commit({ connection: f.connection, newLink: { aId: '71', bId: '7' } });
    expect(await search('7')).toEqual([betaSeven, alphaSeven]);
    expect(await search('alpha:7')).toEqual([alphaSeven]);
    expect(await search('beta:7')).toEqual([betaSeven]);
    expect(await search(' beta : 7 ')).toEqual([betaSeven]);
    expect(await search('beta:7', `&connection=${f.connection}&state=active`)).toEqual([betaSeven]);
    expect(await search('beta:7', '&state=closed')).toEqual([]);
  });

  it('still answers by the literal id and the keys links hold when the system cannot be asked about a key', async () => {
    f.harness.b.failWith = new NetworkError('beta is unreachable');
    expect(await search(`beta:${f.bId}`)).toEqual([f.linkId]);
    expect(await search(`beta-${f.bId}`)).toEqual([f.linkId]); // the key this link already holds
    expect(await search('BETA-999999')).toEqual([]);
  });

  it.each([
    [
      'jira:IT-12',
      'query parameter ticket: unknown system "jira" in "jira:IT-12"; the configured systems are alpha, beta',
    ],
    ['beta:', 'query parameter ticket: nothing after "beta:" in "beta:"; give a ticket id or key (beta:123)'],
    [
      ' ',
      'query parameter ticket: ticket reference is empty; give a ticket id or key, optionally after its system (alpha:123)',
    ],
  ])('answers 400 naming the problem and the configured systems for %j', async (ticket, message) => {
    const res = await f.server.app.inject({
      method: 'GET',
      url: `/ledger/links?ticket=${encodeURIComponent(ticket)}`,
      headers: bearer,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_request', message });
  });
});

describe('server without a token', () => {
  it('serves everything openly on loopback', async () => {
    const f = await createServerFixture({ token: null });
    try {
      expect((await f.server.app.inject({ url: '/status' })).statusCode).toBe(200);
      const login = await f.server.app.inject({ url: '/login' });
      expect(login.statusCode).toBe(303);
      expect(login.headers.location).toBe('/');
    } finally {
      await f.close();
    }
  });

  it.each(['0.0.0.0', '10.0.0.5', '::', 'example.com'])('refuses to start on %s without a token', async (host) => {
    const f = await createServerFixture();
    try {
      const deps = {
        engine: f.harness.engine,
        ledger: f.harness.ledger,
        server: { host, port: 0 },
        logger: undefined,
        version: 'x',
        startedAtMs: 0,
        metrics: createMetrics({ processMetrics: false }),
      };
      expect(() => createServer(deps)).toThrow(ConfigError);
      expect(() => createServer(deps)).toThrow(
        `server.host: "${host}" is not a loopback address, so server.token is required`,
      );
      expect(() => createServer({ ...deps, server: { host, port: 0, token: 't' } })).not.toThrow();
    } finally {
      await f.close();
    }
  });

  it.each(['127.0.0.1', '127.8.9.10', '::1', 'localhost'])('starts on loopback %s without a token', async (host) => {
    const f = await createServerFixture({ token: null, host });
    await f.close();
  });
});
