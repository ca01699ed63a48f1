// Bearer-token auth for the operations surface. The token (or a session cookie derived from it by
// the login form) is compared in constant time. /healthz, /readyz, /login, /logout and webhooks (which
// connectors verify by signature) stay open; with no token configured (loopback only) all is open.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { h, page } from './html.js';

export const SESSION_COOKIE = 'tb_session';
const SESSION_MAX_AGE_S = 12 * 60 * 60;

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/login', '/logout']);

/** Equal-length digests, so neither the comparison time nor an early length check leaks anything. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The cookie holds a value derived from the token, never the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('ticketbridge dashboard session v1').digest('hex');
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export function isPublicPath(path: string): boolean {
  return OPEN_PATHS.has(path) || path.startsWith('/webhooks/');
}

export type AuthResult = 'bearer' | 'cookie' | null;

export function authenticate(request: FastifyRequest, token: string): AuthResult {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer\s+/i.test(header)) {
    return sameSecret(header.replace(/^bearer\s+/i, '').trim(), token) ? 'bearer' : null;
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (cookie !== null && sameSecret(cookie, sessionValue(token))) return 'cookie';
  return null;
}

const wantsHtml = (request: FastifyRequest): boolean =>
  request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');

/** Installs the auth check and the login/logout routes. */
export function installAuth(app: FastifyInstance, options: { token: string | undefined; secureCookie: boolean }): void {
  const { token } = options;

  app.addHook('onRequest', async (request, reply) => {
    if (token === undefined) return;
    const path = request.url.split('?')[0]!;
    // Judge by the matched route pattern, not the raw URL, so no crafted path reaches a
    // protected route through an open prefix. Unknown paths need the token too (no probing).
    const route = request.routeOptions.url;
    if (route !== undefined && isPublicPath(route)) return;
    const how = authenticate(request, token);
    if (how === 'cookie' && request.method === 'POST') {
      // SameSite=Strict already stops cross-site posts; a foreign Origin is refused as well.
      const origin = request.headers.origin;
      if (typeof origin === 'string' && origin !== 'null' && safeHost(origin) !== request.headers.host) {
        return reply.code(403).send({ error: 'forbidden', message: 'cross-origin form posts are not accepted' });
      }
    }
    if (how) return;
    if (wantsHtml(request))
      return reply.redirect(`/login${path === '/' ? '' : `?next=${encodeURIComponent(request.url)}`}`, 303);
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="ticketbridge"')
      .send({
        error: 'unauthorized',
        message: request.headers.authorization
          ? 'the bearer token is not valid'
          : 'a bearer token is required (Authorization: Bearer <token>)',
      });
  });

  app.get('/login', async (request, reply) => {
    if (token === undefined) return reply.redirect('/', 303);
    const next = localPath((request.query as { next?: unknown }).next);
    return sendHtml(reply, 200, loginPage(next, null));
  });

  app.post('/login', async (request, reply) => {
    if (token === undefined) return reply.redirect('/', 303);
    const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
    const next = localPath(body.next);
    if (typeof body.token !== 'string' || !sameSecret(body.token, token)) {
      return sendHtml(
        reply,
        401,
        loginPage(next, 'That token is not right. Ask the person who runs the daemon for the dashboard token.'),
      );
    }
    const cookie = [
      `${SESSION_COOKIE}=${sessionValue(token)}`,
      'HttpOnly',
      'SameSite=Strict',
      'Path=/',
      `Max-Age=${SESSION_MAX_AGE_S}`,
    ];
    if (options.secureCookie) cookie.push('Secure');
    return reply.header('set-cookie', cookie.join('; ')).redirect(next, 303);
  });

  app.post('/logout', async (_request, reply) => {
    return reply
      .header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`)
      .redirect('/login', 303);
  });
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function localPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : '/';
}

export const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

function loginPage(next: string, problem: string | null): string {
  return page(
    'Sign in · ticketbridge',
    h`<form class="login" method="post" action="/login">
<h1>ticketbridge</h1>
<p class="muted">Enter the dashboard token to see the sync status.</p>
${problem ? h`<div class="notice problem" role="alert">${problem}</div>` : ''}
<label for="token">Dashboard token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${next}">
<button type="submit">Sign in</button>
</form>`,
  );
}
