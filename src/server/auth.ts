// Authentication and roles for the operations surface: bearer tokens (server.token as admin, or
// named server.tokens with a role and maybe some connections), compared in constant time, or a
// server-side dashboard session from the login form. /healthz, /readyz, /login, /logout and
// webhooks (which connectors verify by signature) stay open; with no token (loopback only) every
// request acts as a local admin, and browser posts still need the CSRF token and the Origin.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { h, page } from './html.js';
import { SESSION_TTL_MS, type Principal, type Role, type Session, type SessionStore } from './sessions.js';

export const SESSION_COOKIE = 'tb_session';
const SESSION_MAX_AGE_S = SESSION_TTL_MS / 1000;

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/login', '/logout']);

/** Equal-length digests, so neither the comparison time nor an early length check leaks anything. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
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

/** A configured token: its name and role, and the connections it is limited to. */
export interface TokenEntry {
  name: string;
  token: string;
  role: Role;
  connections?: readonly string[] | undefined;
}

/** With no token configured (loopback only) everyone is this. */
const LOCAL: Principal = { name: 'local', role: 'admin', connections: null };
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    session: Session | null;
    /** Authenticated by an Authorization header (not an ambient cookie): no CSRF token needed. */
    viaBearer: boolean;
  }
  interface FastifyContextConfig {
    /** The least role a route needs. @default viewer for GET, operator for anything else */
    role?: Role;
  }
}

function principalOf(entry: TokenEntry): Principal {
  return { name: entry.name, role: entry.role, connections: entry.connections ?? null };
}

/** Compares against every token (no early exit), so timing does not tell which one nearly matched. */
function findToken(given: string, tokens: readonly TokenEntry[]): TokenEntry | null {
  let found: TokenEntry | null = null;
  for (const entry of tokens) if (sameSecret(given, entry.token) && found === null) found = entry;
  return found;
}

const wantsHtml = (request: FastifyRequest): boolean =>
  request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');

const isForm = (request: FastifyRequest): boolean =>
  (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');

export interface AuthOptions {
  tokens: readonly TokenEntry[];
  /** May read GET /metrics and nothing else. */
  metricsToken?: string | undefined;
  /** The daemon's external URL: its origin is accepted on posts beside the Host header's. */
  publicUrl?: string | undefined;
  secureCookie: boolean;
  sessions: SessionStore;
  /** Called with the principal of every authenticated request (the connection scope). */
  onPrincipal?: (principal: Principal) => void;
}

function unauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]!;
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
}

const forbidden = (reply: FastifyReply, message: string): FastifyReply =>
  reply.code(403).header('cache-control', 'no-store').send({ error: 'forbidden', message });

/** Origin (or, without one, Referer) must be this daemon: its Host or its publicUrl. `null` never is. */
function sameOrigin(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const raw = request.headers.origin ?? request.headers.referer;
  if (typeof raw !== 'string' || raw === 'null') return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  const host = request.headers.host;
  if (host !== undefined) {
    try {
      // The Host header has no scheme (a proxy may end TLS): this host over either, ports normalised.
      if ([`http://${host}`, `https://${host}`].some((u) => new URL(u).origin === url.origin)) return true;
    } catch {
      // a malformed Host header matches nothing
    }
  }
  if (publicUrl === undefined) return false;
  try {
    return url.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

function sessionCookie(session: Session | null, secure: boolean): string {
  const parts = session
    ? [`${SESSION_COOKIE}=${session.id}`, `Max-Age=${SESSION_MAX_AGE_S}`]
    : [`${SESSION_COOKIE}=`, 'Max-Age=0'];
  parts.push('HttpOnly', 'SameSite=Strict', 'Path=/');
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** Every `<form method="post">` of a page gets the session's CSRF token, whoever wrote the form. */
export function withCsrf(html: string, csrf: string): string {
  return html.replace(
    /<form\b[^>]*\bmethod="post"[^>]*>/gi,
    (tag) => `${tag}<input type="hidden" name="_csrf" value="${csrf}">`,
  );
}

/**
 * Installs authentication (bearer tokens, or a dashboard session), the role each route needs,
 * the CSRF and Origin checks on every post a browser could make, `Cache-Control: no-store` on
 * everything behind the token, and the login/logout routes.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const { tokens, sessions } = options;
  const open = tokens.length === 0;
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  app.decorateRequest('viaBearer', false);

  app.addHook('onRequest', async (request, reply) => {
    // Judge by the matched route pattern, not the raw URL, so no crafted path reaches a
    // protected route through an open prefix. Unknown paths need the token too (no probing).
    const route = request.routeOptions.url;
    request.session = sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE));
    if (route !== undefined && isPublicPath(route)) return;
    const header = request.headers.authorization;
    const bearer =
      typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : null;
    if (
      route === '/metrics' &&
      bearer !== null &&
      options.metricsToken !== undefined &&
      sameSecret(bearer, options.metricsToken)
    ) {
      request.viaBearer = true;
      return;
    }
    let principal: Principal | null = null;
    if (bearer !== null) {
      const entry = open ? null : findToken(bearer, tokens);
      principal = open ? LOCAL : entry && principalOf(entry);
      request.viaBearer = principal !== null;
    } else if (request.session) principal = request.session.principal;
    else if (open) principal = LOCAL;
    if (principal === null) return unauthorized(request, reply);
    request.principal = principal;
    options.onPrincipal?.(principal);
    // /metrics counts every connection: a metrics token, or a token that sees everything.
    if (route === '/metrics' && principal.connections !== null)
      return forbidden(
        reply,
        `token "${principal.name}" is limited to some connections; /metrics needs server.metricsToken or an unlimited token`,
      );
    const needed =
      request.routeOptions.config.role ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator');
    if (RANK[principal.role] < RANK[needed])
      return forbidden(reply, `token "${principal.name}" has the ${principal.role} role; this needs ${needed}`);
  });

  // After the body is parsed: a post a browser could have sent carries this session's CSRF token
  // and comes from this daemon's own pages. Bearer requests cannot be forged by another site.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.viaBearer) return;
    const route = request.routeOptions.url ?? '';
    if (route.startsWith('/webhooks/')) return;
    const browser = request.session !== null || isForm(request) || request.headers.origin !== undefined;
    if (!browser) return;
    if (!sameOrigin(request, options.publicUrl))
      return forbidden(reply, 'cross-origin posts are not accepted (the Origin is not this daemon)');
    if (route === '/login') return;
    const body = request.body as Record<string, unknown> | undefined;
    const given = typeof body?._csrf === 'string' ? body._csrf : request.headers['x-csrf-token'];
    if (request.session === null || typeof given !== 'string' || !sameSecret(given, request.session.csrf))
      return forbidden(
        reply,
        'the form is out of date or did not come from this dashboard: reload the page and try again',
      );
    if (body && typeof body === 'object') delete body._csrf;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (route === undefined || !isPublicPath(route) || route === '/login') reply.header('cache-control', 'no-store');
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('text/html') || typeof payload !== 'string') return payload;
    let session = request.session;
    if (session === null && open && request.principal !== null) {
      // Loopback without a token: a session still carries the CSRF token its forms need.
      session = sessions.create(LOCAL);
      reply.header('set-cookie', sessionCookie(session, options.secureCookie));
    }
    return session ? withCsrf(payload, session.csrf) : payload;
  });

  app.get('/login', async (request, reply) => {
    if (open) return reply.redirect('/', 303);
    const next = localPath((request.query as { next?: unknown }).next);
    return sendHtml(reply, 200, loginPage(next, null));
  });

  app.post('/login', async (request, reply) => {
    if (open) return reply.redirect('/', 303);
    const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
    const next = localPath(body.next);
    const entry = typeof body.token === 'string' ? findToken(body.token, tokens) : null;
    if (entry === null) {
      return sendHtml(
        reply,
        401,
        loginPage(next, 'That token is not right. Ask the person who runs the daemon for the dashboard token.'),
      );
    }
    // A fresh id at every sign-in: an id planted before it (session fixation) is worth nothing.
    sessions.destroy(request.session?.id ?? null);
    const session = sessions.create(principalOf(entry));
    return reply.header('set-cookie', sessionCookie(session, options.secureCookie)).redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    sessions.destroy(request.session?.id ?? null);
    return reply.header('set-cookie', sessionCookie(null, options.secureCookie)).redirect('/login', 303);
  });
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
    .header('referrer-policy', 'same-origin') // no-referrer would make browsers post Origin: null, which is refused
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
