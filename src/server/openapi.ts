// Builds the OpenAPI 3.0 document from the routes' zod schemas (z.toJSONSchema), so the
// published contract is the one requests are validated against.
import { z } from 'zod';
import type { RouteDoc } from './route.js';
import { ErrorBody } from './schemas.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });

/** Query and path objects become OpenAPI parameters, one per property. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...rest } = prop;
    const param: JsonSchema = { name, in: where, required: where === 'path' || required.has(name), schema: rest };
    if (typeof description === 'string') param.description = description;
    return param;
  });
}

export function buildOpenApi(routes: RouteDoc[], info: { version: string; publicUrl?: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorSchema = toSchema(ErrorBody, 'output');
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op: JsonSchema = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {},
    };
    if (r.description) op.description = r.description;
    op.security = r.auth ? [{ bearer: [] }, { session: [] }] : [];
    if (r.body) {
      const schema = toSchema(r.body, 'input');
      const content: Record<string, JsonSchema> = {};
      for (const type of r.consumes ?? ['application/json', ...(r.form ? ['application/x-www-form-urlencoded'] : [])])
        content[type] = { schema };
      op.requestBody = { required: !r.body.safeParse(undefined).success, content };
    }
    const responses = op.responses as Record<string, JsonSchema>;
    const ok = r.method === 'POST' && r.url.startsWith('/webhooks/') ? '202' : '200';
    responses[ok] = r.response
      ? { description: 'OK', content: { 'application/json': { schema: toSchema(r.response, 'output') } } }
      : { description: 'OK', content: { [r.produces ?? 'text/plain']: { schema: { type: 'string' } } } };
    if (r.form) responses['303'] = { description: 'After a dashboard form post: redirect back with a notice.' };
    for (const [status, description] of Object.entries(r.errors)) {
      responses[status] = { description, content: { 'application/json': { schema: errorSchema } } };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'ticketbridge',
      version: info.version,
      description: 'Status, ledger, conflict inbox, errors, metrics and webhook receiver of the ticketbridge daemon.',
    },
    ...(info.publicUrl ? { servers: [{ url: info.publicUrl }] } : {}),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The server.token from the configuration.' },
        session: { type: 'apiKey', in: 'cookie', name: 'tb_session', description: 'Set by the dashboard login form.' },
      },
    },
    paths,
  };
}
