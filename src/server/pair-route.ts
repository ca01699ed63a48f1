// `POST /links`: pair two tickets both teams already hold, as `ticketbridge link` does (operator
// role; a token limited to some connections pairs only within them). The dashboard's "Link
// existing tickets" form posts here. Once linked, the link's first pass is started at once.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { describeError, SyncError } from '../core/errors.js';
import type { PairResult } from '../core/engine.js';
import { TicketRefError } from '../core/ticket-ref.js';
import type { ApiDeps } from './api.js';
import { addRoute, HttpError, type RouteDoc } from './route.js';
import { Link } from './schemas.js';

const Ref = z.string().trim().min(1).max(200);

export const PairBody = z.strictObject({
  a: Ref.describe('The ticket on side a as people type it: 123, IT-12, or system:ref.'),
  b: Ref.describe('The ticket on side b, the same way.'),
  connection: z
    .string()
    .max(100)
    .optional()
    .describe('The connection of the pair; needed only when the references fit several. Empty: any.'),
  dryRun: z
    .union([z.boolean(), z.enum(['true', 'false', 'on'])])
    .optional()
    .describe("Link nothing; answer what the link's first pass would write."),
  back: z
    .string()
    .regex(/^\/(?!\/)[^\s\\]*$/, 'a local path starting with one /')
    .optional()
    .describe('Dashboard forms only: where to redirect after the action.'),
});

const PlannedWrite = z.object({
  field: z.string(),
  native: z.string().describe('The native field written.'),
  from: z.enum(['a', 'b']),
  to: z.enum(['a', 'b']),
  value: z.unknown().describe("The value written, in the target's vocabulary."),
  why: z.string().describe('mirror (owner), conflict-newest or conflict-prefer (owner both).'),
});

export const PairAnswer = z.object({
  status: z.enum(['linked', 'preview']),
  connection: z.string(),
  ids: z.object({ a: z.string(), b: z.string() }).describe('The native ids the references stand for.'),
  link: Link.nullable().describe('The new link; null for a preview.'),
  writes: z
    .object({ a: z.array(PlannedWrite), b: z.array(PlannedWrite) })
    .optional()
    .describe("Preview only: what the link's first pass would write on each side."),
});

function pairError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TicketRefError) return new HttpError(400, 'invalid_request', err.message);
  if (err instanceof SyncError && ['link_refused', 'connection_paused'].includes(err.code))
    return new HttpError(409, err.code, err.message);
  if (err instanceof SyncError && err.code === 'not_found') return new HttpError(404, err.code, err.message);
  if (err instanceof SyncError) return new HttpError(502, err.code, `linking failed: ${describeError(err)}`);
  return new HttpError(500, 'internal', `linking failed: ${describeError(err)}`);
}

function notice(r: z.output<typeof PairAnswer>): string {
  if (r.status === 'linked') return `Linked ${r.ids.a} (a) and ${r.ids.b} (b) in ${r.connection}: link ${r.link!.id}.`;
  const writes = [...(r.writes?.a ?? []), ...(r.writes?.b ?? [])];
  const what = writes.map((w) => `${w.field} on ${w.to} = ${JSON.stringify(w.value ?? null)}`).join('; ');
  return `Nothing linked (preview). The first pass of ${r.ids.a} ⇄ ${r.ids.b} would write ${what || 'nothing: both sides agree'}.`;
}

export function pairRoute(app: FastifyInstance, docs: RouteDoc[], deps: ApiDeps): void {
  const { engine } = deps;
  addRoute(
    app,
    docs,
    {
      method: 'POST',
      url: '/links',
      tag: 'ledger',
      summary:
        'Links two tickets both teams already hold: both found, in scope and unlinked, markers stamped on both, a link without baselines whose first pass decides each field by its owner and conflict rule (started at once). With dryRun, links nothing and answers what that pass would write.',
      auth: true,
      body: PairBody,
      response: PairAnswer,
      errors: {
        400: 'A reference names no configured system, or fits no (or several) connections.',
        404: 'A ticket is not found on its side.',
        409: 'A ticket is already linked (the message names the link), outside the scope, or carries another marker; or the connection is paused.',
        502: 'A system failed while reading or stamping a ticket; the message names the side and ticket.',
      },
      form: notice,
      handler: async ({ body }) => {
        const dryRun = body.dryRun === true || body.dryRun === 'true' || body.dryRun === 'on';
        const request = { a: body.a, b: body.b, ...(body.connection ? { connection: body.connection } : {}) };
        let result: PairResult;
        try {
          result = await engine.link(request, { dryRun });
        } catch (err) {
          throw pairError(err);
        }
        if (result.status === 'already_linked')
          throw new HttpError(
            409,
            'link_refused',
            `${result.connection}: ${result.ids.a} and ${result.ids.b} are already linked (link ${result.link!.id})`,
          );
        if (result.status === 'linked')
          engine.hint(result.connection, 'a', result.ids.a).catch((err: unknown) => {
            deps.logger.warn({ err: describeError(err), linkId: result.link?.id }, 'first pass of a new link failed');
          });
        return { ...result, status: result.status };
      },
    },
    deps.logger,
  );
}
