// Typed route registration: each route declares zod schemas for params, query, body and
// response. Requests are validated with them (400 naming the parameter), and the same specs are
// collected so /openapi.json documents exactly what is served.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { Empty } from './schemas.js';
import type { Role } from './sessions.js';

/** An error the server answers with as `{ error: code, message }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);

export type Location = 'params' | 'query' | 'body';

/** Parses one part of a request; a failure is a 400 whose one-line message names the parameter. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: Location): z.output<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const noun = where === 'params' ? 'path parameter' : where === 'query' ? 'query parameter' : 'body field';
  if (issue.code === 'unrecognized_keys') {
    throw new HttpError(
      400,
      'invalid_request',
      `unknown ${noun}${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  const path = issue.path.map(String).join('.');
  if (path === '')
    throw new HttpError(400, 'invalid_request', `${where === 'body' ? 'request body' : noun}: ${issue.message}`);
  throw new HttpError(400, 'invalid_request', `${noun} ${path}: ${issue.message}`);
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: 'GET' | 'POST';
  /** fastify path syntax: /ledger/links/:id */
  url: string;
  summary: string;
  description?: string;
  tag: string;
  /** Whether the bearer token is required (when one is configured). */
  auth: boolean;
  /**
   * The least role that may call it. @default viewer for GET; operator for POST, so a new action
   * is closed to viewers unless it says otherwise
   */
  role?: Role;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Statuses other than 200 the route answers with, for the document. */
  errors?: Record<number, string>;
  /** Dashboard forms may post here; answers with a redirect carrying this notice. */
  form?: (result: z.output<R>) => string;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>>;
}

/** A route as the OpenAPI builder sees it. */
export interface RouteDoc {
  method: 'GET' | 'POST';
  url: string;
  summary: string;
  description?: string;
  tag: string;
  auth: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** JSON response schema; absent for text/HTML routes, which give `produces`. */
  response?: z.ZodType;
  produces?: string;
  consumes?: string[];
  errors: Record<number, string>;
  form: boolean;
  /** The least role that may call it (documented routes added by addRoute). */
  role?: Role;
}

const isForm = (request: FastifyRequest): boolean =>
  (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');

/**
 * Where a dashboard form returns to after an action. The notice (or problem) travels in the
 * server-side session and is shown once, never in the URL, so no link can put words on the page.
 */
export function redirectTarget(request: FastifyRequest, back: string | undefined, notice: string, ok: boolean): string {
  if (request.session) request.session.notice = { text: notice, ok };
  return back ?? '/';
}

/** Registers a route on `app` and records it in `docs`. */
export function addRoute<
  P extends z.ZodType = typeof Empty,
  Q extends z.ZodType = typeof Empty,
  B extends z.ZodType = z.ZodType<undefined>,
  R extends z.ZodType = z.ZodType,
>(
  app: FastifyInstance,
  docs: RouteDoc[],
  spec: RouteSpec<P, Q, B, R>,
  log: { error(obj: object, msg?: string): void },
): void {
  const role: Role = spec.role ?? (spec.method === 'GET' ? 'viewer' : 'operator');
  const doc: RouteDoc = {
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    response: spec.response,
    errors: {
      ...(spec.auth ? { 401: 'Missing or wrong bearer token.', 403: `Needs the ${role} role (or more).` } : {}),
      ...(spec.errors ?? {}),
    },
    form: spec.form !== undefined,
    role,
  };
  if (spec.description) doc.description = spec.description;
  if (spec.params) doc.params = spec.params;
  if (spec.query) doc.query = spec.query;
  if (spec.body) doc.body = spec.body;
  if (spec.params || spec.query || spec.body) doc.errors[400] ??= 'A parameter is invalid; the message names it.';
  docs.push(doc);

  app.route({
    method: spec.method,
    url: spec.url,
    config: { role },
    handler: async (request, reply) => {
      const form = spec.form !== undefined && isForm(request);
      const rawBody = request.body as { back?: unknown } | undefined;
      const formBack =
        form && typeof rawBody?.back === 'string' && /^\/(?!\/)[^\s\\]*$/.test(rawBody.back) ? rawBody.back : undefined;
      try {
        const params = parseInput(spec.params ?? Empty, request.params, 'params') as z.output<P>;
        const query = parseInput(spec.query ?? Empty, request.query, 'query') as z.output<Q>;
        const body = spec.body ? parseInput(spec.body, request.body, 'body') : undefined;
        const result = await spec.handler({ params, query, body: body as z.output<B>, request, reply });
        if (form && spec.form)
          return reply.redirect(redirectTarget(request, formBack, spec.form(result as z.output<R>), true), 303);
        const checked = spec.response.safeParse(result);
        // A response that drifted from its schema is a bug to fix, not a reason to fail the caller.
        if (!checked.success)
          log.error({ route: spec.url, issue: checked.error.issues[0] }, 'response does not match its schema');
        return reply.send(result);
      } catch (err) {
        if (form) {
          const message = err instanceof Error ? err.message : String(err);
          return reply.redirect(redirectTarget(request, formBack, message, false), 303);
        }
        throw err;
      }
    },
  });
}
