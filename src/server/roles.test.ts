// Roles, connection scopes and the dashboard's browser defences (issue 17 item 4, issue 20 item 5),
// through the real fastify server with app.inject.
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installScope, scopedEngine, setPrincipal } from './scope.js';
import type { Principal } from './sessions.js';
import { createServerFixture, TOKEN, type ServerFixture } from '../../test/helpers/server-fixture.js';

const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const CLIENT = 'client-token-0123456789';
const METRICS = 'metrics-token-0123456789';
const ORIGIN = 'http://localhost:80';
const FORM = 'application/x-www-form-urlencoded';

let f: ServerFixture;

beforeEach(async () => {
  f = await createServerFixture({
    tokens: [
      { name: 'noc-viewer', token: VIEWER, role: 'viewer' },
      { name: 'msp-operator', token: OPERATOR, role: 'operator' },
      { name: 'client-b', token: CLIENT, role: 'operator', connections: ['client-b-only'] },
    ],
    metricsToken: METRICS,
    publicUrl: 'https://tb.example.com',
  });
});
afterEach(async () => {
  await f.server.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Signs in through the login form; the session cookie and the CSRF token of the dashboard page. */
async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await f.server.app.inject({
    method: 'POST',
    url: '/login',
    payload: `token=${token}`,
    headers: { 'content-type': FORM, origin: ORIGIN },
  });
  expect(res.statusCode).toBe(303);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const page = await f.server.app.inject({ url: '/', headers: { cookie, accept: 'text/html' } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  expect(csrf, 'the dashboard forms carry a CSRF token').toBeDefined();
  return { cookie, csrf: csrf! };
}

/** Every registered POST route, whatever module added it. */
function postRoutes(): string[] {
  return f.server.routes.filter((r) => r.method === 'POST').map((r) => r.url);
}

describe('roles', () => {
  it('a viewer cannot POST to any registered route (except signing in and out and webhooks, which need no token)', async () => {
    const routes = postRoutes().filter((u) => !['/login', '/logout'].includes(u) && !u.startsWith('/webhooks/'));
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const url of routes) {
      const concrete = url.replace(/:(\w+)/g, (_m, name: string) => (name === 'id' ? f.errorId : 'x'));
      const res = await f.server.app.inject({ method: 'POST', url: concrete, headers: bearer(VIEWER), payload: {} });
      expect(res.statusCode, `POST ${url}`).toBe(403);
      expect(res.json().message).toBe('token "noc-viewer" has the viewer role; this needs operator');
    }
    expect((await f.harness.ledger.getError(f.errorId))!.state).toBe('open');
    expect((await f.server.app.inject({ url: '/errors', headers: bearer(VIEWER) })).statusCode).toBe(200);
  });

  it('an operator acts, and server.token stays an admin', async () => {
    const res = await f.server.app.inject({
      method: 'POST',
      url: `/conflicts/${f.conflictId}/resolve`,
      headers: bearer(OPERATOR),
      payload: { take: 'a' },
    });
    expect(res.statusCode).toBe(200);
    expect((await f.server.app.inject({ url: '/metrics', headers: bearer(TOKEN) })).statusCode).toBe(200);
  });

  it('a token limited to another connection sees none of this one: links, events, errors, conflicts, status', async () => {
    const h = bearer(CLIENT);
    const get = async (url: string) => {
      const res = await f.server.app.inject({ url, headers: h });
      return {
        status: res.statusCode,
        body: res.json<{ items?: unknown[]; total?: number; connections?: unknown[] }>(),
      };
    };
    expect((await get('/ledger/links')).body).toMatchObject({ items: [], total: 0 });
    expect((await get(`/ledger/links?connection=${f.connection}`)).body).toMatchObject({ items: [], total: 0 });
    expect((await get(`/ledger/links/${f.linkId}`)).status).toBe(404);
    expect((await get('/events')).body).toMatchObject({ items: [], total: 0 });
    expect((await get('/errors')).body).toMatchObject({ items: [], total: 0 });
    expect((await get('/conflicts')).body).toMatchObject({ items: [], total: 0 });
    expect((await get('/status')).body.connections).toEqual([]);
    const retry = await f.server.app.inject({
      method: 'POST',
      url: `/errors/${f.errorId}/retry`,
      headers: h,
      payload: {},
    });
    expect(retry.statusCode).toBe(404);
    const dashboard = await f.server.app.inject({ url: '/', headers: { ...h, accept: 'text/html' } });
    expect(dashboard.body).not.toContain('Printer on floor 3 jams');
    expect(dashboard.body).not.toContain(`/ledger/links/${f.linkId}`);
    // The same routes with an unlimited token do show them.
    const all = await f.server.app.inject({ url: '/ledger/links', headers: bearer(VIEWER) });
    expect(all.json<{ total: number }>().total).toBeGreaterThan(0);
  });

  it('a token limited to another connection acts on nothing of this one, on every registered POST route', async () => {
    const routes = postRoutes().filter((u) => !['/login', '/logout'].includes(u) && !u.startsWith('/webhooks/'));
    const eventsBefore = (await f.harness.ledger.counts()).events;
    const ids: Record<string, string> = { conflicts: f.conflictId, links: f.linkId, errors: f.errorId };
    for (const url of routes) {
      const concrete = url
        .replace(/^\/(\w+)\/:id/, (_m, kind: string) => `/${kind}/${ids[kind] ?? 'x'}`)
        .replace(':name', f.connection);
      const res = await f.server.app.inject({
        method: 'POST',
        url: concrete,
        headers: bearer(CLIENT),
        payload: url.endsWith('/resolve')
          ? { take: 'a' }
          : url === '/links'
            ? { a: f.erroredAId, b: '1', connection: f.connection }
            : {},
      });
      if (res.statusCode === 200) expect(res.json(), `POST ${url}`).toMatchObject({ items: [] });
      else expect(res.statusCode, `POST ${url}`).toBe(404);
    }
    expect((await f.harness.ledger.counts()).events).toBe(eventsBefore);
    expect((await f.harness.ledger.getLink(f.linkId))!.state).toBe('active');
    expect((await f.harness.ledger.getConflict(f.conflictId))!.state).toBe('open');
    expect(f.harness.engine.pauseState(f.connection)).toBeNull();
  });

  it('a token limited to another connection gets no report rows of this one, in any format', async () => {
    const get = (token: string, format: string) =>
      f.server.app.inject({ url: `/reports?from=2000-01-01&to=2100-12-31&format=${format}`, headers: bearer(token) });
    const all = (await get(VIEWER, 'json')).json<{ connections: Array<{ name: string }> }>();
    expect(all.connections.map((c) => c.name)).toEqual([f.connection]);
    const limited = (await get(CLIENT, 'json')).json<{
      connections: unknown[];
      previous: { connections: unknown[] };
    }>();
    expect(limited.connections).toEqual([]);
    expect(limited.previous.connections).toEqual([]);
    expect((await get(CLIENT, 'csv')).body).not.toMatch(new RegExp(`^${f.connection},`, 'm'));
  });

  it('every action records the name of the token that asked for it in the event', async () => {
    const post = (url: string, payload: object = {}) =>
      f.server.app.inject({ method: 'POST', url, headers: bearer(OPERATOR), payload });
    expect((await post(`/conflicts/${f.conflictId}/resolve`, { take: 'a' })).statusCode).toBe(200);
    expect((await post(`/links/${f.linkId}/resync`)).statusCode).toBe(200);
    expect((await post(`/errors/${f.errorId}/retry`)).statusCode).toBe(200);
    expect((await post(`/connections/${f.connection}/pause`)).statusCode).toBe(200);
    expect((await post(`/connections/${f.connection}/resume`)).statusCode).toBe(200);
    expect((await post(`/links/${f.linkId}/unlink`)).statusCode).toBe(200);
    const events = (await f.harness.ledger.listEvents({ limit: 500 })).items;
    const by = (kind: string) => events.filter((e) => e.kind === kind).map((e) => (e.data as { by?: string })?.by);
    for (const kind of [
      'conflict_resolved',
      'resync',
      'error_retried',
      'connection_paused',
      'connection_resumed',
      'link_unlinked',
    ])
      expect(by(kind), kind).toEqual(['msp-operator']);
  });

  it('a token limited to some connections starts a drift audit of those only', async () => {
    // The engine as a request of each principal sees it, inside the same per-request scope.
    const app = Fastify();
    installScope(app);
    app.post<{ Body: { principal: Principal; connection?: string } }>('/audit', async (request, reply) => {
      setPrincipal(request.body.principal);
      const engine = scopedEngine(f.harness.engine, f.harness.ledger);
      try {
        const connection = request.body.connection;
        return await engine.drift(connection === undefined ? {} : { connection });
      } catch (err) {
        return reply.code(404).send({ message: (err as Error).message });
      }
    });
    const audit = (principal: Principal, connection?: string) =>
      app.inject({ method: 'POST', url: '/audit', payload: { principal, ...(connection ? { connection } : {}) } });
    const audits = async () => (await f.harness.ledger.listEvents({ kind: 'drift_audited' })).total;
    const client: Principal = { name: 'client-b', role: 'operator', connections: ['client-b-only'] };

    const all = await audit(client);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ pairs: 0, findings: [], unexplained: 0 });
    const named = await audit(client, f.connection);
    expect(named.statusCode).toBe(404);
    expect(named.json().message).toBe(`no connection named "${f.connection}"`);
    expect(await audits(), 'no audit of the other connection ran').toBe(0);

    // A token limited to this connection audits it.
    const own = await audit({ name: 'client-a', role: 'operator', connections: [f.connection] });
    expect(own.statusCode).toBe(200);
    expect(own.json<{ pairs: number }>().pairs).toBeGreaterThan(0);
    expect(await audits()).toBe(1);
    await app.close();
  });

  it('/metrics is readable with the metrics token, which reads nothing else, and not by a limited token', async () => {
    expect((await f.server.app.inject({ url: '/metrics', headers: bearer(METRICS) })).statusCode).toBe(200);
    expect((await f.server.app.inject({ url: '/status', headers: bearer(METRICS) })).statusCode).toBe(401);
    expect((await f.server.app.inject({ url: '/metrics', headers: bearer(CLIENT) })).statusCode).toBe(403);
  });
});

describe('dashboard sessions and CSRF', () => {
  it('a form post needs the session CSRF token; with it the action runs', async () => {
    const { cookie, csrf } = await signIn(OPERATOR);
    const url = `/conflicts/${f.conflictId}/resolve`;
    const without = await f.server.app.inject({
      method: 'POST',
      url,
      payload: 'take=a',
      headers: { cookie, origin: ORIGIN, 'content-type': FORM },
    });
    expect(without.statusCode).toBe(403);
    expect((await f.harness.ledger.getConflict(f.conflictId))!.state).toBe('open');
    const withToken = await f.server.app.inject({
      method: 'POST',
      url,
      payload: `take=a&back=%2F&_csrf=${csrf}`,
      headers: { cookie, origin: ORIGIN, 'content-type': FORM },
    });
    expect(withToken.statusCode).toBe(303);
    expect(withToken.headers.location).toBe('/');
    expect((await f.harness.ledger.getConflict(f.conflictId))!.state).toBe('resolved');
    // The notice comes from the session, once.
    const next = await f.server.app.inject({ url: '/', headers: { cookie, accept: 'text/html' } });
    expect(next.body).toContain('<div class="notice" role="status">Conflict on priority resolved');
    const again = await f.server.app.inject({ url: '/', headers: { cookie, accept: 'text/html' } });
    expect(again.body).not.toContain('role="status">Conflict on priority');
  });

  it.each([
    ['Origin: null', { origin: 'null' }],
    ['another origin', { origin: 'https://evil.example' }],
    ['no Origin or Referer', {}],
  ])('refuses a form post with a valid CSRF token from %s', async (_label, extra) => {
    const { cookie, csrf } = await signIn(OPERATOR);
    const res = await f.server.app.inject({
      method: 'POST',
      url: `/conflicts/${f.conflictId}/resolve`,
      payload: `take=a&_csrf=${csrf}`,
      headers: { cookie, 'content-type': FORM, ...extra },
    });
    expect(res.statusCode).toBe(403);
    expect((await f.harness.ledger.getConflict(f.conflictId))!.state).toBe('open');
  });

  it('accepts the publicUrl origin (behind a proxy)', async () => {
    const { cookie, csrf } = await signIn(OPERATOR);
    const res = await f.server.app.inject({
      method: 'POST',
      url: `/conflicts/${f.conflictId}/resolve`,
      payload: `take=b&_csrf=${csrf}`,
      headers: { cookie, 'content-type': FORM, origin: 'https://tb.example.com' },
    });
    expect(res.statusCode).toBe(303);
  });

  it('signing out ends the session on the server: the old cookie no longer works', async () => {
    const { cookie, csrf } = await signIn(VIEWER);
    expect((await f.server.app.inject({ url: '/status', headers: { cookie } })).statusCode).toBe(200);
    const out = await f.server.app.inject({
      method: 'POST',
      url: '/logout',
      payload: `_csrf=${csrf}`,
      headers: { cookie, origin: ORIGIN, 'content-type': FORM },
    });
    expect(out.statusCode).toBe(303);
    expect((await f.server.app.inject({ url: '/status', headers: { cookie } })).statusCode).toBe(401);
  });

  it('shows no notice from the URL', async () => {
    const { cookie } = await signIn(VIEWER);
    const res = await f.server.app.inject({
      url: '/?notice=Send%20your%20token%20to%20evil.example',
      headers: { cookie, accept: 'text/html' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('evil.example');
  });

  it.each(['/status', '/ledger/links', '/events', '/errors', '/conflicts', '/', '/openapi.json', '/metrics'])(
    'sends Cache-Control: no-store on %s',
    async (url) => {
      const res = await f.server.app.inject({ url, headers: bearer(TOKEN) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
    },
  );
});
